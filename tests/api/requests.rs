//! Authentication, scopes, content negotiation, limits and optimistic concurrency.

use awc::http::Method;
use jobcraft::domain::api_key::Scope;
use serde_json::json;

use crate::harness::{on_both_backends, TestApp};

on_both_backends!(
    requests_without_a_valid_key_are_401,
    a_revoked_key_is_refused,
    a_read_key_cannot_write_and_a_write_key_cannot_read,
    a_key_that_may_not_read_is_refused_before_its_list_parameters_are_read,
    malformed_json_is_a_400_with_a_pointer,
    a_body_that_is_not_json_is_a_415,
    an_oversized_body_is_a_413,
    a_stale_if_match_is_a_412_and_changes_nothing,
    unknown_routes_and_ids_are_problem_404s,
    health_and_docs_need_no_key,
    every_answer_carries_the_request_id_and_a_problem_quotes_it,
);

async fn every_answer_carries_the_request_id_and_a_problem_quotes_it(app: &TestApp) {
    let key = app.key.clone();
    let given = app
        .call(Method::GET, "/v1/persons", Some(&key), &[("X-Request-Id", "crm-7:a/1")], None)
        .await;
    assert_eq!(given.header("x-request-id").as_deref(), Some("crm-7:a/1"));
    // None given, or one that is not usable: a new one each time.
    let first = app.get("/v1/persons").await.header("x-request-id").unwrap();
    let second = app.get("/v1/persons").await.header("x-request-id").unwrap();
    assert!(!first.is_empty() && first != second);
    let unusable = "has spaces in it";
    let replaced =
        app.call(Method::GET, "/v1/persons", Some(&key), &[("X-Request-Id", unusable)], None).await;
    assert_ne!(replaced.header("x-request-id").as_deref(), Some(unusable));
    // A problem names the request it answers, as does an unauthenticated one.
    let missing = app
        .call(
            Method::GET,
            "/v1/persons/0190f0c4-0000-7000-8000-000000000000",
            Some(&key),
            &[("X-Request-Id", "lost-1")],
            None,
        )
        .await;
    missing.assert_problem(404);
    assert_eq!(missing.body["request_id"], "lost-1");
    let refused =
        app.call(Method::GET, "/v1/persons", None, &[("X-Request-Id", "nokey-1")], None).await;
    refused.assert_problem(401);
    assert_eq!(refused.body["request_id"], "nokey-1");
    assert_eq!(refused.header("x-request-id").as_deref(), Some("nokey-1"));
}

async fn requests_without_a_valid_key_are_401(app: &TestApp) {
    for key in [None, Some("nope"), Some("jc_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")] {
        let response = app.call(Method::GET, "/v1/persons", key, &[], None).await;
        response.assert_problem(401);
        assert_eq!(response.header("www-authenticate").as_deref(), Some("Bearer"));
    }
}

async fn a_revoked_key_is_refused(app: &TestApp) {
    let key = app.key_with(&[Scope::Read]);
    assert_eq!(app.call(Method::GET, "/v1/persons", Some(&key), &[], None).await.status, 200);
    let presented = jobcraft::domain::api_key::PresentedKey::parse(&key).unwrap();
    app.db.write(|c| jobcraft::store::api_keys::revoke_key(c, presented.key_id)).unwrap();
    app.call(Method::GET, "/v1/persons", Some(&key), &[], None).await.assert_problem(401);
}

async fn a_read_key_cannot_write_and_a_write_key_cannot_read(app: &TestApp) {
    let reader = app.key_with(&[Scope::Read]);
    let body = json!({"display_name": "Ada"});
    let refused = app.call(Method::POST, "/v1/persons", Some(&reader), &[], Some(&body)).await;
    refused.assert_problem(403);
    assert!(app.all("/v1/persons").await.is_empty());
    let writer = app.key_with(&[Scope::Write]);
    let created = app.call(Method::POST, "/v1/persons", Some(&writer), &[], Some(&body)).await;
    assert_eq!(created.status, 201);
    app.call(Method::GET, "/v1/persons", Some(&writer), &[], None).await.assert_problem(403);
}

async fn a_key_that_may_not_read_is_refused_before_its_list_parameters_are_read(app: &TestApp) {
    let writer = app.key_with(&[Scope::Write]);
    for collection in [
        "/v1/organizations",
        "/v1/persons",
        "/v1/posts",
        "/v1/tenures",
        "/v1/relationships",
        "/v1/coverage",
    ] {
        let path = format!("{collection}?limit=501");
        app.call(Method::GET, &path, Some(&writer), &[], None).await.assert_problem(403);
    }
}

async fn malformed_json_is_a_400_with_a_pointer(app: &TestApp) {
    let broken =
        app.send_raw(Method::POST, "/v1/persons", "application/json", "{\"display_name\": ").await;
    broken.assert_problem(400);
    let wrong_type = app.post("/v1/persons", json!({"display_name": 42})).await;
    wrong_type.assert_problem(400);
    assert_eq!(wrong_type.pointers(), vec!["/display_name"]);
    let unknown = app.post("/v1/persons", json!({"display_name": "Ada", "shoe_size": 42})).await;
    unknown.assert_problem(400);
    assert_eq!(unknown.pointers(), vec!["/shoe_size"]);
    let missing = app.post("/v1/persons", json!({})).await;
    missing.assert_problem(400);
    assert_eq!(missing.pointers(), vec!["/display_name"]);
    let bad_query = app.get("/v1/persons?limit=many").await;
    bad_query.assert_problem(400);
    assert_eq!(bad_query.pointers(), vec!["limit"]);
    let out_of_range = app.get("/v1/persons?limit=501").await;
    out_of_range.assert_problem(422);
    assert_eq!(out_of_range.pointers(), vec!["limit"]);
    app.get("/v1/persons?cursor=bogus").await.assert_problem(400);
    assert!(app.all("/v1/persons").await.is_empty());
}

