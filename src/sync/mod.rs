//! Sync with CRMs, without HTTP: lookups, upserts and deletes of the entities a CRM knows by
//! its own ids (a body may name other entities by their external ids too), and batches of
//! them. Imports `api` (bodies are read as their REST requests), `store` and `domain`; the
//! routes are in `http::sync`.

pub mod batch;
mod runs;

use serde_json::Value;
use uuid::Uuid;

use crate::api::crafting::RevisionResponse;
use crate::api::Wire;
use crate::domain::sync::{is_external_id, is_source, Entity, ExternalRef};
use crate::domain::tenant::TenantId;
use crate::error::{Error, FieldError};
use crate::store::coverage::CoverageLinks;
use crate::store::development_plans::DevelopmentPlans;
use crate::store::organizations::Organizations;
use crate::store::persons::Persons;
use crate::store::posts::Posts;
use crate::store::relationships::Relationships;
use crate::store::resource;
use crate::store::tenures::Tenures;
use crate::store::{crafting, external_refs, DbConn, Expected};

pub use runs::Written;

/// Something done with one entity type, whichever it is.
trait WithEntity {
    type Output;
    fn run<R: Wire>(self) -> Self::Output;
}

/// The one table from an entity type to its implementation; crafting revisions (looked up by
/// external id, never upserted or deleted) and interactions have none.
fn with_entity<W: WithEntity>(entity: Entity, work: W) -> Option<W::Output> {
    Some(match entity {
        Entity::Organization => work.run::<Organizations>(),
        Entity::Person => work.run::<Persons>(),
        Entity::Post => work.run::<Posts>(),
        Entity::Tenure => work.run::<Tenures>(),
        Entity::Relationship => work.run::<Relationships>(),
        Entity::Coverage => work.run::<CoverageLinks>(),
        Entity::DevelopmentPlan => work.run::<DevelopmentPlans>(),
        Entity::CraftingRevision | Entity::Interaction | Entity::Alert => return None,
    })
}

/// `with_entity` for work that may fail: the types without an implementation are refused.
fn on_entity<W, T>(entity: Entity, work: W) -> Result<T, Error>
where
    W: WithEntity<Output = Result<T, Error>>,
{
    with_entity(entity, work).unwrap_or_else(|| Err(immutable()))
}

/// Crafting revisions are looked up by external id but never upserted or deleted.
fn immutable() -> Error {
    Error::Malformed {
        detail: "crafting revisions are immutable: record one with POST /v1/tenures/{id}/crafting \
                 (with its external_refs); revisions are only removed by erasing the person"
            .into(),
        errors: vec![FieldError::new("entity", "crafting revisions cannot be upserted or deleted")],
    }
}

/// Which entity a sync path (or a batch operation) names, and by which external id.
pub fn key_of(
    entity: &str,
    source: &str,
    external_id: &str,
) -> Result<(Entity, ExternalRef), Error> {
    let malformed = |name: &str, detail: String| Error::Malformed {
        detail: detail.clone(),
        errors: vec![FieldError::new(name, detail)],
    };
    let entity = Entity::from_path(entity).ok_or_else(|| {
        malformed("entity", format!("`{entity}` is not one of {}", Entity::SYNCED.join(", ")))
    })?;
    if !is_source(source) {
        return Err(malformed("source", "a system name: 1 to 100 of a-z, 0-9, _, -, .".into()));
    }
    if !is_external_id(external_id) {
        return Err(malformed("external_id", "1 to 255 characters, not blank".into()));
    }
    let key = ExternalRef { source: source.to_owned(), external_id: external_id.to_owned() };
    Ok((entity, key))
}

/// Where the entity lives as a resource of its own (revisions have none: they are listed
/// under their tenure).
pub fn collection(entity: Entity) -> Option<&'static str> {
    struct Collection;
    impl WithEntity for Collection {
        type Output = &'static str;
        fn run<R: Wire>(self) -> &'static str {
            R::COLLECTION
        }
    }
    with_entity(entity, Collection)
}

/// The entity as its own `GET` answers it: id, version and body.
pub struct Answer {
    pub id: Uuid,
    pub version: i64,
    pub body: Value,
}

fn answer<R: Wire>(conn: &mut DbConn, tenant: TenantId, id: Uuid) -> Result<Answer, Error> {
    let found = R::find(conn, tenant, id)?;
    let (id, version, view) = resource::view::<R>(conn, tenant, found)?;
    let body = serde_json::to_value(R::Response::from(view)).map_err(Error::internal)?;
    Ok(Answer { id, version, body })
}

