//! The team profile: an own unit's crafting against its accounts' influence-weighted demand,
//! with training needs, single points of failure and strengths; refusals named.

use serde_json::{json, Value};

use crate::harness::{on_both_backends, TestApp};

on_both_backends!(
    a_teams_profile_ranks_its_training_needs_by_unmet_demand,
    the_profile_reads_every_account_or_a_wider_team_when_asked,
    team_profile_refusals_are_named,
    accounts_are_read_with_their_sub_organizations_and_shared_stakeholders,
    an_account_within_another_counts_in_both,
    influence_as_known_then_is_the_coverage_reports,
    the_kept_demand_follows_every_write_and_reads_only_what_it_touched,
    profiles_asked_for_at_once_read_the_accounts_once,
);

struct Teams {
    us: String,
    dach: String,
    sam: String,
    tom: String,
    zoe: String,
    acme: String,
    globex: String,
}

async fn craft(app: &TestApp, tenure: &str, facets: Value) {
    app.create(&format!("/v1/tenures/{tenure}/crafting"), json!({ "facets": facets })).await;
}

fn criterion(key: &str, weight: f64) -> Value {
    json!({"dimension": "decision_criterion", "key": key, "weight": weight})
}

/// Us, with its DACH unit of two salespeople (Sam, who stresses cost reduction; Tom, who
/// audits suppliers — an affinity rule says that half meets `carbon_footprint`) and Zoe
/// above it, a sustainability champion (which fully meets it). Sam covers Acme's CFO, Tom
/// Globex's head of operations; nobody covers Initech.
async fn teams(app: &TestApp) -> Teams {
    let us = app.create("/v1/organizations", json!({"name": "Us", "kind": "own"})).await;
    let dach = app
        .create("/v1/organizations", json!({"name": "DACH", "kind": "own", "parent_id": us}))
        .await;
    let seller = json!({"title": "Account executive"});
    let sam = app.holding(&dach, seller.clone(), "Sam", "2025-01-01").await;
    let tom = app.holding(&dach, seller.clone(), "Tom", "2025-01-01").await;
    let zoe = app.holding(&us, seller, "Zoe", "2025-01-01").await;
    craft(
        app,
        &sam.tenure,
        json!([{"dimension": "priority", "key": "cost_reduction", "weight": 0.8}]),
    )
    .await;
    craft(
        app,
        &tom.tenure,
        json!([{"dimension": "task", "key": "supplier_audits", "weight": 0.6}]),
    )
    .await;
    craft(
        app,
        &zoe.tenure,
        json!([{"dimension": "cognitive", "key": "sustainability_champion", "weight": 1.0}]),
    )
    .await;
    for (from, weight) in
        [("task", "supplier_audits", 0.5), ("cognitive", "sustainability_champion", 1.0)]
            .map(|(dimension, key, weight)| (json!({"dimension": dimension, "key": key}), weight))
    {
        app.create(
            "/v1/affinities",
            json!({"from": from, "to": {"dimension": "decision_criterion", "key": "carbon_footprint"},
                   "weight": weight}),
        )
        .await;
    }

    let acme = app.create("/v1/organizations", json!({"name": "Acme", "kind": "client"})).await;
    let globex = app.create("/v1/organizations", json!({"name": "Globex", "kind": "client"})).await;
    let initech =
        app.create("/v1/organizations", json!({"name": "Initech", "kind": "client"})).await;
    let cfo = app.holding(&acme, json!({"title": "CFO"}), "Clara", "2024-01-01").await;
    craft(
        app,
        &cfo.tenure,
        json!([
            criterion("carbon_footprint", 1.0),
            json!({"dimension": "priority", "key": "cost_reduction", "weight": 0.5})
        ]),
    )
    .await;
    let ops =
        app.holding(&globex, json!({"title": "Head of operations"}), "Otto", "2024-01-01").await;
    craft(app, &ops.tenure, json!([criterion("carbon_footprint", 0.8), criterion("quality", 0.7)]))
        .await;
    let ciso = app.holding(&initech, json!({"title": "CISO"}), "Ivy", "2024-01-01").await;
    craft(app, &ciso.tenure, json!([criterion("risk_reduction", 0.9)])).await;
    for (salesperson, stakeholder) in [(&sam.person, &cfo.person), (&tom.person, &ops.person)] {
        app.create(
            "/v1/coverage",
            json!({"salesperson_id": salesperson, "stakeholder_id": stakeholder, "role": "primary"}),
        )
        .await;
    }
    Teams { us, dach, sam: sam.person, tom: tom.person, zoe: zoe.person, acme, globex }
}

