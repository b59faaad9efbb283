//! Accounts as of now, kept between coverage reports (and the suggestions, overview, alert
//! list and workspace pages that read the same account).
//!
//! Reading an account is most of a report's time: at 10,000 stakeholders, 120 of its 150 ms,
//! against 20 for the report, its body and its bytes. `KeptAccounts` keeps each account read
//! as of now, per process and per tenant, with the number of the tenant's last change (the
//! feed's head) it was read at. A report as of now uses it while
//! - no change since reaches a row it was read from, or lands a row in it
//!   (`footprint::reach`): a request that finds the head moved reads the changes since and
//!   lets go of the accounts they reach, so a CRM sync writing elsewhere in the tenant, or a
//!   new person, costs the other accounts nothing; a person's update has only the names read
//!   again (`AccountData::renamed`), and a new crafting revision only its tenure's crafting
//!   and facets (`recraft`). Everything is read again past
//!   `CATCH_UP_MAX` changes, or when the feed was pruned past the kept number;
//! - the day is the same and no crafting revision read ahead of its effect has come into
//!   effect (`AccountData::holds_at`);
//! - the coverage settings are the same (they are not in the feed; one row, read each time).
//!
//! Suggestions read the stakeholders' effective crafted facets too (about 100 ms at 10,000
//! stakeholders): they are kept beside the account while it is kept, until a revision read
//! ahead of its effect (of a post, or crafting) comes into effect (`crafted_facets`). The
//! account's footprint holds its tenures and posts, so their revisions reach it.
//!
//! Derived strengths decay with time: a kept account is brought to the request's moment
//! (`AccountData::at`). A report as of another time, or as known at another time, reads and
//! keeps nothing. The head and the rows are read on one snapshot, so what is kept is what the
//! head says; a request on a standby that lags reads older rows, and what is kept stays.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use chrono::{NaiveDate, NaiveDateTime};
use uuid::Uuid;

use crate::domain::calendar;
use crate::domain::crafting::TimePoint;
use crate::domain::facet::Facet;
use crate::domain::tenant::TenantId;
use crate::error::Error;
use crate::store::accounts::{self, AccountData};
use crate::store::changes::{Entity, Operation};
use crate::store::coverage::{self, End};
use crate::store::crafting::{self, FacetsByTenure};
use crate::store::people::People;
use crate::store::relationships;
use crate::store::tenant_cache::TenantCache;
use crate::store::tenures::Tenure;
use crate::store::{changes, chunked, coverage_settings, footprint, interactions, persons};
use crate::store::{retention, DbConn, READ_CHUNK};

/// Most bytes the kept accounts of one process hold (`AccountData::bytes`, and their facets,
/// summed). Past it, the least recently used tenants' go first; a tenant whose accounts alone
/// are larger keeps only the last one read.
pub const MEMORY_BUDGET: usize = 64 << 20;

/// The changes that can move an account: of every entity an account is read from. Alert
/// decisions and development plans are read beside it, never kept.
const WATCHED: [Entity; 8] = [
    Entity::Organization,
    Entity::Person,
    Entity::Post,
    Entity::Tenure,
    Entity::CraftingRevision,
    Entity::Relationship,
    Entity::Coverage,
    Entity::Interaction,
];

/// Read in aggregate, without their ids: whether a tenure has crafting. A new revision is
/// brought in (`recraft`); a deletion reaches every account. (Revisions are deleted only with
/// their tenure, whose deletion reaches the account too; this keeps it so should that change.)
const AGGREGATED: [Entity; 1] = [Entity::CraftingRevision];

/// Changes past which a request lets every account go rather than find the ones they reach.
const CATCH_UP_MAX: usize = 20_000;

pub struct KeptAccounts {
    tenants: TenantCache<Kept>,
    /// Accounts read from the database (not kept, or no longer), for tests and metrics.
    reads: AtomicU64,
}

