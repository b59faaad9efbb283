//! Promises under many writers at once, a SIGKILL inside the commit window, a database that
//! goes away mid-request, and a SQLite file another process holds.

use std::time::{Duration, Instant};

use awc::http::Method;
use futures_util::future::join_all;
use serde_json::{json, Value};

use crate::faults::start_with;
use crate::harness::{on_both_backends, Response, TestApp};

on_both_backends!(
    eight_patches_with_the_same_if_match_make_one_200_and_seven_412,
    concurrent_patches_without_if_match_all_land_in_order,
    concurrent_merge_patches_of_different_fields_keep_every_field,
    concurrent_deletes_with_the_same_if_match_delete_once,
    concurrent_upserts_of_one_external_id_create_once_and_serialise,
    concurrent_batches_of_the_same_keys_all_commit,
    concurrent_settings_saves_with_the_same_if_match_make_one_200,
    concurrent_crafting_revisions_are_all_kept,
    an_upsert_changing_only_external_ids_is_one_version_and_one_change,
    an_upsert_changing_body_and_external_ids_is_one_version_and_one_change,
    a_kill_before_the_commit_leaves_nothing_and_a_resend_runs_once,
    a_kill_after_the_commit_leaves_the_answer_and_a_resend_replays_it,
    two_instances_writing_one_row_at_once_keep_if_match_and_lose_nothing,
    concurrent_tenant_creates_of_one_name_make_one_tenant,
    moves_at_once_that_together_would_close_a_cycle_make_one_200_and_one_422,
);

const WRITERS: usize = 8;

async fn person(app: &TestApp) -> String {
    app.create("/v1/persons", json!({"display_name": "Nina"})).await
}

async fn patch(app: &TestApp, path: &str, if_match: Option<&str>, body: Value) -> Response {
    let mut headers = vec![("Content-Type", "application/merge-patch+json")];
    if let Some(tag) = if_match {
        headers.push(("If-Match", tag));
    }
    app.call(Method::PATCH, path, Some(&app.key), &headers, Some(&body)).await
}

/// The feed's changes of one entity, oldest first.
async fn changes_of(app: &TestApp, id: &str) -> Vec<Value> {
    let (mut changes, mut url) = (Vec::new(), "/v1/changes?limit=500".to_owned());
    loop {
        let page = app.get(&url).await.body;
        changes.extend(page["items"].as_array().unwrap().iter().filter(|c| c["id"] == id).cloned());
        if page["has_more"] != true {
            return changes;
        }
        url = format!("/v1/changes?limit=500&after={}", page["next_cursor"].as_str().unwrap());
    }
}

fn statuses(answers: &[Response]) -> Vec<u16> {
    let mut statuses: Vec<u16> = answers.iter().map(|a| a.status.as_u16()).collect();
    statuses.sort();
    statuses
}

async fn eight_patches_with_the_same_if_match_make_one_200_and_seven_412(app: &TestApp) {
    let id = person(app).await;
    let path = format!("/v1/persons/{id}");
    let answers = join_all(
        (0..WRITERS).map(|i| patch(app, &path, Some("\"1\""), json!({"notes": format!("n{i}")}))),
    )
    .await;
    let mut expected = vec![200];
    expected.extend([412; WRITERS - 1]);
    assert_eq!(
        statuses(&answers),
        expected,
        "{:?}",
        answers.iter().map(|a| &a.body).collect::<Vec<_>>()
    );
    let now = app.get(&path).await;
    assert_eq!(now.body["version"], 2);
    let updates = changes_of(app, &id).await;
    assert_eq!(updates.iter().filter(|c| c["operation"] == "update").count(), 1);
}

async fn concurrent_patches_without_if_match_all_land_in_order(app: &TestApp) {
    let id = person(app).await;
    let path = format!("/v1/persons/{id}");
    let answers =
        join_all((0..WRITERS).map(|i| patch(app, &path, None, json!({"notes": format!("n{i}")}))))
            .await;
    let mut versions: Vec<i64> = answers
        .iter()
        .map(|a| {
            assert_eq!(a.status, 200, "{}", a.body);
            a.body["version"].as_i64().unwrap()
        })
        .collect();
    versions.sort();
    assert_eq!(versions, (2..2 + WRITERS as i64).collect::<Vec<_>>(), "each write its own version");
    assert_eq!(app.get(&path).await.body["version"], 1 + WRITERS as i64);
    let updates = changes_of(app, &id).await;
    assert_eq!(updates.iter().filter(|c| c["operation"] == "update").count(), WRITERS);
}

