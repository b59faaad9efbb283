//! Read replicas: PostgreSQL streaming standbys that take the reads allowed to see the database
//! as it was a moment ago (reports, the network, diffs, exports, the feed, similar crafters,
//! suggestions, the team profile), each standby with a pool of its own.
//!
//! A standby serves only while it is fresh: a watcher asks the primary for its WAL position
//! every `WATCH_INTERVAL` and each standby how far it has replayed, and a standby is fresh while
//! it has replayed what the primary had written one interval before. A standby that lags, is
//! down or fails a read leaves the read to the primary. An API key that wrote through this
//! instance in the last `PIN` reads from the primary, so it reads its own writes.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::{Nullable, Text};
use uuid::Uuid;

use crate::error::Error;
use crate::store::connection::Manager;
use crate::store::DbConn;

/// How long an API key reads from the primary after it wrote.
pub const PIN: Duration = Duration::from_secs(5);
/// How often the standbys' replay is compared with the primary's WAL position.
pub const WATCH_INTERVAL: Duration = Duration::from_millis(250);

pub struct Replica {
    /// Host, port and database: the URL without its credentials, for logs and metrics.
    pub name: String,
    pool: r2d2::Pool<Manager>,
    /// Until when (`clock`) the watcher's last look holds: a watcher that stops looking (a
    /// stuck connection) leaves no standby fresh for long.
    fresh_until: AtomicU64,
    /// WAL bytes the standby had still to replay at the last look.
    behind: AtomicU64,
    /// Reads it answered.
    served: AtomicU64,
}

impl Replica {
    pub fn new(name: String, pool: r2d2::Pool<Manager>) -> Replica {
        Replica {
            name,
            pool,
            fresh_until: AtomicU64::new(0),
            behind: AtomicU64::new(0),
            served: AtomicU64::new(0),
        }
    }

    pub fn is_fresh(&self) -> bool {
        clock() < self.fresh_until.load(Ordering::Relaxed)
    }

    fn set_fresh(&self, fresh: bool) {
        let until = if fresh { clock() + 4 * WATCH_INTERVAL.as_millis() as u64 } else { 0 };
        self.fresh_until.store(until, Ordering::Relaxed);
    }

    pub fn behind_bytes(&self) -> u64 {
        self.behind.load(Ordering::Relaxed)
    }

    pub fn served(&self) -> u64 {
        self.served.load(Ordering::Relaxed)
    }

    /// Runs `f` here; `None` when the primary must answer. An error is never the standby's
    /// answer: it may be the standby's own (a row or a feed position not replayed yet), and
    /// the primary's word on it is the one that counts. A standby that cannot be reached or
    /// fails the query (a cancellation by a conflict with recovery) is not used until the
    /// watcher finds it fresh again.
    fn run<T>(
        &self,
        f: &mut impl FnMut(&mut DbConn) -> Result<T, Error>,
    ) -> Option<Result<T, Error>> {
        let Ok(mut session) = self.pool.get() else {
            self.set_fresh(false);
            return None;
        };
        let result = f(&mut session.conn);
        session.note(&result);
        match result {
            Ok(value) => {
                self.served.fetch_add(1, Ordering::Relaxed);
                Some(Ok(value))
            }
            // The standby's own trouble: not used until the watcher finds it fresh again.
            Err(Error::Unavailable(_) | Error::Internal(_) | Error::Raced) => {
                self.set_fresh(false);
                None
            }
            // An answer about the request (a 404 of a row not replayed yet, a cursor ahead):
            // the primary says whether it stands.
            Err(_) => None,
        }
    }
}

#[derive(Default)]
pub struct Replicas {
    pub list: Vec<Replica>,
    next: AtomicUsize,
    /// When each API key last committed a write through this instance.
    writers: Mutex<HashMap<Uuid, Instant>>,
    /// Reads that went to the primary because no standby was fresh or one failed.
    fallbacks: AtomicU64,
}

