//! Planner statistics after bulk writes (PostgreSQL).
//!
//! A table that has never been analysed, or has grown far past what was analysed (a fresh
//! database, a tenant's first large import), looks tiny to PostgreSQL's planner: it then reads
//! every row of the tenant and filters them instead of probing an index for the thousand ids
//! of a batch, and each batch costs more than the one before. Autovacuum analyses such tables
//! only on its next round, a minute or more later; sync batches, the bulk write path, ask for
//! it as soon as the change is large.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{Array, Text};

use crate::error::Error;
use crate::store::DbConn;

/// The tables sync batches grow.
const GROWN_BY_SYNC: [&str; 8] = [
    "organizations",
    "persons",
    "posts",
    "tenures",
    "relationships",
    "coverage_links",
    "external_refs",
    "changes",
];

/// Analyses those of the tables that changed by more than a fifth (and 1,000 rows) since
/// their last analysis.
pub fn refresh_after_bulk_write(conn: &mut DbConn) -> Result<(), Error> {
    let DbConn::Pg(pg) = conn else { return Ok(()) };
    #[derive(QueryableByName)]
    struct Stale {
        #[diesel(sql_type = Text)]
        relname: String,
    }
    let stale: Vec<Stale> = diesel::sql_query(
        "SELECT s.relname::text AS relname FROM pg_stat_user_tables s \
         JOIN pg_class c ON c.oid = s.relid \
         WHERE s.schemaname = current_schema() AND s.relname = ANY($1) \
         AND s.n_mod_since_analyze > GREATEST(1000, c.reltuples / 5)",
    )
    .bind::<Array<Text>, _>(&GROWN_BY_SYNC[..])
    .load(pg)?;
    for table in GROWN_BY_SYNC.iter().filter(|t| stale.iter().any(|s| s.relname == **t)) {
        tracing::debug!(table, "analysing after a bulk write");
        pg.batch_execute(&format!("ANALYZE {table}"))?;
    }
    Ok(())
}
