//! Account coverage: relationships, coverage links, interactions, the account network, the
//! coverage report with its alerts, and optimal suggestions with their explanations.

use chrono::{Duration, Utc};
use serde_json::{json, Value};

use crate::harness::{on_both_backends, TestApp};

on_both_backends!(
    the_report_raises_the_alerts_a_sales_manager_acts_on,
    a_report_known_at_a_past_time_reads_corrections_and_deletions_as_they_were,
    a_report_known_before_a_holders_only_tenure_was_deleted_shows_them_whole,
    the_suggestion_puts_the_client_first_salesperson_on_the_green_buyer,
    applying_a_suggestion_writes_it_in_one_transaction,
    the_network_is_drawable_and_influence_is_explained,
    interactions_derive_strength_and_stated_strength_wins,
    coverage_needs_a_salesperson_and_names_the_field,
    bad_suggestion_options_are_named,
    an_account_without_stakeholders_or_salespeople_is_an_empty_answer,
    the_overview_sorts_accounts_by_risk,
    settings_change_half_life_and_role_weights,
    erasing_a_person_removes_their_network,
    a_blocker_is_not_suggested_and_covering_is_worth_something_before_fit,
    a_warm_path_reaches_the_uncovered_through_people_we_know,
    having_worked_together_is_a_warm_path_only_in_a_team_small_enough_to_know_each_other,
);

pub fn days_ago(days: i64) -> String {
    (Utc::now().date_naive() - Duration::days(days)).to_string()
}

/// The story of the sales managers' guide, "Account coverage" (docs/guides/sales-managers.md).
pub struct Story {
    pub acme: String,
    pub globex: String,
    pub carla: String,
    pub max: String,
    pub olga: String,
    pub nora: String,
    pub peter: String,
    pub ivo: String,
    pub procurement: String,
}

async fn person(app: &TestApp, name: &str) -> String {
    app.create("/v1/persons", json!({"display_name": name})).await
}

async fn hold(app: &TestApp, person: &str, post: &str, started: &str, extra: Value) -> String {
    let mut body = json!({"person_id": person, "post_id": post, "started_on": started});
    body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    app.create("/v1/tenures", body).await
}

async fn craft(app: &TestApp, tenure: &str, facets: Value) {
    app.create(&format!("/v1/tenures/{tenure}/crafting"), json!({"facets": facets})).await;
}

pub async fn story(app: &TestApp) -> Story {
    // The seller: two units, one salesperson each, crafting their jobs differently.
    let seller = app.create("/v1/organizations", json!({"name": "Northwind", "kind": "own"})).await;
    let dach = app
        .create(
            "/v1/organizations",
            json!({"name": "Northwind DACH", "kind": "own", "parent_id": seller,
                   "profile": {"size_band": "sme", "region": "dach", "tags": ["iso14001"]}}),
        )
        .await;
    let enterprise = app
        .create(
            "/v1/organizations",
            json!({"name": "Northwind Enterprise", "kind": "own", "parent_id": seller,
                   "profile": {"size_band": "enterprise", "region": "nordics"}}),
        )
        .await;
    let ae_dach =
        app.create("/v1/posts", json!({"organization_id": dach, "title": "AE DACH"})).await;
    let ae_ent = app
        .create("/v1/posts", json!({"organization_id": enterprise, "title": "AE Enterprise"}))
        .await;
    let carla = person(app, "Carla").await;
    let max = person(app, "Max").await;
    let carla_t = hold(app, &carla, &ae_dach, "2022-01-01", json!({"capacity": 10})).await;
    let max_t = hold(app, &max, &ae_ent, "2022-01-01", json!({"capacity": 10})).await;
    craft(
        app,
        &carla_t,
        json!([{"dimension": "cognitive", "key": "client_success", "weight": 0.9},
               {"dimension": "cognitive", "key": "sustainability_champion", "weight": 0.8}]),
    )
    .await;
    craft(
        app,
        &max_t,
        json!([{"dimension": "cognitive", "key": "commission_first", "weight": 1.0},
               {"dimension": "priority", "key": "growth", "weight": 0.9}]),
    )
    .await;
    app.create(
        "/v1/affinities",
        json!({"from": {"dimension": "cognitive", "key": "sustainability_champion"},
               "to": {"dimension": "decision_criterion", "key": "carbon_footprint"}, "weight": 1.0}),
    )
    .await;

    // The client account: a CEO, a procurement head who changed, a new claims manager.
    let acme = app
        .create(
            "/v1/organizations",
            json!({"name": "Acme Insurance", "kind": "client", "profile": {"region": "dach"}}),
        )
        .await;
    let claims = app
        .create(
            "/v1/organizations",
            json!({"name": "Acme Claims", "kind": "client", "parent_id": acme}),
        )
        .await;
    let ceo = app.create("/v1/posts", json!({"organization_id": acme, "title": "CEO"})).await;
    let procurement = app
        .create(
            "/v1/posts",
            json!({"organization_id": acme, "title": "Head of Procurement", "reports_to_post_id": ceo}),
        )
        .await;
    let claims_manager = app
        .create(
            "/v1/posts",
            json!({"organization_id": claims, "title": "Claims Manager", "reports_to_post_id": ceo}),
        )
        .await;
    app.create(
        "/v1/posts",
        json!({"organization_id": acme, "title": "CFO", "reports_to_post_id": ceo}),
    )
    .await;
    let olga = person(app, "Olga").await;
    let peter = person(app, "Peter").await;
    let nora = person(app, "Nora").await;
    let ivo = person(app, "Ivo").await;
    hold(app, &olga, &ceo, "2019-01-01", json!({"buying_roles": ["decision_maker"]})).await;
    hold(
        app,
        &peter,
        &procurement,
        "2020-01-01",
        json!({"ended_on": days_ago(40), "buying_roles": ["champion"]}),
    )
    .await;
    let nora_t =
        hold(app, &nora, &procurement, &days_ago(40), json!({"buying_roles": ["economic_buyer"]}))
            .await;
    craft(
        app,
        &nora_t,
        json!([{"dimension": "decision_criterion", "key": "carbon_footprint", "weight": 0.9},
               {"dimension": "partner_preference", "key": "supplier_size_small", "weight": 0.7}]),
    )
    .await;
    hold(app, &ivo, &claims_manager, &days_ago(20), json!({})).await;

    // The champion moved to another account.
    let globex = app.create("/v1/organizations", json!({"name": "Globex", "kind": "client"})).await;
    let purchasing = app
        .create("/v1/posts", json!({"organization_id": globex, "title": "Head of Purchasing"}))
        .await;
    hold(app, &peter, &purchasing, &days_ago(39), json!({})).await;

    // Max covers the CEO and (still) Peter; nobody covers Nora.
    app.create(
        "/v1/coverage",
        json!({"salesperson_id": max, "stakeholder_id": olga, "role": "primary", "strength": 0.7}),
    )
    .await;
    app.create(
        "/v1/coverage",
        json!({"salesperson_id": max, "stakeholder_id": peter, "role": "primary", "strength": 0.8}),
    )
    .await;
    Story { acme, globex, carla, max, olga, nora, peter, ivo, procurement }
}

