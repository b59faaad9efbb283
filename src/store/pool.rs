//! Connections: the backend is chosen from the URL, never by trial (a SQLite path accepts
//! anything, so trying PostgreSQL first and falling back could silently create a file).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::r2d2::R2D2Connection;
use diesel::sqlite::SqliteConnection;
use diesel::{Connection, ConnectionError, RunQueryDsl};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use crate::error::Error;

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

#[derive(diesel::MultiConnection)]
pub enum DbConn {
    Pg(PgConnection),
    Sqlite(SqliteConnection),
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

    fn connect(&self) -> Result<DbConn, ConnectionError> {
        match self {
            Backend::Postgres(url) => PgConnection::establish(url).map(DbConn::Pg),
            Backend::Sqlite(path) => {
                let mut conn = SqliteConnection::establish(path)?;
                // WAL lets readers run beside the writer; the busy timeout makes a reader that
                // meets a checkpoint wait instead of failing with "database is locked".
                conn.batch_execute(
                    "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                     PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;",
                )
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
    conn: DbConn,
    lost: bool,
}

impl Session {
    /// Remembers a lost server, so the pool replaces this connection.
    fn note<T>(&mut self, result: &Result<T, Error>) {
        if let Err(Error::Unavailable(_)) = result {
            self.lost = true;
        }
    }
}

pub struct Manager(Backend);

impl r2d2::ManageConnection for Manager {
    type Connection = Session;
    type Error = ConnectionError;

    fn connect(&self) -> Result<Session, ConnectionError> {
        Ok(Session { conn: self.0.connect()?, lost: false })
    }

    fn is_valid(&self, session: &mut Session) -> Result<(), ConnectionError> {
        session.conn.ping().map_err(ConnectionError::CouldntSetupConfiguration)
    }

    fn has_broken(&self, session: &mut Session) -> bool {
        session.lost || session.conn.is_broken()
    }
}

#[derive(Debug, Clone)]
pub struct PoolOptions {
    pub max_size: u32,
    /// How long a request waits for a connection before it is answered 503.
    pub acquire_timeout: Duration,
}

impl Default for PoolOptions {
    fn default() -> Self {
        PoolOptions { max_size: 16, acquire_timeout: Duration::from_secs(5) }
    }
}

/// The pool, plus the one lock that SQLite needs: it allows a single writer, and a deferred
/// transaction that reads before it writes fails at once (no busy wait) when another writer
/// got in between. Serialising writers in-process avoids that; PostgreSQL needs no lock.
#[derive(Clone)]
pub struct Db {
    pool: r2d2::Pool<Manager>,
    /// Diff vectors of every tenure, for similarity, shared by the requests of this process.
    pub crafting_index: Arc<crate::store::crafting_index::CraftingIndex>,
    /// Vocabulary labels, shared by the requests of this process.
    pub labels: Arc<crate::store::vocabulary::LabelCache>,
    /// The hottest point reads, pipelined (PostgreSQL only).
    pub pipelined: Option<Arc<crate::store::pipelined::Pipelined>>,
    writer: Option<Arc<Mutex<()>>>,
    backend: &'static str,
    /// Requests waiting for a connection right now (for metrics).
    waiting: Arc<AtomicUsize>,
    owner_lock: Arc<OwnerLock>,
}

/// This process's hold on its idempotency claims (PostgreSQL): a session advisory lock on its
/// owner id, taken on a connection of its own and kept while the process lives, so another
/// instance can tell a claim still running (the lock is held) from one whose process died
/// (the lock went with its connection). See `idempotency::claim`.
struct OwnerLock {
    url: Option<String>,
    held: Mutex<Option<PgConnection>>,
}

impl Db {
    /// Opens the pool without waiting for the database: a service that starts before its
    /// database answers 503 until it arrives.
    pub fn open(url: &str, options: &PoolOptions) -> Db {
        let backend = Backend::from_url(url);
        let writer = matches!(backend, Backend::Sqlite(_)).then(|| Arc::new(Mutex::new(())));
        let owner_lock = Arc::new(OwnerLock {
            url: match &backend {
                Backend::Postgres(url) => Some(url.clone()),
                Backend::Sqlite(_) => None,
            },
            held: Mutex::new(None),
        });
        let pipelined = match &backend {
            Backend::Postgres(url) => Some(Arc::new(crate::store::pipelined::Pipelined::new(
                url.clone(),
                options.acquire_timeout,
            ))),
            Backend::Sqlite(_) => None,
        };
        let name = backend.name();
        let pool = r2d2::Pool::builder()
            .max_size(options.max_size)
            .min_idle(Some(0))
            .connection_timeout(options.acquire_timeout)
            .test_on_check_out(false)
            .build_unchecked(Manager(backend));
        let labels = Arc::new(crate::store::vocabulary::LabelCache::new(Duration::from_secs(5)));
        let crafting_index = Arc::default();
        Db {
            pool,
            crafting_index,
            labels,
            pipelined,
            writer,
            backend: name,
            waiting: Arc::default(),
            owner_lock,
        }
    }

    /// Takes this process's owner lock (once; PostgreSQL only) before it claims idempotency
    /// keys as `owner`.
    pub fn hold_owner_lock(&self, owner: uuid::Uuid) -> Result<(), Error> {
        let Some(url) = &self.owner_lock.url else { return Ok(()) };
        let mut held = self.owner_lock.held.lock().unwrap_or_else(|p| p.into_inner());
        if held.is_none() {
            let mut conn =
                PgConnection::establish(url).map_err(|e| Error::Unavailable(Box::new(e)))?;
            diesel::sql_query("SELECT pg_advisory_lock($1)")
                .bind::<diesel::sql_types::BigInt, _>(crate::store::idempotency::owner_lock_key(
                    owner,
                ))
                .execute(&mut conn)?;
            *held = Some(conn);
        }
        Ok(())
    }

    pub fn backend(&self) -> &'static str {
        self.backend
    }

    pub fn pool_state(&self) -> r2d2::State {
        self.pool.state()
    }

    pub fn pool_max_size(&self) -> u32 {
        self.pool.max_size()
    }

    /// How many requests wait for a connection right now.
    pub fn pool_waiting(&self) -> usize {
        self.waiting.load(Ordering::Relaxed)
    }

    /// A pooled connection, counting the wait.
    fn session(&self) -> Result<r2d2::PooledConnection<Manager>, Error> {
        self.waiting.fetch_add(1, Ordering::Relaxed);
        let session = self.pool.get();
        self.waiting.fetch_sub(1, Ordering::Relaxed);
        Ok(session?)
    }

    /// Applies pending migrations of this backend.
    pub fn migrate(&self) -> Result<(), Error> {
        let mut session = self.session()?;
        let applied = match &mut session.conn {
            DbConn::Pg(c) => c.run_pending_migrations(POSTGRES_MIGRATIONS).map(|v| v.len()),
            DbConn::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS).map(|v| v.len()),
        }
        .map_err(Error::Internal)?;
        session.conn.transaction(crate::store::vocabulary::seed_missing)?;
        if applied > 0 {
            tracing::info!(applied, backend = self.backend, "applied migrations");
        }
        Ok(())
    }

    /// Reverts every migration of this backend (an operator's rollback; the test that every
    /// `down.sql` undoes its `up.sql`).
    pub fn revert_all_migrations(&self) -> Result<(), Error> {
        let mut session = self.session()?;
        match &mut session.conn {
            DbConn::Pg(c) => c.revert_all_migrations(POSTGRES_MIGRATIONS).map(|_| ()),
            DbConn::Sqlite(c) => c.revert_all_migrations(SQLITE_MIGRATIONS).map(|_| ()),
        }
        .map_err(Error::Internal)
    }

    /// Runs reads on the calling (blocking) thread. No explicit transaction: a read cannot
    /// leave anything half-done, and BEGIN/COMMIT would double the round trips of a small read.
    pub fn read<T>(&self, f: impl FnOnce(&mut DbConn) -> Result<T, Error>) -> Result<T, Error> {
        let mut session = self.session()?;
        let result = f(&mut session.conn);
        session.note(&result);
        result
    }

    /// Runs `f` in one write transaction: all of it commits, or none of it.
    pub fn write<T>(&self, f: impl FnOnce(&mut DbConn) -> Result<T, Error>) -> Result<T, Error> {
        // A writer that panicked left no transaction open: the lock is still good.
        let _guard =
            self.writer.as_ref().map(|lock| lock.lock().unwrap_or_else(|p| p.into_inner()));
        let mut session = self.session()?;
        let result = crate::store::changes::collecting(|| {
            session.conn.transaction(|conn| {
                if let DbConn::Pg(pg) = conn {
                    // A write may meet tables that a bulk import is growing from nothing: a
                    // generic plan cached while they were empty scans every row of a tenant
                    // for each `= ANY(…)` lookup (a batch of 1,000 took 5 times as long).
                    // Custom plans see each batch's own arrays against the current statistics.
                    // A random page priced for cached data (the default, 4, is a spinning
                    // disk's) keeps a batch's 1,000 key lookups on the index, not on a scan
                    // of a table whose statistics lag an import (`bench/sync`: 22,000–23,000
                    // records/s before, 26,000 after, in one window).
                    pg.batch_execute(
                        "SET LOCAL plan_cache_mode = force_custom_plan; \
                         SET LOCAL random_page_cost = 1.1",
                    )?;
                }
                let value = f(conn)?;
                let numbered = crate::store::changes::flush(conn)?;
                crate::store::audit::record(
                    conn,
                    &crate::store::changes::current_actor(),
                    &numbered,
                )?;
                Ok(value)
            })
        });
        session.note(&result);
        result
    }
}
