//! Accounts as of now, kept between coverage reports (and the suggestions, overview, alert
//! list and workspace pages that read the same account).
//!
//! Reading an account is most of a report's time: at 10,000 stakeholders, 120 of its 150 ms,
//! against 20 for the report, its body and its bytes. `KeptAccounts` keeps each account read
//! as of now, per process and per tenant, with the number of the tenant's last change (the
//! feed's head) it was read at. A report as of now uses it while
//! - it is brought to every change since: a request that finds the head moved reads the
//!   changes since, and each account they reach (`footprint::reach`: a row it was read from
//!   changed, or a row landing in it) is patched where they move one part of it (a name, a
//!   holder's crafting or buying roles, a post's title, reporting line or headcount, an
//!   organization's name or profile, a new post or holder, the links or relationships of the
//!   people at a change's ends) and let go where they move more (`patches`). A CRM sync writing
//!   elsewhere in the tenant costs the other accounts nothing. Everything is read again past
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

use std::collections::HashMap;
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
use crate::store::changes::Entity;
use crate::store::crafting::{self, FacetsByTenure};
use crate::store::tenant_cache::TenantCache;
use crate::store::{changes, coverage_settings, retention, DbConn};

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

mod patches;

/// Changes past which a request lets every account go rather than find the ones they reach.
const CATCH_UP_MAX: usize = 20_000;

pub struct KeptAccounts {
    tenants: TenantCache<Kept>,
    /// Accounts read from the database (not kept, or no longer), for tests and metrics.
    reads: AtomicU64,
}

/// Kept accounts by root, each with its bytes (`AccountData::bytes`), counted when it was read
/// or brought up to date.
type Accounts = HashMap<Uuid, (Arc<AccountData>, usize)>;

#[derive(Clone)]
struct Kept {
    /// The feed's head the accounts were read at.
    seq: i64,
    accounts: Accounts,
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
    /// head on `conn`'s snapshot, for a request as of `now`: each account the changes since
    /// reach is brought to them or let go (`patches::bring`), the others kept.
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
        // One read for another day, or before a revision came into effect, is read again.
        kept.accounts.retain(|_, (account, _)| account.holds_at(now));
        if !kept.accounts.is_empty() {
            let touched = changes::touched_since(conn, tenant, &WATCHED, &[], kept.seq)?;
            // Read after the changes: a pruning batch that commits between the two moves the
            // horizon with it.
            if touched.len() > CATCH_UP_MAX || retention::first_kept(conn, tenant)? > kept.seq + 1 {
                kept.accounts.clear();
            } else {
                patches::bring(conn, tenant, &mut kept, touched, now)?;
            }
        }
        let accounts = &kept.accounts;
        kept.facets.retain(|root, _| accounts.contains_key(root));
        kept.seq = head;
        // Brought up to date, it can have grown (names and ids are added, not taken away).
        if kept.bytes() > self.tenants.budget() {
            kept.accounts.clear();
            kept.facets.clear();
        }
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
