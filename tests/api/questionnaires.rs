//! Crafting questionnaires: the example instrument administered as a self-report and as a
//! manager's observation, scored per subscale, its alphas across administrations, turned into a
//! crafting revision once; refusals named.

use serde_json::{json, Value};

use crate::harness::{on_both_backends, TestApp};

on_both_backends!(
    answers_are_scored_and_become_a_crafting_revision_once,
    statistics_give_each_subscales_alpha_and_distribution,
    questionnaire_refusals_are_named,
);

/// The example instrument jobcraft ships (docs/examples/crafting-check-in.json).
pub fn example() -> Value {
    serde_json::from_str(include_str!("../../docs/examples/crafting-check-in.json")).unwrap()
}

/// Lea's tenure as an SDR, and the instrument.
async fn setup(app: &TestApp) -> (String, String, String) {
    let us = app.create("/v1/organizations", json!({"name": "Us", "kind": "own"})).await;
    let lea = app.holding(&us, json!({"title": "SDR"}), "Lea", "2026-01-01").await;
    let instrument = app.create("/v1/instruments", example()).await;
    (lea.tenure, lea.person, instrument)
}

fn answers(values: &[(&str, i64)]) -> Value {
    values.iter().map(|(item, value)| json!({"item": item, "value": value})).collect()
}

async fn answers_are_scored_and_become_a_crafting_revision_once(app: &TestApp) {
    let (tenure, lea, instrument) = setup(app).await;
    let manager = app.create("/v1/persons", json!({"display_name": "Mia"})).await;
    let own = app
        .post(
            &format!("/v1/instruments/{instrument}/administrations"),
            json!({"tenure_id": tenure, "respondent": "self", "respondent_person_id": lea,
                   "administered_at": "2026-11-01T09:00:00Z",
                   "answers": answers(&[("q1", 4), ("q2", 2), ("q3", 3), ("q4", 5)])}),
        )
        .await;
    assert_eq!(own.status, 201, "{}", own.body);
    let scores = &own.body["scores"];
    assert_eq!(scores[0]["subscale"], "client_contact");
    assert_eq!(scores[0]["mean"], json!(4.0), "q2 is reverse-keyed: 2 counts as 4");
    assert_eq!(scores[0]["weight"], json!(0.75));
    assert_eq!(scores[2]["weight"], json!(-1.0), "trimming reporting plays it down");
    assert_eq!(scores[4]["mean"], Value::Null, "q6 was not answered");
    assert_eq!(scores[4]["answered"], 0);

    let observed = app
        .post(
            &format!("/v1/instruments/{instrument}/administrations"),
            json!({"tenure_id": tenure, "respondent": "manager", "respondent_person_id": manager,
                   "administered_at": "2026-11-02T09:00:00Z",
                   "answers": answers(&[("q1", 3), ("q2", 3), ("q3", 2), ("q5", 4)])}),
        )
        .await;
    assert_eq!(observed.status, 201, "{}", observed.body);
    let id = observed.id();
    let made = app.post(&format!("/v1/administrations/{id}/crafting-revision"), json!({})).await;
    assert_eq!(made.status, 201, "{}", made.body);
    assert_eq!(made.body["confidence"], json!(0.8), "a manager's observation");
    assert!(made.body["source"].as_str().unwrap().contains("Crafting check-in"), "{}", made.body);
    assert_eq!(made.body["effective_at"], "2026-11-02T09:00:00Z");
    let job = app.get(&format!("/v1/tenures/{tenure}/crafting")).await;
    assert_eq!(job.status, 200, "{}", job.body);
    let weight = |key: &str| {
        job.body["facets"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["key"] == key)
            .map(|f| f["weight"].clone())
    };
    assert_eq!(weight("customer_contact"), Some(json!(0.5)));
    assert_eq!(weight("tendering"), Some(json!(0.25)));
    assert_eq!(weight("client_success"), Some(json!(0.75)));
    assert_eq!(weight("reporting"), None, "not answered by the manager");
    let again = app.get(&format!("/v1/administrations/{id}")).await;
    assert_eq!(again.body["revision_id"], made.body["id"]);
    app.post(&format!("/v1/administrations/{id}/crafting-revision"), json!({}))
        .await
        .assert_problem(409);

    // Both administrations of the tenure, and the tenure keeps them.
    assert_eq!(app.all(&format!("/v1/administrations?tenure_id={tenure}")).await.len(), 2);
    app.delete(&format!("/v1/tenures/{tenure}")).await.assert_problem(409);
}

