use chrono::DateTime;
use jobcraft::domain::api_key::Scope;
use serde_json::{json, Value};

use crate::harness::{on_both_backends, TestApp};

on_both_backends!(
    create_read_replace_patch_and_delete_a_person,
    invalid_person_fields_are_all_named,
    a_career_lists_tenures_in_order_and_filters_current_ones,
    deleting_a_person_with_tenures_needs_cascade,
    erasing_a_person_keeps_the_structure_and_nothing_personal,
);

async fn create_read_replace_patch_and_delete_a_person(app: &TestApp) {
    let id = app
        .create(
            "/v1/persons",
            json!({"display_name": "Ada Lovelace", "emails": ["ada@example.com"]}),
        )
        .await;
    let path = format!("/v1/persons/{id}");
    let read = app.get(&path).await;
    assert_eq!(read.body["emails"], json!(["ada@example.com"]));
    assert_eq!(read.header("etag").as_deref(), Some("\"1\""));

    let replaced =
        app.put(&path, json!({"display_name": "Ada King", "phone": "+44 20 1234"})).await;
    assert_eq!(replaced.status, 200, "{}", replaced.body);
    assert_eq!(replaced.body["emails"], json!([]), "PUT replaces every field");
    assert_eq!(replaced.header("etag").as_deref(), Some("\"2\""));

    let patched = app.patch(&path, json!({"notes": "met at QBR", "phone": null})).await;
    assert_eq!(patched.status, 200, "{}", patched.body);
    assert_eq!(patched.body["display_name"], "Ada King");
    assert_eq!(patched.body["notes"], "met at QBR");
    assert_eq!(patched.body["phone"], json!(null));

    assert_eq!(app.delete(&path).await.status, 204);
    app.get(&path).await.assert_problem(404);
}

async fn invalid_person_fields_are_all_named(app: &TestApp) {
    let response = app
        .post(
            "/v1/persons",
            json!({"display_name": "  ", "emails": ["ok@example.com", "not-an-email"]}),
        )
        .await;
    response.assert_problem(422);
    assert_eq!(response.pointers(), vec!["/display_name", "/emails/1"]);
    assert!(app.all("/v1/persons").await.is_empty(), "nothing was written");
}

async fn a_career_lists_tenures_in_order_and_filters_current_ones(app: &TestApp) {
    let acme = app.create("/v1/organizations", json!({"name": "Acme", "kind": "client"})).await;
    let globex = app.create("/v1/organizations", json!({"name": "Globex", "kind": "client"})).await;
    let buyer = app.create("/v1/posts", json!({"organization_id": acme, "title": "Buyer"})).await;
    let head = app
        .create("/v1/posts", json!({"organization_id": globex, "title": "Head of Procurement"}))
        .await;
    let person = app.create("/v1/persons", json!({"display_name": "Carla"})).await;
    app.create(
        "/v1/tenures",
        json!({"person_id": person, "post_id": head, "started_on": "2024-05-01"}),
    )
    .await;
    app.create("/v1/tenures", json!({"person_id": person, "post_id": buyer, "started_on": "2018-02-01", "ended_on": "2024-05-01"})).await;

    let career = app.all(&format!("/v1/persons/{person}/tenures?limit=1")).await;
    let titles: Vec<_> = career.iter().map(|t| t["post_title"].as_str().unwrap()).collect();
    assert_eq!(titles, vec!["Buyer", "Head of Procurement"]);
    assert_eq!(career[1]["organization_id"], globex.as_str());
    assert_eq!(career[0]["is_current"], false);
    assert_eq!(career[1]["is_current"], true);

    let current = app.all(&format!("/v1/persons/{person}/tenures?current=true")).await;
    assert_eq!(current.len(), 1);
    let then =
        app.all(&format!("/v1/persons/{person}/tenures?current=true&as_of=2020-01-01")).await;
    assert_eq!(then[0]["post_title"], "Buyer");
}

async fn deleting_a_person_with_tenures_needs_cascade(app: &TestApp) {
    let org = app.create("/v1/organizations", json!({"name": "Acme", "kind": "client"})).await;
    let post = app.create("/v1/posts", json!({"organization_id": org, "title": "Buyer"})).await;
    let person = app.create("/v1/persons", json!({"display_name": "Carla"})).await;
    app.create(
        "/v1/tenures",
        json!({"person_id": person, "post_id": post, "started_on": "2024-05-01"}),
    )
    .await;
    app.delete(&format!("/v1/persons/{person}")).await.assert_problem(409);
    assert_eq!(app.delete(&format!("/v1/persons/{person}?cascade=true")).await.status, 204);
    assert!(app.all("/v1/tenures").await.is_empty());
}

