//! What each client account asks for — its stakeholders' influence there and the facets they
//! were observed to weigh — read for the team profile, and kept between requests.
//!
//! Reading it means every current tenure of the account with its crafting, its posts' formal
//! revisions and its relationships: at 100 accounts of 1,000 stakeholders that is most of a
//! team profile's seconds. `DemandIndex` keeps each account's demand as of now, per process and
//! per tenant, and a request reads only what changed since: the change feed after the number
//! the demand was kept at. An account's demand is read again when
//! - a change reaches one of the rows it was read from — its tenures, crafting revisions,
//!   posts, people and relationships — or lands a row there now (`footprint::reach`); of a
//!   person, only a deletion counts (a rename moves no demand, and a CRM sync's updates of
//!   20,000 people would otherwise count toward `CATCH_UP_MAX` and have every account read
//!   again);
//! - its organizations are not the ones it was read with (a unit moved in or out);
//! - the day it was read for ends (tenures and relationships are dated), or one of its
//!   revisions takes effect;
//! - the coverage settings change (influence reads them).
//!
//! Everything is read again when the feed was pruned past the kept number or more than
//! `CATCH_UP_MAX` changes came since, and by a request that sees a feed behind it (a standby
//! that lags: its rows are older than the kept ones, which stay). One request at a time per
//! tenant brings the demand up to date. A profile as of another time, or as known at another
//! time, reads everything and keeps nothing.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use uuid::Uuid;

use crate::domain::account::{self, influences, Account, AccountPost, Holder};
use crate::domain::calendar;
use crate::domain::crafting::{CraftingRevision, FormalRevision, Origin, TimePoint};
use crate::domain::facet::Facet;
use crate::domain::fit::wants;
use crate::domain::tenant::TenantId;
use crate::error::Error;
use crate::store::accounts::PostsOf;
use crate::store::changes::{self, Entity, Operation};
use crate::store::crafting::{self, TenureHistory};
use crate::store::footprint::{self, Footprint};
use crate::store::organizations::{self, Organization};
use crate::store::people::People;
use crate::store::relationships;
use crate::store::schema::{crafting_revisions, posts as post_rows, tenures};
use crate::store::tenant_cache::TenantCache;
use crate::store::tenures::{self as tenure_store, Tenure};
use crate::store::{
    accounts, chunked, coverage_settings, history, parse_id, post_revisions, retention, DbConn,
};

/// Most bytes the kept demand of one process holds (`AccountDemand::bytes`, summed). Past it,
/// the least recently used tenants' go first; a tenant whose demand alone is larger is not
/// kept (its profiles read every row).
pub const MEMORY_BUDGET: usize = 128 << 20;

/// Changes past which a request reads every account rather than find the ones they touch.
const CATCH_UP_MAX: usize = 20_000;

/// The changes that can move an account's demand; of a person, only their deletion.
const TOUCHING: [Entity; 4] =
    [Entity::Tenure, Entity::CraftingRevision, Entity::Post, Entity::Relationship];
const TOUCHING_WHEN_DELETED: [Entity; 1] = [Entity::Person];

/// A stakeholder of an account: their influence there and what they want of a salesperson.
#[derive(Debug, Clone)]
pub struct Demand {
    pub person_id: Uuid,
    /// Their share of the account's influence (sums to 1 over an account).
    pub influence: f64,
    /// Their crafted or overridden facets that are wants (`fit::wants`): the formal facets
    /// their posts inherit are the same template for every holder. A person holding two posts
    /// of an account: the facets of both.
    pub facets: Arc<[Facet]>,
}

/// One account's demand, as of the moment it was read.
#[derive(Debug, Clone, Default)]
pub struct AccountDemand {
    /// Its stakeholders, by person id.
    pub stakeholders: Vec<Demand>,
    /// The account's organizations it was read from, sorted.
    organizations: Vec<Uuid>,
    /// What it was read from (its organizations, posts, tenures, crafting revisions, people
    /// and relationships), to tell which changes touch it.
    footprint: Footprint,
    /// The day it holds for, and the first moment after it was read when one of its revisions
    /// takes effect.
    day: Option<NaiveDate>,
    next_effective: Option<NaiveDateTime>,
    /// `measure()`, taken once it is read.
    bytes: usize,
}

