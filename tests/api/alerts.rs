//! The life of a coverage report's alerts: decided about by managers (acknowledged, snoozed,
//! dismissed, with who, when and why), open again when their facts change, cleared by
//! themselves when their condition no longer holds, in the change feed, and one decision
//! among many writers at once.

use awc::http::Method;
use chrono::{Duration, Utc};
use futures_util::future::join_all;
use jobcraft::domain::api_key::Scope;
use serde_json::{json, Value};

use crate::coverage::{days_ago, story, Story};
use crate::harness::{on_both_backends, Response, TestApp};

on_both_backends!(
    a_dismissed_alert_stays_dismissed_until_its_facts_change,
    an_alert_clears_by_itself_and_keeps_its_history,
    deciding_needs_write_scope_and_names_bad_fields,
    eight_decisions_with_the_same_if_match_make_one_200_and_seven_412,
    erasing_a_person_erases_the_notes_on_alerts_about_them,
);

fn alert<'a>(report: &'a Value, kind: &str) -> &'a Value {
    let alerts = report["alerts"].as_array().unwrap();
    alerts.iter().find(|a| a["type"] == kind).unwrap_or_else(|| panic!("no {kind}: {report}"))
}

async fn report(app: &TestApp, s: &Story) -> Value {
    let response = app.get(&format!("/v1/accounts/{}/coverage", s.acme)).await;
    assert_eq!(response.status, 200, "{}", response.body);
    response.body
}

async fn decide(app: &TestApp, alert_id: &Value, body: Value, if_match: Option<&str>) -> Response {
    let path = format!("/v1/alerts/{}", alert_id.as_str().unwrap());
    let headers: Vec<(&str, &str)> =
        if_match.map(|tag| vec![("If-Match", tag)]).unwrap_or_default();
    app.call(Method::PUT, &path, Some(&app.key), &headers, Some(&body)).await
}

async fn a_dismissed_alert_stays_dismissed_until_its_facts_change(app: &TestApp) {
    let s = story(app).await;
    let before = report(app, &s).await;
    let stale = alert(&before, "stale_relationship");
    assert_eq!((&stale["state"], &stale["returned"]), (&json!("open"), &json!(false)));
    let open_before = before["metrics"]["alerts"].as_u64().unwrap();

    let dismissed = decide(
        app,
        &stale["alert_id"],
        json!({"account_id": s.acme, "state": "dismissed", "note": "they talk weekly by phone"}),
        None,
    )
    .await;
    assert_eq!(dismissed.status, 200, "{}", dismissed.body);
    assert_eq!(dismissed.header("etag").as_deref(), Some("\"1\""));
    assert_eq!(dismissed.body["state"], "dismissed");
    assert_eq!(dismissed.body["decision"]["by"], "admin");
    assert_eq!(dismissed.body["decision"]["note"], "they talk weekly by phone");

    // As known just before, it was open: the report a manager saw then.
    let before_decision = before["as_of"].as_str().unwrap().replace("+00:00", "Z");
    let then =
        app.get(&format!("/v1/accounts/{}/coverage?known_at={before_decision}", s.acme)).await;
    assert_eq!(then.status, 200, "{}", then.body);
    assert_eq!(alert(&then.body, "stale_relationship")["state"], "open");
    assert_eq!(then.body["known_at"].as_str().unwrap().replace("+00:00", "Z"), before_decision);

    // The report shows it dismissed, and it no longer counts as needing action.
    let after = report(app, &s).await;
    assert_eq!(alert(&after, "stale_relationship")["state"], "dismissed");
    assert_eq!(after["metrics"]["alerts"].as_u64().unwrap(), open_before - 1);
    // The same alert has the same id on every report.
    assert_eq!(alert(&after, "stale_relationship")["alert_id"], stale["alert_id"]);

    // A touch long ago is logged: still stale, but its facts changed, so it is open again.
    let at = (Utc::now() - Duration::days(90)).to_rfc3339();
    app.create(
        "/v1/interactions",
        json!({"salesperson_id": s.max, "stakeholder_id": s.olga, "kind": "call", "occurred_at": at}),
    )
    .await;
    let changed = report(app, &s).await;
    let back = alert(&changed, "stale_relationship");
    assert_eq!((&back["state"], &back["returned"]), (&json!("open"), &json!(true)));
    assert_eq!(back["decision"]["state"], "dismissed", "the last decision is still shown");

    // Snoozed until tomorrow, it is out of the way; the decision is in the change feed.
    let tomorrow = (Utc::now().date_naive() + Duration::days(1)).to_string();
    let snoozed = decide(
        app,
        &back["alert_id"],
        json!({"account_id": s.acme, "state": "snoozed", "until": tomorrow}),
        Some("\"1\""),
    )
    .await;
    assert_eq!(snoozed.status, 200, "{}", snoozed.body);
    assert_eq!(snoozed.body["decision"]["until"], tomorrow.as_str());
    let feed = app.get("/v1/changes?limit=500&entity=alert").await.body;
    let decisions: Vec<&Value> =
        feed["items"].as_array().unwrap().iter().filter(|c| c["id"] == back["alert_id"]).collect();
    assert_eq!(decisions.len(), 2, "{feed:?}");
    assert_eq!(
        (&decisions[0]["operation"], &decisions[1]["operation"]),
        (&json!("create"), &json!("update"))
    );
}

