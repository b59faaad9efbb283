//! The entity types a CRM can upsert by its own ids, behind one trait.

use std::collections::HashMap;

use serde::de::DeserializeOwned;
use serde_json::Value;
use uuid::Uuid;

use crate::domain::coverage::{NewCoverage, NewRelationship};
use crate::domain::organization::NewOrganization;
use crate::domain::person::NewPerson;
use crate::domain::post::NewPost;
use crate::domain::sync::{Entity, ExternalRef};
use crate::error::{Error, FieldError};
use crate::http::coverage::CoverageRequest;
use crate::http::organizations::{OrganizationRequest, OrganizationResponse};
use crate::http::persons::{PersonRequest, PersonResponse};
use crate::http::posts::{PostRequest, PostResponse};
use crate::http::relationships::{RelationshipRequest, RelationshipResponse};
use crate::http::sync::runs::{upsert_many_as, Written};
use crate::http::tenures::{TenureRequest, TenureResponse};
use crate::store::tenures::NewTenure;
use crate::store::{
    coverage, external_refs, organizations, persons, posts, relationships, tenures, DbConn,
    Expected,
};

/// An entity type a CRM can upsert by its own id.
pub(super) trait Synced {
    const ENTITY: Entity;
    /// Body fields naming other entities: a sync body may give them as `{source, external_id}`.
    const REFERENCES: &'static [(&'static str, Entity)];
    type Request: DeserializeOwned;
    type New: PartialEq;

    fn refs(request: &Self::Request) -> Option<Vec<ExternalRef>>;
    fn parse(request: Self::Request) -> Result<Self::New, Error>;
    /// The stored entity as it would be written again, and its version.
    fn current(conn: &mut DbConn, tenant: Uuid, id: Uuid) -> Result<(Self::New, i64), Error>;
    fn create(conn: &mut DbConn, tenant: Uuid, new: &Self::New) -> Result<Uuid, Error>;
    /// Updates the entity; its new version.
    fn update(conn: &mut DbConn, tenant: Uuid, id: Uuid, new: &Self::New) -> Result<i64, Error>;
    /// `current` of many (those that exist), for a run of a batch; one by one unless the
    /// type reads them at once.
    fn current_many(
        conn: &mut DbConn,
        tenant: Uuid,
        ids: &[Uuid],
    ) -> Result<HashMap<Uuid, (Self::New, i64)>, Error> {
        ids.iter().map(|id| Ok((*id, Self::current(conn, tenant, *id)?))).collect()
    }
    /// `create` of many, in order; their ids. One by one unless the type inserts them at once.
    fn create_many(
        conn: &mut DbConn,
        tenant: Uuid,
        news: &[&Self::New],
    ) -> Result<Vec<Uuid>, Error> {
        news.iter().map(|new| Self::create(conn, tenant, new)).collect()
    }
    fn delete(conn: &mut DbConn, tenant: Uuid, id: Uuid, cascade: bool) -> Result<(), Error>;
    /// The entity as its own `GET` answers it.
    fn respond(conn: &mut DbConn, tenant: Uuid, id: Uuid) -> Result<(i64, Value), Error>;
}

pub(super) struct Organizations;
pub(super) struct Persons;
pub(super) struct Posts;
pub(super) struct Tenures;

fn json<T: serde::Serialize>(version: i64, body: T) -> Result<(i64, Value), Error> {
    Ok((version, serde_json::to_value(body).map_err(Error::internal)?))
}