async fn erasing_a_person_keeps_the_structure_and_nothing_personal(app: &TestApp) {
    let org = app.create("/v1/organizations", json!({"name": "Acme", "kind": "client"})).await;
    let post = app
        .create("/v1/posts", json!({"organization_id": org, "title": "Head of Procurement"}))
        .await;
    let nina = app
        .create(
            "/v1/persons",
            json!({"display_name": "Nina Roth", "emails": ["nina@acme.example"], "phone": "+49 1",
                   "notes": "met at the fair", "external_refs": [{"source": "salesforce", "external_id": "003"}]}),
        )
        .await;
    let olga = app.create("/v1/persons", json!({"display_name": "Olga"})).await;
    let tenure = app
        .create(
            "/v1/tenures",
            json!({"person_id": nina, "post_id": post, "started_on": "2024-01-01"}),
        )
        .await;
    app.create(
        &format!("/v1/tenures/{tenure}/crafting"),
        json!({"source": "call with Nina", "facets": [{"dimension": "decision_criterion",
               "key": "carbon_footprint", "weight": 0.9, "note": "her kids asked her"}]}),
    )
    .await;
    let relationship = app
        .create(
            "/v1/relationships",
            json!({"from_person_id": olga, "to_person_id": nina, "kind": "advises",
                   "strength": 0.5, "notes": "old friends"}),
        )
        .await;
    // A stronger tie later: the version with the first note is kept for reports as known then.
    let stronger =
        app.patch(&format!("/v1/relationships/{relationship}"), json!({"strength": 0.7})).await;
    assert_eq!(stronger.status, 200, "{}", stronger.body);
    let tenant = app.tenant_id;
    let earlier_notes = |app: &TestApp| {
        app.db
            .read(move |c| {
                jobcraft::store::relationships::versions_since(
                    c,
                    tenant,
                    DateTime::UNIX_EPOCH.naive_utc(),
                )
            })
            .unwrap()
            .into_iter()
            .map(|(_, r)| r.fields.notes)
            .collect::<Vec<_>>()
    };
    assert_eq!(earlier_notes(app), vec![Some("old friends".to_owned())]);

    let writer = app.key_with(&[Scope::Read, Scope::Write]);
    let refused = app
        .call(
            awc::http::Method::DELETE,
            &format!("/v1/persons/{nina}?erase=true"),
            Some(&writer),
            &[],
            None,
        )
        .await;
    refused.assert_problem(403);
    let erased = app.delete(&format!("/v1/persons/{nina}?erase=true")).await;
    assert_eq!(erased.status, 204, "{}", erased.body);

    let person = app.get(&format!("/v1/persons/{nina}")).await.body;
    assert_eq!(person["display_name"], "Erased person");
    assert_eq!(person["emails"], json!([]));
    assert_eq!((person["phone"].clone(), person["notes"].clone()), (Value::Null, Value::Null));
    assert!(person["erased_at"].is_string());
    assert!(person.get("external_refs").is_none_or(|r| r == &json!([])), "{person}");
    let revision = &app.all(&format!("/v1/tenures/{tenure}/crafting/revisions")).await[0];
    assert_eq!(revision["source"], Value::Null);
    assert_eq!(revision["facets"][0]["note"], Value::Null);
    assert_eq!(revision["facets"][0]["weight"], 0.9, "the crafted job's shape stays");
    assert_eq!(app.all("/v1/relationships").await[0]["notes"], Value::Null);
    assert_eq!(earlier_notes(app), vec![None], "the earlier version's note too");
    let succession = app.all(&format!("/v1/posts/{post}/tenures")).await;
    assert_eq!(succession[0]["person_display_name"], "Erased person");
    assert_eq!(app.get("/v1/sync/persons/salesforce/003").await.status, 404);

    let feed = app.get("/v1/changes?after=latest").await;
    let cursor = feed.body["next_cursor"].as_str().unwrap();
    let all = app.get("/v1/changes?limit=1000").await.body;
    let tombstone = all["items"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (tombstone["entity"].as_str(), tombstone["operation"].as_str()),
        (Some("person"), Some("delete"))
    );
    assert_eq!(tombstone["external_refs"][0]["external_id"], "003", "each CRM can erase its copy");
    assert!(!all.to_string().contains("Nina"));
    assert!(!cursor.is_empty());

    let erasures = app.all("/v1/erasures").await;
    assert_eq!(erasures.len(), 1);
    assert_eq!(erasures[0]["person_id"], nina.as_str());
    assert!(erasures[0]["key_id"].is_string());
    assert!(!serde_json::to_string(&erasures).unwrap().contains("Nina"));
}
