//! Idempotency keys: the answer to a request kept under (tenant, API key, key), written in the
//! same transaction as the request's own write (see `http::idempotency`).

use chrono::NaiveDateTime;
use diesel::prelude::*;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::domain::tenant::TenantId;
use crate::error::Error;
use crate::store::schema::idempotency_keys;
use crate::store::{from_json, now, retention, to_json, DbConn};

/// Whose key: a tenant's API key, and the key it sent.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct KeyOf {
    pub tenant: TenantId,
    pub api_key: Uuid,
    pub key: String,
}

/// A response kept for replays.
#[derive(Debug, Clone)]
pub struct Stored {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

#[derive(Debug)]
pub enum Claim {
    /// Nothing is kept under the key: run the request.
    Fresh,
    /// The same request ran before: answer what it answered.
    Replay(Stored),
    /// The same key is being used by a request running now (on another instance).
    Running,
    /// The key was used with another request.
    Mismatch,
}

/// When the answers a tenant keeps begin: its window (`Retention::idempotency_hours`) back
/// from a request's start, read once for the request's look, claim and answer.
#[derive(Debug, Clone, Copy)]
pub struct KeptSince(NaiveDateTime);

pub fn kept_since(conn: &mut DbConn, tenant: TenantId) -> Result<KeptSince, Error> {
    Ok(KeptSince(retention::settings(conn, tenant)?.cutoffs(now()).idempotency))
}

/// What is kept under `key` for a request with `hash`, as a plain read: within the tenant's
/// window. Keys past it are pruned off the request path (`store::retention`); one not pruned
/// yet is not answered.
pub fn lookup(
    conn: &mut DbConn,
    key: &KeyOf,
    hash: &str,
    KeptSince(kept_since): KeptSince,
) -> Result<Claim, Error> {
    let found: Option<(String, i32, String, String)> = idempotency_keys::table
        .filter(idempotency_keys::tenant_id.eq(key.tenant))
        .filter(idempotency_keys::api_key_id.eq(key.api_key.to_string()))
        .filter(idempotency_keys::idempotency_key.eq(&key.key))
        .filter(idempotency_keys::created_at.ge(kept_since))
        .select((
            idempotency_keys::request_hash,
            idempotency_keys::status,
            idempotency_keys::response_headers,
            idempotency_keys::response_body,
        ))
        .first(conn)
        .optional()?;
    Ok(match found {
        None => Claim::Fresh,
        Some((stored_hash, ..)) if stored_hash != hash => Claim::Mismatch,
        Some((_, status, headers, body)) => Claim::Replay(Stored {
            status: status.clamp(0, 999) as u16,
            headers: from_json(&headers)?,
            body,
        }),
    })
}

/// Inside the request's write transaction: takes the key for this transaction (PostgreSQL: a
/// transaction advisory lock, so an instance running the same key now is `Running`), then
/// looks again, since another request may have committed an answer since the first look.
pub fn claim(
    conn: &mut DbConn,
    key: &KeyOf,
    hash: &str,
    kept_since: KeptSince,
) -> Result<Claim, Error> {
    if let DbConn::Pg(pg) = conn {
        #[derive(QueryableByName)]
        struct Tried {
            #[diesel(sql_type = diesel::sql_types::Bool)]
            taken: bool,
        }
        let tried: Tried = diesel::sql_query("SELECT pg_try_advisory_xact_lock($1) AS taken")
            .bind::<diesel::sql_types::BigInt, _>(lock_key(key))
            .get_result(pg)?;
        if !tried.taken {
            return Ok(Claim::Running);
        }
    }
    lookup(conn, key, hash, kept_since)
}

/// Keeps the answer, in the transaction of the request's write (or alone, for a request that
/// wrote nothing).
pub fn keep(
    conn: &mut DbConn,
    key: &KeyOf,
    hash: &str,
    stored: &Stored,
    KeptSince(kept_since): KeptSince,
) -> Result<(), Error> {
    let (tenant, at) = (key.tenant.to_string(), now());
    // The key's answer past the window, if not pruned yet, gives way to this one; an answer
    // within it stays, and the insert fails on the key (a claim another node did not see).
    diesel::delete(
        idempotency_keys::table
            .filter(idempotency_keys::tenant_id.eq(&tenant))
            .filter(idempotency_keys::api_key_id.eq(key.api_key.to_string()))
            .filter(idempotency_keys::idempotency_key.eq(&key.key))
            .filter(idempotency_keys::created_at.lt(kept_since)),
    )
    .execute(conn)?;
    diesel::insert_into(idempotency_keys::table)
        .values((
            idempotency_keys::tenant_id.eq(&tenant),
            idempotency_keys::api_key_id.eq(key.api_key.to_string()),
            idempotency_keys::idempotency_key.eq(&key.key),
            idempotency_keys::request_hash.eq(hash),
            idempotency_keys::status.eq(i32::from(stored.status)),
            idempotency_keys::response_headers.eq(to_json(&stored.headers)?),
            idempotency_keys::response_body.eq(&stored.body),
            idempotency_keys::created_at.eq(at),
        ))
        .execute(conn)?;
    Ok(())
}

/// The advisory lock of a key: the first 64 bits of a hash of whose key it is.
fn lock_key(key: &KeyOf) -> i64 {
    let mut hasher = Sha256::new();
    hasher.update(key.tenant.0.as_bytes());
    hasher.update(key.api_key.as_bytes());
    hasher.update(key.key.as_bytes());
    let digest = hasher.finalize();
    let mut high = [0u8; 8];
    high.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(high)
}