impl AccountDemand {
    /// Whether it still holds at `at` (as of now): the same day, no revision come into effect.
    fn holds_at(&self, at: TimePoint) -> bool {
        self.day.is_some_and(|day| calendar::still_holds(day, self.next_effective, at.as_of))
    }

    /// Roughly the bytes it holds: its facets and its footprint.
    fn measure(&self) -> usize {
        let facets: usize = self
            .stakeholders
            .iter()
            .map(|s| {
                size_of::<Demand>()
                    + s.facets.iter().map(|f| size_of::<Facet>() + f.key.len()).sum::<usize>()
            })
            .sum();
        facets + self.footprint.bytes() + self.organizations.len() * size_of::<Uuid>()
    }
}

/// Posts whose accounts are read together: their holders' rows are in memory at once (a
/// tenure with its crafting, posts and relationships is about 2.5 KB until it is boiled down
/// to a demand). A hundred accounts of 1,000 read at once peaked at 303 MB of resident memory,
/// by 25,000 posts at 169 MB; the first profile took 3.2 s instead of 2.6 s.
const POSTS_AT_ONCE: i64 = 25_000;

/// The demand of each account of `scope` (in its order), read from every row it rests on.
pub fn read(
    conn: &mut DbConn,
    tenant: TenantId,
    scope: &[(Organization, Vec<Uuid>)],
    at: TimePoint,
) -> Result<Vec<AccountDemand>, Error> {
    let organizations: Vec<String> =
        scope.iter().flat_map(|(_, ids)| ids.iter().map(Uuid::to_string)).collect();
    let counted: Vec<(String, i64)> = chunked(&organizations, |ids| {
        Ok(post_rows::table
            .filter(post_rows::tenant_id.eq(tenant))
            .filter(post_rows::organization_id.eq_any(ids))
            .group_by(post_rows::organization_id)
            .select((post_rows::organization_id, diesel::dsl::count_star()))
            .load(conn)?)
    })?;
    let posts_in: HashMap<Uuid, i64> = counted
        .iter()
        .map(|(id, posts)| Ok((parse_id(id)?, *posts)))
        .collect::<Result<_, Error>>()?;
    let sizes: Vec<i64> = scope
        .iter()
        .map(|(_, ids)| ids.iter().map(|id| posts_in.get(id).copied().unwrap_or(0)).sum())
        .collect();
    let mut demand = Vec::with_capacity(scope.len());
    for piece in pieces(&sizes, POSTS_AT_ONCE) {
        demand.extend(read_together(conn, tenant, &scope[piece], at)?);
    }
    Ok(demand)
}

/// Consecutive pieces of items of these sizes, each at most `most` in all unless one item
/// alone is larger (it is a piece of its own).
fn pieces(sizes: &[i64], most: i64) -> Vec<std::ops::Range<usize>> {
    let mut pieces = Vec::new();
    let (mut from, mut size) = (0, 0);
    for (i, item) in sizes.iter().enumerate() {
        if i > from && size + item > most {
            pieces.push(from..i);
            (from, size) = (i, 0);
        }
        size += item;
    }
    if from < sizes.len() {
        pieces.push(from..sizes.len());
    }
    pieces
}

