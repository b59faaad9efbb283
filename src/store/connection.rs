//! Connections: the backend is chosen from the URL, never by trial (a SQLite path accepts
//! anything, so trying PostgreSQL first and falling back could silently create a file), opened
//! by r2d2 pools that remember a lost server. Shared by the primary's pool (`store::pool`) and
//! the read replicas' (`store::replicas`).

use std::time::Duration;

use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::pg::PgConnection;
use diesel::r2d2::R2D2Connection;
use diesel::sqlite::SqliteConnection;
use diesel::{Connection, ConnectionError};

use crate::error::Error;

#[derive(diesel::MultiConnection)]
pub enum DbConn {
    Pg(PgConnection),
    Sqlite(SqliteConnection),
}

impl DbConn {
    /// Runs `read` on one snapshot of the database, so that rows read by separate statements
    /// agree: a reader of whole accounts would otherwise see a tenure deleted between two of
    /// its statements in one and not in the next, and leave its holder half read. Within a
    /// caller's transaction `read` runs in it, as it is.
    pub fn on_one_snapshot<T>(
        &mut self,
        read: impl FnOnce(&mut DbConn) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let depth = match self {
            DbConn::Pg(c) => {
                AnsiTransactionManager::transaction_manager_status_mut(c).transaction_depth()
            }
            DbConn::Sqlite(c) => {
                AnsiTransactionManager::transaction_manager_status_mut(c).transaction_depth()
            }
        };
        if !matches!(depth, Ok(None)) {
            return read(self);
        }
        // SQLite's read transaction sees one snapshot already (WAL); PostgreSQL's needs asking.
        self.transaction(|conn| {
            if let DbConn::Pg(pg) = conn {
                pg.batch_execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")?;
            }
            read(conn)
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Backend {
    Postgres(String),
    Sqlite(String),
}

impl Backend {
    /// `postgres://` or `postgresql://` is PostgreSQL; anything else is a SQLite path,
    /// with or without a `sqlite://` prefix.
    pub fn from_url(url: &str) -> Backend {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres(url.to_owned())
        } else {
            let path = url.strip_prefix("sqlite://").unwrap_or(url);
            Backend::Sqlite(path.to_owned())
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            Backend::Postgres(_) => "postgres",
            Backend::Sqlite(_) => "sqlite",
        }
    }

    /// `busy`: how long SQLite waits for a lock another process holds (`--db-timeout-ms`).
    pub(in crate::store) fn connect(&self, busy: Duration) -> Result<DbConn, ConnectionError> {
        match self {
            Backend::Postgres(url) => PgConnection::establish(url).map(DbConn::Pg),
            Backend::Sqlite(path) => {
                let mut conn = SqliteConnection::establish(path)?;
                // WAL lets readers run beside the writer; the busy timeout makes a reader that
                // meets a checkpoint, or a writer that meets another process's write, wait
                // that long and then fail ("database is locked": a 503), never longer.
                conn.batch_execute(&format!(
                    "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                     PRAGMA foreign_keys = ON; PRAGMA busy_timeout = {};",
                    busy.as_millis()
                ))
                .map_err(ConnectionError::CouldntSetupConfiguration)?;
                Ok(DbConn::Sqlite(conn))
            }
        }
    }
}

/// A pooled connection that remembers whether it lost its server: diesel only reports a
/// broken transaction, so a connection whose database went away would otherwise return to the
/// pool and fail every request after.
pub struct Session {
    pub(in crate::store) conn: DbConn,
    pub(in crate::store) lost: bool,
}

impl Session {
    /// Remembers a lost server, so the pool replaces this connection.
    pub(in crate::store) fn note<T>(&mut self, result: &Result<T, Error>) {
        if let Err(Error::Unavailable(_)) = result {
            self.lost = true;
        }
    }

    pub(in crate::store) fn noted(&mut self, error: Error) -> Error {
        if let Error::Unavailable(_) = error {
            self.lost = true;
        }
        error
    }
}

pub struct Manager {
    backend: Backend,
    busy: Duration,
}

impl r2d2::ManageConnection for Manager {
    type Connection = Session;
    type Error = ConnectionError;

    fn connect(&self) -> Result<Session, ConnectionError> {
        Ok(Session { conn: self.backend.connect(self.busy)?, lost: false })
    }

    fn is_valid(&self, session: &mut Session) -> Result<(), ConnectionError> {
        session.conn.ping().map_err(ConnectionError::CouldntSetupConfiguration)
    }

    fn has_broken(&self, session: &mut Session) -> bool {
        session.lost || session.conn.is_broken()
    }
}

/// A pool that connects when asked, not before: a service that starts before its database
/// answers 503 until it arrives.
pub(in crate::store) fn lazy_pool(
    backend: &Backend,
    max_size: u32,
    acquire_timeout: Duration,
) -> r2d2::Pool<Manager> {
    r2d2::Pool::builder()
        .max_size(max_size)
        .min_idle(Some(0))
        .connection_timeout(acquire_timeout)
        .test_on_check_out(false)
        .build_unchecked(Manager { backend: backend.clone(), busy: acquire_timeout })
}
