//! An in-memory index of every tenure's formal-vs-crafted diff vector and effective crafted job,
//! per tenant, for "who crafts alike?" and "who is ready for this post?" over many tenures. It
//! is refreshed on each use from what changed since its watermark (revisions recorded, post
//! facets revised and tenures written since a time; tenures written or deleted since a number
//! of the change feed), so several instances stay correct without talking to each other. Only
//! a feed pruned past that number makes it build afresh.
//!
//! The index is kept in the database too (`crafting_index_snapshots`, written off the request's
//! path at most every `PERSIST_AFTER`, or at once when a snapshot just read needed a long
//! catch-up), so an instance that starts, or that evicted a tenant,
//! reads it and catches up from its watermark instead of recomputing every tenure. The
//! process holds at most `MEMORY_BUDGET` bytes of indexes; the least recently used tenants'
//! go first.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use chrono::{Datelike, NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use uuid::Uuid;

use crate::domain::facet::all_dimensions;
use crate::domain::similarity::{diff_vector, CompactVector, KeyTable};
use crate::domain::tenant::TenantId;
use crate::domain::tenure::Period;
use crate::error::Error;
use crate::store::changes::{self, Entity};
use crate::store::crafting::{histories, TenureHistory};
use crate::store::schema::{
    crafting_index_snapshots, crafting_revisions, erasures, post_revisions, tenures,
};
use crate::store::tenant_cache::TenantCache;
use crate::store::tenures::{self as tenure_store, Tenure};
use crate::store::views::scopes::{self, ExportScope, Stretch};
use crate::store::{now, now_point, parse_id, posts, retention, DbConn};

/// Rows recorded this long before the watermark are read again: clocks of instances differ a
/// little, and a transaction may commit a moment after it stamped its rows.
const SAFETY_MARGIN_SECONDS: i64 = 10;
const CHUNK: usize = 5_000;

#[derive(Debug, Clone)]
pub struct Entry {
    pub tenure_id: Uuid,
    pub person_id: Uuid,
    pub organization_id: Uuid,
    pub period: Period,
    /// The formal-vs-crafted diff now.
    pub vector: CompactVector,
    /// The effective crafted job now: each facet's weight (readiness reads it).
    pub job: CompactVector,
}

#[derive(Debug, Clone, Default)]
pub struct TenantIndex {
    pub keys: KeyTable,
    pub entries: HashMap<Uuid, Entry>,
    watermark: Option<NaiveDateTime>,
    /// The change feed's number up to which the tenures written or deleted are in.
    seq: i64,
}

/// Most bytes the indexes of one process hold (`TenantIndex::bytes`): about 1.3 million
/// tenures' worth. Past it, the least recently used tenants' indexes are dropped (read back
/// from their snapshots when next asked for).
pub const MEMORY_BUDGET: usize = 256 << 20;
/// How much newer than its snapshot in the database an index gets before it is written again.
pub const PERSIST_AFTER: chrono::Duration = chrono::Duration::minutes(5);
/// Tenures a process caught up from a snapshot it just read, past which that snapshot is
/// written again at once rather than after `PERSIST_AFTER`.
const KEEP_AFTER_CATCHING_UP: usize = 5_000;
/// Entries a part of a snapshot holds; parts are decoded side by side.
const PART: usize = 16_384;

/// A tenant's index in this process.
#[derive(Clone)]
struct Cached {
    index: Arc<TenantIndex>,
    /// The watermark of the snapshot in the database, as far as this process knows.
    persisted: Option<NaiveDateTime>,
}

pub struct CraftingIndex {
    tenants: TenantCache<Cached>,
    /// Indexes built from every tenure, not caught up from memory or a snapshot.
    builds: std::sync::atomic::AtomicU64,
}

impl Default for CraftingIndex {
    fn default() -> Self {
        CraftingIndex::with_budget(MEMORY_BUDGET)
    }
}

impl CraftingIndex {
    pub fn with_budget(budget: usize) -> CraftingIndex {
        CraftingIndex { tenants: TenantCache::new(budget), builds: Default::default() }
    }

