//! The change feed: every committed create, update and delete of a tenant, in commit order.
//!
//! Each change takes the next number of its tenant's counter (`feed_heads.change_seq`, apart
//! from the `tenants` row that every new person or organization takes a key-share lock on).
//! Updating the counter locks its row until the transaction ends, so a later writer of the
//! same tenant waits for it: numbers commit in the order they are taken, a poller that has seen
//! number N has seen every number below it, and a rolled-back transaction returns its numbers.
//! Changes are collected during the transaction and numbered just before it commits, so the
//! price — writers of one tenant serialise — is paid only from numbering to commit.

use std::cell::RefCell;
use std::collections::HashMap;

use diesel::prelude::*;
use uuid::Uuid;

use crate::domain::coverage::{enum_name, enum_parse};
pub use crate::domain::sync::{Entity, ExternalRef, Operation};
use crate::domain::tenant::TenantId;
use crate::error::Error;
use crate::store::schema::{changes, external_refs as external_refs_table, feed_heads};
use crate::store::{execute_natively, now, parse_id, to_json, DbConn, INSERT_CHUNK};
use crate::store::{external_refs, history};

/// Who is writing: set for the duration of a write transaction by `Db::write`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// The sync source named in the request, else the API key's name.
    pub origin: String,
    pub key_id: Option<Uuid>,
    /// The API request writing, for the audit log; `None` for the system's own writes.
    pub request: Option<Request>,
}

/// An API request that writes: whose key, and what it asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub tenant_id: TenantId,
    pub key_id: Uuid,
    pub key_name: String,
    /// Method and route template, e.g. `POST /v1/sync/batch`.
    pub action: String,
    /// The request's id and W3C trace context (`http::trace`), recorded with its changes.
    pub request_id: String,
    pub traceparent: Option<String>,
}

impl Actor {
    /// Writes not made through the API (the command line, migrations, webhook delivery).
    pub fn system() -> Actor {
        Actor { origin: "system".into(), key_id: None, request: None }
    }

    /// The name recorded beside what it writes (a post's or a crafted job's revision): the
    /// API key's name, whichever door (REST or sync) the request came through; else the origin.
    pub fn author(&self) -> String {
        self.request.as_ref().map_or_else(|| self.origin.clone(), |r| r.key_name.clone())
    }
}

thread_local! {
    // A write transaction runs on one blocking thread from start to commit, so the thread is
    // where its actor lives; store functions record changes without each taking an actor.
    static ACTOR: RefCell<Option<Actor>> = const { RefCell::new(None) };
}

/// Runs `f` with `actor` as the author of the changes it records.
pub fn acting_as<T>(actor: Actor, f: impl FnOnce() -> T) -> T {
    struct Reset(Option<Actor>);
    impl Drop for Reset {
        fn drop(&mut self) {
            ACTOR.with(|a| *a.borrow_mut() = self.0.take());
        }
    }
    let _reset = Reset(ACTOR.with(|a| a.borrow_mut().replace(actor)));
    f()
}

pub fn current_actor() -> Actor {
    ACTOR.with(|a| a.borrow().clone()).unwrap_or_else(Actor::system)
}

/// A change recorded during a write transaction, numbered when the transaction is about to
/// commit.
struct Pending {
    tenant: TenantId,
    entity: Entity,
    id: Uuid,
    operation: Operation,
    refs: Refs,
}

/// The external ids a change carries.
enum Refs {
    /// Read when the change is numbered, so references set later in the transaction are
    /// included.
    AtCommit,
    /// What a deleted entity had: the references go with it.
    Had(Vec<ExternalRef>),
    /// What a created entity was given (`given_refs`); read at commit after all if another
    /// change of the entity is pending, which may have changed them.
    Given(Vec<ExternalRef>),
}

thread_local! {
    static PENDING: RefCell<Option<Vec<Pending>>> = const { RefCell::new(None) };
}

/// Runs a write transaction `f`, which calls `flush` last: changes recorded inside are
/// numbered at the end, so the tenant stays locked only from then until the commit.
pub fn collecting<T>(f: impl FnOnce() -> T) -> T {
    struct Reset(Option<Vec<Pending>>);
    impl Drop for Reset {
        fn drop(&mut self) {
            PENDING.with(|p| *p.borrow_mut() = self.0.take());
        }
    }
    let _reset = Reset(PENDING.with(|p| p.borrow_mut().replace(Vec::new())));
    f()
}

/// Numbers and writes the changes recorded so far in this transaction; the numbers each
/// tenant's changes took (first, count).
pub fn flush(conn: &mut DbConn) -> Result<Vec<(TenantId, i64, i64)>, Error> {
    let pending = PENDING.with(|p| p.borrow_mut().as_mut().map(std::mem::take)).unwrap_or_default();
    let mut tenants: Vec<TenantId> = pending.iter().map(|p| p.tenant).collect();
    tenants.sort();
    tenants.dedup();
    let mut numbered = Vec::with_capacity(tenants.len());
    for tenant in tenants {
        let mine: Vec<&Pending> = pending.iter().filter(|p| p.tenant == tenant).collect();
        numbered.push((tenant, write(conn, tenant, &mine)?, mine.len() as i64));
    }
    Ok(numbered)
}

