//! `Idempotency-Key` on POST: a replay gets the stored response and writes nothing.

use awc::http::Method;
use serde_json::{json, Value};

use jobcraft::http::idempotency::{process, request_hash};
use jobcraft::store::idempotency::claim;

use crate::harness::{on_both_backends, Response, TestApp};

on_both_backends!(
    a_replay_gets_the_stored_response_and_writes_nothing,
    a_key_reused_for_another_request_is_refused,
    a_request_still_running_answers_409_and_a_dead_owners_claim_is_taken_over,
    a_replayed_batch_returns_its_original_results,
);

async fn post_with_key(app: &TestApp, path: &str, key: &str, body: &Value) -> Response {
    app.call(Method::POST, path, Some(&app.key), &[("Idempotency-Key", key)], Some(body)).await
}

async fn a_replay_gets_the_stored_response_and_writes_nothing(app: &TestApp) {
    let body = json!({"display_name": "Nina"});
    let first = post_with_key(app, "/v1/persons", "k-1", &body).await;
    assert_eq!(first.status, 201, "{}", first.body);
    let again = post_with_key(app, "/v1/persons", "k-1", &body).await;
    assert_eq!(again.status, 201);
    assert_eq!(again.body, first.body);
    assert_eq!(again.header("idempotent-replayed").as_deref(), Some("true"));
    assert_eq!(again.header("location"), first.header("location"));
    assert_eq!(app.all("/v1/persons").await.len(), 1);
    let feed = app.get("/v1/changes").await;
    assert_eq!(feed.body["items"].as_array().unwrap().len(), 1);
    // Keys are per tenant: another tenant's same key is its own.
    let theirs = app.other_tenant("theirs");
    let other = app
        .call(
            Method::POST,
            "/v1/persons",
            Some(&theirs),
            &[("Idempotency-Key", "k-1")],
            Some(&body),
        )
        .await;
    assert_eq!(other.status, 201);
    assert_ne!(other.body["id"], first.body["id"]);
    // Without a key, the same body is another person.
    assert_eq!(app.post("/v1/persons", body).await.status, 201);
    assert_eq!(app.all("/v1/persons").await.len(), 2);
}

async fn a_key_reused_for_another_request_is_refused(app: &TestApp) {
    post_with_key(app, "/v1/persons", "k-2", &json!({"display_name": "Nina"})).await;
    let other = post_with_key(app, "/v1/persons", "k-2", &json!({"display_name": "Olga"})).await;
    other.assert_problem(422);
    assert_eq!(other.pointers(), vec!["Idempotency-Key"]);
    let long = "k".repeat(256);
    let response = post_with_key(app, "/v1/persons", &long, &json!({"display_name": "X"})).await;
    response.assert_problem(400);
    assert_eq!(response.pointers(), vec!["Idempotency-Key"]);
    assert_eq!(app.all("/v1/persons").await.len(), 1);
}

async fn a_request_still_running_answers_409_and_a_dead_owners_claim_is_taken_over(app: &TestApp) {
    let body = json!({"display_name": "Nina"});
    let bytes = serde_json::to_vec(&body).unwrap();
    let hash = request_hash("/v1/persons", "", &bytes);
    let tenant = app.tenant_id;
    // This process is running a request with key k-3; another process that died held k-4.
    let (db, h) = (app.db.clone(), hash.clone());
    actix_web::rt::task::spawn_blocking(move || {
        db.write(|c| {
            claim(c, tenant, "k-3", &h, process())?;
            claim(c, tenant, "k-4", &h, uuid::Uuid::now_v7())
        })
    })
    .await
    .unwrap()
    .unwrap();
    let running = post_with_key(app, "/v1/persons", "k-3", &body).await;
    running.assert_problem(409);
    let taken_over = post_with_key(app, "/v1/persons", "k-4", &body).await;
    assert_eq!(taken_over.status, 201, "{}", taken_over.body);
    assert_eq!(app.all("/v1/persons").await.len(), 1);
}

async fn a_replayed_batch_returns_its_original_results(app: &TestApp) {
    let batch = json!({"operations": [
        {"op": "upsert", "entity": "persons", "source": "salesforce", "external_id": "003",
         "body": {"display_name": "Nina"}}]});
    let first = post_with_key(app, "/v1/sync/batch", "b-1", &batch).await;
    assert_eq!(first.body["results"][0]["status"], 201, "{}", first.body);
    let replay = post_with_key(app, "/v1/sync/batch", "b-1", &batch).await;
    assert_eq!(replay.body, first.body, "the stored answer, not a second run (which says 200)");
    let rerun = post_with_key(app, "/v1/sync/batch", "b-2", &batch).await;
    assert_eq!(rerun.body["results"][0]["status"], 200);
}

/// Behind a load balancer: a replay that reaches another instance while the first still runs
/// the request is a 409 too. An instance that lives holds its owner lock (PostgreSQL); once it
/// is gone, its claim is taken over.
#[actix_web::test]
async fn a_claim_of_another_live_instance_is_running_until_that_instance_is_gone() {
    use diesel::{Connection, RunQueryDsl};
    let Some(app) = TestApp::postgres().await else { return };
    let body = json!({"display_name": "Nina"});
    let hash = request_hash("/v1/persons", "", &serde_json::to_vec(&body).unwrap());
    let other_instance = uuid::Uuid::now_v7();
    let mut its_lock = diesel::PgConnection::establish(&app.url).unwrap();
    diesel::sql_query("SELECT pg_advisory_lock($1)")
        .bind::<diesel::sql_types::BigInt, _>(jobcraft::store::idempotency::owner_lock_key(
            other_instance,
        ))
        .execute(&mut its_lock)
        .unwrap();
    let (db, tenant) = (app.db.clone(), app.tenant_id);
    actix_web::rt::task::spawn_blocking(move || {
        db.write(|c| claim(c, tenant, "k-5", &hash, other_instance))
    })
    .await
    .unwrap()
    .unwrap();
    post_with_key(&app, "/v1/persons", "k-5", &body).await.assert_problem(409);
    assert_eq!(app.all("/v1/persons").await.len(), 0);
    drop(its_lock);
    let taken_over = post_with_key(&app, "/v1/persons", "k-5", &body).await;
    assert_eq!(taken_over.status, 201, "{}", taken_over.body);
    app.stop().await;
}
