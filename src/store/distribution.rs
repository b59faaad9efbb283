//! Distribution by tenant on Citus (docs/scaling.md §2.3). After the migrations, each table not
//! yet distributed is: `tenants` by its `id`; every table whose primary key starts with
//! `tenant_id` by that column, colocated with `tenants`, so a tenant's rows of every table sit
//! on one shard; every other table (`tenant_names`, keyed by the name, and the migrations
//! table, which instances read wherever they connect) as a reference table, copied to every
//! node. A table a new migration creates is therefore distributed as the release that brings
//! it starts, not left on the coordinator. On plain PostgreSQL nothing is run.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Text};
use diesel::PgConnection;

use crate::error::Error;

/// How one table is placed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Placement {
    /// Sharded by this column.
    Distributed { column: &'static str },
    /// Copied to every node.
    Reference,
}

/// A foreign key of the current schema.
#[derive(Debug, Clone, QueryableByName)]
pub struct ForeignKey {
    #[diesel(sql_type = Text)]
    pub name: String,
    #[diesel(sql_type = Text)]
    pub table: String,
    #[diesel(sql_type = Text)]
    pub references: String,
}

pub fn foreign_keys(conn: &mut PgConnection) -> Result<Vec<ForeignKey>, Error> {
    Ok(diesel::sql_query(
        "SELECT k.conname::text AS name, k.conrelid::regclass::text AS table, \
                k.confrelid::regclass::text AS references \
         FROM pg_constraint k \
         JOIN pg_namespace n ON n.oid = k.connamespace AND n.nspname = current_schema() \
         WHERE k.contype = 'f' ORDER BY 2, 1",
    )
    .load(conn)?)
}

/// Every table of the current schema and how it is placed, in an order Citus accepts:
/// `tenants` first (the others are colocated with it), then each distributed table after the
/// tables it references, then the reference tables.
pub fn plan(conn: &mut PgConnection) -> Result<Vec<(String, Placement)>, Error> {
    #[derive(QueryableByName)]
    struct Table {
        #[diesel(sql_type = Text)]
        name: String,
        #[diesel(sql_type = Bool)]
        tenant_first: bool,
    }
    // The first column of each table's primary key.
    let tables: Vec<Table> = diesel::sql_query(
        "SELECT c.relname::text AS name, \
                COALESCE(a.attname = 'tenant_id', false) AS tenant_first \
         FROM pg_class c \
         JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = current_schema() \
         LEFT JOIN pg_index i ON i.indrelid = c.oid AND i.indisprimary \
         LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = i.indkey[0] \
         WHERE c.relkind IN ('r', 'p') \
         ORDER BY c.relname",
    )
    .load(conn)?;
    let keys = foreign_keys(conn)?;
    let placement = |t: &Table| match (t.name.as_str(), t.tenant_first) {
        ("tenants", _) => Placement::Distributed { column: "id" },
        (_, true) => Placement::Distributed { column: "tenant_id" },
        (_, false) => Placement::Reference,
    };
    let (mut waiting, reference): (Vec<&Table>, Vec<&Table>) =
        tables.iter().partition(|t| placement(t) != Placement::Reference);
    let mut ordered: Vec<(String, Placement)> = Vec::new();
    while !waiting.is_empty() {
        // The first (by name, `tenants` before all) whose referenced tables are placed.
        let ready = |t: &&Table| {
            keys.iter().filter(|k| k.table == t.name && k.references != t.name).all(|k| {
                ordered.iter().any(|(placed, _)| *placed == k.references)
                    || !waiting.iter().any(|w| w.name == k.references)
            })
        };
        let next = waiting
            .iter()
            .position(|t| t.name == "tenants")
            .filter(|_| ordered.is_empty())
            .or_else(|| waiting.iter().position(ready))
            // A cycle of references: the rest in name order (Citus would refuse it; none
            // exists, and the test of the plan says so).
            .unwrap_or(0);
        let table = waiting.remove(next);
        ordered.push((table.name.clone(), placement(table)));
    }
    ordered.extend(reference.into_iter().map(|t| (t.name.clone(), placement(t))));
    Ok(ordered)
}

/// The statement that places `table`.
pub fn statement(table: &str, placement: &Placement) -> String {
    match placement {
        Placement::Distributed { column: "id" } => {
            format!("SELECT create_distributed_table('{table}', 'id')")
        }
        Placement::Distributed { column } => format!(
            "SELECT create_distributed_table('{table}', '{column}', colocate_with => 'tenants')"
        ),
        Placement::Reference => format!("SELECT create_reference_table('{table}')"),
    }
}

/// On Citus, places every table that is not placed yet; how many. Elsewhere, none.
pub fn distribute(conn: &mut PgConnection) -> Result<usize, Error> {
    #[derive(QueryableByName)]
    struct Present {
        #[diesel(sql_type = Bool)]
        citus: bool,
    }
    let present: Present = diesel::sql_query(
        "SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus') AS citus",
    )
    .get_result(conn)?;
    if !present.citus {
        return Ok(0);
    }
    #[derive(QueryableByName)]
    struct Placed {
        #[diesel(sql_type = Text)]
        name: String,
    }
    let placed: Vec<Placed> =
        diesel::sql_query("SELECT logicalrelid::regclass::text AS name FROM pg_dist_partition")
            .load(conn)?;
    let keys = foreign_keys(conn)?;
    let plan = plan(conn)?;
    let mut count = 0;
    for (table, placement) in &plan {
        if placed.iter().any(|p| p.name == *table) {
            continue;
        }
        if *placement == Placement::Reference {
            // A reference table may not reference a distributed one: `tenant_names` keeps its
            // names unique without its key to `tenants`, whose row is written in the same
            // transaction.
            let distributed =
                |t: &str| plan.iter().any(|(p, how)| p == t && *how != Placement::Reference);
            for key in keys.iter().filter(|k| k.table == *table && distributed(&k.references)) {
                conn.batch_execute(&format!("ALTER TABLE {table} DROP CONSTRAINT {}", key.name))?;
            }
        }
        tracing::info!(table, ?placement, "placing a table on the Citus cluster");
        conn.batch_execute(&statement(table, placement))?;
        count += 1;
    }
    Ok(count)
}