#[derive(Clone)]
struct Kept {
    /// The feed's head the accounts were read at.
    seq: i64,
    /// Each with its bytes (`AccountData::bytes`), counted once when it was read.
    accounts: HashMap<Uuid, (Arc<AccountData>, usize)>,
    /// The crafted facets of an account's tenures, by the account's root.
    facets: HashMap<Uuid, Arc<KeptFacets>>,
}

impl Kept {
    fn bytes(&self) -> usize {
        let accounts: usize = self.accounts.values().map(|(_, size)| size).sum();
        accounts + self.facets.values().map(|f| f.bytes).sum::<usize>()
    }
}

/// Effective crafted facets by tenure, as of a moment of `day` before `next_effective`.
struct KeptFacets {
    by_tenure: Arc<FacetsByTenure>,
    day: NaiveDate,
    next_effective: Option<NaiveDateTime>,
    bytes: usize,
}

impl Default for KeptAccounts {
    fn default() -> Self {
        KeptAccounts::with_budget(MEMORY_BUDGET)
    }
}

impl KeptAccounts {
    pub fn with_budget(budget: usize) -> KeptAccounts {
        KeptAccounts { tenants: TenantCache::new(budget), reads: AtomicU64::new(0) }
    }

    /// Accounts read so far.
    pub fn reads(&self) -> u64 {
        self.reads.load(Ordering::Relaxed)
    }

    /// Bytes held now, and for how many tenants.
    pub fn held(&self) -> (usize, usize) {
        self.tenants.held()
    }

    /// The account rooted at `root` as of `now`: kept if nothing written since it was read
    /// reaches it and it still holds, else read (and kept).
    pub fn account(
        &self,
        conn: &mut DbConn,
        tenant: TenantId,
        root: Uuid,
        now: NaiveDateTime,
    ) -> Result<AccountData, Error> {
        conn.on_one_snapshot(|conn| {
            let head = changes::head(conn, tenant)?;
            let (settings, _) = coverage_settings::settings(conn, tenant)?;
            self.catch_up(conn, tenant, head, now)?;
            let kept = self
                .tenants
                .update(tenant, |kept| {
                    let account = kept
                        .accounts
                        .get(&root)
                        .map(|(account, _)| account)
                        .filter(|a| a.holds_at(now) && a.settings == settings);
                    (kept.seq == head).then(|| account.cloned()).flatten()
                })
                .flatten();
            if let Some(account) = kept {
                return Ok(account.at(now));
            }
            // Everything this snapshot holds, however recently recorded: the head read with
            // it says what it includes. (As known at the request's clock, a row recorded
            // between that moment and the snapshot would be left out, yet counted as seen.)
            let at = TimePoint { as_of: now, known_at: calendar::last_moment() };
            let account = Arc::new(accounts::load(conn, tenant, root, at)?);
            self.reads.fetch_add(1, Ordering::Relaxed);
            self.keep(tenant, head, root, account.clone(), now);
            Ok(Arc::unwrap_or_clone(account))
        })
    }

    /// The effective crafted facets of the current tenures of `account` (as `account` returned
    /// it) as of `now`, by tenure: kept while the account is and no revision read ahead of its
    /// effect has come into effect, else read (and kept while the account is).
    pub fn crafted_facets(
        &self,
        conn: &mut DbConn,
        tenant: TenantId,
        account: &AccountData,
        now: NaiveDateTime,
    ) -> Result<Arc<FacetsByTenure>, Error> {
        let root = account.root.id;
        conn.on_one_snapshot(|conn| {
            let head = changes::head(conn, tenant)?;
            self.catch_up(conn, tenant, head, now)?;
            let kept = self
                .tenants
                .update(tenant, |kept| {
                    let facets = kept
                        .facets
                        .get(&root)
                        .filter(|f| calendar::still_holds(f.day, f.next_effective, now));
                    (kept.seq == head).then(|| facets.map(|f| f.by_tenure.clone())).flatten()
                })
                .flatten();
            if let Some(facets) = kept {
                return Ok(facets);
            }
            let at = TimePoint { as_of: now, known_at: calendar::last_moment() };
            let organizations: Vec<Uuid> = account.organizations.iter().map(|o| o.id).collect();
            let (by_tenure, next_effective) = crafting::crafted_facets_in(
                conn,
                tenant,
                &organizations,
                account.tenures.clone(),
                at,
            )?;
            let bytes = facets_bytes(&by_tenure);
            let by_tenure = Arc::new(by_tenure);
            let facets =
                KeptFacets { by_tenure: by_tenure.clone(), day: now.date(), next_effective, bytes };
            // Kept only beside the account read at the same head.
            if let Some(mut kept) = self
                .tenants
                .update(tenant, |kept| (kept.seq == head).then(|| kept.clone()))
                .flatten()
            {
                kept.facets.insert(root, Arc::new(facets));
                let bytes = kept.bytes();
                if bytes <= self.tenants.budget() {
                    self.tenants.keep_unless(tenant, kept, bytes, |held| held.seq != head);
                }
            }
            Ok(by_tenure)
        })
    }

