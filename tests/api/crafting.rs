//! Crafted jobs: vocabulary, revisions, as-of reads, diffs and guardrails.

use serde_json::{json, Value};

use crate::harness::{on_both_backends, TestApp};

on_both_backends!(
    an_unknown_key_is_a_422_with_the_closest_keys,
    added_keys_can_be_used_and_retired_keys_cannot,
    the_effective_crafted_job_overrides_the_formal_job_key_by_key,
    as_of_and_known_at_read_the_past_as_it_was_known,
    a_patch_keeps_the_rest_of_the_crafted_job,
    the_formal_diff_shows_what_the_holder_does_differently,
    a_diff_between_two_revisions_or_times,
    a_succession_diff_shows_what_the_new_holder_brings,
    a_core_facet_dropped_below_its_floor_is_a_breach,
    bad_crafting_input_is_named_and_records_nothing,
    formal_facets_are_revisions_read_as_of_a_time,
);

/// An account with a post whose formal job stresses price and audits, and its holder.
async fn holder(app: &TestApp) -> (String, String, String) {
    let org = app.create("/v1/organizations", json!({"name": "Acme", "kind": "client"})).await;
    let post = json!({"title": "Head of Procurement", "facets": [
        {"dimension": "decision_criterion", "key": "price", "weight": 0.9},
        {"dimension": "task", "key": "supplier_audits", "weight": 0.8, "core": true, "floor": 0.5}
    ]});
    let nina = app.holding(&org, post, "Nina", "2025-01-01").await;
    (org, nina.post, nina.tenure)
}

async fn craft(app: &TestApp, tenure: &str, body: Value) -> String {
    app.create(&format!("/v1/tenures/{tenure}/crafting"), body).await
}

fn facet<'a>(job: &'a Value, key: &str) -> &'a Value {
    job["facets"].as_array().unwrap().iter().find(|f| f["key"] == key).unwrap()
}

async fn an_unknown_key_is_a_422_with_the_closest_keys(app: &TestApp) {
    let (_, _, tenure) = holder(app).await;
    let response = app
        .post(
            &format!("/v1/tenures/{tenure}/crafting"),
            json!({"facets": [{"dimension": "decision_criterion", "key": "carbon_foot_print", "weight": 0.8}]}),
        )
        .await;
    response.assert_problem(422);
    assert_eq!(response.pointers(), vec!["/facets/0/key"]);
    assert_eq!(response.body["errors"][0]["suggestions"][0], "carbon_footprint");
    assert!(app.all(&format!("/v1/tenures/{tenure}/crafting/revisions")).await.is_empty());
}

async fn added_keys_can_be_used_and_retired_keys_cannot(app: &TestApp) {
    let (_, _, tenure) = holder(app).await;
    let added = app
        .post("/v1/vocabulary", json!({"dimension": "decision_criterion", "key": "circularity", "label": "Circularity"}))
        .await;
    assert_eq!(added.status, 201, "{}", added.body);
    let body = json!({"facets": [{"dimension": "decision_criterion", "key": "circularity", "weight": 0.6}]});
    let revision = craft(app, &tenure, body.clone()).await;
    app.post(
        "/v1/vocabulary",
        json!({"dimension": "decision_criterion", "key": "circularity", "label": "x"}),
    )
    .await
    .assert_problem(409);
    assert_eq!(app.delete("/v1/vocabulary/decision_criterion/circularity").await.status, 204);
    app.post(&format!("/v1/tenures/{tenure}/crafting"), body).await.assert_problem(422);
    // History keeps the retired key, label included.
    let revisions = app.all(&format!("/v1/tenures/{tenure}/crafting/revisions")).await;
    assert_eq!(revisions[0]["id"], revision.as_str());
    let job = app.get(&format!("/v1/tenures/{tenure}/crafting")).await;
    assert_eq!(facet(&job.body, "circularity")["label"], "Circularity");
    let active = app.get("/v1/vocabulary?dimension=decision_criterion").await;
    assert!(active.body["items"].as_array().unwrap().iter().all(|k| k["key"] != "circularity"));
    let all = app.get("/v1/vocabulary?dimension=decision_criterion&include_retired=true").await;
    assert!(all.body["items"].as_array().unwrap().iter().any(|k| k["key"] == "circularity"));
}