/// `read` of a few accounts, each table read once for all of them.
fn read_together(
    conn: &mut DbConn,
    tenant: TenantId,
    scope: &[(Organization, Vec<Uuid>)],
    at: TimePoint,
) -> Result<Vec<AccountDemand>, Error> {
    let today = at.as_of.date();
    // An account may hold another (a client under a partner under a client): its rows count in
    // both.
    let mut account_of: HashMap<Uuid, Vec<usize>> = HashMap::new();
    for (i, (_, ids)) in scope.iter().enumerate() {
        for id in ids {
            account_of.entry(*id).or_default().push(i);
        }
    }
    let mut demand: Vec<AccountDemand> = scope
        .iter()
        .map(|(_, ids)| {
            let mut organizations = ids.clone();
            organizations.sort();
            let footprint = Footprint::new(ids.iter().copied());
            AccountDemand { organizations, footprint, day: Some(today), ..AccountDemand::default() }
        })
        .collect();
    let organizations: Vec<Uuid> = account_of.keys().copied().collect();
    let mut posts_of: Vec<Vec<AccountPost>> = scope.iter().map(|_| Vec::new()).collect();
    let mut post_accounts: HashMap<Uuid, Vec<usize>> = HashMap::new();
    for post in chunked(&organizations, |ids| {
        accounts::account_posts(conn, tenant, PostsOf::Organizations(ids), today)
    })? {
        let of = account_of.get(&post.organization_id).cloned().unwrap_or_default();
        for account in &of {
            demand[*account].footprint.insert(post.id);
            posts_of[*account].push(post.clone());
        }
        post_accounts.insert(post.id, of);
    }
    let (held, revisions): (Vec<Tenure>, Vec<Vec<CraftingRevision>>) =
        chunked(&organizations, |ids| held_with_crafting(conn, tenant, ids, today))?
            .into_iter()
            .unzip();
    // Who holds what now, to tell the tenures known differently then.
    let held_now: HashSet<(Uuid, Uuid, Uuid)> =
        held.iter().map(|t| (t.id, t.person_id, t.post_id)).collect();
    let mut revisions_of: HashMap<Uuid, Vec<CraftingRevision>> =
        held.iter().map(|t| t.id).zip(revisions).collect();
    let mut current: Vec<Tenure> = history::as_known(
        held,
        tenure_store::versions_since(conn, tenant, at.known_at)?,
        at.known_at,
    )
    .into_iter()
    .filter(|t| t.period.contains(today) && post_accounts.contains_key(&t.post_id))
    .collect();
    // In the order the coverage report reads them: influence sums in the same order.
    current.sort_by_key(|t| (t.period.started_on, t.id));
    // A tenure as it was known then and not as it is now (its dates corrected since) was not in
    // the statement above: its revisions are read by id.
    let corrected: Vec<Uuid> =
        current.iter().map(|t| t.id).filter(|id| !revisions_of.contains_key(id)).collect();
    let corrected = chunked(&corrected, |ids| {
        Ok(crafting::revisions_of(conn, tenant, ids)?.into_iter().collect())
    })?;
    revisions_of.extend(corrected);
    let formal: HashMap<Uuid, Vec<FormalRevision>> = chunked(&organizations, |ids| {
        Ok(post_revisions::formal_revisions_in(conn, tenant, ids)?.into_iter().collect())
    })?
    .into_iter()
    .collect();
    let after = |effective: NaiveDateTime| (effective > at.as_of).then_some(effective);

    let mut observed: HashMap<(usize, Uuid), Vec<Facet>> = HashMap::new();
    let mut holders: HashMap<Uuid, Vec<Holder>> = HashMap::new();
    let mut accounts_of_person: HashMap<Uuid, Vec<usize>> = HashMap::new();
    let mut people_of: Vec<HashSet<Uuid>> = scope.iter().map(|_| HashSet::new()).collect();
    // People who held a post then and not now: their relationships are read by id.
    let mut known_then: Vec<Uuid> = Vec::new();
    for tenure in current {
        if !held_now.contains(&(tenure.id, tenure.person_id, tenure.post_id)) {
            known_then.push(tenure.person_id);
        }
        let history = TenureHistory {
            formal: formal.get(&tenure.post_id).cloned().unwrap_or_default(),
            crafting: revisions_of.remove(&tenure.id).unwrap_or_default(),
            tenure,
        };
        let job = history.job_at(at);
        let next_effective = history
            .crafting
            .iter()
            .map(|r| r.effective_at)
            .chain(history.formal.iter().map(|r| r.effective_at))
            .filter_map(after)
            .min();
        let facets: Vec<Facet> = job
            .facets
            .into_iter()
            .filter(|f| f.origin != Origin::Formal)
            .map(|f| f.facet)
            .filter(wants)
            // What a want is: its key and weight. A note may be a thousand characters.
            .map(|f| Facet { note: None, ..f })
            .collect();
        let tenure = history.tenure;
        for account in &post_accounts[&tenure.post_id] {
            let kept = &mut demand[*account];
            kept.footprint.insert(tenure.id);
            kept.footprint.extend(history.crafting.iter().map(|r| r.id));
            kept.next_effective = kept.next_effective.into_iter().chain(next_effective).min();
            observed.entry((*account, tenure.person_id)).or_default().extend(facets.clone());
            if people_of[*account].insert(tenure.person_id) {
                kept.footprint.insert(tenure.person_id);
                accounts_of_person.entry(tenure.person_id).or_default().push(*account);
            }
        }
        holders.entry(tenure.post_id).or_default().push(Holder {
            tenure_id: tenure.id,
            person_id: tenure.person_id,
            started_on: tenure.period.started_on,
            buying_roles: tenure.buying_roles,
            // Influence reads the buying roles and the lines, nothing else of a holder.
            display_name: String::new(),
            crafting_recorded: false,
            came_from: None,
        });
    }
    let between = Between { organizations: &organizations, known_then: &known_then };
    let relationships_of =
        relationships_by_account(conn, tenant, between, &accounts_of_person, scope.len(), at)?;
    let settings = coverage_settings::settings_as_known(conn, tenant, at.known_at)?;

    for (i, ((kept, mut posts), relationships)) in
        demand.iter_mut().zip(posts_of).zip(relationships_of).enumerate()
    {
        posts.sort_by_key(|p| p.id);
        kept.footprint.extend(relationships.iter().map(|(id, _)| *id));
        let account = Account {
            posts: posts
                .into_iter()
                .map(|p| AccountPost {
                    holders: holders.get(&p.id).cloned().unwrap_or_default(),
                    ..p
                })
                .collect(),
            relationships: relationships.into_iter().map(|(_, r)| r).collect(),
            ..Account::default()
        };
        let influence = influences(&account, &settings);
        let mut people: Vec<Uuid> = people_of[i].iter().copied().collect();
        people.sort();
        kept.stakeholders = people
            .into_iter()
            .map(|person| Demand {
                person_id: person,
                influence: influence.get(&person).map_or(0.0, |i| i.influence),
                facets: observed.remove(&(i, person)).unwrap_or_default().into(),
            })
            .collect();
        kept.bytes = kept.measure();
    }
    Ok(demand)
}