impl Synced for Organizations {
    const ENTITY: Entity = Entity::Organization;
    const REFERENCES: &'static [(&'static str, Entity)] = &[("parent_id", Entity::Organization)];
    type Request = OrganizationRequest;
    type New = NewOrganization;

    fn refs(request: &Self::Request) -> Option<Vec<ExternalRef>> {
        request.external_refs.clone()
    }
    fn parse(request: Self::Request) -> Result<Self::New, Error> {
        request.parse()
    }
    fn current(conn: &mut DbConn, tenant: Uuid, id: Uuid) -> Result<(Self::New, i64), Error> {
        let found = organizations::find(conn, tenant, id)?;
        Ok((OrganizationRequest::from(&found).parse()?, found.version))
    }
    fn create(conn: &mut DbConn, tenant: Uuid, new: &Self::New) -> Result<Uuid, Error> {
        Ok(organizations::create(conn, tenant, new)?.id)
    }
    fn update(conn: &mut DbConn, tenant: Uuid, id: Uuid, new: &Self::New) -> Result<i64, Error> {
        organizations::update(conn, tenant, id, &Expected::Any, new).map(|found| found.version)
    }
    fn delete(conn: &mut DbConn, tenant: Uuid, id: Uuid, cascade: bool) -> Result<(), Error> {
        organizations::delete(conn, tenant, id, &Expected::Any, cascade)
    }
    fn respond(conn: &mut DbConn, tenant: Uuid, id: Uuid) -> Result<(i64, Value), Error> {
        let found = organizations::find(conn, tenant, id)?;
        json(found.version, OrganizationResponse::from(found))
    }
}

impl Synced for Persons {
    const ENTITY: Entity = Entity::Person;
    const REFERENCES: &'static [(&'static str, Entity)] = &[];
    type Request = PersonRequest;
    type New = NewPerson;

    fn refs(request: &Self::Request) -> Option<Vec<ExternalRef>> {
        request.external_refs.clone()
    }
    fn parse(request: Self::Request) -> Result<Self::New, Error> {
        request.parse()
    }
    fn current(conn: &mut DbConn, tenant: Uuid, id: Uuid) -> Result<(Self::New, i64), Error> {
        let found = persons::find(conn, tenant, id)?;
        Ok((PersonRequest::from(&found).parse()?, found.version))
    }
    fn create(conn: &mut DbConn, tenant: Uuid, new: &Self::New) -> Result<Uuid, Error> {
        Ok(persons::create(conn, tenant, new)?.id)
    }
    fn update(conn: &mut DbConn, tenant: Uuid, id: Uuid, new: &Self::New) -> Result<i64, Error> {
        persons::update(conn, tenant, id, &Expected::Any, new).map(|found| found.version)
    }
    fn delete(conn: &mut DbConn, tenant: Uuid, id: Uuid, cascade: bool) -> Result<(), Error> {
        persons::delete(conn, tenant, id, &Expected::Any, cascade)
    }
    fn current_many(
        conn: &mut DbConn,
        tenant: Uuid,
        ids: &[Uuid],
    ) -> Result<HashMap<Uuid, (Self::New, i64)>, Error> {
        let found = persons::find_many(conn, tenant, ids)?;
        found.iter().map(|p| Ok((p.id, (PersonRequest::from(p).parse()?, p.version)))).collect()
    }
    fn create_many(
        conn: &mut DbConn,
        tenant: Uuid,
        news: &[&Self::New],
    ) -> Result<Vec<Uuid>, Error> {
        persons::create_many(conn, tenant, news)
    }
    fn respond(conn: &mut DbConn, tenant: Uuid, id: Uuid) -> Result<(i64, Value), Error> {
        let found = persons::find(conn, tenant, id)?;
        json(found.version, PersonResponse::from(found))
    }
}