fn keys(list: &Value) -> Vec<&str> {
    list.as_array().unwrap().iter().map(|k| k["key"].as_str().unwrap()).collect()
}

fn people(list: &Value) -> Vec<&str> {
    list.as_array().unwrap().iter().map(|p| p["person_id"].as_str().unwrap()).collect()
}

fn close(value: &Value, expected: f64) -> bool {
    (value.as_f64().unwrap() - expected).abs() < 1e-9
}

async fn a_teams_profile_ranks_its_training_needs_by_unmet_demand(app: &TestApp) {
    let t = teams(app).await;
    let profile = app.get(&format!("/v1/organizations/{}/team-profile", t.dach)).await;
    assert_eq!(profile.status, 200, "{}", profile.body);
    let p = &profile.body;
    assert_eq!(p["demand_scope"], "covered");
    let mut team = people(&p["salespeople"]);
    team.sort();
    let mut expected = vec![t.sam.as_str(), t.tom.as_str()];
    expected.sort();
    assert_eq!(team, expected, "the unit's salespeople, not Zoe above it");
    let accounts: Vec<&str> =
        p["accounts"].as_array().unwrap().iter().map(|a| a["id"].as_str().unwrap()).collect();
    assert_eq!(accounts, vec![t.acme.as_str(), t.globex.as_str()], "the accounts it covers");
    assert_eq!(p["stakeholders"], 2);

    // Each account has one stakeholder, whose influence there is 1.
    let needs = &p["training_needs"];
    assert_eq!(keys(needs), vec!["carbon_footprint", "quality", "cost_reduction"]);
    let carbon = &needs[0];
    assert!(close(&carbon["demand"], 1.8), "{carbon}");
    assert!(close(&carbon["best"], 0.3), "Tom's 0.6 through the 0.5 affinity: {carbon}");
    assert!(close(&carbon["team"], 0.15), "one of two: {carbon}");
    assert!(close(&carbon["unmet"], 1.8 - 0.27));
    assert_eq!(people(&carbon["aligners"]), vec![t.tom.as_str()]);
    assert_eq!(carbon["aligners"][0]["key"], "supplier_audits");
    assert_eq!(carbon["embrace"], "team", "wanted in both accounts");
    assert_eq!(people(&carbon["develop"]), vec![t.sam.as_str()]);
    assert_eq!(
        carbon["reason"],
        "2 stakeholders in 2 accounts weigh `carbon_footprint`; 1 salesperson of 2 aligns"
    );
    assert_eq!(carbon["top_stakeholders"][0]["display_name"], "Clara");
    let quality = &needs[1];
    assert_eq!(quality["embrace"], "individual");
    assert_eq!(people(&quality["develop"]), vec![t.tom.as_str()], "who covers Otto");
    assert!(quality["aligners"].as_array().unwrap().is_empty());
    let cost = &needs[2];
    assert!(close(&cost["unmet"], 0.5 - 0.2), "{cost}");
    assert!(cost["develop"].as_array().unwrap().is_empty(), "Sam covers Clara and aligns");

    assert_eq!(keys(&p["single_points_of_failure"]), vec!["carbon_footprint", "cost_reduction"]);
    assert!(close(&p["demand"], 3.0));
    assert!(close(&p["share_met"], 0.47 / 3.0), "{}", p["share_met"]);
    assert_eq!(keys(&p["strengths"]).len(), 2);

    // Before the crafting was recorded nobody wanted anything.
    let before = app
        .get(&format!("/v1/organizations/{}/team-profile?known_at=2020-01-01T00:00:00Z", t.dach))
        .await;
    assert_eq!(before.status, 200, "{}", before.body);
    assert_eq!(before.body["share_met"], Value::Null);
}