async fn the_effective_crafted_job_overrides_the_formal_job_key_by_key(app: &TestApp) {
    let (_, post, tenure) = holder(app).await;
    let revision = craft(
        app,
        &tenure,
        json!({"source": "QBR 2026-11-03", "confidence": 0.8, "facets": [
            {"dimension": "decision_criterion", "key": "carbon_footprint", "weight": 0.8},
            {"dimension": "decision_criterion", "key": "price", "weight": 0.3},
            {"dimension": "partner_preference", "key": "supplier_size_small", "weight": 0.7}
        ]}),
    )
    .await;
    let job = app.get(&format!("/v1/tenures/{tenure}/crafting")).await;
    assert_eq!(job.status, 200, "{}", job.body);
    assert_eq!(job.body["post_id"], post.as_str());
    let price = facet(&job.body, "price");
    assert_eq!(
        (price["origin"].as_str(), price["weight"].as_f64()),
        (Some("overridden"), Some(0.3))
    );
    assert_eq!(price["formal_weight"], 0.9);
    assert_eq!(price["revision_id"], revision.as_str());
    assert_eq!(facet(&job.body, "carbon_footprint")["origin"], "crafted");
    assert_eq!(facet(&job.body, "carbon_footprint")["label"], "Carbon footprint");
    let audits = facet(&job.body, "supplier_audits");
    assert_eq!(
        (audits["origin"].as_str(), audits["revision_id"].clone()),
        (Some("formal"), Value::Null)
    );
    let revisions = app.all(&format!("/v1/tenures/{tenure}/crafting/revisions")).await;
    assert_eq!(revisions[0]["source"], "QBR 2026-11-03");
    assert_eq!(revisions[0]["confidence"], 0.8);
    assert_eq!(revisions[0]["recorded_by"], "admin");
}

async fn as_of_and_known_at_read_the_past_as_it_was_known(app: &TestApp) {
    let (_, _, tenure) = holder(app).await;
    craft(
        app,
        &tenure,
        json!({"effective_at": "2026-01-10T00:00:00Z", "facets": [
        {"dimension": "priority", "key": "growth", "weight": 0.5}]}),
    )
    .await;
    let before_late = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    std::thread::sleep(std::time::Duration::from_millis(5));
    // Learned late: true since February, recorded now.
    craft(
        app,
        &tenure,
        json!({"effective_at": "2026-02-01T00:00:00Z", "facets": [
        {"dimension": "priority", "key": "growth", "weight": 0.9}]}),
    )
    .await;
    let weight = |body: &Value| facet(body, "growth")["weight"].as_f64();
    let path = format!("/v1/tenures/{tenure}/crafting");
    assert_eq!(weight(&app.get(&path).await.body), Some(0.9));
    assert_eq!(weight(&app.get(&format!("{path}?as_of=2026-01-20")).await.body), Some(0.5));
    let then = app
        .get(&format!("{path}?as_of=2026-03-01&known_at={}", before_late.replace('+', "%2B")))
        .await;
    assert_eq!(weight(&then.body), Some(0.5), "{}", then.body);
    let before_anything = app.get(&format!("{path}?as_of=2025-06-01")).await;
    assert!(before_anything.body["facets"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["key"] != "growth"));
    let bad = app.get(&format!("{path}?as_of=last-month")).await;
    bad.assert_problem(400);
    assert_eq!(bad.pointers(), vec!["as_of"]);
}

async fn a_patch_keeps_the_rest_of_the_crafted_job(app: &TestApp) {
    let (_, _, tenure) = holder(app).await;
    craft(
        app,
        &tenure,
        json!({"facets": [
        {"dimension": "priority", "key": "growth", "weight": 0.5},
        {"dimension": "priority", "key": "compliance", "weight": 0.4}]}),
    )
    .await;
    craft(
        app,
        &tenure,
        json!({"mode": "patch",
        "facets": [{"dimension": "priority", "key": "sustainability", "weight": 0.7}],
        "remove": [{"dimension": "priority", "key": "compliance"}]}),
    )
    .await;
    let job = app.get(&format!("/v1/tenures/{tenure}/crafting")).await;
    let keys: Vec<&str> = job.body["facets"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["dimension"] == "priority")
        .map(|f| f["key"].as_str().unwrap())
        .collect();
    assert_eq!(keys, vec!["growth", "sustainability"]);
}