async fn an_alert_clears_by_itself_and_keeps_its_history(app: &TestApp) {
    let s = story(app).await;
    let before = report(app, &s).await;
    let uncovered = alert(&before, "uncovered_buying_role");
    assert_eq!(uncovered["person_id"], s.nora);
    let acknowledged = decide(
        app,
        &uncovered["alert_id"],
        json!({"account_id": s.acme, "state": "acknowledged", "note": "Carla will call her"}),
        None,
    )
    .await;
    assert_eq!(acknowledged.status, 200, "{}", acknowledged.body);
    assert_eq!(alert(&report(app, &s).await, "uncovered_buying_role")["state"], "acknowledged");

    // Carla covers Nora: her role is covered, and Peter's old post is covered again through
    // her, so both alerts clear by themselves.
    app.create(
        "/v1/coverage",
        json!({"salesperson_id": s.carla, "stakeholder_id": s.nora, "role": "primary"}),
    )
    .await;
    let after = report(app, &s).await;
    let kinds: Vec<&Value> =
        after["alerts"].as_array().unwrap().iter().map(|a| &a["type"]).collect();
    assert!(!kinds.contains(&&json!("uncovered_buying_role")), "{kinds:?}");
    assert!(!kinds.contains(&&json!("covered_person_left")), "{kinds:?}");

    // The list keeps what was decided about the cleared alert.
    let path = format!("/v1/accounts/{}/alerts?state=cleared", s.acme);
    let cleared = app.get(&path).await;
    assert_eq!(cleared.status, 200, "{}", cleared.body);
    let items = cleared.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{}", cleared.body);
    assert_eq!(items[0]["alert_id"], uncovered["alert_id"]);
    assert_eq!(items[0]["history"][0]["state"], "acknowledged");
    assert_eq!(items[0]["history"][0]["note"], "Carla will call her");
    assert_eq!(items[0]["history"][0]["by"], "admin");
    // Every alert raised now is listed too, in its state.
    let all = app.get(&format!("/v1/accounts/{}/alerts", s.acme)).await.body;
    let open = app.get(&format!("/v1/accounts/{}/alerts?state=open", s.acme)).await.body;
    assert_eq!(
        all["items"].as_array().unwrap().len(),
        after["alerts"].as_array().unwrap().len() + 1
    );
    assert!(open["items"].as_array().unwrap().iter().all(|i| i["alert"]["state"] == "open"));
    // A cleared alert has nothing to decide about.
    let late = decide(
        app,
        &uncovered["alert_id"],
        json!({"account_id": s.acme, "state": "dismissed"}),
        None,
    )
    .await;
    late.assert_problem(404);
}