async fn a_body_that_is_not_json_is_a_415(app: &TestApp) {
    app.send_raw(Method::POST, "/v1/persons", "text/plain", "display_name=Ada")
        .await
        .assert_problem(415);
}

async fn an_oversized_body_is_a_413(app: &TestApp) {
    // The test server accepts 64 KiB.
    let notes = "x".repeat(70 * 1024);
    let response = app.post("/v1/persons", json!({"display_name": "Ada", "notes": notes})).await;
    response.assert_problem(413);
}

async fn a_stale_if_match_is_a_412_and_changes_nothing(app: &TestApp) {
    let id = app.create("/v1/persons", json!({"display_name": "Ada"})).await;
    let path = format!("/v1/persons/{id}");
    let body = json!({"display_name": "Ada King"});
    let updated =
        app.call(Method::PUT, &path, Some(&app.key), &[("if-match", "\"1\"")], Some(&body)).await;
    assert_eq!(updated.status, 200);
    assert_eq!(updated.header("etag").as_deref(), Some("\"2\""));
    let stale = json!({"display_name": "Lost update"});
    for method in [Method::PUT, Method::PATCH] {
        let response =
            app.call(method, &path, Some(&app.key), &[("if-match", "\"1\"")], Some(&stale)).await;
        response.assert_problem(412);
    }
    app.call(Method::DELETE, &path, Some(&app.key), &[("if-match", "\"1\"")], None)
        .await
        .assert_problem(412);
    assert_eq!(app.get(&path).await.body["display_name"], "Ada King");
    let any = app
        .call(
            Method::PATCH,
            &path,
            Some(&app.key),
            &[("if-match", "*")],
            Some(&json!({"notes": "ok"})),
        )
        .await;
    assert_eq!(any.status, 200);
}

async fn unknown_routes_and_ids_are_problem_404s(app: &TestApp) {
    app.get("/v1/nothing-here").await.assert_problem(404);
    app.get("/v1/persons/not-a-uuid").await.assert_problem(404);
    app.get(&format!("/v1/persons/{}", uuid::Uuid::now_v7())).await.assert_problem(404);
}

async fn health_and_docs_need_no_key(app: &TestApp) {
    for path in ["/healthz", "/readyz", "/openapi.json"] {
        let response = app.call(Method::GET, path, None, &[], None).await;
        assert_eq!(response.status, 200, "{path}");
    }
    let docs = app.call(Method::GET, "/docs/", None, &[], None).await;
    assert_eq!(docs.status, 200);
    // The key given to "Authorize" survives a reload.
    let (status, _, script) =
        app.get_text(&format!("{}/docs/swagger-initializer.js", app.base)).await;
    assert_eq!(status, 200);
    assert!(script.contains("\"persistAuthorization\": true"), "{script}");
}

/// A preflight for `POST /v1/persons` from `origin`.
async fn preflight(base: &str, origin: &str) -> awc::ClientResponse<impl futures_util::Stream> {
    awc::Client::default()
        .request(Method::OPTIONS, format!("{base}/v1/persons"))
        .insert_header(("Origin", origin))
        .insert_header(("Access-Control-Request-Method", "POST"))
        .insert_header((
            "Access-Control-Request-Headers",
            "authorization,content-type,idempotency-key",
        ))
        .send()
        .await
        .unwrap()
}

fn header(response: &awc::ClientResponse<impl futures_util::Stream>, name: &str) -> String {
    response.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_lowercase()
}

/// The test servers allow `https://crm.example` (`--cors-origin`); the binary, by default, no
/// origin at all.
#[actix_web::test]
async fn cors_answers_the_allowed_origins_and_is_off_by_default() {
    let app = TestApp::sqlite().await;
    let allowed = preflight(&app.base, "https://crm.example").await;
    assert!(allowed.status().is_success(), "{}", allowed.status());
    assert_eq!(header(&allowed, "access-control-allow-origin"), "https://crm.example");
    assert!(header(&allowed, "access-control-allow-headers").contains("idempotency-key"));
    assert!(header(&allowed, "access-control-allow-methods").contains("post"));
    assert_eq!(header(&allowed, "access-control-max-age"), "3600");
    let read = awc::Client::default()
        .get(format!("{}/v1/persons", app.base))
        .insert_header(("Origin", "https://crm.example"))
        .insert_header(("Authorization", format!("Bearer {}", app.key)))
        .send()
        .await
        .unwrap();
    assert_eq!(read.status(), 200);
    assert_eq!(header(&read, "access-control-allow-origin"), "https://crm.example");
    assert!(header(&read, "access-control-expose-headers").contains("etag"));

    // Another origin gets no CORS headers, so its browser keeps the answer from it.
    let other = preflight(&app.base, "https://evil.example").await;
    assert_eq!(header(&other, "access-control-allow-origin"), "");
    let service = crate::faults::start_with(&app, &[]).await;
    let off = preflight(&service.base, "https://crm.example").await;
    assert_eq!(header(&off, "access-control-allow-origin"), "", "off unless origins are given");
    drop(service);
    app.stop().await;
}