async fn the_formal_diff_shows_what_the_holder_does_differently(app: &TestApp) {
    let (_, _, tenure) = holder(app).await;
    craft(
        app,
        &tenure,
        json!({"facets": [
        {"dimension": "decision_criterion", "key": "carbon_footprint", "weight": 0.8},
        {"dimension": "decision_criterion", "key": "price", "weight": 0.3}]}),
    )
    .await;
    let diff = app.get(&format!("/v1/tenures/{tenure}/diff")).await;
    assert_eq!(diff.status, 200, "{}", diff.body);
    assert_eq!(diff.body["from"]["kind"], "formal");
    assert_eq!(diff.body["to"]["kind"], "crafted");
    let changes = diff.body["changes"].as_array().unwrap();
    assert_eq!(changes.len(), 2);
    assert_eq!(changes[0]["key"], "carbon_footprint");
    assert_eq!(changes[0]["op"], "added");
    assert_eq!(changes[0]["label"], "Carbon footprint");
    assert_eq!(
        (changes[1]["op"].as_str(), changes[1]["before"].as_f64(), changes[1]["after"].as_f64()),
        (Some("changed"), Some(0.9), Some(0.3))
    );
    assert_eq!(diff.body["summary"]["added"], 1);
    assert_eq!(diff.body["summary"]["changed"], 1);
    assert_eq!(diff.body["summary"]["by_dimension"]["decision_criterion"]["added"], 1);
    let patch = app.get(&format!("/v1/tenures/{tenure}/diff?format=json-patch")).await;
    assert_eq!(patch.header("content-type").as_deref(), Some("application/json-patch+json"));
    assert_eq!(
        patch.body,
        json!([
            {"op": "add", "path": "/facets/decision_criterion/carbon_footprint", "value": 0.8},
            {"op": "replace", "path": "/facets/decision_criterion/price", "value": 0.3}
        ])
    );
}

async fn a_diff_between_two_revisions_or_times(app: &TestApp) {
    let (_, _, tenure) = holder(app).await;
    let first = craft(
        app,
        &tenure,
        json!({"effective_at": "2026-01-10T00:00:00Z", "facets": [
        {"dimension": "priority", "key": "growth", "weight": 0.5}]}),
    )
    .await;
    let second = craft(
        app,
        &tenure,
        json!({"effective_at": "2026-03-10T00:00:00Z", "facets": [
        {"dimension": "priority", "key": "growth", "weight": 0.9},
        {"dimension": "priority", "key": "sustainability", "weight": 0.6}]}),
    )
    .await;
    let by_revision = app.get(&format!("/v1/tenures/{tenure}/diff?from={first}&to={second}")).await;
    assert_eq!(by_revision.status, 200, "{}", by_revision.body);
    assert_eq!(by_revision.body["from"]["revision_id"], first.as_str());
    assert_eq!(by_revision.body["summary"]["changed"], 1);
    assert_eq!(by_revision.body["summary"]["added"], 1);
    let by_time =
        app.get(&format!("/v1/tenures/{tenure}/diff?from=2026-02-01&to=2026-04-01")).await;
    assert_eq!(by_time.body["changes"], by_revision.body["changes"]);
    let backwards =
        app.get(&format!("/v1/tenures/{tenure}/diff?from=2026-04-01&to=2026-02-01")).await;
    backwards.assert_problem(422);
    assert_eq!(backwards.pointers(), vec!["from"]);
    app.get(&format!("/v1/tenures/{tenure}/diff?from={}&to={second}", uuid::Uuid::now_v7()))
        .await
        .assert_problem(422);
}

async fn a_succession_diff_shows_what_the_new_holder_brings(app: &TestApp) {
    let org = app.create("/v1/organizations", json!({"name": "Acme", "kind": "client"})).await;
    let post = app
        .create(
            "/v1/posts",
            json!({"organization_id": org, "title": "CPO", "facets": [
        {"dimension": "priority", "key": "cost_reduction", "weight": 0.9}]}),
        )
        .await;
    let olga = app.create("/v1/persons", json!({"display_name": "Olga"})).await;
    let nina = app.create("/v1/persons", json!({"display_name": "Nina"})).await;
    let old = app.create("/v1/tenures", json!({"person_id": olga, "post_id": post, "started_on": "2019-01-01", "ended_on": "2026-03-01"})).await;
    let new = app
        .create(
            "/v1/tenures",
            json!({"person_id": nina, "post_id": post, "started_on": "2026-03-01"}),
        )
        .await;
    craft(
        app,
        &old,
        json!({"effective_at": "2020-01-01T00:00:00Z", "facets": [
        {"dimension": "priority", "key": "cost_reduction", "weight": 1.0}]}),
    )
    .await;
    craft(
        app,
        &new,
        json!({"facets": [
        {"dimension": "priority", "key": "cost_reduction", "weight": 0.2},
        {"dimension": "priority", "key": "sustainability", "weight": 0.9}]}),
    )
    .await;
    let succession = app.get(&format!("/v1/posts/{post}/succession")).await;
    assert_eq!(succession.status, 200, "{}", succession.body);
    let handovers = succession.body["successions"].as_array().unwrap();
    assert_eq!(handovers.len(), 1);
    assert_eq!(handovers[0]["from"]["tenure_id"], old.as_str());
    assert_eq!(handovers[0]["from"]["person_display_name"], "Olga");
    assert_eq!(handovers[0]["to"]["person_display_name"], "Nina");
    let changes = handovers[0]["changes"].as_array().unwrap();
    assert_eq!(changes[0]["key"], "cost_reduction");
    assert_eq!(
        (changes[0]["before"].as_f64(), changes[0]["after"].as_f64()),
        (Some(1.0), Some(0.2))
    );
    assert_eq!(changes[1]["key"], "sustainability");
    assert_eq!(changes[1]["op"], "added");
}

