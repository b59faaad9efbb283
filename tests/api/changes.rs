//! The change feed: every committed write once, in commit order, with its origin; nothing for
//! a rejected write; tombstones for deletions; no gaps or repeats under concurrent writers.

use std::collections::HashSet;

use awc::http::Method;
use serde_json::{json, Value};

use crate::harness::{on_both_backends, TestApp};

on_both_backends!(
    every_write_appears_once_in_commit_order_with_its_origin,
    a_rejected_write_leaves_no_change,
    cascading_deletes_leave_tombstones,
    a_poller_never_misses_or_repeats_a_change_while_writers_commit,
    bad_feed_parameters_are_named,
);

/// Every change after `after` (a cursor, or the start), and the cursor to continue from.
async fn drain(app: &TestApp, query: &str, after: Option<&str>) -> (Vec<Value>, String) {
    let mut items = Vec::new();
    let mut cursor = after.map(str::to_owned);
    loop {
        let mut url = format!("/v1/changes?limit=7{query}");
        if let Some(c) = &cursor {
            url.push_str(&format!("&after={c}"));
        }
        let page = app.get(&url).await;
        assert_eq!(page.status, 200, "{url}: {}", page.body);
        items.extend(page.body["items"].as_array().unwrap().iter().cloned());
        cursor = Some(page.body["next_cursor"].as_str().unwrap().to_owned());
        if page.body["has_more"] == false {
            return (items, cursor.unwrap());
        }
    }
}

