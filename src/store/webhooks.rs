//! Webhook subscriptions: what each wants and where it stands in the change feed. Delivery
//! rounds over them (leases, attempts, the log) are `deliveries.rs`.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use uuid::Uuid;

use crate::domain::sync::Entity;
use crate::domain::tenant::TenantId;
use crate::error::Error;
use crate::store::schema::{webhook_deliveries, webhooks};
use crate::store::{
    changes, from_json, now, parse_id, retention, split_page, to_json, DbConn, PageRequest,
};

#[derive(Debug, Clone)]
pub struct Webhook {
    pub tenant_id: TenantId,
    pub id: Uuid,
    pub url: String,
    /// Entity types delivered; empty for all.
    pub entities: Vec<Entity>,
    pub secret: String,
    pub active: bool,
    /// The last change delivered or given up on.
    pub cursor: i64,
    /// Failed attempts at the change after the cursor.
    pub failures: i32,
    pub next_attempt_at: NaiveDateTime,
    pub version: i64,
    pub created_at: NaiveDateTime,
}

pub(super) type Row =
    (String, String, String, String, String, bool, i64, i32, NaiveDateTime, i64, NaiveDateTime);

pub(super) fn columns() -> (
    webhooks::tenant_id,
    webhooks::id,
    webhooks::url,
    webhooks::entities,
    webhooks::secret,
    webhooks::active,
    webhooks::cursor,
    webhooks::failures,
    webhooks::next_attempt_at,
    webhooks::version,
    webhooks::created_at,
) {
    use webhooks::*;
    (
        tenant_id,
        id,
        url,
        entities,
        secret,
        active,
        cursor,
        failures,
        next_attempt_at,
        version,
        created_at,
    )
}

pub(super) fn webhook(row: Row) -> Result<Webhook, Error> {
    let (tenant, id, url, entities, secret, active, cursor, failures, next, version, created) = row;
    Ok(Webhook {
        tenant_id: TenantId(parse_id(&tenant)?),
        id: parse_id(&id)?,
        url,
        entities: from_json(&entities)?,
        secret,
        active,
        cursor,
        failures,
        next_attempt_at: next,
        version,
        created_at: created,
    })
}

pub struct NewWebhook {
    pub url: String,
    pub entities: Vec<Entity>,
    pub secret: String,
    pub active: bool,
}

/// Subscribes; delivery starts with the changes committed after now.
pub fn create(conn: &mut DbConn, tenant: TenantId, new: &NewWebhook) -> Result<Webhook, Error> {
    let id = Uuid::now_v7();
    let at = now();
    let cursor = changes::head(conn, tenant)?;
    diesel::insert_into(webhooks::table)
        .values((
            webhooks::tenant_id.eq(tenant),
            webhooks::id.eq(id.to_string()),
            webhooks::url.eq(&new.url),
            webhooks::entities.eq(to_json(&new.entities)?),
            webhooks::secret.eq(&new.secret),
            webhooks::active.eq(new.active),
            webhooks::cursor.eq(cursor),
            webhooks::failures.eq(0),
            webhooks::next_attempt_at.eq(at),
            webhooks::version.eq(1),
            webhooks::created_at.eq(at),
            webhooks::updated_at.eq(at),
        ))
        .execute(conn)?;
    find(conn, tenant, id)
}

pub fn find(conn: &mut DbConn, tenant: TenantId, id: Uuid) -> Result<Webhook, Error> {
    let row: Row = webhooks::table
        .filter(webhooks::tenant_id.eq(tenant))
        .filter(webhooks::id.eq(id.to_string()))
        .select(columns())
        .first(conn)?;
    webhook(row)
}

pub fn list(
    conn: &mut DbConn,
    tenant: TenantId,
    page: PageRequest<Uuid>,
) -> Result<(Vec<Webhook>, bool), Error> {
    let mut query = webhooks::table
        .filter(webhooks::tenant_id.eq(tenant))
        .order(webhooks::id)
        .limit(page.limit as i64 + 1)
        .select(columns())
        .into_boxed();
    if let Some(after) = page.after {
        query = query.filter(webhooks::id.gt(after.to_string()));
    }
    let (rows, more) = split_page(query.load::<Row>(conn)?, page.limit);
    Ok((rows.into_iter().map(webhook).collect::<Result<_, _>>()?, more))
}

pub fn set_active(
    conn: &mut DbConn,
    tenant: TenantId,
    id: Uuid,
    active: bool,
) -> Result<Webhook, Error> {
    let current = find(conn, tenant, id)?;
    lock_version!(conn, webhooks, tenant, id, current.version)?;
    // A paused subscription does not hold the feed: resuming one whose next changes were
    // pruned meanwhile would skip them. The pruning turn is held while the horizon is read, so
    // no batch passes the cursor between this check and the commit.
    if active && !current.active {
        retention::hold_turn(conn, tenant)?;
    }
    if active && !current.active && current.cursor < retention::first_kept(conn, tenant)? - 1 {
        return Err(Error::Conflict {
            detail: "changes after this subscription's place in the feed were pruned while it \
                     was paused: delete it and subscribe anew (after resynchronising)"
                .into(),
            conflicting: vec![],
        });
    }
    diesel::update(
        webhooks::table
            .filter(webhooks::tenant_id.eq(tenant))
            .filter(webhooks::id.eq(id.to_string())),
    )
    .set((
        webhooks::active.eq(active),
        webhooks::failures.eq(0),
        webhooks::next_attempt_at.eq(now()),
        webhooks::version.eq(current.version + 1),
        webhooks::updated_at.eq(now()),
    ))
    .execute(conn)?;
    find(conn, tenant, id)
}

pub fn delete(conn: &mut DbConn, tenant: TenantId, id: Uuid) -> Result<(), Error> {
    find(conn, tenant, id)?;
    let (t, w) = (tenant.to_string(), id.to_string());
    diesel::delete(
        webhook_deliveries::table
            .filter(webhook_deliveries::tenant_id.eq(&t))
            .filter(webhook_deliveries::webhook_id.eq(&w)),
    )
    .execute(conn)?;
    diesel::delete(webhooks::table.filter(webhooks::tenant_id.eq(&t)).filter(webhooks::id.eq(&w)))
        .execute(conn)?;
    Ok(())
}
