//! Planner statistics after bulk writes (PostgreSQL).
//!
//! A table that has never been analysed, or has grown far past what was analysed (a fresh
//! database, a tenant's first large import), looks tiny to PostgreSQL's planner: it then reads
//! every row of the tenant and filters them instead of probing an index for the thousand ids
//! of a batch, and each batch costs more than the one before. Autovacuum analyses such tables
//! only on its next round, a minute or more later; sync batches, the bulk write path, ask for
//! it as soon as the change is large.

use std::sync::atomic::{AtomicU64, Ordering};

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{Array, Text};

use crate::error::Error;
use crate::store::DbConn;

/// The tables sync batches grow and look rows up in by lists of ids. (Not `changes`: it is
/// only appended to and read by its key, and is the most expensive to analyse.)
const GROWN_BY_SYNC: [&str; 7] = [
    "organizations",
    "persons",
    "posts",
    "tenures",
    "relationships",
    "coverage_links",
    "external_refs",
];

/// Analyses those of the tables that were never analysed and have 1,000 changed rows, or have
/// changed by four times the rows they had when last analysed: once the planner knows a
/// tenant's share, its estimates grow with the table, so a few analyses in a large import are
/// enough (at 1,000, 5,000, 25,000, 125,000 rows). `written`: the records of the batch just
/// committed; the process's own count decides too (`Growth`), where the statistics views do
/// not see the rows (on Citus, `pg_stat_user_tables` of the coordinator is empty for
/// distributed tables, and an `ANALYZE` there reaches every shard).
pub fn refresh_after_bulk_write(conn: &mut DbConn, written: usize) -> Result<(), Error> {
    let DbConn::Pg(pg) = conn else { return Ok(()) };
    static WRITTEN_HERE: Growth = Growth::new();
    let grown: Vec<&str> = if WRITTEN_HERE.add(written as u64) {
        GROWN_BY_SYNC.to_vec()
    } else if due_again() {
        #[derive(QueryableByName)]
        struct Stale {
            #[diesel(sql_type = Text)]
            relname: String,
        }
        let stale: Vec<Stale> = diesel::sql_query(
            "SELECT s.relname::text AS relname FROM pg_stat_user_tables s \
             JOIN pg_class c ON c.oid = s.relid \
             WHERE s.schemaname = current_schema() AND s.relname = ANY($1) \
             AND s.n_mod_since_analyze > GREATEST(1000, 4 * c.reltuples)",
        )
        .bind::<Array<Text>, _>(&GROWN_BY_SYNC[..])
        .load(pg)?;
        GROWN_BY_SYNC.into_iter().filter(|t| stale.iter().any(|s| s.relname == *t)).collect()
    } else {
        Vec::new()
    };
    for table in grown {
        tracing::debug!(table, "analysing after a bulk write");
        pg.batch_execute(&format!("ANALYZE {table}"))?;
    }
    Ok(())
}

/// Records a process's sync batches wrote, and whether they have reached the next count at
/// which the grown tables are analysed: 1,000, then five times the last.
pub struct Growth {
    written: AtomicU64,
    next: AtomicU64,
}

impl Growth {
    pub const fn new() -> Growth {
        Growth { written: AtomicU64::new(0), next: AtomicU64::new(1_000) }
    }

    /// Counts `records`; true once for each count reached.
    pub fn add(&self, records: u64) -> bool {
        let total = self.written.fetch_add(records, Ordering::Relaxed) + records;
        let next = self.next.load(Ordering::Relaxed);
        total >= next
            && self
                .next
                .compare_exchange(next, total.max(next) * 5, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
    }
}

impl Default for Growth {
    fn default() -> Self {
        Growth::new()
    }
}

/// At most one look at the statistics a second per process: growing four times over takes a
/// large import longer than that, and under many concurrent batches the look itself (parsed
/// anew each time) was 2 % of the database's time.
fn due_again() -> bool {
    use std::sync::OnceLock;
    use std::time::Instant;
    static START: OnceLock<Instant> = OnceLock::new();
    static LAST_MS: AtomicU64 = AtomicU64::new(0);
    let now_ms = START.get_or_init(Instant::now).elapsed().as_millis() as u64 + 1000;
    let last = LAST_MS.load(Ordering::Relaxed);
    now_ms >= last + 1000
        && LAST_MS.compare_exchange(last, now_ms, Ordering::Relaxed, Ordering::Relaxed).is_ok()
}

/// After a bulk load: statistics for every table, so the first reads are planned for the data
/// that is there. PostgreSQL also vacuums, which it would otherwise start by itself a minute
/// later, under whatever load comes first (it was what stalled the first benchmark after a
/// load); SQLite's `optimize` analyses what needs it.
pub fn refresh_all(conn: &mut DbConn) -> Result<(), Error> {
    match conn {
        DbConn::Pg(pg) => pg.batch_execute("VACUUM ANALYZE")?,
        DbConn::Sqlite(sqlite) => sqlite.batch_execute("PRAGMA optimize")?,
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::Growth;

    #[test]
    fn the_grown_tables_are_analysed_at_a_thousand_records_then_five_times_more() {
        let growth = Growth::new();
        assert!(!growth.add(999));
        assert!(growth.add(1), "1,000");
        assert!(!growth.add(3_998));
        assert!(growth.add(4_000), "past 5,000");
        assert!(!growth.add(10_000));
        // One batch past two counts: one analysis, and the next count is five times on.
        assert!(growth.add(1_000_000));
        assert!(!growth.add(1_000_000));
    }
}
