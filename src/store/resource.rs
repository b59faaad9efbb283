//! The one life of the six entities a client writes — organization, person, post, tenure,
//! relationship, coverage link: each implements `Resource` once (in its own store module), and
//! creating, replacing and patching with external ids is written here once, for REST and sync
//! alike.

use uuid::Uuid;

use crate::domain::sync::{Entity, ExternalRef};
use crate::domain::tenant::TenantId;
use crate::error::Error;
use crate::store::{external_refs, DbConn, Expected, PageRequest};

/// An entity a client writes by REST and by sync.
pub trait Resource: 'static {
    const ENTITY: Entity;
    /// Body fields naming other entities: a sync body may give them as `{source, external_id}`.
    const REFERENCES: &'static [(&'static str, Entity)];
    /// The entity as a client writes it, parsed and checked.
    type New: PartialEq + Send + 'static;
    /// The entity as stored, with its external ids when read by `find` or `list`.
    type Stored: Send + 'static;
    /// The entity as its own `GET` shows it (the stored one, or more where a read model
    /// derives something).
    type View: Send + 'static;
    /// What its list may be narrowed by.
    type Filter: Send + 'static;

    /// Its id and version (the ETag).
    fn key(stored: &Self::Stored) -> (Uuid, i64);
    /// The stored entity as it would be written again: what sync compares an upsert with
    /// ("unchanged" writes nothing) and what a merge patch applies to.
    fn as_written(stored: &Self::Stored) -> Self::New;

    fn find(conn: &mut DbConn, tenant: TenantId, id: Uuid) -> Result<Self::Stored, Error>;
    /// Those of `ids` that exist (their external ids need not be loaded); one by one unless
    /// the entity reads them at once.
    fn find_many(
        conn: &mut DbConn,
        tenant: TenantId,
        ids: &[Uuid],
    ) -> Result<Vec<Self::Stored>, Error> {
        let mut found = Vec::with_capacity(ids.len());
        for id in ids {
            match Self::find(conn, tenant, *id) {
                Ok(stored) => found.push(stored),
                Err(Error::NotFound) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(found)
    }
    /// A page in id order, with external ids.
    fn list(
        conn: &mut DbConn,
        tenant: TenantId,
        filter: Self::Filter,
        page: PageRequest<Uuid>,
    ) -> Result<(Vec<Self::Stored>, bool), Error>;
    fn views(
        conn: &mut DbConn,
        tenant: TenantId,
        stored: Vec<Self::Stored>,
    ) -> Result<Vec<Self::View>, Error>;

    fn create(conn: &mut DbConn, tenant: TenantId, new: &Self::New) -> Result<Self::Stored, Error>;
    /// `create` of many, in order; their ids. One by one unless the entity inserts them at once.
    fn create_many(
        conn: &mut DbConn,
        tenant: TenantId,
        news: &[&Self::New],
    ) -> Result<Vec<Uuid>, Error> {
        news.iter().map(|new| Ok(Self::key(&Self::create(conn, tenant, new)?).0)).collect()
    }
    /// Locks its row at `version` (`locks_rows!` writes it), so that a concurrent writer of the
    /// same row waits, then finds another version.
    fn lock(conn: &mut DbConn, tenant: TenantId, id: Uuid, version: i64) -> Result<(), Error>;
    /// Writes `new` over `current`, which `locked` read, checked and locked.
    fn update(
        conn: &mut DbConn,
        tenant: TenantId,
        current: Self::Stored,
        new: &Self::New,
    ) -> Result<Self::Stored, Error>;
    /// Deletes `current`, which `locked` read, checked and locked; `cascade` also deletes what
    /// depends on it where the entity has dependants.
    fn delete(
        conn: &mut DbConn,
        tenant: TenantId,
        current: Self::Stored,
        cascade: bool,
    ) -> Result<(), Error>;
}

/// Reads the entity an update or a delete starts from, checks it against the versions the
/// caller accepts (`If-Match`) and locks its row at the version read.
pub fn locked<R: Resource>(
    conn: &mut DbConn,
    tenant: TenantId,
    id: Uuid,
    expected: &Expected,
) -> Result<R::Stored, Error> {
    let current = R::find(conn, tenant, id)?;
    let version = R::key(&current).1;
    expected.check(version)?;
    R::lock(conn, tenant, id, version)?;
    Ok(current)
}

/// External ids as a writer gives them: `None` keeps the entity's own.
pub type GivenRefs = Option<Vec<ExternalRef>>;

/// Creates the entity with the external ids its writer gave, read back with them.
pub fn create<R: Resource>(
    conn: &mut DbConn,
    tenant: TenantId,
    new: &R::New,
    refs: &GivenRefs,
) -> Result<R::Stored, Error> {
    let created = R::create(conn, tenant, new)?;
    with_given_refs::<R>(conn, tenant, R::key(&created).0, refs)
}

/// Replaces the entity's fields (and its external ids, if given), read back with them.
pub fn replace<R: Resource>(
    conn: &mut DbConn,
    tenant: TenantId,
    id: Uuid,
    expected: &Expected,
    new: &R::New,
    refs: &GivenRefs,
) -> Result<R::Stored, Error> {
    let current = locked::<R>(conn, tenant, id, expected)?;
    let updated = R::update(conn, tenant, current, new)?;
    match refs {
        Some(_) => with_given_refs::<R>(conn, tenant, id, refs),
        None => Ok(updated),
    }
}

/// Deletes the entity if it is at a version the caller accepts.
pub fn delete<R: Resource>(
    conn: &mut DbConn,
    tenant: TenantId,
    id: Uuid,
    expected: &Expected,
    cascade: bool,
) -> Result<(), Error> {
    let current = locked::<R>(conn, tenant, id, expected)?;
    R::delete(conn, tenant, current, cascade)
}

/// Changes the entity to what `merge` makes of it as written (a merge patch): checked against
/// `expected` first, then written only if no other writer came in between (else the work runs
/// again, `Error::Raced`).
pub fn patch<R: Resource>(
    conn: &mut DbConn,
    tenant: TenantId,
    id: Uuid,
    expected: &Expected,
    merge: impl FnOnce(R::New) -> Result<(R::New, GivenRefs), Error>,
) -> Result<R::Stored, Error> {
    let current = R::find(conn, tenant, id)?;
    let version = R::key(&current).1;
    expected.check(version)?;
    let (new, refs) = merge(R::as_written(&current))?;
    replace::<R>(conn, tenant, id, &Expected::Read(version), &new, &refs)
}

/// The entity as its own `GET` shows it: its id, its version (the ETag) and its view.
pub fn view<R: Resource>(
    conn: &mut DbConn,
    tenant: TenantId,
    stored: R::Stored,
) -> Result<(Uuid, i64, R::View), Error> {
    let (id, version) = R::key(&stored);
    let view = R::views(conn, tenant, vec![stored])?.pop().ok_or(Error::NotFound)?;
    Ok((id, version, view))
}

fn with_given_refs<R: Resource>(
    conn: &mut DbConn,
    tenant: TenantId,
    id: Uuid,
    refs: &GivenRefs,
) -> Result<R::Stored, Error> {
    if let Some(refs) = refs {
        external_refs::set(conn, tenant, R::ENTITY, id, refs, "/external_refs")?;
    }
    R::find(conn, tenant, id)
}
