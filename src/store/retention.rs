//! Retention: each tenant's windows, and pruning what has passed them, in small batches (the
//! feed, webhook delivery logs, the audit log, idempotency keys, expired web sessions).
//!
//! The change feed is pruned from its start only (every change up to a number, recorded as the
//! tenant's horizon in `feed_horizons`), so what is kept is always a gapless run of numbers and
//! a cursor before it is known to be gone (`first_kept`, one point read). Each batch reads and
//! deletes from the horizon on: the index entries of rows already deleted (dead until vacuumed)
//! are never walked again. Nothing an active webhook subscription has not delivered yet is pruned: its
//! cursor holds the feed. Each batch is a short transaction of its own, so writers of the
//! tenant never wait for a pruning longer than one batch's delete.

use chrono::NaiveDateTime;
use diesel::dsl::min;
use diesel::prelude::*;

use crate::domain::retention::Retention;
use crate::domain::tenant::TenantId;
use crate::error::Error;
use crate::store::schema::{
    audit_log, changes, feed_horizons, idempotency_keys, retention_settings, tenants, web_sessions,
    webhook_deliveries, webhooks,
};
use crate::store::{now, parse_id, DbConn};

/// The tenant's windows; the defaults until it sets its own.
pub fn settings(conn: &mut DbConn, tenant: TenantId) -> Result<Retention, Error> {
    let row: Option<(i64, i64, Option<i64>, i64)> = retention_settings::table
        .filter(retention_settings::tenant_id.eq(tenant))
        .select((
            retention_settings::feed_days,
            retention_settings::deliveries_days,
            retention_settings::audit_days,
            retention_settings::idempotency_hours,
        ))
        .first(conn)
        .optional()?;
    Ok(row.map_or_else(Retention::default, |(feed_days, deliveries_days, audit_days, hours)| {
        Retention { feed_days, deliveries_days, audit_days, idempotency_hours: hours }
    }))
}

