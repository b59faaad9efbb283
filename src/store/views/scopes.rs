//! Scopes of bulk reads (the export, the crafting index's rebuild): which tenures, and which
//! posts they hold, a walk covers.

use diesel::prelude::*;
use uuid::Uuid;

use crate::domain::tenant::TenantId;
use crate::error::Error;
use crate::store::schema::{posts, tenures};
use crate::store::tenures::{Row, Tenure};
use crate::store::{parse_id, DbConn};

/// Which tenures a bulk read walks.
#[derive(Debug, Clone)]
pub enum ExportScope {
    Tenant,
    /// Tenures of posts in these organizations.
    Organizations(Vec<String>),
    /// One person's career.
    Person(Uuid),
}

type Condition = Box<
    dyn BoxableExpression<
        tenures::table,
        <DbConn as diesel::Connection>::Backend,
        SqlType = diesel::sql_types::Bool,
    >,
>;

/// The tenures a scope covers, within the tenant.
fn in_scope(tenant: TenantId, scope: &ExportScope) -> Condition {
    let of_tenant = tenures::tenant_id.eq(tenant);
    match scope {
        ExportScope::Tenant => Box::new(of_tenant),
        ExportScope::Person(person) => {
            Box::new(of_tenant.and(tenures::person_id.eq(person.to_string())))
        }
        ExportScope::Organizations(orgs) => Box::new(
            of_tenant.and(
                tenures::post_id.eq_any(
                    posts::table
                        .filter(posts::tenant_id.eq(tenant))
                        .filter(posts::organization_id.eq_any(orgs.clone()))
                        .select(posts::id),
                ),
            ),
        ),
    }
}

/// A stretch of a scope in id order: from `from` on and up to `to` (both inclusive) where
/// given, at most `limit` where given.
#[derive(Debug, Clone, Copy, Default)]
pub struct Stretch {
    pub from: Option<Uuid>,
    pub to: Option<Uuid>,
    pub limit: Option<usize>,
}

/// `query` narrowed to `stretch` of `column` (a text id), in the column's order: one
/// definition of a stretch for each of the reads below, which select different columns.
macro_rules! in_stretch {
    ($query:expr, $column:expr, $stretch:expr) => {{
        let (mut query, stretch): (_, Stretch) = ($query, $stretch);
        if let Some(from) = stretch.from {
            query = query.filter($column.ge(from.to_string()));
        }
        if let Some(to) = stretch.to {
            query = query.filter($column.le(to.to_string()));
        }
        if let Some(limit) = stretch.limit {
            query = query.limit(limit as i64);
        }
        query.order($column)
    }};
}

/// Tenures in scope in id order, in `stretch`.
pub fn tenures_in_scope(
    conn: &mut DbConn,
    tenant: TenantId,
    scope: &ExportScope,
    stretch: Stretch,
) -> Result<Vec<Tenure>, Error> {
    let query =
        tenures::table.filter(in_scope(tenant, scope)).select(Row::as_select()).into_boxed();
    let rows: Vec<Row> = in_stretch!(query, tenures::id, stretch).load(conn)?;
    rows.into_iter().map(Row::into_tenure).collect()
}

/// The ids of `tenures_in_scope`: where a page of them ends.
pub fn tenure_ids_in_scope(
    conn: &mut DbConn,
    tenant: TenantId,
    scope: &ExportScope,
    stretch: Stretch,
) -> Result<Vec<Uuid>, Error> {
    let query = tenures::table.filter(in_scope(tenant, scope)).select(tenures::id).into_boxed();
    let ids: Vec<String> = in_stretch!(query, tenures::id, stretch).load(conn)?;
    ids.iter().map(|id| parse_id(id)).collect()
}

/// Posts held by tenures in scope, in id order, in `stretch`.
pub fn posts_in_scope(
    conn: &mut DbConn,
    tenant: TenantId,
    scope: &ExportScope,
    stretch: Stretch,
) -> Result<Vec<Uuid>, Error> {
    let query = tenures::table
        .filter(in_scope(tenant, scope))
        .select(tenures::post_id)
        .distinct()
        .into_boxed();
    let ids: Vec<String> = in_stretch!(query, tenures::post_id, stretch).load(conn)?;
    ids.iter().map(|id| parse_id(id)).collect()
}
