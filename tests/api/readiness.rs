//! Readiness for a post: one person's, read as of a time, and the tenant's people ranked as
//! candidates for a post; refusals named.

use serde_json::json;

use crate::harness::{on_both_backends, TestApp};

on_both_backends!(
    a_persons_readiness_names_what_is_met_weaker_missing_and_brought,
    candidates_rank_the_tenant_or_an_organization_and_leave_out_the_holders,
    readiness_refusals_are_named,
);

/// Lea, an SDR crafting toward the account executive post that Carla holds; Max, another SDR,
/// elsewhere. Returns (AE post, Lea, Lea's tenure, Max, the other unit).
async fn team(app: &TestApp) -> (String, String, String, String, String) {
    let us = app.create("/v1/organizations", json!({"name": "Us", "kind": "own"})).await;
    let other = app
        .create("/v1/organizations", json!({"name": "Us North", "kind": "own", "parent_id": us}))
        .await;
    let ae = json!({"title": "Account executive", "facets": [
        {"dimension": "task", "key": "reporting", "weight": 0.8, "core": true},
        {"dimension": "task", "key": "tendering", "weight": 0.6},
        {"dimension": "priority", "key": "growth", "weight": 0.4},
        {"dimension": "task", "key": "claims_handling", "weight": -0.5}
    ]});
    let carla = app.holding(&us, ae, "Carla", "2024-01-01").await;
    let sdr = json!({"title": "SDR", "facets": [{"dimension": "task", "key": "budget_planning", "weight": 0.5}]});
    let lea = app.holding(&us, sdr.clone(), "Lea", "2026-01-01").await;
    let max = app.holding(&other, sdr, "Max", "2026-01-01").await;
    (carla.post, lea.person, lea.tenure, max.person, other)
}

fn fits(body: &serde_json::Value) -> Vec<(String, String)> {
    body["readiness"]["facets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["key"].as_str().unwrap().to_owned(), f["fit"].as_str().unwrap().to_owned()))
        .collect()
}

async fn a_persons_readiness_names_what_is_met_weaker_missing_and_brought(app: &TestApp) {
    let (ae, lea, lea_tenure, _, _) = team(app).await;
    let before = app.get(&format!("/v1/persons/{lea}/readiness?post_id={ae}")).await;
    assert_eq!(before.status, 200, "{}", before.body);
    assert_eq!(before.body["readiness"]["score"], json!(0.0));
    assert_eq!(before.body["tenure_ids"], json!([lea_tenure]));
    app.create(
        &format!("/v1/tenures/{lea_tenure}/crafting"),
        json!({"effective_at": "2026-06-01T00:00:00Z", "facets": [
            {"dimension": "task", "key": "reporting", "weight": 0.4},
            {"dimension": "priority", "key": "growth", "weight": 0.9}
        ]}),
    )
    .await;
    let after = app.get(&format!("/v1/persons/{lea}/readiness?post_id={ae}")).await;
    let r = &after.body["readiness"];
    assert_eq!(
        fits(&after.body),
        vec![
            ("reporting".to_owned(), "weaker".to_owned()),
            ("tendering".to_owned(), "missing".to_owned()),
            ("growth".to_owned(), "met".to_owned()),
        ],
        "core first, then by weight; the facet the post plays down is no demand"
    );
    // (0.5 × 0.8 × 2 + 0 × 0.6 + 1 × 0.4) / (0.8 × 2 + 0.6 + 0.4)
    assert!((r["score"].as_f64().unwrap() - 1.2 / 2.6).abs() < 1e-9, "{r}");
    assert_eq!(r["core_score"], json!(0.5));
    assert_eq!(r["facets"][0]["label"], "Reporting");
    assert_eq!(r["extra"][0]["key"], "budget_planning", "the SDR post's own facet, brought along");
    // As of before the revision, as it stood then.
    let then = app.get(&format!("/v1/persons/{lea}/readiness?post_id={ae}&as_of=2026-05-01")).await;
    assert_eq!(then.body["readiness"]["score"], json!(0.0));
}

async fn candidates_rank_the_tenant_or_an_organization_and_leave_out_the_holders(app: &TestApp) {
    let (ae, lea, lea_tenure, max, other) = team(app).await;
    app.create(
        &format!("/v1/tenures/{lea_tenure}/crafting"),
        json!({"facets": [{"dimension": "task", "key": "reporting", "weight": 0.9}]}),
    )
    .await;
    let ranked = app.get(&format!("/v1/posts/{ae}/candidates")).await;
    assert_eq!(ranked.status, 200, "{}", ranked.body);
    let people: Vec<&str> = ranked.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["person_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        people,
        vec![lea.as_str(), max.as_str()],
        "Carla holds the post; Lea is readier than Max"
    );
    assert_eq!(ranked.body["items"][0]["display_name"], "Lea");
    // The same explanation as a person's readiness.
    let alone = app.get(&format!("/v1/persons/{lea}/readiness?post_id={ae}")).await;
    let (listed, own) = (&ranked.body["items"][0]["readiness"], &alone.body["readiness"]);
    assert!((listed["score"].as_f64().unwrap() - own["score"].as_f64().unwrap()).abs() < 1e-6);
    assert_eq!(fits(&ranked.body["items"][0]), fits(&alone.body));
    let north = app.get(&format!("/v1/posts/{ae}/candidates?scope={other}&limit=5")).await;
    let people: Vec<&str> = north.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["person_id"].as_str().unwrap())
        .collect();
    assert_eq!(people, vec![max.as_str()]);
    let one = app.get(&format!("/v1/posts/{ae}/candidates?limit=1")).await;
    assert_eq!(one.body["items"].as_array().unwrap().len(), 1);
}

async fn readiness_refusals_are_named(app: &TestApp) {
    let (ae, lea, _, _, _) = team(app).await;
    app.get(&format!("/v1/persons/{lea}/readiness")).await.assert_problem(400);
    let unknown = uuid::Uuid::now_v7();
    let no_post = app.get(&format!("/v1/persons/{lea}/readiness?post_id={unknown}")).await;
    no_post.assert_problem(422);
    assert_eq!(no_post.pointers(), vec!["post_id"]);
    app.get(&format!("/v1/persons/{unknown}/readiness?post_id={ae}")).await.assert_problem(404);
    let limit = app.get(&format!("/v1/posts/{ae}/candidates?limit=0")).await;
    limit.assert_problem(422);
    assert_eq!(limit.pointers(), vec!["limit"]);
    let scope = app.get(&format!("/v1/posts/{ae}/candidates?scope={unknown}")).await;
    scope.assert_problem(422);
    assert_eq!(scope.pointers(), vec!["scope"]);
    app.get(&format!("/v1/posts/{unknown}/candidates")).await.assert_problem(404);
    // Another tenant sees neither the person nor the post.
    let other = app.other_tenant("elsewhere");
    let theirs = app
        .call(
            awc::http::Method::GET,
            &format!("/v1/persons/{lea}/readiness?post_id={ae}"),
            Some(&other),
            &[],
            None,
        )
        .await;
    theirs.assert_problem(422);
    let theirs = app
        .call(
            awc::http::Method::GET,
            &format!("/v1/posts/{ae}/candidates"),
            Some(&other),
            &[],
            None,
        )
        .await;
    theirs.assert_problem(404);
}