pub fn save(conn: &mut DbConn, tenant: TenantId, retention: &Retention) -> Result<(), Error> {
    diesel::delete(retention_settings::table.filter(retention_settings::tenant_id.eq(tenant)))
        .execute(conn)?;
    diesel::insert_into(retention_settings::table)
        .values((
            retention_settings::tenant_id.eq(tenant),
            retention_settings::feed_days.eq(retention.feed_days),
            retention_settings::deliveries_days.eq(retention.deliveries_days),
            retention_settings::audit_days.eq(retention.audit_days),
            retention_settings::idempotency_hours.eq(retention.idempotency_hours),
            retention_settings::updated_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// The number of the oldest change the feed may still have: one past where it was pruned
/// through. The feed after any cursor below `first_kept - 1` has lost changes.
pub fn first_kept(conn: &mut DbConn, tenant: TenantId) -> Result<i64, Error> {
    Ok(horizon(conn, tenant)? + 1)
}

/// Where the tenant's feed was pruned through (0: never).
fn horizon(conn: &mut DbConn, tenant: TenantId) -> Result<i64, Error> {
    let through: Option<i64> = feed_horizons::table
        .filter(feed_horizons::tenant_id.eq(tenant))
        .select(feed_horizons::pruned_through)
        .first(conn)
        .optional()?;
    Ok(through.unwrap_or(0))
}

/// Every tenant, for a pruning round.
pub fn tenants(conn: &mut DbConn) -> Result<Vec<TenantId>, Error> {
    let ids: Vec<String> = tenants::table.select(tenants::id).order(tenants::id).load(conn)?;
    ids.iter().map(|id| Ok(TenantId(parse_id(id)?))).collect()
}

/// Whether this transaction may prune the tenant: on PostgreSQL one transaction at a time
/// holds the tenant's turn, a lock on its `feed_horizons` row until the transaction ends
/// (another instance finds it taken and skips, without waiting); SQLite has one writer
/// already. A row lock, not an advisory lock: under Citus the row lives on the tenant's shard,
/// where every coordinator's lock meets, while an advisory lock belongs to the node that takes
/// it. The row is written with the tenant (`api_keys::create_tenant`); only a tenant that an
/// older build created during a rolling upgrade has none yet, and gets it here.
pub fn take_turn(conn: &mut DbConn, tenant: TenantId) -> Result<bool, Error> {
    if lock_horizon(conn, tenant, true)? {
        return Ok(true);
    }
    let written: i64 = feed_horizons::table
        .filter(feed_horizons::tenant_id.eq(tenant))
        .count()
        .get_result(conn)?;
    if written > 0 {
        // Another instance's turn.
        return Ok(false);
    }
    write_horizon(conn, tenant)?;
    lock_horizon(conn, tenant, true)
}

/// Waits for the tenant's pruning turn and holds it until the transaction ends: for a write
/// that reads the horizon and must not race a batch (a webhook subscription resuming from its
/// cursor). SQLite's writers are serialised already.
pub fn hold_turn(conn: &mut DbConn, tenant: TenantId) -> Result<(), Error> {
    if !lock_horizon(conn, tenant, false)? {
        write_horizon(conn, tenant)?;
        lock_horizon(conn, tenant, false)?;
    }
    Ok(())
}

/// Whether the tenant's horizon row is there and this transaction holds it: on PostgreSQL
/// locked `FOR UPDATE` (`SKIP LOCKED` when `skip`); SQLite's one writer holds every row.
fn lock_horizon(conn: &mut DbConn, tenant: TenantId, skip: bool) -> Result<bool, Error> {
    let row = feed_horizons::table
        .filter(feed_horizons::tenant_id.eq(tenant))
        .select(feed_horizons::tenant_id);
    let locked: Option<String> = match conn {
        DbConn::Pg(c) if skip => row.for_update().skip_locked().first(c).optional()?,
        DbConn::Pg(c) => row.for_update().first(c).optional()?,
        DbConn::Sqlite(c) => row.first(c).optional()?,
    };
    Ok(locked.is_some())
}

/// The tenant's horizon row at 0 (never pruned), if it has none.
fn write_horizon(conn: &mut DbConn, tenant: TenantId) -> Result<(), Error> {
    let row = (feed_horizons::tenant_id.eq(tenant), feed_horizons::pruned_through.eq(0_i64));
    match conn {
        DbConn::Pg(c) => diesel::insert_into(feed_horizons::table)
            .values(row)
            .on_conflict_do_nothing()
            .execute(c),
        DbConn::Sqlite(c) => {
            diesel::insert_or_ignore_into(feed_horizons::table).values(row).execute(c)
        }
    }?;
    Ok(())
}

/// The ids of at most `batch` rows of the tenant's `table` whose `time` is before `cutoff`.
/// (Each statement names the tenant, so under Citus it runs on one shard.)
macro_rules! ids_before {
    ($conn:expr, $table:ident, $time:ident, $tenant:expr, $cutoff:expr, $batch:expr) => {
        $table::table
            .filter($table::tenant_id.eq($tenant))
            .filter($table::$time.lt($cutoff))
            .select($table::id)
            .limit($batch)
            .load::<String>($conn)?
    };
}

/// Deletes the tenant's rows of `table` with these ids; how many.
macro_rules! delete_ids {
    ($conn:expr, $table:ident, $tenant:expr, $ids:expr) => {
        match $ids.is_empty() {
            true => 0,
            false => diesel::delete(
                $table::table.filter($table::tenant_id.eq($tenant)).filter($table::id.eq_any($ids)),
            )
            .execute($conn)?,
        }
    };
}

/// What one batch pruned.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pruned {
    pub changes: usize,
    pub deliveries: usize,
    pub audit: usize,
    /// Expired web workspace sessions.
    pub sessions: usize,
    pub idempotency_keys: usize,
}

impl Pruned {
    pub fn any(&self) -> bool {
        self.changes + self.deliveries + self.audit + self.sessions + self.idempotency_keys > 0
    }
}

/// What the tenant's windows have passed at `at`: at most `batch` rows of each kind, read and
/// not locked.
#[derive(Debug)]
pub struct Due {
    /// The horizon, and the last change to prune through after it.
    from: i64,
    through: Option<i64>,
    deliveries: Vec<String>,
    audit: Vec<String>,
    sessions: Vec<String>,
    /// Idempotency keys (which have no id of their own) go by age: those recorded up to this
    /// moment, the newest of the oldest batch past the window.
    keys_through: Option<NaiveDateTime>,
}

impl Due {
    pub fn any(&self) -> bool {
        self.through.is_some()
            || self.keys_through.is_some()
            || !(self.deliveries.is_empty() && self.audit.is_empty() && self.sessions.is_empty())
    }
}

/// What a batch of `batch` rows of each kind would prune at `at`. A pruning round reads this
/// first (with a batch of 1) and takes the tenant's turn only if there is something: most
/// rounds find nothing, and a turn is a write (a row lock, a transaction id, WAL).
pub fn due(
    conn: &mut DbConn,
    tenant: TenantId,
    at: NaiveDateTime,
    batch: i64,
) -> Result<Due, Error> {
    let cut = settings(conn, tenant)?.cutoffs(at);
    // An active subscription's cursor: the changes after it are still to be delivered.
    let held: Option<i64> = webhooks::table
        .filter(webhooks::tenant_id.eq(tenant))
        .filter(webhooks::active.eq(true))
        .select(min(webhooks::cursor))
        .first(conn)?;
    let from = horizon(conn, tenant)?;
    // The next changes from the horizon on, by number (the primary key), without a filter on
    // time: the old ones are their prefix. A feed with nothing old costs one row's read.
    let mut next = changes::table
        .filter(changes::tenant_id.eq(tenant))
        .filter(changes::seq.gt(from))
        .select((changes::seq, changes::occurred_at))
        .order(changes::seq)
        .limit(batch)
        .into_boxed();
    if let Some(held) = held {
        next = next.filter(changes::seq.le(held));
    }
    let through: Option<i64> = next
        .load::<(i64, NaiveDateTime)>(conn)?
        .into_iter()
        .take_while(|(_, occurred_at)| *occurred_at < cut.feed)
        .last()
        .map(|(seq, _)| seq);
    Ok(Due {
        from,
        through,
        deliveries: ids_before!(
            conn,
            webhook_deliveries,
            attempted_at,
            tenant,
            cut.deliveries,
            batch
        ),
        audit: match cut.audit {
            Some(cutoff) => ids_before!(conn, audit_log, at, tenant, cutoff, batch),
            None => Vec::new(),
        },
        sessions: ids_before!(conn, web_sessions, expires_at, tenant, at, batch),
        keys_through: idempotency_keys::table
            .filter(idempotency_keys::tenant_id.eq(tenant))
            .filter(idempotency_keys::created_at.lt(cut.idempotency))
            .select(idempotency_keys::created_at)
            .order(idempotency_keys::created_at)
            .limit(batch)
            .load::<NaiveDateTime>(conn)?
            .pop(),
    })
}

/// Prunes at most `batch` rows of each kind that the tenant's windows have passed at `at`.
pub fn prune(
    conn: &mut DbConn,
    tenant: TenantId,
    at: NaiveDateTime,
    batch: i64,
) -> Result<Pruned, Error> {
    let due = due(conn, tenant, at, batch)?;
    let mut pruned = Pruned::default();
    if let Some(through) = due.through {
        pruned.changes = diesel::delete(
            changes::table
                .filter(changes::tenant_id.eq(tenant))
                .filter(changes::seq.gt(due.from))
                .filter(changes::seq.le(through)),
        )
        .execute(conn)?;
        // The turn (`take_turn`) is a lock on the row; a horizon not recorded would bring the
        // pruned changes back as a gap, so a missing row is an error, not nothing.
        let recorded =
            diesel::update(feed_horizons::table.filter(feed_horizons::tenant_id.eq(tenant)))
                .set(feed_horizons::pruned_through.eq(through))
                .execute(conn)?;
        if recorded != 1 {
            return Err(Error::Internal("pruned without the tenant's horizon row".into()));
        }
    }
    pruned.deliveries = delete_ids!(conn, webhook_deliveries, tenant, &due.deliveries);
    pruned.audit = delete_ids!(conn, audit_log, tenant, &due.audit);
    pruned.sessions = delete_ids!(conn, web_sessions, tenant, &due.sessions);
    if let Some(through) = due.keys_through {
        // Up to and with `through`: keys recorded at that very moment go in this batch too (a
        // few past `batch`, all past the window), or a batch of them all alike would never
        // end.
        pruned.idempotency_keys = diesel::delete(
            idempotency_keys::table
                .filter(idempotency_keys::tenant_id.eq(tenant))
                .filter(idempotency_keys::created_at.le(through)),
        )
        .execute(conn)?;
    }
    Ok(pruned)
}
