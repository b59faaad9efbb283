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

/// Every table of the current schema and how it is placed, `tenants` first (the others are
/// colocated with it).
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
         ORDER BY c.relname <> 'tenants', c.relname",
    )
    .load(conn)?;
    Ok(tables
        .into_iter()
        .map(|t| {
            let placement = match (t.name.as_str(), t.tenant_first) {
                ("tenants", _) => Placement::Distributed { column: "id" },
                (_, true) => Placement::Distributed { column: "tenant_id" },
                (_, false) => Placement::Reference,
            };
            (t.name, placement)
        })
        .collect())
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
    let mut count = 0;
    for (table, placement) in plan(conn)? {
        if placed.iter().any(|p| p.name == table) {
            continue;
        }
        tracing::info!(table, ?placement, "placing a table on the Citus cluster");
        conn.batch_execute(&statement(&table, &placement))?;
        count += 1;
    }
    Ok(count)
}
