//! Idempotency keys: a claim per (tenant, key), and the response kept for replays.

use chrono::Duration;
use diesel::prelude::*;
use uuid::Uuid;

use crate::error::Error;
use crate::store::schema::idempotency_keys;
use crate::store::{from_json, now, to_json, DbConn};

/// How long a key is kept: "at least 24 hours", with a margin.
pub const KEPT_FOR_HOURS: i64 = 48;

/// A response kept for replays.
#[derive(Debug, Clone)]
pub struct Stored {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

#[derive(Debug)]
pub enum Claim {
    /// The key is ours: run the request.
    Fresh,
    /// The same request ran before: answer what it answered.
    Replay(Stored),
    /// The same request is running now.
    Running,
    /// The key was used with another request.
    Mismatch,
}

type Row = (String, String, Option<i32>, Option<String>, Option<String>);

/// The advisory lock a process holds on PostgreSQL while it lives (`Db::hold_owner_lock`):
/// both halves of its owner id folded into the lock's 64 bits.
pub fn owner_lock_key(owner: Uuid) -> i64 {
    let (high, low) = owner.as_u64_pair();
    (high ^ low) as i64
}

/// Whether the process that claimed a key still lives. On PostgreSQL: whether its owner lock
/// is held (trying it takes it if not, so it is let go at once). On SQLite one process serves
/// a database file, so another owner is a process that died.
fn owner_alive(conn: &mut DbConn, owner: &str) -> Result<bool, Error> {
    let DbConn::Pg(pg) = conn else { return Ok(false) };
    let Ok(owner) = Uuid::parse_str(owner) else { return Ok(false) };
    #[derive(QueryableByName)]
    struct Tried {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        taken: bool,
    }
    let key = owner_lock_key(owner);
    let tried: Tried = diesel::sql_query("SELECT pg_try_advisory_lock($1) AS taken")
        .bind::<diesel::sql_types::BigInt, _>(key)
        .get_result(pg)?;
    if tried.taken {
        diesel::sql_query("SELECT pg_advisory_unlock($1)")
            .bind::<diesel::sql_types::BigInt, _>(key)
            .execute(pg)?;
    }
    Ok(!tried.taken)
}

/// Claims `key` for the request with `hash` on behalf of `owner` (this process).
pub fn claim(
    conn: &mut DbConn,
    tenant: Uuid,
    key: &str,
    hash: &str,
    owner: Uuid,
) -> Result<Claim, Error> {
    let t = tenant.to_string();
    let at = now();
    diesel::delete(
        idempotency_keys::table
            .filter(idempotency_keys::tenant_id.eq(&t))
            .filter(idempotency_keys::created_at.lt(at - Duration::hours(KEPT_FOR_HOURS))),
    )
    .execute(conn)?;
    let found: Option<Row> = idempotency_keys::table
        .filter(idempotency_keys::tenant_id.eq(&t))
        .filter(idempotency_keys::idempotency_key.eq(key))
        .select((
            idempotency_keys::request_hash,
            idempotency_keys::owner,
            idempotency_keys::status,
            idempotency_keys::response_headers,
            idempotency_keys::response_body,
        ))
        .first(conn)
        .optional()?;
    let Some((stored_hash, stored_owner, status, headers, body)) = found else {
        diesel::insert_into(idempotency_keys::table)
            .values((
                idempotency_keys::tenant_id.eq(&t),
                idempotency_keys::idempotency_key.eq(key),
                idempotency_keys::request_hash.eq(hash),
                idempotency_keys::owner.eq(owner.to_string()),
                idempotency_keys::created_at.eq(at),
            ))
            .execute(conn)?;
        return Ok(Claim::Fresh);
    };
    if stored_hash != hash {
        return Ok(Claim::Mismatch);
    }
    match status {
        Some(status) => Ok(Claim::Replay(Stored {
            status: status.clamp(0, 999) as u16,
            headers: from_json(headers.as_deref().unwrap_or("[]"))?,
            body: body.unwrap_or_default(),
        })),
        None if stored_owner == owner.to_string() => Ok(Claim::Running),
        None if owner_alive(conn, &stored_owner)? => Ok(Claim::Running),
        None => {
            // Claimed by a process that is gone (it died before answering): its transaction
            // never committed, so the request runs again here.
            diesel::update(
                idempotency_keys::table
                    .filter(idempotency_keys::tenant_id.eq(&t))
                    .filter(idempotency_keys::idempotency_key.eq(key)),
            )
            .set(idempotency_keys::owner.eq(owner.to_string()))
            .execute(conn)?;
            Ok(Claim::Fresh)
        }
    }
}

/// Keeps the response of the request that claimed `key`.
pub fn complete(conn: &mut DbConn, tenant: Uuid, key: &str, stored: &Stored) -> Result<(), Error> {
    diesel::update(
        idempotency_keys::table
            .filter(idempotency_keys::tenant_id.eq(tenant.to_string()))
            .filter(idempotency_keys::idempotency_key.eq(key)),
    )
    .set((
        idempotency_keys::status.eq(Some(i32::from(stored.status))),
        idempotency_keys::response_headers.eq(Some(to_json(&stored.headers)?)),
        idempotency_keys::response_body.eq(Some(&stored.body)),
        idempotency_keys::completed_at.eq(Some(now())),
    ))
    .execute(conn)?;
    Ok(())
}

/// Gives `key` up (the request failed on our side): a retry runs it again.
pub fn release(conn: &mut DbConn, tenant: Uuid, key: &str) -> Result<(), Error> {
    diesel::delete(
        idempotency_keys::table
            .filter(idempotency_keys::tenant_id.eq(tenant.to_string()))
            .filter(idempotency_keys::idempotency_key.eq(key)),
    )
    .execute(conn)?;
    Ok(())
}
