//! Batches with runs of upserts of one entity type, which are written set-wise: the outcome
//! must be exactly what applying the operations one by one gives — results, versions,
//! external ids, seats and the change feed — including when something in a run fails.

use serde_json::{json, Value};

use crate::harness::{on_both_backends, TestApp};
use crate::sync::{feed_after, latest, statuses};

on_both_backends!(
    runs_of_persons_and_tenures_import_and_replay_without_changes,
    a_run_with_changed_and_unchanged_entities_updates_only_the_changed,
    a_key_twice_in_one_run_creates_then_updates,
    a_bad_operation_in_a_run_fails_an_atomic_batch_at_its_index,
    a_bad_operation_in_a_run_of_a_partial_batch_fails_alone,
    a_run_of_tenures_keeps_to_the_seats_of_the_post,
    a_run_may_refer_to_an_entity_created_earlier_in_the_same_run,
    external_ids_claimed_by_a_run_are_unique,
    a_run_meets_the_state_its_earlier_operations_left,
);

fn sf(id: &str) -> Value {
    json!({"source": "salesforce", "external_id": id})
}

fn upsert(entity: &str, id: &str, body: Value) -> Value {
    json!({"op": "upsert", "entity": entity, "source": "salesforce", "external_id": id, "body": body})
}

fn person(i: usize) -> Value {
    upsert(
        "persons",
        &format!("C-{i}"),
        json!({"display_name": format!("Contact {i}"), "emails": [format!("c{i}@acme.example")]}),
    )
}

fn tenure(i: usize, post: &str) -> Value {
    upsert(
        "tenures",
        &format!("T-{i}"),
        json!({"person_id": sf(&format!("C-{i}")), "post_id": sf(post), "started_on": "2025-01-01"}),
    )
}

/// An account with a post of `seats` seats, known as `P-1`.
async fn account(app: &TestApp, seats: u32) {
    let batch = json!({"operations": [
        upsert("organizations", "A-1", json!({"name": "Acme", "kind": "client"})),
        upsert("posts", "P-1", json!({"organization_id": sf("A-1"), "title": "Buyer", "headcount": seats})),
    ]});
    let response = app.post("/v1/sync/batch", batch).await;
    assert_eq!(statuses(&response.body), vec![201, 201], "{}", response.body);
}

fn batch(mode: &str, operations: Vec<Value>) -> Value {
    json!({"mode": mode, "operations": operations})
}

async fn runs_of_persons_and_tenures_import_and_replay_without_changes(app: &TestApp) {
    account(app, 50).await;
    let start = latest(app).await;
    let mut operations: Vec<Value> = (0..40).map(person).collect();
    operations.extend((0..40).map(|i| tenure(i, "P-1")));
    let first = app.post("/v1/sync/batch", batch("atomic", operations.clone())).await;
    assert_eq!(first.status, 200, "{}", first.body);
    assert_eq!(statuses(&first.body), vec![201; 80]);
    let results = first.body["results"].as_array().unwrap();
    assert!(results.iter().enumerate().all(|(i, r)| r["index"] == i && r["version"] == 1));

    // Every entity is there with its external id, and each tenure names its person.
    let found = app.get("/v1/sync/tenures/salesforce/T-7").await;
    assert_eq!(found.status, 200, "{}", found.body);
    assert_eq!(found.body["person_id"], results[7]["id"]);
    assert_eq!(found.body["external_refs"], json!([sf("T-7")]));
    let contact = app.get(&format!("/v1/persons/{}", results[7]["id"].as_str().unwrap())).await;
    assert_eq!(contact.body["display_name"], "Contact 7");
    assert_eq!(contact.body["external_refs"], json!([sf("C-7")]));
    assert_eq!(app.all("/v1/persons").await.len(), 40);

    // The feed has one creation per entity, with its external id.
    let feed = feed_after(app, &start).await;
    assert_eq!(feed.len(), 80);
    assert!(feed
        .iter()
        .all(|c| c["operation"] == "create" && c["external_refs"][0]["source"] == "salesforce"));
    let persons = feed.iter().filter(|c| c["entity"] == "person").count();
    assert_eq!(persons, 40);

    let after_first = latest(app).await;
    let replay = app.post("/v1/sync/batch", batch("atomic", operations)).await;
    assert_eq!(statuses(&replay.body), vec![200; 80], "{}", replay.body);
    assert_eq!(replay.body["results"][41]["id"], results[41]["id"]);
    assert_eq!(replay.body["results"][41]["version"], 1);
    assert!(feed_after(app, &after_first).await.is_empty(), "an unchanged replay records nothing");
}

