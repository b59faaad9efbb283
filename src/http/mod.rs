//! HTTP: handlers extract, authorize, make one blocking store call, and answer with an `api`
//! type. The top layer: it may import `sync`, `api`, `store` and `domain`; nothing below it
//! imports it.

pub mod accounts;
pub mod audit;
pub mod auth;
pub mod bulk;
pub mod changes;
pub mod coverage;
pub mod crafting;
pub mod development_plans;
pub mod diffs;
pub mod etag;
pub mod extract;
pub mod health;
pub mod idempotency;
pub mod methods;
pub mod metrics;
pub mod openapi;
pub mod organizations;
pub mod pagination;
pub mod persons;
pub mod posts;
pub mod problem;
pub mod questionnaires;
pub mod rate_limit;
pub mod readiness;
pub mod relationships;
pub mod resource;
pub mod respond;
pub mod settings;
pub mod similar;
pub mod sync;
pub mod team_profile;
pub mod tenures;
pub mod trace;
pub mod vocabulary;
pub mod webhooks;

use std::future::Future;

use actix_web::web;

use crate::error::Error;
use crate::store::changes::{acting_as, Actor};
use crate::store::{crafting_index, pipelined, Db, DbConn};

/// Runs `f` in one read transaction on the blocking pool, off the async executor.
pub async fn read<T, F>(db: &Db, f: F) -> Result<T, Error>
where
    T: Send + 'static,
    F: FnOnce(&mut DbConn) -> Result<T, Error> + Send + 'static,
{
    let db = db.clone();
    web::block(move || db.read(f)).await.map_err(Error::internal)?
}

/// A read that may see the database as it was a moment ago (reports, exports, the feed): on a
/// fresh read replica, unless this API key wrote lately (`store::replicas`); else like `read`.
pub async fn read_lagging<T, F>(db: &Db, key: uuid::Uuid, f: F) -> Result<T, Error>
where
    T: Send + 'static,
    F: FnMut(&mut DbConn) -> Result<T, Error> + Send + 'static,
{
    let db = db.clone();
    web::block(move || db.read_lagging(Some(key), f)).await.map_err(Error::internal)?
}

/// Keeps the tenant's similar-crafters index in the database when it is due, off the
/// request's path (`store::crafting_index`): a new or restarted instance then reads it.
pub fn keep_crafting_index(db: &Db, tenant: crate::domain::tenant::TenantId) {
    let Some(index) = db.crafting_index.due_snapshot(tenant) else { return };
    let db = db.clone();
    actix_web::rt::task::spawn_blocking(move || {
        let Some(snapshot) = crafting_index::Snapshot::of(&index) else { return };
        if let Err(error) = db.write(|c| crafting_index::write_snapshot(c, tenant, &snapshot)) {
            tracing::warn!(%error, "the similar-crafters index was not kept in the database");
        }
    });
}

/// A read with a pipelined form: on PostgreSQL it runs on this worker's pipelining connection
/// (`store::pipelined`); on SQLite, or while the worker has no such connection, `sync` runs on
/// the blocking pool instead.
pub async fn read_pipelined<T, P, Fut, S>(db: &Db, pipelined: P, sync: S) -> Result<T, Error>
where
    T: Send + 'static,
    P: FnOnce(pipelined::Connection) -> Fut,
    Fut: Future<Output = Result<T, Error>>,
    S: FnOnce(&mut DbConn) -> Result<T, Error> + Send + 'static,
{
    if let Some(reads) = &db.pipelined {
        if let Some(connection) = reads.connection().await {
            return reads.run(connection, pipelined).await;
        }
    }
    read(db, sync).await
}

/// Runs `f` in one write transaction on the blocking pool: all of it commits, or none. The
/// changes it records are attributed to `actor`.
pub async fn write<T, F>(db: &Db, actor: Actor, f: F) -> Result<T, Error>
where
    T: Send + 'static,
    F: FnMut(&mut DbConn) -> Result<T, Error> + Send + 'static,
{
    let db = db.clone();
    // An idempotent request writes in the transaction that will keep its answer.
    let pending = idempotency::pending();
    web::block(move || {
        acting_as(actor, || match pending {
            Some(pending) => pending.write(&db, f),
            None => db.write(f),
        })
    })
    .await
    .map_err(Error::internal)?
}

/// Registers every API route; the OpenAPI document is collected from the same calls.
pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(health::healthz)
        .service(health::readyz)
        .configure(organizations::routes)
        .configure(persons::routes)
        .configure(posts::routes)
        .configure(tenures::routes)
        .configure(vocabulary::routes)
        .configure(crafting::routes)
        .configure(diffs::routes)
        .configure(bulk::routes)
        .configure(similar::routes)
        .configure(readiness::routes)
        .configure(team_profile::routes)
        .configure(development_plans::routes)
        .configure(questionnaires::routes)
        .configure(accounts::routes)
        .configure(relationships::routes)
        .configure(coverage::routes)
        .configure(settings::routes)
        .configure(changes::routes)
        .configure(audit::routes)
        .configure(sync::routes)
        .configure(webhooks::routes);
}