async fn deciding_needs_write_scope_and_names_bad_fields(app: &TestApp) {
    let s = story(app).await;
    let stale = alert(&report(app, &s).await, "stale_relationship").clone();
    let path = format!("/v1/alerts/{}", stale["alert_id"].as_str().unwrap());
    let body = json!({"account_id": s.acme, "state": "acknowledged"});
    let reader = app.key_with(&[Scope::Read]);
    let refused = app.call(Method::PUT, &path, Some(&reader), &[], Some(&body)).await;
    refused.assert_problem(403);

    let yesterday = days_ago(1);
    for (body, pointer) in [
        (json!({"account_id": s.acme, "state": "snoozed"}), "/until"),
        (json!({"account_id": s.acme, "state": "snoozed", "until": yesterday}), "/until"),
        (json!({"account_id": s.acme, "state": "dismissed", "until": "2099-01-01"}), "/until"),
        (json!({"account_id": s.acme, "state": "dismissed", "note": "x".repeat(2_001)}), "/note"),
    ] {
        let bad = decide(app, &stale["alert_id"], body, None).await;
        bad.assert_problem(422);
        assert_eq!(bad.pointers(), vec![pointer], "{}", bad.body);
    }
    decide(app, &stale["alert_id"], json!({"account_id": s.acme, "state": "gone"}), None)
        .await
        .assert_problem(400);
    // Another tenant sees neither the account nor the alert.
    let theirs = app.other_tenant("theirs");
    let hidden = app.call(Method::PUT, &path, Some(&theirs), &[], Some(&body)).await;
    hidden.assert_problem(404);
    // Nothing was decided.
    assert_eq!(alert(&report(app, &s).await, "stale_relationship")["state"], "open");
}

async fn eight_decisions_with_the_same_if_match_make_one_200_and_seven_412(app: &TestApp) {
    let s = story(app).await;
    let stale = alert(&report(app, &s).await, "stale_relationship").clone();
    let answers = join_all((0..8).map(|i| {
        let body = json!({"account_id": s.acme, "state": "acknowledged", "note": format!("n{i}")});
        let id = stale["alert_id"].clone();
        async move { decide(app, &id, body, Some("\"0\"")).await }
    }))
    .await;
    let mut statuses: Vec<u16> = answers.iter().map(|a| a.status.as_u16()).collect();
    statuses.sort();
    assert_eq!(
        statuses,
        vec![200, 412, 412, 412, 412, 412, 412, 412],
        "{:?}",
        answers.iter().map(|a| &a.body).collect::<Vec<_>>()
    );
    let list = app.get(&format!("/v1/accounts/{}/alerts?state=acknowledged", s.acme)).await.body;
    assert_eq!(list["items"][0]["history"].as_array().unwrap().len(), 1, "one decision kept");
}

async fn erasing_a_person_erases_the_notes_on_alerts_about_them(app: &TestApp) {
    let s = story(app).await;
    let before = report(app, &s).await;
    let champion = alert(&before, "champion_lost");
    let stale = alert(&before, "stale_relationship");
    for (a, note) in [(champion, "Max calls Peter at Globex"), (stale, "Olga prefers e-mail")] {
        let body = json!({"account_id": s.acme, "state": "acknowledged", "note": note});
        assert_eq!(decide(app, &a["alert_id"], body, None).await.status, 200);
    }
    let erased = app.delete(&format!("/v1/persons/{}?erase=true", s.peter)).await;
    assert_eq!(erased.status, 204, "{}", erased.body);

    // The decision about Peter's departure keeps who and when, not the note; the other stays.
    let listed = app.get(&format!("/v1/accounts/{}/alerts?state=acknowledged", s.acme)).await;
    assert_eq!(listed.status, 200, "{}", listed.body);
    let text = listed.body.to_string();
    assert!(!text.contains("Max calls Peter"), "{text}");
    assert!(text.contains("Olga prefers e-mail"), "{text}");
    let after = alert(&report(app, &s).await, "champion_lost").clone();
    assert_eq!(after["decision"]["by"], "admin");
    assert!(after["decision"].get("note").is_none(), "{after}");
}
