use diesel::prelude::*;
use serde_json::json;

use jobcraft::domain::facet::Dimension;
use jobcraft::store::crafting_index::{write_snapshot, Snapshot, TenantIndex};
use jobcraft::store::pool::PoolOptions;
use jobcraft::store::schema::{crafting_index_snapshots, feed_horizons};
use jobcraft::store::Db;

use crate::harness::{on_both_backends, TestApp};

on_both_backends!(
    similar_crafters_are_ranked_explained_and_scoped,
    the_index_is_kept_in_the_database_for_the_next_instance,
);

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

/// What a fresh instance (a `Db` of its own, with nothing in memory) holds for the tenant.
fn fresh_index(app: &TestApp) -> (u64, std::sync::Arc<TenantIndex>) {
    let fresh = Db::open(&app.url, &PoolOptions::default());
    let index = fresh.read(|c| fresh.crafting_index.snapshot(c, app.tenant_id)).unwrap();
    (fresh.crafting_index.builds(), index)
}

/// The job weight of `key` in a tenure's entry.
fn weight(index: &TenantIndex, tenure: &str, key: &str) -> Option<f32> {
    let entry = &index.entries[&tenure.parse::<uuid::Uuid>().unwrap()];
    let id = index.keys.find(&(Dimension::DecisionCriterion, key.to_owned()))?;
    entry.job.entries.iter().find(|(k, _)| *k == id).map(|(_, w)| *w)
}

async fn the_index_is_kept_in_the_database_for_the_next_instance(app: &TestApp) {
    let acme = app.create("/v1/organizations", json!({"name": "Acme", "kind": "client"})).await;
    let green =
        json!([{"dimension": "decision_criterion", "key": "carbon_footprint", "weight": 0.9}]);
    let me = holder(app, &acme, "Me", green.clone()).await;
    holder(app, &acme, "Twin", green).await;
    let plain = app.holding(&acme, json!({"title": "Plain"}), "Plain", "2025-01-01").await;
    let similar = app.get(&format!("/v1/persons/{me}/similar")).await;
    assert_eq!(similar.status, 200, "{}", similar.body);

    // Written off the request's path, soon after.
    let snapshots = || {
        app.db.read(|c| Ok(crafting_index_snapshots::table.count().get_result::<i64>(c)?)).unwrap()
    };
    let started = std::time::Instant::now();
    while snapshots() == 0 && started.elapsed() < std::time::Duration::from_secs(10) {
        actix_web::rt::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(snapshots(), 1, "the index was written to the database");

    let (builds, read) = fresh_index(app);
    assert_eq!(builds, 0, "a new instance reads the index, it does not build it");
    let built = app.db.read(|c| app.db.crafting_index.snapshot(c, app.tenant_id)).unwrap();
    assert_eq!(read.entries.len(), built.entries.len());
    let tenures = app.all("/v1/tenures").await;
    let mine = tenures.iter().find(|t| t["person_id"] == me.as_str()).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(weight(&read, &mine, "carbon_footprint"), Some(0.9));

    // A revision after the snapshot: a new instance catches up from the snapshot's watermark.
    app.create(
        &format!("/v1/tenures/{mine}/crafting"),
        json!({"facets": [{"dimension": "decision_criterion", "key": "carbon_footprint", "weight": 0.4}]}),
    )
    .await;
    let (builds, caught_up) = fresh_index(app);
    assert_eq!(builds, 0);
    assert_eq!(weight(&caught_up, &mine, "carbon_footprint"), Some(0.4));

    // A deleted tenure is in the change feed: the index in memory and a new instance's, read
    // from the snapshot, drop it without building afresh.
    let deleted = app.delete(&format!("/v1/tenures/{}", plain.tenure)).await;
    assert_eq!(deleted.status, 204, "{}", deleted.body);
    let gone = plain.tenure.parse::<uuid::Uuid>().unwrap();
    let held = app.db.read(|c| app.db.crafting_index.snapshot(c, app.tenant_id)).unwrap();
    assert_eq!(held.entries.len(), 2);
    assert!(!held.entries.contains_key(&gone));
    let (builds, caught_up) = fresh_index(app);
    assert_eq!(builds, 0, "a deletion is caught up, not rebuilt");
    assert_eq!(caught_up.entries.len(), 2);
    assert!(!caught_up.entries.contains_key(&gone));

    // A feed pruned past the snapshot's number may have lost a deletion: built afresh.
    let another = app.holding(&acme, json!({"title": "Another"}), "Another", "2025-01-01").await;
    let head = app.db.read(|c| jobcraft::store::changes::head(c, app.tenant_id)).unwrap();
    app.db
        .write(|c| {
            let horizon =
                feed_horizons::table.filter(feed_horizons::tenant_id.eq(app.tenant_id.to_string()));
            Ok(diesel::update(horizon).set(feed_horizons::pruned_through.eq(head)).execute(c)?)
        })
        .unwrap();
    let (builds, rebuilt) = fresh_index(app);
    assert_eq!(builds, 1);
    assert_eq!(rebuilt.entries.len(), 3);
    assert!(rebuilt.entries.contains_key(&another.tenure.parse::<uuid::Uuid>().unwrap()));

    // An erasure drops the snapshot, and an index read before it does not bring it back.
    let before = Snapshot::of(&rebuilt).unwrap();
    let erased = app.delete(&format!("/v1/persons/{me}?erase=true")).await;
    assert_eq!(erased.status, 204, "{}", erased.body);
    assert_eq!(snapshots(), 0);
    app.db.write(|c| write_snapshot(c, app.tenant_id, &before)).unwrap();
    assert_eq!(snapshots(), 0, "an index from before the erasure is not kept");
}
