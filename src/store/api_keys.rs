//! Tenants and their API keys.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use uuid::Uuid;

use crate::domain::api_key::{self, PresentedKey, Scope};
use crate::domain::rate_limit::RateLimit;
use crate::domain::tenant::TenantId;
use crate::error::Error;
use crate::store::schema::{api_keys, feed_heads, feed_horizons, tenant_names, tenants};
use crate::store::{now, parse_id, DbConn};

#[derive(Debug, Clone)]
pub struct Tenant {
    pub id: TenantId,
    pub name: String,
}

/// What a genuine, unrevoked key grants: the tenant it acts for, its scopes and its tenant's
/// rate limit.
#[derive(Debug, Clone)]
pub struct Grant {
    pub tenant_id: TenantId,
    pub key_id: Uuid,
    pub key_name: String,
    pub scopes: Vec<Scope>,
    /// The tenant's own limit for each of its keys; `None` for the instance's default.
    pub rate_limit: Option<RateLimit>,
}

#[derive(Debug, Clone)]
pub struct ApiKey {
    pub id: Uuid,
    pub name: String,
    pub scopes: Vec<Scope>,
    pub created_at: NaiveDateTime,
    pub revoked_at: Option<NaiveDateTime>,
}

pub fn count_tenants(conn: &mut DbConn) -> Result<i64, Error> {
    Ok(tenants::table.count().get_result(conn)?)
}

/// A new tenant with its vocabulary, its change counter and its feed horizon. Its name is claimed in
/// `tenant_names`, in the same transaction: of two creating one name at once, the second waits
/// for the first and is refused (no UNIQUE on `tenants.name` is needed, which a distributed `tenants` cannot have).
pub fn create_tenant(conn: &mut DbConn, name: &str) -> Result<Tenant, Error> {
    let taken = || Error::conflict(format!("a tenant named `{name}` exists already"));
    let id = TenantId::new();
    diesel::insert_into(tenants::table)
        .values((tenants::id.eq(id), tenants::name.eq(name), tenants::created_at.eq(now())))
        .execute(conn)
        .map_err(|e| match e {
            DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => taken(),
            other => other.into(),
        })?;
    diesel::insert_into(tenant_names::table)
        .values((tenant_names::name.eq(name), tenant_names::tenant_id.eq(id)))
        .execute(conn)
        .map_err(|e| match e {
            DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => taken(),
            other => other.into(),
        })?;
    // Its change counter, at no change yet (`store::changes`).
    diesel::insert_into(feed_heads::table)
        .values((feed_heads::tenant_id.eq(id), feed_heads::change_seq.eq(0_i64)))
        .execute(conn)?;
    // Its change feed's horizon, never pruned yet: the row is the tenant's pruning turn
    // (`store::retention::take_turn`), so it is there before any turn is taken.
    diesel::insert_into(feed_horizons::table)
        .values((feed_horizons::tenant_id.eq(id), feed_horizons::pruned_through.eq(0_i64)))
        .execute(conn)?;
    crate::store::vocabulary::seed(conn, id)?;
    Ok(Tenant { id, name: name.to_owned() })
}

pub fn find_tenant_by_name(conn: &mut DbConn, name: &str) -> Result<Tenant, Error> {
    let id: String = tenant_names::table
        .filter(tenant_names::name.eq(name))
        .select(tenant_names::tenant_id)
        .first(conn)?;
    Ok(Tenant { id: TenantId(parse_id(&id)?), name: name.to_owned() })
}

