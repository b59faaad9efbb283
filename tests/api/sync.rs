//! CRM sync: external ids on entities, lookups and upserts by a CRM's own ids, references by
//! external id, and what the change feed says about them.

use awc::http::Method;
use serde_json::{json, Value};

use crate::harness::{on_both_backends, TestApp};

on_both_backends!(
    an_upsert_creates_then_updates_and_an_identical_body_changes_nothing,
    a_crm_builds_an_account_naming_everything_by_its_own_ids,
    a_reference_to_nothing_is_named_and_nothing_is_written,
    external_ids_are_unique_per_entity_type_and_source,
    deletions_keep_their_external_ids_in_the_feed,
    bad_sync_paths_are_named,
    an_atomic_batch_imports_an_account_and_a_replay_records_nothing,
    an_atomic_batch_fails_whole_at_its_first_bad_operation,
    a_partial_batch_applies_what_it_can_and_says_why_not,
    batch_limits_are_named,
    relationships_and_coverage_sync_by_external_ids,
    crafting_revisions_carry_external_ids_and_stay_immutable,
);

pub(crate) async fn feed_after(app: &TestApp, cursor: &str) -> Vec<Value> {
    let page = app.get(&format!("/v1/changes?limit=1000&after={cursor}")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    page.body["items"].as_array().unwrap().clone()
}

pub(crate) async fn latest(app: &TestApp) -> String {
    app.get("/v1/changes?after=latest").await.body["next_cursor"].as_str().unwrap().to_owned()
}

async fn an_upsert_creates_then_updates_and_an_identical_body_changes_nothing(app: &TestApp) {
    let start = latest(app).await;
    let path = "/v1/sync/persons/salesforce/003A";
    let body = json!({"display_name": "Nina Roth", "emails": ["nina@acme.example"]});
    let created = app.put(path, body.clone()).await;
    assert_eq!(created.status, 201, "{}", created.body);
    let id = created.body["id"].as_str().unwrap().to_owned();
    assert_eq!(
        created.body["external_refs"],
        json!([{"source": "salesforce", "external_id": "003A"}])
    );
    assert_eq!(created.header("location").unwrap(), format!("/v1/persons/{id}"));

    let again = app.put(path, body.clone()).await;
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(again.body["version"], 1, "nothing changed");
    let changed = app.put(path, json!({"display_name": "Nina Roth-Berg"})).await;
    assert_eq!(changed.status, 200);
    assert_eq!(changed.body["id"], id.as_str());
    assert_eq!(changed.body["version"], 2);

    let feed = feed_after(app, &start).await;
    let ops: Vec<&str> = feed.iter().map(|c| c["operation"].as_str().unwrap()).collect();
    assert_eq!(ops, vec!["create", "update"], "the identical body recorded nothing: {feed:?}");
    assert_eq!(feed[0]["external_refs"][0]["external_id"], "003A");

    let found = app.get(path).await;
    assert_eq!(found.status, 200);
    assert_eq!(found.body["display_name"], "Nina Roth-Berg");
    assert_eq!(found.header("content-location").unwrap(), format!("/v1/persons/{id}"));
    // The same id of another system, or of another tenant, names nothing.
    assert_eq!(app.get("/v1/sync/persons/hubspot/003A").await.status, 404);
    let theirs = app.other_tenant("theirs");
    let foreign = app.call(Method::GET, path, Some(&theirs), &[], None).await;
    assert_eq!(foreign.status, 404);
}

async fn a_crm_builds_an_account_naming_everything_by_its_own_ids(app: &TestApp) {
    let sf = |id: &str| json!({"source": "salesforce", "external_id": id});
    let acme = app
        .put("/v1/sync/organizations/salesforce/001", json!({"name": "Acme", "kind": "client"}))
        .await;
    assert_eq!(acme.status, 201, "{}", acme.body);
    let claims = app
        .put(
            "/v1/sync/organizations/salesforce/001-C",
            json!({"name": "Acme Claims", "kind": "client", "parent_id": sf("001")}),
        )
        .await;
    assert_eq!(claims.status, 201, "{}", claims.body);
    assert_eq!(claims.body["parent_id"], acme.body["id"]);
    let post = app
        .put(
            "/v1/sync/posts/salesforce/P-9",
            json!({"organization_id": sf("001-C"), "title": "Claims Manager"}),
        )
        .await;
    assert_eq!(post.status, 201, "{}", post.body);
    let person = app.put("/v1/sync/persons/salesforce/003", json!({"display_name": "Ivo"})).await;
    let tenure = app
        .put(
            "/v1/sync/tenures/salesforce/T-1",
            json!({"person_id": sf("003"), "post_id": sf("P-9"), "started_on": "2025-02-01",
                   "buying_roles": ["champion"]}),
        )
        .await;
    assert_eq!(tenure.status, 201, "{}", tenure.body);
    assert_eq!(tenure.body["person_id"], person.body["id"]);
    assert_eq!(tenure.body["post_id"], post.body["id"]);
    // Ids work as well as external ids, and the tenure shows in the succession.
    let succession =
        app.all(&format!("/v1/posts/{}/tenures", post.body["id"].as_str().unwrap())).await;
    assert_eq!(succession.len(), 1);
    let ended = app
        .put(
            "/v1/sync/tenures/salesforce/T-1",
            json!({"person_id": person.body["id"], "post_id": sf("P-9"), "started_on": "2025-02-01",
                   "ended_on": "2026-01-01", "buying_roles": ["champion"]}),
        )
        .await;
    assert_eq!(ended.status, 200, "{}", ended.body);
    assert_eq!(ended.body["ended_on"], "2026-01-01");
}

async fn a_reference_to_nothing_is_named_and_nothing_is_written(app: &TestApp) {
    let start = latest(app).await;
    let response = app
        .put(
            "/v1/sync/tenures/salesforce/T-1",
            json!({"person_id": {"source": "salesforce", "external_id": "nobody"},
                   "post_id": {"source": "salesforce", "external_id": "no-post"}, "started_on": "2025-02-01"}),
        )
        .await;
    response.assert_problem(422);
    assert_eq!(response.pointers(), vec!["/person_id", "/post_id"]);
    let response = app
        .put("/v1/sync/persons/salesforce/003", json!({"display_name": "Ivo", "phone_number": "1"}))
        .await;
    response.assert_problem(400);
    assert_eq!(response.pointers(), vec!["/phone_number"]);
    let response = app.put("/v1/sync/persons/salesforce/003", json!({"display_name": ""})).await;
    response.assert_problem(422);
    assert!(feed_after(app, &start).await.is_empty());
    assert_eq!(app.get("/v1/sync/persons/salesforce/003").await.status, 404);
}

async fn external_ids_are_unique_per_entity_type_and_source(app: &TestApp) {
    let nina = app
        .post("/v1/persons", json!({"display_name": "Nina", "external_refs": [{"source": "salesforce", "external_id": "003A"}]}))
        .await;
    assert_eq!(nina.status, 201, "{}", nina.body);
    assert_eq!(nina.body["external_refs"][0]["external_id"], "003A");
    let twin = app
        .post("/v1/persons", json!({"display_name": "Twin", "external_refs": [{"source": "salesforce", "external_id": "003A"}]}))
        .await;
    twin.assert_problem(409);
    assert_eq!(twin.body["conflicting_ids"], json!([nina.body["id"]]), "{}", twin.body);
    assert_eq!(app.all("/v1/persons").await.len(), 1, "the twin was not written");
    // Another entity type or source may use the same id.
    let org = app
        .post(
            "/v1/organizations",
            json!({"name": "Acme", "kind": "client", "external_refs": [{"source": "salesforce", "external_id": "003A"}]}),
        )
        .await;
    assert_eq!(org.status, 201, "{}", org.body);
    // A patch without external_refs keeps them; with them, replaces them.
    let id = nina.body["id"].as_str().unwrap();
    let kept = app.patch(&format!("/v1/persons/{id}"), json!({"phone": "+49 1"})).await;
    assert_eq!(kept.body["external_refs"][0]["external_id"], "003A");
    let replaced = app
        .patch(
            &format!("/v1/persons/{id}"),
            json!({"external_refs": [{"source": "hubspot", "external_id": "77"}]}),
        )
        .await;
    assert_eq!(replaced.body["external_refs"], json!([{"source": "hubspot", "external_id": "77"}]));
    assert_eq!(app.get("/v1/sync/persons/hubspot/77").await.body["id"], id);
    let listed = app.all("/v1/persons").await;
    assert_eq!(listed[0]["external_refs"][0]["source"], "hubspot");
    let bad = app
        .post("/v1/persons", json!({"display_name": "X", "external_refs": [{"source": "Sales Force", "external_id": ""}]}))
        .await;
    bad.assert_problem(422);
    assert_eq!(bad.pointers(), vec!["/external_refs/0/source", "/external_refs/0/external_id"]);
}

async fn deletions_keep_their_external_ids_in_the_feed(app: &TestApp) {
    let person = app.put("/v1/sync/persons/salesforce/003", json!({"display_name": "Ivo"})).await;
    let start = latest(app).await;
    let id = person.body["id"].as_str().unwrap();
    assert_eq!(app.delete(&format!("/v1/persons/{id}")).await.status, 204);
    let feed = feed_after(app, &start).await;
    assert_eq!(feed.len(), 1);
    assert_eq!(feed[0]["operation"], "delete");
    assert_eq!(feed[0]["external_refs"][0]["external_id"], "003");
    // The id is free again.
    assert_eq!(app.get("/v1/sync/persons/salesforce/003").await.status, 404);
    assert_eq!(
        app.put("/v1/sync/persons/salesforce/003", json!({"display_name": "Ivo"})).await.status,
        201
    );
}

async fn bad_sync_paths_are_named(app: &TestApp) {
    let response = app.put("/v1/sync/planets/salesforce/1", json!({"name": "Mars"})).await;
    response.assert_problem(400);
    assert_eq!(response.pointers(), vec!["entity"]);
    let response = app.get("/v1/sync/persons/Sales%20Force/1").await;
    response.assert_problem(400);
    assert_eq!(response.pointers(), vec!["source"]);
    let response = app.put("/v1/sync/persons//003", json!({"display_name": "X"})).await;
    response.assert_problem(400);
    assert_eq!(response.pointers(), vec!["source"]);
    let response = app.put("/v1/sync/persons/salesforce/", json!({"display_name": "X"})).await;
    response.assert_problem(400);
    assert_eq!(response.pointers(), vec!["external_id"]);
    assert!(app.all("/v1/persons").await.is_empty());
    let long = "x".repeat(300);
    let response = app.get(&format!("/v1/sync/persons/salesforce/{long}")).await;
    response.assert_problem(400);
    assert_eq!(response.pointers(), vec!["external_id"]);
}

fn account_batch(mode: &str) -> Value {
    let sf = |id: &str| json!({"source": "salesforce", "external_id": id});
    json!({"mode": mode, "operations": [
        {"op": "upsert", "entity": "organizations", "source": "salesforce", "external_id": "001",
         "body": {"name": "Acme", "kind": "client"}},
        {"op": "upsert", "entity": "posts", "source": "salesforce", "external_id": "P-1",
         "body": {"organization_id": sf("001"), "title": "Head of Procurement"}},
        {"op": "upsert", "entity": "persons", "source": "salesforce", "external_id": "003",
         "body": {"display_name": "Nina Roth"}},
        {"op": "upsert", "entity": "tenures", "source": "salesforce", "external_id": "T-1",
         "body": {"person_id": sf("003"), "post_id": sf("P-1"), "started_on": "2026-03-01",
                  "buying_roles": ["economic_buyer"]}}
    ]})
}

pub(crate) fn statuses(response: &Value) -> Vec<u64> {
    response["results"].as_array().unwrap().iter().map(|r| r["status"].as_u64().unwrap()).collect()
}

async fn an_atomic_batch_imports_an_account_and_a_replay_records_nothing(app: &TestApp) {
    let start = latest(app).await;
    let first = app.post("/v1/sync/batch", account_batch("atomic")).await;
    assert_eq!(first.status, 200, "{}", first.body);
    assert_eq!(statuses(&first.body), vec![201, 201, 201, 201]);
    let tenure = app.get("/v1/sync/tenures/salesforce/T-1").await;
    assert_eq!(tenure.body["person_id"], first.body["results"][2]["id"]);
    let after_first = latest(app).await;
    assert_eq!(feed_after(app, &start).await.len(), 4);

    let replay = app.post("/v1/sync/batch", account_batch("atomic")).await;
    assert_eq!(replay.status, 200, "{}", replay.body);
    assert_eq!(statuses(&replay.body), vec![200, 200, 200, 200]);
    assert_eq!(replay.body["results"][3]["id"], first.body["results"][3]["id"]);
    assert!(feed_after(app, &after_first).await.is_empty(), "an unchanged replay records nothing");

    let delete = json!({"operations": [
        {"op": "delete", "entity": "tenures", "source": "salesforce", "external_id": "T-1"}]});
    let deleted = app.post("/v1/sync/batch", delete).await;
    assert_eq!(statuses(&deleted.body), vec![204]);
    assert_eq!(app.get("/v1/sync/tenures/salesforce/T-1").await.status, 404);
}

async fn an_atomic_batch_fails_whole_at_its_first_bad_operation(app: &TestApp) {
    let start = latest(app).await;
    let mut batch = account_batch("atomic");
    // The tenure refers forward to a person the batch creates only later.
    let operations = batch["operations"].as_array_mut().unwrap();
    operations.swap(2, 3);
    let response = app.post("/v1/sync/batch", batch).await;
    response.assert_problem(422);
    assert_eq!(response.body["operation_index"], 2);
    assert_eq!(response.pointers(), vec!["/operations/2/body/person_id"]);
    assert!(feed_after(app, &start).await.is_empty());
    assert_eq!(app.get("/v1/sync/organizations/salesforce/001").await.status, 404);
}

async fn a_partial_batch_applies_what_it_can_and_says_why_not(app: &TestApp) {
    let start = latest(app).await;
    let mut batch = account_batch("partial");
    let operations = batch["operations"].as_array_mut().unwrap();
    operations.swap(2, 3);
    operations.push(json!({"op": "delete", "entity": "persons", "source": "salesforce", "external_id": "nobody"}));
    let response = app.post("/v1/sync/batch", batch).await;
    assert_eq!(response.status, 200, "{}", response.body);
    assert_eq!(statuses(&response.body), vec![201, 201, 422, 201, 404]);
    let problem = &response.body["results"][2]["problem"];
    assert_eq!(problem["errors"][0]["pointer"], "/operations/2/body/person_id");
    assert_eq!(problem["operation_index"], 2);
    // Applied: organization, post, person; the rejected tenure left nothing, not even a change.
    let feed = feed_after(app, &start).await;
    let entities: Vec<&str> = feed.iter().map(|c| c["entity"].as_str().unwrap()).collect();
    assert_eq!(entities, vec!["organization", "post", "person"]);
    assert_eq!(app.get("/v1/sync/tenures/salesforce/T-1").await.status, 404);
}

async fn batch_limits_are_named(app: &TestApp) {
    let op = json!({"op": "upsert", "entity": "persons", "source": "salesforce", "external_id": "1",
                    "body": {"display_name": "X"}});
    let too_many = json!({"operations": vec![op.clone(); 1_001]});
    let response = app.post("/v1/sync/batch", too_many).await;
    response.assert_problem(413);
    assert_eq!(response.pointers(), vec!["/operations"]);
    let response = app.post("/v1/sync/batch", json!({"operations": []})).await;
    response.assert_problem(422);
    let response = app
        .post("/v1/sync/batch", json!({"operations": [{"op": "upsert", "entity": "planets", "source": "s", "external_id": "1", "body": {}}]}))
        .await;
    response.assert_problem(400);
    assert_eq!(response.pointers(), vec!["/operations/0/entity"]);
    let response = app
        .post("/v1/sync/batch", json!({"operations": [{"op": "upsert", "entity": "persons", "source": "s", "external_id": "1"}]}))
        .await;
    response.assert_problem(400);
    assert_eq!(response.pointers(), vec!["/operations/0/body"]);
    assert!(app.all("/v1/persons").await.is_empty());
}

async fn relationships_and_coverage_sync_by_external_ids(app: &TestApp) {
    let sf = |id: &str| json!({"source": "salesforce", "external_id": id});
    let op = |entity: &str, id: &str, body: Value| json!({"op": "upsert", "entity": entity, "source": "salesforce", "external_id": id, "body": body});
    let batch = json!({"operations": [
        op("organizations", "S1", json!({"name": "Northwind", "kind": "own"})),
        op("posts", "SP1", json!({"organization_id": sf("S1"), "title": "Account Executive"})),
        op("persons", "M1", json!({"display_name": "Max"})),
        op("tenures", "MT1", json!({"person_id": sf("M1"), "post_id": sf("SP1"), "started_on": "2024-01-01"})),
        op("persons", "N1", json!({"display_name": "Nina"})),
        op("relationships", "R1", json!({"from_person_id": sf("M1"), "to_person_id": sf("N1"),
                                         "kind": "allies_with", "strength": 0.5})),
        op("coverage", "C1", json!({"salesperson_id": sf("M1"), "stakeholder_id": sf("N1"), "role": "primary"}))
    ]});
    let first = app.post("/v1/sync/batch", batch.clone()).await;
    assert_eq!(first.status, 200, "{}", first.body);
    assert_eq!(statuses(&first.body), vec![201; 7]);
    let link = app.get("/v1/sync/coverage/salesforce/C1").await;
    assert_eq!(link.status, 200, "{}", link.body);
    assert_eq!(link.body["salesperson_id"], first.body["results"][2]["id"]);
    assert_eq!(link.body["external_refs"][0]["external_id"], "C1");
    let relationship = first.body["results"][5]["id"].as_str().unwrap().to_owned();
    let found = app.get(&format!("/v1/relationships/{relationship}")).await;
    assert_eq!(found.body["external_refs"][0]["external_id"], "R1");
    let start = latest(app).await;
    let replay = app.post("/v1/sync/batch", batch).await;
    assert_eq!(statuses(&replay.body), vec![200; 7]);
    assert!(feed_after(app, &start).await.is_empty());
}

async fn crafting_revisions_carry_external_ids_and_stay_immutable(app: &TestApp) {
    let org = app.create("/v1/organizations", json!({"name": "Acme", "kind": "client"})).await;
    let post = app.create("/v1/posts", json!({"organization_id": org, "title": "CPO"})).await;
    let person = app.create("/v1/persons", json!({"display_name": "Nina"})).await;
    let tenure = app
        .create(
            "/v1/tenures",
            json!({"person_id": person, "post_id": post, "started_on": "2024-01-01"}),
        )
        .await;
    let revision = app
        .post(
            &format!("/v1/tenures/{tenure}/crafting"),
            json!({"facets": [{"dimension": "priority", "key": "growth", "weight": 0.5}],
                   "external_refs": [{"source": "gong", "external_id": "call-17"}]}),
        )
        .await;
    assert_eq!(revision.status, 201, "{}", revision.body);
    assert_eq!(revision.body["external_refs"][0]["external_id"], "call-17");
    let found = app.get("/v1/sync/crafting_revisions/gong/call-17").await;
    assert_eq!(found.status, 200, "{}", found.body);
    assert_eq!(found.body["id"], revision.body["id"]);
    let listed = app.all(&format!("/v1/tenures/{tenure}/crafting/revisions")).await;
    assert_eq!(listed[0]["external_refs"][0]["source"], "gong");
    let refused = app.put("/v1/sync/crafting_revisions/gong/call-18", json!({"facets": []})).await;
    refused.assert_problem(400);
    assert_eq!(refused.pointers(), vec!["entity"]);
}
