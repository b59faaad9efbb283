//! External ids: what other systems call our entities, unique per tenant, entity type and
//! source.

use std::collections::{BTreeMap, HashMap};

use diesel::deserialize::FromSqlRow;
use diesel::dsl;
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::{AsQuery, QueryFragment, QueryId};
use diesel::query_dsl::CompatibleType;
use uuid::Uuid;

use crate::domain::coverage::enum_name;
use crate::domain::sync::{check_refs, Entity, ExternalRef};
use crate::domain::tenant::TenantId;
use crate::error::Error;
use crate::store::schema::external_refs;
use crate::store::{execute_natively, parse_id, pipelined, DbConn, INSERT_CHUNK};

/// The entity that carries this external id, if any.
pub fn resolve(
    conn: &mut DbConn,
    tenant: TenantId,
    entity: Entity,
    reference: &ExternalRef,
) -> Result<Option<Uuid>, Error> {
    let found: Option<String> = external_refs::table
        .filter(external_refs::tenant_id.eq(tenant))
        .filter(external_refs::entity.eq(enum_name(&entity)))
        .filter(external_refs::source.eq(&reference.source))
        .filter(external_refs::external_id.eq(&reference.external_id))
        .select(external_refs::entity_id)
        .first(conn)
        .optional()?;
    found.map(|id| parse_id(&id)).transpose()
}

