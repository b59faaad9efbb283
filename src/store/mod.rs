//! Storage: diesel on SQLite or PostgreSQL, one module per aggregate (or per responsibility of
//! a large one: `post_revisions`, `erasure`), each taking `&mut DbConn`. Imports `domain` and
//! `error`, never `api`, `sync` or `http`.
//!
//! Imports between the structure's aggregates run one way: `organizations` ← `posts` ←
//! `tenures`, and `persons` ← `tenures`. What several of them need sits below them and imports
//! only tables, changes and external ids (`cascades`, `seats`); read models across aggregates
//! sit above them, in `views`.

#[macro_use]
mod macros;

pub mod account_demand;
pub mod accounts;
pub mod affinities;
pub mod alerts;
pub mod api_keys;
pub mod audit;
pub mod cascades;
pub mod changes;
pub mod connection;
pub mod coverage;
pub mod coverage_settings;
pub mod crafting;
pub mod crafting_index;
pub mod deliveries;
pub mod development_plans;
pub mod distribution;
pub mod erasure;
pub mod external_refs;
pub mod feed;
pub mod footprint;
pub mod history;
pub mod idempotency;
pub mod interactions;
pub mod kept_accounts;
pub mod libpq;
pub mod migrations;
pub mod organizations;
pub mod people;
pub mod persons;
pub mod pipelined;
pub mod pool;
pub mod post_revisions;
pub mod posts;
pub mod questionnaires;
pub mod readiness;
pub mod relationships;
pub mod replicas;
pub mod reports;
pub mod resource;
pub mod retention;
pub mod salespeople;
pub mod schema;
pub mod seats;
pub mod statistics;
pub mod suggestions;
pub mod team_profile;
pub mod tenant_cache;
pub mod tenures;
pub mod unnest;
pub mod views;
pub mod vocabulary;
pub mod web_sessions;
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

/// Ids per list when a read takes a list of ids of unbounded length: SQLite binds each id as a
/// variable (at most 32,766 in a statement), PostgreSQL binds the list as one array.
pub const READ_CHUNK: usize = 10_000;

/// `read` over `ids` in pieces of `READ_CHUNK`, the rows of every piece together.
pub fn chunked<T, R>(
    ids: &[T],
    mut read: impl FnMut(&[T]) -> Result<Vec<R>, Error>,
) -> Result<Vec<R>, Error> {
    let mut rows = Vec::new();
    for piece in ids.chunks(READ_CHUNK) {
        rows.extend(read(piece)?);
    }
    Ok(rows)
}

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
