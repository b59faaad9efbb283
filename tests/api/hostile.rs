//! Hostile input (issue #14, items 7–11): every refusal is a problem naming the field, the
//! same on both backends, and nothing is stored.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use actix_web::http::Method;
use diesel::RunQueryDsl;
use serde_json::json;

use crate::harness::{on_both_backends, TestApp};

on_both_backends!(
    dates_outside_the_years_1900_to_9999_are_refused_naming_the_field,
    dates_stored_before_the_range_was_enforced_do_not_break_reads,
    nul_and_control_characters_are_refused_naming_the_field,
    an_undeclared_method_on_a_known_path_is_a_405_with_allow,
    the_bearer_scheme_is_case_insensitive,
    a_body_that_never_arrives_is_cut_off,
    duplicate_keys_are_refused_at_any_depth,
    a_body_must_be_the_object_its_schema_says,
    a_cursor_the_feed_did_not_hand_out_is_refused,
);

/// A post with a predecessor and a successor: the succession reads have something to read.
async fn succession(app: &TestApp) -> (String, String) {
    let org = app.create("/v1/organizations", json!({"name": "Acme", "kind": "client"})).await;
    let post = app.create("/v1/posts", json!({"organization_id": org, "title": "CPO"})).await;
    let olga = app.create("/v1/persons", json!({"display_name": "Olga"})).await;
    let nina = app.create("/v1/persons", json!({"display_name": "Nina"})).await;
    let first = app
        .create(
            "/v1/tenures",
            json!({"person_id": olga, "post_id": post, "started_on": "2020-01-01", "ended_on": "2026-03-01"}),
        )
        .await;
    app.create(
        "/v1/tenures",
        json!({"person_id": nina, "post_id": post, "started_on": "2026-03-01"}),
    )
    .await;
    (post, first)
}

async fn dates_outside_the_years_1900_to_9999_are_refused_naming_the_field(app: &TestApp) {
    let (post, tenure) = succession(app).await;
    let far = "%2B262142-12-31";
    for (path, name) in [
        (format!("/v1/posts/{post}/succession?known_at={far}"), "known_at"),
        (format!("/v1/tenures/{tenure}/crafting?as_of={far}"), "as_of"),
        (format!("/v1/tenures/{tenure}/crafting?known_at=1899-12-31T23:59:59Z"), "known_at"),
        (format!("/v1/tenures/{tenure}/diff?as_of={far}"), "as_of"),
        (format!("/v1/tenures/{tenure}/diff?from={far}&to=2026-01-01"), "from"),
        (format!("/v1/diffs?kind=succession&since={far}"), "since"),
        ("/v1/diffs?kind=succession&until=10000-01-01".to_owned(), "until"),
        (format!("/v1/posts/{post}/tenures?as_of=-262143-01-01"), "as_of"),
    ] {
        let response = app.get(&path).await;
        response.assert_problem(400);
        assert_eq!(response.pointers(), vec![name], "{path}: {}", response.body);
    }
    let person = app.create("/v1/persons", json!({"display_name": "Ivo"})).await;
    for (body, pointer) in [
        (
            json!({"person_id": person, "post_id": post, "started_on": "-262143-01-01"}),
            "/started_on",
        ),
        (json!({"person_id": person, "post_id": post, "started_on": "1899-12-31"}), "/started_on"),
        (
            json!({"person_id": person, "post_id": post, "started_on": "2000-01-01", "ended_on": "+262142-12-31"}),
            "/ended_on",
        ),
    ] {
        let response = app.post("/v1/tenures", body).await;
        response.assert_problem(400);
        assert_eq!(response.pointers(), vec![pointer], "{}", response.body);
    }
    let batch = json!({"mode": "atomic", "operations": [
        {"op": "upsert", "entity": "persons", "source": "crm", "external_id": "1",
         "body": {"display_name": "Ada"}},
        {"op": "upsert", "entity": "posts", "source": "crm", "external_id": "2",
         "body": {"organization_id": app.get(&format!("/v1/posts/{post}")).await.body["organization_id"],
                  "title": "CFO", "established_on": "0001-01-01"}}
    ]});
    let response = app.post("/v1/sync/batch", batch).await;
    assert!(
        response.pointers().contains(&"/operations/1/body/established_on".to_owned()),
        "{}",
        response.body
    );
    // The edges of the range are dates like any other.
    app.create("/v1/tenures", json!({"person_id": person, "post_id": post, "started_on": "1900-01-01", "ended_on": "1900-01-02"}))
        .await;
    assert_eq!(
        app.get(&format!("/v1/tenures/{tenure}/crafting?as_of=9999-12-31")).await.status,
        200
    );
    assert_eq!(app.get(&format!("/v1/posts/{post}/succession")).await.status, 200);
    assert_eq!(app.get("/v1/diffs?kind=succession").await.status, 200);
}