async fn a_run_with_changed_and_unchanged_entities_updates_only_the_changed(app: &TestApp) {
    let first = app.post("/v1/sync/batch", batch("atomic", (0..5).map(person).collect())).await;
    assert_eq!(statuses(&first.body), vec![201; 5], "{}", first.body);
    let start = latest(app).await;
    let mut operations: Vec<Value> = (0..5).map(person).collect();
    operations[1]["body"]["display_name"] = json!("Contact One");
    // Only the external ids change: an update of the entity, a new version and one change.
    operations[3]["body"]["external_refs"] =
        json!([sf("C-3"), {"source": "hubspot", "external_id": "h3"}]);
    operations.push(person(5));
    let second = app.post("/v1/sync/batch", batch("atomic", operations)).await;
    assert_eq!(statuses(&second.body), vec![200, 200, 200, 200, 200, 201], "{}", second.body);
    let versions: Vec<i64> = second.body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["version"].as_i64().unwrap())
        .collect();
    assert_eq!(versions, vec![1, 2, 1, 2, 1, 1]);
    let renamed = app.get("/v1/sync/persons/salesforce/C-1").await;
    assert_eq!(renamed.body["display_name"], "Contact One");
    assert_eq!(renamed.body["version"], 2);
    assert_eq!(
        app.get("/v1/sync/persons/hubspot/h3").await.body["id"],
        first.body["results"][3]["id"]
    );
    let feed = feed_after(app, &start).await;
    let changed: Vec<(&str, &str)> = feed
        .iter()
        .map(|c| (c["id"].as_str().unwrap(), c["operation"].as_str().unwrap()))
        .collect();
    let id = |i: usize| second.body["results"][i]["id"].as_str().unwrap();
    assert_eq!(changed.len(), 3, "{feed:?}");
    assert!(changed.contains(&(id(1), "update")));
    assert!(changed.contains(&(id(3), "update")));
    assert!(changed.contains(&(id(5), "create")));
}

async fn a_key_twice_in_one_run_creates_then_updates(app: &TestApp) {
    let mut again = person(0);
    again["body"]["display_name"] = json!("Contact Zero");
    let response =
        app.post("/v1/sync/batch", batch("atomic", vec![person(0), person(1), again])).await;
    assert_eq!(statuses(&response.body), vec![201, 201, 200], "{}", response.body);
    assert_eq!(response.body["results"][2]["id"], response.body["results"][0]["id"]);
    assert_eq!(response.body["results"][2]["version"], 2);
    assert_eq!(
        app.get("/v1/sync/persons/salesforce/C-0").await.body["display_name"],
        "Contact Zero"
    );
    assert_eq!(app.all("/v1/persons").await.len(), 2);

    // Created in one run and given other external ids by a later one of the same batch: both
    // changes carry the external ids it has when the batch commits, as every change does.
    let start = latest(app).await;
    let mut renamed = person(2);
    renamed["body"]["external_refs"] =
        json!([sf("C-2"), {"source": "hubspot", "external_id": "h2"}]);
    let org = upsert("organizations", "A-2", json!({"name": "Between", "kind": "client"}));
    let response =
        app.post("/v1/sync/batch", batch("atomic", vec![person(2), person(3), org, renamed])).await;
    assert_eq!(statuses(&response.body), vec![201, 201, 201, 200], "{}", response.body);
    let feed = feed_after(app, &start).await;
    let of = |id: &Value| -> Vec<Value> {
        feed.iter().filter(|c| c["id"] == *id).map(|c| c["external_refs"].clone()).collect()
    };
    let both = json!([{"source": "hubspot", "external_id": "h2"}, sf("C-2")]);
    assert_eq!(of(&response.body["results"][0]["id"]), vec![both.clone(), both]);
    assert_eq!(of(&response.body["results"][1]["id"]), vec![json!([sf("C-3")])]);
}

