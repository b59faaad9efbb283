//! The audit log: every committed write is attributable to its key, origin and time, and
//! points at the changes it made; admins read it, nobody else.

use awc::http::Method;
use jobcraft::domain::api_key::Scope;
use serde_json::json;

use crate::harness::{on_both_backends, TestApp};

on_both_backends!(every_committed_write_is_attributable_and_points_at_its_changes);

async fn every_committed_write_is_attributable_and_points_at_its_changes(app: &TestApp) {
    let writer = app.key_with(&[Scope::Read, Scope::Write]);
    let origin = [("X-Jobcraft-Origin", "salesforce")];
    let body = json!({"display_name": "Nina"});
    let created = app.call(Method::POST, "/v1/persons", Some(&writer), &origin, Some(&body)).await;
    assert_eq!(created.status, 201, "{}", created.body);
    // A rejected write commits nothing, so it is not in the log.
    let bad = json!({"display_name": ""});
    let rejected = app.call(Method::POST, "/v1/persons", Some(&writer), &[], Some(&bad)).await;
    rejected.assert_problem(422);
    let batch = json!({"operations": [
        {"op": "upsert", "entity": "persons", "source": "salesforce", "external_id": "1", "body": {"display_name": "A"}},
        {"op": "upsert", "entity": "persons", "source": "salesforce", "external_id": "2", "body": {"display_name": "B"}}]});
    let synced = app.post("/v1/sync/batch", batch).await;
    assert_eq!(synced.status, 200, "{}", synced.body);

    let log = app.all("/v1/audit").await;
    let actions: Vec<&str> = log.iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, vec!["POST /v1/persons", "POST /v1/sync/batch"], "{log:?}");
    let first = &log[0];
    assert_eq!(first["key_name"], "test");
    assert_eq!(first["origin"], "salesforce");
    assert_eq!(first["change_count"], 1);
    assert!(first["at"].as_str().unwrap().ends_with('Z'));
    assert!(first.get("secret").is_none() && !first.to_string().contains("jc_"));

    // The entry points at exactly the changes the write made.
    let batch_entry = &log[1];
    assert_eq!(batch_entry["change_count"], 2);
    let after = batch_entry["changes_after"].as_str().unwrap();
    let changes = app.get(&format!("/v1/changes?after={after}&limit=2")).await;
    let ids: Vec<&str> = changes.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    let written: Vec<&str> = synced.body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, written);

    // One key's writes only.
    let writer_id = first["key_id"].as_str().unwrap();
    let mine = app.all(&format!("/v1/audit?key_id={writer_id}")).await;
    assert_eq!(mine.len(), 1);

    // Only admins read it; another tenant sees its own (empty) log.
    let response = app.call(Method::GET, "/v1/audit", Some(&writer), &[], None).await;
    response.assert_problem(403);
    let other = app.other_tenant("other");
    let response = app.call(Method::GET, "/v1/audit", Some(&other), &[], None).await;
    assert_eq!(response.body["items"], json!([]));
}
