//! `GET /metrics` in Prometheus' text format: requests by route template, method and status
//! with a latency histogram, the database pool, and the webhook outbox. It takes no key; with
//! `--metrics-bind` it is served on that address only, away from the API's.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::Ordering;
use std::sync::Mutex;
use std::time::Duration;

use actix_web::{web, HttpResponse};

use crate::error::Error;
use crate::http::read;
use crate::store::{webhooks, Db};

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 13] =
    [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

#[derive(Default)]
struct Latencies {
    /// Requests at or under each bucket's bound (cumulative when rendered).
    buckets: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

/// What this process has answered.
#[derive(Default)]
pub struct Metrics {
    /// By (method, route template, status).
    answered: Mutex<BTreeMap<(String, String, u16), u64>>,
    /// By (method, route template).
    latencies: Mutex<BTreeMap<(String, String), Latencies>>,
}

impl Metrics {
    pub fn observe(&self, method: &str, route: &str, status: u16, took: Duration) {
        let key = (method.to_owned(), route.to_owned());
        {
            let mut answered = self.answered.lock().unwrap_or_else(|p| p.into_inner());
            *answered.entry((key.0.clone(), key.1.clone(), status)).or_default() += 1;
        }
        let mut latencies = self.latencies.lock().unwrap_or_else(|p| p.into_inner());
        let entry = latencies.entry(key).or_default();
        let seconds = took.as_secs_f64();
        if let Some(bucket) = BUCKETS.iter().position(|bound| seconds <= *bound) {
            entry.buckets[bucket] += 1;
        }
        entry.count += 1;
        entry.sum += seconds;
    }

    fn render_requests(&self, out: &mut String) {
        out.push_str(
            "# HELP jobcraft_http_requests_total Requests answered, by method, route template \
             and status.\n# TYPE jobcraft_http_requests_total counter\n",
        );
        for ((method, route, status), n) in
            self.answered.lock().unwrap_or_else(|p| p.into_inner()).iter()
        {
            let labels = labels(method, route);
            let _ =
                writeln!(out, "jobcraft_http_requests_total{{{labels},status=\"{status}\"}} {n}");
        }
        out.push_str(
            "# HELP jobcraft_http_request_duration_seconds Time to answer, by method and route \
             template.\n# TYPE jobcraft_http_request_duration_seconds histogram\n",
        );
        for ((method, route), l) in self.latencies.lock().unwrap_or_else(|p| p.into_inner()).iter()
        {
            let labels = labels(method, route);
            let mut cumulative = 0;
            for (bound, n) in BUCKETS.iter().zip(l.buckets) {
                cumulative += n;
                let _ = writeln!(
                    out,
                    "jobcraft_http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {cumulative}"
                );
            }
            let name = "jobcraft_http_request_duration_seconds";
            let _ = writeln!(out, "{name}_bucket{{{labels},le=\"+Inf\"}} {}", l.count);
            let _ = writeln!(out, "{name}_sum{{{labels}}} {}", l.sum);
            let _ = writeln!(out, "{name}_count{{{labels}}} {}", l.count);
        }
    }
}

fn labels(method: &str, route: &str) -> String {
    let escape = |v: &str| v.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n");
    format!("method=\"{}\",route=\"{}\"", escape(method), escape(route))
}

fn gauge(out: &mut String, name: &str, help: &str, kind: &str, samples: &[(&str, f64)]) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
    for (labels, value) in samples {
        let _ = writeln!(out, "{name}{labels} {value}");
    }
}

pub async fn metrics(
    db: web::Data<Db>,
    metrics: web::Data<Metrics>,
) -> Result<HttpResponse, Error> {
    let mut out = String::new();
    metrics.render_requests(&mut out);
    let pool = db.pool_state();
    let in_use = f64::from(pool.connections - pool.idle_connections);
    gauge(
        &mut out,
        "jobcraft_db_pool_connections",
        "Database connections of this process, by state.",
        "gauge",
        &[("{state=\"in_use\"}", in_use), ("{state=\"idle\"}", f64::from(pool.idle_connections))],
    );
    let (max, waiting) = (f64::from(db.pool_max_size()), db.pool_waiting() as f64);
    gauge(
        &mut out,
        "jobcraft_db_pool_max",
        "Most connections the pool holds.",
        "gauge",
        &[("", max)],
    );
    gauge(
        &mut out,
        "jobcraft_db_pool_waiting",
        "Requests waiting for a database connection.",
        "gauge",
        &[("", waiting)],
    );
    // The outbox lives in the database: its backlog is every instance's.
    let backlog = read(&db, webhooks::backlog).await.map(|n| n as f64).unwrap_or(f64::NAN);
    gauge(
        &mut out,
        "jobcraft_webhook_backlog_changes",
        "Changes not yet passed by the active webhook subscriptions (NaN: database unavailable).",
        "gauge",
        &[("", backlog)],
    );
    let failures = crate::delivery::WEBHOOK_FAILURES.load(Ordering::Relaxed) as f64;
    gauge(
        &mut out,
        "jobcraft_webhook_delivery_failures_total",
        "Webhook delivery attempts of this process that did not deliver (retried or given up).",
        "counter",
        &[("", failures)],
    );
    Ok(HttpResponse::Ok().content_type("text/plain; version=0.0.4; charset=utf-8").body(out))
}
