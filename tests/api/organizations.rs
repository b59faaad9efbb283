use serde_json::json;

use crate::harness::{on_both_backends, TestApp};

on_both_backends!(
    create_then_read_an_organization_with_its_profile,
    parent_cycles_are_rejected,
    a_parent_in_another_tenant_is_no_such_organization,
    deleting_an_organization_with_posts_needs_cascade,
    organization_posts_show_current_holders_and_vacancies,
);

async fn create_then_read_an_organization_with_its_profile(app: &TestApp) {
    let created = app
        .post(
            "/v1/organizations",
            json!({"name": " Acme Insurance ", "kind": "client",
                   "profile": {"size_band": "enterprise", "region": "dach", "tags": ["iso14001", "b_corp", "iso14001"]}}),
        )
        .await;
    assert_eq!(created.status, 201);
    let id = created.id();
    assert_eq!(created.header("location"), Some(format!("/v1/organizations/{id}")));
    assert_eq!(created.header("etag").as_deref(), Some("\"1\""));
    let read = app.get(&format!("/v1/organizations/{id}")).await;
    assert_eq!(read.status, 200);
    assert_eq!(read.body["name"], "Acme Insurance");
    assert_eq!(read.body["kind"], "client");
    assert_eq!(read.body["profile"]["tags"], json!(["iso14001", "b_corp"]));
    assert_eq!(read.body["profile"]["region"], "dach");
}

async fn parent_cycles_are_rejected(app: &TestApp) {
    let group = app.create("/v1/organizations", json!({"name": "Group", "kind": "client"})).await;
    let sub = app
        .create("/v1/organizations", json!({"name": "Sub", "kind": "client", "parent_id": group}))
        .await;
    let unit = app
        .create("/v1/organizations", json!({"name": "Unit", "kind": "client", "parent_id": sub}))
        .await;
    let cycle = app.patch(&format!("/v1/organizations/{group}"), json!({"parent_id": unit})).await;
    cycle.assert_problem(422);
    assert_eq!(cycle.pointers(), vec!["/parent_id"]);
    let own_parent =
        app.patch(&format!("/v1/organizations/{group}"), json!({"parent_id": group})).await;
    own_parent.assert_problem(422);
    // Nothing changed.
    assert_eq!(app.get(&format!("/v1/organizations/{group}")).await.body["parent_id"], json!(null));
}

async fn a_parent_in_another_tenant_is_no_such_organization(app: &TestApp) {
    let other_key = app.other_tenant("other");
    let theirs = app
        .call(
            awc::http::Method::POST,
            "/v1/organizations",
            Some(&other_key),
            &[],
            Some(&json!({"name": "Theirs", "kind": "client"})),
        )
        .await
        .id();
    let response = app
        .post("/v1/organizations", json!({"name": "Mine", "kind": "client", "parent_id": theirs}))
        .await;
    response.assert_problem(422);
    assert_eq!(response.pointers(), vec!["/parent_id"]);
}

async fn deleting_an_organization_with_posts_needs_cascade(app: &TestApp) {
    let group = app.create("/v1/organizations", json!({"name": "Group", "kind": "client"})).await;
    let sub = app
        .create("/v1/organizations", json!({"name": "Sub", "kind": "client", "parent_id": group}))
        .await;
    let post = app.create("/v1/posts", json!({"organization_id": sub, "title": "Buyer"})).await;
    let person = app.create("/v1/persons", json!({"display_name": "Ada"})).await;
    app.create(
        "/v1/tenures",
        json!({"person_id": person, "post_id": post, "started_on": "2025-01-01"}),
    )
    .await;
    app.delete(&format!("/v1/organizations/{group}")).await.assert_problem(409);
    assert_eq!(app.get(&format!("/v1/posts/{post}")).await.status, 200);
    let deleted = app.delete(&format!("/v1/organizations/{group}?cascade=true")).await;
    assert_eq!(deleted.status, 204);
    for gone in [format!("/v1/organizations/{sub}"), format!("/v1/posts/{post}")] {
        app.get(&gone).await.assert_problem(404);
    }
    assert!(app.all(&format!("/v1/persons/{person}/tenures")).await.is_empty());
    // The person remains: people outlive their posts.
    assert_eq!(app.get(&format!("/v1/persons/{person}")).await.status, 200);
}

async fn organization_posts_show_current_holders_and_vacancies(app: &TestApp) {
    let org = app.create("/v1/organizations", json!({"name": "Acme", "kind": "client"})).await;
    let head = app
        .create("/v1/posts", json!({"organization_id": org, "title": "Head of Procurement"}))
        .await;
    let vacant =
        app.create("/v1/posts", json!({"organization_id": org, "title": "Claims Manager"})).await;
    let abolished = app
        .create(
            "/v1/posts",
            json!({"organization_id": org, "title": "Fax Operator", "established_on": "2000-01-01", "abolished_on": "2010-01-01"}),
        )
        .await;
    let old = app.create("/v1/persons", json!({"display_name": "Olga"})).await;
    let new = app.create("/v1/persons", json!({"display_name": "Nina"})).await;
    app.create("/v1/tenures", json!({"person_id": old, "post_id": head, "started_on": "2019-01-01", "ended_on": "2026-03-01"})).await;
    app.create(
        "/v1/tenures",
        json!({"person_id": new, "post_id": head, "started_on": "2026-03-01"}),
    )
    .await;

    let posts = app.all(&format!("/v1/organizations/{org}/posts")).await;
    assert_eq!(posts.len(), 3);
    let holders_of = |posts: &[serde_json::Value], id: &str| {
        posts.iter().find(|p| p["id"] == id).map(|p| p["holders"].clone()).unwrap()
    };
    assert_eq!(holders_of(&posts, &head)[0]["display_name"], "Nina");
    assert_eq!(holders_of(&posts, &vacant), json!([]));

    let past = app.all(&format!("/v1/organizations/{org}/posts?as_of=2020-06-01")).await;
    assert_eq!(holders_of(&past, &head)[0]["display_name"], "Olga");

    let current = app.all(&format!("/v1/organizations/{org}/posts?current=true")).await;
    assert_eq!(current.len(), 2);
    assert!(current.iter().all(|p| p["id"] != abolished.as_str()));
}
