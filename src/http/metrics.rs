//! `GET /metrics` in Prometheus' text format, from the `prometheus` crate's registry: requests
//! by route template, method and status with a latency histogram, the database pool, the
//! webhook outbox, the process (memory, CPU, open files, start time) and the build. It takes
//! no key; with `--metrics-bind` it is served on that address only, away from the API's.

use std::sync::atomic::Ordering;
use std::sync::Mutex;
use std::time::Duration;

use actix_web::{web, HttpResponse};
use prometheus::{
    Encoder, Gauge, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, IntGaugeVec,
    Opts, Registry, TextEncoder,
};

use crate::error::Error;
use crate::http::read;
use crate::store::{deliveries, Db};

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 13] =
    [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// What this process has answered, and the gauges a scrape reads fresh.
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    pool: IntGaugeVec,
    pool_max: IntGauge,
    pool_waiting: IntGauge,
    backlog: Gauge,
    delivery_failures: IntCounter,
    replica_fresh: IntGaugeVec,
    replica_behind: IntGaugeVec,
    replica_reads: IntCounterVec,
    replica_fallbacks: IntCounter,
    similar_index: IntGaugeVec,
    account_demand: IntGaugeVec,
    kept_accounts: IntGaugeVec,
    /// One scrape at a time moves the counters read from elsewhere (`delivery_failures`).
    scrape: Mutex<()>,
}

impl Metrics {
    pub fn new() -> Result<Metrics, prometheus::Error> {
        let registry = Registry::new();
        let requests = IntCounterVec::new(
            Opts::new(
                "jobcraft_http_requests_total",
                "Requests answered, by method, route template and status.",
            ),
            &["method", "route", "status"],
        )?;
        let latency = HistogramVec::new(
            HistogramOpts::new(
                "jobcraft_http_request_duration_seconds",
                "Time to answer, by method and route template.",
            )
            .buckets(BUCKETS.to_vec()),
            &["method", "route"],
        )?;
        let pool = IntGaugeVec::new(
            Opts::new(
                "jobcraft_db_pool_connections",
                "Database connections of this process, by state.",
            ),
            &["state"],
        )?;
        let pool_max = IntGauge::new("jobcraft_db_pool_max", "Most connections the pool holds.")?;
        let pool_waiting = IntGauge::new(
            "jobcraft_db_pool_waiting",
            "Requests waiting for a database connection.",
        )?;
        let backlog = Gauge::new(
            "jobcraft_webhook_backlog_changes",
            "Changes not yet passed by the active webhook subscriptions (NaN: database unavailable).",
        )?;
        let delivery_failures = IntCounter::new(
            "jobcraft_webhook_delivery_failures_total",
            "Webhook delivery attempts of this process that did not deliver (retried or given up).",
        )?;
        let replica =
            |name: &str, help: &str| IntGaugeVec::new(Opts::new(name, help), &["replica"]);
        let replica_fresh = replica(
            "jobcraft_read_replica_fresh",
            "1 while the read replica keeps up with the primary and takes reads, else 0.",
        )?;
        let replica_behind = replica(
            "jobcraft_read_replica_behind_bytes",
            "WAL the read replica had still to replay at the last look.",
        )?;
        let replica_reads = IntCounterVec::new(
            Opts::new("jobcraft_read_replica_reads_total", "Reads a read replica answered."),
            &["replica"],
        )?;
        let replica_fallbacks = IntCounter::new(
            "jobcraft_read_replica_fallbacks_total",
            "Reads that could go to a replica and went to the primary: none was fresh, or one failed.",
        )?;
        let similar_index = IntGaugeVec::new(
            Opts::new(
                "jobcraft_similar_index",
                "The similar-crafters indexes this process holds: bytes (about), tenants, and builds from every tenure since it started.",
            ),
            &["measure"],
        )?;
        let account_demand = IntGaugeVec::new(
            Opts::new(
                "jobcraft_account_demand",
                "The accounts' demand this process keeps for team profiles: bytes (about), tenants, and accounts read from their rows since it started.",
            ),
            &["measure"],
        )?;
        let kept_accounts = IntGaugeVec::new(
            Opts::new(
                "jobcraft_kept_accounts",
                "The accounts this process keeps for coverage reports as of now: bytes (about), tenants, and accounts read from their rows since it started.",
            ),
            &["measure"],
        )?;
        let build = IntGaugeVec::new(
            Opts::new(
                "jobcraft_build_info",
                "The running build: always 1, its version as a label.",
            ),
            &["version"],
        )?;
        build.with_label_values(&[env!("CARGO_PKG_VERSION")]).set(1);
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(latency.clone()))?;
        registry.register(Box::new(pool.clone()))?;
        registry.register(Box::new(pool_max.clone()))?;
        registry.register(Box::new(pool_waiting.clone()))?;
        registry.register(Box::new(backlog.clone()))?;
        registry.register(Box::new(delivery_failures.clone()))?;
        registry.register(Box::new(replica_fresh.clone()))?;
        registry.register(Box::new(replica_behind.clone()))?;
        registry.register(Box::new(replica_reads.clone()))?;
        registry.register(Box::new(replica_fallbacks.clone()))?;
        registry.register(Box::new(similar_index.clone()))?;
        registry.register(Box::new(account_demand.clone()))?;
        registry.register(Box::new(kept_accounts.clone()))?;
        registry.register(Box::new(build))?;
        // process_resident_memory_bytes, process_cpu_seconds_total, process_open_fds,
        // process_start_time_seconds … read from /proc at each scrape.
        registry.register(Box::new(prometheus::process_collector::ProcessCollector::for_self()))?;
        Ok(Metrics {
            registry,
            requests,
            latency,
            pool,
            pool_max,
            pool_waiting,
            backlog,
            delivery_failures,
            replica_fresh,
            replica_behind,
            replica_reads,
            replica_fallbacks,
            similar_index,
            account_demand,
            kept_accounts,
            scrape: Mutex::new(()),
        })
    }

    pub fn observe(&self, method: &str, route: &str, status: u16, took: Duration) {
        self.requests.with_label_values(&[method, route, &status.to_string()]).inc();
        self.latency.with_label_values(&[method, route]).observe(took.as_secs_f64());
    }
}