impl Synced for Posts {
    const ENTITY: Entity = Entity::Post;
    const REFERENCES: &'static [(&'static str, Entity)] =
        &[("organization_id", Entity::Organization), ("reports_to_post_id", Entity::Post)];
    type Request = PostRequest;
    type New = NewPost;

    fn refs(request: &Self::Request) -> Option<Vec<ExternalRef>> {
        request.external_refs.clone()
    }
    fn parse(request: Self::Request) -> Result<Self::New, Error> {
        request.parse()
    }
    fn current(conn: &mut DbConn, tenant: Uuid, id: Uuid) -> Result<(Self::New, i64), Error> {
        let found = posts::find(conn, tenant, id)?;
        Ok((PostRequest::from(&found).parse()?, found.version))
    }
    fn create(conn: &mut DbConn, tenant: Uuid, new: &Self::New) -> Result<Uuid, Error> {
        Ok(posts::create(conn, tenant, new, Some("sync"))?.id)
    }
    fn update(conn: &mut DbConn, tenant: Uuid, id: Uuid, new: &Self::New) -> Result<i64, Error> {
        posts::update(conn, tenant, id, &Expected::Any, new, Some("sync"))
            .map(|found| found.version)
    }
    fn delete(conn: &mut DbConn, tenant: Uuid, id: Uuid, cascade: bool) -> Result<(), Error> {
        posts::delete(conn, tenant, id, &Expected::Any, cascade)
    }
    fn respond(conn: &mut DbConn, tenant: Uuid, id: Uuid) -> Result<(i64, Value), Error> {
        let found = posts::find(conn, tenant, id)?;
        json(found.version, PostResponse::from(found))
    }
}

impl Synced for Tenures {
    const ENTITY: Entity = Entity::Tenure;
    const REFERENCES: &'static [(&'static str, Entity)] =
        &[("person_id", Entity::Person), ("post_id", Entity::Post)];
    type Request = TenureRequest;
    type New = NewTenure;

    fn refs(request: &Self::Request) -> Option<Vec<ExternalRef>> {
        request.external_refs.clone()
    }
    fn parse(request: Self::Request) -> Result<Self::New, Error> {
        request.parse()
    }
    fn current(conn: &mut DbConn, tenant: Uuid, id: Uuid) -> Result<(Self::New, i64), Error> {
        let found = tenures::find(conn, tenant, id)?;
        Ok((TenureRequest::from(&found).parse()?, found.version))
    }
    fn create(conn: &mut DbConn, tenant: Uuid, new: &Self::New) -> Result<Uuid, Error> {
        Ok(tenures::create(conn, tenant, new)?.id)
    }
    fn update(conn: &mut DbConn, tenant: Uuid, id: Uuid, new: &Self::New) -> Result<i64, Error> {
        tenures::update(conn, tenant, id, &Expected::Any, new).map(|found| found.version)
    }
    fn delete(conn: &mut DbConn, tenant: Uuid, id: Uuid, _cascade: bool) -> Result<(), Error> {
        tenures::delete(conn, tenant, id, &Expected::Any)
    }
    fn current_many(
        conn: &mut DbConn,
        tenant: Uuid,
        ids: &[Uuid],
    ) -> Result<HashMap<Uuid, (Self::New, i64)>, Error> {
        let found = tenures::find_many(conn, tenant, ids)?;
        found.iter().map(|t| Ok((t.id, (TenureRequest::from(t).parse()?, t.version)))).collect()
    }
    fn create_many(
        conn: &mut DbConn,
        tenant: Uuid,
        news: &[&Self::New],
    ) -> Result<Vec<Uuid>, Error> {
        tenures::create_many(conn, tenant, news)
    }
    fn respond(conn: &mut DbConn, tenant: Uuid, id: Uuid) -> Result<(i64, Value), Error> {
        let found = tenures::find(conn, tenant, id)?;
        json(found.version, TenureResponse::from(found))
    }
}

pub(super) struct Relationships;
pub(super) struct CoverageLinks;