/// Merge patches computed from the same version at once: each lands on the version before it,
/// so no field set by one is undone by another.
async fn concurrent_merge_patches_of_different_fields_keep_every_field(app: &TestApp) {
    let id = person(app).await;
    let path = format!("/v1/persons/{id}");
    let bodies = [
        json!({"notes": "likes sailing"}),
        json!({"phone": "+49 30 1234"}),
        json!({"emails": ["nina@acme.example"]}),
        json!({"display_name": "Nina Berg"}),
    ];
    for answer in join_all(bodies.iter().map(|b| patch(app, &path, None, b.clone()))).await {
        assert_eq!(answer.status, 200, "{}", answer.body);
    }
    let now = app.get(&path).await.body;
    assert_eq!(now["notes"], "likes sailing");
    assert_eq!(now["phone"], "+49 30 1234");
    assert_eq!(now["emails"], json!(["nina@acme.example"]));
    assert_eq!(now["display_name"], "Nina Berg");
    assert_eq!(now["version"], 5);
}

async fn concurrent_deletes_with_the_same_if_match_delete_once(app: &TestApp) {
    let id = person(app).await;
    let path = format!("/v1/persons/{id}");
    let updater = patch(app, &path, None, json!({"notes": "changed first"}));
    let deleters =
        join_all((0..WRITERS).map(|_| {
            app.call(Method::DELETE, &path, Some(&app.key), &[("If-Match", "\"1\"")], None)
        }));
    let (updated, deleted) = futures_util::future::join(updater, deleters).await;
    let deleted_once = deleted.iter().filter(|d| d.status == 204).count();
    assert!(deleted_once <= 1, "{:?}", statuses(&deleted));
    for refused in deleted.iter().filter(|d| d.status != 204) {
        assert!([404, 412].contains(&refused.status.as_u16()), "{}", refused.body);
    }
    let tombstones = changes_of(app, &id).await;
    let deletes = tombstones.iter().filter(|c| c["operation"] == "delete").count();
    assert_eq!(deletes, deleted_once);
    if deleted_once == 1 {
        // A delete at version 1 won: the update did not land on a version nobody checked.
        assert_eq!(app.get(&path).await.status, 404);
        assert!(updated.status == 404 || tombstones.iter().all(|c| c["operation"] != "update"));
    } else {
        assert_eq!(updated.status, 200, "the update came first: {}", updated.body);
    }
}

async fn concurrent_upserts_of_one_external_id_create_once_and_serialise(app: &TestApp) {
    let path = "/v1/sync/persons/crm/x1";
    let answers =
        join_all((0..WRITERS).map(|i| app.put(path, json!({"display_name": format!("Nina {i}")}))))
            .await;
    let mut expected = vec![200; WRITERS - 1];
    expected.push(201);
    assert_eq!(
        statuses(&answers),
        expected,
        "{:?}",
        answers.iter().map(|a| &a.body).collect::<Vec<_>>()
    );
    let persons = app.all("/v1/persons").await;
    assert_eq!(persons.len(), 1);
    let id = persons[0]["id"].as_str().unwrap();
    let mut versions: Vec<i64> =
        answers.iter().map(|a| a.body["version"].as_i64().unwrap()).collect();
    versions.sort();
    versions.dedup();
    assert_eq!(versions.len(), WRITERS, "every upsert wrote a version of its own");
    let changes = changes_of(app, id).await;
    assert_eq!(changes.len(), WRITERS, "one create and one change per committed version");
}

