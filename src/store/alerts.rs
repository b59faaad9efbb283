//! Managers' decisions about the alerts of coverage reports (see `domain::alert`): the last
//! decision of each alert, and every decision in order. Alerts themselves are not stored.

use std::collections::HashMap;

use chrono::NaiveDate;
use diesel::prelude::*;
use uuid::Uuid;

use crate::domain::alert::{AlertState, Decided, Decision};
use crate::domain::coverage::{enum_name, enum_parse};
use crate::domain::tenant::TenantId;
use crate::error::Error;
use crate::store::changes::{self, Entity, Operation};
use crate::store::schema::{alert_events, alert_states};
use crate::store::{first_write_raced, now, parse_id, versioned, DbConn, Expected};

/// An alert raised now, as a decision names it.
pub struct Raised<'a> {
    pub alert_id: Uuid,
    pub account_id: Uuid,
    pub alert_type: &'a str,
    pub condition: String,
}

/// One decision of an alert's history.
#[derive(Debug, Clone)]
pub struct Event {
    pub decision: Decision,
    pub condition: String,
    pub by: String,
    pub at: chrono::NaiveDateTime,
}

type EventRow =
    (String, String, String, Option<NaiveDate>, Option<String>, String, chrono::NaiveDateTime);

/// An alert's last decision as stored.
#[derive(Queryable, Selectable)]
#[diesel(table_name = alert_states)]
struct StateRow {
    alert_id: String,
    account_id: String,
    alert_type: String,
    condition: String,
    state: String,
    snoozed_until: Option<NaiveDate>,
    note: Option<String>,
    changed_by: String,
    changed_at: chrono::NaiveDateTime,
    version: i64,
}

fn decided_row(row: StateRow) -> Result<Decided, Error> {
    Ok(Decided {
        alert_id: parse_id(&row.alert_id)?,
        account_id: parse_id(&row.account_id)?,
        alert_type: row.alert_type,
        condition: row.condition,
        decision: Decision {
            state: state_of(&row.state)?,
            until: row.snoozed_until,
            note: row.note,
        },
        by: row.changed_by,
        at: row.changed_at,
        version: row.version,
    })
}

fn state_of(stored: &str) -> Result<AlertState, Error> {
    enum_parse(stored)
}

/// The last decision of each alert of the account that has one, by alert id.
pub fn decided(
    conn: &mut DbConn,
    tenant: TenantId,
    account: Uuid,
) -> Result<HashMap<Uuid, Decided>, Error> {
    let rows: Vec<StateRow> = alert_states::table
        .filter(alert_states::tenant_id.eq(tenant))
        .filter(alert_states::account_id.eq(account.to_string()))
        .select(StateRow::as_select())
        .load(conn)?;
    rows.into_iter().map(|row| decided_row(row).map(|d| (d.alert_id, d))).collect()
}

/// The last decision of one alert, if any.
fn decided_one(
    conn: &mut DbConn,
    tenant: TenantId,
    alert_id: Uuid,
) -> Result<Option<Decided>, Error> {
    let row: Option<StateRow> = alert_states::table
        .filter(alert_states::tenant_id.eq(tenant))
        .filter(alert_states::alert_id.eq(alert_id.to_string()))
        .select(StateRow::as_select())
        .first(conn)
        .optional()?;
    row.map(decided_row).transpose()
}

/// The last decision of each alert of the account as it was known at `known_at`.
pub fn decided_as_known(
    conn: &mut DbConn,
    tenant: TenantId,
    account: Uuid,
    known_at: chrono::NaiveDateTime,
) -> Result<HashMap<Uuid, Decided>, Error> {
    let latest = decided(conn, tenant, account)?;
    if latest.values().all(|d| d.at <= known_at) {
        return Ok(latest);
    }
    let ids: Vec<Uuid> = latest.keys().copied().collect();
    let mut history = history(conn, tenant, &ids)?;
    Ok(latest
        .into_values()
        .filter_map(|now| {
            let events: Vec<Event> = history
                .remove(&now.alert_id)
                .unwrap_or_default()
                .into_iter()
                .filter(|e| e.at <= known_at)
                .collect();
            let version = events.len() as i64;
            let then = events.into_iter().last()?;
            Some((
                now.alert_id,
                Decided {
                    condition: then.condition,
                    decision: then.decision,
                    by: then.by,
                    at: then.at,
                    version,
                    ..now
                },
            ))
        })
        .collect())
}