async fn a_bad_operation_in_a_run_fails_an_atomic_batch_at_its_index(app: &TestApp) {
    let start = latest(app).await;
    let mut operations: Vec<Value> = (0..6).map(person).collect();
    operations[4]["body"]["emails"] = json!(["not an address"]);
    let response = app.post("/v1/sync/batch", batch("atomic", operations)).await;
    response.assert_problem(422);
    assert_eq!(response.body["operation_index"], 4);
    assert_eq!(response.pointers(), vec!["/operations/4/body/emails/0"]);
    assert!(app.all("/v1/persons").await.is_empty(), "an atomic batch leaves nothing");
    assert!(feed_after(app, &start).await.is_empty());
}

async fn a_bad_operation_in_a_run_of_a_partial_batch_fails_alone(app: &TestApp) {
    account(app, 10).await;
    let start = latest(app).await;
    let mut operations: Vec<Value> = (0..4).map(person).collect();
    operations.extend((0..5).map(|i| tenure(i, "P-1")));
    // The fifth tenure names a person nobody created.
    let response = app.post("/v1/sync/batch", batch("partial", operations)).await;
    assert_eq!(response.status, 200, "{}", response.body);
    assert_eq!(statuses(&response.body), vec![201, 201, 201, 201, 201, 201, 201, 201, 422]);
    let problem = &response.body["results"][8]["problem"];
    assert_eq!(problem["errors"][0]["pointer"], "/operations/8/body/person_id");
    assert_eq!(app.all("/v1/tenures").await.len(), 4);
    let feed = feed_after(app, &start).await;
    assert_eq!(feed.len(), 8, "the rejected tenure recorded no change");
}

async fn a_run_of_tenures_keeps_to_the_seats_of_the_post(app: &TestApp) {
    account(app, 3).await;
    let mut operations: Vec<Value> = (0..5).map(person).collect();
    operations.extend((0..5).map(|i| tenure(i, "P-1")));
    let response = app.post("/v1/sync/batch", batch("atomic", operations.clone())).await;
    response.assert_problem(409);
    assert_eq!(response.body["operation_index"], 8, "the fourth holder of three seats");
    assert!(app.all("/v1/tenures").await.is_empty());

    // A predecessor who left frees the seat for the fourth.
    operations[7]["body"]["ended_on"] = json!("2025-06-01");
    operations[8]["body"]["started_on"] = json!("2025-06-01");
    let response = app.post("/v1/sync/batch", batch("partial", operations)).await;
    assert_eq!(statuses(&response.body), vec![201, 201, 201, 201, 201, 201, 201, 201, 201, 409]);
    assert_eq!(app.all("/v1/tenures").await.len(), 4);
}

async fn a_run_may_refer_to_an_entity_created_earlier_in_the_same_run(app: &TestApp) {
    let response = app
        .post(
            "/v1/sync/batch",
            batch(
                "atomic",
                vec![
                    upsert("organizations", "G", json!({"name": "Acme Group", "kind": "client"})),
                    upsert(
                        "organizations",
                        "S",
                        json!({"name": "Acme Nordic", "kind": "client", "parent_id": sf("G")}),
                    ),
                    upsert(
                        "organizations",
                        "U",
                        json!({"name": "Acme Claims", "kind": "client", "parent_id": sf("S")}),
                    ),
                ],
            ),
        )
        .await;
    assert_eq!(statuses(&response.body), vec![201, 201, 201], "{}", response.body);
    let unit = app.get("/v1/sync/organizations/salesforce/U").await;
    assert_eq!(unit.body["parent_id"], response.body["results"][1]["id"]);
}