/// Runs `f` in a savepoint: if it fails it leaves nothing, neither rows nor the changes it
/// recorded (they wait in memory to be numbered, outside the database's reach).
pub fn savepoint<T>(
    conn: &mut DbConn,
    f: impl FnOnce(&mut DbConn) -> Result<T, Error>,
) -> Result<T, Error> {
    let mark = pending_len();
    diesel::Connection::transaction(conn, f).inspect_err(|_| forget_since(mark))
}

/// How many changes are waiting to be numbered.
fn pending_len() -> usize {
    PENDING.with(|p| p.borrow().as_ref().map_or(0, Vec::len))
}

fn forget_since(len: usize) {
    PENDING.with(|p| {
        if let Some(pending) = p.borrow_mut().as_mut() {
            pending.truncate(len);
        }
    });
}

/// Records that `entity` `id` was created, updated or deleted.
pub fn record(
    conn: &mut DbConn,
    tenant: TenantId,
    entity: Entity,
    id: Uuid,
    operation: Operation,
) -> Result<(), Error> {
    record_many(conn, tenant, entity, &[id], operation)
}

pub fn record_many(
    conn: &mut DbConn,
    tenant: TenantId,
    entity: Entity,
    ids: &[Uuid],
    operation: Operation,
) -> Result<(), Error> {
    // What an update or a delete replaces is kept, for reports as known at a past time.
    if matches!(operation, Operation::Update | Operation::Delete) {
        history::keep(conn, tenant, entity, ids)?;
    }
    // A deletion keeps the external ids the entity had; they go with it.
    let mut deleted_refs = match operation {
        Operation::Delete => Some(external_refs::of_many(conn, tenant, entity, ids)?),
        _ => None,
    };
    let mut pending: Vec<Pending> = ids
        .iter()
        .map(|id| Pending {
            tenant,
            entity,
            id: *id,
            operation,
            refs: match deleted_refs.as_mut() {
                Some(refs) => Refs::Had(refs.remove(id).unwrap_or_default()),
                None => Refs::AtCommit,
            },
        })
        .collect();
    let collected = PENDING.with(|p| match p.borrow_mut().as_mut() {
        Some(list) => {
            list.append(&mut pending);
            true
        }
        None => false,
    });
    if collected {
        return Ok(());
    }
    // Outside a collecting transaction (the command line): numbered right away.
    let mine: Vec<&Pending> = pending.iter().collect();
    write(conn, tenant, &mine).map(|_| ())
}

/// The external ids just given to entities whose creation is pending in this transaction, so
/// numbering their changes need not read them back (a sync batch's run of creations).
pub fn given_refs(tenant: TenantId, entity: Entity, given: &[(Uuid, Vec<ExternalRef>)]) {
    let given: HashMap<Uuid, &Vec<ExternalRef>> = given.iter().map(|(id, r)| (*id, r)).collect();
    PENDING.with(|p| {
        for change in p.borrow_mut().iter_mut().flatten() {
            if change.tenant == tenant
                && change.entity == entity
                && change.operation == Operation::Create
            {
                if let Some(refs) = given.get(&change.id) {
                    change.refs = Refs::Given(refs.to_vec());
                }
            }
        }
    });
}