async fn dates_stored_before_the_range_was_enforced_do_not_break_reads(app: &TestApp) {
    let (post, tenure) = succession(app).await;
    // The earliest date each backend holds (SQLite keeps chrono's own limit as text).
    let start = if app.url.starts_with("postgres") { "4713-01-01 BC" } else { "-262143-01-01" };
    app.db
        .write(|c| {
            // Every tenure of the post: the successor's start is the handover day, from which
            // the instant before is taken.
            diesel::sql_query(format!("UPDATE tenures SET started_on = '{start}'"))
                .execute(c)
                .map_err(jobcraft::error::Error::from)
        })
        .expect("stored");
    for path in [
        format!("/v1/posts/{post}/succession"),
        "/v1/diffs?kind=succession".to_owned(),
        "/v1/diffs?kind=formal".to_owned(),
        format!("/v1/tenures/{tenure}/diff"),
        format!("/v1/tenures/{tenure}/crafting"),
    ] {
        let response = app.get(&path).await;
        assert_eq!(response.status, 200, "{path}: {}", response.body);
    }
}

async fn nul_and_control_characters_are_refused_naming_the_field(app: &TestApp) {
    let response = app.get("/v1/changes?exclude_origin=%00").await;
    response.assert_problem(422);
    assert_eq!(response.pointers(), vec!["exclude_origin"]);
    app.get("/v1/changes?exclude_origin=crm%07").await.assert_problem(422);
    let person = app.create("/v1/persons", json!({"display_name": "Ada"})).await;
    for (method, path, body, pointer) in [
        (
            Method::POST,
            "/v1/webhooks".to_owned(),
            json!({"url": "http://example.com/\u{0}"}),
            "/url",
        ),
        (
            Method::POST,
            "/v1/webhooks".to_owned(),
            json!({"url": "http://example.com/\u{7}"}),
            "/url",
        ),
        (
            Method::POST,
            "/v1/webhooks".to_owned(),
            json!({"url": "http://example.com/", "secret": "0123456789abcdef\u{0}"}),
            "/secret",
        ),
        (
            Method::POST,
            "/v1/webhooks".to_owned(),
            json!({"url": "http://example.com/", "secret": "0123456789abcdef\u{1b}"}),
            "/secret",
        ),
        (
            Method::POST,
            "/v1/persons".to_owned(),
            json!({"display_name": "A\u{0}"}),
            "/display_name",
        ),
        (
            Method::POST,
            "/v1/persons".to_owned(),
            json!({"display_name": "A\u{7}"}),
            "/display_name",
        ),
        (
            Method::POST,
            "/v1/persons".to_owned(),
            json!({"display_name": "A", "emails": ["a\u{0}@example.com"]}),
            "/emails/0",
        ),
        (
            Method::PATCH,
            format!("/v1/persons/{person}"),
            json!({"display_name": "\u{0}"}),
            "/display_name",
        ),
        (
            Method::POST,
            "/v1/sync/batch".to_owned(),
            json!({"operations": [{"op": "upsert", "entity": "persons", "source": "crm",
                                   "external_id": "1", "body": {"display_name": "x\u{0}"}}]}),
            "/operations/0/body/display_name",
        ),
    ] {
        let response = app.call(method, &path, Some(&app.key), &[], Some(&body)).await;
        response.assert_problem(422);
        assert_eq!(response.pointers(), vec![pointer], "{path} {body}: {}", response.body);
    }
    // Names and single-line fields take no tab or line break either; notes do.
    for (body, pointer) in [
        (json!({"display_name": "Ada\nLovelace"}), "/display_name"),
        (json!({"display_name": "Ada", "phone": "+49\t30"}), "/phone"),
    ] {
        let response = app.post("/v1/persons", body).await;
        response.assert_problem(422);
        assert_eq!(response.pointers(), vec![pointer], "{}", response.body);
    }
    let org = app
        .post(
            "/v1/organizations",
            json!({"name": "Acme", "kind": "client", "profile": {"industry": "in\u{1b}[31msurance"}}),
        )
        .await;
    org.assert_problem(422);
    assert_eq!(org.pointers(), vec!["/profile/industry"]);
    app.create("/v1/persons", json!({"display_name": "Bo", "notes": "met twice:\r\n\tcall"})).await;
    assert!(app.all("/v1/webhooks").await.is_empty());
    assert!(app.all("/v1/organizations").await.is_empty());
    assert_eq!(app.all("/v1/persons").await.len(), 2);
}