async fn statistics_give_each_subscales_alpha_and_distribution(app: &TestApp) {
    let (tenure, _, instrument) = setup(app).await;
    // Client contact (q1, q2 reversed): 5/1, 3/3, 1/5 agree perfectly; the third leaves q2 out
    // in a fourth administration.
    for values in [
        [("q1", 5), ("q2", 1), ("q3", 2)],
        [("q1", 3), ("q2", 3), ("q3", 4)],
        [("q1", 1), ("q2", 5), ("q3", 4)],
    ] {
        app.create(
            &format!("/v1/instruments/{instrument}/administrations"),
            json!({"tenure_id": tenure, "respondent": "self", "answers": answers(&values)}),
        )
        .await;
    }
    app.create(
        &format!("/v1/instruments/{instrument}/administrations"),
        json!({"tenure_id": tenure, "respondent": "peer", "answers": answers(&[("q1", 4)])}),
    )
    .await;
    let stats = app.get(&format!("/v1/instruments/{instrument}/statistics")).await;
    assert_eq!(stats.status, 200, "{}", stats.body);
    assert_eq!(stats.body["administrations"], 4);
    let contact = &stats.body["subscales"][0];
    assert_eq!((contact["n"].clone(), contact["alpha_n"].clone()), (json!(4), json!(3)));
    assert!((contact["alpha"].as_f64().unwrap() - 1.0).abs() < 1e-9, "{contact}");
    let counts: Vec<i64> = contact["distribution"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["count"].as_i64().unwrap())
        .collect();
    assert_eq!(counts, vec![1, 0, 1, 1, 1]);
    assert_eq!(contact["distribution"][4]["label"], "very often");
    let tasks = &stats.body["subscales"][1];
    assert_eq!(tasks["alpha"], Value::Null, "one item: no alpha");
    assert!((tasks["mean"].as_f64().unwrap() - 10.0 / 3.0).abs() < 1e-9);
}

async fn questionnaire_refusals_are_named(app: &TestApp) {
    let (tenure, _, instrument) = setup(app).await;
    let refused = |path: String, body: Value, pointer: &'static str| async move {
        let response = app.post(&path, body).await;
        response.assert_problem(422);
        assert_eq!(response.pointers(), vec![pointer], "{}", response.body);
    };
    let mut no_items = example();
    no_items["items"] = json!([]);
    refused("/v1/instruments".into(), no_items, "/items").await;
    let mut unknown_facet = example();
    unknown_facet["subscales"][0]["facet_key"] = "customer_contacts".into();
    refused("/v1/instruments".into(), unknown_facet, "/subscales/0/facet_key").await;
    let mut orphan = example();
    orphan["items"][5]["subscale"] = "nothing".into();
    let response = app.post("/v1/instruments", orphan).await;
    response.assert_problem(422);
    assert_eq!(response.pointers(), vec!["/items/5/subscale", "/subscales/4"]);

    let administer = format!("/v1/instruments/{instrument}/administrations");
    let body =
        |answers: Value| json!({"tenure_id": tenure, "respondent": "self", "answers": answers});
    refused(administer.clone(), body(answers(&[("q1", 6)])), "/answers/0/value").await;
    refused(administer.clone(), body(answers(&[("q1", 0)])), "/answers/0/value").await;
    refused(administer.clone(), body(answers(&[("q9", 3)])), "/answers/0/item").await;
    refused(administer.clone(), body(json!([])), "/answers").await;
    let nobody = uuid::Uuid::now_v7();
    refused(
        administer.clone(),
        json!({"tenure_id": nobody, "respondent": "self", "answers": answers(&[("q1", 3)])}),
        "/tenure_id",
    )
    .await;
    refused(
        administer.clone(),
        json!({"tenure_id": tenure, "respondent": "self", "administered_at": "2025-06-01T00:00:00Z",
               "answers": answers(&[("q1", 3)])}),
        "/administered_at",
    )
    .await;
    app.post(&format!("/v1/instruments/{nobody}/administrations"), body(answers(&[("q1", 3)])))
        .await
        .assert_problem(404);

    // Once answered, the instrument stays as it was answered.
    let a = app.create(&administer, body(answers(&[("q1", 3)]))).await;
    app.put(&format!("/v1/instruments/{instrument}"), example()).await.assert_problem(409);
    app.delete(&format!("/v1/instruments/{instrument}")).await.assert_problem(409);
    // Another tenant sees neither the administration nor the instrument.
    let other = app.other_tenant("elsewhere");
    for path in
        [format!("/v1/administrations/{a}"), format!("/v1/instruments/{instrument}/statistics")]
    {
        let theirs = app.call(awc::http::Method::GET, &path, Some(&other), &[], None).await;
        theirs.assert_problem(404);
    }
    let made = app
        .call(
            awc::http::Method::POST,
            &format!("/v1/administrations/{a}/crafting-revision"),
            Some(&other),
            &[],
            None,
        )
        .await;
    made.assert_problem(404);
    // A new instrument may still change until it is answered.
    let fresh = app.create("/v1/instruments", example()).await;
    let mut renamed = example();
    renamed["name"] = "Crafting check-in, v2".into();
    assert_eq!(app.put(&format!("/v1/instruments/{fresh}"), renamed).await.status, 200);
    assert_eq!(app.delete(&format!("/v1/instruments/{fresh}")).await.status, 204);
}