async fn the_profile_reads_every_account_or_a_wider_team_when_asked(app: &TestApp) {
    let t = teams(app).await;
    let tenant =
        app.get(&format!("/v1/organizations/{}/team-profile?demand=tenant&limit=2", t.dach)).await;
    assert_eq!(tenant.status, 200, "{}", tenant.body);
    assert_eq!(tenant.body["accounts"].as_array().unwrap().len(), 3);
    assert_eq!(keys(&tenant.body["training_needs"]), vec!["carbon_footprint", "risk_reduction"]);
    let risk = &tenant.body["training_needs"][1];
    assert_eq!(risk["embrace"], "individual", "one account of three");
    assert!(risk["develop"].as_array().unwrap().is_empty(), "nobody covers Ivy");
    assert_eq!(tenant.body["training_needs"][0]["embrace"], "team", "two accounts of three");

    // The whole company: Zoe meets carbon fully, but she is one of three.
    let us = app.get(&format!("/v1/organizations/{}/team-profile", t.us)).await;
    assert_eq!(us.body["salespeople"].as_array().unwrap().len(), 3);
    assert_eq!(
        keys(&us.body["training_needs"]),
        vec!["carbon_footprint", "quality", "cost_reduction"]
    );
    assert!(close(&us.body["training_needs"][0]["team"], 1.3 / 3.0));
    let single = &us.body["single_points_of_failure"];
    assert_eq!(keys(single), vec!["cost_reduction"], "Zoe and Tom both meet carbon");
    assert_eq!(people(&single[0]["aligners"]), vec![t.sam.as_str()]);
    let champion = us.body["strengths"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["key"] == "sustainability_champion")
        .unwrap()
        .clone();
    assert_eq!(people(&champion["holders"]), vec![t.zoe.as_str()]);
}

async fn team_profile_refusals_are_named(app: &TestApp) {
    let t = teams(app).await;
    let client = app.get(&format!("/v1/organizations/{}/team-profile", t.acme)).await;
    client.assert_problem(422);
    assert_eq!(client.pointers(), vec!["organization_id"]);
    let unknown = uuid::Uuid::now_v7();
    app.get(&format!("/v1/organizations/{unknown}/team-profile")).await.assert_problem(404);
    let limit = app.get(&format!("/v1/organizations/{}/team-profile?limit=0", t.dach)).await;
    limit.assert_problem(422);
    assert_eq!(limit.pointers(), vec!["limit"]);
    let scope = app.get(&format!("/v1/organizations/{}/team-profile?demand=mine", t.dach)).await;
    scope.assert_problem(400);
    let other = app.other_tenant("elsewhere");
    let theirs = app
        .call(
            awc::http::Method::GET,
            &format!("/v1/organizations/{}/team-profile", t.dach),
            Some(&other),
            &[],
            None,
        )
        .await;
    theirs.assert_problem(404);
}

/// The accounts are read together: a stakeholder in a sub-organization counts in its account,
/// and a person holding posts in two accounts is a stakeholder of each.
async fn accounts_are_read_with_their_sub_organizations_and_shared_stakeholders(app: &TestApp) {
    let t = teams(app).await;
    let plant = app
        .create(
            "/v1/organizations",
            json!({"name": "Acme Plant", "kind": "client", "parent_id": t.acme}),
        )
        .await;
    let pia = app.holding(&plant, json!({"title": "Plant manager"}), "Pia", "2024-01-01").await;
    craft(app, &pia.tenure, json!([criterion("local_sourcing", 0.9)])).await;
    app.create(
        "/v1/coverage",
        json!({"salesperson_id": t.tom, "stakeholder_id": pia.person, "role": "primary"}),
    )
    .await;
    let max = app.holding(&t.acme, json!({"title": "Board member"}), "Max", "2024-01-01").await;
    craft(app, &max.tenure, json!([criterion("references", 0.6)])).await;
    let seat =
        app.create("/v1/posts", json!({"title": "Advisor", "organization_id": t.globex})).await;
    let second = app
        .create(
            "/v1/tenures",
            json!({"person_id": max.person, "post_id": seat, "started_on": "2024-01-01"}),
        )
        .await;
    craft(app, &second, json!([criterion("references", 0.4)])).await;

    let profile = app.get(&format!("/v1/organizations/{}/team-profile", t.dach)).await;
    assert_eq!(profile.status, 200, "{}", profile.body);
    let p = &profile.body;
    let accounts: Vec<&str> =
        p["accounts"].as_array().unwrap().iter().map(|a| a["id"].as_str().unwrap()).collect();
    assert_eq!(accounts, vec![t.acme.as_str(), t.globex.as_str()], "the plant is part of Acme");
    // Acme: Clara, Pia, Max; Globex: Otto, Max.
    assert_eq!(p["stakeholders"], 5);
    let needs = p["training_needs"].as_array().unwrap();
    let need = |key: &str| needs.iter().find(|n| n["key"] == key).unwrap().clone();
    let local = need("local_sourcing");
    assert_eq!(local["accounts"], json!([t.acme]));
    assert_eq!(people(&local["develop"]), vec![t.tom.as_str()], "who covers Pia");
    let references = need("references");
    let mut accounts: Vec<&str> =
        references["accounts"].as_array().unwrap().iter().map(|a| a.as_str().unwrap()).collect();
    accounts.sort();
    let mut expected = vec![t.acme.as_str(), t.globex.as_str()];
    expected.sort();
    assert_eq!(accounts, expected, "Max weighs it in each account");
    assert_eq!(references["stakeholders"], 2, "{references}");
    // Each account counts what Max weighs in its own posts, not in the other's.
    let weight_in = |account: &str| {
        let want = references["top_stakeholders"]
            .as_array()
            .unwrap()
            .iter()
            .find(|w| w["account_id"] == account)
            .unwrap_or_else(|| panic!("no want in {account}: {references}"));
        assert_eq!(want["person_id"], json!(max.person));
        want["weight"].as_f64().unwrap()
    };
    assert_eq!(weight_in(&t.acme), 0.6);
    assert_eq!(weight_in(&t.globex), 0.4);
}