/// The external ids of these entities, each list sorted.
pub fn of_many(
    conn: &mut DbConn,
    tenant: TenantId,
    entity: Entity,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<ExternalRef>>, Error> {
    by_entity(of_many_query(tenant, entity, ids).load(conn)?)
}

/// `of_many` on a pipelining connection.
pub async fn of_many_pipelined(
    conn: pipelined::Connection,
    tenant: TenantId,
    entity: Entity,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<ExternalRef>>, Error> {
    by_entity(pipelined::load(conn, of_many_query(tenant, entity, ids)).await?)
}

/// The one row `query` finds (else 404) and the external ids of the entity `id`, in one round
/// trip on a pipelining connection.
pub async fn found_pipelined<U, Q>(
    conn: pipelined::Connection,
    tenant: TenantId,
    entity: Entity,
    id: Uuid,
    query: Q,
) -> Result<(U, Vec<ExternalRef>), Error>
where
    Q: AsQuery + Send,
    Q::Query: QueryFragment<Pg> + QueryId + Send,
    Q::SqlType: CompatibleType<U, Pg>,
    U: FromSqlRow<<Q::SqlType as CompatibleType<U, Pg>>::SqlType, Pg>,
{
    let (rows, mut refs) = futures_util::future::try_join(
        pipelined::load::<U, Q>(conn.clone(), query),
        of_many_pipelined(conn, tenant, entity, &[id]),
    )
    .await?;
    let row = rows.into_iter().next().ok_or(Error::NotFound)?;
    Ok((row, refs.remove(&id).unwrap_or_default()))
}

#[dsl::auto_type(no_type_alias)]
fn of_many_query(tenant: TenantId, entity: Entity, ids: &[Uuid]) -> _ {
    let ids: Vec<String> = ids.iter().map(Uuid::to_string).collect();
    let (tenant, entity): (String, String) = (tenant.to_string(), enum_name(&entity));
    external_refs::table
        .filter(external_refs::tenant_id.eq(tenant))
        .filter(external_refs::entity.eq(entity))
        .filter(external_refs::entity_id.eq_any(ids))
        .select((external_refs::entity_id, external_refs::source, external_refs::external_id))
}

fn by_entity(
    rows: Vec<(String, String, String)>,
) -> Result<HashMap<Uuid, Vec<ExternalRef>>, Error> {
    let mut by_entity: HashMap<Uuid, Vec<ExternalRef>> = HashMap::new();
    for (id, source, external_id) in rows {
        by_entity.entry(parse_id(&id)?).or_default().push(ExternalRef { source, external_id });
    }
    // Sorted here, not by the query: an ORDER BY on (source, external_id) lets SQLite walk
    // the primary key — every id of the entity type — instead of the index on entity_id.
    for refs in by_entity.values_mut() {
        refs.sort();
    }
    Ok(by_entity)
}

pub fn of(
    conn: &mut DbConn,
    tenant: TenantId,
    entity: Entity,
    id: Uuid,
) -> Result<Vec<ExternalRef>, Error> {
    Ok(of_many(conn, tenant, entity, &[id])?.remove(&id).unwrap_or_default())
}

/// Which entities of the type carry these external ids; ids carried by none are absent.
pub fn resolve_many(
    conn: &mut DbConn,
    tenant: TenantId,
    entity: Entity,
    refs: &[&ExternalRef],
) -> Result<HashMap<ExternalRef, Uuid>, Error> {
    let mut by_source: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for reference in refs {
        by_source.entry(&reference.source).or_default().push(&reference.external_id);
    }
    let (t, name) = (tenant.to_string(), enum_name(&entity));
    let mut found = HashMap::new();
    for (source, external_ids) in by_source {
        // One query for a whole batch: a list of 1,000 is one array on PostgreSQL and well
        // under SQLite's bound on parameters.
        for chunk in external_ids.chunks(LOOKUP_CHUNK) {
            let rows: Vec<(String, String)> = external_refs::table
                .filter(external_refs::tenant_id.eq(&t))
                .filter(external_refs::entity.eq(&name))
                .filter(external_refs::source.eq(source))
                .filter(external_refs::external_id.eq_any(chunk))
                .select((external_refs::external_id, external_refs::entity_id))
                .load(conn)?;
            for (external_id, id) in rows {
                let reference = ExternalRef { source: source.to_owned(), external_id };
                found.insert(reference, parse_id(&id)?);
            }
        }
    }
    Ok(found)
}

/// External ids looked up per query.
const LOOKUP_CHUNK: usize = 5_000;

/// Refuses claims of external ids that another entity of the type carries (`holders`: who
/// carries which, as `resolve_many` answers), or that two entities claim at once: a 409
/// naming the holder.
fn refuse_taken(
    entity: Entity,
    claims: &[(Uuid, &ExternalRef)],
    mut holders: HashMap<ExternalRef, Uuid>,
) -> Result<(), Error> {
    for (claimant, reference) in claims {
        let holder = *holders.entry((*reference).clone()).or_insert(*claimant);
        if holder != *claimant {
            return Err(Error::Conflict {
                detail: format!(
                    "{}:{} already names {} {holder}",
                    reference.source,
                    reference.external_id,
                    enum_name(&entity)
                ),
                conflicting: vec![holder],
            });
        }
    }
    Ok(())
}

/// Gives the entity exactly these external ids. An id another entity of the type already
/// carries is a 409 naming that entity; `pointer` names the list in errors.
pub fn set(
    conn: &mut DbConn,
    tenant: TenantId,
    entity: Entity,
    id: Uuid,
    refs: &[ExternalRef],
    pointer: &str,
) -> Result<(), Error> {
    let errors = check_refs(refs, pointer);
    if !errors.is_empty() {
        return Err(Error::Invalid(errors));
    }
    let claims: Vec<(Uuid, &ExternalRef)> = refs.iter().map(|r| (id, r)).collect();
    let holders = resolve_many(conn, tenant, entity, &refs.iter().collect::<Vec<_>>())?;
    refuse_taken(entity, &claims, holders)?;
    diesel::delete(
        external_refs::table
            .filter(external_refs::tenant_id.eq(tenant))
            .filter(external_refs::entity.eq(enum_name(&entity)))
            .filter(external_refs::entity_id.eq(id.to_string())),
    )
    .execute(conn)?;
    insert(conn, tenant, entity, &claims)
}

/// Gives entities created in this transaction (none carries an external id yet) these ids,
/// checked as `set` checks them against `holders`: the caller's `resolve_many` of them, made
/// earlier in the transaction. What changed since is refused by the primary key.
pub fn set_new(
    conn: &mut DbConn,
    tenant: TenantId,
    entity: Entity,
    new: &[(Uuid, Vec<ExternalRef>)],
    holders: HashMap<ExternalRef, Uuid>,
    pointer: &str,
) -> Result<(), Error> {
    let errors: Vec<_> = new.iter().flat_map(|(_, refs)| check_refs(refs, pointer)).collect();
    if !errors.is_empty() {
        return Err(Error::Invalid(errors));
    }
    let claims: Vec<(Uuid, &ExternalRef)> =
        new.iter().flat_map(|(id, refs)| refs.iter().map(|r| (*id, r))).collect();
    refuse_taken(entity, &claims, holders)?;
    insert(conn, tenant, entity, &claims)
}

fn insert(
    conn: &mut DbConn,
    tenant: TenantId,
    entity: Entity,
    claims: &[(Uuid, &ExternalRef)],
) -> Result<(), Error> {
    let (t, name) = (tenant.to_string(), enum_name(&entity));
    if let DbConn::Pg(pg) = conn {
        return crate::store::unnest::external_refs(
            pg,
            &t,
            &name,
            claims.iter().map(|(_, r)| r.source.as_str()).collect(),
            claims.iter().map(|(_, r)| r.external_id.as_str()).collect(),
            claims.iter().map(|(id, _)| id.to_string()).collect(),
        );
    }
    let rows: Vec<_> = claims
        .iter()
        .map(|(id, reference)| {
            (
                external_refs::tenant_id.eq(&t),
                external_refs::entity.eq(&name),
                external_refs::source.eq(&reference.source),
                external_refs::external_id.eq(&reference.external_id),
                external_refs::entity_id.eq(id.to_string()),
            )
        })
        .collect();
    for chunk in rows.chunks(INSERT_CHUNK) {
        execute_natively(conn, diesel::insert_into(external_refs::table).values(chunk))?;
    }
    Ok(())
}

/// Loads the external ids of a page of entities into them.
pub fn with_refs<T>(
    conn: &mut DbConn,
    tenant: TenantId,
    entity: Entity,
    mut items: Vec<T>,
    id: impl Fn(&T) -> Uuid,
    put: impl Fn(&mut T, Vec<ExternalRef>),
) -> Result<Vec<T>, Error> {
    let ids: Vec<Uuid> = items.iter().map(&id).collect();
    let mut refs = of_many(conn, tenant, entity, &ids)?;
    for item in &mut items {
        let found = refs.remove(&id(item)).unwrap_or_default();
        put(item, found);
    }
    Ok(items)
}
