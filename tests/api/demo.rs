//! `jobcraft demo`: the story loads through the API, and the sales managers' guide's tour tells it.

use serde_json::Value;

use crate::harness::{on_both_backends, TestApp};

on_both_backends!(
    the_demo_loads_and_the_readme_tour_tells_its_story,
    a_demo_on_a_taken_port_writes_nothing_and_every_later_demo_prints_a_key,
);

/// `jobcraft demo --load-only` on `bind`: whether it succeeded, and what it printed. The
/// database's flag comes before the subcommand, the server's after it: both places work.
fn demo(app: &TestApp, bind: &str) -> (bool, String) {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_jobcraft"))
        .args(["--database-url", &app.url, "demo", "--load-only", "--bind", bind])
        .env("JOBCRAFT_LOG", "warn")
        .output()
        .unwrap();
    let printed = String::from_utf8_lossy(&output.stdout) + String::from_utf8_lossy(&output.stderr);
    (output.status.success(), printed.into_owned())
}

async fn a_demo_on_a_taken_port_writes_nothing_and_every_later_demo_prints_a_key(app: &TestApp) {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let (ok, printed) = demo(app, &taken.local_addr().unwrap().to_string());
    assert!(!ok && printed.contains("cannot listen on"), "{printed}");
    let found = app.db.read(|c| jobcraft::store::api_keys::find_tenant_by_name(c, "demo"));
    assert!(matches!(found, Err(jobcraft::error::Error::NotFound)), "nothing written");
    let (ok, printed) = demo(app, "127.0.0.1:0");
    assert!(
        ok && printed.contains("Loaded the demo tenant")
            && printed.contains("jc_")
            && printed.contains("/app/accounts/"),
        "{printed}"
    );
    let (ok, printed) = demo(app, "127.0.0.1:0");
    assert!(ok && printed.contains("loaded before") && printed.contains("jc_"), "{printed}");
}

async fn the_demo_loads_and_the_readme_tour_tells_its_story(app: &TestApp) {
    let (key, new) = jobcraft::demo::tenant_key(&app.db).unwrap();
    assert!(new);
    jobcraft::demo::load(&app.base, &key).await.unwrap();
    // A second run loads nothing more: the tenant is there, a fresh key is made for it.
    let (again, new) = jobcraft::demo::tenant_key(&app.db).unwrap();
    assert!(!new && again != key);

    let stdout = crate::readme::run_readme_blocks(
        "# tour",
        &[
            ("JC=http://127.0.0.1:8080", &format!("JC={}", app.base)),
            ("KEY=jc_paste_the_demo_key_here", &format!("KEY={key}")),
        ],
    )
    .await;
    let before_peter_left = (chrono::Utc::now() - chrono::Duration::days(40)).date_naive();
    let as_of = format!("\"as_of\":\"{before_peter_left}T23:59:59.999999Z\"");
    for expected in [
        "\"name\":\"Borealis Energy\"",
        "\"type\":\"covered_person_left\"",
        "\"type\":\"uncovered_buying_role\"",
        "\"type\":\"new_holder\"",
        "\"type\":\"vacant_post\"",
        "\"key\":\"sustainability_champion\"},\"stakeholder\":{\"dimension\":\"decision_criterion\",\"key\":\"carbon_footprint\"}",
        "\"person_display_name\":\"Olga Berg\"",
        "\"key\":\"carbon_footprint\",\"label\":\"Carbon footprint\",\"op\":\"added\"",
        "\"guardrail\":\"breached\"",
        "kind,organization_id,organization_name,post_id,post_title,tenure_id",
        // The alert life cycle, the report as of before Peter left, a warm path, a warm lead.
        "\"type\":\"champion_lost\"",
        "\"state\":\"acknowledged\",\"returned\":false,\"decision\":{\"state\":\"acknowledged\",\"note\":\"Max calls Peter at Globex\"",
        as_of.as_str(),
        "\"salesperson_name\":\"Max Lind\"",
        "\"to_name\":\"Nina Roth\"",
        "\"type\":\"known_person_arrived\"",
    ] {
        assert!(stdout.contains(expected), "missing {expected} in:\n{stdout}");
    }

    // The suggestion puts Carla on Nina, whom nobody covers.
    let demo = |path: String| {
        let key = key.clone();
        async move { app.call(awc::http::Method::GET, &path, Some(&key), &[], None).await }
    };
    let acme = demo("/v1/sync/organizations/demo/acme".into()).await.id();
    let suggestion = app
        .call(
            awc::http::Method::POST,
            &format!("/v1/accounts/{acme}/suggestions"),
            Some(&key),
            &[],
            Some(&serde_json::json!({})),
        )
        .await;
    let pairs = suggestion.body["pairs"].as_array().unwrap();
    let carla_on_nina = pairs.iter().find(|p| p["stakeholder_name"] == "Nina Roth").unwrap();
    assert_eq!(carla_on_nina["salesperson_name"], "Carla Diaz", "{carla_on_nina}");
    assert_eq!(carla_on_nina["covering_now"], Value::Bool(false));

    // The README's growth story: Lea toward account executive, DACH's training needs.
    let growth = crate::readme::run_readme_blocks(
        "# growth",
        &[
            ("JC=http://127.0.0.1:8080", &format!("JC={}", app.base)),
            ("KEY=jc_paste_the_demo_key_here", &format!("KEY={key}")),
        ],
    )
    .await;
    for expected in [
        "\"key\":\"account_planning\",\"label\":\"Account planning\",\"asked\":0.7,\"held\":null",
        "\"key\":\"account_planning\",\"label\":\"Account planning\",\"asked\":0.7,\"held\":0.5",
        "\"display_name\":\"Lea Vogel\"",
        "\"title\":\"Toward account executive\"",
        "\"baseline_weight\":0.0,\"current_weight\":0.5,\"dimension\":\"task\",\"key\":\"account_planning\"",
        "would take `task:quota_attainment`, a core facet of the current post, below its floor",
        "\"respondent\":\"manager\"",
        "\"subscale\":\"client_contact\",\"name\":\"Seeking client contact\"",
        "\"reason\":\"3 stakeholders in 2 accounts weigh `carbon_footprint`; 1 salesperson of 3 aligns\"",
    ] {
        assert!(growth.contains(expected), "missing {expected} in:\n{growth}");
    }
    let needs = growth.split("\"training_needs\":[{").nth(1).unwrap_or_default();
    assert!(
        needs.starts_with("\"dimension\":\"decision_criterion\",\"key\":\"carbon_footprint\""),
        "{needs}"
    );

    // 40+ posts over the seller and three accounts; none of it visible to another tenant.
    let posts =
        app.call(awc::http::Method::GET, "/v1/posts?limit=100", Some(&key), &[], None).await;
    assert!(posts.body["items"].as_array().unwrap().len() >= 40);
    app.get("/v1/sync/organizations/demo/acme").await.assert_problem(404);
}