/// A client under a partner under a client is an account of its own and part of the one
/// above: read together, its stakeholders count in both.
async fn an_account_within_another_counts_in_both(app: &TestApp) {
    let t = teams(app).await;
    let partner = app
        .create(
            "/v1/organizations",
            json!({"name": "Acme Partner", "kind": "partner", "parent_id": t.acme}),
        )
        .await;
    let inner = app
        .create(
            "/v1/organizations",
            json!({"name": "Acme Inner", "kind": "client", "parent_id": partner}),
        )
        .await;
    let rio = app.holding(&inner, json!({"title": "Buyer"}), "Rio", "2024-01-01").await;
    craft(app, &rio.tenure, json!([criterion("innovation", 0.8)])).await;
    let tenant =
        app.get(&format!("/v1/organizations/{}/team-profile?demand=tenant&limit=20", t.dach)).await;
    assert_eq!(tenant.status, 200, "{}", tenant.body);
    let accounts: Vec<&str> = tenant.body["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    assert!(
        accounts.contains(&t.acme.as_str()) && accounts.contains(&inner.as_str()),
        "{accounts:?}"
    );
    let needs = tenant.body["training_needs"].as_array().unwrap();
    let innovation = needs.iter().find(|n| n["key"] == "innovation").unwrap();
    let mut wanted_in: Vec<&str> =
        innovation["accounts"].as_array().unwrap().iter().map(|a| a.as_str().unwrap()).collect();
    wanted_in.sort();
    let mut expected = vec![t.acme.as_str(), inner.as_str()];
    expected.sort();
    assert_eq!(wanted_in, expected, "Rio counts in Acme and in Acme Inner");
}

