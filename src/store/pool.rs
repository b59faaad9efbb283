//! The database as the service uses it: the primary's pool (connections: `store::connection`),
//! migrations (what they are: `store::migrations`), reads (on a read replica where they may
//! lag: `store::replicas`) and writes.
//!
//! Over 400 lines as one responsibility: how the database is read and written through (the
//! write transaction, its retry on a lost race, the SQLite writer lock).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::Connection;
use diesel_migrations::MigrationHarness;

use uuid::Uuid;

use crate::error::Error;
use crate::store::connection::{lazy_pool, Manager};
pub use crate::store::connection::{Backend, DbConn};
use crate::store::distribution;
use crate::store::migrations::{self, migrate_with};
use crate::store::replicas::{wal_position, Replica, Replicas};

/// The advisory lock migrations take on PostgreSQL: one per schema, so that deployments (and
/// tests) sharing a database in separate schemas do not wait for each other.
const MIGRATION_LOCK: &str = "hashtext('jobcraft migrations ' || current_schema())";

/// Whether libpq's reason for not connecting is the database being away for now (retried),
/// rather than a setup that will never work.
fn is_outage(cause: &str) -> bool {
    const PASSING: [&str; 13] = [
        "Connection refused",
        "Connection reset",
        "Connection timed out",
        "timeout expired",
        "No route to host",
        "Network is unreachable",
        "could not translate host name",
        "server closed the connection unexpectedly",
        "the database system is starting up",
        "the database system is shutting down",
        "the database system is in recovery mode",
        "the database system is not yet accepting connections",
        "too many clients",
    ];
    PASSING.iter().any(|passing| cause.contains(passing))
}

#[derive(Debug, Clone)]
pub struct PoolOptions {
    pub max_size: u32,
    /// How long a request waits for a connection before it is answered 503.
    pub acquire_timeout: Duration,
    /// PostgreSQL streaming standbys for the reads that may lag (`store::replicas`).
    pub read_replicas: Vec<String>,
}

impl Default for PoolOptions {
    fn default() -> Self {
        PoolOptions {
            max_size: 16,
            acquire_timeout: Duration::from_secs(5),
            read_replicas: Vec::new(),
        }
    }
}

/// The URL without its credentials and parameters: what logs and metrics may show.
fn without_credentials(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let rest = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
    rest.split('?').next().unwrap_or(rest).to_owned()
}

/// The pool, plus the one lock that SQLite needs: it allows a single writer, and a deferred
/// transaction that reads before it writes fails at once (no busy wait) when another writer
/// got in between. Serialising writers in-process avoids that; PostgreSQL needs no lock.
#[derive(Clone)]
pub struct Db {
    pool: r2d2::Pool<Manager>,
    /// Diff vectors of every tenure, for similarity, shared by the requests of this process.
    pub crafting_index: Arc<crate::store::crafting_index::CraftingIndex>,
    /// Each client account's demand as of now, for team profiles, shared by the requests of
    /// this process.
    pub demand: Arc<crate::store::account_demand::DemandIndex>,
    /// Accounts as of now, for coverage reports, shared by the requests of this process.
    pub accounts: Arc<crate::store::kept_accounts::KeptAccounts>,
    /// Vocabulary labels, shared by the requests of this process.
    pub labels: Arc<crate::store::vocabulary::LabelCache>,
    /// The hottest point reads, pipelined (PostgreSQL only).
    pub pipelined: Option<Arc<crate::store::pipelined::Pipelined>>,
    /// Streaming standbys for the reads that may lag (PostgreSQL only).
    pub replicas: Arc<Replicas>,
    /// Connections the bulk exports of this process may hold at once to read pages ahead of
    /// their writers: a quarter of the pool (at least one), so that many exports at once read
    /// their pages in turn rather than take the pool from other requests.
    pub reads_ahead: Arc<tokio::sync::Semaphore>,
    writer: Option<Arc<WriterLock>>,
    /// How long a write waits for SQLite's writer (`--db-timeout-ms`) before it is a 503.
    write_wait: Duration,
    backend: Backend,
    /// Requests waiting for a connection right now (for metrics).
    waiting: Arc<AtomicUsize>,
}