/// Each account's demand kept between requests, per tenant (see the module's comment).
pub struct DemandIndex {
    tenants: TenantCache<Kept>,
    /// One request at a time brings a tenant's demand up to date: requests that arrive
    /// together after a start wait for the first one's read, instead of each reading every
    /// account (a few seconds and 140 MB each at 100,000 stakeholders).
    turns: Turns,
    /// Accounts whose demand was read from their rows, not kept.
    reads: std::sync::atomic::AtomicU64,
}

/// A lock per tenant, held only while a tenant's turn is taken: the last request of a tenant to
/// finish its turn forgets its lock, so tenants that asked once do not stay in the map.
#[derive(Default)]
struct Turns(Mutex<HashMap<TenantId, Arc<Mutex<()>>>>);

/// A tenant's turn, taken: `hold` waits for the requests before it.
struct Turn<'a> {
    turns: &'a Turns,
    tenant: TenantId,
    lock: Arc<Mutex<()>>,
}

impl Turns {
    fn take(&self, tenant: TenantId) -> Turn<'_> {
        let lock = self.map().entry(tenant).or_default().clone();
        Turn { turns: self, tenant, lock }
    }

    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<TenantId, Arc<Mutex<()>>>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Turn<'_> {
    fn hold(&self) -> std::sync::MutexGuard<'_, ()> {
        self.lock.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        // Under the map's lock nobody can take a copy: two copies are the map's and this one,
        // so no request waits for this tenant's turn.
        let mut map = self.turns.map();
        if Arc::strong_count(&self.lock) == 2 {
            map.remove(&self.tenant);
        }
    }
}

/// A tenant's kept demand.
#[derive(Clone)]
struct Kept {
    /// The feed's number the accounts hold at.
    seq: i64,
    /// The coverage settings' version they were read with.
    settings: i64,
    accounts: HashMap<Uuid, Arc<AccountDemand>>,
}

impl Default for DemandIndex {
    fn default() -> Self {
        DemandIndex::with_budget(MEMORY_BUDGET)
    }
}

impl DemandIndex {
    pub fn with_budget(budget: usize) -> DemandIndex {
        DemandIndex {
            tenants: TenantCache::new(budget),
            turns: Turns::default(),
            reads: Default::default(),
        }
    }

