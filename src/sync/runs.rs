//! A run of a batch — consecutive upserts of one entity type — written set-wise: references,
//! external ids and the current entities are read in a few queries whatever the run's length,
//! and new entities go in with multi-row inserts. A run that fails in any way is rolled back
//! by the caller and applied again one operation at a time, which finds and names the problem;
//! so this path only has to be right when everything in it is. A single upsert is a run of one.

use std::collections::HashMap;

use serde_json::Value;
use uuid::Uuid;

use crate::api::json::from_value;
use crate::api::Wire;
use crate::domain::coverage::enum_name;
use crate::domain::sync::{Entity, ExternalRef};
use crate::domain::tenant::TenantId;
use crate::error::{Error, FieldError};
use crate::store::resource::{self, Resource};
use crate::store::{changes, external_refs, DbConn, Expected};

/// What an upsert of a run did.
#[derive(Debug, Clone, Copy)]
pub struct Written {
    pub created: bool,
    pub id: Uuid,
    /// The entity's version after the upsert.
    pub version: i64,
}

/// The external ids an upserted entity ends with: those the body gives (else those it has),
/// always including the key it was upserted by; sorted, as they are compared.
pub fn refs_after(
    given: Option<Vec<ExternalRef>>,
    current: &[ExternalRef],
    key: &ExternalRef,
) -> Vec<ExternalRef> {
    let mut refs = given.unwrap_or_else(|| current.to_vec());
    if !refs.contains(key) {
        refs.push(key.clone());
    }
    refs.sort();
    refs
}

/// Replaces `{source, external_id}` references in the bodies' reference fields by the ids they
/// name, one query per referenced entity type and source; a reference that names nothing is a
/// 422 naming the field (of the first body that has one).
pub fn resolve_references(
    conn: &mut DbConn,
    tenant: TenantId,
    mut bodies: Vec<Value>,
    references: &[(&str, Entity)],
) -> Result<Vec<Value>, Error> {
    let mut named: Vec<(usize, &str, Entity, ExternalRef)> = Vec::new();
    for (i, body) in bodies.iter().enumerate() {
        for (field, entity) in references {
            let Some(value) = body.get(*field).filter(|v| v.is_object()) else { continue };
            let reference: ExternalRef = from_value(value.clone()).map_err(|_| {
                let pointer = format!("/{field}");
                Error::Malformed {
                    detail: format!("{field} is an id or {{\"source\", \"external_id\"}}"),
                    errors: vec![FieldError::new(pointer, "an id or {source, external_id}")],
                }
            })?;
            named.push((i, field, *entity, reference));
        }
    }
    let mut resolved: HashMap<Entity, HashMap<ExternalRef, Uuid>> = HashMap::new();
    for (_, entity) in references {
        if !resolved.contains_key(entity) {
            let refs: Vec<&ExternalRef> =
                named.iter().filter(|n| n.2 == *entity).map(|n| &n.3).collect();
            resolved.insert(*entity, external_refs::resolve_many(conn, tenant, *entity, &refs)?);
        }
    }
    let mut errors = Vec::new();
    let mut failing = None;
    for (i, field, entity, reference) in &named {
        if failing.is_some_and(|body| body != *i) {
            break;
        }
        match resolved.get(entity).and_then(|found| found.get(reference)) {
            Some(id) => bodies[*i][*field] = Value::String(id.to_string()),
            None => {
                failing = Some(*i);
                errors.push(FieldError::new(
                    format!("/{field}"),
                    format!(
                        "no {} has the external id {}:{}",
                        enum_name(entity),
                        reference.source,
                        reference.external_id
                    ),
                ));
            }
        }
    }
    if errors.is_empty() {
        Ok(bodies)
    } else {
        Err(Error::Invalid(errors))
    }
}