impl Synced for Relationships {
    const ENTITY: Entity = Entity::Relationship;
    const REFERENCES: &'static [(&'static str, Entity)] =
        &[("from_person_id", Entity::Person), ("to_person_id", Entity::Person)];
    type Request = RelationshipRequest;
    type New = NewRelationship;

    fn refs(request: &Self::Request) -> Option<Vec<ExternalRef>> {
        request.external_refs.clone()
    }
    fn parse(request: Self::Request) -> Result<Self::New, Error> {
        request.parse()
    }
    fn current(conn: &mut DbConn, tenant: Uuid, id: Uuid) -> Result<(Self::New, i64), Error> {
        let found = relationships::find_relationship(conn, tenant, id)?;
        Ok((RelationshipRequest::from(&found).parse()?, found.version))
    }
    fn create(conn: &mut DbConn, tenant: Uuid, new: &Self::New) -> Result<Uuid, Error> {
        Ok(relationships::create_relationship(conn, tenant, new)?.id)
    }
    fn update(conn: &mut DbConn, tenant: Uuid, id: Uuid, new: &Self::New) -> Result<i64, Error> {
        relationships::update_relationship(conn, tenant, id, &Expected::Any, new)
            .map(|found| found.version)
    }
    fn delete(conn: &mut DbConn, tenant: Uuid, id: Uuid, _cascade: bool) -> Result<(), Error> {
        relationships::delete_relationship(conn, tenant, id, &Expected::Any)
    }
    fn respond(conn: &mut DbConn, tenant: Uuid, id: Uuid) -> Result<(i64, Value), Error> {
        let found = relationships::find_relationship(conn, tenant, id)?;
        json(found.version, RelationshipResponse::from(found))
    }
}

impl Synced for CoverageLinks {
    const ENTITY: Entity = Entity::Coverage;
    const REFERENCES: &'static [(&'static str, Entity)] =
        &[("salesperson_id", Entity::Person), ("stakeholder_id", Entity::Person)];
    type Request = CoverageRequest;
    type New = NewCoverage;

    fn refs(request: &Self::Request) -> Option<Vec<ExternalRef>> {
        request.external_refs.clone()
    }
    fn parse(request: Self::Request) -> Result<Self::New, Error> {
        request.parse()
    }
    fn current(conn: &mut DbConn, tenant: Uuid, id: Uuid) -> Result<(Self::New, i64), Error> {
        let found = coverage::find_coverage(conn, tenant, id)?;
        Ok((CoverageRequest::from(&found).parse()?, found.version))
    }
    fn create(conn: &mut DbConn, tenant: Uuid, new: &Self::New) -> Result<Uuid, Error> {
        Ok(coverage::create_coverage(conn, tenant, new)?.id)
    }
    fn update(conn: &mut DbConn, tenant: Uuid, id: Uuid, new: &Self::New) -> Result<i64, Error> {
        coverage::update_coverage(conn, tenant, id, &Expected::Any, new).map(|found| found.version)
    }
    fn delete(conn: &mut DbConn, tenant: Uuid, id: Uuid, _cascade: bool) -> Result<(), Error> {
        coverage::delete_coverage(conn, tenant, id, &Expected::Any)
    }
    fn respond(conn: &mut DbConn, tenant: Uuid, id: Uuid) -> Result<(i64, Value), Error> {
        let found = coverage::find_coverage(conn, tenant, id)?;
        let response = crate::http::coverage::one(conn, tenant, found)?;
        json(response.version, response)
    }
}

/// What an upsert did.
pub struct Upserted {
    pub created: bool,
    pub id: Uuid,
    pub version: i64,
    pub body: Value,
}

fn upsert_as<S: Synced>(
    conn: &mut DbConn,
    tenant: Uuid,
    key: &ExternalRef,
    body: Value,
) -> Result<Upserted, Error> {
    let [done] = upsert_many_as::<S>(conn, tenant, vec![(key.clone(), body)])?[..] else {
        return Err(Error::internal("one upsert, not one result"));
    };
    let (version, body) = S::respond(conn, tenant, done.id)?;
    Ok(Upserted { created: done.created, id: done.id, version, body })
}

/// Creates or updates the entity the CRM knows as `key`.
pub fn upsert(
    conn: &mut DbConn,
    tenant: Uuid,
    entity: Entity,
    key: &ExternalRef,
    body: Value,
) -> Result<Upserted, Error> {
    match entity {
        Entity::Organization => upsert_as::<Organizations>(conn, tenant, key, body),
        Entity::Person => upsert_as::<Persons>(conn, tenant, key, body),
        Entity::Post => upsert_as::<Posts>(conn, tenant, key, body),
        Entity::Tenure => upsert_as::<Tenures>(conn, tenant, key, body),
        Entity::Relationship => upsert_as::<Relationships>(conn, tenant, key, body),
        Entity::Coverage => upsert_as::<CoverageLinks>(conn, tenant, key, body),
        _ => Err(immutable()),
    }
}