    /// Brings what is kept for the tenant from the number it was kept at to `head`, the feed's
    /// head on `conn`'s snapshot, for a request as of `now`: the accounts the changes since
    /// reach let go, the others kept.
    fn catch_up(
        &self,
        conn: &mut DbConn,
        tenant: TenantId,
        head: i64,
        now: NaiveDateTime,
    ) -> Result<(), Error> {
        // Behind only (a request on a standby that lags sees an older head, and reads), and
        // copied only then.
        let behind = self.tenants.update(tenant, |kept| (kept.seq < head).then(|| kept.clone()));
        let Some(mut kept) = behind.flatten() else {
            return Ok(());
        };
        if !kept.accounts.is_empty() {
            let touched = changes::touched_since(conn, tenant, &WATCHED, &[], kept.seq)?;
            // Read after the changes: a pruning batch that commits between the two moves the
            // horizon with it.
            if touched.len() > CATCH_UP_MAX || retention::first_kept(conn, tenant)? > kept.seq + 1 {
                kept.accounts.clear();
            } else {
                // A person's update (a CRM's contact sync) changes at most a name in an
                // account: the names are read again, not the account. A new crafting revision
                // changes at most whether its holder has crafting, and the holder's facets:
                // those are read again.
                // A coverage link, or a new interaction, changes at most the links of the
                // people at its ends, and a relationship their relationships: theirs are read
                // again.
                let (mut renamed, mut crafted, mut moved) = (Vec::new(), Vec::new(), Vec::new());
                let (mut links, mut met, mut related) =
                    (HashSet::new(), Vec::new(), HashSet::new());
                for change in touched {
                    match change {
                        (Entity::Person, Operation::Update, id) => renamed.push(id),
                        (Entity::CraftingRevision, Operation::Create, id) => crafted.push(id),
                        (Entity::Coverage, _, id) => _ = links.insert(id),
                        (Entity::Interaction, Operation::Create, id) => met.push(id),
                        (Entity::Relationship, _, id) => _ = related.insert(id),
                        _ => moved.push(change),
                    }
                }
                let reach = footprint::reach(conn, tenant, &moved, &AGGREGATED)?;
                kept.accounts.retain(|_, (account, _)| !reach.touches(&account.footprint));
                rename(conn, tenant, &mut kept.accounts, &renamed)?;
                recraft(conn, tenant, &mut kept, &crafted, now)?;
                relink(conn, tenant, &mut kept.accounts, &links, &met, now)?;
                relate(conn, tenant, &mut kept.accounts, &related, now)?;
            }
        }
        let accounts = &kept.accounts;
        kept.facets.retain(|root, _| accounts.contains_key(root));
        kept.seq = head;
        let bytes = kept.bytes();
        // Unless another request brought it as far, or further.
        self.tenants.keep_unless(tenant, kept, bytes, |held| held.seq >= head);
        Ok(())
    }