    /// How many indexes this process built from every tenure.
    pub fn builds(&self) -> u64 {
        self.builds.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Bytes held now, and by how many tenants.
    pub fn held(&self) -> (usize, usize) {
        self.tenants.held()
    }

    /// The tenant's index, brought up to date with the database: from this process's memory,
    /// else from its snapshot in the database, else built.
    pub fn snapshot(&self, conn: &mut DbConn, tenant: TenantId) -> Result<Arc<TenantIndex>, Error> {
        let cached = self.tenants.get(tenant).map(|c| (c.index, c.persisted));
        let held = cached.is_some();
        let (current, mut persisted) = match cached {
            Some((index, persisted)) => (Some(index), persisted),
            None => match read_snapshot(conn, tenant)? {
                Some(index) => {
                    let watermark = index.watermark;
                    (Some(Arc::new(index)), watermark)
                }
                None => (None, None),
            },
        };
        let started = now();
        let head = changes::head(conn, tenant)?;
        // The feed after the index's number names every tenure written or deleted since,
        // exactly, if it is whole (not pruned). Its horizon is read after it: a batch that
        // pruned some of it before that read committed its new horizon with the deletion.
        let from_feed = match current {
            Some(index) => {
                let written = changes::written_since(conn, tenant, Entity::Tenure, index.seq)?;
                let whole = retention::first_kept(conn, tenant)? <= index.seq + 1;
                whole.then_some((index, written))
            }
            None => None,
        };
        let incremental = match from_feed {
            Some((index, written)) => {
                let since =
                    index.watermark.map(|w| w - chrono::Duration::seconds(SAFETY_MARGIN_SECONDS));
                let mut changed = changed_tenures(conn, tenant, since)?;
                changed.extend(written);
                changed.sort_unstable();
                changed.dedup();
                if !held && changed.len() > KEEP_AFTER_CATCHING_UP {
                    // Read from a snapshot that far behind: every instance that starts before
                    // it is next written would pay this catch-up again (a bulk load just
                    // before it was kept: 5 s a start). Keep this one now.
                    persisted = None;
                }
                if changed.is_empty() {
                    if !held {
                        self.keep(tenant, index.clone(), persisted);
                    }
                    return Ok(index);
                }
                // Caught up in place when no one else holds it (read from the snapshot just
                // now): a copy of 100,000 entries costs tens of milliseconds.
                let mut index = Arc::try_unwrap(index).unwrap_or_else(|held| (*held).clone());
                let tenures = tenure_store::find_many(conn, tenant, &changed)?;
                // Named by the feed or a revision, and not there: deleted.
                let found: HashSet<Uuid> = tenures.iter().map(|t| t.id).collect();
                for gone in changed.iter().filter(|id| !found.contains(id)) {
                    index.entries.remove(gone);
                }
                index.update(conn, tenant, tenures)?;
                Some(index)
            }
            None => None,
        };
        let mut index = match incremental {
            Some(index) => index,
            None => {
                self.builds.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let mut index = TenantIndex::default();
                let mut from = None;
                loop {
                    let page = scopes::tenures_in_scope(
                        conn,
                        tenant,
                        &ExportScope::Tenant,
                        Stretch { from, to: None, limit: Some(CHUNK) },
                    )?;
                    let last = page.last().map(|t| t.id);
                    let fresh: Vec<Tenure> =
                        page.into_iter().filter(|t| Some(t.id) != from).collect();
                    index.update(conn, tenant, fresh)?;
                    if last.is_none() || last == from {
                        break;
                    }
                    from = last;
                }
                index
            }
        };
        index.watermark = Some(started);
        index.seq = head;
        let index = Arc::new(index);
        self.keep(tenant, index.clone(), persisted.take());
        Ok(index)
    }

    /// Holds the tenant's index, dropping the least recently used others' past the budget.
    fn keep(&self, tenant: TenantId, index: Arc<TenantIndex>, persisted: Option<NaiveDateTime>) {
        let bytes = index.bytes();
        for (oldest, bytes) in self.tenants.keep(tenant, Cached { index, persisted }, bytes) {
            tracing::info!(tenant = %oldest.0, bytes, "similar-crafters index evicted");
        }
    }

    /// The tenant's index, when the database's copy of it is missing, `PERSIST_AFTER` older, or
    /// was just read and needed a long catch-up;
    /// handed out once (the caller writes it: `Snapshot::of`, `write_snapshot`).
    pub fn due_snapshot(&self, tenant: TenantId) -> Option<Arc<TenantIndex>> {
        self.tenants
            .update(tenant, |cached| {
                let watermark = cached.index.watermark?;
                if cached.persisted.is_some_and(|at| watermark - at < PERSIST_AFTER) {
                    return None;
                }
                cached.persisted = Some(watermark);
                Some(cached.index.clone())
            })
            .flatten()
    }
}

/// An index as the database keeps it.
pub struct Snapshot {
    watermark: NaiveDateTime,
    tenures: i64,
    data: Vec<u8>,
}

impl Snapshot {
    pub fn of(index: &TenantIndex) -> Option<Snapshot> {
        let watermark = index.watermark?;
        Some(Snapshot { watermark, tenures: index.entries.len() as i64, data: index.encode() })
    }
}

/// Replaces the tenant's snapshot of the index, unless the one stored is as new, or this one
/// may predate the tenant's last erasure (an erasure drops the snapshot; an index read just
/// before it, or on a replica a moment behind it, must not bring it back).
pub fn write_snapshot(
    conn: &mut DbConn,
    tenant: TenantId,
    Snapshot { watermark, tenures, data }: &Snapshot,
) -> Result<(), Error> {
    let t = tenant.to_string();
    let erased: Option<NaiveDateTime> = erasures::table
        .filter(erasures::tenant_id.eq(&t))
        .select(diesel::dsl::max(erasures::erased_at))
        .first(conn)?;
    let margin = chrono::Duration::seconds(SAFETY_MARGIN_SECONDS);
    if erased.is_some_and(|at| *watermark <= at + margin) {
        return Ok(());
    }
    let stored: Option<NaiveDateTime> = crafting_index_snapshots::table
        .filter(crafting_index_snapshots::tenant_id.eq(&t))
        .select(crafting_index_snapshots::watermark)
        .first(conn)
        .optional()?;
    if stored.is_some_and(|stored| stored >= *watermark) {
        return Ok(());
    }
    diesel::delete(
        crafting_index_snapshots::table.filter(crafting_index_snapshots::tenant_id.eq(&t)),
    )
    .execute(conn)?;
    diesel::insert_into(crafting_index_snapshots::table)
        .values((
            crafting_index_snapshots::tenant_id.eq(&t),
            crafting_index_snapshots::watermark.eq(watermark),
            crafting_index_snapshots::tenures.eq(tenures),
            crafting_index_snapshots::data.eq(data),
            crafting_index_snapshots::written_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// Drops the tenant's snapshot (an erasure: the next use rebuilds it from what is left).
pub fn forget_snapshot(conn: &mut DbConn, tenant: TenantId) -> Result<(), Error> {
    diesel::delete(
        crafting_index_snapshots::table.filter(crafting_index_snapshots::tenant_id.eq(tenant)),
    )
    .execute(conn)?;
    Ok(())
}

/// The tenant's snapshot, if there is one this build can read.
fn read_snapshot(conn: &mut DbConn, tenant: TenantId) -> Result<Option<TenantIndex>, Error> {
    let row: Option<(NaiveDateTime, Vec<u8>)> = crafting_index_snapshots::table
        .filter(crafting_index_snapshots::tenant_id.eq(tenant))
        .select((crafting_index_snapshots::watermark, crafting_index_snapshots::data))
        .first(conn)
        .optional()?;
    Ok(row.and_then(|(watermark, data)| {
        let mut index = TenantIndex::decode(&data)?;
        index.watermark = Some(watermark);
        Some(index)
    }))
}

/// The snapshot format: a row of another version is not read (the index is rebuilt).
const FORMAT: u8 = 3;
/// The build that wrote a snapshot: another one rebuilds.
const BUILD: &str = env!("CARGO_PKG_VERSION");

impl TenantIndex {
    /// Roughly what the index holds in memory.
    pub fn bytes(&self) -> usize {
        let vectors: usize =
            self.entries.values().map(|e| (e.vector.entries.len() + e.job.entries.len()) * 8).sum();
        let keys: usize = self.keys.keys().iter().map(|(_, k)| 2 * (k.len() + 48)).sum();
        // An entry and its slot in the map; each vector's allocation.
        self.entries.len() * (std::mem::size_of::<Entry>() + 16 + 2 * 16) + vectors + keys
    }

    /// The index as bytes: the format and the build that computed it, the feed's number its
    /// tenures are up to, its keys, the organizations, then the entries in parts of `PART`,
    /// each part LZ4-compressed on its own (ids, the organization's place in that list,
    /// period, both vectors). Counts and places are LEB128 numbers, a vector's key ids the step
    /// from the one before, and norms are computed again by the reader: the first read after a
    /// start moves these bytes through PostgreSQL's protocol (about 150 MB/s on this machine)
    /// and decodes them, and its time went mostly with their number.
    fn encode(&self) -> Vec<u8> {
        self.encode_in_parts(PART)
    }

    fn encode_in_parts(&self, part: usize) -> Vec<u8> {
        let mut out = vec![FORMAT];
        put_number(&mut out, BUILD.len() as u64);
        out.extend(BUILD.as_bytes());
        put_number(&mut out, self.seq.max(0) as u64);
        put_number(&mut out, self.keys.keys().len() as u64);
        for (dimension, key) in self.keys.keys() {
            let position = all_dimensions().iter().position(|d| d == dimension).unwrap_or(0);
            out.push(position as u8);
            put_number(&mut out, key.len() as u64);
            out.extend(key.as_bytes());
        }
        let mut organizations: Vec<Uuid> =
            self.entries.values().map(|e| e.organization_id).collect();
        organizations.sort_unstable();
        organizations.dedup();
        put_number(&mut out, organizations.len() as u64);
        for id in &organizations {
            out.extend(id.as_bytes());
        }
        let entries: Vec<&Entry> = self.entries.values().collect();
        put_number(&mut out, entries.len() as u64);
        put_number(&mut out, entries.chunks(part.max(1)).len() as u64);
        let mut bytes = Vec::new();
        for part in entries.chunks(part.max(1)) {
            bytes.clear();
            for entry in part {
                bytes.extend(entry.tenure_id.as_bytes());
                bytes.extend(entry.person_id.as_bytes());
                let place = organizations.binary_search(&entry.organization_id).unwrap_or(0);
                put_number(&mut bytes, place as u64);
                put_day(&mut bytes, Some(entry.period.started_on));
                put_day(&mut bytes, entry.period.ended_on);
                for vector in [&entry.vector, &entry.job] {
                    put_number(&mut bytes, vector.entries.len() as u64);
                    let mut previous = 0u32;
                    for (key, value) in &vector.entries {
                        put_number(&mut bytes, u64::from(key.wrapping_sub(previous)));
                        previous = *key;
                        bytes.extend(value.to_le_bytes());
                    }
                }
            }
            let packed = lz4_flex::block::compress(&bytes);
            put_number(&mut out, part.len() as u64);
            put_number(&mut out, bytes.len() as u64);
            put_number(&mut out, packed.len() as u64);
            out.extend(&packed);
        }
        out
    }

    /// `encode`'s bytes back; `None` if they are not a snapshot of this format, or were
    /// computed by another build (whose diffs may be computed otherwise).
    fn decode(bytes: &[u8]) -> Option<TenantIndex> {
        let mut read = Reader(bytes);
        if read.take(1)?[0] != FORMAT {
            return None;
        }
        let length = read.count()?;
        if read.take(length)? != BUILD.as_bytes() {
            return None;
        }
        let seq = i64::try_from(read.number()?).ok()?;
        let mut keys = Vec::new();
        for _ in 0..read.count()? {
            let dimension = *all_dimensions().get(usize::from(read.take(1)?[0]))?;
            let length = read.count()?;
            keys.push((dimension, String::from_utf8(read.take(length)?.to_vec()).ok()?));
        }
        let mut organizations = Vec::new();
        for _ in 0..read.count()? {
            organizations.push(read.id()?);
        }
        let count = read.count()?;
        // Each part: its entries, its length, and its bytes compressed (LZ4 packs at most 255
        // to 1, so a damaged length cannot reserve more).
        let mut parts: Vec<(usize, usize, &[u8])> = Vec::new();
        for _ in 0..read.count()? {
            let (entries, length, packed) = (read.count()?, read.count()?, read.count()?);
            let packed = read.take(packed)?;
            if length > packed.len().saturating_mul(255) {
                return None;
            }
            parts.push((entries, length, packed));
        }
        let counted = parts.iter().try_fold(0usize, |sum, (n, _, _)| sum.checked_add(*n));
        if !read.0.is_empty() || counted != Some(count) {
            return None;
        }
        // Decoding is most of the first call after a start: the parts are decoded side by
        // side, one group of them per core, while this thread puts the entries of each part
        // decoded into the map (itself a third of the time: 100,000 entries of fresh memory).
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        // Each entry takes at least 36 bytes: a damaged count must not reserve gigabytes.
        let mut entries = HashMap::with_capacity(count.min(bytes.len() / 36));
        let whole = std::thread::scope(|scope| {
            let (decoded, receive) = std::sync::mpsc::sync_channel(cores);
            for group in parts.chunks(parts.len().div_ceil(cores).max(1)) {
                let (decoded, organizations, keys) = (decoded.clone(), &organizations, keys.len());
                scope.spawn(move || {
                    for (count, length, packed) in group {
                        let part = lz4_flex::block::decompress(packed, *length)
                            .ok()
                            .filter(|bytes| bytes.len() == *length)
                            .and_then(|bytes| decode_entries(&bytes, *count, organizations, keys));
                        // A damaged part ends the read, and with it this group.
                        let damaged = part.is_none();
                        if decoded.send(part).is_err() || damaged {
                            return;
                        }
                    }
                });
            }
            drop(decoded);
            for part in receive {
                entries.extend(part?.into_iter().map(|entry| (entry.tenure_id, entry)));
            }
            Some(())
        });
        whole?;
        (entries.len() == count).then(|| TenantIndex {
            keys: KeyTable::of_keys(keys),
            entries,
            watermark: None,
            seq,
        })
    }

    fn update(
        &mut self,
        conn: &mut DbConn,
        tenant: TenantId,
        tenures: Vec<Tenure>,
    ) -> Result<(), Error> {
        for chunk in tenures.chunks(CHUNK) {
            let post_ids: Vec<Uuid> = chunk.iter().map(|t| t.post_id).collect();
            let organizations = posts::organizations_of(conn, tenant, &post_ids)?;
            for history in histories(conn, tenant, chunk.to_vec())? {
                let entry = Entry {
                    tenure_id: history.tenure.id,
                    person_id: history.tenure.person_id,
                    organization_id: organizations
                        .get(&history.tenure.post_id)
                        .copied()
                        .unwrap_or_default(),
                    period: history.tenure.period,
                    vector: CompactVector::of(&vector_now(&history), &mut self.keys),
                    job: CompactVector::of(&history.job_at(now_point()).weights(), &mut self.keys),
                };
                self.entries.insert(entry.tenure_id, entry);
            }
        }
        Ok(())
    }
}

/// `count` entries from a part of a snapshot, which they must fill.
fn decode_entries(
    bytes: &[u8],
    count: usize,
    organizations: &[Uuid],
    keys: usize,
) -> Option<Vec<Entry>> {
    let mut read = Reader(bytes);
    // Each entry takes at least 36 bytes: a damaged count must not reserve gigabytes.
    let mut entries = Vec::with_capacity(count.min(bytes.len() / 36));
    for _ in 0..count {
        let (tenure_id, person_id) = (read.id()?, read.id()?);
        let organization_id = *organizations.get(read.count()?)?;
        let started_on = read.day()??;
        let period = Period { started_on, ended_on: read.day()? };
        let (vector, job) = (read.vector(keys)?, read.vector(keys)?);
        entries.push(Entry { tenure_id, person_id, organization_id, period, vector, job });
    }
    read.0.is_empty().then_some(entries)
}

/// A number as LEB128: seven bits a byte, the lowest first, the high bit set on all but the last.
fn put_number(out: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

/// A day as a number: 0 for none, else its days from the common era, zigzagged (a day before
/// it is odd) and plus one.
fn put_day(out: &mut Vec<u8>, day: Option<NaiveDate>) {
    let number = day.map_or(0, |d| {
        let days = i64::from(d.num_days_from_ce());
        (((days << 1) ^ (days >> 63)) as u64) + 1
    });
    put_number(out, number);
}

/// Reads a snapshot's bytes in order; `None` past their end.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let (taken, rest) = (self.0.get(..n)?, self.0.get(n..)?);
        self.0 = rest;
        Some(taken)
    }

    /// A LEB128 number of at most ten bytes; a tenth byte above 1 would not fit in 64 bits.
    fn number(&mut self) -> Option<u64> {
        let mut n = 0u64;
        for (i, byte) in self.0.iter().take(10).enumerate() {
            if i == 9 && *byte > 1 {
                return None;
            }
            n |= u64::from(byte & 0x7f) << (7 * i);
            if byte & 0x80 == 0 {
                self.0 = &self.0[i + 1..];
                return Some(n);
            }
        }
        None
    }

    /// A count or a length, which this machine can hold.
    fn count(&mut self) -> Option<usize> {
        usize::try_from(self.number()?).ok()
    }

    fn id(&mut self) -> Option<Uuid> {
        Uuid::from_slice(self.take(16)?).ok()
    }

    /// A day, or `Some(None)` for none.
    fn day(&mut self) -> Option<Option<NaiveDate>> {
        match self.number()? {
            0 => Some(None),
            number => {
                let zigzag = number - 1;
                let days = ((zigzag >> 1) as i64) ^ -((zigzag & 1) as i64);
                NaiveDate::from_num_days_from_ce_opt(i32::try_from(days).ok()?).map(Some)
            }
        }
    }

    /// A vector of key ids below `keys`, each greater than the one before (the order `cosine`
    /// and `get` rely on).
    fn vector(&mut self, keys: usize) -> Option<CompactVector> {
        let length = self.count()?;
        // Each entry takes at least 5 bytes.
        let mut entries: Vec<(u32, f32)> = Vec::with_capacity(length.min(self.0.len() / 5));
        for _ in 0..length {
            let step = u32::try_from(self.number()?).ok()?;
            let key = match entries.last() {
                Some((previous, _)) if step > 0 => previous.checked_add(step)?,
                Some(_) => return None,
                None => step,
            };
            if usize::try_from(key).ok()? >= keys {
                return None;
            }
            let value = f32::from_le_bytes(self.take(4)?.try_into().ok()?);
            entries.push((key, value));
        }
        Some(CompactVector::from_entries(entries))
    }
}

/// A tenure's formal-vs-crafted diff as it stands now.
pub fn vector_now(history: &TenureHistory) -> crate::domain::similarity::DiffVector {
    diff_vector(&history.formal_diff_at(now_point()).1)
}

/// Tenures whose vector may have changed since `since`, by when rows were recorded: revisions
/// of their crafting or of their post's facets, and tenures written (also those written
/// outside the change feed, as `jobcraft generate` writes them).
fn changed_tenures(
    conn: &mut DbConn,
    tenant: TenantId,
    since: Option<NaiveDateTime>,
) -> Result<Vec<Uuid>, Error> {
    let since = since.unwrap_or(NaiveDateTime::MIN);
    let t = tenant.to_string();
    let mut ids: Vec<String> = crafting_revisions::table
        .filter(crafting_revisions::tenant_id.eq(&t))
        .filter(crafting_revisions::recorded_at.gt(since))
        .select(crafting_revisions::tenure_id)
        .load(conn)?;
    ids.extend(
        tenures::table
            .filter(tenures::tenant_id.eq(&t))
            .filter(tenures::updated_at.gt(since))
            .select(tenures::id)
            .load::<String>(conn)?,
    );
    let revised_posts: Vec<String> = post_revisions::table
        .filter(post_revisions::tenant_id.eq(&t))
        .filter(post_revisions::recorded_at.gt(since))
        .select(post_revisions::post_id)
        .load(conn)?;
    if !revised_posts.is_empty() {
        ids.extend(
            tenures::table
                .filter(tenures::tenant_id.eq(&t))
                .filter(tenures::post_id.eq_any(revised_posts))
                .select(tenures::id)
                .load::<String>(conn)?,
        );
    }
    ids.sort();
    ids.dedup();
    ids.iter().map(|id| parse_id(id)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::facet::Dimension;

    fn index(tenures: u128) -> TenantIndex {
        let mut index = TenantIndex::default();
        for n in 0..tenures {
            let key = (Dimension::DecisionCriterion, format!("criterion_{}", n % 7));
            let mut vector = crate::domain::similarity::DiffVector::new();
            vector.insert(key, 0.25 + n as f64 / 1000.0);
            let mut job = crate::domain::similarity::DiffVector::new();
            for k in 0..(n % 5) {
                job.insert((Dimension::Task, format!("task_{}", (n + k * 300) % 400)), -0.5);
            }
            let entry = Entry {
                tenure_id: Uuid::from_u128(n + 1),
                person_id: Uuid::from_u128(n + 1_000_000),
                organization_id: Uuid::from_u128(7),
                period: Period {
                    // A day before the common era, too.
                    started_on: NaiveDate::from_ymd_opt(if n == 3 { -40 } else { 2024 }, 1, 1)
                        .unwrap(),
                    ended_on: (n % 2 == 0).then(|| NaiveDate::from_ymd_opt(2026, 6, 30).unwrap()),
                },
                vector: CompactVector::of(&vector, &mut index.keys),
                job: CompactVector::of(&job, &mut index.keys),
            };
            index.entries.insert(entry.tenure_id, entry);
        }
        index
    }

    #[test]
    fn a_snapshot_reads_back_as_the_index_it_was() {
        let mut written = index(500);
        written.seq = 1 << 40;
        // In one part, and in 72 parts decoded side by side.
        for bytes in [written.encode(), written.encode_in_parts(7)] {
            let read = TenantIndex::decode(&bytes).expect("reads back");
            assert_eq!(read.seq, 1 << 40);
            assert_eq!(read.keys.keys(), written.keys.keys());
            assert_eq!(read.entries.len(), 500);
            for (id, entry) in &written.entries {
                let back = &read.entries[id];
                assert_eq!(
                    (back.person_id, back.organization_id),
                    (entry.person_id, entry.organization_id)
                );
                assert_eq!(back.period, entry.period);
                assert_eq!(back.vector.entries, entry.vector.entries);
                assert_eq!(back.vector.norm, entry.vector.norm);
                assert_eq!(back.job.entries, entry.job.entries);
                assert_eq!(back.job.norm, entry.job.norm);
            }
        }
    }

    #[test]
    fn a_damaged_or_foreign_snapshot_is_not_read() {
        let bytes = index(3).encode();
        assert!(TenantIndex::decode(&bytes[..bytes.len() - 1]).is_none(), "cut short");
        let parts = index(30).encode_in_parts(4);
        for cut in [1, 40, 400] {
            assert!(TenantIndex::decode(&parts[..parts.len() - cut]).is_none(), "cut {cut}");
        }
        assert!(TenantIndex::decode(&[bytes.as_slice(), &[0]].concat()).is_none(), "too long");
        let mut other = bytes.clone();
        other[0] = FORMAT + 1;
        assert!(TenantIndex::decode(&other).is_none(), "another format");
        let mut built_elsewhere = bytes.clone();
        built_elsewhere[5] ^= 1;
        assert!(TenantIndex::decode(&built_elsewhere).is_none(), "another build");
        assert!(TenantIndex::decode(&[]).is_none());
        // Key ids past the table, or out of order: `cosine` and `get` would go wrong.
        for entries in [vec![(7, 1.0)], vec![(2, 1.0), (1, 0.5)], vec![(1, 1.0), (1, 0.5)]] {
            let mut damaged = index(1);
            damaged.keys = KeyTable::of_keys(vec![
                (Dimension::Task, "a".into()),
                (Dimension::Task, "b".into()),
                (Dimension::Task, "c".into()),
            ]);
            for entry in damaged.entries.values_mut() {
                entry.vector = CompactVector { entries: entries.clone(), norm: 1.0 };
                entry.job = CompactVector::default();
            }
            assert!(TenantIndex::decode(&damaged.encode()).is_none(), "{entries:?}");
        }
    }

    #[test]
    fn past_the_budget_the_least_recently_used_tenants_indexes_go() {
        let one = index(100);
        let cache = CraftingIndex::with_budget(one.bytes() * 2 + one.bytes() / 2);
        let tenants: Vec<TenantId> = (1..=3).map(|n| TenantId(Uuid::from_u128(n))).collect();
        cache.keep(tenants[0], Arc::new(index(100)), None);
        cache.keep(tenants[1], Arc::new(index(100)), None);
        assert_eq!(cache.held().1, 2);
        // The first is used again, so the second is the least recently used.
        assert!(cache.tenants.get(tenants[0]).is_some());
        cache.keep(tenants[2], Arc::new(index(100)), None);
        let held = cache.tenants.tenants();
        assert_eq!(held.len(), 2);
        assert!(held.contains(&tenants[0]) && held.contains(&tenants[2]), "{held:?}");
        assert!(cache.held().0 <= one.bytes() * 2 + one.bytes() / 2);
    }
}