/// Numbers and inserts the changes; the first number they took.
fn write(conn: &mut DbConn, tenant: TenantId, changes: &[&Pending]) -> Result<i64, Error> {
    if changes.is_empty() {
        return Ok(0);
    }
    let t = tenant.to_string();
    diesel::update(feed_heads::table.filter(feed_heads::tenant_id.eq(&t)))
        .set(feed_heads::change_seq.eq(feed_heads::change_seq + changes.len() as i64))
        .execute(conn)?;
    let last = head(conn, tenant)?;
    let actor = current_actor();
    let at = now();
    let first = last - changes.len() as i64 + 1;
    // The external ids each change carries: a deletion's, and a creation's given ones if it is
    // the entity's only change, as they are; the others' as they are now, one query per
    // entity type.
    let mut changed: HashMap<(Entity, Uuid), usize> = HashMap::new();
    for change in changes {
        *changed.entry((change.entity, change.id)).or_default() += 1;
    }
    let carried: Vec<Option<&Vec<ExternalRef>>> = changes
        .iter()
        .map(|change| match &change.refs {
            Refs::Had(refs) => Some(refs),
            Refs::Given(refs) if changed[&(change.entity, change.id)] == 1 => Some(refs),
            _ => None,
        })
        .collect();
    let mut unknown: HashMap<Entity, Vec<Uuid>> = HashMap::new();
    for (change, _) in changes.iter().zip(&carried).filter(|(_, refs)| refs.is_none()) {
        unknown.entry(change.entity).or_default().push(change.id);
    }
    let mut current: HashMap<(Entity, Uuid), Vec<ExternalRef>> = HashMap::new();
    for (entity, ids) in unknown {
        for (id, refs) in external_refs::of_many(conn, tenant, entity, &ids)? {
            current.insert((entity, id), refs);
        }
    }
    let none = Vec::new();
    let refs: Vec<String> = changes
        .iter()
        .zip(&carried)
        .map(|(change, refs)| {
            to_json(
                refs.unwrap_or_else(|| current.get(&(change.entity, change.id)).unwrap_or(&none)),
            )
        })
        .collect::<Result<_, _>>()?;
    let key_id = actor.key_id.map(|k| k.to_string());
    let request_id = actor.request.as_ref().map(|r| r.request_id.as_str());
    let traceparent = actor.request.as_ref().and_then(|r| r.traceparent.as_deref());
    if let DbConn::Pg(pg) = conn {
        return crate::store::unnest::changes(
            pg,
            crate::store::unnest::Changes {
                tenant: &t,
                origin: &actor.origin,
                key_id: key_id.as_deref(),
                request_id,
                traceparent,
                occurred_at: at,
                seqs: (first..first + changes.len() as i64).collect(),
                entities: changes.iter().map(|c| enum_name(&c.entity)).collect(),
                entity_ids: changes.iter().map(|c| c.id.to_string()).collect(),
                operations: changes.iter().map(|c| enum_name(&c.operation)).collect(),
                external_refs: refs,
            },
        )
        .map(|()| first);
    }
    let rows = changes
        .iter()
        .enumerate()
        .map(|(i, change)| {
            (
                changes::tenant_id.eq(&t),
                changes::seq.eq(first + i as i64),
                changes::entity.eq(enum_name(&change.entity)),
                changes::entity_id.eq(change.id.to_string()),
                changes::operation.eq(enum_name(&change.operation)),
                changes::origin.eq(&actor.origin),
                changes::key_id.eq(key_id.as_deref()),
                changes::external_refs.eq(&refs[i]),
                changes::occurred_at.eq(at),
                changes::request_id.eq(request_id),
                changes::traceparent.eq(traceparent),
            )
        })
        .collect::<Vec<_>>();
    for chunk in rows.chunks(INSERT_CHUNK) {
        execute_natively(conn, diesel::insert_into(changes::table).values(chunk))?;
    }
    Ok(first)
}

/// Records deletions — tombstones carrying the external ids the entities had — and drops those
/// external ids.
pub fn deleted(
    conn: &mut DbConn,
    tenant: TenantId,
    entity: Entity,
    ids: &[Uuid],
) -> Result<(), Error> {
    if ids.is_empty() {
        return Ok(());
    }
    record_many(conn, tenant, entity, ids, Operation::Delete)?;
    let ids: Vec<String> = ids.iter().map(Uuid::to_string).collect();
    diesel::delete(
        external_refs_table::table
            .filter(external_refs_table::tenant_id.eq(tenant))
            .filter(external_refs_table::entity.eq(enum_name(&entity)))
            .filter(external_refs_table::entity_id.eq_any(ids)),
    )
    .execute(conn)?;
    Ok(())
}

/// The number of the tenant's last change. Every change up to it has committed: numbers
/// commit in the order they are taken (see the top of this module).
pub fn head(conn: &mut DbConn, tenant: TenantId) -> Result<i64, Error> {
    let counter = feed_heads::table.filter(feed_heads::tenant_id.eq(tenant));
    Ok(counter.select(feed_heads::change_seq).first(conn)?)
}

/// The ids of the `entity`s created, updated or deleted by the changes after number `after`.
pub fn written_since(
    conn: &mut DbConn,
    tenant: TenantId,
    entity: Entity,
    after: i64,
) -> Result<Vec<Uuid>, Error> {
    Ok(touched_since(conn, tenant, &[entity], &[], after)?
        .into_iter()
        .map(|(_, _, id)| id)
        .collect())
}

/// The entities of these kinds created, updated or deleted by the changes after number
/// `after`, each with what was done to it; of the kinds `deleted`, only deletions (a reader
/// that cares only for those does not load, say, every update a CRM sync brought).
pub fn touched_since(
    conn: &mut DbConn,
    tenant: TenantId,
    entities: &[Entity],
    deleted: &[Entity],
    after: i64,
) -> Result<Vec<(Entity, Operation, Uuid)>, Error> {
    let names: Vec<String> = entities.iter().map(enum_name).collect();
    let deleted: Vec<String> = deleted.iter().map(enum_name).collect();
    let rows: Vec<(String, String, String)> = changes::table
        .filter(changes::tenant_id.eq(tenant))
        .filter(
            changes::entity.eq_any(names).or(changes::entity
                .eq_any(deleted)
                .and(changes::operation.eq(enum_name(&Operation::Delete)))),
        )
        .filter(changes::seq.gt(after))
        .select((changes::entity, changes::operation, changes::entity_id))
        .load(conn)?;
    rows.iter()
        .map(|(entity, operation, id)| {
            Ok((enum_parse(entity)?, enum_parse(operation)?, parse_id(id)?))
        })
        .collect()
}

/// Stored ids as uuids.
pub fn parse_ids(stored: &[String]) -> Result<Vec<Uuid>, Error> {
    stored.iter().map(|id| parse_id(id)).collect()
}