async fn a_core_facet_dropped_below_its_floor_is_a_breach(app: &TestApp) {
    let (org, _, tenure) = holder(app).await;
    craft(
        app,
        &tenure,
        json!({"facets": [{"dimension": "task", "key": "supplier_audits", "weight": 0.0}]}),
    )
    .await;
    let diff = app.get(&format!("/v1/tenures/{tenure}/diff")).await;
    assert_eq!(diff.body["changes"][0]["guardrail"], "breached");
    let job = app.get(&format!("/v1/tenures/{tenure}/crafting")).await;
    assert_eq!(facet(&job.body, "supplier_audits")["guardrail"], "breached");
    let breaches = app.get(&format!("/v1/organizations/{org}/guardrails")).await;
    let items = breaches.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{}", breaches.body);
    assert_eq!(items[0]["id"], tenure.as_str());
    assert_eq!(items[0]["key"], "supplier_audits");
    assert_eq!(items[0]["floor"], 0.5);
}

async fn bad_crafting_input_is_named_and_records_nothing(app: &TestApp) {
    let (_, post, tenure) = holder(app).await;
    let path = format!("/v1/tenures/{tenure}/crafting");
    let response = app
        .post(
            &path,
            json!({"confidence": 1.5, "facets": [
            {"dimension": "priority", "key": "growth", "weight": 2},
            {"dimension": "priority", "key": "growth", "weight": 0.1},
            {"dimension": "task", "key": "reporting", "weight": 0.1, "core": true}]}),
        )
        .await;
    response.assert_problem(422);
    assert_eq!(
        response.pointers(),
        vec!["/facets/0/weight", "/facets/1/key", "/facets/2/core", "/confidence"]
    );
    app.post(&path, json!({"facets": [{"dimension": "mood", "key": "x", "weight": 0}]}))
        .await
        .assert_problem(400);
    app.post(&path, json!({"facets": []})).await.assert_problem(422);
    let early = app.post(&path, json!({"effective_at": "2024-01-01T00:00:00Z", "facets": [{"dimension": "priority", "key": "growth", "weight": 0.1}]})).await;
    early.assert_problem(422);
    assert_eq!(early.pointers(), vec!["/effective_at"]);
    // An ended tenure takes no revision dated after its end.
    let person = app.create("/v1/persons", json!({"display_name": "Past"})).await;
    let org = app.get(&format!("/v1/posts/{post}")).await.body["organization_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let other_post =
        app.create("/v1/posts", json!({"organization_id": org, "title": "Buyer"})).await;
    let ended = app.create("/v1/tenures", json!({"person_id": person, "post_id": other_post, "started_on": "2020-01-01", "ended_on": "2021-01-01"})).await;
    let late = app.post(&format!("/v1/tenures/{ended}/crafting"), json!({"effective_at": "2022-01-01T00:00:00Z", "facets": [{"dimension": "priority", "key": "growth", "weight": 0.1}]})).await;
    late.assert_problem(422);
    assert_eq!(late.pointers(), vec!["/effective_at"]);
    assert!(app.all(&format!("{path}/revisions")).await.is_empty());
    assert!(app.all(&format!("/v1/tenures/{ended}/crafting/revisions")).await.is_empty());
    // The history is kept: a tenure with revisions cannot be deleted, nor its post with it;
    // erasing the person removes it.
    craft(
        app,
        &tenure,
        json!({"facets": [{"dimension": "priority", "key": "growth", "weight": 0.1}]}),
    )
    .await;
    app.delete(&format!("/v1/tenures/{tenure}")).await.assert_problem(409);
    app.delete(&format!("/v1/posts/{post}?cascade=true")).await.assert_problem(409);
    assert_eq!(app.all(&format!("/v1/tenures/{tenure}/crafting/revisions")).await.len(), 1);
    let holder = app.get(&format!("/v1/tenures/{tenure}")).await.body["person_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(app.delete(&format!("/v1/persons/{holder}?cascade=true")).await.status, 204);
    app.get(&format!("/v1/tenures/{tenure}/crafting/revisions")).await.assert_problem(404);
}

async fn formal_facets_are_revisions_read_as_of_a_time(app: &TestApp) {
    let (_, post, tenure) = holder(app).await;
    let changed = app
        .patch(
            &format!("/v1/posts/{post}"),
            json!({"facets_effective_at": "2026-06-01T00:00:00Z", "facets": [
            {"dimension": "decision_criterion", "key": "total_cost_of_ownership", "weight": 0.9}]}),
        )
        .await;
    assert_eq!(changed.status, 200, "{}", changed.body);
    let keys = |post: &Value| -> Vec<String> {
        post["facets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["key"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        keys(&app.get(&format!("/v1/posts/{post}")).await.body),
        vec!["total_cost_of_ownership"]
    );
    assert_eq!(
        keys(&app.get(&format!("/v1/posts/{post}?as_of=2026-05-01")).await.body),
        vec!["price", "supplier_audits"]
    );
    let revisions = app.get(&format!("/v1/posts/{post}/revisions")).await;
    let revisions = revisions.body["items"].as_array().unwrap().clone();
    assert_eq!(revisions.len(), 2);
    assert_eq!(revisions[1]["effective_at"], "2026-06-01T00:00:00Z");
    assert_eq!(revisions[1]["recorded_by"], "admin");
    let job_then = app.get(&format!("/v1/tenures/{tenure}/crafting?as_of=2026-05-01")).await;
    assert_eq!(facet(&job_then.body, "price")["origin"], "formal");
    app.patch(
        &format!("/v1/posts/{post}"),
        json!({"facets": [{"dimension": "task", "key": "nonsense_key", "weight": 1}]}),
    )
    .await
    .assert_problem(422);
}

mod postgres_only {
    use diesel::sql_types::BigInt;
    use diesel::QueryableByName;
    use diesel_async::RunQueryDsl;
    use jobcraft::store::crafting::history_pipelined;
    use jobcraft::store::pipelined::Pipelined;
    use std::sync::Arc;
    use std::time::Duration;
    use uuid::Uuid;

    use super::*;

    #[derive(QueryableByName)]
    struct Plans {
        #[diesel(sql_type = BigInt)]
        custom: i64,
        #[diesel(sql_type = BigInt)]
        generic: i64,
    }

    /// The point reads' statements find a few rows by their ids, with an array of ids for
    /// some (`= ANY($2)`): PostgreSQL's default would plan those again on every run, which was
    /// half of its time under the reads. On the pipelining connection each statement is
    /// planned once.
    #[actix_web::test]
    async fn the_pipelined_point_reads_plan_each_statement_once() {
        let Some(app) = TestApp::postgres().await else { return };
        let (_, _, tenure) = holder(&app).await;
        craft(
            &app,
            &tenure,
            json!({"facets": [{"dimension": "task", "key": "supplier_audits", "weight": 0.6}]}),
        )
        .await;
        let pipelined = Pipelined::new(&app.url, Duration::from_secs(5)).unwrap();
        let conn = Arc::new(pipelined.connect().await.unwrap());
        let tenure: Uuid = tenure.parse().unwrap();
        // More than the five runs after which PostgreSQL's default may settle on a generic plan.
        for _ in 0..8 {
            let history = history_pipelined(conn.clone(), app.tenant_id, tenure).await.unwrap();
            assert_eq!(history.crafting.len(), 1);
        }
        let mut shared: &diesel_async::AsyncPgConnection = &conn;
        let plans: Plans = diesel::sql_query(
            "SELECT coalesce(sum(custom_plans), 0)::bigint AS custom, \
             coalesce(sum(generic_plans), 0)::bigint AS generic FROM pg_prepared_statements",
        )
        .get_result(&mut shared)
        .await
        .unwrap();
        assert_eq!(plans.custom, 0, "statements planned for their arguments");
        assert!(plans.generic >= 8 * 4, "every run of the four statements: {}", plans.generic);
        app.stop().await;
    }
}