pub fn create_key(
    conn: &mut DbConn,
    tenant_id: TenantId,
    name: &str,
    scopes: &[Scope],
) -> Result<(ApiKey, String), Error> {
    let exists: i64 = tenants::table.filter(tenants::id.eq(tenant_id)).count().get_result(conn)?;
    if exists == 0 {
        return Err(Error::NotFound);
    }
    let minted = api_key::mint(tenant_id);
    let created_at = now();
    diesel::insert_into(api_keys::table)
        .values((
            api_keys::tenant_id.eq(tenant_id),
            api_keys::id.eq(minted.id.to_string()),
            api_keys::name.eq(name),
            api_keys::scopes.eq(Scope::join(scopes)),
            api_keys::secret_hash.eq(&minted.secret_hash),
            api_keys::created_at.eq(created_at),
        ))
        .execute(conn)?;
    let key = ApiKey {
        id: minted.id,
        name: name.to_owned(),
        scopes: Scope::split(&Scope::join(scopes)),
        created_at,
        revoked_at: None,
    };
    Ok((key, minted.token))
}

/// Revokes a key by id alone: the operator's command line does not know the tenant.
pub fn revoke_key(conn: &mut DbConn, key_id: Uuid) -> Result<(), Error> {
    let revoked = diesel::update(
        api_keys::table
            .filter(api_keys::id.eq(key_id.to_string()))
            .filter(api_keys::revoked_at.is_null()),
    )
    .set(api_keys::revoked_at.eq(now()))
    .execute(conn)?;
    if revoked == 0 {
        return Err(Error::NotFound);
    }
    Ok(())
}

/// What a bearer token grants, if the token is genuine and not revoked.
pub fn authenticate(conn: &mut DbConn, token: &str) -> Result<Option<Grant>, Error> {
    let Some(presented) = PresentedKey::parse(token) else {
        return Ok(None);
    };
    let found = unrevoked(conn, presented.tenant_id, presented.key_id)?;
    Ok(found.filter(|(_, hash)| presented.verify(hash)).map(|(grant, _)| grant))
}

/// What a key known by its id grants while it is not revoked (a web session's key).
pub fn grant(conn: &mut DbConn, tenant: TenantId, key_id: Uuid) -> Result<Option<Grant>, Error> {
    Ok(unrevoked(conn, tenant, key_id)?.map(|(grant, _)| grant))
}

/// The grant of an unrevoked key, with the hash its secret is checked against.
fn unrevoked(
    conn: &mut DbConn,
    tenant: TenantId,
    key_id: Uuid,
) -> Result<Option<(Grant, String)>, Error> {
    type Row = (String, String, String, Option<f64>, Option<i32>);
    let row: Option<Row> = api_keys::table
        .inner_join(tenants::table.on(tenants::id.eq(api_keys::tenant_id)))
        .filter(api_keys::tenant_id.eq(tenant))
        .filter(api_keys::id.eq(key_id.to_string()))
        .filter(api_keys::revoked_at.is_null())
        .select((
            api_keys::name,
            api_keys::scopes,
            api_keys::secret_hash,
            tenants::rate_limit_per_second,
            tenants::rate_limit_burst,
        ))
        .first(conn)
        .optional()?;
    let Some((name, scopes, hash, per_second, burst)) = row else { return Ok(None) };
    let rate_limit = per_second
        .zip(burst)
        .map(|(per_second, burst)| RateLimit { per_second, burst: burst.max(1) as u32 });
    let grant = Grant {
        tenant_id: tenant,
        key_id,
        key_name: name,
        scopes: Scope::split(&scopes),
        rate_limit,
    };
    Ok(Some((grant, hash)))
}

/// Sets the tenant's rate limit for each of its keys (`None`: the instance's default). Keys
/// already verified keep the old limit until their cache entry expires.
pub fn set_rate_limit(
    conn: &mut DbConn,
    tenant: TenantId,
    limit: Option<RateLimit>,
) -> Result<(), Error> {
    let updated = diesel::update(tenants::table.filter(tenants::id.eq(tenant)))
        .set((
            tenants::rate_limit_per_second.eq(limit.map(|l| l.per_second)),
            tenants::rate_limit_burst.eq(limit.map(|l| l.burst as i32)),
        ))
        .execute(conn)?;
    if updated == 0 {
        return Err(Error::NotFound);
    }
    Ok(())
}