fn summary(items: &[Value]) -> Vec<(String, String, String)> {
    items
        .iter()
        .map(|c| {
            (
                c["entity"].as_str().unwrap().to_owned(),
                c["operation"].as_str().unwrap().to_owned(),
                c["id"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

async fn every_write_appears_once_in_commit_order_with_its_origin(app: &TestApp) {
    let (_, start) = drain(app, "", None).await;
    let org = app.create("/v1/organizations", json!({"name": "Acme", "kind": "client"})).await;
    let post = app.create("/v1/posts", json!({"organization_id": org, "title": "CPO"})).await;
    let person = app.create("/v1/persons", json!({"display_name": "Nina"})).await;
    let synced = app
        .call(
            Method::POST,
            "/v1/tenures",
            Some(&app.key),
            &[("X-Jobcraft-Origin", "salesforce")],
            Some(&json!({"person_id": person, "post_id": post, "started_on": "2024-01-01"})),
        )
        .await;
    assert_eq!(synced.status, 201, "{}", synced.body);
    let tenure = synced.id();
    assert_eq!(
        app.patch(&format!("/v1/persons/{person}"), json!({"phone": "+49 1"})).await.status,
        200
    );
    let (items, _) = drain(app, "", Some(&start)).await;
    let want = |e: &str, o: &str, id: &str| (e.to_owned(), o.to_owned(), id.to_owned());
    assert_eq!(
        summary(&items),
        vec![
            want("organization", "create", &org),
            want("post", "create", &post),
            want("person", "create", &person),
            want("tenure", "create", &tenure),
            want("person", "update", &person),
        ]
    );
    assert_eq!(items[3]["origin"], "salesforce");
    assert_ne!(items[4]["origin"], "salesforce");
    assert!(items[0]["key_id"].is_string());
    // A CRM drops its own echo.
    let (echo_free, _) = drain(app, "&exclude_origin=salesforce", Some(&start)).await;
    assert_eq!(echo_free.len(), 4);
    let (persons, _) = drain(app, "&entity=person", Some(&start)).await;
    assert_eq!(persons.len(), 2);
    // Starting from `latest` sees only what comes next.
    let now = app.get("/v1/changes?after=latest").await;
    assert!(now.body["items"].as_array().unwrap().is_empty());
    let cursor = now.body["next_cursor"].as_str().unwrap().to_owned();
    app.create("/v1/persons", json!({"display_name": "Olga"})).await;
    let (next, _) = drain(app, "", Some(&cursor)).await;
    assert_eq!(next.len(), 1);
    // Another tenant's feed shows none of it.
    let theirs = app.other_tenant("theirs");
    let feed = app.call(Method::GET, "/v1/changes", Some(&theirs), &[], None).await;
    assert!(feed.body["items"].as_array().unwrap().is_empty(), "{}", feed.body);
}

async fn a_rejected_write_leaves_no_change(app: &TestApp) {
    let (_, start) = drain(app, "", None).await;
    let post_less = json!({"person_id": uuid::Uuid::now_v7(), "post_id": uuid::Uuid::now_v7(), "started_on": "2024-01-01"});
    app.post("/v1/tenures", post_less).await.assert_problem(422);
    app.post("/v1/persons", json!({"display_name": ""})).await.assert_problem(422);
    let org = app.create("/v1/organizations", json!({"name": "Acme", "kind": "client"})).await;
    app.create("/v1/posts", json!({"organization_id": org, "title": "CPO"})).await;
    // Refused for the post under it: the organization's delete records nothing.
    app.delete(&format!("/v1/organizations/{org}")).await.assert_problem(409);
    let (items, _) = drain(app, "", Some(&start)).await;
    assert_eq!(items.len(), 2, "{items:?}");
}

async fn cascading_deletes_leave_tombstones(app: &TestApp) {
    let org = app.create("/v1/organizations", json!({"name": "Acme", "kind": "client"})).await;
    let sub = app
        .create("/v1/organizations", json!({"name": "Claims", "kind": "client", "parent_id": org}))
        .await;
    let post = app.create("/v1/posts", json!({"organization_id": sub, "title": "Buyer"})).await;
    let person = app.create("/v1/persons", json!({"display_name": "Nina"})).await;
    let tenure = app
        .create(
            "/v1/tenures",
            json!({"person_id": person, "post_id": post, "started_on": "2024-01-01"}),
        )
        .await;
    let (_, start) = drain(app, "", None).await;
    assert_eq!(app.delete(&format!("/v1/organizations/{org}?cascade=true")).await.status, 204);
    let (items, _) = drain(app, "", Some(&start)).await;
    let deleted: HashSet<(String, String, String)> = summary(&items).into_iter().collect();
    for (entity, id) in
        [("tenure", &tenure), ("post", &post), ("organization", &sub), ("organization", &org)]
    {
        assert!(
            deleted.contains(&(entity.into(), "delete".into(), id.clone())),
            "{entity} {items:?}"
        );
    }
    assert_eq!(items.len(), 4);
}

async fn a_poller_never_misses_or_repeats_a_change_while_writers_commit(app: &TestApp) {
    const WRITERS: usize = 8;
    const EACH: usize = 40;
    let (_, start) = drain(app, "", None).await;
    let poller = async {
        let mut seen: Vec<Value> = Vec::new();
        let mut cursor = start.clone();
        // Poll until every write is in; a missed change would never come back.
        for _ in 0..10_000 {
            let page = app.get(&format!("/v1/changes?limit=5&after={cursor}")).await;
            assert_eq!(page.status, 200, "{}", page.body);
            seen.extend(page.body["items"].as_array().unwrap().iter().cloned());
            cursor = page.body["next_cursor"].as_str().unwrap().to_owned();
            if seen.len() >= WRITERS * EACH {
                break;
            }
        }
        seen
    };
    let writers = futures_util::future::join_all((0..WRITERS).map(|w| async move {
        let mut ids = Vec::new();
        for i in 0..EACH {
            ids.push(
                app.create("/v1/persons", json!({"display_name": format!("w{w} p{i}")})).await,
            );
        }
        ids
    }));
    let (seen, written) = futures_util::future::join(poller, writers).await;
    let written: HashSet<String> = written.into_iter().flatten().collect();
    let seen_ids: Vec<String> = seen.iter().map(|c| c["id"].as_str().unwrap().to_owned()).collect();
    let unique: HashSet<String> = seen_ids.iter().cloned().collect();
    assert_eq!(seen_ids.len(), unique.len(), "a change was seen twice");
    assert_eq!(unique, written, "the poller missed a change");
    // And nothing more is there.
    let (rest, _) = drain(app, "", Some(seen.last().unwrap()["cursor"].as_str().unwrap())).await;
    assert!(rest.is_empty());
}

async fn bad_feed_parameters_are_named(app: &TestApp) {
    let response = app.get("/v1/changes?after=not-ours").await;
    response.assert_problem(400);
    assert_eq!(response.pointers(), vec!["after"]);
    let response = app.get("/v1/changes?limit=0").await;
    response.assert_problem(422);
    assert_eq!(response.pointers(), vec!["limit"]);
    app.get("/v1/changes?entity=planet").await.assert_problem(400);
    let origin = app
        .call(
            Method::POST,
            "/v1/persons",
            Some(&app.key),
            &[("X-Jobcraft-Origin", "Sales Force!")],
            Some(&json!({"display_name": "X"})),
        )
        .await;
    origin.assert_problem(400);
    assert_eq!(origin.pointers(), vec!["X-Jobcraft-Origin"]);
    assert!(app.all("/v1/persons").await.is_empty());
}