fn alerts_of<'a>(report: &'a Value, kind: &str) -> Vec<&'a Value> {
    report["alerts"].as_array().unwrap().iter().filter(|a| a["type"] == kind).collect()
}

async fn the_report_raises_the_alerts_a_sales_manager_acts_on(app: &TestApp) {
    let s = story(app).await;
    let report = app.get(&format!("/v1/accounts/{}/coverage", s.acme)).await;
    assert_eq!(report.status, 200, "{}", report.body);
    let r = &report.body;
    let m = &r["metrics"];
    assert_eq!(m["stakeholders"], 3, "{m}");
    assert_eq!(m["covered_stakeholders"], 1);
    assert_eq!(
        (m["decision_makers"].as_u64(), m["decision_makers_covered"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(
        (m["economic_buyers"].as_u64(), m["economic_buyers_covered"].as_u64()),
        (Some(1), Some(0))
    );
    assert_eq!(m["vacant_posts"], 1);
    let covered = m["influence_covered"].as_f64().unwrap();
    assert!(covered > 0.4 && covered < 1.0, "{covered}");

    let left = alerts_of(r, "covered_person_left");
    assert_eq!(left.len(), 1, "{r}");
    assert_eq!(left[0]["person_id"], s.peter);
    assert_eq!(left[0]["post_id"], s.procurement);
    assert_eq!(left[0]["salesperson_ids"], json!([s.max]));
    assert_eq!(left[0]["now_at"]["organization_id"], s.globex);
    assert!(left[0]["message"].as_str().unwrap().contains("Globex"));
    let role = alerts_of(r, "uncovered_buying_role");
    assert_eq!((role.len(), &role[0]["person_id"]), (1, &json!(s.nora)));
    assert_eq!(role[0]["buying_role"], "economic_buyer");
    let message = role[0]["message"].as_str().unwrap();
    assert!(message.contains("is an economic buyer and nobody covers them"), "{message}");
    assert_eq!(alerts_of(r, "single_threaded_account")[0]["salesperson_ids"], json!([s.max]));
    let new = alerts_of(r, "new_holder");
    assert_eq!(new.len(), 1, "Nora's crafting is recorded, Ivo's is not: {r}");
    assert_eq!(new[0]["person_id"], s.ivo);
    assert_eq!(alerts_of(r, "vacant_post").len(), 1);
    let stale = alerts_of(r, "stale_relationship");
    assert_eq!(stale.len(), 1, "no interaction logged with the CEO");
    // Peter was the account's only champion, and Max covered him.
    let champion = alerts_of(r, "champion_lost");
    assert_eq!(champion.len(), 1, "{r}");
    assert_eq!(
        (&champion[0]["person_id"], &champion[0]["buying_role"]),
        (&json!(s.peter), &json!("champion"))
    );
    assert_eq!(champion[0]["salesperson_ids"], json!([s.max]));
    let message = champion[0]["message"].as_str().unwrap();
    assert!(message.starts_with("Acme Insurance has lost its champion: Peter"), "{message}");
    assert!(message.ends_with("nobody in the account is a champion now"), "{message}");
    assert_eq!(r["alerts"][0]["type"], "champion_lost", "most urgent first");
    assert_eq!(r["alerts"][1]["type"], "covered_person_left");

    // As of sixty days ago, Peter still held Procurement and was covered: no departure, no
    // champion lost, and Nora was not there yet.
    let then = app.get(&format!("/v1/accounts/{}/coverage?as_of={}", s.acme, days_ago(60))).await;
    assert_eq!(then.status, 200, "{}", then.body);
    assert!(alerts_of(&then.body, "champion_lost").is_empty(), "{}", then.body);
    assert!(alerts_of(&then.body, "covered_person_left").is_empty());
    let holders: Vec<&Value> = then.body["posts"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["holders"].as_array().unwrap())
        .collect();
    assert!(holders.iter().any(|h| h["person_id"] == s.peter));
    assert!(!holders.iter().any(|h| h["person_id"] == s.nora));
    let overview = app.get(&format!("/v1/coverage/overview?as_of={}", days_ago(60))).await;
    assert_eq!(overview.status, 200, "{}", overview.body);
    app.get(&format!("/v1/accounts/{}/coverage?as_of=yesterday", s.acme)).await.assert_problem(400);

    // At Globex, Peter is someone we know: a warm lead with Max and his strength.
    let globex = app.get(&format!("/v1/accounts/{}/coverage", s.globex)).await.body;
    let arrived = alerts_of(&globex, "known_person_arrived");
    assert_eq!(arrived.len(), 1, "{globex}");
    assert_eq!(arrived[0]["person_id"], s.peter);
    assert_eq!(arrived[0]["salesperson_ids"], json!([s.max]));
    assert_eq!(arrived[0]["strength"], 0.8);
    assert_eq!(arrived[0]["came_from"]["post_id"], s.procurement);
    assert!(
        arrived[0]["message"].as_str().unwrap().contains("from Acme Insurance"),
        "{}",
        arrived[0]
    );

    let ceo = r["posts"].as_array().unwrap().iter().find(|p| p["title"] == "CEO").unwrap();
    let holder = &ceo["holders"][0];
    assert_eq!(holder["person_id"], s.olga);
    assert_eq!(holder["covered_by"][0]["salesperson_name"], "Max");
    assert_eq!(holder["covered_by"][0]["strength_source"], "stated");
    assert_eq!(holder["role_factor"], 3.0);
}

fn pair_of<'a>(suggestion: &'a Value, stakeholder: &str) -> Vec<&'a Value> {
    suggestion["pairs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["stakeholder_id"] == stakeholder)
        .collect()
}

async fn the_suggestion_puts_the_client_first_salesperson_on_the_green_buyer(app: &TestApp) {
    let s = story(app).await;
    let response = app.post(&format!("/v1/accounts/{}/suggestions", s.acme), json!({})).await;
    assert_eq!(response.status, 200, "{}", response.body);
    assert!(response.header("server-timing").unwrap().contains("solve;dur="));
    let body = &response.body;
    let nora = pair_of(body, &s.nora);
    assert_eq!(nora.len(), 1, "{body}");
    assert_eq!(nora[0]["salesperson_id"], s.carla);
    assert_eq!(nora[0]["salesperson_name"], "Carla");
    let matched = &nora[0]["matched_facets"][0];
    assert_eq!(matched["salesperson"]["key"], "sustainability_champion");
    assert_eq!(matched["stakeholder"]["key"], "carbon_footprint");
    assert_eq!(nora[0]["partner_matches"][0]["key"], "supplier_size_small");
    assert_eq!(nora[0]["parts"]["partner"], 1.0);
    // Max keeps the CEO he covers (continuity and relationship).
    let olga = pair_of(body, &s.olga);
    assert_eq!(olga[0]["salesperson_id"], s.max);
    assert_eq!(olga[0]["covering_now"], true);
    let objective = body["objective"].as_f64().unwrap();
    assert!(objective > body["current_objective"].as_f64().unwrap());
    let sum: f64 =
        body["pairs"].as_array().unwrap().iter().map(|p| p["score"].as_f64().unwrap()).sum();
    assert!((sum - objective).abs() < 1e-9);
    // Nothing was written.
    assert_eq!(app.all("/v1/coverage").await.len(), 2);

    // Two coverers for decision makers, and Carla excluded from the CEO: Max only.
    let response = app
        .post(
            &format!("/v1/accounts/{}/suggestions", s.acme),
            json!({"coverers_by_role": {"decision_maker": 2},
                   "excluded": [{"salesperson_id": s.carla, "stakeholder_id": s.olga}]}),
        )
        .await;
    assert_eq!(response.status, 200, "{}", response.body);
    assert_eq!(pair_of(&response.body, &s.olga).len(), 1);
    let uncovered = response.body["uncovered"].as_array().unwrap();
    let olga = uncovered.iter().find(|u| u["stakeholder_id"] == s.olga).unwrap();
    assert_eq!(olga["missing_coverers"], 1);
    assert_eq!(olga["reason"], "every_fit_zero", "Carla is excluded, Max covers her already");

    // With no capacity left, the reason says so.
    let response = app
        .post(
            &format!("/v1/accounts/{}/suggestions", s.acme),
            json!({"capacity_overrides": {(s.carla.clone()): 0, (s.max.clone()): 0}}),
        )
        .await;
    assert_eq!(response.status, 200, "{}", response.body);
    assert!(response.body["pairs"].as_array().unwrap().is_empty());
    assert!(response.body["uncovered"]
        .as_array()
        .unwrap()
        .iter()
        .all(|u| u["reason"] == "no_capacity" || u["reason"] == "every_fit_zero"));
}

async fn applying_a_suggestion_writes_it_in_one_transaction(app: &TestApp) {
    let s = story(app).await;
    let suggestion = app.post(&format!("/v1/accounts/{}/suggestions", s.acme), json!({})).await;
    let pairs: Vec<Value> = suggestion.body["pairs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| json!({"salesperson_id": p["salesperson_id"], "stakeholder_id": p["stakeholder_id"]}))
        .collect();

    // One bad pair: nothing is written.
    let mut bad = pairs.clone();
    bad.push(json!({"salesperson_id": s.olga, "stakeholder_id": s.nora}));
    let rejected = app
        .post(&format!("/v1/accounts/{}/suggestions/apply", s.acme), json!({"pairs": bad}))
        .await;
    rejected.assert_problem(422);
    assert_eq!(rejected.pointers(), vec![format!("/pairs/{}/salesperson_id", pairs.len())]);
    assert_eq!(app.all("/v1/coverage").await.len(), 2);

    let applied = app
        .post(&format!("/v1/accounts/{}/suggestions/apply", s.acme), json!({"pairs": pairs}))
        .await;
    assert_eq!(applied.status, 200, "{}", applied.body);
    assert_eq!(
        applied.body["kept"].as_array().unwrap().len(),
        1,
        "Max on the CEO: {}",
        applied.body
    );
    let report = app.get(&format!("/v1/accounts/{}/coverage", s.acme)).await.body;
    assert!(alerts_of(&report, "uncovered_buying_role").is_empty(), "{report}");
    assert!(alerts_of(&report, "single_threaded_account").is_empty());
    let links = app.all(&format!("/v1/coverage?stakeholder_id={}", s.nora)).await;
    assert_eq!(links[0]["salesperson_id"], s.carla);
    assert_eq!(links[0]["role"], "primary");
    assert_eq!(links[0]["strength_source"], "derived");

    // Replacing removes the account's other links (Peter's left with him: not the account's).
    let only_nora =
        json!({"pairs": [{"salesperson_id": s.carla, "stakeholder_id": s.nora}], "replace": true});
    let replaced = app.post(&format!("/v1/accounts/{}/suggestions/apply", s.acme), only_nora).await;
    assert_eq!(replaced.status, 200, "{}", replaced.body);
    assert!(!replaced.body["removed"].as_array().unwrap().is_empty());
    let remaining = app.all("/v1/coverage").await;
    assert!(remaining.iter().any(|l| l["stakeholder_id"] == s.peter), "Peter's link follows him");
    assert!(remaining.iter().all(|l| l["stakeholder_id"] != s.olga));
}

async fn the_network_is_drawable_and_influence_is_explained(app: &TestApp) {
    let s = story(app).await;
    app.create(
        "/v1/relationships",
        json!({"from_person_id": s.ivo, "to_person_id": s.nora, "kind": "reports_informally_to", "strength": 0.9}),
    )
    .await;
    let network = app.get(&format!("/v1/accounts/{}/network", s.acme)).await;
    assert_eq!(network.status, 200, "{}", network.body);
    let nodes = network.body["nodes"].as_array().unwrap();
    let edges = network.body["edges"].as_array().unwrap();
    let count = |t: &str| nodes.iter().filter(|n| n["type"] == t).count();
    assert_eq!((count("organization"), count("post"), count("stakeholder")), (2, 4, 3));
    assert_eq!(count("salesperson"), 1);
    let vacant = nodes.iter().filter(|n| n["vacant"] == true).count();
    assert_eq!(vacant, 1);
    let edge_count = |t: &str| edges.iter().filter(|e| e["type"] == t).count();
    assert_eq!((edge_count("reports_to"), edge_count("holds"), edge_count("covers")), (3, 3, 1));
    assert_eq!(edge_count("relationship"), 1);
    // Every edge joins drawn nodes.
    for edge in edges {
        for end in ["source", "target"] {
            assert!(nodes.iter().any(|n| n["id"] == edge[end]), "{edge}");
        }
    }
    let stakeholders: Vec<&Value> = nodes.iter().filter(|n| n["type"] == "stakeholder").collect();
    let total: f64 = stakeholders.iter().map(|n| n["influence"].as_f64().unwrap()).sum();
    assert!((total - 1.0).abs() < 1e-9);
    let of = |id: &str| (*stakeholders.iter().find(|n| n["id"] == id).unwrap()).clone();
    assert!(of(&s.olga)["influence"].as_f64() > of(&s.ivo)["influence"].as_f64());
    // Ivo defers to Nora: she is more central than Ivo.
    assert!(of(&s.nora)["centrality"].as_f64() > of(&s.ivo)["centrality"].as_f64());
    assert_eq!(of(&s.nora)["role_factor"], 2.5);

    // Not a client: 422 naming it.
    let own = app.create("/v1/organizations", json!({"name": "Us", "kind": "own"})).await;
    let response = app.get(&format!("/v1/accounts/{own}/network")).await;
    response.assert_problem(422);
    assert_eq!(response.pointers(), vec!["organization_id"]);
}

async fn interactions_derive_strength_and_stated_strength_wins(app: &TestApp) {
    let s = story(app).await;
    let link = app
        .create(
            "/v1/coverage",
            json!({"salesperson_id": s.carla, "stakeholder_id": s.nora, "role": "primary"}),
        )
        .await;
    let before = app.get(&format!("/v1/coverage/{link}")).await.body;
    assert_eq!(before["strength"], 0.0);
    assert_eq!(before["last_interaction_at"], Value::Null);
    let now = Utc::now();
    for (kind, days) in [("meeting", 1), ("call", 10), ("email", 200)] {
        let at = (now - Duration::days(days)).to_rfc3339();
        app.create(
            "/v1/interactions",
            json!({"salesperson_id": s.carla, "stakeholder_id": s.nora, "kind": kind, "occurred_at": at}),
        )
        .await;
    }
    let after = app.get(&format!("/v1/coverage/{link}")).await;
    let strength = after.body["strength"].as_f64().unwrap();
    assert!(strength > 0.5 && strength < 0.9, "{}", after.body);
    assert_eq!(after.body["strength_source"], "derived");
    let etag = after.header("etag").unwrap();
    let patched = app
        .call(
            awc::http::Method::PATCH,
            &format!("/v1/coverage/{link}"),
            Some(&app.key),
            &[("If-Match", etag.as_str())],
            Some(&json!({"strength": 0.2})),
        )
        .await;
    assert_eq!(patched.status, 200, "{}", patched.body);
    assert_eq!(patched.body["strength"], 0.2);
    assert_eq!(patched.body["strength_source"], "stated");
    assert_eq!(patched.body["derived_strength"].as_f64().unwrap(), strength);
    assert_eq!(app.all(&format!("/v1/interactions?stakeholder_id={}", s.nora)).await.len(), 3);

    // A touch in the future, or by someone who is not a salesperson, is refused.
    let tomorrow = (now + Duration::days(3)).to_rfc3339();
    let future = app
        .post(
            "/v1/interactions",
            json!({"salesperson_id": s.carla, "stakeholder_id": s.nora, "kind": "call", "occurred_at": tomorrow}),
        )
        .await;
    future.assert_problem(422);
    assert_eq!(future.pointers(), vec!["/occurred_at"]);
    let not_sales = app
        .post(
            "/v1/interactions",
            json!({"salesperson_id": s.olga, "stakeholder_id": s.nora, "kind": "call",
                   "occurred_at": now.to_rfc3339()}),
        )
        .await;
    not_sales.assert_problem(422);
    assert_eq!(not_sales.pointers(), vec!["/salesperson_id"]);
}

async fn coverage_needs_a_salesperson_and_names_the_field(app: &TestApp) {
    let s = story(app).await;
    let response = app
        .post(
            "/v1/coverage",
            json!({"salesperson_id": s.olga, "stakeholder_id": s.nora, "role": "primary"}),
        )
        .await;
    response.assert_problem(422);
    assert_eq!(response.pointers(), vec!["/salesperson_id"]);
    assert!(response.body["errors"][0]["detail"].as_str().unwrap().contains("own organization"));
    let response = app
        .post(
            "/v1/coverage",
            json!({"salesperson_id": s.carla, "stakeholder_id": s.nora, "role": "primary", "strength": 1.5}),
        )
        .await;
    response.assert_problem(422);
    assert_eq!(response.pointers(), vec!["/strength"]);
    let response = app
        .post(
            "/v1/coverage",
            json!({"salesperson_id": s.max, "stakeholder_id": s.olga, "role": "secondary"}),
        )
        .await;
    response.assert_problem(409);
    let response = app
        .post(
            "/v1/coverage",
            json!({"salesperson_id": s.max, "stakeholder_id": s.olga, "role": "main"}),
        )
        .await;
    response.assert_problem(400);
    assert_eq!(response.pointers(), vec!["/role"]);
    let response = app
        .post(
            "/v1/relationships",
            json!({"from_person_id": s.olga, "to_person_id": s.olga, "kind": "advises", "strength": -1}),
        )
        .await;
    response.assert_problem(422);
    assert_eq!(response.pointers(), vec!["/to_person_id", "/strength"]);
    assert!(app.all("/v1/relationships").await.is_empty());
    let response = app
        .post(
            "/v1/tenures",
            json!({"person_id": s.olga, "post_id": s.procurement, "started_on": "2010-01-01",
                   "ended_on": "2011-01-01", "capacity": -3}),
        )
        .await;
    response.assert_problem(422);
    assert_eq!(response.pointers(), vec!["/capacity"]);
    assert_eq!(app.all("/v1/coverage").await.len(), 2);
}

async fn bad_suggestion_options_are_named(app: &TestApp) {
    let s = story(app).await;
    let path = format!("/v1/accounts/{}/suggestions", s.acme);
    let pair = json!({"salesperson_id": s.carla, "stakeholder_id": s.nora});
    let response = app.post(&path, json!({"locked": [pair], "excluded": [pair]})).await;
    response.assert_problem(422);
    assert_eq!(response.pointers(), vec!["/locked/0"]);

    let outside = json!({"salesperson_id": s.carla, "stakeholder_id": s.peter});
    let not_sales = json!({"salesperson_id": s.olga, "stakeholder_id": s.nora});
    let response = app.post(&path, json!({"locked": [outside, not_sales]})).await;
    response.assert_problem(422);
    assert_eq!(response.pointers(), vec!["/locked/0/stakeholder_id", "/locked/1/salesperson_id"]);

    let response = app
        .post(
            &path,
            json!({"capacity_overrides": {(s.carla.clone()): -1}, "weights": {"alignment": -0.5}}),
        )
        .await;
    response.assert_problem(422);
    assert_eq!(
        response.pointers(),
        vec!["/weights/alignment", format!("/capacity_overrides/{}", s.carla).as_str()]
    );

    let infinite = r#"{"weights": {"alignment": 1e999}}"#;
    let response = app.send_raw(awc::http::Method::POST, &path, "application/json", infinite).await;
    response.assert_problem(400);
    assert_eq!(response.pointers(), vec!["/weights/alignment"]);

    let response = app.post(&path, json!({"salesperson_ids": [s.olga]})).await;
    response.assert_problem(422);
    assert_eq!(response.pointers(), vec!["/salesperson_ids/0"]);

    // Two locks on Carla with capacity 1.
    let locks = json!({
        "capacity_overrides": {(s.carla.clone()): 1},
        "locked": [{"salesperson_id": s.carla, "stakeholder_id": s.nora},
                   {"salesperson_id": s.carla, "stakeholder_id": s.ivo}]});
    let response = app.post(&path, locks).await;
    response.assert_problem(422);
    assert_eq!(response.pointers(), vec!["/locked/0", "/locked/1"]);
}

async fn an_account_without_stakeholders_or_salespeople_is_an_empty_answer(app: &TestApp) {
    let empty = app.create("/v1/organizations", json!({"name": "Empty", "kind": "client"})).await;
    let suggestion = app.post(&format!("/v1/accounts/{empty}/suggestions"), json!({})).await;
    assert_eq!(suggestion.status, 200, "{}", suggestion.body);
    assert!(suggestion.body["pairs"].as_array().unwrap().is_empty());
    assert_eq!(suggestion.body["objective"], 0.0);
    let report = app.get(&format!("/v1/accounts/{empty}/coverage")).await;
    assert_eq!(report.status, 200);
    assert_eq!(report.body["metrics"]["stakeholders"], 0);
    assert_eq!(report.body["metrics"]["risk"], 0.0);

    // Stakeholders but no salesperson anywhere: all uncovered, for that reason.
    let post = app.create("/v1/posts", json!({"organization_id": empty, "title": "Buyer"})).await;
    let buyer = person(app, "Bea").await;
    hold(app, &buyer, &post, "2024-01-01", json!({})).await;
    let suggestion = app.post(&format!("/v1/accounts/{empty}/suggestions"), json!({})).await;
    assert_eq!(suggestion.status, 200, "{}", suggestion.body);
    assert_eq!(suggestion.body["uncovered"][0]["reason"], "no_eligible_salesperson");
}

async fn the_overview_sorts_accounts_by_risk(app: &TestApp) {
    let s = story(app).await;
    let overview = app.get("/v1/coverage/overview").await;
    assert_eq!(overview.status, 200, "{}", overview.body);
    let items = overview.body["items"].as_array().unwrap();
    let names: Vec<&str> = items.iter().map(|i| i["account"]["name"].as_str().unwrap()).collect();
    assert_eq!(names.len(), 2, "Acme Claims is part of Acme: {names:?}");
    // Globex: one stakeholder (Peter), covered by Max: lower risk than Acme.
    assert_eq!(names, vec!["Acme Insurance", "Globex"]);
    let risks: Vec<f64> = items.iter().map(|i| i["metrics"]["risk"].as_f64().unwrap()).collect();
    assert!(risks[0] >= risks[1]);
    assert_eq!(items[0]["account"]["id"], s.acme);
    let by_name = app.get("/v1/coverage/overview?sort=name").await;
    assert_eq!(by_name.body["items"][1]["account"]["name"], "Globex");
    app.get("/v1/coverage/overview?sort=size").await.assert_problem(400);
}

async fn settings_change_half_life_and_role_weights(app: &TestApp) {
    let defaults = app.get("/v1/settings/coverage").await;
    assert_eq!(defaults.status, 200);
    assert_eq!(defaults.body["interaction_half_life_days"], 90);
    assert_eq!(defaults.body["role_weights"]["decision_maker"], 3.0);
    let saved = app
        .put(
            "/v1/settings/coverage",
            json!({"interaction_half_life_days": 30, "role_weights": {"champion": 5}}),
        )
        .await;
    assert_eq!(saved.status, 200, "{}", saved.body);
    assert_eq!(saved.body["interaction_half_life_days"], 30);
    assert_eq!(saved.body["role_weights"]["champion"], 5.0);
    assert_eq!(saved.body["role_weights"]["decision_maker"], 3.0, "left out: default");
    assert_eq!(saved.body["default_capacity"], 25);
    let bad = app
        .put("/v1/settings/coverage", json!({"interaction_half_life_days": 0, "strong_thread": 2}))
        .await;
    bad.assert_problem(422);
    assert_eq!(bad.pointers(), vec!["/interaction_half_life_days", "/strong_thread"]);
    app.put("/v1/settings/coverage", json!({"half_life": 3})).await.assert_problem(400);
    assert_eq!(app.get("/v1/settings/coverage").await.body["interaction_half_life_days"], 30);
}

async fn erasing_a_person_removes_their_network(app: &TestApp) {
    let s = story(app).await;
    app.create(
        "/v1/relationships",
        json!({"from_person_id": s.olga, "to_person_id": s.nora, "kind": "allies_with", "strength": 0.4}),
    )
    .await;
    app.delete(&format!("/v1/persons/{}", s.olga)).await.assert_problem(409);
    let erased = app.delete(&format!("/v1/persons/{}?cascade=true", s.olga)).await;
    assert_eq!(erased.status, 204, "{}", erased.body);
    assert!(app.all("/v1/relationships").await.is_empty());
    assert!(app.all("/v1/coverage").await.iter().all(|l| l["stakeholder_id"] != s.olga));
}

async fn a_blocker_is_not_suggested_and_covering_is_worth_something_before_fit(app: &TestApp) {
    let s = story(app).await;
    let path = format!("/v1/accounts/{}/suggestions", s.acme);
    let suggest = |body: Value| app.post(&path, body);
    // Nora's crafted job makes Carla her best fit.
    let before = suggest(json!({})).await;
    assert_eq!(before.status, 200, "{}", before.body);
    assert_eq!(pair_of(&before.body, &s.nora)[0]["salesperson_id"], s.carla);
    // Ivo's crafting is not known: nobody fits him, yet covering him is worth his influence ×
    // the coverage base.
    let ivo = pair_of(&before.body, &s.ivo);
    assert_eq!(ivo.len(), 1, "{}", before.body);
    assert_eq!(ivo[0]["fit"], 0.0);
    let (influence, value) =
        (ivo[0]["influence"].as_f64().unwrap(), ivo[0]["coverage_value"].as_f64().unwrap());
    assert!((value - influence * 0.25).abs() < 1e-9, "{}", ivo[0]);

    // Nora blocks Carla: the pair counts against, and Carla is not suggested for her.
    app.create(
        "/v1/relationships",
        json!({"from_person_id": s.nora, "to_person_id": s.carla, "kind": "blocks", "strength": 0.9}),
    )
    .await;
    let after = suggest(json!({})).await;
    let nora = pair_of(&after.body, &s.nora);
    assert_eq!(nora.len(), 1, "{}", after.body);
    assert_eq!(nora[0]["salesperson_id"], s.max);
    // Locked onto Carla anyway, the explanation says why it scores less.
    let locked =
        suggest(json!({"locked": [{"salesperson_id": s.carla, "stakeholder_id": s.nora}]})).await;
    let pair = &pair_of(&locked.body, &s.nora)[0];
    assert_eq!(pair["parts"]["relationship"], -0.9);
    let (influence, value) =
        (pair["influence"].as_f64().unwrap(), pair["coverage_value"].as_f64().unwrap());
    assert!((value - influence * 0.25 * 0.1).abs() < 1e-9, "a tenth of its worth is left: {pair}");

    // The base and the negative kinds are the tenant's settings.
    let settings = app.get("/v1/settings/coverage").await.body;
    assert_eq!(
        (settings["coverage_base"].clone(), settings["negative_relationship_kinds"].clone()),
        (json!(0.25), json!(["blocks"]))
    );
    let bad = app.put("/v1/settings/coverage", json!({"coverage_base": 1.5})).await;
    bad.assert_problem(422);
    assert_eq!(bad.pointers(), vec!["/coverage_base"]);
    let saved = app
        .put(
            "/v1/settings/coverage",
            json!({"coverage_base": 0, "negative_relationship_kinds": []}),
        )
        .await;
    assert_eq!(saved.status, 200, "{}", saved.body);
    let unvalued = suggest(json!({})).await;
    assert!(pair_of(&unvalued.body, &s.ivo).is_empty(), "fit alone: nothing to gain by Ivo");
    let ivo = unvalued.body["uncovered"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["stakeholder_id"] == s.ivo)
        .cloned();
    assert_eq!(ivo.unwrap()["reason"], "every_fit_zero");
    // With no negative kinds, the blocker counts as a tie like any other.
    assert_eq!(pair_of(&unvalued.body, &s.nora)[0]["salesperson_id"], s.carla);
}

async fn a_warm_path_reaches_the_uncovered_through_people_we_know(app: &TestApp) {
    let s = story(app).await;
    // The CEO advises Nora; Max covers the CEO (0.7).
    app.create(
        "/v1/relationships",
        json!({"from_person_id": s.olga, "to_person_id": s.nora, "kind": "advises", "strength": 0.8}),
    )
    .await;
    let path = format!("/v1/accounts/{}/paths?stakeholder_id={}", s.acme, s.nora);
    let response = app.get(&path).await;
    assert_eq!(response.status, 200, "{}", response.body);
    let body = &response.body;
    assert_eq!(body["stakeholder_name"], "Nora");
    let best = &body["paths"][0];
    assert_eq!(best["salesperson_id"], s.max, "{body}");
    let hops = best["hops"].as_array().unwrap();
    assert_eq!(hops.len(), 2, "{body}");
    assert_eq!(
        (&hops[0]["to_name"], &hops[0]["evidence"]["type"]),
        (&json!("Olga"), &json!("coverage"))
    );
    assert_eq!(
        (&hops[1]["to_person_id"], &hops[1]["evidence"]["kind"]),
        (&json!(s.nora), &json!("advises"))
    );
    assert!((best["strength"].as_f64().unwrap() - 0.7 * 0.8).abs() < 1e-9, "{best}");
    // The report flags the uncovered Nora as reachable through the CEO.
    let report = app.get(&format!("/v1/accounts/{}/coverage", s.acme)).await.body;
    let holders: Vec<&Value> = report["posts"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["holders"].as_array().unwrap())
        .collect();
    let nora = holders.iter().find(|h| h["person_id"] == s.nora).unwrap();
    assert_eq!(nora["reachable_through"]["salesperson_name"], "Max", "{report}");
    assert_eq!(nora["reachable_through"]["via"], json!(["Olga"]));
    let olga = holders.iter().find(|h| h["person_id"] == s.olga).unwrap();
    assert!(olga.get("reachable_through").is_none(), "covered: no path needed");
    let unasked = app.get(&format!("/v1/accounts/{}/coverage?reachable=false", s.acme)).await;
    assert!(!unasked.body.to_string().contains("reachable_through"), "{}", unasked.body);
    // Carla knows nobody on the way.
    assert!(body["paths"].as_array().unwrap().iter().all(|p| p["salesperson_id"] != s.carla));

    // Nora blocks the CEO: no path goes between them any more, however they know each other.
    app.create(
        "/v1/relationships",
        json!({"from_person_id": s.nora, "to_person_id": s.olga, "kind": "blocks", "strength": 0.9}),
    )
    .await;
    let blocked = app.get(&path).await.body;
    for p in blocked["paths"].as_array().unwrap() {
        for hop in p["hops"].as_array().unwrap() {
            let pair = [hop["from_person_id"].clone(), hop["to_person_id"].clone()];
            assert!(!(pair.contains(&json!(s.olga)) && pair.contains(&json!(s.nora))), "{blocked}");
        }
    }

    // Someone outside the account, a bad limit, another tenant: named or not found.
    let outside =
        app.get(&format!("/v1/accounts/{}/paths?stakeholder_id={}", s.acme, s.carla)).await;
    outside.assert_problem(422);
    assert_eq!(outside.pointers(), vec!["stakeholder_id"]);
    app.get(&format!("{path}&limit=0")).await.assert_problem(422);
    app.get(&format!("/v1/accounts/{}/paths", s.acme)).await.assert_problem(400);
    let theirs = app.other_tenant("theirs");
    let hidden = app.call(awc::http::Method::GET, &path, Some(&theirs), &[], None).await;
    hidden.assert_problem(404);
}

async fn having_worked_together_is_a_warm_path_only_in_a_team_small_enough_to_know_each_other(
    app: &TestApp,
) {
    let s = story(app).await;
    // Carla and Nora were analysts at Initech together for two and a half years.
    let initech =
        app.create("/v1/organizations", json!({"name": "Initech", "kind": "other"})).await;
    let post = |title: &str| json!({"organization_id": initech, "title": title});
    let carlas = app.create("/v1/posts", post("Analyst")).await;
    let noras = app.create("/v1/posts", post("Senior Analyst")).await;
    hold(app, &s.carla, &carlas, "2015-01-01", json!({"ended_on": "2018-01-01"})).await;
    hold(app, &s.nora, &noras, "2015-07-01", json!({"ended_on": "2019-01-01"})).await;
    let path = format!("/v1/accounts/{}/paths?stakeholder_id={}", s.acme, s.nora);
    let carlas_paths = |body: &Value| -> Vec<Value> {
        let paths = body["paths"].as_array().unwrap_or_else(|| panic!("{body}"));
        paths.iter().filter(|p| p["salesperson_id"] == s.carla).cloned().collect()
    };
    let known = app.get(&path).await.body;
    let through = carlas_paths(&known);
    assert_eq!(through.len(), 1, "{known}");
    let hops = through[0]["hops"].as_array().unwrap();
    assert_eq!(hops.len(), 1, "{known}");
    assert_eq!(hops[0]["evidence"]["type"], "shared_tenure", "{known}");
    assert_eq!(hops[0]["evidence"]["organization_id"], initech, "{known}");

    // Initech grows to 50 tenures (one clerk a month, long ago): still a team; at 51, having
    // worked there no longer says they know each other.
    let clerks = app.create("/v1/posts", post("Clerk")).await;
    for month in 0..49 {
        let clerk = person(app, &format!("Clerk {month}")).await;
        let (year, from) = (1990 + month / 12, month % 12 + 1);
        let started = format!("{year}-{from:02}-01");
        let ended = format!("{year}-{from:02}-28");
        hold(app, &clerk, &clerks, &started, json!({"ended_on": ended})).await;
        if month == 47 {
            let at_fifty = app.get(&path).await.body;
            assert_eq!(carlas_paths(&at_fifty).len(), 1, "50 tenures: {at_fifty}");
        }
    }
    let unknown = app.get(&path).await.body;
    assert!(carlas_paths(&unknown).is_empty(), "{unknown}");
}

/// The holders of a report and who covers each: (person, tenure, [coverage ids]).
fn holders_of(report: &Value) -> Vec<(String, String, Vec<String>)> {
    let ids = |h: &Value| -> Vec<String> {
        h["covered_by"].as_array().unwrap().iter().map(|c| c["coverage_id"].to_string()).collect()
    };
    report["posts"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["holders"].as_array().unwrap())
        .map(|h| {
            (
                h["person_id"].as_str().unwrap().into(),
                h["tenure_id"].as_str().unwrap().into(),
                ids(h),
            )
        })
        .collect()
}

async fn a_report_known_at_a_past_time_reads_corrections_and_deletions_as_they_were(app: &TestApp) {
    let s = story(app).await;
    let report = |query: String| {
        let path = format!("/v1/accounts/{}/coverage{query}", s.acme);
        async move {
            let r = app.get(&path).await;
            assert_eq!(r.status, 200, "{}", r.body);
            r.body
        }
    };
    // New holders are those of the last 400 days: Ivo and Nora.
    let saved = app.put("/v1/settings/coverage", json!({"new_holder_days": 400})).await;
    assert_eq!(saved.status, 200, "{}", saved.body);
    let before = report(String::new()).await;
    assert!(!alerts_of(&before, "new_holder").is_empty(), "{before}");
    let (person, tenure, covering) =
        holders_of(&before).into_iter().find(|(_, _, c)| !c.is_empty()).expect("a covered holder");
    let seen = Utc::now().format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string();
    actix_web::rt::time::sleep(std::time::Duration::from_millis(5)).await;

    // After the manager looked: yesterday's meeting on the stale pair is logged, ...
    let stale = alerts_of(&before, "stale_relationship")[0].clone();
    let met = app
        .post(
            "/v1/interactions",
            json!({"salesperson_id": stale["salesperson_ids"][0], "stakeholder_id": stale["person_id"],
                   "kind": "meeting", "occurred_at": format!("{}T10:00:00Z", days_ago(1))}),
        )
        .await;
    assert_eq!(met.status, 201, "{}", met.body);
    // ... the holder's departure is recorded (a correction of the tenure: it ended
    // yesterday), and their coverage link is deleted.
    let ended = app.patch(&format!("/v1/tenures/{tenure}"), json!({"ended_on": days_ago(1)})).await;
    assert_eq!(ended.status, 200, "{}", ended.body);
    let link = covering[0].trim_matches('"').to_owned();
    assert_eq!(app.delete(&format!("/v1/coverage/{link}")).await.status, 204);
    // And the settings change: nobody is new any more.
    let saved = app.put("/v1/settings/coverage", json!({"new_holder_days": 1})).await;
    assert_eq!(saved.status, 200, "{}", saved.body);

    let now = report(String::new()).await;
    assert!(!holders_of(&now).iter().any(|(p, _, _)| *p == person), "{now}");
    assert!(alerts_of(&now, "new_holder").is_empty(), "{now}");
    // Known at the time the manager looked, the report is what they saw: the holder in their
    // post, covered by the link deleted since.
    let then = report(format!("?known_at={seen}")).await;
    let holder = holders_of(&then).into_iter().find(|(p, _, _)| *p == person);
    assert_eq!(holder, Some((person.clone(), tenure.clone(), covering.clone())), "{then}");
    assert_eq!(then["metrics"], before["metrics"], "the metrics as they were");
    assert_eq!(then["alerts"], before["alerts"], "the alerts as they were, by the settings then");
}

/// A holder whose only tenure in the account was deleted since is not among the people the
/// report reads through the account's organizations now: as known before, they are read by id,
/// with their name and the links that cover them, and the report is the one seen then.
async fn a_report_known_before_a_holders_only_tenure_was_deleted_shows_them_whole(app: &TestApp) {
    let s = story(app).await;
    let path = format!("/v1/accounts/{}/coverage?reachable=false", s.acme);
    let before = app.get(&path).await.body;
    let seen = Utc::now().format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string();
    actix_web::rt::time::sleep(std::time::Duration::from_millis(5)).await;
    let holders = holders_of(&before);
    let once = |p: &String| holders.iter().filter(|(q, _, _)| q == p).count() == 1;
    // A covered holder of one post whose tenure can go (one with crafting cannot: 409).
    let mut deleted = None;
    for (person, tenure, _) in holders.iter().filter(|(p, _, c)| !c.is_empty() && once(p)) {
        if app.delete(&format!("/v1/tenures/{tenure}")).await.status == 204 {
            deleted = Some(person.clone());
            break;
        }
    }
    let person = deleted.expect("a covered holder whose tenure could be deleted");
    let holder = |report: &Value| -> Option<Value> {
        report["posts"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|p| p["holders"].as_array().unwrap())
            .find(|h| h["person_id"] == person.as_str())
            .cloned()
    };
    assert_eq!(holder(&app.get(&path).await.body), None, "gone now");
    let then = app.get(&format!("{path}&known_at={seen}")).await.body;
    let (shown, was) = (holder(&then).expect("there as known then"), holder(&before).unwrap());
    assert!(!shown["display_name"].as_str().unwrap().is_empty(), "{shown}");
    for field in ["tenure_id", "display_name", "buying_roles"] {
        assert_eq!(shown[field], was[field], "{field}");
    }
    let links = |h: &Value| -> Vec<Value> {
        h["covered_by"].as_array().unwrap().iter().map(|c| c["coverage_id"].clone()).collect()
    };
    assert!(!links(&shown).is_empty(), "{shown}");
    assert_eq!(links(&shown), links(&was));
    assert_eq!(then["metrics"]["stakeholders"], before["metrics"]["stakeholders"]);
    assert_eq!(then["metrics"]["covered_stakeholders"], before["metrics"]["covered_stakeholders"]);
}
