//! `jobcraft generate`: plausible data at scale that the API reads like any other.

use jobcraft::generate::{generate, Shape};
use jobcraft::store::pool::PoolOptions;
use jobcraft::store::Db;

use crate::harness::{on_both_backends, TestApp};

on_both_backends!(generated_tenants_read_like_any_other);

const SHAPE: Shape = Shape {
    tenants: 2,
    accounts: 3,
    stakeholders_per_account: 40,
    salespeople: 8,
    revisions_per_tenure: 2,
    seed: 7,
};

async fn generated_tenants_read_like_any_other(app: &TestApp) {
    let report = generate(&app.db, SHAPE).unwrap();
    assert_eq!(report.tenants.len(), 2);
    let posts = 2 * (8 + 3 * 40);
    assert_eq!(report.rows.posts, posts);
    assert_eq!(report.rows.post_revisions, posts);
    // One current holder per post, and a predecessor on about one post in four.
    assert!(report.rows.tenures > posts && report.rows.tenures < posts * 3 / 2);
    assert_eq!(report.rows.persons, report.rows.tenures);
    assert!(report.facets >= 5 * (posts + 2 * report.rows.tenures) * 9 / 10);

    let tenant = &report.tenants[0];
    let get = |path: String| {
        let key = tenant.key.clone();
        async move { app.call(awc::http::Method::GET, &path, Some(&key), &[], None).await }
    };
    let coverage = get(format!("/v1/accounts/{}/coverage", tenant.accounts[0])).await;
    assert_eq!(coverage.status, 200, "{}", coverage.body);
    assert_eq!(coverage.body["metrics"]["stakeholders"], 40);
    // About 30 % of the stakeholders are covered, by salespeople of the team.
    let coverers = coverage.body["metrics"]["salespeople"].as_u64().unwrap();
    assert!((1..=8).contains(&coverers), "{}", coverage.body["metrics"]);
    let crafted = get(format!("/v1/tenures/{}/crafting", tenant.sample.tenure)).await;
    assert_eq!(crafted.status, 200, "{}", crafted.body);
    assert!(crafted.body["facets"].as_array().unwrap().iter().any(|f| f["origin"] == "overridden"));
    let succession = get(format!("/v1/posts/{}/succession", tenant.sample.post)).await;
    assert_eq!(
        succession.body["successions"].as_array().map(Vec::len),
        Some(1),
        "{}",
        succession.body
    );
    let suggestions = app
        .call(
            awc::http::Method::POST,
            &format!("/v1/accounts/{}/suggestions", tenant.accounts[0]),
            Some(&tenant.key),
            &[],
            Some(&serde_json::json!({})),
        )
        .await;
    assert_eq!(suggestions.status, 200, "{}", suggestions.body);
    // Tenants stay apart: the first tenant's key sees none of it.
    get(format!("/v1/accounts/{}/coverage", report.tenants[1].accounts[0]))
        .await
        .assert_problem(404);
    app.get(&format!("/v1/persons/{}", tenant.sample.person)).await.assert_problem(404);

    // The same seed makes the same data, ids included.
    let dir = tempfile::tempdir().unwrap();
    let other = Db::open(
        dir.path().join("again.db").to_str().unwrap(),
        &PoolOptions {
            max_size: 2,
            acquire_timeout: std::time::Duration::from_secs(5),
            ..PoolOptions::default()
        },
    );
    other.migrate().unwrap();
    let again = generate(&other, Shape { tenants: 1, ..SHAPE }).unwrap();
    assert_eq!(again.tenants[0].accounts, tenant.accounts);
    assert_eq!(again.tenants[0].sample.tenure, tenant.sample.tenure);
    // Time-ordered v7 ids, as the service makes.
    let id = tenant.sample.tenure;
    assert_eq!(id.get_version_num(), 7);
}