/// The profile weighs each want by the stakeholder's influence as the coverage report computes
/// it, also as known before a holder's tenure was deleted: the same holders, lines and
/// relationships (hers too), read the team profile's own way.
async fn influence_as_known_then_is_the_coverage_reports(app: &TestApp) {
    let t = teams(app).await;
    // Dora's crafting is not known: a tenure with revisions is history, never deleted.
    let dora = app.holding(&t.acme, json!({"title": "Buyer"}), "Dora", "2024-01-01").await;
    let ugo = app.holding(&t.acme, json!({"title": "Engineer"}), "Ugo", "2024-01-01").await;
    craft(app, &ugo.tenure, json!([criterion("carbon_footprint", 0.7)])).await;
    let people = app.get("/v1/persons?limit=100").await.body;
    let clara = people["items"].as_array().unwrap().iter().find(|p| p["display_name"] == "Clara");
    let clara = clara.unwrap()["id"].as_str().unwrap().to_owned();
    for (from, to, kind) in
        [(&dora.person, &clara, "influences"), (&ugo.person, &dora.person, "reports_informally_to")]
    {
        app.create(
            "/v1/relationships",
            json!({"from_person_id": from, "to_person_id": to, "kind": kind, "strength": 0.9}),
        )
        .await;
    }
    actix_web::rt::time::sleep(std::time::Duration::from_millis(50)).await;
    let then = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    actix_web::rt::time::sleep(std::time::Duration::from_millis(50)).await;
    // Dora leaves, her tenure deleted: she holds no post now, yet did as known then.
    let gone = app.delete(&format!("/v1/tenures/{}", dora.tenure)).await;
    assert!(gone.status.is_success(), "{}", gone.body);

    let known_then = format!("known_at={then}");
    for at in [known_then.as_str(), ""] {
        let profile =
            app.get(&format!("/v1/organizations/{}/team-profile?demand=tenant&{at}", t.dach)).await;
        assert_eq!(profile.status, 200, "{}", profile.body);
        let report = app.get(&format!("/v1/accounts/{}/coverage?{at}", t.acme)).await;
        assert_eq!(report.status, 200, "{}", report.body);
        let reported: Vec<(String, f64)> = report.body["posts"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|p| p["holders"].as_array().unwrap().iter())
            .map(|h| {
                (h["person_id"].as_str().unwrap().to_owned(), h["influence"].as_f64().unwrap())
            })
            .collect();
        let needs = profile.body["training_needs"].as_array().unwrap();
        let carbon = needs.iter().find(|n| n["key"] == "carbon_footprint").unwrap();
        let wants: Vec<&Value> = carbon["top_stakeholders"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|w| w["account_id"] == json!(t.acme))
            .collect();
        assert_eq!(wants.len(), 2, "Clara and Ugo: {carbon}");
        for want in wants {
            let person = want["person_id"].as_str().unwrap();
            let (_, influence) = reported.iter().find(|(p, _)| p == person).unwrap();
            assert!(
                (want["influence"].as_f64().unwrap() - influence).abs() < 1e-12,
                "{person} at {at:?}: {want} against the report's {influence}"
            );
        }
    }
}

/// The profile as of now (the accounts' demand kept between requests) is the profile read from
/// every row: a `known_at` ahead of now takes the path that keeps nothing.
async fn kept_is_read(app: &TestApp, unit: &str, after: &str) {
    for demand in ["tenant", "covered"] {
        let path = format!("/v1/organizations/{unit}/team-profile?demand={demand}&limit=50");
        same_profile(app, &path, &format!("{after}, demand={demand}")).await;
    }
}

async fn same_profile(app: &TestApp, path: &str, after: &str) {
    let kept = app.get(path).await;
    assert_eq!(kept.status, 200, "{}", kept.body);
    let read = app.get(&format!("{path}&known_at=2999-01-01")).await;
    assert_eq!(read.status, 200, "{}", read.body);
    for field in [
        "accounts",
        "stakeholders",
        "demand",
        "share_met",
        "training_needs",
        "single_points_of_failure",
        "strengths",
    ] {
        assert_eq!(kept.body[field], read.body[field], "{field} after {after}");
    }
}