async fn concurrent_batches_of_the_same_keys_all_commit(app: &TestApp) {
    let batch = |n: usize| {
        let operations: Vec<Value> = (0..10)
            .map(|i| {
                json!({"op": "upsert", "entity": "persons", "source": "crm",
                       "external_id": format!("p{i}"), "body": {"display_name": format!("P{i} by {n}")}})
            })
            .collect();
        json!({"operations": operations})
    };
    let answers = join_all((0..WRITERS).map(|n| app.post("/v1/sync/batch", batch(n)))).await;
    for answer in &answers {
        assert_eq!(answer.status, 200, "{}", answer.body);
    }
    assert_eq!(app.all("/v1/persons").await.len(), 10);
    let created = answers
        .iter()
        .flat_map(|a| a.body["results"].as_array().unwrap().clone())
        .filter(|r| r["status"] == 201)
        .count();
    assert_eq!(created, 10, "each key created once");
}

async fn concurrent_settings_saves_with_the_same_if_match_make_one_200(app: &TestApp) {
    let first = app.put("/v1/settings/coverage", json!({"interaction_half_life_days": 30})).await;
    assert_eq!(first.status, 200, "{}", first.body);
    let tag = first.header("etag").unwrap();
    let answers = join_all((0..WRITERS).map(|i| {
        let body = json!({"interaction_half_life_days": 40 + i});
        let tag = tag.clone();
        async move {
            app.call(
                Method::PUT,
                "/v1/settings/coverage",
                Some(&app.key),
                &[("If-Match", &tag)],
                Some(&body),
            )
            .await
        }
    }))
    .await;
    let mut expected = vec![200];
    expected.extend([412; WRITERS - 1]);
    assert_eq!(statuses(&answers), expected);
}

async fn concurrent_crafting_revisions_are_all_kept(app: &TestApp) {
    let org = app.create("/v1/organizations", json!({"name": "Acme", "kind": "client"})).await;
    let post = app
        .create("/v1/posts", json!({"organization_id": org, "title": "Head of Procurement"}))
        .await;
    let nina = person(app).await;
    let tenure = app
        .create(
            "/v1/tenures",
            json!({"person_id": nina, "post_id": post, "started_on": "2026-01-01"}),
        )
        .await;
    let path = format!("/v1/tenures/{tenure}/crafting");
    let answers = join_all((0..WRITERS).map(|i| {
        app.post(
            &path,
            json!({"facets": [{"dimension": "priority", "key": "cost_reduction", "weight": 0.1 * i as f64}]}),
        )
    }))
    .await;
    for answer in &answers {
        assert_eq!(answer.status, 201, "{}", answer.body);
    }
    let revisions = app.all(&format!("{path}/revisions")).await;
    assert_eq!(revisions.len(), WRITERS);
}

async fn an_upsert_changing_only_external_ids_is_one_version_and_one_change(app: &TestApp) {
    let path = "/v1/sync/persons/crm/x1";
    let created = app.put(path, json!({"display_name": "Nina"})).await;
    assert_eq!(created.status, 201);
    let id = created.id();
    let moved = app
        .put(
            path,
            json!({"display_name": "Nina", "external_refs": [
                {"source": "crm", "external_id": "x1"}, {"source": "erp", "external_id": "e1"}]}),
        )
        .await;
    assert_eq!(moved.status, 200, "{}", moved.body);
    assert_eq!(moved.body["version"], 2, "a change of external ids is a new version");
    assert_eq!(moved.header("etag").as_deref(), Some("\"2\""));
    let changes = changes_of(app, &id).await;
    assert_eq!(changes.len(), 2, "{changes:?}");
    assert_eq!(changes[1]["external_refs"].as_array().unwrap().len(), 2);
    // The same again changes nothing.
    let again = app
        .put(
            path,
            json!({"display_name": "Nina", "external_refs": [
                {"source": "crm", "external_id": "x1"}, {"source": "erp", "external_id": "e1"}]}),
        )
        .await;
    assert_eq!(again.body["version"], 2);
    assert_eq!(changes_of(app, &id).await.len(), 2);
}

async fn an_upsert_changing_body_and_external_ids_is_one_version_and_one_change(app: &TestApp) {
    let path = "/v1/sync/persons/crm/x2";
    let id = app.put(path, json!({"display_name": "Olga"})).await.id();
    let both = app
        .put(
            path,
            json!({"display_name": "Olga Petrova", "external_refs": [
                {"source": "crm", "external_id": "x2"}, {"source": "erp", "external_id": "e2"}]}),
        )
        .await;
    assert_eq!(both.status, 200, "{}", both.body);
    assert_eq!(both.body["version"], 2);
    let changes = changes_of(app, &id).await;
    assert_eq!(changes.len(), 2, "one create, one update: {changes:?}");
}

