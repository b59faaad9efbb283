//! Development plans: made for a tenure, progress read from crafting revisions, learning time
//! flagged against the tenant's limit, in the change feed and the audit log, kept to the
//! guardrails; refusals named.

use serde_json::{json, Value};

use crate::harness::{on_both_backends, TestApp};

on_both_backends!(
    a_plans_progress_is_read_from_the_holders_crafting,
    erasure_removes_the_plans_and_answers_about_a_person_and_their_name_elsewhere,
    learning_time_over_the_tenants_limit_is_flagged_not_refused,
    development_plan_refusals_are_named,
);

struct Lea {
    ae: String,
    carla: String,
    sdr: String,
    tenure: String,
}

/// Lea, an SDR whose post has reporting as a core facet (floor 0.3), and Carla, who holds the
/// account executive post Lea crafts toward.
async fn lea(app: &TestApp) -> Lea {
    let us = app.create("/v1/organizations", json!({"name": "Us", "kind": "own"})).await;
    let ae = json!({"title": "Account executive", "facets": [
        {"dimension": "task", "key": "tendering", "weight": 0.6},
        {"dimension": "relational", "key": "customer_contact", "weight": 0.8}
    ]});
    let carla = app.holding(&us, ae, "Carla", "2024-01-01").await;
    let sdr = json!({"title": "SDR", "facets": [
        {"dimension": "task", "key": "reporting", "weight": 0.6, "core": true, "floor": 0.3}
    ]});
    let lea = app.holding(&us, sdr, "Lea", "2026-01-01").await;
    Lea { ae: carla.post, carla: carla.person, sdr: lea.post, tenure: lea.tenure }
}

fn plan(l: &Lea) -> Value {
    json!({
        "tenure_id": l.tenure,
        "target_post_id": l.ae,
        "title": "Toward account executive",
        "learning_hours_per_week": 3,
        "goals": [
            {"dimension": "task", "key": "tendering", "target_weight": 0.6,
             "description": "Own one tender end to end"},
            {"dimension": "relational", "key": "customer_contact", "target_weight": 0.7,
             "description": "Lead two client calls a month"}
        ],
        "sought": [{"person_id": l.carla, "role": "mentor"}],
        "artifacts": [{"title": "Tender memo", "link": "https://wiki.example.com/tender-memo",
                       "date": "2026-11-20"}],
        "external_refs": [{"source": "workday", "external_id": "DP-1"}]
    })
}

fn close(value: &Value, expected: f64) -> bool {
    (value.as_f64().unwrap() - expected).abs() < 1e-9
}

async fn a_plans_progress_is_read_from_the_holders_crafting(app: &TestApp) {
    let l = lea(app).await;
    let created = app.post("/v1/development-plans", plan(&l)).await;
    assert_eq!(created.status, 201, "{}", created.body);
    let id = created.id();
    let p = &created.body;
    assert_eq!(p["state"], "active");
    assert_eq!(p["progress"][0]["baseline_weight"], json!(0.0));
    assert_eq!(p["progress"][0]["share"], json!(0.0));
    assert_eq!(p["external_refs"][0]["external_id"], "DP-1");
    let readiness_before = p["target_readiness"].as_f64().unwrap();

    app.create(
        &format!("/v1/tenures/{}/crafting", l.tenure),
        json!({"facets": [
            {"dimension": "task", "key": "tendering", "weight": 0.3},
            {"dimension": "task", "key": "reporting", "weight": 0.6}
        ]}),
    )
    .await;
    app.create(
        &format!("/v1/tenures/{}/crafting", l.tenure),
        json!({"facets": [{"dimension": "relational", "key": "customer_contact", "weight": 0.8}]}),
    )
    .await;
    let read = app.get(&format!("/v1/development-plans/{id}")).await;
    assert_eq!(read.status, 200, "{}", read.body);
    let tendering = &read.body["progress"][0];
    assert!(close(&tendering["current_weight"], 0.3), "{tendering}");
    assert!(close(&tendering["share"], 0.5));
    assert_eq!(tendering["reached"], false);
    assert_eq!(tendering["steps"].as_array().unwrap().len(), 1);
    let contact = &read.body["progress"][1];
    assert_eq!(contact["reached"], true);
    assert_eq!(contact["share"], json!(1.0));
    assert!(read.body["target_readiness"].as_f64().unwrap() > readiness_before);

    // A one-on-one, then the plan achieved: merge patches of the plan as written.
    let etag = read.headers.get("etag").unwrap().to_str().unwrap().to_owned();
    let checked = app
        .call(
            awc::http::Method::PATCH,
            &format!("/v1/development-plans/{id}"),
            Some(&app.key),
            &[("If-Match", etag.as_str())],
            Some(&json!({"check_ins": [{"date": "2026-12-01", "notes": "Ran the Globex call alone."}]})),
        )
        .await;
    assert_eq!(checked.status, 200, "{}", checked.body);
    assert_eq!(checked.body["check_ins"][0]["notes"], "Ran the Globex call alone.");
    assert_eq!(checked.body["goals"].as_array().unwrap().len(), 2, "the rest as written");
    let done =
        app.patch(&format!("/v1/development-plans/{id}"), json!({"state": "achieved"})).await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert_eq!(done.body["version"], 3);

    let listed = app.all(&format!("/v1/tenures/{}/development-plans", l.tenure)).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["state"], "achieved");
    assert!(app.all("/v1/development-plans?state=active").await.is_empty());

    // In the change feed and the audit log; found by its external id.
    let feed = app.get("/v1/changes?limit=500").await;
    let plans: Vec<&str> = feed.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["entity"] == "development_plan")
        .map(|c| c["operation"].as_str().unwrap())
        .collect();
    assert_eq!(plans, vec!["create", "update", "update"]);
    let audit = app.all("/v1/audit").await;
    assert!(audit.iter().any(|e| e["action"] == "PATCH /v1/development-plans/{id}"), "{audit:?}");
    let synced = app.get("/v1/sync/development_plans/workday/DP-1").await;
    assert_eq!(synced.status, 200, "{}", synced.body);
    assert_eq!(synced.body["id"], id.as_str());

    // The tenure keeps its plan: deleting it is refused until the plan goes.
    app.delete(&format!("/v1/tenures/{}", l.tenure)).await.assert_problem(409);
    assert_eq!(app.delete(&format!("/v1/development-plans/{id}")).await.status, 204);
}

