use serde_json::json;

use crate::harness::{on_both_backends, TestApp};

on_both_backends!(similar_crafters_are_ranked_explained_and_scoped);

async fn holder(app: &TestApp, org: &str, name: &str, crafting: serde_json::Value) -> String {
    let post = json!({"title": format!("Buyer {name}"), "facets": [
        {"dimension": "decision_criterion", "key": "price", "weight": 0.9}]});
    let held = app.holding(org, post, name, "2025-01-01").await;
    app.create(&format!("/v1/tenures/{}/crafting", held.tenure), json!({"facets": crafting})).await;
    held.person
}

async fn similar_crafters_are_ranked_explained_and_scoped(app: &TestApp) {
    let group = app.create("/v1/organizations", json!({"name": "Group", "kind": "client"})).await;
    let unit = app
        .create("/v1/organizations", json!({"name": "Unit", "kind": "client", "parent_id": group}))
        .await;
    let other = app.create("/v1/organizations", json!({"name": "Other", "kind": "client"})).await;
    let green = json!([
        {"dimension": "decision_criterion", "key": "carbon_footprint", "weight": 0.9},
        {"dimension": "decision_criterion", "key": "price", "weight": 0.3}]);
    let me = holder(app, &group, "Me", green.clone()).await;
    let twin = holder(app, &unit, "Twin", green.clone()).await;
    let half = holder(
        app,
        &group,
        "Half",
        json!([
        {"dimension": "decision_criterion", "key": "carbon_footprint", "weight": 0.5}]),
    )
    .await;
    let far_twin = holder(app, &other, "Far twin", green).await;
    let opposite = holder(
        app,
        &group,
        "Opposite",
        json!([
        {"dimension": "decision_criterion", "key": "price", "weight": 1.0}]),
    )
    .await;

    let tenant = app.get(&format!("/v1/persons/{me}/similar")).await;
    assert_eq!(tenant.status, 200, "{}", tenant.body);
    let ids: Vec<&str> = tenant.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["person_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 3, "the opposite crafter is not similar: {}", tenant.body);
    assert!(ids[..2].contains(&twin.as_str()) && ids[..2].contains(&far_twin.as_str()));
    assert_eq!(ids[2], half.as_str());
    let first = &tenant.body["items"][0];
    assert!((first["score"].as_f64().unwrap() - 1.0).abs() < 1e-5);
    assert_eq!(first["shared"][0]["key"], "carbon_footprint");
    assert_eq!(first["shared"][0]["label"], "Carbon footprint");

    let account = app.get(&format!("/v1/persons/{me}/similar?scope=account")).await;
    let ids: Vec<&str> = account.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["person_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec![twin.as_str(), half.as_str()]);
    let organization =
        app.get(&format!("/v1/persons/{me}/similar?scope=organization&limit=1")).await;
    assert_eq!(organization.body["items"][0]["person_id"], half.as_str());
    app.get(&format!("/v1/persons/{me}/similar?limit=0")).await.assert_problem(422);

    // The index catches up with new crafting: the opposite crafter turns green.
    let tenure = app.all(&format!("/v1/persons/{opposite}/tenures")).await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.create(
        &format!("/v1/tenures/{tenure}/crafting"),
        json!({"facets": [
        {"dimension": "decision_criterion", "key": "carbon_footprint", "weight": 0.9},
        {"dimension": "decision_criterion", "key": "price", "weight": 0.3}]}),
    )
    .await;
    let now = app.get(&format!("/v1/persons/{me}/similar")).await;
    assert!(now.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["person_id"] == opposite.as_str()));
    app.get(&format!("/v1/persons/{me}/similar?scope=galaxy")).await.assert_problem(400);

    // Our own salesperson crafts like Me, but is on the other side of the table.
    let seller = app.create("/v1/organizations", json!({"name": "Northwind", "kind": "own"})).await;
    let green_seller = json!([
        {"dimension": "decision_criterion", "key": "carbon_footprint", "weight": 0.9},
        {"dimension": "decision_criterion", "key": "price", "weight": 0.3}]);
    let carla = holder(app, &seller, "Carla", green_seller).await;
    let ids = |body: &serde_json::Value| -> Vec<String> {
        body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["person_id"].as_str().unwrap().to_owned())
            .collect()
    };
    let same = app.get(&format!("/v1/persons/{me}/similar")).await.body;
    assert!(!ids(&same).contains(&carla), "stakeholders with stakeholders by default");
    let other = app.get(&format!("/v1/persons/{me}/similar?side=other")).await.body;
    assert_eq!(ids(&other), vec![carla.clone()]);
    let both = app.get(&format!("/v1/persons/{me}/similar?side=both&limit=100")).await.body;
    assert!(ids(&both).contains(&carla) && ids(&both).contains(&twin));
    // From Carla's side: her peers are salespeople, and the stakeholders are the other side.
    let hers = app.get(&format!("/v1/persons/{carla}/similar")).await.body;
    assert!(ids(&hers).is_empty(), "no other salesperson crafts so: {hers}");
    let theirs = app.get(&format!("/v1/persons/{carla}/similar?side=other")).await.body;
    assert!(ids(&theirs).contains(&me));
    app.get(&format!("/v1/persons/{me}/similar?side=left")).await.assert_problem(400);
}