/// Each kind of write that moves an account's demand is caught up from the change feed: the
/// account it touches, and only that one, is read again; the answer is the one read from
/// every row.
async fn the_kept_demand_follows_every_write_and_reads_only_what_it_touched(app: &TestApp) {
    let t = teams(app).await;
    let demand = &app.db.demand;
    kept_is_read(app, &t.dach, "the first call").await;
    let mut reads = demand.reads();
    assert_eq!(reads, 3, "Acme, Globex and Initech, once");
    let mut expect_read = |accounts: u64, after: &str| {
        reads += accounts;
        assert_eq!(demand.reads(), reads, "accounts read again after {after}");
    };
    kept_is_read(app, &t.dach, "nothing").await;
    expect_read(0, "nothing");

    let ugo = app.holding(&t.acme, json!({"title": "Engineer"}), "Ugo", "2024-01-01").await;
    kept_is_read(app, &t.dach, "a new holder").await;
    expect_read(1, "a new holder");
    craft(app, &ugo.tenure, json!([criterion("carbon_footprint", 0.7)])).await;
    kept_is_read(app, &t.dach, "a revision").await;
    expect_read(1, "a revision");
    let dora = app.holding(&t.acme, json!({"title": "Buyer"}), "Dora", "2024-01-01").await;
    let line = app
        .create(
            "/v1/relationships",
            json!({"from_person_id": dora.person, "to_person_id": ugo.person,
                   "kind": "influences", "strength": 0.9}),
        )
        .await;
    kept_is_read(app, &t.dach, "a relationship").await;
    expect_read(1, "a holder and a relationship");
    assert!(app.delete(&format!("/v1/relationships/{line}")).await.status.is_success());
    kept_is_read(app, &t.dach, "a relationship deleted").await;
    expect_read(1, "a relationship deleted");

    // Ugo's post moves to Globex: both accounts change.
    let moved =
        app.patch(&format!("/v1/posts/{}", ugo.post), json!({"organization_id": t.globex})).await;
    assert_eq!(moved.status, 200, "{}", moved.body);
    kept_is_read(app, &t.dach, "a post moved").await;
    expect_read(2, "a post moved");

    // A unit of Initech's: its organizations are not the ones it was read with.
    let initech = app.get("/v1/organizations?limit=100").await.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["name"] == "Initech")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let lab = app
        .create(
            "/v1/organizations",
            json!({"name": "Initech Lab", "kind": "client",
                                             "parent_id": initech}),
        )
        .await;
    kept_is_read(app, &t.dach, "a unit added").await;
    expect_read(1, "a unit added");
    let lia = app.holding(&lab, json!({"title": "Researcher"}), "Lia", "2024-01-01").await;
    craft(app, &lia.tenure, json!([criterion("carbon_footprint", 0.9)])).await;
    kept_is_read(app, &t.dach, "a holder in the unit").await;
    expect_read(1, "a holder in the unit");

    // A revision that takes effect in a moment: kept until then, read again after.
    let soon = chrono::Utc::now() + chrono::Duration::milliseconds(1500);
    app.create(
        &format!("/v1/tenures/{}/crafting", dora.tenure),
        json!({"effective_at": soon.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
               "facets": [criterion("quality", 1.0)]}),
    )
    .await;
    kept_is_read(app, &t.dach, "a revision still to come").await;
    expect_read(1, "a revision still to come");
    actix_web::rt::time::sleep(std::time::Duration::from_millis(2000)).await;
    kept_is_read(app, &t.dach, "the revision come into effect").await;
    expect_read(1, "the revision come into effect");

    // A tenure with crafting is history and is never deleted; one without is.
    let ned = app.holding(&t.globex, json!({"title": "Planner"}), "Ned", "2024-01-01").await;
    kept_is_read(app, &t.dach, "a holder without crafting").await;
    expect_read(1, "a holder without crafting");
    let gone = app.delete(&format!("/v1/tenures/{}", ned.tenure)).await;
    assert!(gone.status.is_success(), "{}", gone.body);
    kept_is_read(app, &t.dach, "a tenure deleted").await;
    expect_read(1, "a tenure deleted");

    // Influence reads the coverage settings: every account is read again.
    let saved = app.put("/v1/settings/coverage", json!({"role_weights": {"user": 2.0}})).await;
    assert_eq!(saved.status, 200, "{}", saved.body);
    kept_is_read(app, &t.dach, "the settings saved").await;
    expect_read(3, "the settings saved");
    // A person's name is not demand.
    let renamed =
        app.patch(&format!("/v1/persons/{}", ugo.person), json!({"display_name": "Hugo"})).await;
    assert_eq!(renamed.status, 200, "{}", renamed.body);
    kept_is_read(app, &t.dach, "a person renamed").await;
    expect_read(0, "a person renamed");
}

/// Profiles asked for together on a fresh instance: one reads the accounts, the others wait for
/// it and use what it kept.
async fn profiles_asked_for_at_once_read_the_accounts_once(app: &TestApp) {
    let t = teams(app).await;
    let path = format!("/v1/organizations/{}/team-profile?demand=tenant", t.dach);
    let answers = futures_util::future::join_all((0..6).map(|_| app.get(&path))).await;
    for answer in &answers {
        assert_eq!(answer.status, 200, "{}", answer.body);
        assert_eq!(answer.body["training_needs"], answers[0].body["training_needs"]);
    }
    assert_eq!(app.db.demand.reads(), 3, "Acme, Globex and Initech, once");
}
