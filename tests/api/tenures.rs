use serde_json::json;

use crate::harness::{on_both_backends, TestApp};

on_both_backends!(
    a_tenure_ending_before_it_starts_is_invalid,
    a_second_holder_of_a_full_post_is_a_conflict_naming_the_holder,
    a_successor_may_start_the_day_the_predecessor_left,
    ending_a_tenure_frees_the_seat,
    unknown_person_and_post_are_named,
    concurrent_claims_on_one_seat_let_exactly_one_through,
);

async fn setup(app: &TestApp) -> (String, String, String) {
    let org = app.create("/v1/organizations", json!({"name": "Acme", "kind": "client"})).await;
    let post = app.create("/v1/posts", json!({"organization_id": org, "title": "CPO"})).await;
    let a = app.create("/v1/persons", json!({"display_name": "A"})).await;
    let b = app.create("/v1/persons", json!({"display_name": "B"})).await;
    (post, a, b)
}

async fn a_tenure_ending_before_it_starts_is_invalid(app: &TestApp) {
    let (post, a, _) = setup(app).await;
    let response = app
        .post("/v1/tenures", json!({"person_id": a, "post_id": post, "started_on": "2026-02-01", "ended_on": "2026-01-01"}))
        .await;
    response.assert_problem(422);
    assert_eq!(response.pointers(), vec!["/ended_on"]);
    let bad_date = app
        .post("/v1/tenures", json!({"person_id": a, "post_id": post, "started_on": "2026-02-30"}))
        .await;
    bad_date.assert_problem(400);
    assert_eq!(bad_date.pointers(), vec!["/started_on"]);
}

async fn a_second_holder_of_a_full_post_is_a_conflict_naming_the_holder(app: &TestApp) {
    let (post, a, b) = setup(app).await;
    let first = app
        .create("/v1/tenures", json!({"person_id": a, "post_id": post, "started_on": "2024-01-01"}))
        .await;
    let second = app
        .post("/v1/tenures", json!({"person_id": b, "post_id": post, "started_on": "2025-01-01"}))
        .await;
    second.assert_problem(409);
    assert_eq!(second.body["conflicting_ids"], json!([first]));
    assert!(second.body["detail"].as_str().unwrap().contains(&first));
    assert_eq!(app.all("/v1/tenures").await.len(), 1);
}

async fn a_successor_may_start_the_day_the_predecessor_left(app: &TestApp) {
    let (post, a, b) = setup(app).await;
    app.create("/v1/tenures", json!({"person_id": a, "post_id": post, "started_on": "2020-01-01", "ended_on": "2026-04-01"})).await;
    app.create("/v1/tenures", json!({"person_id": b, "post_id": post, "started_on": "2026-04-01"}))
        .await;
}

async fn ending_a_tenure_frees_the_seat(app: &TestApp) {
    let (post, a, b) = setup(app).await;
    let first = app
        .create("/v1/tenures", json!({"person_id": a, "post_id": post, "started_on": "2020-01-01"}))
        .await;
    app.post("/v1/tenures", json!({"person_id": b, "post_id": post, "started_on": "2026-04-01"}))
        .await
        .assert_problem(409);
    let ended = app.patch(&format!("/v1/tenures/{first}"), json!({"ended_on": "2026-04-01"})).await;
    assert_eq!(ended.status, 200, "{}", ended.body);
    assert_eq!(ended.body["is_current"], false);
    app.create("/v1/tenures", json!({"person_id": b, "post_id": post, "started_on": "2026-04-01"}))
        .await;
}

async fn unknown_person_and_post_are_named(app: &TestApp) {
    let response = app
        .post(
            "/v1/tenures",
            json!({"person_id": uuid::Uuid::now_v7(), "post_id": uuid::Uuid::now_v7(), "started_on": "2026-01-01"}),
        )
        .await;
    response.assert_problem(422);
    assert_eq!(response.pointers(), vec!["/person_id", "/post_id"]);
}

async fn concurrent_claims_on_one_seat_let_exactly_one_through(app: &TestApp) {
    let (post, _, _) = setup(app).await;
    let mut persons = Vec::new();
    for i in 0..8 {
        persons.push(
            app.create("/v1/persons", json!({"display_name": format!("Claimant {i}")})).await,
        );
    }
    let claims = persons.iter().map(|person| {
        app.post(
            "/v1/tenures",
            json!({"person_id": person, "post_id": post, "started_on": "2026-01-01"}),
        )
    });
    let responses = futures_util::future::join_all(claims).await;
    let statuses: Vec<u16> = responses.iter().map(|r| r.status.as_u16()).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 409).count(), 7, "{statuses:?}");
    assert_eq!(app.all(&format!("/v1/posts/{post}/tenures")).await.len(), 1);
}