/// Two server processes on one database (behind a load balancer): writers of one row spread
/// over both still get exactly one 200 for one `If-Match`, and lose nothing without it; the
/// same `Idempotency-Key` sent to both at once writes once.
async fn two_instances_writing_one_row_at_once_keep_if_match_and_lose_nothing(app: &TestApp) {
    let mut instances = [start_with(app, &[]).await, start_with(app, &[]).await];
    let client = awc::Client::builder().timeout(Duration::from_secs(30)).finish();
    let id = person(app).await;
    let send = |i: usize,
                method: Method,
                path: String,
                headers: Vec<(&'static str, String)>,
                body: Value| {
        let (client, base, key) = (client.clone(), instances[i % 2].base.clone(), app.key.clone());
        async move {
            let mut request = client
                .request(method, format!("{base}{path}"))
                .insert_header(("Authorization", format!("Bearer {key}")));
            for header in headers {
                request = request.insert_header(header);
            }
            let mut response = request.send_json(&body).await.unwrap();
            let body: Value = response.json().await.unwrap_or(Value::Null);
            (response.status().as_u16(), body)
        }
    };
    let path = format!("/v1/persons/{id}");
    let merge = ("Content-Type", "application/merge-patch+json".to_owned());
    let guarded = join_all((0..WRITERS).map(|i| {
        let headers = vec![merge.clone(), ("If-Match", "\"1\"".to_owned())];
        send(i, Method::PATCH, path.clone(), headers, json!({"notes": format!("n{i}")}))
    }))
    .await;
    let mut statuses: Vec<u16> = guarded.iter().map(|(status, _)| *status).collect();
    statuses.sort();
    let mut expected = vec![200];
    expected.extend([412; WRITERS - 1]);
    assert_eq!(statuses, expected, "{guarded:?}");
    let free = join_all((0..WRITERS).map(|i| {
        send(i, Method::PATCH, path.clone(), vec![merge.clone()], json!({"notes": format!("m{i}")}))
    }))
    .await;
    let mut versions: Vec<i64> = free
        .iter()
        .map(|(status, body)| {
            assert_eq!(*status, 200, "{body}");
            body["version"].as_i64().unwrap()
        })
        .collect();
    versions.sort();
    assert_eq!(versions, (3..3 + WRITERS as i64).collect::<Vec<_>>());
    let same_key = join_all((0..WRITERS).map(|i| {
        let headers = vec![("Idempotency-Key", "two-instances".to_owned())];
        send(i, Method::POST, "/v1/persons".to_owned(), headers, json!({"display_name": "Olga"}))
    }))
    .await;
    for (status, body) in &same_key {
        assert!([201, 409].contains(status), "{status}: {body}");
    }
    let olgas = app.all("/v1/persons").await.into_iter().filter(|p| p["display_name"] == "Olga");
    assert_eq!(olgas.count(), 1);
    for instance in &mut instances {
        instance.child.kill().ok();
        instance.child.wait().ok();
    }
}

/// Sends one idempotent request to a spawned service, asking it to hold at `pause`.
async fn send_held(
    base: &str,
    key: &str,
    pause: &str,
    body: &Value,
) -> Option<awc::http::StatusCode> {
    let client = awc::Client::builder().timeout(Duration::from_secs(20)).finish();
    let response = client
        .post(format!("{base}/v1/persons"))
        .insert_header(("Authorization", format!("Bearer {key}")))
        .insert_header(("Idempotency-Key", "crash-1"))
        .insert_header(("Jobcraft-Test-Pause", pause))
        .send_json(body)
        .await
        .ok()?;
    Some(response.status())
}

/// Kills the service while a request is held at `pause`, restarts it, and resends.
async fn kill_inside_the_window(app: &TestApp, pause: &str) -> Response {
    let body = json!({"display_name": "Nina"});
    let mut service = start_with(app, &["--test-pauses"]).await;
    let base = service.base.clone();
    let held = send_held(&base, &app.key, pause, &body);
    let killer = async {
        actix_web::rt::time::sleep(Duration::from_millis(1500)).await;
        service.child.kill().expect("SIGKILL");
        service.child.wait().expect("reaped");
    };
    let (answered, ()) = futures_util::future::join(held, killer).await;
    assert_eq!(answered, None, "killed before it answered");
    let mut service = start_with(app, &[]).await;
    let client = awc::Client::default();
    let mut response = client
        .post(format!("{}/v1/persons", service.base))
        .insert_header(("Authorization", format!("Bearer {}", app.key)))
        .insert_header(("Idempotency-Key", "crash-1"))
        .send_json(&body)
        .await
        .unwrap();
    let bytes = response.body().await.unwrap();
    let resent = Response {
        status: response.status(),
        headers: response.headers().clone(),
        body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    };
    service.child.kill().ok();
    service.child.wait().ok();
    resent
}

async fn a_kill_before_the_commit_leaves_nothing_and_a_resend_runs_once(app: &TestApp) {
    let resent = kill_inside_the_window(app, "before-commit").await;
    assert_eq!(resent.status, 201, "{}", resent.body);
    assert!(resent.header("idempotent-replayed").is_none(), "nothing was kept: it ran");
    assert_eq!(app.all("/v1/persons").await.len(), 1);
}

async fn a_kill_after_the_commit_leaves_the_answer_and_a_resend_replays_it(app: &TestApp) {
    let resent = kill_inside_the_window(app, "after-commit").await;
    assert_eq!(resent.status, 201, "{}", resent.body);
    assert_eq!(resent.header("idempotent-replayed").as_deref(), Some("true"));
    let persons = app.all("/v1/persons").await;
    assert_eq!(persons.len(), 1, "the write and its answer committed together");
    assert_eq!(persons[0]["id"], resent.body["id"]);
}

/// PostgreSQL goes away while an idempotent request waits to commit: the request fails, and
/// once the database is back a retry with the same key runs (nothing was left claiming it).
#[actix_web::test]
async fn a_key_is_not_stuck_after_the_database_went_away() {
    let Some(app) = TestApp::postgres().await else { return };
    let body = json!({"display_name": "Nina"});
    let held = app.call(
        Method::POST,
        "/v1/persons",
        Some(&app.key),
        &[("Idempotency-Key", "outage-1"), ("Jobcraft-Test-Pause", "before-commit")],
        Some(&body),
    );
    let cut = async {
        actix_web::rt::time::sleep(Duration::from_millis(1500)).await;
        assert!(app.cut_database_connections());
    };
    let (failed, ()) = futures_util::future::join(held, cut).await;
    failed.assert_problem(503);
    let retried = app
        .call(
            Method::POST,
            "/v1/persons",
            Some(&app.key),
            &[("Idempotency-Key", "outage-1")],
            Some(&body),
        )
        .await;
    assert_eq!(retried.status, 201, "{}", retried.body);
    assert!(retried.header("idempotent-replayed").is_none());
    assert_eq!(app.all("/v1/persons").await.len(), 1);
    app.stop().await;
}

/// Another process holds SQLite's write lock: a write waits `--db-timeout-ms`, then answers
/// 503 with `Retry-After`, having written nothing.
#[actix_web::test]
async fn a_sqlite_write_waits_no_longer_than_its_bound() {
    use diesel::connection::SimpleConnection;
    use diesel::Connection;
    let app = TestApp::sqlite().await;
    let mut service = start_with(&app, &["--db-timeout-ms", "1000"]).await;
    let mut holder = diesel::SqliteConnection::establish(&app.url).unwrap();
    holder.batch_execute("BEGIN IMMEDIATE").unwrap();
    let client = awc::Client::builder().timeout(Duration::from_secs(30)).finish();
    let started = Instant::now();
    let mut response = client
        .post(format!("{}/v1/persons", service.base))
        .insert_header(("Authorization", format!("Bearer {}", app.key)))
        .send_json(&json!({"display_name": "Nina"}))
        .await
        .unwrap();
    let waited = started.elapsed();
    assert_eq!(response.status(), 503, "{:?}", response.body().await);
    assert!(response.headers().contains_key("retry-after"));
    assert!(waited < Duration::from_millis(2500), "waited {waited:?}");
    holder.batch_execute("ROLLBACK").unwrap();
    assert_eq!(app.all("/v1/persons").await.len(), 0);
    service.child.kill().ok();
    service.child.wait().ok();
    app.stop().await;
}

/// Names are unique through `tenant_names`, not a UNIQUE on `tenants.name` (which PostgreSQL
/// no longer has, as a table distributed by id could not): eight creates of one name at once
/// make one tenant, and the other seven are told the name is taken.
async fn concurrent_tenant_creates_of_one_name_make_one_tenant(app: &TestApp) {
    let start = std::sync::Arc::new(std::sync::Barrier::new(WRITERS));
    let creates: Vec<_> = (0..WRITERS)
        .map(|_| {
            let (db, start) = (app.db.clone(), start.clone());
            std::thread::spawn(move || {
                start.wait();
                db.write(|c| jobcraft::store::api_keys::create_tenant(c, "acme-sales"))
            })
        })
        .collect();
    let results: Vec<_> = creates.into_iter().map(|t| t.join().unwrap()).collect();
    let made = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(made, 1, "{results:?}");
    for refused in results.iter().filter_map(|r| r.as_ref().err()) {
        assert!(refused.to_string().contains("exists already"), "{refused}");
    }
    let found = app.db.read(|c| jobcraft::store::api_keys::find_tenant_by_name(c, "acme-sales"));
    let made = results.into_iter().find_map(Result::ok).unwrap();
    assert_eq!(found.unwrap().id, made.id);
}

/// Two moves that each pass the cycle check alone, and together close a cycle (A under B, B
/// under A; a post reporting to another and the other to it): the tenant's lock serialises
/// them, so one lands and the other is refused. Several pairs at once.
async fn moves_at_once_that_together_would_close_a_cycle_make_one_200_and_one_422(app: &TestApp) {
    const PAIRS: usize = WRITERS / 2;
    let mut organizations = Vec::new();
    let mut posts = Vec::new();
    for i in 0..PAIRS {
        let unit = |n| json!({"name": format!("Unit {i}{n}"), "kind": "client"});
        let (a, b) = (
            app.create("/v1/organizations", unit("a")).await,
            app.create("/v1/organizations", unit("b")).await,
        );
        let post = |n| json!({"organization_id": a, "title": format!("Post {i}{n}")});
        let (p, q) =
            (app.create("/v1/posts", post("p")).await, app.create("/v1/posts", post("q")).await);
        organizations.push((a, b));
        posts.push((p, q));
    }
    let moves = organizations.iter().flat_map(|(a, b)| {
        [
            (format!("/v1/organizations/{a}"), json!({"parent_id": b})),
            (format!("/v1/organizations/{b}"), json!({"parent_id": a})),
        ]
    });
    let reporting = posts.iter().flat_map(|(p, q)| {
        [
            (format!("/v1/posts/{p}"), json!({"reports_to_post_id": q})),
            (format!("/v1/posts/{q}"), json!({"reports_to_post_id": p})),
        ]
    });
    let writes: Vec<(String, Value)> = moves.chain(reporting).collect();
    let answers = join_all(writes.iter().map(|(path, body)| app.patch(path, body.clone()))).await;
    for (pair, answers) in answers.chunks(2).enumerate() {
        let mut got: Vec<u16> = answers.iter().map(|a| a.status.as_u16()).collect();
        got.sort();
        assert_eq!(
            got,
            vec![200, 422],
            "pair {pair}: {:?}",
            answers.iter().map(|a| &a.body).collect::<Vec<_>>()
        );
    }
    // No pair left pointing at each other: under each other, or reporting to each other.
    let organizations = organizations.iter().map(|(a, b)| ("organizations", a, b, "parent_id"));
    let posts = posts.iter().map(|(p, q)| ("posts", p, q, "reports_to_post_id"));
    for (kind, a, b, field) in organizations.chain(posts) {
        let (to_a, to_b) = (
            app.get(&format!("/v1/{kind}/{a}")).await.body[field].clone(),
            app.get(&format!("/v1/{kind}/{b}")).await.body[field].clone(),
        );
        assert!(to_a.is_null() || to_b.is_null(), "{a} and {b} point at each other ({field})");
    }
}
