use serde_json::json;

use crate::harness::{on_both_backends, TestApp};

on_both_backends!(
    a_post_keeps_its_formal_facets,
    invalid_facets_are_named_by_pointer,
    reporting_line_cycles_are_rejected,
    deleting_a_post_with_holders_or_reports_needs_cascade,
    fewer_seats_than_simultaneous_holders_is_a_conflict,
    a_succession_lists_holders_in_order,
    a_formal_revision_records_the_key_whichever_door_wrote_it,
);

async fn org(app: &TestApp) -> String {
    app.create("/v1/organizations", json!({"name": "Acme", "kind": "client"})).await
}

async fn a_post_keeps_its_formal_facets(app: &TestApp) {
    let org = org(app).await;
    let facets = json!([
        {"dimension": "task", "key": "supplier_audits", "weight": 0.8, "note": "quarterly"},
        {"dimension": "decision_criterion", "key": "price", "weight": 1.0}
    ]);
    let id = app
        .create(
            "/v1/posts",
            json!({"organization_id": org, "title": "Head of Procurement", "function": "procurement",
                   "headcount": 1, "established_on": "2010-01-01", "facets": facets}),
        )
        .await;
    let post = app.get(&format!("/v1/posts/{id}")).await;
    assert_eq!(post.body["facets"], facets);
    assert_eq!(post.body["headcount"], 1);
    assert_eq!(post.body["established_on"], "2010-01-01");
}

async fn invalid_facets_are_named_by_pointer(app: &TestApp) {
    let org = org(app).await;
    let response = app
        .post(
            "/v1/posts",
            json!({"organization_id": org, "title": "Buyer", "headcount": 0, "facets": [
                {"dimension": "task", "key": "audits", "weight": 1.5},
                {"dimension": "task", "key": "audits", "weight": 0.5},
                {"dimension": "priority", "key": "Not A Key", "weight": 0.1}
            ]}),
        )
        .await;
    response.assert_problem(422);
    assert_eq!(
        response.pointers(),
        vec!["/headcount", "/facets/0/weight", "/facets/1/key", "/facets/2/key"]
    );
    let unknown_dimension = app
        .post(
            "/v1/posts",
            json!({"organization_id": org, "title": "Buyer", "facets": [{"dimension": "mood", "key": "x", "weight": 0}]}),
        )
        .await;
    unknown_dimension.assert_problem(400);
    assert_eq!(unknown_dimension.pointers(), vec!["/facets/0/dimension"]);
    assert!(app.all("/v1/posts").await.is_empty());
}

async fn reporting_line_cycles_are_rejected(app: &TestApp) {
    let org = org(app).await;
    let ceo = app.create("/v1/posts", json!({"organization_id": org, "title": "CEO"})).await;
    let cpo = app
        .create(
            "/v1/posts",
            json!({"organization_id": org, "title": "CPO", "reports_to_post_id": ceo}),
        )
        .await;
    let buyer = app
        .create(
            "/v1/posts",
            json!({"organization_id": org, "title": "Buyer", "reports_to_post_id": cpo}),
        )
        .await;
    let cycle = app.patch(&format!("/v1/posts/{ceo}"), json!({"reports_to_post_id": buyer})).await;
    cycle.assert_problem(422);
    assert_eq!(cycle.pointers(), vec!["/reports_to_post_id"]);
    app.patch(&format!("/v1/posts/{ceo}"), json!({"reports_to_post_id": ceo}))
        .await
        .assert_problem(422);
    let missing = app
        .patch(&format!("/v1/posts/{ceo}"), json!({"reports_to_post_id": uuid::Uuid::now_v7()}))
        .await;
    missing.assert_problem(422);
}

