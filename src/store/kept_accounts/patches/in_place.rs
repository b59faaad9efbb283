//! Updates that leave a row where a kept account read it: a tenure held by the same person on
//! the same post over the same period (`reassign`), a post in the same organization existing
//! the same day (`revise`), an organization under the same parent and of the same kind
//! (`reorganize`). They are what a CRM syncs about an account all day, and change
//! only fields the account copies from the row; the accounts holding the row are patched.
//! An update that moves a row is returned, to reach what `footprint::reach` finds.
//!
//! An account that did not read a row in its place is not reached by an update that leaves
//! it there: had the row been in the account, or in the career of someone who came or went,
//! when the account was read, its id would be in the footprint.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDateTime;
use uuid::Uuid;

use super::{distinct, patch, reached, refacet};
use crate::domain::account::AccountPost;
use crate::domain::tenant::TenantId;
use crate::error::Error;
use crate::store::accounts::{self, PostsOf};
use crate::store::kept_accounts::{Accounts, Kept};
use crate::store::organizations::{self, Organization};
use crate::store::tenures::{self, Tenure};
use crate::store::{chunked, DbConn};

/// Brings the kept accounts holding these updated tenures to them, where each is still in
/// its place (`Tenure::same_place`) — its buying roles or capacity changed
/// (`AccountData::reassigned`) — and returns the others: those moved (another person, post or
/// period), or found in no kept account in its place. A kept account that read a tenure in
/// place without holding it (a career of someone who came or went) is let go.
pub(super) fn reassign(
    conn: &mut DbConn,
    tenant: TenantId,
    accounts: &mut Accounts,
    updated: &[Uuid],
) -> Result<Vec<Uuid>, Error> {
    let updated: HashSet<Uuid> = updated.iter().copied().collect();
    // Only a tenure a kept account holds can be in place: a sync's thousands elsewhere are
    // left to `reach`, and read there alone.
    let held = accounts.values().flat_map(|(account, _)| account.tenures.iter().map(|t| t.id));
    let held = distinct(held.filter(|id| updated.contains(id)));
    let now: HashMap<Uuid, Tenure> = chunked(&held, |ids| tenures::find_many(conn, tenant, ids))?
        .into_iter()
        .map(|t| (t.id, t))
        .collect();
    let in_place_now = |kept: &Tenure| now.get(&kept.id).filter(|n| kept.same_place(n));
    let mut in_place: HashSet<Uuid> = HashSet::new();
    for (account, _) in accounts.values() {
        in_place.extend(account.tenures.iter().filter_map(in_place_now).map(|t| t.id));
    }
    let by_account = holding(accounts, &in_place, |account, id| {
        account.tenures.iter().find(|t| t.id == id).and_then(in_place_now).cloned()
    });
    patch(accounts, by_account, |account, now_are| account.reassigned(&now_are));
    Ok(updated.into_iter().filter(|id| !in_place.contains(id)).collect())
}

