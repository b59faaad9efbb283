//! Storage: diesel on SQLite or PostgreSQL, one module per aggregate (or per responsibility of
//! a large one: `post_revisions`, `erasure`), each taking `&mut DbConn`. Imports `domain` and
//! `error`, never `api`, `sync` or `http`.
//!
//! Imports between the structure's aggregates run one way: `organizations` ← `posts` ←
//! `tenures`, and `persons` ← `tenures`. What several of them need sits below them and imports
//! only tables, changes and external ids (`cascades`, `seats`); read models across aggregates
//! sit above them, in `views`.

/// Locks an entity's row at the version its writer read and checked: `UPDATE … SET version =
/// version WHERE … AND version = v`. On PostgreSQL the row lock lasts until the transaction
/// ends, so a concurrent writer of the same row waits here, then finds another version and
/// runs its work again (`Error::Raced`): an `If-Match` is checked against the version really
/// replaced, and no update is lost. SQLite's writers are serialised already.
macro_rules! lock_version {
    ($conn:expr, $table:ident, $tenant:expr, $id:expr, $version:expr) => {
        $crate::store::versioned(
            diesel::update(
                $table::table
                    .filter($table::tenant_id.eq($tenant))
                    .filter($table::id.eq($id.to_string()))
                    .filter($table::version.eq($version)),
            )
            .set($table::version.eq($version))
            .execute($conn)?,
        )
    };
}

/// A `Resource`'s `lock`: its row locked at the version its writer read and checked
/// (`lock_version!`), by `resource::locked`.
macro_rules! locks_rows {
    ($table:ident) => {
        fn lock(conn: &mut DbConn, tenant: TenantId, id: Uuid, version: i64) -> Result<(), Error> {
            lock_version!(conn, $table, tenant, id, version)
        }
    };
}

/// Writes `$fields` over `$current`'s row (anything with its `id` and `version`) as its next
/// version and records the update in the change feed.
macro_rules! write_version {
    ($conn:expr, $table:ident, $entity:expr, $tenant:expr, $current:expr, $fields:expr) => {{
        // The caller's `changes`: every aggregate module imports it. Recorded first, so that
        // the row it replaces is kept as it was (`store::history`).
        changes::record($conn, $tenant, $entity, $current.id, changes::Operation::Update)?;
        diesel::update(
            $table::table
                .filter($table::tenant_id.eq($tenant))
                .filter($table::id.eq($current.id.to_string())),
        )
        .set((
            $fields,
            $table::version.eq($current.version + 1),
            $table::updated_at.eq($crate::store::now()),
        ))
        .execute($conn)
        .map(|_| ())
    }};
}

/// The values every entity's row starts with: its tenant and id, `$fields`, version 1, and the
/// time it was created (also its last change).
macro_rules! first_version {
    ($table:ident, $tenant:expr, $id:expr, $at:expr, $fields:expr) => {
        (
            $table::tenant_id.eq($tenant),
            $table::id.eq($id.to_string()),
            $fields,
            $table::version.eq(1),
            $table::created_at.eq($at),
            $table::updated_at.eq($at),
        )
    };
}

/// One page of a boxed query of `$table` in id order: at most `page.limit` rows after
/// `page.after`, and whether more follow.
macro_rules! page_by_id {
    ($conn:expr, $query:expr, $table:ident, $page:expr) => {{
        let mut query = $query.order($table::id).limit($page.limit as i64 + 1);
        if let Some(after) = $page.after {
            query = query.filter($table::id.gt(after.to_string()));
        }
        $crate::store::split_page(query.load($conn)?, $page.limit)
    }};
}

/// An entity's `versions_since`: its earlier versions superseded after `since`, with when, as
/// `store::history::as_known` reads them; `$columns` of `$versions` in the order `$build` (a
/// row into the stored entity) reads them. The module imports `store::history::Versioned`.
macro_rules! versions_since {
    ($versions:ident, $Stored:ty, [$($column:ident),*], $build:expr) => {
        pub fn versions_since(
            conn: &mut DbConn,
            tenant: TenantId,
            since: chrono::NaiveDateTime,
        ) -> Result<Vec<(chrono::NaiveDateTime, $Stored)>, Error> {
            use $crate::store::schema::$versions as v;
            let rows: Vec<(_, chrono::NaiveDateTime)> = v::table
                .filter(v::tenant_id.eq(tenant))
                .filter(v::superseded_at.gt(since))
                .select((($(v::$column,)*), v::superseded_at))
                .load(conn)?;
            rows.into_iter().map(|(row, at)| Ok((at, $build(row)?))).collect()
        }

        impl Versioned for $Stored {
            fn id(&self) -> Uuid {
                self.id
            }
            fn version(&self) -> i64 {
                self.version
            }
            fn created_at(&self) -> chrono::NaiveDateTime {
                self.created_at
            }
        }
    };
}

/// `key` and `views` of a `Resource` whose stored entity is also its view.
macro_rules! stored_is_view {
    ($stored:ty) => {
        fn key(stored: &$stored) -> (Uuid, i64) {
            (stored.id, stored.version)
        }
        fn views(_: &mut DbConn, _: TenantId, stored: Vec<$stored>) -> Result<Vec<$stored>, Error> {
            Ok(stored)
        }
    };
}

