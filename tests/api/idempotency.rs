//! `Idempotency-Key` on POST: a replay gets the stored response and writes nothing; the answer
//! commits with the write, belongs to its API key, and nothing is left to block a retry.

use awc::http::Method;
use serde_json::{json, Value};

use jobcraft::domain::api_key::Scope;

use crate::harness::{on_both_backends, Response, TestApp};

on_both_backends!(
    a_replay_gets_the_stored_response_and_writes_nothing,
    a_key_reused_for_another_request_is_refused,
    a_request_still_running_answers_409_then_replays,
    a_replayed_batch_returns_its_original_results,
    a_replay_by_another_api_key_is_checked_as_its_own_request,
    the_same_key_sent_by_many_clients_at_once_writes_once,
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

/// The first request is held just before its commit; the same key meanwhile is a 409, and
/// once the first has answered, a replay of it.
async fn a_request_still_running_answers_409_then_replays(app: &TestApp) {
    let body = json!({"display_name": "Nina"});
    let held = app.call(
        Method::POST,
        "/v1/persons",
        Some(&app.key),
        &[("Idempotency-Key", "k-3"), ("Jobcraft-Test-Pause", "before-commit")],
        Some(&body),
    );
    let meanwhile = async {
        actix_web::rt::time::sleep(std::time::Duration::from_millis(1500)).await;
        post_with_key(app, "/v1/persons", "k-3", &body).await
    };
    let (first, meanwhile) = futures_util::future::join(held, meanwhile).await;
    assert_eq!(first.status, 201, "{}", first.body);
    meanwhile.assert_problem(409);
    let replay = post_with_key(app, "/v1/persons", "k-3", &body).await;
    assert_eq!(replay.header("idempotent-replayed").as_deref(), Some("true"));
    assert_eq!(replay.body, first.body);
    assert_eq!(app.all("/v1/persons").await.len(), 1);
}

/// A read-only key that sends an admin's key and body gets its own answer (403), never the
/// admin's stored one with the webhook's secret.
async fn a_replay_by_another_api_key_is_checked_as_its_own_request(app: &TestApp) {
    let body = json!({"url": "https://hooks.example.com/jobcraft"});
    let admin = post_with_key(app, "/v1/webhooks", "w-1", &body).await;
    assert_eq!(admin.status, 201, "{}", admin.body);
    let reader = app.key_with(&[Scope::Read]);
    let replay = app
        .call(
            Method::POST,
            "/v1/webhooks",
            Some(&reader),
            &[("Idempotency-Key", "w-1")],
            Some(&body),
        )
        .await;
    replay.assert_problem(403);
    assert!(replay.header("idempotent-replayed").is_none());
    assert!(!replay.body.to_string().contains("secret"), "{}", replay.body);
    // A writer with the same key and body is a request of its own as well.
    let writer = app.key_with(&[Scope::Write, Scope::Admin]);
    let own = app
        .call(
            Method::POST,
            "/v1/webhooks",
            Some(&writer),
            &[("Idempotency-Key", "w-1")],
            Some(&body),
        )
        .await;
    assert_eq!(own.status, 201, "{}", own.body);
    assert_ne!(own.body["id"], admin.body["id"]);
}

/// Eight clients send the same key and body at once: one person is created; every answer is
/// that person's 201 (the first, or its replay) or a 409 while it runs.
async fn the_same_key_sent_by_many_clients_at_once_writes_once(app: &TestApp) {
    let body = json!({"display_name": "Nina"});
    let sends = (0..8).map(|_| post_with_key(app, "/v1/persons", "k-many", &body));
    let answers = futures_util::future::join_all(sends).await;
    let created: Vec<&Response> = answers.iter().filter(|a| a.status == 201).collect();
    assert!(!created.is_empty());
    for answer in &answers {
        match answer.status.as_u16() {
            201 => assert_eq!(answer.body["id"], created[0].body["id"]),
            409 => answer.assert_problem(409),
            other => panic!("{other}: {}", answer.body),
        }
    }
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
