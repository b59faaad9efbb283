//! `/metrics`: Prometheus text without a key, by route template; or on an address of its own.

use serde_json::json;

use crate::harness::{on_both_backends, TestApp};

on_both_backends!(metrics_count_requests_by_route_template_without_a_key);

async fn metrics_count_requests_by_route_template_without_a_key(app: &TestApp) {
    let person = app.create("/v1/persons", json!({"display_name": "Nina"})).await;
    for _ in 0..2 {
        assert_eq!(app.get(&format!("/v1/persons/{person}")).await.status, 200);
    }
    let missing = uuid::Uuid::now_v7();
    assert_eq!(app.get(&format!("/v1/persons/{missing}")).await.status, 404);
    let (status, content_type, text) = app.get_text(&format!("{}/metrics", app.base)).await;
    assert_eq!(status, 200, "{text}");
    assert!(content_type.starts_with("text/plain; version=0.0.4"), "{content_type}");
    let series = |line: &str| text.lines().any(|l| l == line);
    let route = r#"method="GET",route="/v1/persons/{id}""#;
    assert!(series(&format!("jobcraft_http_requests_total{{{route},status=\"200\"}} 2")), "{text}");
    assert!(series(&format!("jobcraft_http_requests_total{{{route},status=\"404\"}} 1")), "{text}");
    assert!(series(&format!(
        "jobcraft_http_request_duration_seconds_bucket{{{route},le=\"+Inf\"}} 3"
    )));
    assert!(series(&format!("jobcraft_http_request_duration_seconds_count{{{route}}} 3")));
    assert!(text.contains(
        r#"jobcraft_http_requests_total{method="POST",route="/v1/persons",status="201"} 1"#
    ));
    for name in [
        "jobcraft_db_pool_connections{state=\"in_use\"}",
        "jobcraft_db_pool_connections{state=\"idle\"}",
        "jobcraft_db_pool_max 4",
        "jobcraft_db_pool_waiting 0",
        "jobcraft_webhook_backlog_changes 0",
        "jobcraft_webhook_delivery_failures_total",
    ] {
        assert!(text.lines().any(|l| l.starts_with(name)), "{name} missing:\n{text}");
    }
    // The process and the build.
    for name in [
        "process_resident_memory_bytes ",
        "process_cpu_seconds_total ",
        "process_open_fds ",
        "process_start_time_seconds ",
        &format!("jobcraft_build_info{{version=\"{}\"}} 1", env!("CARGO_PKG_VERSION")),
    ] {
        assert!(text.lines().any(|l| l.starts_with(name)), "{name} missing:\n{text}");
    }
    // Every series is declared with its help and its type.
    assert!(text.contains("# TYPE jobcraft_http_request_duration_seconds histogram"));
    for sample in text.lines().filter(|l| !l.starts_with('#') && !l.is_empty()) {
        let name = sample.split(['{', ' ']).next().unwrap();
        let family = ["_bucket", "_sum", "_count"]
            .iter()
            .find_map(|suffix| name.strip_suffix(suffix))
            .filter(|f| text.contains(&format!("# TYPE {f} histogram")))
            .unwrap_or(name);
        assert!(text.contains(&format!("# HELP {family} ")), "no HELP for {family}");
        assert!(text.contains(&format!("# TYPE {family} ")), "no TYPE for {family}");
    }
}

async fn metrics_apart_from_the_api(app: &TestApp) {
    let port = app.metrics_port.expect("metrics have their own address");
    let (status, _, text) = app.get_text(&format!("http://127.0.0.1:{port}/metrics")).await;
    assert_eq!(status, 200, "{text}");
    assert!(text.contains("jobcraft_db_pool_max"));
    let (status, _, _) = app.get_text(&format!("{}/metrics", app.base)).await;
    assert_eq!(status, 404, "not beside the API when given an address of their own");
}

mod apart {
    #[actix_web::test]
    async fn sqlite() {
        let app = crate::harness::TestApp::sqlite_with_metrics_apart().await;
        super::metrics_apart_from_the_api(&app).await;
        app.stop().await;
    }

    #[actix_web::test]
    async fn postgres() {
        let Some(app) = crate::harness::TestApp::postgres_with_metrics_apart().await else {
            return;
        };
        super::metrics_apart_from_the_api(&app).await;
        app.stop().await;
    }
}