/// The reads every aggregate's rows answer alike: `one` (the query of one of the tenant's
/// rows), `find` (the entity with its external ids) and `find_many` (those of some ids that
/// exist, without them); with `pipelined`, also `find_pipelined` (`find` in one round trip).
/// `$row` is read by `$select` and made the entity by `$into`; `external_refs` is the caller's.
macro_rules! row_reads {
    ($table:ident, $entity:expr, $stored:ty, $row:ty = $select:expr => $into:path) => {
        #[diesel::dsl::auto_type(no_type_alias)]
        fn one(tenant: TenantId, id: Uuid) -> _ {
            let (tenant, id): (String, String) = (tenant.to_string(), id.to_string());
            $table::table.filter($table::tenant_id.eq(tenant)).filter($table::id.eq(id))
        }

        pub fn find(conn: &mut DbConn, tenant: TenantId, id: Uuid) -> Result<$stored, Error> {
            let row: $row = one(tenant, id).select($select).first(conn)?;
            let mut found = $into(row)?;
            found.external_refs = Some(external_refs::of(conn, tenant, $entity, id)?);
            Ok(found)
        }

        /// Those of `ids` that exist, without their external ids.
        pub fn find_many(
            conn: &mut DbConn,
            tenant: TenantId,
            ids: &[Uuid],
        ) -> Result<Vec<$stored>, Error> {
            let ids: Vec<String> = ids.iter().map(Uuid::to_string).collect();
            let rows: Vec<$row> = $table::table
                .filter($table::tenant_id.eq(tenant))
                .filter($table::id.eq_any(ids))
                .select($select)
                .load(conn)?;
            rows.into_iter().map($into).collect()
        }
    };
    ($table:ident, $entity:expr, $stored:ty, $row:ty = $select:expr => $into:path; pipelined) => {
        row_reads!($table, $entity, $stored, $row = $select => $into);

        /// `find` on a pipelining connection: the row and its external ids in one round trip.
        pub async fn find_pipelined(
            conn: $crate::store::pipelined::Connection,
            tenant: TenantId,
            id: Uuid,
        ) -> Result<$stored, Error> {
            let query = one(tenant, id).select($select).limit(1);
            let (row, refs) =
                external_refs::found_pipelined::<$row, _>(conn, tenant, $entity, id, query).await?;
            let mut found = $into(row)?;
            found.external_refs = Some(refs);
            Ok(found)
        }
    };
}

/// A page of a boxed query of `$table`'s rows (`page_by_id!`), each made the entity by
/// `$into`, with their external ids: what a `Resource`'s `list` answers.
/// (`external_refs` is the caller's: every aggregate module imports it.)
macro_rules! page_with_refs {
    ($conn:expr, $tenant:expr, $query:expr, $table:ident, $page:expr, $into:path, $entity:expr) => {{
        let (rows, more): (Vec<_>, bool) = page_by_id!($conn, $query, $table, $page);
        let found = rows.into_iter().map($into).collect::<Result<Vec<_>, Error>>()?;
        let found = external_refs::with_refs(
            $conn,
            $tenant,
            $entity,
            found,
            |x| x.id,
            |x, refs| x.external_refs = Some(refs),
        )?;
        Ok((found, more))
    }};
}

/// `find`, `find_many` and `list` of a `Resource` listed whole (no filter), from its
/// `row_reads!`.
macro_rules! unfiltered_reads {
    ($table:ident, $entity:expr, $stored:ty, $select:expr => $into:path) => {
        fn find(conn: &mut DbConn, tenant: TenantId, id: Uuid) -> Result<$stored, Error> {
            find(conn, tenant, id)
        }
        fn find_many(
            conn: &mut DbConn,
            tenant: TenantId,
            ids: &[Uuid],
        ) -> Result<Vec<$stored>, Error> {
            find_many(conn, tenant, ids)
        }
        fn list(
            conn: &mut DbConn,
            tenant: TenantId,
            _: (),
            page: PageRequest<Uuid>,
        ) -> Result<(Vec<$stored>, bool), Error> {
            let query =
                $table::table.filter($table::tenant_id.eq(tenant)).select($select).into_boxed();
            page_with_refs!(conn, tenant, query, $table, page, $into, $entity)
        }
    };
}

pub mod accounts;
pub mod affinities;
pub mod alerts;
pub mod api_keys;
pub mod audit;
pub mod cascades;
pub mod changes;
pub mod coverage;
pub mod coverage_settings;
pub mod crafting;
pub mod crafting_index;
pub mod erasure;
pub mod external_refs;
pub mod history;
pub mod idempotency;
pub mod interactions;
pub mod libpq;
pub mod organizations;
pub mod persons;
pub mod pipelined;
pub mod pool;
pub mod post_revisions;
pub mod posts;
pub mod relationships;
pub mod reports;
pub mod resource;
pub mod salespeople;
pub mod schema;
pub mod seats;
pub mod statistics;
pub mod suggestions;
pub mod tenures;
pub mod unnest;
pub mod views;
pub mod vocabulary;
pub mod webhooks;