impl Replicas {
    pub fn new(list: Vec<Replica>) -> Replicas {
        Replicas { list, ..Replicas::default() }
    }

    pub fn fallbacks(&self) -> u64 {
        self.fallbacks.load(Ordering::Relaxed)
    }

    /// A key committed a write: it reads from the primary for `PIN`.
    pub fn wrote(&self, key: Uuid) {
        if self.list.is_empty() {
            return;
        }
        let now = Instant::now();
        let mut writers = self.writers.lock().unwrap_or_else(|p| p.into_inner());
        if writers.len() >= 10_000 {
            writers.retain(|_, at| now.duration_since(*at) < PIN);
        }
        writers.insert(key, now);
    }

    fn pinned(&self, key: Option<Uuid>) -> bool {
        let Some(key) = key else { return false };
        let writers = self.writers.lock().unwrap_or_else(|p| p.into_inner());
        writers.get(&key).is_some_and(|at| at.elapsed() < PIN)
    }

    /// Runs `f` on a fresh standby, taking them in turn, unless `key` wrote lately; `None`
    /// when the primary must answer.
    pub fn run<T>(
        &self,
        key: Option<Uuid>,
        f: &mut impl FnMut(&mut DbConn) -> Result<T, Error>,
    ) -> Option<Result<T, Error>> {
        if self.list.is_empty() || self.pinned(key) {
            return None;
        }
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        let fresh = (0..self.list.len())
            .map(|i| &self.list[(start + i) % self.list.len()])
            .filter(|r| r.is_fresh());
        for replica in fresh {
            if let Some(answer) = replica.run(f) {
                return Some(answer);
            }
        }
        self.fallbacks.fetch_add(1, Ordering::Relaxed);
        None
    }

    /// Compares each standby's replay with the primary's WAL position, every `WATCH_INTERVAL`,
    /// for the life of the process (`primary` reads the primary's position).
    pub fn watch(self: std::sync::Arc<Self>, primary: impl Fn() -> Option<u64> + Send + 'static) {
        if self.list.is_empty() {
            return;
        }
        let watcher = move || {
            let mut before: Option<u64> = None;
            loop {
                let now = primary();
                for replica in &self.list {
                    let replayed =
                        replica.pool.get().ok().and_then(|mut s| {
                            wal_position(&mut s.conn, "pg_last_wal_replay_lsn()")
                        });
                    let fresh =
                        matches!((replayed, before), (Some(at), Some(needed)) if at >= needed);
                    if fresh != replica.is_fresh() {
                        tracing::info!(replica = %replica.name, fresh, "read replica");
                    }
                    replica.set_fresh(fresh);
                    if let (Some(now), Some(at)) = (now, replayed) {
                        replica.behind.store(now.saturating_sub(at), Ordering::Relaxed);
                    }
                }
                before = now;
                std::thread::sleep(WATCH_INTERVAL);
            }
        };
        if let Err(error) = std::thread::Builder::new().name("replica-watch".into()).spawn(watcher)
        {
            tracing::error!(%error, "the read replicas' watcher did not start; reads stay on the primary");
        }
    }
}

/// Milliseconds since this process first asked.
fn clock() -> u64 {
    static START: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    START.get_or_init(Instant::now).elapsed().as_millis() as u64 + 1
}

/// A WAL position (`pg_current_wal_lsn()` on the primary, `pg_last_wal_replay_lsn()` on a
/// standby) as a number; `None` if it cannot be read, or the server is not a standby.
pub fn wal_position(conn: &mut DbConn, function: &str) -> Option<u64> {
    let text: Option<String> = diesel::select(sql::<Nullable<Text>>(&format!("{function}::text")))
        .get_result(conn)
        .ok()?;
    let (high, low) = text?.split_once('/').map(|(h, l)| (h.to_owned(), l.to_owned()))?;
    Some((u64::from_str_radix(&high, 16).ok()? << 32) | u64::from_str_radix(&low, 16).ok()?)
}