    /// Keeps `account`, read at `head`, beside the tenant's others read at the same head.
    fn keep(
        &self,
        tenant: TenantId,
        head: i64,
        root: Uuid,
        account: Arc<AccountData>,
        now: NaiveDateTime,
    ) {
        let mut kept = self
            .tenants
            .update(tenant, |kept| (kept.seq == head).then(|| kept.clone()))
            .flatten()
            .unwrap_or_else(|| Kept {
                seq: head,
                accounts: HashMap::new(),
                facets: HashMap::new(),
            });
        kept.accounts.retain(|_, (a, _)| a.holds_at(now));
        // The facets kept belong to the account read before: read again with the new one.
        kept.facets.remove(&root);
        let accounts = &kept.accounts;
        kept.facets.retain(|root, _| accounts.contains_key(root));
        let size = account.bytes();
        kept.accounts.insert(root, (account.clone(), size));
        if kept.bytes() > self.tenants.budget() {
            kept.accounts = HashMap::from([(root, (account, size))]);
            kept.facets.clear();
        }
        let bytes = kept.bytes();
        if bytes > self.tenants.budget() {
            return;
        }
        // A request on a standby that lags read older rows: what is kept then stays.
        self.tenants.keep_unless(tenant, kept, bytes, |held| held.seq > head);
    }
}

/// Brings the kept accounts that name any of `people` to these people's display names as
/// they are now. Only the people a kept account names are read: a sync's thousands of
/// updates elsewhere read nothing.
fn rename(
    conn: &mut DbConn,
    tenant: TenantId,
    accounts: &mut HashMap<Uuid, (Arc<AccountData>, usize)>,
    people: &[Uuid],
) -> Result<(), Error> {
    let mut named: Vec<Uuid> = people
        .iter()
        .copied()
        .filter(|id| accounts.values().any(|(a, _)| a.footprint.contains(id)))
        .collect();
    named.sort();
    named.dedup();
    if named.is_empty() {
        return Ok(());
    }
    let names = display_names(conn, tenant, named.iter().copied())?;
    for (account, size) in accounts.values_mut() {
        if named.iter().any(|id| account.footprint.contains(id)) {
            let renamed = account.renamed(&names);
            *size = renamed.bytes();
            *account = Arc::new(renamed);
        }
    }
    Ok(())
}

/// Brings the kept accounts whose people (stakeholders, or people who left) are at an end of
/// these coverage links (created, changed or deleted) or new interactions to those people's
/// links as they are now: read again, with the interactions of each pair and the salespeople's
/// names (`AccountData::relinked`). A sales manager who assigns coverage reads the report
/// next; a CRM logs interactions all day.
fn relink(
    conn: &mut DbConn,
    tenant: TenantId,
    accounts: &mut HashMap<Uuid, (Arc<AccountData>, usize)>,
    links: &HashSet<Uuid>,
    met: &[Uuid],
    now: NaiveDateTime,
) -> Result<(), Error> {
    if (links.is_empty() && met.is_empty()) || accounts.is_empty() {
        return Ok(());
    }
    let changed: Vec<Uuid> = links.iter().copied().collect();
    let mut people: HashSet<Uuid> =
        footprint::ends(conn, tenant, Entity::Coverage, &changed)?.into_iter().collect();
    people.extend(footprint::ends(conn, tenant, Entity::Interaction, met)?);
    // A link changed or deleted: the stakeholder it was of.
    for (account, _) in accounts.values() {
        let had = account.account.links.iter().filter(|l| links.contains(&l.id));
        people.extend(had.map(|l| l.stakeholder_id));
    }
    let (theirs, relinked) = among(accounts, &people, AccountData::people);
    if relinked.is_empty() {
        return Ok(());
    }
    let read = chunked(&theirs, |ids| {
        coverage::coverage_of(conn, tenant, End::Stakeholders, People::Listed(ids))
    })?;
    let mut touched = HashMap::new();
    for piece in theirs.chunks(READ_CHUNK) {
        touched.extend(interactions::touches(
            conn,
            tenant,
            People::Listed(piece),
            calendar::last_moment(),
        )?);
    }
    let names = display_names(conn, tenant, read.iter().map(|l| l.fields.salesperson_id))?;
    for (root, mine) in relinked {
        let Some((account, size)) = accounts.get_mut(&root) else { continue };
        // One read for another day is read again.
        if !account.holds_at(now) {
            accounts.remove(&root);
            continue;
        }
        let now_linked = account.relinked(&mine, &read, &touched, &names, now);
        *size = now_linked.bytes();
        *account = Arc::new(now_linked);
    }
    Ok(())
}