/// Brings the kept accounts holding these updated posts to them, where each is still in its
/// place (the same organization, existing today) — its title, reporting line or headcount
/// changed (`AccountData::revised`) — with the crafted facets kept beside them read again for
/// the posts' holders (the update may have recorded a formal revision); and returns the
/// others: those moved to another organization, established or abolished, or in no kept
/// account. A kept account that read a post in place without holding it (the post of a
/// career) is let go.
pub(super) fn revise(
    conn: &mut DbConn,
    tenant: TenantId,
    kept: &mut Kept,
    updated: &[Uuid],
    now: NaiveDateTime,
) -> Result<Vec<Uuid>, Error> {
    let updated: HashSet<Uuid> = updated.iter().copied().collect();
    let held = kept.accounts.values().flat_map(|(account, _)| account.account.posts.iter());
    let held = distinct(held.map(|p| p.id).filter(|id| updated.contains(id)));
    let today = now.date();
    let now_are: HashMap<Uuid, AccountPost> =
        chunked(&held, |ids| accounts::account_posts(conn, tenant, PostsOf::Listed(ids), today))?
            .into_iter()
            .map(|p| (p.id, p))
            .collect();
    let in_place_now = |kept: &AccountPost| {
        now_are.get(&kept.id).filter(|n| n.organization_id == kept.organization_id)
    };
    let mut in_place: HashSet<Uuid> = HashSet::new();
    for (account, _) in kept.accounts.values() {
        in_place.extend(account.account.posts.iter().filter_map(in_place_now).map(|p| p.id));
    }
    let by_account = holding(&mut kept.accounts, &in_place, |account, id| {
        account.account.posts.iter().find(|p| p.id == id).and_then(in_place_now).cloned()
    });
    let mut holders: HashMap<Uuid, Tenure> = HashMap::new();
    let mut holders_by_account = Vec::new();
    for (root, posts) in &by_account {
        let theirs =
            kept.accounts[root].0.tenures.iter().filter(|t| posts.contains_key(&t.post_id));
        let theirs: Vec<&Tenure> = theirs.collect();
        holders_by_account.push((*root, theirs.iter().map(|t| t.id).collect()));
        holders.extend(theirs.into_iter().map(|t| (t.id, t.clone())));
    }
    patch(&mut kept.accounts, by_account, |account, now_are| account.revised(&now_are));
    refacet(conn, tenant, kept, &holders_by_account, holders, now)?;
    Ok(updated.into_iter().filter(|id| !in_place.contains(id)).collect())
}

/// Brings the kept accounts holding these updated organizations to them, where each is still
/// in its place (the same parent, the same kind) — its name or profile changed
/// (`AccountData::reorganized`) — and returns the others: those moved, made another kind, or
/// in no kept account.
pub(super) fn reorganize(
    conn: &mut DbConn,
    tenant: TenantId,
    accounts: &mut Accounts,
    updated: &[Uuid],
) -> Result<Vec<Uuid>, Error> {
    let updated: HashSet<Uuid> = updated.iter().copied().collect();
    let held = accounts.values().flat_map(|(account, _)| account.organizations.iter());
    let held = distinct(held.map(|o| o.id).filter(|id| updated.contains(id)));
    let now: HashMap<Uuid, Organization> =
        chunked(&held, |ids| organizations::find_many(conn, tenant, ids))?
            .into_iter()
            .map(|o| (o.id, o))
            .collect();
    let in_place_now = |kept: &Organization| {
        now.get(&kept.id).filter(|n| n.parent_id == kept.parent_id && n.kind == kept.kind)
    };
    let mut in_place: HashSet<Uuid> = HashSet::new();
    for (account, _) in accounts.values() {
        in_place.extend(account.organizations.iter().filter_map(in_place_now).map(|o| o.id));
    }
    let by_account = holding(accounts, &in_place, |account, id| {
        account.organizations.iter().find(|o| o.id == id).and_then(in_place_now).cloned()
    });
    patch(accounts, by_account, |account, now_are| account.reorganized(&now_are));
    Ok(updated.into_iter().filter(|id| !in_place.contains(id)).collect())
}

/// Of the kept accounts whose footprint holds any of these rows (in place), each holding all
/// it reads of them, with each as `held` finds it there now; the others, which read one of
/// them without holding it, are let go.
fn holding<T>(
    accounts: &mut Accounts,
    rows: &HashSet<Uuid>,
    held: impl Fn(&accounts::AccountData, Uuid) -> Option<T>,
) -> Vec<(Uuid, HashMap<Uuid, T>)> {
    let (_, by_account) = reached(accounts, rows, |_, named| named.into_iter().collect());
    let mut holding = Vec::new();
    for (root, ids) in by_account {
        let account = &accounts[&root].0;
        let found: HashMap<Uuid, T> =
            ids.iter().filter_map(|id| held(account, *id).map(|row| (*id, row))).collect();
        if found.len() == ids.len() {
            holding.push((root, found));
        } else {
            accounts.remove(&root);
        }
    }
    holding
}