async fn learning_time_over_the_tenants_limit_is_flagged_not_refused(app: &TestApp) {
    let l = lea(app).await;
    let first = app.post("/v1/development-plans", plan(&l)).await;
    let lt = &first.body["learning_time"];
    assert!(close(&lt["total_hours_per_week"], 3.0) && close(&lt["limit_hours_per_week"], 4.0));
    assert_eq!(lt["over_limit"], false);
    let mut second = plan(&l);
    second["title"] = "Presenting".into();
    second["learning_hours_per_week"] = json!(2);
    second["external_refs"] = json!([]);
    let flagged = app.post("/v1/development-plans", second).await;
    assert_eq!(flagged.status, 201, "{}", flagged.body);
    assert!(close(&flagged.body["learning_time"]["total_hours_per_week"], 5.0));
    assert_eq!(flagged.body["learning_time"]["over_limit"], true);
    let raised = app.put("/v1/settings/development", json!({"learning_hours_limit": 6})).await;
    assert_eq!(raised.status, 200, "{}", raised.body);
    assert_eq!(app.get("/v1/settings/development").await.body["learning_hours_limit"], json!(6.0));
    let again = app.get(&format!("/v1/development-plans/{}", flagged.id())).await;
    assert_eq!(again.body["learning_time"]["over_limit"], false);
    // A dropped plan's time is no longer agreed.
    app.put("/v1/settings/development", json!({"learning_hours_limit": 4})).await;
    app.patch(&format!("/v1/development-plans/{}", first.id()), json!({"state": "dropped"})).await;
    let after = app.get(&format!("/v1/development-plans/{}", flagged.id())).await;
    assert!(close(&after.body["learning_time"]["total_hours_per_week"], 2.0));
    assert_eq!(after.body["learning_time"]["over_limit"], false);
    app.put("/v1/settings/development", json!({"learning_hours_limit": 41}))
        .await
        .assert_problem(422);
}