/// Brings the kept accounts whose stakeholders are at an end of these relationships
/// (created, changed or deleted) to those stakeholders' relationships as they are now: read
/// again, with the names of the people at their ends (`AccountData::related`).
fn relate(
    conn: &mut DbConn,
    tenant: TenantId,
    accounts: &mut HashMap<Uuid, (Arc<AccountData>, usize)>,
    changed: &HashSet<Uuid>,
    now: NaiveDateTime,
) -> Result<(), Error> {
    if changed.is_empty() || accounts.is_empty() {
        return Ok(());
    }
    let ids: Vec<Uuid> = changed.iter().copied().collect();
    let mut people: HashSet<Uuid> =
        footprint::ends(conn, tenant, Entity::Relationship, &ids)?.into_iter().collect();
    // A relationship changed or deleted: the people it was between.
    for (account, _) in accounts.values() {
        let had = account.relationships.iter().filter(|r| changed.contains(&r.id));
        people.extend(had.flat_map(|r| [r.fields.from_person_id, r.fields.to_person_id]));
    }
    let stakeholders = |a: &AccountData| a.stakeholders().into_iter().collect();
    let (theirs, related) = among(accounts, &people, stakeholders);
    if related.is_empty() {
        return Ok(());
    }
    let mut read = chunked(&theirs, |ids| {
        relationships::relationships_among(conn, tenant, People::Listed(ids), now.date())
    })?;
    // One between people of two pieces is read with each.
    read.sort_by_key(|r| r.id);
    read.dedup_by_key(|r| r.id);
    let ends = read.iter().flat_map(|r| [r.fields.from_person_id, r.fields.to_person_id]);
    let names = display_names(conn, tenant, ends)?;
    for (root, mine) in related {
        let Some((account, size)) = accounts.get_mut(&root) else { continue };
        // One read for another day is read again.
        if !account.holds_at(now) {
            accounts.remove(&root);
            continue;
        }
        let now_related = account.related(&mine, &read, &names);
        *size = now_related.bytes();
        *account = Arc::new(now_related);
    }
    Ok(())
}

/// Of `people`, those each kept account has among `whose` of it: all of them, in id order,
/// and by account (the accounts with none left out).
#[allow(clippy::type_complexity)]
fn among(
    accounts: &HashMap<Uuid, (Arc<AccountData>, usize)>,
    people: &HashSet<Uuid>,
    whose: impl Fn(&AccountData) -> HashSet<Uuid>,
) -> (Vec<Uuid>, Vec<(Uuid, HashSet<Uuid>)>) {
    let mut all: BTreeSet<Uuid> = BTreeSet::new();
    let mut by_account = Vec::new();
    for (root, (account, _)) in accounts {
        let mine: HashSet<Uuid> = whose(account).intersection(people).copied().collect();
        if !mine.is_empty() {
            all.extend(&mine);
            by_account.push((*root, mine));
        }
    }
    (all.into_iter().collect(), by_account)
}

/// The display names of these people, read in pieces.
fn display_names(
    conn: &mut DbConn,
    tenant: TenantId,
    people: impl Iterator<Item = Uuid>,
) -> Result<HashMap<Uuid, String>, Error> {
    let mut people: Vec<Uuid> = people.collect();
    people.sort();
    people.dedup();
    let names = chunked(&people, |ids| {
        Ok(persons::display_names_of(conn, tenant, People::Listed(ids))?.into_iter().collect())
    })?;
    Ok(names.into_iter().collect())
}