    /// How many accounts' demand this process read from their rows.
    pub fn reads(&self) -> u64 {
        self.reads.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Bytes held now, and for how many tenants.
    pub fn held(&self) -> (usize, usize) {
        self.tenants.held()
    }

    /// The demand of each account of `scope` (in its order) as of now (`at`), from what is
    /// kept, caught up with the change feed; the accounts not kept, or touched since, read.
    /// `conn` must see one snapshot (the feed's number and the rows read agree).
    pub fn demand(
        &self,
        conn: &mut DbConn,
        tenant: TenantId,
        scope: &[(Organization, Vec<Uuid>)],
        at: TimePoint,
    ) -> Result<Vec<Arc<AccountDemand>>, Error> {
        // The rows as this snapshot has them, however recently recorded: the feed's number
        // read with them says what they include. (As known at the request's clock, a row
        // recorded between that moment and the snapshot would be left out, and its change
        // counted as seen.) Effect dates are read as of now.
        let at = TimePoint { as_of: at.as_of, known_at: calendar::last_moment() };
        let turn = self.turns.take(tenant);
        let _held = turn.hold();
        let head = changes::head(conn, tenant)?;
        let (_, settings) = coverage_settings::settings(conn, tenant)?;
        let kept = self.tenants.get(tenant);
        let mut accounts = match kept {
            Some(kept) if kept.seq <= head && kept.settings == settings => {
                let touched = changes::touched_since(
                    conn,
                    tenant,
                    &TOUCHING,
                    &TOUCHING_WHEN_DELETED,
                    kept.seq,
                )?;
                // Read after the changes: a pruning batch that commits between the two moves the
                // horizon with it. Past a long catch-up, reading every account costs less.
                if retention::first_kept(conn, tenant)? > kept.seq + 1
                    || touched.len() > CATCH_UP_MAX
                {
                    HashMap::new()
                } else {
                    untouched(conn, tenant, kept.accounts, &touched)?
                }
            }
            _ => HashMap::new(),
        };
        accounts.retain(|_, a| a.holds_at(at));
        let stale: Vec<(Organization, Vec<Uuid>)> = scope
            .iter()
            .filter(|(root, ids)| {
                accounts.get(&root.id).is_none_or(|a| {
                    let mut ids = ids.clone();
                    ids.sort();
                    a.organizations != ids
                })
            })
            .cloned()
            .collect();
        let read_now = read(conn, tenant, &stale, at)?;
        self.reads.fetch_add(stale.len() as u64, std::sync::atomic::Ordering::Relaxed);
        for ((root, _), demand) in stale.iter().zip(read_now) {
            accounts.insert(root.id, Arc::new(demand));
        }
        let answer = scope.iter().filter_map(|(root, _)| accounts.get(&root.id).cloned()).collect();
        self.keep(tenant, Kept { seq: head, settings, accounts });
        Ok(answer)
    }

    /// Holds the tenant's demand, dropping the least recently used others' past the budget.
    fn keep(&self, tenant: TenantId, kept: Kept) {
        let bytes = kept.accounts.values().map(|a| a.bytes).sum();
        if bytes > self.tenants.budget() {
            self.tenants.forget(tenant);
            return;
        }
        // A request on a standby that lags read older rows: what is kept then stays.
        let seq = kept.seq;
        self.tenants.keep_unless(tenant, kept, bytes, |held| held.seq > seq);
    }
}

/// The kept accounts no change in `touched` reaches (`footprint::reach`).
fn untouched(
    conn: &mut DbConn,
    tenant: TenantId,
    mut accounts: HashMap<Uuid, Arc<AccountDemand>>,
    touched: &[(Entity, Operation, Uuid)],
) -> Result<HashMap<Uuid, Arc<AccountDemand>>, Error> {
    if touched.is_empty() || accounts.is_empty() {
        return Ok(accounts);
    }
    // Every row demand is read from is kept by id.
    let reach = footprint::reach(conn, tenant, touched, &[])?;
    accounts.retain(|_, a| !reach.touches(&a.footprint));
    Ok(accounts)
}

/// Whose relationships to read: those from anyone who holds or held a post in these
/// organizations, and those touching the people who held one as known then and not now.
#[derive(Clone, Copy)]
struct Between<'a> {
    organizations: &'a [Uuid],
    known_then: &'a [Uuid],
}