/// What an upsert did, and the entity after it.
pub struct Upserted {
    pub created: bool,
    pub answer: Answer,
}

/// Creates or updates the entity the CRM knows as `key`.
pub fn upsert(
    conn: &mut DbConn,
    tenant: TenantId,
    entity: Entity,
    key: &ExternalRef,
    body: Value,
) -> Result<Upserted, Error> {
    struct Upsert<'a>(&'a mut DbConn, TenantId, &'a ExternalRef, Value);
    impl WithEntity for Upsert<'_> {
        type Output = Result<Upserted, Error>;
        fn run<R: Wire>(self) -> Result<Upserted, Error> {
            let Upsert(conn, tenant, key, body) = self;
            let [done] = runs::upsert_many::<R>(conn, tenant, vec![(key.clone(), body)])?[..]
            else {
                return Err(Error::internal("one upsert, not one result"));
            };
            Ok(Upserted { created: done.created, answer: answer::<R>(conn, tenant, done.id)? })
        }
    }
    on_entity(entity, Upsert(conn, tenant, key, body))
}

/// Whether a run of upserts of the type may be written set-wise: not when the type refers to
/// its own kind (a parent, a manager's post), since a run resolves references up front and
/// an operation may name what an earlier one in the run created or renamed.
pub fn writes_set_wise(entity: Entity) -> bool {
    struct SetWise;
    impl WithEntity for SetWise {
        type Output = bool;
        fn run<R: Wire>(self) -> bool {
            !R::REFERENCES.iter().any(|(_, referenced)| *referenced == R::ENTITY)
        }
    }
    with_entity(entity, SetWise).unwrap_or(false)
}

/// Upserts a run of a batch set-wise (see `runs`): the entities the CRM knows as these keys.
pub fn upsert_many(
    conn: &mut DbConn,
    tenant: TenantId,
    entity: Entity,
    items: Vec<(ExternalRef, Value)>,
) -> Result<Vec<Written>, Error> {
    struct UpsertMany<'a>(&'a mut DbConn, TenantId, Vec<(ExternalRef, Value)>);
    impl WithEntity for UpsertMany<'_> {
        type Output = Result<Vec<Written>, Error>;
        fn run<R: Wire>(self) -> Result<Vec<Written>, Error> {
            runs::upsert_many::<R>(self.0, self.1, self.2)
        }
    }
    on_entity(entity, UpsertMany(conn, tenant, items))
}

/// Deletes the entity the CRM knows as `key` (404 if none); `cascade` as for its own `DELETE`.
pub fn delete(
    conn: &mut DbConn,
    tenant: TenantId,
    entity: Entity,
    key: &ExternalRef,
    cascade: bool,
) -> Result<Uuid, Error> {
    struct Delete<'a>(&'a mut DbConn, TenantId, Uuid, bool);
    impl WithEntity for Delete<'_> {
        type Output = Result<(), Error>;
        fn run<R: Wire>(self) -> Result<(), Error> {
            resource::delete::<R>(self.0, self.1, self.2, &Expected::Any, self.3)
        }
    }
    let id = external_refs::resolve(conn, tenant, entity, key)?.ok_or(Error::NotFound)?;
    on_entity(entity, Delete(conn, tenant, id, cascade))?;
    Ok(id)
}

/// The entity the CRM knows as `key`, as its own `GET` answers it.
pub fn lookup(
    conn: &mut DbConn,
    tenant: TenantId,
    entity: Entity,
    key: &ExternalRef,
) -> Result<Answer, Error> {
    struct Lookup<'a>(&'a mut DbConn, TenantId, Uuid);
    impl WithEntity for Lookup<'_> {
        type Output = Result<Answer, Error>;
        fn run<R: Wire>(self) -> Result<Answer, Error> {
            answer::<R>(self.0, self.1, self.2)
        }
    }
    let id = external_refs::resolve(conn, tenant, entity, key)?.ok_or(Error::NotFound)?;
    if entity == Entity::CraftingRevision {
        let found = crafting::find(conn, tenant, id)?;
        let body = serde_json::to_value(RevisionResponse::from(found)).map_err(Error::internal)?;
        return Ok(Answer { id, version: 1, body });
    }
    on_entity(entity, Lookup(conn, tenant, id))
}
