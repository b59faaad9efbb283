//! Table definitions shared by both backends: only types both understand (text ids, text JSON).
//! Over 400 lines as one responsibility: every table's columns, in one place.

diesel::table! {
    tenants (id) {
        id -> Text,
        name -> Text,
        created_at -> Timestamp,
        rate_limit_per_second -> Nullable<Double>,
        rate_limit_burst -> Nullable<Integer>,
    }
}

diesel::table! {
    api_keys (tenant_id, id) {
        tenant_id -> Text,
        id -> Text,
        name -> Text,
        scopes -> Text,
        secret_hash -> Text,
        created_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    organizations (tenant_id, id) {
        tenant_id -> Text,
        id -> Text,
        name -> Text,
        kind -> Text,
        parent_id -> Nullable<Text>,
        size_band -> Nullable<Text>,
        industry -> Nullable<Text>,
        region -> Nullable<Text>,
        tags -> Text,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    persons (tenant_id, id) {
        tenant_id -> Text,
        id -> Text,
        display_name -> Text,
        emails -> Text,
        phone -> Nullable<Text>,
        notes -> Nullable<Text>,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        erased_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    posts (tenant_id, id) {
        tenant_id -> Text,
        id -> Text,
        organization_id -> Text,
        title -> Text,
        function -> Nullable<Text>,
        reports_to_post_id -> Nullable<Text>,
        headcount -> Integer,
        established_on -> Nullable<Date>,
        abolished_on -> Nullable<Date>,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    tenures (tenant_id, id) {
        tenant_id -> Text,
        id -> Text,
        person_id -> Text,
        post_id -> Text,
        started_on -> Date,
        ended_on -> Nullable<Date>,
        buying_roles -> Text,
        capacity -> Nullable<Integer>,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    vocabulary (tenant_id, dimension, key) {
        tenant_id -> Text,
        dimension -> Text,
        key -> Text,
        label -> Text,
        description -> Nullable<Text>,
        retired_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    post_revisions (tenant_id, id) {
        tenant_id -> Text,
        id -> Text,
        post_id -> Text,
        facets -> Text,
        effective_at -> Timestamp,
        recorded_at -> Timestamp,
        recorded_by -> Nullable<Text>,
    }
}

diesel::table! {
    crafting_revisions (tenant_id, id) {
        tenant_id -> Text,
        id -> Text,
        tenure_id -> Text,
        dimensions -> Text,
        facets -> Text,
        source -> Nullable<Text>,
        confidence -> Double,
        effective_at -> Timestamp,
        recorded_at -> Timestamp,
        recorded_by_key_id -> Nullable<Text>,
        recorded_by -> Nullable<Text>,
    }
}

diesel::table! {
    relationships (tenant_id, id) {
        tenant_id -> Text,
        id -> Text,
        from_person_id -> Text,
        to_person_id -> Text,
        kind -> Text,
        strength -> Double,
        valid_from -> Nullable<Date>,
        valid_until -> Nullable<Date>,
        notes -> Nullable<Text>,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    coverage_links (tenant_id, id) {
        tenant_id -> Text,
        id -> Text,
        salesperson_id -> Text,
        stakeholder_id -> Text,
        role -> Text,
        stated_strength -> Nullable<Double>,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    interactions (tenant_id, id) {
        tenant_id -> Text,
        id -> Text,
        salesperson_id -> Text,
        stakeholder_id -> Text,
        kind -> Text,
        occurred_at -> Timestamp,
        summary -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    affinities (tenant_id, id) {
        tenant_id -> Text,
        id -> Text,
        from_dimension -> Text,
        from_key -> Text,
        to_dimension -> Text,
        to_key -> Text,
        weight -> Double,
        created_at -> Timestamp,
    }
}

diesel::table! {
    coverage_settings (tenant_id) {
        tenant_id -> Text,
        settings -> Text,
        version -> BigInt,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    changes (tenant_id, seq) {
        tenant_id -> Text,
        seq -> BigInt,
        entity -> Text,
        entity_id -> Text,
        operation -> Text,
        origin -> Text,
        key_id -> Nullable<Text>,
        external_refs -> Text,
        occurred_at -> Timestamp,
        request_id -> Nullable<Text>,
        traceparent -> Nullable<Text>,
    }
}

diesel::table! {
    external_refs (tenant_id, entity, source, external_id) {
        tenant_id -> Text,
        entity -> Text,
        source -> Text,
        external_id -> Text,
        entity_id -> Text,
    }
}

diesel::table! {
    idempotency_keys (tenant_id, api_key_id, idempotency_key) {
        tenant_id -> Text,
        api_key_id -> Text,
        idempotency_key -> Text,
        request_hash -> Text,
        status -> Integer,
        response_headers -> Text,
        response_body -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    erasures (tenant_id, id) {
        tenant_id -> Text,
        id -> Text,
        person_id -> Text,
        erased_at -> Timestamp,
        key_id -> Nullable<Text>,
        origin -> Text,
    }
}

diesel::table! {
    webhooks (tenant_id, id) {
        tenant_id -> Text,
        id -> Text,
        url -> Text,
        entities -> Text,
        secret -> Text,
        active -> Bool,
        cursor -> BigInt,
        failures -> Integer,
        next_attempt_at -> Timestamp,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        lease_owner -> Nullable<Text>,
        lease_until -> Nullable<Timestamp>,
    }
}

diesel::table! {
    webhook_deliveries (tenant_id, id) {
        tenant_id -> Text,
        id -> Text,
        webhook_id -> Text,
        change_seq -> BigInt,
        event_id -> Text,
        attempt -> Integer,
        status -> Nullable<Integer>,
        error -> Nullable<Text>,
        outcome -> Text,
        duration_ms -> BigInt,
        attempted_at -> Timestamp,
    }
}

diesel::table! {
    audit_log (tenant_id, id) {
        tenant_id -> Text,
        id -> Text,
        at -> Timestamp,
        key_id -> Text,
        key_name -> Text,
        origin -> Text,
        action -> Text,
        first_change -> Nullable<BigInt>,
        change_count -> BigInt,
    }
}

diesel::table! {
    alert_states (tenant_id, alert_id) {
        tenant_id -> Text,
        alert_id -> Text,
        account_id -> Text,
        alert_type -> Text,
        condition -> Text,
        state -> Text,
        snoozed_until -> Nullable<Date>,
        note -> Nullable<Text>,
        changed_by -> Text,
        changed_at -> Timestamp,
        version -> BigInt,
    }
}

diesel::table! {
    alert_events (tenant_id, id) {
        tenant_id -> Text,
        id -> Text,
        alert_id -> Text,
        condition -> Text,
        state -> Text,
        snoozed_until -> Nullable<Date>,
        note -> Nullable<Text>,
        changed_by -> Text,
        changed_at -> Timestamp,
    }
}

diesel::table! {
    tenure_versions (tenant_id, id, version) {
        tenant_id -> Text,
        id -> Text,
        version -> BigInt,
        person_id -> Text,
        post_id -> Text,
        started_on -> Date,
        ended_on -> Nullable<Date>,
        buying_roles -> Text,
        capacity -> Nullable<Integer>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        superseded_at -> Timestamp,
    }
}

diesel::table! {
    coverage_link_versions (tenant_id, id, version) {
        tenant_id -> Text,
        id -> Text,
        version -> BigInt,
        salesperson_id -> Text,
        stakeholder_id -> Text,
        role -> Text,
        stated_strength -> Nullable<Double>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        superseded_at -> Timestamp,
    }
}

diesel::table! {
    relationship_versions (tenant_id, id, version) {
        tenant_id -> Text,
        id -> Text,
        version -> BigInt,
        from_person_id -> Text,
        to_person_id -> Text,
        kind -> Text,
        strength -> Double,
        valid_from -> Nullable<Date>,
        valid_until -> Nullable<Date>,
        notes -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        superseded_at -> Timestamp,
    }
}

diesel::table! {
    coverage_settings_versions (tenant_id, version) {
        tenant_id -> Text,
        version -> BigInt,
        settings -> Text,
        updated_at -> Timestamp,
        superseded_at -> Timestamp,
    }
}

diesel::table! {
    web_sessions (tenant_id, id) {
        tenant_id -> Text,
        id -> Text,
        key_id -> Text,
        csrf_token -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    retention_settings (tenant_id) {
        tenant_id -> Text,
        feed_days -> BigInt,
        deliveries_days -> BigInt,
        audit_days -> Nullable<BigInt>,
        updated_at -> Timestamp,
        idempotency_hours -> BigInt,
    }
}

diesel::table! {
    feed_horizons (tenant_id) {
        tenant_id -> Text,
        pruned_through -> BigInt,
    }
}

diesel::table! {
    feed_heads (tenant_id) {
        tenant_id -> Text,
        change_seq -> BigInt,
    }
}

diesel::table! {
    tenant_names (name) {
        name -> Text,
        tenant_id -> Text,
    }
}

diesel::table! {
    development_plans (tenant_id, id) {
        tenant_id -> Text,
        id -> Text,
        tenure_id -> Text,
        target_post_id -> Nullable<Text>,
        title -> Text,
        state -> Text,
        learning_hours_per_week -> Double,
        goals -> Text,
        sought -> Text,
        artifacts -> Text,
        check_ins -> Text,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    development_settings (tenant_id) {
        tenant_id -> Text,
        learning_hours_limit -> Double,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    instruments (tenant_id, id) {
        tenant_id -> Text,
        id -> Text,
        name -> Text,
        description -> Nullable<Text>,
        scale -> Text,
        subscales -> Text,
        items -> Text,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    administrations (tenant_id, id) {
        tenant_id -> Text,
        id -> Text,
        instrument_id -> Text,
        tenure_id -> Text,
        respondent_kind -> Text,
        respondent_person_id -> Nullable<Text>,
        administered_at -> Timestamp,
        answers -> Text,
        revision_id -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    crafting_index_snapshots (tenant_id) {
        tenant_id -> Text,
        watermark -> Timestamp,
        tenures -> BigInt,
        data -> Binary,
        written_at -> Timestamp,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    alert_states,
    alert_events,
    audit_log,
    tenants,
    api_keys,
    organizations,
    persons,
    posts,
    tenures,
    vocabulary,
    post_revisions,
    crafting_revisions,
    relationships,
    coverage_links,
    interactions,
    affinities,
    coverage_settings,
    changes,
    external_refs,
    idempotency_keys,
    erasures,
    webhooks,
    webhook_deliveries,
    tenure_versions,
    coverage_link_versions,
    relationship_versions,
    coverage_settings_versions,
    web_sessions,
    retention_settings,
    tenant_names,
    feed_heads,
    feed_horizons,
    development_plans,
    development_settings,
    instruments,
    administrations,
    crafting_index_snapshots
);
