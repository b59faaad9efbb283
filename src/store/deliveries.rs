//! Delivery rounds over webhook subscriptions: the lease an instance claims a subscription
//! under, each attempt's record that moves the subscription's cursor, and the delivery log.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use uuid::Uuid;

use crate::domain::tenant::TenantId;
use crate::error::Error;
use crate::store::schema::{feed_heads, webhook_deliveries, webhooks};
use crate::store::webhooks::{columns, find, webhook, Row, Webhook};
use crate::store::{now, parse_id, split_page, DbConn, PageRequest};

/// A subscription claimed for one round, with the lease's token: only that round's writes
/// (`record`, `release`) match it, so a round that outlived its lease can neither move the
/// cursor nor free the lease of the round that took over.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub hook: Webhook,
    pub lease: String,
}

/// Claims up to `limit` active subscriptions, of every tenant, whose next attempt is due and
/// whose lease is free or has expired, each under a token of its own until `lease` from now;
/// no other round takes them meanwhile. The claim is a conditional update that also checks the
/// row is still as read (due, active, at the same cursor), so of instances claiming at once one
/// wins each subscription, and a round never starts from a cursor another has moved since.
pub fn claim_due(
    conn: &mut DbConn,
    at: NaiveDateTime,
    lease: Duration,
    limit: i64,
) -> Result<Vec<Claimed>, Error> {
    let rows: Vec<Row> = webhooks::table
        .filter(webhooks::active.eq(true))
        .filter(webhooks::next_attempt_at.le(at))
        .filter(webhooks::lease_until.is_null().or(webhooks::lease_until.le(at)))
        // One order for every instance, so that claims at once do not deadlock.
        .order((webhooks::next_attempt_at, webhooks::tenant_id, webhooks::id))
        .limit(limit)
        .select(columns())
        .load(conn)?;
    let mut claimed = Vec::with_capacity(rows.len());
    for row in rows {
        let token = Uuid::new_v4().to_string();
        let taken = diesel::update(
            webhooks::table
                .filter(webhooks::tenant_id.eq(&row.0))
                .filter(webhooks::id.eq(&row.1))
                .filter(webhooks::active.eq(true))
                .filter(webhooks::cursor.eq(row.6))
                .filter(webhooks::next_attempt_at.le(at))
                .filter(webhooks::lease_until.is_null().or(webhooks::lease_until.le(at))),
        )
        .set((webhooks::lease_owner.eq(&token), webhooks::lease_until.eq(at + lease)))
        .execute(conn)?;
        if taken == 1 {
            claimed.push(Claimed { hook: webhook(row)?, lease: token });
        }
    }
    Ok(claimed)
}

/// Lets a claimed subscription go, for any round to claim when it is next due.
pub fn release(conn: &mut DbConn, claimed: &Claimed) -> Result<(), Error> {
    diesel::update(
        webhooks::table
            .filter(webhooks::tenant_id.eq(claimed.hook.tenant_id))
            .filter(webhooks::id.eq(claimed.hook.id.to_string()))
            .filter(webhooks::lease_owner.eq(&claimed.lease)),
    )
    .set((
        webhooks::lease_owner.eq(None::<String>),
        webhooks::lease_until.eq(None::<NaiveDateTime>),
    ))
    .execute(conn)?;
    Ok(())
}

/// What one delivery attempt came to.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub change_seq: i64,
    pub event_id: String,
    pub status: Option<u16>,
    pub error: Option<String>,
    pub duration_ms: i64,
    pub outcome: Outcome,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Delivered,
    /// Tried again later (5xx, 429, timeout, no connection).
    Retry,
    /// Refused for good (another 4xx): skipped.
    Failed,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Delivered => "delivered",
            Outcome::Retry => "retry",
            Outcome::Failed => "failed",
        }
    }
}

