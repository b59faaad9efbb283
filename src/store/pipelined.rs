//! The hottest point reads on PostgreSQL, over asynchronous connections that pipeline.
//!
//! A synchronous read costs a hand-off to the blocking pool and one round trip per statement,
//! and on a small machine the wake-ups of those round trips cost more than the statements.
//! Here a read runs on its HTTP worker: it sends its independent statements at once, and the
//! reads a worker serves at the same time share the worker's connection, so PostgreSQL answers
//! several statements for each wake-up. Everything else — writes, SQLite, the other reads —
//! goes through the pool (`Db::read`, `Db::write`).

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::thread::ThreadId;

use diesel::deserialize::FromSqlRow;
use diesel::pg::Pg;
use diesel::query_builder::{AsQuery, QueryFragment, QueryId};
use diesel::query_dsl::CompatibleType;
use diesel::result::Error as DieselError;
use diesel_async::{AsyncConnection, AsyncConnectionCore, AsyncPgConnection};
use futures_util::TryStreamExt;

use crate::error::Error;

/// A connection that pipelines: statements started on it before earlier ones are answered
/// go out at once.
pub type Connection = Arc<AsyncPgConnection>;

/// One connection per worker thread, made when the thread first reads.
pub struct Pipelined {
    url: String,
    connections: Mutex<HashMap<ThreadId, Connection>>,
}

impl Pipelined {
    pub fn new(url: String) -> Pipelined {
        Pipelined { url, connections: Mutex::default() }
    }

    /// Runs the statements of `read` on this thread's connection; the reads a thread serves at
    /// the same time share it. A read that finds the database unavailable drops the
    /// connection, and the next read on the thread makes a new one.
    pub async fn read<T, F, Fut>(&self, read: F) -> Result<T, Error>
    where
        F: FnOnce(Connection) -> Fut,
        Fut: Future<Output = Result<T, Error>>,
    {
        let thread = std::thread::current().id();
        let existing = self.lock().get(&thread).cloned();
        let connection = match existing {
            Some(connection) => connection,
            None => {
                let made = AsyncPgConnection::establish(&self.url)
                    .await
                    .map_err(|e| Error::Unavailable(Box::new(e)))?;
                let made = Arc::new(made);
                self.lock().insert(thread, made.clone());
                made
            }
        };
        let result = read(connection).await;
        if matches!(result, Err(Error::Unavailable(_) | Error::Internal(_))) {
            self.lock().remove(&thread);
        }
        result
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<ThreadId, Connection>> {
        self.connections.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The rows of `query`, sent when the future is first polled: futures polled together (as by
/// `try_join`) pipeline.
pub async fn load<U, Q>(conn: Connection, query: Q) -> Result<Vec<U>, Error>
where
    Q: AsQuery + Send,
    Q::Query: QueryFragment<Pg> + QueryId + Send,
    Q::SqlType: CompatibleType<U, Pg>,
    U: FromSqlRow<<Q::SqlType as CompatibleType<U, Pg>>::SqlType, Pg>,
{
    let mut shared: &AsyncPgConnection = &conn;
    let rows: Vec<_> = shared.load(query).await?.try_collect().await?;
    rows.iter()
        .map(|row| U::build_from_row(row).map_err(|e| DieselError::DeserializationError(e).into()))
        .collect()
}