async fn an_undeclared_method_on_a_known_path_is_a_405_with_allow(app: &TestApp) {
    let response = app.delete("/v1/organizations").await;
    response.assert_problem(405);
    assert_eq!(response.header("allow").as_deref(), Some("GET, POST"));
    let org = app.create("/v1/organizations", json!({"name": "Acme", "kind": "client"})).await;
    let response = app.post(&format!("/v1/organizations/{org}"), json!({})).await;
    response.assert_problem(405);
    let allow = response.header("allow").unwrap();
    assert!(allow.contains("GET") && allow.contains("PATCH") && !allow.contains("POST"), "{allow}");
    // An unknown path is still a 404, and declared methods still work.
    app.delete("/v1/planets").await.assert_problem(404);
    assert_eq!(app.get(&format!("/v1/organizations/{org}")).await.status, 200);
}

async fn the_bearer_scheme_is_case_insensitive(app: &TestApp) {
    for scheme in ["bearer", "BEARER", "Bearer", "bEaReR"] {
        let value = format!("{scheme} {}", app.key);
        let response =
            app.call(Method::GET, "/v1/persons", None, &[("Authorization", &value)], None).await;
        assert_eq!(response.status, 200, "{scheme}: {}", response.body);
    }
    let basic = format!("Basic {}", app.key);
    app.call(Method::GET, "/v1/persons", None, &[("Authorization", &basic)], None)
        .await
        .assert_problem(401);
}

/// Sends `head`, then `body` a byte every `pause`, and reads the answer.
async fn dribble(app: &TestApp, head: String, body: &'static [u8], pause: Duration) -> String {
    let address = app.base.trim_start_matches("http://").to_owned();
    actix_web::rt::task::spawn_blocking(move || {
        let mut stream = TcpStream::connect(address).expect("connect");
        stream.set_read_timeout(Some(Duration::from_secs(10))).expect("timeout");
        stream.write_all(head.as_bytes()).expect("write");
        for byte in body {
            std::thread::sleep(pause);
            if stream.write_all(&[*byte]).is_err() {
                break;
            }
        }
        let mut answer = String::new();
        let _ = stream.read_to_string(&mut answer);
        answer
    })
    .await
    .expect("joined")
}

async fn a_body_that_never_arrives_is_cut_off(app: &TestApp) {
    let head = |length: usize| {
        format!(
            "POST /v1/persons HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\n\
             Content-Type: application/json\r\nContent-Length: {length}\r\n\r\n",
            app.key
        )
    };
    // Promised, never sent.
    let started = Instant::now();
    let answer = dribble(app, head(100), b"{\"display", Duration::ZERO).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer:?}");
    assert!(answer.contains("application/problem+json"), "{answer:?}");
    assert!(started.elapsed() < Duration::from_secs(4), "cut off after the 1.5 s client timeout");
    // Dribbled: a byte every 100 ms would take 2.5 s.
    let started = Instant::now();
    let body = b"{\"display_name\": \"Slow\"}";
    let answer = dribble(app, head(body.len()), body, Duration::from_millis(100)).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer:?}");
    assert!(started.elapsed() < Duration::from_secs(4));
    assert!(app.all("/v1/persons").await.is_empty());
}

