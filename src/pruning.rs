//! The retention loop: every instance, every `interval`, prunes each tenant batch by batch
//! (`store::retention`) until nothing is left past its windows. On PostgreSQL one instance
//! prunes a tenant at a time (its turn is a row lock, `retention::take_turn`, taken only when a
//! read found something to prune); a batch whose
//! turn another instance holds ends this instance's round, to be tried again at the next one,
//! so that several instances do not prune side by side. Off the request path; a batch is one
//! short write transaction.

use std::time::{Duration, Instant};

use crate::error::Error;
use crate::store::retention::{self, Pruned};
use crate::store::{now, Db};

/// Rows of each kind deleted per transaction: small enough that a tenant's writers never wait
/// long behind a pruning batch.
pub const BATCH: i64 = 1_000;

#[derive(Debug, Clone, Copy)]
pub struct PruneSettings {
    pub interval: Duration,
    /// Rows of each kind per transaction.
    pub batch: i64,
}

pub async fn run(db: Db, settings: PruneSettings) {
    loop {
        actix_web::rt::time::sleep(settings.interval).await;
        let db = db.clone();
        match actix_web::web::block(move || round(&db, settings.batch)).await {
            Ok(Ok(pruned)) if pruned.any() => tracing::info!(
                changes = pruned.changes,
                deliveries = pruned.deliveries,
                audit = pruned.audit,
                sessions = pruned.sessions,
                idempotency_keys = pruned.idempotency_keys,
                "pruned past the retention windows"
            ),
            Ok(Ok(_)) => {}
            Ok(Err(error)) => tracing::warn!(%error, "pruning failed; trying again next round"),
            Err(error) => tracing::warn!(%error, "pruning did not run"),
        }
    }
}

/// One round over every tenant; what it pruned.
pub fn round(db: &Db, batch: i64) -> Result<Pruned, Error> {
    let mut total = Pruned::default();
    for tenant in db.read(retention::tenants)? {
        // Read first: most rounds find nothing past a tenant's windows (`retention::due`).
        if !db.read(|c| retention::due(c, tenant, now(), 1))?.any() {
            continue;
        }
        loop {
            let (at, started) = (now(), Instant::now());
            let pruned = db.write(|c| match retention::take_turn(c, tenant)? {
                true => retention::prune(c, tenant, at, batch).map(Some),
                false => Ok(None),
            })?;
            match pruned {
                // Another instance is pruning.
                None => return Ok(total),
                Some(p) if p.any() => {
                    total.changes += p.changes;
                    total.deliveries += p.deliveries;
                    total.audit += p.audit;
                    total.sessions += p.sessions;
                    total.idempotency_keys += p.idempotency_keys;
                    // Half the time to the requests: a long backlog is pruned at half speed
                    // rather than at the writers' expense (bench/retention measures both).
                    std::thread::sleep(started.elapsed());
                }
                Some(_) => break,
            }
        }
    }
    Ok(total)
}