async fn development_plan_refusals_are_named(app: &TestApp) {
    let l = lea(app).await;
    let refused = |body: Value, pointer: &'static str| async move {
        let response = app.post("/v1/development-plans", body).await;
        response.assert_problem(422);
        assert_eq!(response.pointers(), vec![pointer], "{}", response.body);
        response
    };
    // The guardrail: reporting is core to Lea's post, with a floor of 0.3.
    let mut below = plan(&l);
    below["goals"] = json!([{"dimension": "task", "key": "reporting", "target_weight": 0.1}]);
    let guarded = refused(below.clone(), "/goals/0/target_weight").await;
    assert!(guarded.body.to_string().contains("task:reporting"), "{}", guarded.body);
    // … until the post's formal facets change.
    let post = app
        .put(
            &format!("/v1/posts/{}", l.sdr),
            json!({"organization_id": app.get(&format!("/v1/posts/{}", l.sdr)).await.body["organization_id"],
                   "title": "SDR", "facets": [{"dimension": "task", "key": "reporting", "weight": 0.6}]}),
        )
        .await;
    assert_eq!(post.status, 200, "{}", post.body);
    assert_eq!(app.post("/v1/development-plans", below).await.status, 201);

    let mut unknown_key = plan(&l);
    unknown_key["goals"][1]["key"] = "customer_contacts".into();
    refused(unknown_key, "/goals/1/key").await;
    let nobody = uuid::Uuid::now_v7().to_string();
    let mut no_tenure = plan(&l);
    no_tenure["tenure_id"] = nobody.clone().into();
    refused(no_tenure, "/tenure_id").await;
    let mut no_mentor = plan(&l);
    no_mentor["sought"][0]["person_id"] = nobody.clone().into();
    refused(no_mentor, "/sought/0/person_id").await;
    let mut no_target = plan(&l);
    no_target["target_post_id"] = nobody.clone().into();
    refused(no_target, "/target_post_id").await;
    let mut bad_link = plan(&l);
    bad_link["artifacts"][0]["link"] = "javascript:alert(1)".into();
    refused(bad_link, "/artifacts/0/link").await;
    let mut hours = plan(&l);
    hours["learning_hours_per_week"] = json!(41);
    refused(hours, "/learning_hours_per_week").await;
    let mut state = plan(&l);
    state["state"] = "paused".into();
    app.post("/v1/development-plans", state).await.assert_problem(400);

    // A plan stays with its tenure.
    let mut second = plan(&l);
    second["external_refs"] = json!([]);
    let id = app.create("/v1/development-plans", second).await;
    let other = app
        .create(
            "/v1/tenures",
            json!({"person_id": l.carla, "post_id": l.sdr, "started_on": "2020-01-01",
                   "ended_on": "2021-01-01"}),
        )
        .await;
    let moved =
        app.patch(&format!("/v1/development-plans/{id}"), json!({"tenure_id": other})).await;
    moved.assert_problem(422);
    assert_eq!(moved.pointers(), vec!["/tenure_id"]);
    app.get(&format!("/v1/tenures/{nobody}/development-plans")).await.assert_problem(404);
}

async fn erasure_removes_the_plans_and_answers_about_a_person_and_their_name_elsewhere(
    app: &TestApp,
) {
    let l = lea(app).await;
    let plan = app.create("/v1/development-plans", plan(&l)).await;
    let instrument = app.create("/v1/instruments", crate::questionnaires::example()).await;
    let about_lea = app
        .create(
            &format!("/v1/instruments/{instrument}/administrations"),
            json!({"tenure_id": l.tenure, "respondent": "self",
                   "answers": [{"item": "q1", "value": 4}]}),
        )
        .await;
    let carla = app.get(&format!("/v1/persons/{}/tenures", l.carla)).await;
    let carla_tenure = carla.body["items"][0]["id"].as_str().unwrap().to_owned();
    let by_lea = app
        .create(
            &format!("/v1/instruments/{instrument}/administrations"),
            json!({"tenure_id": carla_tenure, "respondent": "peer", "respondent_person_id":
                   app.get(&format!("/v1/tenures/{}", l.tenure)).await.body["person_id"],
                   "answers": [{"item": "q1", "value": 5}]}),
        )
        .await;

    // Lea mentors Carla, of all people.
    let lea = app.get(&format!("/v1/tenures/{}", l.tenure)).await.body["person_id"].clone();
    let lea = lea.as_str().unwrap();
    let carlas = app
        .create(
            "/v1/development-plans",
            json!({"tenure_id": carla_tenure, "title": "Prospecting again",
                   "learning_hours_per_week": 1, "goals": [],
                   "sought": [{"person_id": lea, "role": "mentor"}]}),
        )
        .await;

    // Lea is erased: her plan and the answers about her go; her answer about Carla stays,
    // without her, and Carla's plan no longer names her.
    assert_eq!(app.delete(&format!("/v1/persons/{lea}?erase=true")).await.status, 204);
    app.get(&format!("/v1/development-plans/{plan}")).await.assert_problem(404);
    app.get(&format!("/v1/administrations/{about_lea}")).await.assert_problem(404);
    let theirs = app.get(&format!("/v1/administrations/{by_lea}")).await;
    assert_eq!(theirs.status, 200, "{}", theirs.body);
    let kept = app.get(&format!("/v1/development-plans/{carlas}")).await;
    assert_eq!(kept.body["sought"], json!([]), "{}", kept.body);
    assert_eq!(kept.body["version"], 2);
    assert_eq!(theirs.body["respondent_person_id"], Value::Null);
}