impl Db {
    /// Opens the pool without waiting for the database: a service that starts before its
    /// database answers 503 until it arrives.
    pub fn open(url: &str, options: &PoolOptions) -> Db {
        let backend = Backend::from_url(url);
        let writer = matches!(backend, Backend::Sqlite(_)).then(Arc::default);
        let pipelined = match &backend {
            Backend::Postgres(url) => {
                crate::store::pipelined::Pipelined::new(url, options.acquire_timeout).map(Arc::new)
            }
            Backend::Sqlite(_) => None,
        };
        let pool = lazy_pool(&backend, options.max_size, options.acquire_timeout);
        // A standby that does not answer within a second is skipped, not waited for.
        let replica_wait = options.acquire_timeout.min(Duration::from_secs(1));
        let replicas = options.read_replicas.iter().map(|url| {
            let standby = Backend::from_url(url);
            Replica::new(
                without_credentials(url),
                lazy_pool(&standby, options.max_size, replica_wait),
            )
        });
        let replicas = Arc::new(Replicas::new(replicas.collect()));
        let labels = Arc::new(crate::store::vocabulary::LabelCache::new(Duration::from_secs(5)));
        let crafting_index = Arc::default();
        Db {
            pool,
            crafting_index,
            demand: Arc::default(),
            accounts: Arc::default(),
            labels,
            pipelined,
            replicas,
            reads_ahead: Arc::new(tokio::sync::Semaphore::new(
                (options.max_size as usize / 4).max(1),
            )),
            writer,
            write_wait: options.acquire_timeout,
            backend,
            waiting: Arc::default(),
        }
    }