/// Whether a run of upserts of the type may be written set-wise: not when the type refers to
/// its own kind (a parent, a manager's post), since a run resolves references up front and
/// an operation may name what an earlier one in the run created or renamed.
pub fn writes_set_wise(entity: Entity) -> bool {
    fn refers_to_itself<S: Synced>() -> bool {
        S::REFERENCES.iter().any(|(_, referenced)| *referenced == S::ENTITY)
    }
    match entity {
        Entity::Organization => !refers_to_itself::<Organizations>(),
        Entity::Person => !refers_to_itself::<Persons>(),
        Entity::Post => !refers_to_itself::<Posts>(),
        Entity::Tenure => !refers_to_itself::<Tenures>(),
        Entity::Relationship => !refers_to_itself::<Relationships>(),
        Entity::Coverage => !refers_to_itself::<CoverageLinks>(),
        Entity::CraftingRevision | Entity::Interaction => false,
    }
}

/// Upserts a run of a batch set-wise (see `runs`): the entities the CRM knows as these keys.
pub fn upsert_many(
    conn: &mut DbConn,
    tenant: Uuid,
    entity: Entity,
    items: Vec<(ExternalRef, Value)>,
) -> Result<Vec<Written>, Error> {
    match entity {
        Entity::Organization => upsert_many_as::<Organizations>(conn, tenant, items),
        Entity::Person => upsert_many_as::<Persons>(conn, tenant, items),
        Entity::Post => upsert_many_as::<Posts>(conn, tenant, items),
        Entity::Tenure => upsert_many_as::<Tenures>(conn, tenant, items),
        Entity::Relationship => upsert_many_as::<Relationships>(conn, tenant, items),
        Entity::Coverage => upsert_many_as::<CoverageLinks>(conn, tenant, items),
        _ => Err(immutable()),
    }
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

/// Deletes the entity the CRM knows as `key` (404 if none); `cascade` as for its own `DELETE`.
pub fn delete(
    conn: &mut DbConn,
    tenant: Uuid,
    entity: Entity,
    key: &ExternalRef,
    cascade: bool,
) -> Result<Uuid, Error> {
    let id = external_refs::resolve(conn, tenant, entity, key)?.ok_or(Error::NotFound)?;
    match entity {
        Entity::Organization => Organizations::delete(conn, tenant, id, cascade)?,
        Entity::Person => Persons::delete(conn, tenant, id, cascade)?,
        Entity::Post => Posts::delete(conn, tenant, id, cascade)?,
        Entity::Tenure => Tenures::delete(conn, tenant, id, cascade)?,
        Entity::Relationship => Relationships::delete(conn, tenant, id, cascade)?,
        Entity::Coverage => CoverageLinks::delete(conn, tenant, id, cascade)?,
        _ => return Err(immutable()),
    }
    Ok(id)
}

/// The entity the CRM knows as `key`, as its own `GET` answers it.
pub fn lookup(
    conn: &mut DbConn,
    tenant: Uuid,
    entity: Entity,
    key: &ExternalRef,
) -> Result<(Uuid, i64, Value), Error> {
    let id = external_refs::resolve(conn, tenant, entity, key)?.ok_or(Error::NotFound)?;
    let (version, body) = match entity {
        Entity::Organization => Organizations::respond(conn, tenant, id)?,
        Entity::Person => Persons::respond(conn, tenant, id)?,
        Entity::Post => Posts::respond(conn, tenant, id)?,
        Entity::Tenure => Tenures::respond(conn, tenant, id)?,
        Entity::Relationship => Relationships::respond(conn, tenant, id)?,
        Entity::Coverage => CoverageLinks::respond(conn, tenant, id)?,
        _ => {
            let found = crate::store::crafting::find(conn, tenant, id)?;
            json(1, crate::http::crafting::RevisionResponse::from(found))?
        }
    };
    Ok((id, version, body))
}
