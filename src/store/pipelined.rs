//! The hottest point reads on PostgreSQL, over asynchronous connections that pipeline.
//!
//! A synchronous read costs a hand-off to the blocking pool and one round trip per statement,
//! and on a small machine the wake-ups of those round trips cost more than the statements.
//! Here a read runs on its HTTP worker: it sends its independent statements at once, and the
//! reads a worker serves at the same time share the worker's connection, so PostgreSQL answers
//! several statements for each wake-up. Everything else — writes, SQLite, the other reads —
//! goes through the pool (`Db::read`, `Db::write`), and so does a pipelined read whose worker
//! has no connection (yet, or because it cannot make one).

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::thread::ThreadId;
use std::time::{Duration, Instant};

use actix_web::rt::time::timeout;
use diesel::deserialize::FromSqlRow;
use diesel::pg::Pg;
use diesel::query_builder::{AsQuery, QueryFragment, QueryId};
use diesel::query_dsl::CompatibleType;
use diesel::result::Error as DieselError;
use diesel_async::{AsyncConnectionCore, AsyncPgConnection, SimpleAsyncConnection};
use futures_util::TryStreamExt;

use crate::error::Error;

/// A connection that pipelines: statements started on it before earlier ones are answered
/// go out at once.
pub type Connection = Arc<AsyncPgConnection>;

/// How long a pipelined read may take before its connection is given up as dead: a
/// connection whose server vanished without a reset would otherwise hold every read of its
/// worker until TCP gives up, hours later.
const READ_TIMEOUT: Duration = Duration::from_secs(30);

/// How long a worker that could not connect reads through the pool before it tries again.
const RETRY_AFTER: Duration = Duration::from_secs(5);

/// One connection per worker thread, made when the thread first reads.
pub struct Pipelined {
    target: crate::store::libpq::Target,
    connect_timeout: Duration,
    slots: Mutex<HashMap<ThreadId, Slot>>,
}

enum Slot {
    Ready(Connection),
    /// A read of this thread is connecting; the others read through the pool meanwhile.
    Connecting,
    Failed(Instant),
}

impl Pipelined {
    /// `None` when the URL asks for what only libpq can do (the pool then does every read).
    pub fn new(url: &str, connect_timeout: Duration) -> Option<Pipelined> {
        let env = |name: &str| std::env::var(name).ok();
        match crate::store::libpq::target(url, &env) {
            Ok(target) => Some(Pipelined { target, connect_timeout, slots: Mutex::default() }),
            Err(reason) => {
                tracing::warn!(%reason, "no pipelined reads: every read goes through the pool");
                None
            }
        }
    }

    /// A new connection, or why there is none.
    pub async fn connect(&self) -> Result<AsyncPgConnection, String> {
        // tokio-postgres says what failed and keeps why in the error's sources.
        let (client, connection) = self
            .target
            .config
            .connect(self.target.tls.clone())
            .await
            .map_err(|e| crate::error::cause_chain(&e))?;
        let mut made = AsyncPgConnection::try_from_client_and_connection(client, connection)
            .await
            .map_err(|e| e.to_string())?;
        // Each statement here finds a few rows of a tenant by their ids, on the same index
        // whatever the ids: one plan serves every read. PostgreSQL would otherwise plan again
        // on each run a statement whose ids come as an array (`= ANY($2)`): a generic plan
        // cannot know the array's length, so it looks dearer than a plan for the ids at hand.
        // That planning was half of PostgreSQL's time under the point reads (`perf`,
        // docs/performance-history.md, "Generic plans for the point reads"). A generic plan is
        // made again when the tables' statistics change (an `ANALYZE` invalidates it).
        made.batch_execute("SET plan_cache_mode = force_generic_plan")
            .await
            .map_err(|e| e.to_string())?;
        Ok(made)
    }

    /// This thread's connection, made now if it has none; `None` while another read of the
    /// thread is connecting, or for a while after connecting failed (the server is away: the
    /// pool then answers, or says 503).
    pub async fn connection(&self) -> Option<Connection> {
        let thread = std::thread::current().id();
        match self.lock().get(&thread) {
            Some(Slot::Ready(connection)) => return Some(connection.clone()),
            Some(Slot::Connecting) => return None,
            Some(Slot::Failed(at)) if at.elapsed() < RETRY_AFTER => return None,
            _ => {}
        }
        // Marked before connecting, and marked failed if this read is dropped mid-way.
        struct Attempt<'a>(&'a Pipelined, ThreadId, bool);
        impl Drop for Attempt<'_> {
            fn drop(&mut self) {
                if !self.2 {
                    self.0.lock().insert(self.1, Slot::Failed(Instant::now()));
                }
            }
        }
        self.lock().insert(thread, Slot::Connecting);
        let mut attempt = Attempt(self, thread, false);
        match timeout(self.connect_timeout, self.connect()).await {
            Ok(Ok(made)) => {
                let made = Arc::new(made);
                self.lock().insert(thread, Slot::Ready(made.clone()));
                attempt.2 = true;
                Some(made)
            }
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "no pipelining connection; reading through the pool");
                None
            }
            Err(_) => {
                tracing::warn!(
                    "connecting for pipelined reads timed out; reading through the pool"
                );
                None
            }
        }
    }

    /// Runs `read` on `connection`. A read that finds the database unavailable, or takes
    /// longer than `READ_TIMEOUT`, drops the connection: the thread's next read makes a new one.
    pub async fn run<T, F, Fut>(&self, connection: Connection, read: F) -> Result<T, Error>
    where
        F: FnOnce(Connection) -> Fut,
        Fut: Future<Output = Result<T, Error>>,
    {
        let result = match timeout(READ_TIMEOUT, read(connection.clone())).await {
            Ok(result) => result,
            Err(_) => Err(Error::Unavailable("a pipelined read got no answer in 30 s".into())),
        };
        if matches!(result, Err(Error::Unavailable(_))) {
            let thread = std::thread::current().id();
            let mut slots = self.lock();
            // Only this connection: another read may already have made a new one.
            if matches!(slots.get(&thread), Some(Slot::Ready(c)) if Arc::ptr_eq(c, &connection)) {
                slots.remove(&thread);
            }
        }
        result
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<ThreadId, Slot>> {
        self.slots.lock().unwrap_or_else(|p| p.into_inner())
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
