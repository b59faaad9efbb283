//! Rate limits: a token bucket per API key, set per tenant; 429 with `Retry-After` and the
//! `RateLimit-*` headers; health and readiness are never limited.

use awc::http::Method;
use jobcraft::domain::api_key::Scope;
use jobcraft::domain::rate_limit::RateLimit;
use jobcraft::store::api_keys;
use serde_json::json;

use crate::harness::{on_both_backends, TestApp};

on_both_backends!(
    a_key_past_its_limit_is_answered_429_until_a_token_returns,
    an_idempotent_post_spends_one_request,
);

fn limit(app: &TestApp, per_second: f64, burst: u32) {
    let limit = RateLimit::parse(per_second, burst).unwrap();
    app.db.write(|c| api_keys::set_rate_limit(c, app.tenant_id, Some(limit))).unwrap();
}

async fn a_key_past_its_limit_is_answered_429_until_a_token_returns(app: &TestApp) {
    limit(app, 0.5, 3);
    let mut remaining = Vec::new();
    for _ in 0..3 {
        let response = app.get("/v1/persons").await;
        assert_eq!(response.status, 200, "{}", response.body);
        assert_eq!(response.header("ratelimit-limit").as_deref(), Some("3"));
        remaining.push(response.header("ratelimit-remaining").unwrap());
    }
    assert_eq!(remaining, vec!["2", "1", "0"]);

    let refused = app.get("/v1/persons").await;
    refused.assert_problem(429);
    let seconds = |name: &str| refused.header(name).unwrap().parse::<u64>().unwrap();
    // One token every 2 s, the bucket of 3 full in 6 s (less what returned since the first).
    assert!((1..=2).contains(&seconds("retry-after")), "{:?}", refused.header("retry-after"));
    assert!((4..=6).contains(&seconds("ratelimit-reset")));
    assert_eq!(refused.header("ratelimit-remaining").as_deref(), Some("0"));
    // A refused write writes nothing.
    let refused = app.post("/v1/persons", json!({"display_name": "Nina"})).await;
    refused.assert_problem(429);

    // Health and readiness take no key and are never limited.
    for _ in 0..5 {
        assert_eq!(app.call(Method::GET, "/healthz", None, &[], None).await.status, 200);
        assert_eq!(app.call(Method::GET, "/readyz", None, &[], None).await.status, 200);
    }
    // Each key has its own bucket.
    let other = app.key_with(&[Scope::Read]);
    let response = app.call(Method::GET, "/v1/persons", Some(&other), &[], None).await;
    assert_eq!(response.status, 200, "{}", response.body);
    assert_eq!(response.body["items"], json!([]), "the refused write left nothing");

    // Back to the instance's default (unlimited here): no limit, no headers.
    app.db.write(|c| api_keys::set_rate_limit(c, app.tenant_id, None)).unwrap();
    let response = app.get("/v1/persons").await;
    assert_eq!(response.status, 200, "{}", response.body);
    assert_eq!(response.header("ratelimit-limit"), None);
}

async fn an_idempotent_post_spends_one_request(app: &TestApp) {
    limit(app, 0.1, 5);
    let body = json!({"display_name": "Nina"});
    let headers = [("Idempotency-Key", "import-1")];
    let first = app.call(Method::POST, "/v1/persons", Some(&app.key), &headers, Some(&body)).await;
    assert_eq!(first.status, 201, "{}", first.body);
    assert_eq!(first.header("ratelimit-remaining").as_deref(), Some("4"));
    let replay = app.call(Method::POST, "/v1/persons", Some(&app.key), &headers, Some(&body)).await;
    assert_eq!(replay.status, 201, "{}", replay.body);
    assert_eq!(replay.header("ratelimit-remaining").as_deref(), Some("3"));
}