async fn duplicate_keys_are_refused_at_any_depth(app: &TestApp) {
    let person = app.create("/v1/persons", json!({"display_name": "Ada"})).await;
    for (method, path, body, pointer) in [
        (
            Method::POST,
            "/v1/persons".to_owned(),
            r#"{"display_name": "A", "display_name": "B"}"#,
            "/display_name",
        ),
        (
            Method::PATCH,
            format!("/v1/persons/{person}"),
            r#"{"display_name": "A", "display_name": "B"}"#,
            "/display_name",
        ),
        (
            Method::POST,
            "/v1/organizations".to_owned(),
            r#"{"name": "Acme", "kind": "client", "profile": {"industry": "a", "industry": "b"}}"#,
            "/profile/industry",
        ),
        (
            Method::PUT,
            "/v1/sync/persons/crm/1".to_owned(),
            r#"{"display_name": "A", "display_name": "B"}"#,
            "/display_name",
        ),
        (
            Method::POST,
            "/v1/sync/batch".to_owned(),
            r#"{"operations": [{"op": "upsert", "entity": "persons", "source": "crm",
                "external_id": "1", "body": {"display_name": "A", "display_name": "B"}}]}"#,
            "/operations/0/body/display_name",
        ),
    ] {
        let response = app.send_raw(method, &path, "application/json", body).await;
        response.assert_problem(400);
        assert_eq!(response.pointers(), vec![pointer], "{path}: {}", response.body);
    }
    assert_eq!(app.get(&format!("/v1/persons/{person}")).await.body["display_name"], "Ada");
    assert!(app.all("/v1/organizations").await.is_empty());
    assert_eq!(app.all("/v1/persons").await.len(), 1);
}

async fn a_body_must_be_the_object_its_schema_says(app: &TestApp) {
    let before = app.get("/v1/settings/coverage").await.body;
    for body in ["[1,2]", "[]", "\"x\"", "1", "null"] {
        let response =
            app.send_raw(Method::PUT, "/v1/settings/coverage", "application/json", body).await;
        response.assert_problem(400);
        assert_eq!(response.pointers(), vec![""], "{body}: {}", response.body);
    }
    app.send_raw(Method::POST, "/v1/persons", "application/json", r#"["Ada"]"#)
        .await
        .assert_problem(400);
    assert_eq!(app.get("/v1/settings/coverage").await.body, before, "nothing was set");
    // At any depth: serde would read a struct from the array of its fields.
    let nested = app
        .post("/v1/organizations", json!({"name": "Acme", "kind": "client", "profile": ["sme"]}))
        .await;
    nested.assert_problem(400);
    assert_eq!(nested.pointers(), vec!["/profile"], "{}", nested.body);
    let id = app.create("/v1/organizations", json!({"name": "Acme", "kind": "client"})).await;
    let patched = app
        .call(
            Method::PATCH,
            &format!("/v1/organizations/{id}"),
            Some(&app.key),
            &[("Content-Type", "application/merge-patch+json")],
            Some(&json!({"profile": ["sme"]})),
        )
        .await;
    patched.assert_problem(400);
    assert_eq!(patched.pointers(), vec!["/profile"], "{}", patched.body);
    let batch = app
        .post(
            "/v1/sync/batch",
            json!({"operations": [{"op": "upsert", "entity": "organizations", "source": "crm",
                   "external_id": "o1", "body": {"name": "Globex", "kind": "client",
                   "profile": ["sme"]}}]}),
        )
        .await;
    assert_eq!(batch.status, 400, "{}", batch.body);
    assert_eq!(batch.pointers(), vec!["/operations/0/body/profile"], "{}", batch.body);
    assert_eq!(app.all("/v1/organizations").await.len(), 1, "nothing else was written");
}

async fn a_cursor_the_feed_did_not_hand_out_is_refused(app: &TestApp) {
    for name in ["Ada", "Bo", "Cy"] {
        app.create("/v1/persons", json!({"display_name": name})).await;
    }
    let page = app.get("/v1/changes?limit=2").await;
    let cursor = page.body["next_cursor"].as_str().unwrap().to_owned();
    let rest = app.get(&format!("/v1/changes?after={cursor}")).await;
    assert_eq!(rest.body["items"].as_array().unwrap().len(), 1, "the cursor itself works");
    let other = app.other_tenant("other");
    let theirs = app.call(Method::GET, "/v1/changes", Some(&other), &[], None).await.body
        ["next_cursor"]
        .as_str()
        .unwrap()
        .to_owned();
    let ahead = jobcraft::api::changes::encode(app.tenant_id, 1_000);
    let old_style = base64_url("change:1");
    for bad in [
        &cursor[..cursor.len() - 1],
        &cursor[..cursor.len() / 2],
        theirs.as_str(),
        ahead.as_str(),
        old_style.as_str(),
    ] {
        let response = app.get(&format!("/v1/changes?after={bad}")).await;
        response.assert_problem(400);
        assert_eq!(response.pointers(), vec!["after"], "{bad}: {}", response.body);
    }
    // The newest position is one the feed hands out (as `latest`).
    let latest = app.get("/v1/changes?after=latest").await.body["next_cursor"].clone();
    let from_latest = app.get(&format!("/v1/changes?after={}", latest.as_str().unwrap())).await;
    assert_eq!(from_latest.status, 200);
}

fn base64_url(text: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text)
}

