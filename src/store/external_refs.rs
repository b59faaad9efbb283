//! External ids: what other systems call our entities, unique per tenant, entity type and
//! source.

use std::collections::HashMap;

use diesel::prelude::*;
use uuid::Uuid;

use crate::domain::coverage::enum_name;
use crate::domain::sync::{check_refs, Entity, ExternalRef};
use crate::error::Error;
use crate::store::schema::external_refs;
use crate::store::{parse_id, DbConn};

/// The entity that carries this external id, if any.
pub fn resolve(
    conn: &mut DbConn,
    tenant: Uuid,
    entity: Entity,
    reference: &ExternalRef,
) -> Result<Option<Uuid>, Error> {
    let found: Option<String> = external_refs::table
        .filter(external_refs::tenant_id.eq(tenant.to_string()))
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
    tenant: Uuid,
    entity: Entity,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<ExternalRef>>, Error> {
    let ids: Vec<String> = ids.iter().map(Uuid::to_string).collect();
    let rows: Vec<(String, String, String)> = external_refs::table
        .filter(external_refs::tenant_id.eq(tenant.to_string()))
        .filter(external_refs::entity.eq(enum_name(&entity)))
        .filter(external_refs::entity_id.eq_any(ids))
        .order((external_refs::source, external_refs::external_id))
        .select((external_refs::entity_id, external_refs::source, external_refs::external_id))
        .load(conn)?;
    let mut by_entity: HashMap<Uuid, Vec<ExternalRef>> = HashMap::new();
    for (id, source, external_id) in rows {
        by_entity.entry(parse_id(&id)?).or_default().push(ExternalRef { source, external_id });
    }
    Ok(by_entity)
}

pub fn of(
    conn: &mut DbConn,
    tenant: Uuid,
    entity: Entity,
    id: Uuid,
) -> Result<Vec<ExternalRef>, Error> {
    Ok(of_many(conn, tenant, entity, &[id])?.remove(&id).unwrap_or_default())
}

/// Gives the entity exactly these external ids. An id another entity of the type already
/// carries is a 409 naming that entity; `pointer` names the list in errors.
pub fn set(
    conn: &mut DbConn,
    tenant: Uuid,
    entity: Entity,
    id: Uuid,
    refs: &[ExternalRef],
    pointer: &str,
) -> Result<(), Error> {
    let errors = check_refs(refs, pointer);
    if !errors.is_empty() {
        return Err(Error::Invalid(errors));
    }
    for reference in refs {
        if let Some(holder) = resolve(conn, tenant, entity, reference)?.filter(|h| *h != id) {
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
    let t = tenant.to_string();
    diesel::delete(
        external_refs::table
            .filter(external_refs::tenant_id.eq(&t))
            .filter(external_refs::entity.eq(enum_name(&entity)))
            .filter(external_refs::entity_id.eq(id.to_string())),
    )
    .execute(conn)?;
    for reference in refs {
        diesel::insert_into(external_refs::table)
            .values((
                external_refs::tenant_id.eq(&t),
                external_refs::entity.eq(enum_name(&entity)),
                external_refs::source.eq(&reference.source),
                external_refs::external_id.eq(&reference.external_id),
                external_refs::entity_id.eq(id.to_string()),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Loads the external ids of a page of entities into them.
pub fn with_refs<T>(
    conn: &mut DbConn,
    tenant: Uuid,
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