async fn external_ids_claimed_by_a_run_are_unique(app: &TestApp) {
    let mut operations: Vec<Value> = (0..3).map(person).collect();
    // Two new persons both claim hubspot:h1.
    let shared = json!([{"source": "hubspot", "external_id": "h1"}]);
    operations[0]["body"]["external_refs"] = shared.clone();
    operations[2]["body"]["external_refs"] = shared;
    let response = app.post("/v1/sync/batch", batch("partial", operations)).await;
    assert_eq!(statuses(&response.body), vec![201, 201, 409], "{}", response.body);
    let holder = app.get("/v1/sync/persons/hubspot/h1").await;
    assert_eq!(holder.body["id"], response.body["results"][0]["id"]);
    assert_eq!(app.all("/v1/persons").await.len(), 2);
}

async fn a_run_meets_the_state_its_earlier_operations_left(app: &TestApp) {
    account(app, 1).await;
    let first = vec![person(0), person(1), person(2), tenure(0, "P-1")];
    let response = app.post("/v1/sync/batch", batch("atomic", first)).await;
    assert_eq!(statuses(&response.body), vec![201; 4], "{}", response.body);
    let id = |response: &Value, i: usize| response["results"][i]["id"].as_str().unwrap().to_owned();

    // A new holder of the one seat from March is refused: the holder leaves in March only in
    // the operation after it.
    let mut successor = tenure(1, "P-1");
    successor["body"]["started_on"] = json!("2025-03-01");
    let mut leaving = tenure(0, "P-1");
    leaving["body"]["ended_on"] = json!("2025-03-01");
    let response =
        app.post("/v1/sync/batch", batch("partial", vec![successor.clone(), leaving])).await;
    assert_eq!(statuses(&response.body), vec![409, 200], "{}", response.body);
    let response = app.post("/v1/sync/batch", batch("atomic", vec![successor])).await;
    assert_eq!(statuses(&response.body), vec![201], "{}", response.body);

    // The feed lists the changes in the order of the operations that made them.
    let start = latest(app).await;
    let mut renamed = person(1);
    renamed["body"]["display_name"] = json!("Contact One");
    let response = app.post("/v1/sync/batch", batch("atomic", vec![person(5), renamed])).await;
    assert_eq!(statuses(&response.body), vec![201, 200], "{}", response.body);
    let order: Vec<(String, String)> = feed_after(app, &start)
        .await
        .iter()
        .map(|c| {
            (c["id"].as_str().unwrap().to_owned(), c["operation"].as_str().unwrap().to_owned())
        })
        .collect();
    let expected =
        vec![(id(&response.body, 0), "create".into()), (id(&response.body, 1), "update".into())];
    assert_eq!(order, expected);

    // A new person claiming an external id that a later operation frees is refused: it was
    // still taken when its turn came.
    let mut holds = person(0);
    holds["body"]["external_refs"] = json!([sf("C-0"), {"source": "hubspot", "external_id": "h"}]);
    let response = app.post("/v1/sync/batch", batch("atomic", vec![holds])).await;
    assert_eq!(statuses(&response.body), vec![200], "{}", response.body);
    let mut claims = person(3);
    claims["body"]["external_refs"] = json!([sf("C-3"), {"source": "hubspot", "external_id": "h"}]);
    let mut frees = person(0);
    frees["body"]["external_refs"] = json!([sf("C-0")]);
    let response = app.post("/v1/sync/batch", batch("partial", vec![claims, frees])).await;
    assert_eq!(statuses(&response.body), vec![409, 200], "{}", response.body);
    assert_eq!(app.get("/v1/sync/persons/hubspot/h").await.status, 404);
}