pub async fn metrics(
    db: web::Data<Db>,
    metrics: web::Data<Metrics>,
) -> Result<HttpResponse, Error> {
    // The outbox lives in the database: its backlog is every instance's.
    let backlog = read(&db, deliveries::backlog).await.map(|n| n as f64).unwrap_or(f64::NAN);
    let families = {
        let _scrape = metrics.scrape.lock().unwrap_or_else(|p| p.into_inner());
        let pool = db.pool_state();
        metrics
            .pool
            .with_label_values(&["in_use"])
            .set(i64::from(pool.connections - pool.idle_connections));
        metrics.pool.with_label_values(&["idle"]).set(i64::from(pool.idle_connections));
        metrics.pool_max.set(i64::from(db.pool_max_size()));
        metrics.pool_waiting.set(db.pool_waiting() as i64);
        metrics.backlog.set(backlog);
        let failures = crate::delivery::WEBHOOK_FAILURES.load(Ordering::Relaxed);
        metrics.delivery_failures.inc_by(failures.saturating_sub(metrics.delivery_failures.get()));
        for replica in &db.replicas.list {
            let name = [replica.name.as_str()];
            metrics.replica_fresh.with_label_values(&name).set(i64::from(replica.is_fresh()));
            let behind = i64::try_from(replica.behind_bytes()).unwrap_or(i64::MAX);
            metrics.replica_behind.with_label_values(&name).set(behind);
            let reads = metrics.replica_reads.with_label_values(&name);
            reads.inc_by(replica.served().saturating_sub(reads.get()));
        }
        let (bytes, tenants) = db.crafting_index.held();
        let index = &metrics.similar_index;
        index.with_label_values(&["bytes"]).set(i64::try_from(bytes).unwrap_or(i64::MAX));
        index.with_label_values(&["tenants"]).set(tenants as i64);
        let builds = i64::try_from(db.crafting_index.builds()).unwrap_or(i64::MAX);
        index.with_label_values(&["builds"]).set(builds);
        let (bytes, tenants) = db.demand.held();
        let demand = &metrics.account_demand;
        demand.with_label_values(&["bytes"]).set(i64::try_from(bytes).unwrap_or(i64::MAX));
        demand.with_label_values(&["tenants"]).set(tenants as i64);
        demand
            .with_label_values(&["reads"])
            .set(i64::try_from(db.demand.reads()).unwrap_or(i64::MAX));
        let (bytes, tenants) = db.accounts.held();
        let kept = &metrics.kept_accounts;
        kept.with_label_values(&["bytes"]).set(i64::try_from(bytes).unwrap_or(i64::MAX));
        kept.with_label_values(&["tenants"]).set(tenants as i64);
        kept.with_label_values(&["reads"])
            .set(i64::try_from(db.accounts.reads()).unwrap_or(i64::MAX));
        let fallbacks = db.replicas.fallbacks();
        metrics.replica_fallbacks.inc_by(fallbacks.saturating_sub(metrics.replica_fallbacks.get()));
        metrics.registry.gather()
    };
    let mut out = Vec::new();
    TextEncoder::new().encode(&families, &mut out).map_err(Error::internal)?;
    Ok(HttpResponse::Ok().content_type("text/plain; version=0.0.4; charset=utf-8").body(out))
}