async fn deleting_a_post_with_holders_or_reports_needs_cascade(app: &TestApp) {
    let org = org(app).await;
    let cpo = app.create("/v1/posts", json!({"organization_id": org, "title": "CPO"})).await;
    let buyer = app
        .create(
            "/v1/posts",
            json!({"organization_id": org, "title": "Buyer", "reports_to_post_id": cpo}),
        )
        .await;
    let person = app.create("/v1/persons", json!({"display_name": "Carla"})).await;
    app.create(
        "/v1/tenures",
        json!({"person_id": person, "post_id": cpo, "started_on": "2024-01-01"}),
    )
    .await;
    let refused = app.delete(&format!("/v1/posts/{cpo}")).await;
    refused.assert_problem(409);
    assert_eq!(app.delete(&format!("/v1/posts/{cpo}?cascade=true")).await.status, 204);
    assert_eq!(
        app.get(&format!("/v1/posts/{buyer}")).await.body["reports_to_post_id"],
        json!(null)
    );
    assert!(app.all("/v1/tenures").await.is_empty());
}

async fn fewer_seats_than_simultaneous_holders_is_a_conflict(app: &TestApp) {
    let org = org(app).await;
    let post = app
        .create(
            "/v1/posts",
            json!({"organization_id": org, "title": "Account Manager", "headcount": 2}),
        )
        .await;
    for name in ["A", "B"] {
        let person = app.create("/v1/persons", json!({"display_name": name})).await;
        app.create(
            "/v1/tenures",
            json!({"person_id": person, "post_id": post, "started_on": "2025-01-01"}),
        )
        .await;
    }
    let response = app.patch(&format!("/v1/posts/{post}"), json!({"headcount": 1})).await;
    response.assert_problem(409);
    assert_eq!(response.body["conflicting_ids"].as_array().unwrap().len(), 2);
    assert_eq!(app.get(&format!("/v1/posts/{post}")).await.body["headcount"], 2);
}

async fn a_succession_lists_holders_in_order(app: &TestApp) {
    let org = org(app).await;
    let post = app.create("/v1/posts", json!({"organization_id": org, "title": "CPO"})).await;
    let mut expected = Vec::new();
    for (i, (start, end)) in [
        ("2010-01-01", Some("2015-01-01")),
        ("2015-01-01", Some("2020-06-01")),
        ("2020-06-01", None),
    ]
    .into_iter()
    .enumerate()
    {
        let name = format!("Holder {i}");
        let person = app.create("/v1/persons", json!({"display_name": name})).await;
        app.create(
            "/v1/tenures",
            json!({"person_id": person, "post_id": post, "started_on": start, "ended_on": end}),
        )
        .await;
        expected.push(name);
    }
    let succession = app.all(&format!("/v1/posts/{post}/tenures?limit=2")).await;
    let names: Vec<_> =
        succession.iter().map(|t| t["person_display_name"].as_str().unwrap().to_owned()).collect();
    assert_eq!(names, expected);
    let current = app.all(&format!("/v1/posts/{post}/tenures?current=true")).await;
    assert_eq!(current.len(), 1);
    assert_eq!(current[0]["person_display_name"], "Holder 2");
}

async fn a_formal_revision_records_the_key_whichever_door_wrote_it(app: &TestApp) {
    let org = org(app).await;
    let facets =
        |weight: f64| json!([{"dimension": "task", "key": "supplier_audits", "weight": weight}]);
    let by_rest = app
        .create(
            "/v1/posts",
            json!({"organization_id": org, "title": "Buyer", "facets": facets(0.5)}),
        )
        .await;
    let body =
        |weight: f64| json!({"organization_id": org, "title": "Buyer", "facets": facets(weight)});
    let created = app.put("/v1/sync/posts/crm/P-1", body(0.5)).await;
    assert_eq!(created.status, 201);
    assert_eq!(app.put("/v1/sync/posts/crm/P-1", body(0.9)).await.status, 200);
    let by_sync = created.body["id"].as_str().unwrap().to_owned();

    for (post, count) in [(by_rest, 1), (by_sync, 2)] {
        let revisions = app.all(&format!("/v1/posts/{post}/revisions")).await;
        assert_eq!(revisions.len(), count);
        for revision in revisions {
            assert_eq!(revision["recorded_by"], "admin", "the key's name, not the door");
        }
    }
}