/// The relationships valid on `at`'s day, as known at `at`, between two stakeholders of an
/// account, by account (`accounts_of_person`: the accounts each stakeholder is in), each with
/// its id; in the order the coverage report reads them, so influence sums in the same order.
fn relationships_by_account(
    conn: &mut DbConn,
    tenant: TenantId,
    between: Between<'_>,
    accounts_of_person: &HashMap<Uuid, Vec<usize>>,
    accounts: usize,
    at: TimePoint,
) -> Result<Vec<Vec<(Uuid, account::Relationship)>>, Error> {
    let today = at.as_of.date();
    let mut read = chunked(between.organizations, |ids| {
        relationships::from_holders_in(conn, tenant, ids, today)
    })?;
    read.extend(chunked(between.known_then, |ids| {
        relationships::relationships_among(conn, tenant, People::Listed(ids), today)
    })?);
    // A relationship read twice (from two pieces, or both ways) counts once.
    read.sort_by_key(|r| r.id);
    read.dedup_by_key(|r| r.id);
    let known = history::as_known(
        read,
        relationships::versions_since(conn, tenant, at.known_at)?,
        at.known_at,
    );
    let mut relationships_of: Vec<Vec<(Uuid, account::Relationship)>> =
        (0..accounts).map(|_| Vec::new()).collect();
    for r in known.into_iter().filter(|r| r.fields.holds_on(today)) {
        let (from, to) = (r.fields.from_person_id, r.fields.to_person_id);
        let (Some(from_in), Some(to_in)) =
            (accounts_of_person.get(&from), accounts_of_person.get(&to))
        else {
            continue;
        };
        for account in from_in.iter().filter(|a| to_in.contains(a)) {
            relationships_of[*account].push((
                r.id,
                account::Relationship {
                    from_person_id: from,
                    to_person_id: to,
                    kind: r.fields.kind,
                    strength: r.fields.strength,
                },
            ));
        }
    }
    Ok(relationships_of)
}

/// The tenures of the posts of these organizations current on `day`, each with its crafting
/// revisions in effect order: one statement (a left join) however many.
fn held_with_crafting(
    conn: &mut DbConn,
    tenant: TenantId,
    organizations: &[Uuid],
    day: NaiveDate,
) -> Result<Vec<(Tenure, Vec<CraftingRevision>)>, Error> {
    let rows: Vec<(tenure_store::Row, Option<crafting::Row>)> = tenures::table
        .left_join(
            crafting_revisions::table.on(crafting_revisions::tenant_id
                .eq(tenures::tenant_id)
                .and(crafting_revisions::tenure_id.eq(tenures::id))),
        )
        .filter(tenures::tenant_id.eq(tenant))
        .filter(tenures::post_id.eq_any(organizations::post_ids_in(tenant, organizations)))
        .filter(tenures::started_on.le(day))
        .filter(tenures::ended_on.is_null().or(tenures::ended_on.gt(day)))
        .select((tenure_store::Row::as_select(), Option::<crafting::Row>::as_select()))
        .load(conn)?;
    // A row per revision: a tenure's rows gathered by its id.
    let mut held: Vec<(Tenure, Vec<CraftingRevision>)> = Vec::new();
    let mut index: HashMap<Uuid, usize> = HashMap::new();
    for (tenure, revision) in rows {
        let tenure = tenure.into_tenure()?;
        let i = *index.entry(tenure.id).or_insert_with(|| {
            held.push((tenure, Vec::new()));
            held.len() - 1
        });
        if let Some(revision) = revision {
            held[i].1.push(revision.into_revision()?.revision);
        }
    }
    for (_, revisions) in &mut held {
        revisions.sort_by_key(|r| (r.effective_at, r.recorded_at));
    }
    Ok(held)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accounts_are_read_in_pieces_of_at_most_so_many_posts_unless_one_is_larger() {
        assert_eq!(pieces(&[], 10), Vec::<std::ops::Range<usize>>::new());
        assert_eq!(pieces(&[4, 4, 4, 4], 10), vec![0..2, 2..4]);
        assert_eq!(pieces(&[4, 6, 1], 10), vec![0..2, 2..3]);
        assert_eq!(pieces(&[3, 30, 3], 10), vec![0..1, 1..2, 2..3]);
        assert_eq!(pieces(&[0, 0, 0], 10), vec![0..3]);
    }

    #[test]
    fn a_tenants_turn_is_forgotten_once_nobody_waits_for_it() {
        let turns = Turns::default();
        let (a, b) = (TenantId::new(), TenantId::new());
        {
            let first = turns.take(a);
            let held = first.hold();
            let next = turns.take(a);
            let other = turns.take(b);
            drop(held);
            drop(first);
            assert_eq!(turns.map().len(), 2, "a request still waits for a's turn; b's is taken");
            let _held = next.hold();
            drop(other);
            assert_eq!(turns.map().len(), 1, "b's turn is over and nobody waits for it");
        }
        assert!(turns.map().is_empty(), "a's last turn is over");
    }
}
