//! Web workspace sessions: opened with a checked API key, closed at sign-out, and worth no more
//! than their key: a revoked key's sessions open nothing.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use crate::domain::web_session::{self, MintedSession};
use crate::error::Error;
use crate::store::api_keys::{self, Grant};
use crate::store::schema::web_sessions;
use crate::store::{now, parse_id, DbConn};

/// An open session: what its key grants, and the token its forms carry.
#[derive(Debug, Clone)]
pub struct Session {
    pub grant: Grant,
    pub csrf_token: String,
    pub expires_at: NaiveDateTime,
}

/// Opens a session for a key already checked, for `ttl`; the tenant's expired sessions go.
pub fn open(
    conn: &mut DbConn,
    grant: &Grant,
    ttl: Duration,
) -> Result<(MintedSession, String), Error> {
    let tenant = grant.tenant_id;
    let at = now();
    diesel::delete(
        web_sessions::table
            .filter(web_sessions::tenant_id.eq(tenant))
            .filter(web_sessions::expires_at.le(at)),
    )
    .execute(conn)?;
    let minted = web_session::mint(tenant);
    let csrf = web_session::csrf_token();
    diesel::insert_into(web_sessions::table)
        .values((
            web_sessions::tenant_id.eq(tenant),
            web_sessions::id.eq(&minted.id),
            web_sessions::key_id.eq(grant.key_id.to_string()),
            web_sessions::csrf_token.eq(&csrf),
            web_sessions::created_at.eq(at),
            web_sessions::expires_at.eq(at + ttl),
        ))
        .execute(conn)?;
    Ok((minted, csrf))
}

/// The session a cookie names, while it has not expired and its key is not revoked.
pub fn find(conn: &mut DbConn, cookie: &str) -> Result<Option<Session>, Error> {
    let Some((tenant, id)) = web_session::parse(cookie) else { return Ok(None) };
    let row: Option<(String, String, NaiveDateTime)> = web_sessions::table
        .filter(web_sessions::tenant_id.eq(tenant))
        .filter(web_sessions::id.eq(&id))
        .filter(web_sessions::expires_at.gt(now()))
        .select((web_sessions::key_id, web_sessions::csrf_token, web_sessions::expires_at))
        .first(conn)
        .optional()?;
    let Some((key_id, csrf_token, expires_at)) = row else { return Ok(None) };
    let grant = api_keys::grant(conn, tenant, parse_id(&key_id)?)?;
    Ok(grant.map(|grant| Session { grant, csrf_token, expires_at }))
}

/// Closes the session a cookie names (sign-out); closing one already gone is no error.
pub fn close(conn: &mut DbConn, cookie: &str) -> Result<(), Error> {
    if let Some((tenant, id)) = web_session::parse(cookie) {
        diesel::delete(
            web_sessions::table
                .filter(web_sessions::tenant_id.eq(tenant))
                .filter(web_sessions::id.eq(&id)),
        )
        .execute(conn)?;
    }
    Ok(())
}