/// Servers built with the default webhook guard (the harness's own allow private receivers).
mod guarded {
    use serde_json::json;

    use crate::harness::{on_both_backends_built_by, TestApp};

    on_both_backends_built_by!(sqlite_guarding_webhooks, postgres_guarding_webhooks:
        private_receivers_are_refused_in_any_spelling_when_subscribing_and_when_delivering,
    );

    async fn private_receivers_are_refused_in_any_spelling_when_subscribing_and_when_delivering(
        app: &TestApp,
    ) {
        let (base, log) = crate::webhooks::receiver().await;
        for url in [
            "http://[::ffff:169.254.169.254]/",
            "http://2852039166/",
            "http://0xa9fea9fe/",
            "http://0251.0376.0251.0376/",
            "http://169.254.169.254./",
            "http://[fd00:ec2::254]/",
            "http://10.0.0.1/",
            "http://[::1]/",
            &format!("{base}/hook"),
        ] {
            let response = app.post("/v1/webhooks", json!({"url": url})).await;
            response.assert_problem(422);
            assert_eq!(response.pointers(), vec!["/url"], "{url}: {}", response.body);
        }
        // A name is checked on delivery, against what it resolves to then.
        let port = base.rsplit(':').next().unwrap();
        let hook =
            app.post("/v1/webhooks", json!({"url": format!("http://localhost:{port}/hook")})).await;
        assert_eq!(hook.status, 201, "{}", hook.body);
        app.create("/v1/persons", json!({"display_name": "Nina"})).await;
        let id = hook.body["id"].as_str().unwrap();
        let deliveries = format!("/v1/webhooks/{id}/deliveries");
        let mut attempts = Vec::new();
        for _ in 0..100 {
            attempts = app.all(&deliveries).await;
            if !attempts.is_empty() {
                break;
            }
            actix_web::rt::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert!(!attempts.is_empty(), "no attempt recorded");
        let error = attempts[0]["error"].as_str().unwrap_or_default();
        assert!(error.starts_with("refused"), "{:?}", attempts[0]);
        assert_ne!(attempts[0]["outcome"], "delivered");
        assert!(log.lock().unwrap().is_empty(), "the receiver was reached");
    }
}