    pub fn backend(&self) -> &Backend {
        &self.backend
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

    /// Applies pending migrations of this backend, one instance at a time: on PostgreSQL under
    /// an advisory lock (per schema), on SQLite in an exclusive transaction, so instances
    /// started at once apply the schema once and the others find it done. An instance older
    /// than the schema (the database has a migration this build does not know) refuses to
    /// start.
    pub fn migrate(&self) -> Result<(), Error> {
        self.migrate_or_check(true)
    }

    /// Whether the schema is exactly this build's, changing nothing: for instances that do not
    /// migrate on start (schema changes as a deliberate release step, `jobcraft migrate`).
    pub fn check_schema(&self) -> Result<(), Error> {
        self.migrate_or_check(false)
    }

    fn migrate_or_check(&self, apply: bool) -> Result<(), Error> {
        self.reach()?;
        let mut session = self.session()?;
        let applied = match &mut session.conn {
            DbConn::Pg(c) => {
                c.batch_execute(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK})"))?;
                // On Citus, the tables a migration created are distributed at once.
                let applied =
                    migrate_with(c, migrations::Postgres, apply).and_then(|applied| match apply {
                        true => distribution::distribute(c).map(|_| applied),
                        false => Ok(applied),
                    });
                c.batch_execute(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})"))?;
                applied
            }
            DbConn::Sqlite(c) => {
                c.exclusive_transaction(|c| migrate_with(c, migrations::SQLITE, apply))
            }
        }?;
        if !apply {
            return Ok(());
        }
        session.conn.transaction(crate::store::vocabulary::seed_missing)?;
        if applied > 0 {
            tracing::info!(applied, backend = self.backend.name(), "applied migrations");
        }
        Ok(())
    }

    /// Connects once, outside the pool, to tell an outage (`Error::Unavailable`: worth waiting
    /// for) from a setup that cannot work (`Error::Setup`, saying why: a refused certificate,
    /// wrong credentials, a malformed URL, a SQLite path that cannot be written).
    pub fn reach(&self) -> Result<(), Error> {
        let Err(error) = self.backend.connect(self.write_wait) else { return Ok(()) };
        let cause = error.to_string();
        // libpq's messages run over several lines; the first says what happened.
        let cause = cause.lines().map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>();
        let cause = cause.join(" ");
        Err(match &self.backend {
            Backend::Postgres(_) if is_outage(&cause) => Error::Unavailable(cause.into()),
            Backend::Postgres(_) => Error::Setup(format!("cannot use the database: {cause}")),
            Backend::Sqlite(path) => Error::Setup(format!(
                "cannot open the SQLite file `{path}` ({cause}): does its directory exist, \
                 and may this user write there?"
            )),
        })
    }

    /// Reverts every migration of this backend (an operator's rollback; the test that every
    /// `down.sql` undoes its `up.sql`).
    pub fn revert_all_migrations(&self) -> Result<(), Error> {
        let mut session = self.session()?;
        match &mut session.conn {
            DbConn::Pg(c) => c.revert_all_migrations(migrations::Postgres).map(|_| ()),
            DbConn::Sqlite(c) => c.revert_all_migrations(migrations::SQLITE).map(|_| ()),
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

    /// A read that may see the database as it was a moment ago, on a fresh read replica when
    /// there is one and `key` has not written lately (`store::replicas`), else on the primary.
    pub fn read_lagging<T>(
        &self,
        key: Option<Uuid>,
        mut f: impl FnMut(&mut DbConn) -> Result<T, Error>,
    ) -> Result<T, Error> {
        match self.replicas.run(key, &mut f) {
            Some(answer) => answer,
            None => self.read(f),
        }
    }

    /// Starts watching the read replicas' replay against the primary (`Replicas::watch`).
    pub fn watch_replicas(&self) {
        let db = self.clone();
        let primary = move || db.read(|c| Ok(wal_position(c, "pg_current_wal_lsn()"))).ok()?;
        Arc::clone(&self.replicas).watch(primary);
    }

    /// Runs `f` in one write transaction: all of it commits, or none of it. `f` runs again,
    /// in a new transaction, when it loses a race (`Error::Raced`), so it must not keep state
    /// between runs.
    pub fn write<T>(&self, mut f: impl FnMut(&mut DbConn) -> Result<T, Error>) -> Result<T, Error> {
        let mut attempt = 1;
        loop {
            let mut transaction = self.begin()?;
            match transaction.run_once(&mut f) {
                Err(Error::Raced) if attempt < RACE_ATTEMPTS => attempt += 1,
                Err(error) => return Err(error),
                Ok(value) => return transaction.commit().map(|()| value),
            }
        }
    }

    /// Opens a write transaction; it commits with `commit`, and rolls back when dropped.
    /// On SQLite it takes the writer first (waiting at most `--db-timeout-ms`), and begins
    /// `IMMEDIATE`, so the database's write lock is taken at the start, within the same bound,
    /// and never on a later statement (a deferred transaction that reads first would wait twice).
    pub fn begin(&self) -> Result<WriteTransaction, Error> {
        let writer = self.writer.as_ref().map(|w| w.take(self.write_wait)).transpose()?;
        let mut session = self.session()?;
        let begun = match &mut session.conn {
            // A write may meet tables that a bulk import is growing from nothing: a generic
            // plan cached while they were empty scans every row of a tenant for each
            // `= ANY(…)` lookup. Custom plans see each batch's own arrays against the current
            // statistics. A random page priced for cached data (the default, 4, is a spinning
            // disk's) keeps a batch's key lookups on the index, not on a scan of a table whose
            // statistics lag an import. What it was measured against: docs/performance.md
            // (CRM sync, "Plans"). On Citus a `SET LOCAL` stays on the coordinator unless
            // `citus.propagate_set_commands` is `local`; plain PostgreSQL keeps it as a
            // placeholder setting that nothing reads (docs/scaling.md §2.3).
            DbConn::Pg(pg) => AnsiTransactionManager::begin_transaction(pg).and_then(|()| {
                pg.batch_execute(
                    "SET LOCAL citus.propagate_set_commands = 'local'; \
                     SET LOCAL plan_cache_mode = force_custom_plan; \
                     SET LOCAL random_page_cost = 1.1",
                )
            }),
            DbConn::Sqlite(sqlite) => {
                AnsiTransactionManager::begin_transaction_sql(sqlite, "BEGIN IMMEDIATE")
            }
        };
        let mut transaction = WriteTransaction {
            session,
            _writer: writer,
            open: false,
            audit: None,
            replicas: Arc::clone(&self.replicas),
            key: None,
        };
        begun.map_err(|e| transaction.session.noted(e.into()))?;
        transaction.open = true;
        Ok(transaction)
    }
}

/// How often a write runs again after losing a race before it answers 409. Each loss means
/// another writer of the same row committed, so a few dozen concurrent writers of one row all
/// get through.
const RACE_ATTEMPTS: usize = 64;

/// An open write transaction (`Db::begin`). The idempotency middleware keeps one open past the
/// handler, to store the answer in it and commit both at once.
pub struct WriteTransaction {
    session: r2d2::PooledConnection<Manager>,
    _writer: Option<WriterGuard>,
    open: bool,
    /// One audit entry per committed transaction, of an API request.
    audit: Option<Audit>,
    /// Told which API key wrote, so that it reads its writes from the primary.
    replicas: Arc<Replicas>,
    /// The API key whose request ran in this transaction.
    key: Option<Uuid>,
}

/// The API request writing, and what its runs numbered: (tenant, first number, count).
struct Audit {
    actor: crate::store::changes::Actor,
    numbered: Vec<(crate::domain::tenant::TenantId, i64, i64)>,
}

impl WriteTransaction {
    /// Runs `f` in a savepoint and numbers the changes it recorded (`changes::flush`, which
    /// locks the tenant's change counter until the commit). `f` runs again from the savepoint
    /// when it loses a race: the transaction keeps what came before (an idempotency claim).
    pub fn run<T>(
        &mut self,
        mut f: impl FnMut(&mut DbConn) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let mut attempt = 1;
        loop {
            let result = crate::store::changes::collecting(|| {
                self.session.conn.transaction(|conn| {
                    let value = f(conn)?;
                    Ok((value, crate::store::changes::flush(conn)?))
                })
            });
            match result {
                Err(Error::Raced) if attempt < RACE_ATTEMPTS => attempt += 1,
                Err(error) => return Err(self.session.noted(error)),
                Ok((value, numbered)) => {
                    self.audited(numbered);
                    return Ok(value);
                }
            }
        }
    }

    /// Runs `f` once, without a savepoint: for a transaction that holds nothing else, which
    /// starts over as a whole when `f` loses a race (`Db::write`).
    fn run_once<T>(&mut self, f: impl FnOnce(&mut DbConn) -> Result<T, Error>) -> Result<T, Error> {
        let conn = &mut self.session.conn;
        let result = crate::store::changes::collecting(|| {
            let value = f(conn)?;
            Ok((value, crate::store::changes::flush(conn)?))
        });
        match result {
            Err(error) => Err(self.session.noted(error)),
            Ok((value, numbered)) => {
                self.audited(numbered);
                Ok(value)
            }
        }
    }

    /// Adds what a run numbered to the audit entry this transaction will commit with (API
    /// requests only).
    fn audited(&mut self, numbered: Vec<(crate::domain::tenant::TenantId, i64, i64)>) {
        let actor = crate::store::changes::current_actor();
        // Noted while the request's key is at hand: an idempotent request commits later, on
        // another thread (`http::idempotency`).
        self.key = self.key.or(actor.key_id);
        if actor.request.is_none() {
            return;
        }
        let audit = self.audit.get_or_insert_with(|| Audit { actor, numbered: Vec::new() });
        for (tenant, first, count) in numbered {
            match audit.numbered.iter_mut().find(|(t, _, _)| *t == tenant) {
                // Numbers of one tenant in one transaction are consecutive (the counter stays
                // locked), so the first stays the first.
                Some((_, _, total)) => *total += count,
                None => audit.numbered.push((tenant, first, count)),
            }
        }
    }

    /// The connection, inside the transaction (for the idempotency record).
    pub fn conn(&mut self) -> &mut DbConn {
        &mut self.session.conn
    }

    /// Records the audit entry of what the runs wrote, and commits.
    pub fn commit(mut self) -> Result<(), Error> {
        if let Some(audit) = self.audit.take() {
            crate::store::audit::record(&mut self.session.conn, &audit.actor, &audit.numbered)
                .map_err(|e| self.session.noted(e))?;
        }
        self.open = false;
        <DbConn as Connection>::TransactionManager::commit_transaction(&mut self.session.conn)
            .map_err(|e| self.session.noted(e.into()))?;
        if let Some(key) = self.key.or(crate::store::changes::current_actor().key_id) {
            self.replicas.wrote(key);
        }
        Ok(())
    }
}

impl Drop for WriteTransaction {
    fn drop(&mut self) {
        if self.open {
            let rolled_back = <DbConn as Connection>::TransactionManager::rollback_transaction(
                &mut self.session.conn,
            );
            // A connection whose transaction state is unknown must not serve another request.
            if rolled_back.is_err() {
                self.session.lost = true;
            }
        }
    }
}

/// SQLite's one writer, in this process. A writer waits at most `--db-timeout-ms` for it,
/// then answers 503; a `std::sync::Mutex` would wait without a bound.
#[derive(Default)]
struct WriterLock {
    taken: Mutex<bool>,
    freed: Condvar,
}

struct WriterGuard(Arc<WriterLock>);

impl WriterLock {
    fn take(self: &Arc<Self>, wait: Duration) -> Result<WriterGuard, Error> {
        let taken = self.taken.lock().unwrap_or_else(|p| p.into_inner());
        let (mut taken, timeout) = self
            .freed
            .wait_timeout_while(taken, wait, |taken| *taken)
            .unwrap_or_else(|p| p.into_inner());
        if timeout.timed_out() && *taken {
            return Err(Error::Unavailable("another write held the database too long".into()));
        }
        *taken = true;
        Ok(WriterGuard(Arc::clone(self)))
    }
}

impl Drop for WriterGuard {
    fn drop(&mut self) {
        *self.0.taken.lock().unwrap_or_else(|p| p.into_inner()) = false;
        self.0.freed.notify_one();
    }
}