pub use pool::{Backend, Db, DbConn};

use chrono::{NaiveDateTime, Utc};
use diesel::query_dsl::methods::ExecuteDsl;
use diesel::{PgConnection, SqliteConnection};
use uuid::Uuid;

use crate::domain::tenant::TenantId;
use crate::error::Error;

/// Rows per multi-row `INSERT`: well under SQLite's 32,766 and PostgreSQL's 65,535 bound
/// parameters for the widest row we insert that way.
pub const INSERT_CHUNK: usize = 500;

/// Runs a statement on the connection's own backend: for what diesel's multi-backend
/// connection cannot express — multi-row inserts — behind a match on the variant.
pub fn execute_natively<Q>(conn: &mut DbConn, statement: Q) -> Result<usize, Error>
where
    Q: ExecuteDsl<PgConnection> + ExecuteDsl<SqliteConnection>,
{
    Ok(match conn {
        DbConn::Pg(c) => ExecuteDsl::<PgConnection>::execute(statement, c)?,
        DbConn::Sqlite(c) => ExecuteDsl::<SqliteConnection>::execute(statement, c)?,
    })
}

// A tenant is stored as text, like every id: a `TenantId` compares with a `tenant_id` column
// as its text.
impl diesel::expression::AsExpression<diesel::sql_types::Text> for TenantId {
    type Expression =
        <String as diesel::expression::AsExpression<diesel::sql_types::Text>>::Expression;
    fn as_expression(self) -> Self::Expression {
        diesel::expression::AsExpression::<diesel::sql_types::Text>::as_expression(
            self.0.to_string(),
        )
    }
}

impl diesel::expression::AsExpression<diesel::sql_types::Text> for &TenantId {
    type Expression =
        <String as diesel::expression::AsExpression<diesel::sql_types::Text>>::Expression;
    fn as_expression(self) -> Self::Expression {
        diesel::expression::AsExpression::<diesel::sql_types::Text>::as_expression(*self)
    }
}

/// Timestamps are stored as UTC without zone, at microsecond precision on both backends.
pub fn now() -> NaiveDateTime {
    to_micros(Utc::now().naive_utc())
}

pub fn to_micros(time: NaiveDateTime) -> NaiveDateTime {
    time - chrono::Duration::nanoseconds(i64::from(time.and_utc().timestamp_subsec_nanos() % 1000))
}

/// Now, for what is effective now as known now.
pub fn now_point() -> crate::domain::crafting::TimePoint {
    let now = now();
    crate::domain::crafting::TimePoint { as_of: now, known_at: now }
}

/// Ids are stored as text; a malformed one in the database is a bug, not bad input.
pub fn parse_id(stored: &str) -> Result<Uuid, Error> {
    Uuid::parse_str(stored).map_err(Error::internal)
}

pub fn parse_optional_id(stored: Option<&str>) -> Result<Option<Uuid>, Error> {
    stored.map(parse_id).transpose()
}

pub fn to_json<T: serde::Serialize>(value: &T) -> Result<String, Error> {
    serde_json::to_string(value).map_err(Error::internal)
}

pub fn from_json<T: serde::de::DeserializeOwned>(stored: &str) -> Result<T, Error> {
    serde_json::from_str(stored).map_err(Error::internal)
}

/// One page of a keyset-paginated list: at most `limit` rows after `after`.
#[derive(Debug, Clone, Copy)]
pub struct PageRequest<K> {
    pub limit: usize,
    pub after: Option<K>,
}

/// Splits off the extra row fetched to learn whether another page follows.
pub fn split_page<T>(mut rows: Vec<T>, limit: usize) -> (Vec<T>, bool) {
    let more = rows.len() > limit;
    rows.truncate(limit);
    (rows, more)
}

/// The versions a caller accepts as current (from `If-Match`); `Any` skips the check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expected {
    Any,
    OneOf(Vec<i64>),
    /// The version the caller read and computed its write from (a merge patch): another one
    /// means a writer came in between, and the work runs again.
    Read(i64),
}

impl Expected {
    pub fn check(&self, current: i64) -> Result<(), Error> {
        match self {
            Expected::OneOf(versions) if !versions.contains(&current) => {
                Err(Error::PreconditionFailed)
            }
            Expected::Read(version) if *version != current => Err(Error::Raced),
            _ => Ok(()),
        }
    }
}

/// The first write of a row that exists once per key (a tenant's settings, an alert's
/// decision): a unique-key conflict means another writer's first write came in between, and
/// this one runs again, as an update.
pub fn first_write_raced(e: diesel::result::Error) -> Error {
    match Error::from(e) {
        Error::Conflict { .. } => Error::Raced,
        other => other,
    }
}

/// A versioned write that touched no row lost a race (see `lock_version!`).
pub fn versioned(rows: usize) -> Result<(), Error> {
    if rows == 0 {
        Err(Error::Raced)
    } else {
        Ok(())
    }
}