/// Brings the kept accounts holding the tenures of these new crafting revisions, and the
/// facets kept beside them, to the crafting of those tenures as it is now (`now`): whether
/// each has crafting in effect (`AccountData::recrafted`), and its effective facets. Crafting
/// is what a tenant writes most about an account's stakeholders, and moves nothing else of
/// it. Only the current tenures matter: of a tenure ended, or of a career elsewhere, an
/// account reads no crafting.
fn recraft(
    conn: &mut DbConn,
    tenant: TenantId,
    kept: &mut Kept,
    revisions: &[Uuid],
    now: NaiveDateTime,
) -> Result<(), Error> {
    if revisions.is_empty() || kept.accounts.is_empty() {
        return Ok(());
    }
    let crafted_on: HashSet<Uuid> =
        crafting::tenures_of(conn, tenant, revisions)?.into_iter().collect();
    let mut held: HashMap<Uuid, Tenure> = HashMap::new();
    let mut roots = Vec::new();
    for (root, (account, _)) in &kept.accounts {
        let theirs: Vec<&Tenure> =
            account.tenures.iter().filter(|t| crafted_on.contains(&t.id)).collect();
        if !theirs.is_empty() {
            roots.push(*root);
            held.extend(theirs.into_iter().map(|t| (t.id, t.clone())));
        }
    }
    if roots.is_empty() {
        return Ok(());
    }
    let ids: Vec<Uuid> = held.keys().copied().collect();
    let (crafted, next_effective) = accounts::crafted_among(conn, tenant, &ids, now)?;
    let at = TimePoint { as_of: now, known_at: calendar::last_moment() };
    let facets = match roots.iter().any(|root| kept.facets.contains_key(root)) {
        true => {
            Some(crafting::crafted_facets_until(conn, tenant, held.into_values().collect(), at)?)
        }
        false => None,
    };
    for root in roots {
        let Some((account, _)) = kept.accounts.get_mut(&root) else { continue };
        // One read for another day, or before a revision came into effect, is read again.
        if !account.holds_at(now) {
            kept.accounts.remove(&root);
            continue;
        }
        let theirs: HashSet<Uuid> =
            account.tenures.iter().map(|t| t.id).filter(|id| crafted_on.contains(id)).collect();
        *account = Arc::new(account.recrafted(&theirs, &crafted, next_effective));
        let recrafted = kept.facets.get(&root).zip(facets.as_ref()).and_then(|(kept, now_are)| {
            calendar::still_holds(kept.day, kept.next_effective, now)
                .then(|| kept.recrafted(&theirs, now_are))
        });
        match recrafted {
            Some(facets) => kept.facets.insert(root, Arc::new(facets)),
            None => kept.facets.remove(&root),
        };
    }
    Ok(())
}

impl KeptFacets {
    /// These facets with those of `tenures` as `now_are` has them (as
    /// `crafting::crafted_facets_until` read them).
    fn recrafted(
        &self,
        tenures: &HashSet<Uuid>,
        now_are: &(FacetsByTenure, Option<NaiveDateTime>),
    ) -> KeptFacets {
        let (facets, next_effective) = now_are;
        let mut by_tenure = (*self.by_tenure).clone();
        for id in tenures {
            by_tenure.insert(*id, facets.get(id).cloned().unwrap_or_default());
        }
        KeptFacets {
            bytes: facets_bytes(&by_tenure),
            by_tenure: Arc::new(by_tenure),
            day: self.day,
            next_effective: self.next_effective.into_iter().chain(*next_effective).min(),
        }
    }
}

/// Roughly the bytes of facets by tenure: a map entry a tenure, each facet with its key and
/// note.
fn facets_bytes(by_tenure: &FacetsByTenure) -> usize {
    by_tenure
        .values()
        .map(|facets| {
            let each = facets
                .iter()
                .map(|f| size_of::<Facet>() + f.key.len() + f.note.as_ref().map_or(0, String::len));
            64 + each.sum::<usize>()
        })
        .sum()
}