/// Every decision of these alerts, oldest first, by alert id.
pub fn history(
    conn: &mut DbConn,
    tenant: TenantId,
    alert_ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<Event>>, Error> {
    let ids: Vec<String> = alert_ids.iter().map(Uuid::to_string).collect();
    let rows: Vec<EventRow> = alert_events::table
        .filter(alert_events::tenant_id.eq(tenant))
        .filter(alert_events::alert_id.eq_any(ids))
        .order(alert_events::id)
        .select((
            alert_events::alert_id,
            alert_events::condition,
            alert_events::state,
            alert_events::snoozed_until,
            alert_events::note,
            alert_events::changed_by,
            alert_events::changed_at,
        ))
        .load(conn)?;
    let mut found: HashMap<Uuid, Vec<Event>> = HashMap::new();
    for (alert_id, condition, state, until, note, by, at) in rows {
        found.entry(parse_id(&alert_id)?).or_default().push(Event {
            decision: Decision { state: state_of(&state)?, until, note },
            condition,
            by,
            at,
        });
    }
    Ok(found)
}

/// Records a manager's decision about an alert raised now, checked against the version of
/// its last decision (`If-Match`; 0 before any), and reports it in the change feed.
pub fn decide(
    conn: &mut DbConn,
    tenant: TenantId,
    alert: &Raised<'_>,
    decision: &Decision,
    expected: &Expected,
) -> Result<Decided, Error> {
    let current = decided_one(conn, tenant, alert.alert_id)?;
    let version = current.as_ref().map_or(0, |d| d.version);
    expected.check(version)?;
    let (by, at) = (changes::current_actor().author(), now());
    let id = alert.alert_id.to_string();
    let fields = (
        alert_states::condition.eq(&alert.condition),
        alert_states::state.eq(enum_name(&decision.state)),
        alert_states::snoozed_until.eq(decision.until),
        alert_states::note.eq(decision.note.as_deref()),
        alert_states::changed_by.eq(&by),
        alert_states::changed_at.eq(at),
        alert_states::version.eq(version + 1),
    );
    if current.is_none() {
        diesel::insert_into(alert_states::table)
            .values((
                alert_states::tenant_id.eq(tenant),
                alert_states::alert_id.eq(&id),
                alert_states::account_id.eq(alert.account_id.to_string()),
                alert_states::alert_type.eq(alert.alert_type),
                fields,
            ))
            .execute(conn)
            // Two first decisions at once: the one that lost runs again as an update.
            .map_err(first_write_raced)?;
    } else {
        let rows = diesel::update(
            alert_states::table
                .filter(alert_states::tenant_id.eq(tenant))
                .filter(alert_states::alert_id.eq(&id))
                .filter(alert_states::version.eq(version)),
        )
        .set(fields)
        .execute(conn)?;
        versioned(rows)?;
    }
    diesel::insert_into(alert_events::table)
        .values((
            alert_events::tenant_id.eq(tenant),
            alert_events::id.eq(Uuid::now_v7().to_string()),
            alert_events::alert_id.eq(&id),
            alert_events::condition.eq(&alert.condition),
            alert_events::state.eq(enum_name(&decision.state)),
            alert_events::snoozed_until.eq(decision.until),
            alert_events::note.eq(decision.note.as_deref()),
            alert_events::changed_by.eq(&by),
            alert_events::changed_at.eq(at),
        ))
        .execute(conn)?;
    let operation = if current.is_none() { Operation::Create } else { Operation::Update };
    changes::record(conn, tenant, Entity::Alert, alert.alert_id, operation)?;
    decided_one(conn, tenant, alert.alert_id)?.ok_or(Error::NotFound)
}

/// Erasure: the notes of every decision about one of `alert_ids` or naming `person` in its
/// condition (a salesperson's id) go; who decided what, and when, stay.
pub fn forget_notes(
    conn: &mut DbConn,
    tenant: TenantId,
    alert_ids: &[Uuid],
    person: Uuid,
) -> Result<(), Error> {
    let naming = format!("%{person}%");
    for chunk in alert_ids.chunks(1000) {
        let ids: Vec<String> = chunk.iter().map(Uuid::to_string).collect();
        diesel::update(
            alert_states::table
                .filter(alert_states::tenant_id.eq(tenant))
                .filter(alert_states::alert_id.eq_any(&ids)),
        )
        .set(alert_states::note.eq(None::<String>))
        .execute(conn)?;
        diesel::update(
            alert_events::table
                .filter(alert_events::tenant_id.eq(tenant))
                .filter(alert_events::alert_id.eq_any(&ids)),
        )
        .set(alert_events::note.eq(None::<String>))
        .execute(conn)?;
    }
    diesel::update(
        alert_states::table
            .filter(alert_states::tenant_id.eq(tenant))
            .filter(alert_states::condition.like(&naming)),
    )
    .set(alert_states::note.eq(None::<String>))
    .execute(conn)?;
    diesel::update(
        alert_events::table
            .filter(alert_events::tenant_id.eq(tenant))
            .filter(alert_events::condition.like(&naming)),
    )
    .set(alert_events::note.eq(None::<String>))
    .execute(conn)?;
    Ok(())
}

/// The accounts with decisions about their alerts.
pub fn decided_accounts(conn: &mut DbConn, tenant: TenantId) -> Result<Vec<Uuid>, Error> {
    let ids: Vec<String> = alert_states::table
        .filter(alert_states::tenant_id.eq(tenant))
        .select(alert_states::account_id)
        .distinct()
        .load(conn)?;
    ids.iter().map(|id| parse_id(id)).collect()
}
