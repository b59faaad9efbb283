//! The audit log: every committed write made with an API key, attributable to the key (id and
//! name, never its secret), the origin and the time, written in the write's own transaction.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use uuid::Uuid;

use crate::domain::tenant::TenantId;
use crate::error::Error;
use crate::store::changes::Actor;
use crate::store::schema::audit_log;
use crate::store::{now, parse_id, split_page, DbConn, PageRequest};

#[derive(Debug, Clone)]
pub struct AuditEntry {
    pub id: Uuid,
    pub at: NaiveDateTime,
    pub key_id: Uuid,
    pub key_name: String,
    pub origin: String,
    pub action: String,
    /// The change-feed number of the write's first change; its changes are numbered
    /// consecutively from there.
    pub first_change: Option<i64>,
    pub change_count: i64,
}

/// Records the write of `actor`'s request (nothing for the system's own writes); `numbered`:
/// the change numbers the write took, per tenant, as `changes::flush` answers.
pub fn record(
    conn: &mut DbConn,
    actor: &Actor,
    numbered: &[(TenantId, i64, i64)],
) -> Result<(), Error> {
    let Some(request) = &actor.request else { return Ok(()) };
    let took = numbered.iter().find(|(tenant, _, _)| *tenant == request.tenant_id);
    diesel::insert_into(audit_log::table)
        .values((
            audit_log::tenant_id.eq(request.tenant_id),
            audit_log::id.eq(Uuid::now_v7().to_string()),
            audit_log::at.eq(now()),
            audit_log::key_id.eq(request.key_id.to_string()),
            audit_log::key_name.eq(&request.key_name),
            audit_log::origin.eq(&actor.origin),
            audit_log::action.eq(&request.action),
            audit_log::first_change.eq(took.map(|(_, first, _)| *first)),
            audit_log::change_count.eq(took.map_or(0, |(_, _, count)| *count)),
        ))
        .execute(conn)?;
    Ok(())
}

/// The tenant's audit log, oldest first; only one key's writes when `key` is given.
pub fn list(
    conn: &mut DbConn,
    tenant: TenantId,
    key: Option<Uuid>,
    page: PageRequest<Uuid>,
) -> Result<(Vec<AuditEntry>, bool), Error> {
    let mut query = audit_log::table
        .filter(audit_log::tenant_id.eq(tenant))
        .order(audit_log::id)
        .limit(page.limit as i64 + 1)
        .select((
            audit_log::id,
            audit_log::at,
            audit_log::key_id,
            audit_log::key_name,
            audit_log::origin,
            audit_log::action,
            audit_log::first_change,
            audit_log::change_count,
        ))
        .into_boxed();
    if let Some(key) = key {
        query = query.filter(audit_log::key_id.eq(key.to_string()));
    }
    if let Some(after) = page.after {
        query = query.filter(audit_log::id.gt(after.to_string()));
    }
    type Row = (String, NaiveDateTime, String, String, String, String, Option<i64>, i64);
    let (rows, more) = split_page(query.load::<Row>(conn)?, page.limit);
    let entries = rows
        .into_iter()
        .map(|(id, at, key_id, key_name, origin, action, first_change, change_count)| {
            Ok(AuditEntry {
                id: parse_id(&id)?,
                at,
                key_id: parse_id(&key_id)?,
                key_name,
                origin,
                action,
                first_change,
                change_count,
            })
        })
        .collect::<Result<_, Error>>()?;
    Ok((entries, more))
}