/// Upserts the entities, each known by its key, in order; what became of each. Consecutive
/// creations are written together; updates one by one between them, so that every operation
/// meets the state the operations before it left.
pub(super) fn upsert_many<S: Wire>(
    conn: &mut DbConn,
    tenant: TenantId,
    items: Vec<(ExternalRef, Value)>,
) -> Result<Vec<Written>, Error> {
    let (keys, bodies): (Vec<ExternalRef>, Vec<Value>) = items.into_iter().unzip();
    let mut parsed = Vec::with_capacity(keys.len());
    for body in resolve_references(conn, tenant, bodies, S::REFERENCES)? {
        let (new, given_refs) = S::parse(from_value(body)?)?;
        parsed.push((given_refs, new));
    }
    // Who carries the keys and the external ids the bodies give, in one query: the keys tell
    // creations from updates, the rest is checked when creations claim them.
    let mut named: Vec<&ExternalRef> = keys.iter().collect();
    named.extend(parsed.iter().flat_map(|(given, _)| given.iter().flatten()));
    let holders = external_refs::resolve_many(conn, tenant, S::ENTITY, &named)?;
    let existing: HashMap<&ExternalRef, Uuid> =
        keys.iter().filter_map(|key| Some((key, *holders.get(key)?))).collect();
    let existing_ids: Vec<Uuid> = existing.values().copied().collect();
    let mut current: HashMap<Uuid, (S::New, i64)> = S::find_many(conn, tenant, &existing_ids)?
        .iter()
        .map(|stored| {
            let (id, version) = S::key(stored);
            (id, (S::as_written(stored), version))
        })
        .collect();
    let mut current_refs = external_refs::of_many(conn, tenant, S::ENTITY, &existing_ids)?;

    let mut written = Vec::with_capacity(keys.len());
    let mut creating: Vec<Creation<S>> = Vec::new();
    for (key, (given_refs, new)) in keys.iter().zip(parsed) {
        let Some(&id) = existing.get(key) else {
            creating.push(Creation { key, given_refs, new });
            continue;
        };
        create_all(conn, tenant, &mut creating, &holders, &mut written)?;
        // Taken out, so a key upserted twice in one run fails here and goes the slow way.
        let (now, mut version) = current.remove(&id).ok_or(Error::NotFound)?;
        let had = current_refs.remove(&id).unwrap_or_default();
        let refs = refs_after(given_refs, &had, key);
        if refs != had {
            external_refs::set(conn, tenant, S::ENTITY, id, &refs, "/external_refs")?;
        }
        // A change of the body, its external ids or both is one new version and one change;
        // an identical upsert is neither.
        if now != new || refs != had {
            let updated = resource::replace::<S>(conn, tenant, id, &Expected::Any, &new, &None)?;
            version = S::key(&updated).1;
        }
        written.push(Written { created: false, id, version });
    }
    create_all(conn, tenant, &mut creating, &holders, &mut written)?;
    Ok(written)
}

/// An entity of the run that no key names yet.
struct Creation<'a, S: Resource> {
    key: &'a ExternalRef,
    given_refs: Option<Vec<ExternalRef>>,
    new: S::New,
}

/// Creates the waiting entities at once, with their external ids (checked against
/// `holders`).
fn create_all<S: Resource>(
    conn: &mut DbConn,
    tenant: TenantId,
    creating: &mut Vec<Creation<'_, S>>,
    holders: &HashMap<ExternalRef, Uuid>,
    written: &mut Vec<Written>,
) -> Result<(), Error> {
    if creating.is_empty() {
        return Ok(());
    }
    let news: Vec<&S::New> = creating.iter().map(|c| &c.new).collect();
    let ids = S::create_many(conn, tenant, &news)?;
    let mut refs = Vec::with_capacity(ids.len());
    let mut claimed = HashMap::new();
    for (creation, id) in creating.drain(..).zip(ids) {
        let after = refs_after(creation.given_refs, &[], creation.key);
        claimed.extend(after.iter().filter_map(|r| Some((r.clone(), *holders.get(r)?))));
        refs.push((id, after));
        written.push(Written { created: true, id, version: 1 });
    }
    external_refs::set_new(conn, tenant, S::ENTITY, &refs, claimed, "/external_refs")?;
    changes::given_refs(tenant, S::ENTITY, &refs);
    Ok(())
}