/// Logs an attempt and moves the subscription on: past the change when delivered or failed
/// for good, to a later try (`retry_in`) otherwise. Only while the round still holds its lease,
/// the subscription is active and at the cursor the attempt started from (so it is never set
/// back); otherwise nothing is written and `false` says the round is over.
pub fn record(
    conn: &mut DbConn,
    claimed: &Claimed,
    attempt: &Attempt,
    retry_in: Duration,
) -> Result<bool, Error> {
    let hook = &claimed.hook;
    let (t, w) = (hook.tenant_id.to_string(), hook.id.to_string());
    let at = now();
    let target = webhooks::table
        .filter(webhooks::tenant_id.eq(&t))
        .filter(webhooks::id.eq(&w))
        .filter(webhooks::cursor.eq(hook.cursor))
        .filter(webhooks::active.eq(true))
        .filter(webhooks::lease_owner.eq(&claimed.lease));
    let moved = match attempt.outcome {
        Outcome::Delivered | Outcome::Failed => diesel::update(target)
            .set((
                webhooks::cursor.eq(attempt.change_seq),
                webhooks::failures.eq(0),
                webhooks::next_attempt_at.eq(at),
            ))
            .execute(conn)?,
        Outcome::Retry => diesel::update(target)
            .set((
                webhooks::failures.eq(hook.failures + 1),
                webhooks::next_attempt_at.eq(at + retry_in),
            ))
            .execute(conn)?,
    };
    if moved == 0 {
        return Ok(false);
    }
    diesel::insert_into(webhook_deliveries::table)
        .values((
            webhook_deliveries::tenant_id.eq(&t),
            webhook_deliveries::id.eq(Uuid::now_v7().to_string()),
            webhook_deliveries::webhook_id.eq(&w),
            webhook_deliveries::change_seq.eq(attempt.change_seq),
            webhook_deliveries::event_id.eq(&attempt.event_id),
            webhook_deliveries::attempt.eq(hook.failures + 1),
            webhook_deliveries::status.eq(attempt.status.map(i32::from)),
            webhook_deliveries::error.eq(&attempt.error),
            webhook_deliveries::outcome.eq(attempt.outcome.as_str()),
            webhook_deliveries::duration_ms.eq(attempt.duration_ms),
            webhook_deliveries::attempted_at.eq(at),
        ))
        .execute(conn)?;
    Ok(true)
}

/// Nothing to deliver: look again after `later`.
pub fn idle(conn: &mut DbConn, hook: &Webhook, later: Duration) -> Result<(), Error> {
    diesel::update(
        webhooks::table
            .filter(webhooks::tenant_id.eq(hook.tenant_id))
            .filter(webhooks::id.eq(hook.id.to_string()))
            .filter(webhooks::cursor.eq(hook.cursor)),
    )
    .set(webhooks::next_attempt_at.eq(now() + later))
    .execute(conn)?;
    Ok(())
}

#[derive(Debug, Clone)]
pub struct Delivery {
    pub id: Uuid,
    pub change_seq: i64,
    pub event_id: String,
    pub attempt: i32,
    pub status: Option<i32>,
    pub error: Option<String>,
    pub outcome: String,
    pub duration_ms: i64,
    pub attempted_at: NaiveDateTime,
}

/// The delivery log of a subscription, oldest first.
pub fn deliveries(
    conn: &mut DbConn,
    tenant: TenantId,
    webhook: Uuid,
    page: PageRequest<Uuid>,
) -> Result<(Vec<Delivery>, bool), Error> {
    find(conn, tenant, webhook)?;
    let mut query = webhook_deliveries::table
        .filter(webhook_deliveries::tenant_id.eq(tenant))
        .filter(webhook_deliveries::webhook_id.eq(webhook.to_string()))
        .order(webhook_deliveries::id)
        .limit(page.limit as i64 + 1)
        .select((
            webhook_deliveries::id,
            webhook_deliveries::change_seq,
            webhook_deliveries::event_id,
            webhook_deliveries::attempt,
            webhook_deliveries::status,
            webhook_deliveries::error,
            webhook_deliveries::outcome,
            webhook_deliveries::duration_ms,
            webhook_deliveries::attempted_at,
        ))
        .into_boxed();
    if let Some(after) = page.after {
        query = query.filter(webhook_deliveries::id.gt(after.to_string()));
    }
    type DeliveryRow =
        (String, i64, String, i32, Option<i32>, Option<String>, String, i64, NaiveDateTime);
    let (rows, more) = split_page(query.load::<DeliveryRow>(conn)?, page.limit);
    let found = rows
        .into_iter()
        .map(|(id, seq, event, attempt, status, error, outcome, ms, at)| {
            Ok(Delivery {
                id: parse_id(&id)?,
                change_seq: seq,
                event_id: event,
                attempt,
                status,
                error,
                outcome,
                duration_ms: ms,
                attempted_at: at,
            })
        })
        .collect::<Result<_, Error>>()?;
    Ok((found, more))
}

/// Moves past a change the subscription does not want.
pub fn skip(conn: &mut DbConn, hook: &Webhook, change_seq: i64) -> Result<(), Error> {
    diesel::update(
        webhooks::table
            .filter(webhooks::tenant_id.eq(hook.tenant_id))
            .filter(webhooks::id.eq(hook.id.to_string()))
            .filter(webhooks::cursor.eq(hook.cursor)),
    )
    .set(webhooks::cursor.eq(change_seq))
    .execute(conn)?;
    Ok(())
}

/// Changes not yet passed by the active subscriptions, summed over all tenants (for metrics;
/// changes a subscription's entity filter leaves out count until it passes them).
pub fn backlog(conn: &mut DbConn) -> Result<i64, Error> {
    let rows: Vec<(i64, i64)> = webhooks::table
        .inner_join(feed_heads::table.on(feed_heads::tenant_id.eq(webhooks::tenant_id)))
        .filter(webhooks::active.eq(true))
        .select((feed_heads::change_seq, webhooks::cursor))
        .load(conn)?;
    Ok(rows.iter().map(|(latest, cursor)| (latest - cursor).max(0)).sum())
}
