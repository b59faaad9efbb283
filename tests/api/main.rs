//! The API, end to end: the real server over HTTP, on SQLite and on PostgreSQL.

#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test should fail loudly where its setup breaks"
)]

mod harness;

mod alerts;
mod audit;
mod bulk;
mod changes;
mod concurrency;
mod container;
mod coverage;
mod crafting;
mod demo;
mod development_plans;

mod faults;
mod fuzz;
mod generate;
mod hostile;
mod idempotency;
mod isolation;
mod kept_reports;
mod metrics;
mod migrations;
mod openapi;
mod organizations;
mod pagination;
mod persons;
mod pgbouncer;
mod posts;
mod questionnaires;
mod rate_limits;
mod readiness;
mod readme;
mod replicas;
mod requests;
mod resilience;
mod retention;
mod similar;
mod sync;
mod sync_runs;
mod team_profile;
mod tenures;
mod tls;
mod webhooks;
mod workspace;
