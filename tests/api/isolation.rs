//! Another tenant's data is invisible: every route with an id answers 404 for a foreign id,
//! and no list shows a foreign row. Routes come from the OpenAPI document, so a new route is
//! covered (or fails here) without anyone remembering to add it.

use std::collections::HashMap;

use awc::http::Method;
use serde_json::{json, Value};

use crate::harness::{on_both_backends, TestApp};

on_both_backends!(a_key_of_one_tenant_sees_nothing_of_another);

async fn a_key_of_one_tenant_sees_nothing_of_another(app: &TestApp) {
    let theirs = app.other_tenant("theirs");
    let as_them = |path: String, body: Value| {
        let theirs = theirs.clone();
        async move {
            let response = app.call(Method::POST, &path, Some(&theirs), &[], Some(&body)).await;
            assert_eq!(response.status, 201, "{}", response.body);
            response.id()
        }
    };
    let org =
        as_them("/v1/organizations".into(), json!({"name": "Theirs", "kind": "client"})).await;
    let post = as_them("/v1/posts".into(), json!({"organization_id": org, "title": "CPO"})).await;
    let person = as_them("/v1/persons".into(), json!({"display_name": "Secret"})).await;
    let tenure = as_them(
        "/v1/tenures".into(),
        json!({"person_id": person, "post_id": post, "started_on": "2024-01-01"}),
    )
    .await;
    // Their salesperson covers their stakeholder, with a logged touch and a relationship.
    let unit =
        as_them("/v1/organizations".into(), json!({"name": "Their sales", "kind": "own"})).await;
    let seat = as_them("/v1/posts".into(), json!({"organization_id": unit, "title": "AE"})).await;
    let seller = as_them("/v1/persons".into(), json!({"display_name": "Seller"})).await;
    as_them(
        "/v1/tenures".into(),
        json!({"person_id": seller, "post_id": seat, "started_on": "2024-01-01"}),
    )
    .await;
    let coverage = as_them(
        "/v1/coverage".into(),
        json!({"salesperson_id": seller, "stakeholder_id": person, "role": "primary"}),
    )
    .await;
    let interaction = as_them(
        "/v1/interactions".into(),
        json!({"salesperson_id": seller, "stakeholder_id": person, "kind": "call",
               "occurred_at": "2026-01-05T10:00:00Z"}),
    )
    .await;
    let relationship = as_them(
        "/v1/relationships".into(),
        json!({"from_person_id": seller, "to_person_id": person, "kind": "allies_with", "strength": 0.5}),
    )
    .await;
    let affinity = as_them(
        "/v1/affinities".into(),
        json!({"from": {"dimension": "cognitive", "key": "client_success"},
               "to": {"dimension": "decision_criterion", "key": "quality"}, "weight": 0.5}),
    )
    .await;
    let webhook = as_them("/v1/webhooks".into(), json!({"url": "https://example.com/hook"})).await;
    let plan = as_them(
        "/v1/development-plans".into(),
        json!({"tenure_id": tenure, "title": "Theirs", "learning_hours_per_week": 1, "goals": []}),
    )
    .await;
    let instrument = as_them("/v1/instruments".into(), crate::questionnaires::example()).await;
    let administration = as_them(
        format!("/v1/instruments/{instrument}/administrations"),
        json!({"tenure_id": tenure, "respondent": "self", "answers": [{"item": "q1", "value": 4}]}),
    )
    .await;
    let foreign: HashMap<&str, &str> = HashMap::from([
        ("webhooks", webhook.as_str()),
        ("organizations", org.as_str()),
        ("accounts", org.as_str()),
        ("posts", post.as_str()),
        ("persons", person.as_str()),
        ("tenures", tenure.as_str()),
        ("coverage", coverage.as_str()),
        ("interactions", interaction.as_str()),
        ("relationships", relationship.as_str()),
        ("affinities", affinity.as_str()),
        ("development-plans", plan.as_str()),
        ("instruments", instrument.as_str()),
        ("administrations", administration.as_str()),
    ]);

    // Valid bodies of our own, so that only the foreign id can make a request fail.
    let my_org = app.create("/v1/organizations", json!({"name": "Mine", "kind": "client"})).await;
    let my_post =
        app.create("/v1/posts", json!({"organization_id": my_org, "title": "Buyer"})).await;
    let my_person = app.create("/v1/persons", json!({"display_name": "Me"})).await;
    let my_other = app.create("/v1/persons", json!({"display_name": "You"})).await;
    let my_seat = app.create("/v1/posts", json!({"organization_id": my_org, "title": "Y"})).await;
    let my_tenure = app
        .create(
            "/v1/tenures",
            json!({"person_id": my_other, "post_id": my_seat, "started_on": "2024-01-01"}),
        )
        .await;
    let bodies: HashMap<&str, Value> = HashMap::from([
        ("organizations", json!({"name": "X", "kind": "client"})),
        ("posts", json!({"organization_id": my_org, "title": "X"})),
        ("persons", json!({"display_name": "X"})),
        (
            "tenures",
            json!({"person_id": my_person, "post_id": my_post, "started_on": "2024-01-01"}),
        ),
        (
            "coverage",
            json!({"salesperson_id": my_person, "stakeholder_id": my_other, "role": "primary"}),
        ),
        (
            "relationships",
            json!({"from_person_id": my_person, "to_person_id": my_other, "kind": "advises", "strength": 0.5}),
        ),
        (
            "development-plans",
            json!({"tenure_id": my_tenure, "title": "X", "learning_hours_per_week": 1, "goals": []}),
        ),
        ("instruments", crate::questionnaires::example()),
    ]);

    let document = jobcraft::http::openapi::document();
    let mut checked = 0;
    for (template, item) in &document.paths.paths {
        if !template.contains("{id}") {
            continue;
        }
        let collection = template.split('/').nth(2).unwrap();
        let id = foreign.get(collection).unwrap_or_else(|| panic!("no foreign id for {template}"));
        let mut path = template.replace("{id}", id);
        if template.ends_with("/paths") {
            // Their account, to their stakeholder: still not found.
            path = format!("{path}?stakeholder_id={}", foreign["persons"]);
        }
        if template.ends_with("/readiness") {
            // Their person, for our post: still not found.
            path = format!("{path}?post_id={my_post}");
        }
        let methods = [
            (Method::GET, item.get.is_some()),
            (Method::PUT, item.put.is_some()),
            (Method::PATCH, item.patch.is_some()),
            (Method::DELETE, item.delete.is_some()),
            (Method::POST, item.post.is_some()),
        ];
        for (method, present) in methods {
            if !present {
                continue;
            }
            let body = match method {
                Method::PUT => Some(bodies[collection].clone()),
                Method::POST if template.ends_with("/apply") => Some(json!({"pairs": []})),
                Method::POST if template.ends_with("/administrations") => Some(json!({
                    "tenure_id": my_tenure, "respondent": "self",
                    "answers": [{"item": "q1", "value": 4}]
                })),
                Method::PATCH if template.starts_with("/v1/webhooks") => {
                    Some(json!({"active": true}))
                }
                Method::POST if template.ends_with("/crafting") => Some(
                    json!({"facets": [{"dimension": "priority", "key": "growth", "weight": 0.5}]}),
                ),
                Method::PATCH | Method::POST => Some(json!({})),
                _ => None,
            };
            let response =
                app.call(method.clone(), &path, Some(&app.key), &[], body.as_ref()).await;
            assert_eq!(response.status, 404, "{method} {path}: {}", response.body);
            checked += 1;
        }
    }
    assert!(checked >= 12, "only {checked} routes checked");

    for (collection, id) in foreign.iter().filter(|(c, _)| **c != "accounts") {
        let items = app.all(&format!("/v1/{collection}")).await;
        assert!(items.iter().all(|item| item["id"] != *id), "{collection} leaks {id}");
    }
    // Still there for their owner.
    let response =
        app.call(Method::GET, &format!("/v1/persons/{person}"), Some(&theirs), &[], None).await;
    assert_eq!(response.body["display_name"], "Secret");
}
