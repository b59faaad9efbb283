//! Coverage reports as of now read a kept account (`store::kept_accounts`): the same report a
//! read of the rows gives, until a write reaches the account or the coverage settings change;
//! and never behind a write its writer has seen committed, with many writers at once.
//! Suggestions read the same account, and keep the stakeholders' crafted facets beside it.

use futures_util::future::{join, join_all};
use serde_json::{json, Value};

use crate::coverage::story;
use crate::harness::{on_both_backends, TestApp};

on_both_backends!(
    a_kept_report_is_the_report_read_again_until_a_write_reaches_it,
    a_write_has_only_the_accounts_it_reaches_read_again_and_each_report_is_the_rows_report,
    writers_at_once_each_find_their_write_in_the_next_report,
    a_kept_account_is_read_again_when_a_revision_recorded_ahead_takes_effect,
    suggestions_share_the_kept_account_and_see_a_new_holder_at_once,
    suggestions_keep_the_crafted_facets_until_a_post_revision_recorded_ahead_takes_effect,
    suggestions_with_the_account_kept_are_the_rows_after_crafting_roles_newcomers_and_posts,
    an_account_inside_another_is_patched_with_it,
);

/// The report without the request's moment, its floats to 1e-9 (derived strengths decay
/// between two calls).
fn comparable(report: &Value) -> Value {
    match report {
        Value::Object(fields) => Value::Object(
            fields
                .iter()
                .filter(|(k, _)| !matches!(k.as_str(), "as_of" | "known_at"))
                .map(|(k, v)| (k.clone(), comparable(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(comparable).collect()),
        Value::Number(n) if n.is_f64() => json!((n.as_f64().unwrap() * 1e9).round() / 1e9),
        other => other.clone(),
    }
}

fn holder_names(report: &Value) -> Vec<String> {
    let mut names: Vec<String> = report["posts"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["holders"].as_array().unwrap())
        .map(|h| h["display_name"].as_str().unwrap().to_owned())
        .collect();
    names.sort();
    names
}

fn covered(report: &Value, name: &str) -> bool {
    report["posts"].as_array().unwrap().iter().flat_map(|p| p["holders"].as_array().unwrap()).any(
        |h| h["display_name"] == name && !h["covered_by"].as_array().is_none_or(|c| c.is_empty()),
    )
}

async fn a_kept_report_is_the_report_read_again_until_a_write_reaches_it(app: &TestApp) {
    let s = story(app).await;
    let path = format!("/v1/accounts/{}/coverage", s.acme);
    let reads = || app.db.accounts.reads();
    let first = app.get(&path).await;
    assert_eq!(first.status, 200, "{}", first.body);
    assert_eq!(reads(), 1);
    let again = app.get(&path).await;
    assert_eq!(reads(), 1, "nothing written: the kept account");
    assert_eq!(comparable(&again.body), comparable(&first.body));
    assert!(!covered(&again.body, "Nora"));

    // A link: Nora's links read again, not the account, and there.
    app.create(
        "/v1/coverage",
        json!({"salesperson_id": s.carla, "stakeholder_id": s.nora, "role": "primary"}),
    )
    .await;
    let after_link = app.get(&path).await;
    assert_eq!(reads(), 1);
    assert!(covered(&after_link.body, "Nora"), "{}", after_link.body);
    let strength = |report: &Value| -> f64 {
        report["posts"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|p| p["holders"].as_array().unwrap())
            .filter(|h| h["display_name"] == "Nora")
            .flat_map(|h| h["covered_by"].as_array().unwrap())
            .map(|c| c["strength"].as_f64().unwrap())
            .next()
            .unwrap()
    };
    assert_eq!(strength(&after_link.body), 0.0);
    let yesterday = (chrono::Utc::now() - chrono::Duration::days(1)).to_rfc3339();
    app.create(
        "/v1/interactions",
        json!({"salesperson_id": s.carla, "stakeholder_id": s.nora, "kind": "meeting",
               "occurred_at": yesterday}),
    )
    .await;
    let after_meeting = app.get(&path).await;
    let derived = strength(&after_meeting.body);
    assert!(derived > 0.0, "{}", after_meeting.body);
    assert_eq!(reads(), 1);

    // A write that moves the account (a unit in it): read again.
    let unit = json!({"name": "Acme Labs", "kind": "client", "parent_id": s.acme});
    app.create("/v1/organizations", unit).await;
    let after_post = app.get(&path).await;
    assert_eq!(reads(), 2);
    assert!((strength(&after_post.body) - derived).abs() < 1e-6);
    app.get(&path).await;
    assert_eq!(reads(), 2);

    // The coverage settings are not in the feed: a new half-life is seen all the same.
    let saved = app.put("/v1/settings/coverage", json!({"interaction_half_life_days": 1})).await;
    assert_eq!(saved.status, 200, "{}", saved.body);
    let after_settings = app.get(&path).await;
    assert_eq!(reads(), 3);
    assert!(strength(&after_settings.body) < derived, "{}", after_settings.body);

    // As of another time, the rows are read and nothing is kept.
    let dated = app.get(&format!("{path}?as_of={}", crate::coverage::days_ago(30))).await;
    assert_eq!(dated.status, 200, "{}", dated.body);
    assert_eq!(reads(), 3);

    // The overview and a kept report agree on the account's metrics.
    let overview = app.get("/v1/coverage/overview").await;
    let row = overview.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["account"]["id"] == s.acme.as_str())
        .cloned()
        .unwrap();
    let report = app.get(&path).await;
    assert_eq!(comparable(&row["metrics"]), comparable(&report.body["metrics"]));
}

const WRITERS: usize = 4;

async fn writers_at_once_each_find_their_write_in_the_next_report(app: &TestApp) {
    let s = story(app).await;
    let path = format!("/v1/accounts/{}/coverage", s.acme);
    let desk = json!({"organization_id": s.acme, "title": "Buying desk", "headcount": 50});
    let desk = app.create("/v1/posts", desk).await;
    app.get(&path).await;
    let writer = |w: usize| {
        let path = path.clone();
        let desk = desk.clone();
        async move {
            for round in 0..3 {
                let name = format!("Writer {w} hire {round}");
                let person = app.create("/v1/persons", json!({"display_name": name})).await;
                app.create(
                    "/v1/tenures",
                    json!({"person_id": person, "post_id": desk, "started_on": "2024-01-01"}),
                )
                .await;
                // Committed before this read began: the report has it.
                let report = app.get(&path).await;
                assert_eq!(report.status, 200, "{}", report.body);
                assert!(holder_names(&report.body).contains(&name), "{name} missing");
            }
        }
    };
    let reader = async {
        for _ in 0..10 {
            assert_eq!(app.get(&path).await.status, 200);
        }
    };
    let (_, ()) = join(join_all((0..WRITERS).map(writer)), reader).await;
    let last = holder_names(&app.get(&path).await.body);
    let hires = last.iter().filter(|n| n.starts_with("Writer ")).count();
    assert_eq!(hires, WRITERS * 3, "{last:?}");
}

/// The tenure by which `person` holds a post of the report's account.
fn holding(report: &Value, person: &str) -> String {
    let holders = report["posts"].as_array().unwrap().iter().flat_map(|p| p["holders"].as_array());
    let holder = holders.flatten().find(|h| h["person_id"] == person).unwrap();
    holder["tenure_id"].as_str().unwrap().to_owned()
}

fn new_holders(report: &Value) -> Vec<String> {
    let alerts = report["alerts"].as_array().unwrap();
    let new = alerts.iter().filter(|a| a["type"] == "new_holder");
    new.map(|a| a["person_id"].as_str().unwrap().to_owned()).collect()
}

async fn a_kept_account_is_read_again_when_a_revision_recorded_ahead_takes_effect(app: &TestApp) {
    let s = story(app).await;
    let path = format!("/v1/accounts/{}/coverage", s.acme);
    let report = app.get(&path).await.body;
    assert!(new_holders(&report).contains(&s.ivo), "{report}");
    let ivo = holding(&report, &s.ivo);
    // Ivo's crafting, recorded now, in effect two seconds from now: until then he is a new
    // holder nobody has asked how he does the job.
    let effective = chrono::Utc::now() + chrono::Duration::seconds(2);
    app.create(
        &format!("/v1/tenures/{ivo}/crafting"),
        json!({"effective_at": effective.to_rfc3339(),
               "facets": [{"dimension": "priority", "key": "growth", "weight": 0.5}]}),
    )
    .await;
    let reads = || app.db.accounts.reads();
    assert!(new_holders(&app.get(&path).await.body).contains(&s.ivo));
    let read = reads();
    assert!(new_holders(&app.get(&path).await.body).contains(&s.ivo));
    assert_eq!(reads(), read, "nothing written, nothing in effect yet: kept");
    let wait = effective - chrono::Utc::now() + chrono::Duration::milliseconds(200);
    actix_web::rt::time::sleep(wait.to_std().unwrap_or_default()).await;
    let report = app.get(&path).await.body;
    assert_eq!(reads(), read + 1, "in effect now: read again");
    assert!(!new_holders(&report).contains(&s.ivo), "{report}");
}

async fn suggestions_share_the_kept_account_and_see_a_new_holder_at_once(app: &TestApp) {
    let s = story(app).await;
    let path = format!("/v1/accounts/{}/suggestions", s.acme);
    let suggest = || app.post(&path, json!({}));
    let first = suggest().await;
    assert_eq!(first.status, 200, "{}", first.body);
    let reads = app.db.accounts.reads();
    let report = app.get(&format!("/v1/accounts/{}/coverage", s.acme)).await;
    assert_eq!(report.status, 200);
    assert_eq!(app.db.accounts.reads(), reads, "the report uses the account suggestions read");

    // A new buyer with the green criterion: the next suggestions weigh her at once.
    let desk = json!({"organization_id": s.acme, "title": "Green buyer", "headcount": 1});
    let desk = app.create("/v1/posts", desk).await;
    let rita = app.create("/v1/persons", json!({"display_name": "Rita"})).await;
    let tenure = json!({"person_id": rita, "post_id": desk, "started_on": "2024-01-01",
                        "buying_roles": ["decision_maker"]});
    app.create("/v1/tenures", tenure).await;
    let next = suggest().await;
    assert_eq!(next.status, 200, "{}", next.body);
    let stakeholders = |body: &Value| -> Vec<String> {
        let pairs = body["pairs"].as_array().unwrap().iter().map(|p| &p["stakeholder_id"]);
        let uncovered = body["uncovered"].as_array().unwrap().iter().map(|u| &u["person_id"]);
        pairs.chain(uncovered).map(|id| id.as_str().unwrap().to_owned()).collect()
    };
    assert!(!stakeholders(&first.body).contains(&rita));
    assert!(stakeholders(&next.body).contains(&rita), "{}", next.body);
}

async fn suggestions_keep_the_crafted_facets_until_a_post_revision_recorded_ahead_takes_effect(
    app: &TestApp,
) {
    let s = story(app).await;
    let report = app.get(&format!("/v1/accounts/{}/coverage", s.acme)).await.body;
    let ceo = report["posts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["holders"].as_array().unwrap().iter().any(|h| h["person_id"] == s.olga))
        .map(|p| p["post_id"].as_str().unwrap().to_owned())
        .unwrap();
    let path = format!("/v1/accounts/{}/suggestions", s.acme);
    // How the pairs suggested with Olga read what she wants: nothing yet (no crafting, a post
    // without facets).
    let alignments = |body: &Value| alignments(body, &s.olga);
    let first = app.post(&path, json!({})).await;
    assert_eq!(first.status, 200, "{}", first.body);
    assert!(!alignments(&first.body).is_empty(), "{}", first.body);
    assert!(alignments(&first.body).iter().all(Value::is_null), "{}", first.body);

    // The CEO's post wants growth two seconds from now.
    let effective = chrono::Utc::now() + chrono::Duration::seconds(2);
    let revised = app
        .patch(
            &format!("/v1/posts/{ceo}"),
            json!({"facets_effective_at": effective.to_rfc3339(), "facets": [
                {"dimension": "priority", "key": "growth", "weight": 0.9}]}),
        )
        .await;
    assert_eq!(revised.status, 200, "{}", revised.body);
    let before = app.post(&path, json!({})).await;
    assert!(alignments(&before.body).iter().all(Value::is_null), "not yet: {}", before.body);
    let kept = app.post(&path, json!({})).await;
    assert_eq!(alignments(&kept.body), alignments(&before.body));
    let wait = effective - chrono::Utc::now() + chrono::Duration::milliseconds(200);
    actix_web::rt::time::sleep(wait.to_std().unwrap_or_default()).await;
    let after = app.post(&path, json!({})).await;
    assert_eq!(after.status, 200, "{}", after.body);
    assert!(!alignments(&after.body).is_empty(), "{}", after.body);
    assert!(alignments(&after.body).iter().all(Value::is_number), "in effect: {}", after.body);
}

/// How the pairs suggested with `person` read what they want (null: nothing known).
fn alignments(body: &Value, person: &str) -> Vec<Value> {
    let pairs = body["pairs"].as_array().unwrap().iter();
    pairs
        .filter(|p| p["stakeholder_id"] == person)
        .map(|p| p["parts"]["alignment"].clone())
        .collect()
}

async fn suggestions_with_the_account_kept_are_the_rows_after_crafting_roles_newcomers_and_posts(
    app: &TestApp,
) {
    let s = story(app).await;
    let path = format!("/v1/accounts/{}/suggestions", s.acme);
    let report = app.get(&format!("/v1/accounts/{}/coverage", s.acme)).await.body;
    let olga = holding(&report, &s.olga);
    let first = app.post(&path, json!({})).await;
    assert_eq!(first.status, 200, "{}", first.body);
    assert!(!alignments(&first.body, &s.olga).is_empty(), "{}", first.body);
    assert!(alignments(&first.body, &s.olga).iter().all(Value::is_null), "{}", first.body);

    // Olga weighs carbon footprints now, which Carla's sustainability championship speaks to.
    app.create(
        &format!("/v1/tenures/{olga}/crafting"),
        json!({"facets": [{"dimension": "decision_criterion", "key": "carbon_footprint",
                           "weight": 0.9}]}),
    )
    .await;
    let reads = || app.db.accounts.reads();
    let read = reads();
    let crafted = app.post(&path, json!({})).await;
    assert_eq!(crafted.status, 200, "{}", crafted.body);
    assert_eq!(reads(), read, "the account kept: her crafting alone read");
    assert!(!alignments(&crafted.body, &s.olga).is_empty(), "{}", crafted.body);
    assert!(alignments(&crafted.body, &s.olga).iter().all(Value::is_number), "{}", crafted.body);

    // Carla's link to Nora, stated: brought into the kept account.
    app.create(
        "/v1/coverage",
        json!({"salesperson_id": s.carla, "stakeholder_id": s.nora, "role": "primary",
               "strength": 0.9}),
    )
    .await;
    let crafted = app.post(&path, json!({})).await;
    assert_eq!(crafted.status, 200, "{}", crafted.body);
    assert_eq!(reads(), read, "the account kept: the link brought in");

    // Nora becomes a decision maker too, whom the sales manager wants covered twice: her
    // tenure's roles are patched into the kept account, and she gets both salespeople.
    let asked = json!({"coverers_by_role": {"decision_maker": 2}});
    let noras = |body: &Value| alignments(body, &s.nora).len();
    assert_eq!(noras(&app.post(&path, asked.clone()).await.body), 1);
    let nora = holding(&report, &s.nora);
    let roles = json!({"buying_roles": ["economic_buyer", "decision_maker"]});
    assert_eq!(app.patch(&format!("/v1/tenures/{nora}"), roles).await.status, 200);
    let crafted = app.post(&path, asked.clone()).await;
    assert_eq!(crafted.status, 200, "{}", crafted.body);
    assert_eq!(reads(), read, "the account kept: her roles patched");
    assert_eq!(noras(&crafted.body), 2, "{}", crafted.body);

    // The CFO's post wants quality; Nina, whom Max's dealings have set against him, comes to
    // it as a decision maker. Taken into the kept account with the post's facets and her
    // relationship (which lowers what his covering her is worth): the rows' suggestions below
    // are the same.
    let cfo = report["posts"].as_array().unwrap().iter().find(|p| p["title"] == "CFO");
    let cfo = cfo.unwrap()["post_id"].as_str().unwrap().to_owned();
    let wants = json!({"facets": [{"dimension": "decision_criterion", "key": "quality",
                                   "weight": 0.8}]});
    assert_eq!(app.patch(&format!("/v1/posts/{cfo}"), wants).await.status, 200);
    let nina = app.create("/v1/persons", json!({"display_name": "Nina"})).await;
    app.create(
        "/v1/relationships",
        json!({"from_person_id": nina, "to_person_id": s.max, "kind": "blocks", "strength": 0.9}),
    )
    .await;
    assert_eq!(app.post(&path, asked.clone()).await.status, 200);
    assert_eq!(reads(), read, "the account kept: the post patched, the relationship elsewhere");
    app.create(
        "/v1/tenures",
        json!({"person_id": nina, "post_id": cfo, "started_on": crate::coverage::days_ago(2),
               "buying_roles": ["decision_maker"]}),
    )
    .await;
    let arrived = app.post(&path, asked.clone()).await;
    assert_eq!(arrived.status, 200, "{}", arrived.body);
    assert_eq!(reads(), read, "the account kept: the newcomer taken in");
    let coverers = |body: &Value, person: &str| -> Vec<String> {
        let pairs =
            body["pairs"].as_array().unwrap().iter().filter(|p| p["stakeholder_id"] == person);
        pairs.map(|p| p["salesperson_id"].as_str().unwrap().to_owned()).collect()
    };
    assert!(coverers(&arrived.body, &nina).contains(&s.carla), "{}", arrived.body);

    // Olga's post is retitled and wants growth from now on, which Max's priority speaks to:
    // the post patched into the kept account, and her facets read again.
    let ceo = app.get(&format!("/v1/tenures/{olga}")).await.body["post_id"].clone();
    let revision = json!({"title": "Chief Executive", "facets": [
        {"dimension": "priority", "key": "growth", "weight": 0.9}]});
    let revised = app.patch(&format!("/v1/posts/{}", ceo.as_str().unwrap()), revision).await;
    assert_eq!(revised.status, 200, "{}", revised.body);
    let revised = app.post(&path, asked.clone()).await;
    assert_eq!(revised.status, 200, "{}", revised.body);
    assert_eq!(reads(), read, "the account kept: the post patched");
    assert_ne!(alignments(&revised.body, &s.olga), alignments(&crafted.body, &s.olga));

    // A unit in the account has it, and its facets, read from the rows: the same suggestions.
    let unit = json!({"name": "Acme Labs", "kind": "client", "parent_id": s.acme});
    app.create("/v1/organizations", unit).await;
    let rows = app.post(&path, asked).await;
    assert_eq!(rows.status, 200, "{}", rows.body);
    assert_eq!(reads(), read + 1, "a unit reaches the account");
    for part in ["pairs", "uncovered"] {
        assert_eq!(comparable(&revised.body[part]), comparable(&rows.body[part]), "{part}");
    }
}

/// Each account's report after a write: read again exactly when `reached` says, and the same
/// as the report read from the rows (as known now, which reads and keeps nothing) either way.
async fn after(app: &TestApp, write: &str, accounts: &[(&str, &str)], reached: &[bool]) {
    let seen = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string();
    for ((name, account), reached) in accounts.iter().zip(reached) {
        let path = format!("/v1/accounts/{account}/coverage");
        let before = app.db.accounts.reads();
        let kept = app.get(&path).await;
        assert_eq!(kept.status, 200, "{}", kept.body);
        let read_again = app.db.accounts.reads() - before;
        assert_eq!(read_again, u64::from(*reached), "{write}: {name} read again");
        let rows = app.get(&format!("{path}?known_at={seen}")).await;
        assert_eq!(rows.status, 200, "{}", rows.body);
        assert_eq!(comparable(&kept.body), comparable(&rows.body), "{write}: {name}");
    }
}

async fn a_write_has_only_the_accounts_it_reaches_read_again_and_each_report_is_the_rows_report(
    app: &TestApp,
) {
    let s = story(app).await;
    // A third account, that only a career reaches.
    let initech =
        app.create("/v1/organizations", json!({"name": "Initech", "kind": "client"})).await;
    let buyer = app
        .create("/v1/posts", json!({"organization_id": initech, "title": "Buyer", "headcount": 2}))
        .await;
    let bob = app.create("/v1/persons", json!({"display_name": "Bob"})).await;
    app.create(
        "/v1/tenures",
        json!({"person_id": bob, "post_id": buyer, "started_on": "2024-01-01"}),
    )
    .await;
    let accounts =
        [("Acme", s.acme.as_str()), ("Globex", s.globex.as_str()), ("Initech", &initech)];
    after(app, "first reports", &accounts, &[true, true, true]).await;
    after(app, "nothing written", &accounts, &[false, false, false]).await;

    let zed = app.create("/v1/persons", json!({"display_name": "Zed"})).await;
    after(app, "a new person", &accounts, &[false, false, false]).await;
    app.patch(&format!("/v1/persons/{}", s.ivo), json!({"display_name": "Ivo Brandt"})).await;
    // A person's update changes at most a name in an account: the names are read, not the
    // account, and the report is the rows' all the same.
    after(app, "a stakeholder renamed", &accounts, &[false, false, false]).await;
    app.patch(&format!("/v1/persons/{}", s.nora), json!({"phone": "+49 30 1234"})).await;
    after(app, "a stakeholder's phone", &accounts, &[false, false, false]).await;
    // Peter left Acme (the report says where he went) for Globex.
    app.patch(&format!("/v1/persons/{}", s.peter), json!({"display_name": "Peter Pan"})).await;
    after(app, "a departed stakeholder renamed", &accounts, &[false, false, false]).await;
    // A link, or a new interaction, has the links of the people at its ends read again, not
    // the account.
    let link = app
        .create(
            "/v1/coverage",
            json!({"salesperson_id": s.carla, "stakeholder_id": s.nora, "role": "primary"}),
        )
        .await;
    after(app, "a link", &accounts, &[false, false, false]).await;
    let yesterday = (chrono::Utc::now() - chrono::Duration::days(1)).to_rfc3339();
    let meeting = app
        .create(
            "/v1/interactions",
            json!({"salesperson_id": s.carla, "stakeholder_id": s.nora, "kind": "meeting",
                   "occurred_at": yesterday}),
        )
        .await;
    after(app, "an interaction", &accounts, &[false, false, false]).await;
    // A meeting brought into a kept account, then deleted: found by its id, which the account
    // kept when it took the meeting in.
    let second = app
        .create(
            "/v1/interactions",
            json!({"salesperson_id": s.carla, "stakeholder_id": s.nora, "kind": "call",
                   "occurred_at": yesterday}),
        )
        .await;
    after(app, "a second interaction", &accounts, &[false, false, false]).await;
    assert_eq!(app.delete(&format!("/v1/interactions/{second}")).await.status, 204);
    after(app, "an interaction taken in, deleted", &accounts, &[true, false, false]).await;
    let stated = app.patch(&format!("/v1/coverage/{link}"), json!({"strength": 0.9})).await;
    assert_eq!(stated.status, 200, "{}", stated.body);
    after(app, "a link's strength stated", &accounts, &[false, false, false]).await;
    // Peter left Acme for Globex: a link to him is in both reports, and goes from both.
    let to_peter = app
        .create(
            "/v1/coverage",
            json!({"salesperson_id": s.carla, "stakeholder_id": s.peter, "role": "secondary"}),
        )
        .await;
    after(app, "a link to a departed stakeholder", &accounts, &[false, false, false]).await;
    assert_eq!(app.delete(&format!("/v1/coverage/{to_peter}")).await.status, 204);
    after(app, "a link deleted", &accounts, &[false, false, false]).await;
    // A relationship has the relationships of the stakeholders at its ends read again.
    let informal = app
        .create(
            "/v1/relationships",
            json!({"from_person_id": s.olga, "to_person_id": s.nora,
                   "kind": "reports_informally_to", "strength": 0.6}),
        )
        .await;
    after(app, "a relationship", &accounts, &[false, false, false]).await;
    let stronger =
        app.patch(&format!("/v1/relationships/{informal}"), json!({"strength": 0.9})).await;
    assert_eq!(stronger.status, 200, "{}", stronger.body);
    after(app, "a relationship's strength", &accounts, &[false, false, false]).await;
    // Between a stakeholder of each account: both reports have it, and lose it.
    let across = app
        .create(
            "/v1/relationships",
            json!({"from_person_id": s.nora, "to_person_id": s.peter, "kind": "advises",
                   "strength": 0.4}),
        )
        .await;
    after(app, "a relationship across accounts", &accounts, &[false, false, false]).await;
    assert_eq!(app.delete(&format!("/v1/relationships/{across}")).await.status, 204);
    after(app, "a relationship across accounts deleted", &accounts, &[false, false, false]).await;
    assert_eq!(app.delete(&format!("/v1/relationships/{informal}")).await.status, 204);
    after(app, "a relationship deleted", &accounts, &[false, false, false]).await;
    // Crafting has the holder's crafting read again, not the account: Ivo, a new holder nobody
    // had asked how he does the job, has some now (the alert goes), and Nora more.
    let report = app.get(&format!("/v1/accounts/{}/coverage", s.acme)).await.body;
    assert!(new_holders(&report).contains(&s.ivo), "{report}");
    for (person, key) in [(&s.ivo, "carbon_footprint"), (&s.nora, "price")] {
        let tenure = holding(&report, person);
        app.create(
            &format!("/v1/tenures/{tenure}/crafting"),
            json!({"facets": [{"dimension": "decision_criterion", "key": key, "weight": 0.4}]}),
        )
        .await;
        after(app, "a crafting revision", &accounts, &[false, false, false]).await;
    }
    let report = app.get(&format!("/v1/accounts/{}/coverage", s.acme)).await.body;
    assert!(!new_holders(&report).contains(&s.ivo), "{report}");
    // A tenure's update in its place (the same person, post and period) has its buying roles
    // patched: Nora becomes a decision maker too, which moves the report's figures.
    let noras = holding(&report, &s.nora);
    let roles = json!({"buying_roles": ["economic_buyer", "decision_maker"]});
    assert_eq!(app.patch(&format!("/v1/tenures/{noras}"), roles).await.status, 200);
    after(app, "a stakeholder's buying roles", &accounts, &[false, false, false]).await;
    // Peter's post at Globex is where Acme's report says he went: Globex's is patched, and
    // Acme, which read it without holding it, is read again.
    let globex = app.get(&format!("/v1/accounts/{}/coverage", s.globex)).await.body;
    let peters = holding(&globex, &s.peter);
    let roles = json!({"buying_roles": ["decision_maker"]});
    assert_eq!(app.patch(&format!("/v1/tenures/{peters}"), roles).await.status, 200);
    after(app, "the buying roles of where one went", &accounts, &[true, false, false]).await;
    // A tenure held by nobody now (Peter's at Acme, ended) is in no account in its place.
    let careers = app.all(&format!("/v1/persons/{}/tenures", s.peter)).await;
    let departed = careers.iter().find(|t| t["post_id"] == s.procurement.as_str()).unwrap();
    let departed = departed["id"].as_str().unwrap();
    let roles = json!({"buying_roles": ["champion", "user"]});
    assert_eq!(app.patch(&format!("/v1/tenures/{departed}"), roles).await.status, 200);
    after(app, "an ended tenure's buying roles", &accounts, &[true, true, false]).await;
    // A tenure moved in time is not in its place: the account is read again.
    let until = (chrono::Utc::now() + chrono::Duration::days(300)).date_naive().to_string();
    let olgas = holding(&report, &s.olga);
    let ending = app.patch(&format!("/v1/tenures/{olgas}"), json!({"ended_on": until})).await;
    assert_eq!(ending.status, 200, "{}", ending.body);
    after(app, "a stakeholder's tenure given an end", &accounts, &[true, false, false]).await;

    // A newcomer no account has read, with a past at an organization no account holds and a
    // link: her tenure, crafting and a relationship, written at once, are taken into Acme's
    // kept account (the report says where she came from, and that Carla knows her).
    let umbrella =
        app.create("/v1/organizations", json!({"name": "Umbrella", "kind": "client"})).await;
    let buyer_there =
        app.create("/v1/posts", json!({"organization_id": umbrella, "title": "Buyer"})).await;
    let nina = app.create("/v1/persons", json!({"display_name": "Nina"})).await;
    let ended = crate::coverage::days_ago(10);
    app.create(
        "/v1/tenures",
        json!({"person_id": nina, "post_id": buyer_there, "started_on": "2021-01-01",
               "ended_on": ended}),
    )
    .await;
    app.create(
        "/v1/coverage",
        json!({"salesperson_id": s.carla, "stakeholder_id": nina, "role": "primary"}),
    )
    .await;
    after(app, "a newcomer's past elsewhere, and her link", &accounts, &[false, false, false])
        .await;
    let cfo = report["posts"].as_array().unwrap().iter().find(|p| p["title"] == "CFO");
    let cfo = cfo.unwrap()["post_id"].as_str().unwrap().to_owned();
    let ninas = app
        .create(
            "/v1/tenures",
            json!({"person_id": nina, "post_id": cfo, "started_on": crate::coverage::days_ago(3),
                   "buying_roles": ["economic_buyer"]}),
        )
        .await;
    app.create(
        &format!("/v1/tenures/{ninas}/crafting"),
        json!({"facets": [{"dimension": "priority", "key": "growth", "weight": 0.7}]}),
    )
    .await;
    app.create(
        "/v1/relationships",
        json!({"from_person_id": nina, "to_person_id": s.olga, "kind": "reports_informally_to",
               "strength": 0.5}),
    )
    .await;
    after(app, "a newcomer", &accounts, &[false, false, false]).await;
    let taken_in = app.get(&format!("/v1/accounts/{}/coverage", s.acme)).await.body;
    assert!(covered(&taken_in, "Nina"), "{taken_in}");
    let arrived = taken_in["alerts"].as_array().unwrap().iter().any(|a| {
        a["type"] == "known_person_arrived" || (a["type"] == "new_holder" && a["person_id"] == nina)
    });
    assert!(arrived, "{taken_in}");
    // A post's headcount is patched; a tenure yet to come there is not taken in (the account
    // is read again), nor a new tenure of someone an account has read (Ivo, Acme's, takes a
    // second post).
    let ceo_post = report["posts"].as_array().unwrap().iter().find(|p| p["title"] == "CEO");
    let ceo_post = ceo_post.unwrap()["post_id"].as_str().unwrap().to_owned();
    app.patch(&format!("/v1/posts/{ceo_post}"), json!({"headcount": 3})).await;
    after(app, "a post's headcount", &accounts, &[false, false, false]).await;
    let tomorrow = (chrono::Utc::now() + chrono::Duration::days(1)).date_naive().to_string();
    let otto = app.create("/v1/persons", json!({"display_name": "Otto"})).await;
    app.create(
        "/v1/tenures",
        json!({"person_id": otto, "post_id": ceo_post, "started_on": tomorrow}),
    )
    .await;
    after(app, "a tenure yet to come", &accounts, &[true, false, false]).await;
    app.create(
        "/v1/tenures",
        json!({"person_id": s.ivo, "post_id": ceo_post,
               "started_on": crate::coverage::days_ago(1)}),
    )
    .await;
    after(app, "a stakeholder's second post", &accounts, &[true, false, false]).await;

    // A post's update in its place (the same organization, existing today) has its title,
    // reporting line and headcount patched. Procurement is also in Peter's career, which
    // Globex read to say where its newcomer came from: Globex is read again.
    let report = app.get(&format!("/v1/accounts/{}/coverage", s.acme)).await.body;
    let post_titled = |title: &str| {
        let post = report["posts"].as_array().unwrap().iter().find(|p| p["title"] == title);
        post.unwrap()["post_id"].as_str().unwrap().to_owned()
    };
    let (ceo, claims, cfo) =
        (post_titled("CEO"), post_titled("Claims Manager"), post_titled("CFO"));
    let retitled = json!({"title": "Chief Procurement Officer", "headcount": 2});
    let retitled = app.patch(&format!("/v1/posts/{}", s.procurement), retitled).await;
    assert_eq!(retitled.status, 200, "{}", retitled.body);
    after(app, "a stakeholder's post retitled", &accounts, &[false, true, false]).await;
    let reporting = json!({"reports_to_post_id": s.procurement});
    assert_eq!(app.patch(&format!("/v1/posts/{claims}"), reporting).await.status, 200);
    after(app, "a post's reporting line", &accounts, &[false, false, false]).await;
    let wants = json!({"facets": [{"dimension": "priority", "key": "growth", "weight": 0.8}]});
    assert_eq!(app.patch(&format!("/v1/posts/{ceo}"), wants).await.status, 200);
    after(app, "a post's formal revision", &accounts, &[false, false, false]).await;
    // Where Peter went: Globex patched, Acme (which read it as his career) read again.
    let purchasing = holding(&globex, &s.peter);
    let purchasing = app.get(&format!("/v1/tenures/{purchasing}")).await.body["post_id"].clone();
    let purchasing = purchasing.as_str().unwrap();
    let retitled = json!({"title": "Chief Purchasing Officer"});
    assert_eq!(app.patch(&format!("/v1/posts/{purchasing}"), retitled).await.status, 200);
    after(app, "the post where one went retitled", &accounts, &[true, false, false]).await;
    // Moved to another organization of the account, or abolished: not in its place.
    let moved = json!({"organization_id": s.acme});
    assert_eq!(app.patch(&format!("/v1/posts/{claims}"), moved).await.status, 200);
    after(app, "a post moved to another unit", &accounts, &[true, false, false]).await;
    let yesterday = (chrono::Utc::now() - chrono::Duration::days(1)).date_naive().to_string();
    let abolished = json!({"abolished_on": yesterday});
    assert_eq!(app.patch(&format!("/v1/posts/{cfo}"), abolished).await.status, 200);
    after(app, "a vacant post abolished", &accounts, &[true, false, false]).await;

    // A unit under Globex reaches Globex alone; renamed, it is patched, as is Acme's name and
    // profile; a post in it is taken in.
    let unit = app
        .create(
            "/v1/organizations",
            json!({"name": "Globex Labs", "kind": "client", "parent_id": s.globex}),
        )
        .await;
    after(app, "a unit", &accounts, &[false, true, false]).await;
    let renamed = json!({"name": "Globex R&D"});
    assert_eq!(app.patch(&format!("/v1/organizations/{unit}"), renamed).await.status, 200);
    after(app, "a unit renamed", &accounts, &[false, false, false]).await;
    let kind = json!({"kind": "partner"});
    assert_eq!(app.patch(&format!("/v1/organizations/{unit}"), kind).await.status, 200);
    after(app, "a unit made a partner", &accounts, &[false, true, false]).await;
    let kind = json!({"kind": "client"});
    assert_eq!(app.patch(&format!("/v1/organizations/{unit}"), kind).await.status, 200);
    after(app, "a unit made a client again", &accounts, &[false, true, false]).await;
    let profile = json!({"name": "Acme Group", "profile": {"region": "nordics", "tags": ["iso"]}});
    assert_eq!(app.patch(&format!("/v1/organizations/{}", s.acme), profile).await.status, 200);
    after(app, "an account renamed", &accounts, &[false, false, false]).await;
    let lab = app.create("/v1/posts", json!({"organization_id": unit, "title": "Lab lead"})).await;
    after(app, "a post", &accounts, &[false, false, false]).await;
    // A person, a post for her and her tenure, written at once: all taken in.
    let kim = app.create("/v1/persons", json!({"display_name": "Kim"})).await;
    let desk = json!({"organization_id": unit, "title": "Lab assistant"});
    let desk = app.create("/v1/posts", desk).await;
    app.create(
        "/v1/tenures",
        json!({"person_id": kim, "post_id": desk, "started_on": "2024-06-01"}),
    )
    .await;
    after(app, "a person, a post and her tenure at once", &accounts, &[false, false, false]).await;
    app.create(
        "/v1/tenures",
        json!({"person_id": zed, "post_id": lab, "started_on": "2024-01-01"}),
    )
    .await;
    // Zed, whom no account has read, comes to a post Globex holds: taken in.
    after(app, "a new holder", &accounts, &[false, false, false]).await;
    // The unit moves to Acme, with its post and holder.
    let moved = app.patch(&format!("/v1/organizations/{unit}"), json!({"parent_id": s.acme})).await;
    assert_eq!(moved.status, 200, "{}", moved.body);
    after(app, "a unit moved", &accounts, &[true, true, false]).await;
    // A deleted row is found by its id alone: the interaction behind a link's strength.
    assert_eq!(app.delete(&format!("/v1/interactions/{meeting}")).await.status, 204);
    after(app, "an interaction deleted", &accounts, &[true, false, false]).await;
    // Where Peter went is part of Acme's report, and Globex's holder is his.
    app.create(
        "/v1/tenures",
        json!({"person_id": s.peter, "post_id": buyer, "started_on": "2025-06-01"}),
    )
    .await;
    after(app, "a departed stakeholder's new post", &accounts, &[true, true, true]).await;
    // Zed's tenure (in the unit now under Acme) goes with him.
    assert_eq!(app.delete(&format!("/v1/persons/{zed}?cascade=true")).await.status, 204);
    after(app, "a holder deleted", &accounts, &[true, false, false]).await;
    // Renamed, then erased, between two reports: the erasure reads the account again.
    app.patch(&format!("/v1/persons/{}", s.ivo), json!({"display_name": "Ivo C."})).await;
    let erased = app.delete(&format!("/v1/persons/{}?erase=true", s.ivo)).await;
    assert_eq!(erased.status, 204, "{}", erased.body);
    after(app, "a stakeholder renamed, then erased", &accounts, &[true, false, false]).await;
    after(app, "nothing written", &accounts, &[false, false, false]).await;
}

/// An account held inside another (Acme Claims, a client under Acme): both kept, a write in the
/// inner one patches both, and each report is the rows'.
async fn an_account_inside_another_is_patched_with_it(app: &TestApp) {
    let s = story(app).await;
    let report = app.get(&format!("/v1/accounts/{}/coverage", s.acme)).await.body;
    let posts = report["posts"].as_array().unwrap();
    let claims_post = posts.iter().find(|p| p["title"] == "Claims Manager").unwrap();
    let claims = claims_post["organization_id"].as_str().unwrap().to_owned();
    let post = claims_post["post_id"].as_str().unwrap().to_owned();
    let accounts = [("Acme", s.acme.as_str()), ("Acme Claims", claims.as_str())];
    // Acme's report is kept already.
    after(app, "first reports", &accounts, &[false, true]).await;
    let retitled = json!({"title": "Head of Claims", "headcount": 2});
    assert_eq!(app.patch(&format!("/v1/posts/{post}"), retitled).await.status, 200);
    after(app, "a post retitled", &accounts, &[false, false]).await;
    let lena = app.create("/v1/persons", json!({"display_name": "Lena"})).await;
    app.create(
        "/v1/tenures",
        json!({"person_id": lena, "post_id": post, "started_on": crate::coverage::days_ago(5),
               "buying_roles": ["user"]}),
    )
    .await;
    after(app, "a new holder", &accounts, &[false, false]).await;
    let renamed = json!({"name": "Acme Claims & Care"});
    assert_eq!(app.patch(&format!("/v1/organizations/{claims}"), renamed).await.status, 200);
    after(app, "the inner account renamed", &accounts, &[false, false]).await;
    let desk = json!({"organization_id": claims, "title": "Adjuster"});
    let desk = app.create("/v1/posts", desk).await;
    after(app, "a post", &accounts, &[false, false]).await;
    // Moved out of the inner account: both are read again.
    let moved = json!({"organization_id": s.acme});
    assert_eq!(app.patch(&format!("/v1/posts/{desk}"), moved).await.status, 200);
    after(app, "a post moved out", &accounts, &[true, true]).await;
}
