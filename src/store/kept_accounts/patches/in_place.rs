//! Updates that leave a row where a kept account read it: a tenure held by the same person on
//! the same post over the same period (`reassign`), a post in the same organization existing
//! the same day (`revise`), an organization under the same parent and of the same kind
//! (`reorganize`). They are what a CRM syncs about an account all day, and change only fields
//! the account copies from the row; the accounts holding the row are patched. An update that
//! moves a row is returned, to reach what `footprint::reach` finds.
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
use crate::store::accounts::{self, AccountData, PostsOf};
use crate::store::kept_accounts::{Accounts, Kept};
use crate::store::organizations::{self, Organization};
use crate::store::tenures::{self, Tenure};
use crate::store::{chunked, DbConn};

/// Brings the kept accounts holding these updated tenures to them where each is still in its
/// place (`Tenure::same_place`): its buying roles or capacity changed
/// (`AccountData::reassigned`).
pub(super) fn reassign(
    conn: &mut DbConn,
    tenant: TenantId,
    accounts: &mut Accounts,
    updated: &[Uuid],
) -> Result<Vec<Uuid>, Error> {
    let read = |conn: &mut DbConn, ids: &[Uuid]| tenures::find_many(conn, tenant, ids);
    let (by_account, elsewhere) = in_place(conn, accounts, updated, |a| &a.tenures, read)?;
    patch(accounts, by_account, |account, now_are| account.reassigned(&now_are));
    Ok(elsewhere)
}

/// Brings the kept accounts holding these updated posts to them where each is still in its
/// place (the same organization, existing today): its title, reporting line or headcount
/// changed (`AccountData::revised`); with the crafted facets kept beside them read again for
/// the posts' holders (the update may have recorded a formal revision).
pub(super) fn revise(
    conn: &mut DbConn,
    tenant: TenantId,
    kept: &mut Kept,
    updated: &[Uuid],
    now: NaiveDateTime,
) -> Result<Vec<Uuid>, Error> {
    let read = |conn: &mut DbConn, ids: &[Uuid]| {
        accounts::account_posts(conn, tenant, PostsOf::Listed(ids), now.date())
    };
    let (by_account, elsewhere) =
        in_place(conn, &mut kept.accounts, updated, |a| &a.account.posts, read)?;
    let mut holders: HashMap<Uuid, Tenure> = HashMap::new();
    let mut holders_by_account = Vec::new();
    for (root, posts) in &by_account {
        let account = &kept.accounts[root].0;
        let theirs: Vec<&Tenure> =
            account.tenures.iter().filter(|t| posts.contains_key(&t.post_id)).collect();
        holders_by_account.push((*root, theirs.iter().map(|t| t.id).collect()));
        holders.extend(theirs.into_iter().map(|t| (t.id, t.clone())));
    }
    patch(&mut kept.accounts, by_account, |account, now_are| account.revised(&now_are));
    refacet(conn, tenant, kept, &holders_by_account, holders, now)?;
    Ok(elsewhere)
}

/// Brings the kept accounts holding these updated organizations to them where each is still
/// in its place (the same parent, the same kind): its name or profile changed
/// (`AccountData::reorganized`).
pub(super) fn reorganize(
    conn: &mut DbConn,
    tenant: TenantId,
    accounts: &mut Accounts,
    updated: &[Uuid],
) -> Result<Vec<Uuid>, Error> {
    let read = |conn: &mut DbConn, ids: &[Uuid]| organizations::find_many(conn, tenant, ids);
    let (by_account, elsewhere) = in_place(conn, accounts, updated, |a| &a.organizations, read)?;
    patch(accounts, by_account, |account, now_are| account.reorganized(&now_are));
    Ok(elsewhere)
}

/// A row an account copies, which an update may leave in its place.
trait Placed: Clone {
    fn id(&self) -> Uuid;
    /// Whether `now` is this row where the account read it.
    fn same_place(&self, now: &Self) -> bool;
}

impl Placed for Tenure {
    fn id(&self) -> Uuid {
        self.id
    }
    fn same_place(&self, now: &Tenure) -> bool {
        Tenure::same_place(self, now)
    }
}

impl Placed for AccountPost {
    fn id(&self) -> Uuid {
        self.id
    }
    /// `now` is read only if it exists today.
    fn same_place(&self, now: &AccountPost) -> bool {
        self.organization_id == now.organization_id
    }
}

impl Placed for Organization {
    fn id(&self) -> Uuid {
        self.id
    }
    fn same_place(&self, now: &Organization) -> bool {
        self.parent_id == now.parent_id && self.kind == now.kind
    }
}

/// Of these updated rows, those in their place in the kept accounts that hold them (`rows`:
/// an account's rows of the kind), as `read` finds them now, by account; and the ids of the
/// others — moved, or in no kept account — which reach what `footprint::reach` finds. A kept
/// account that read a row in place without holding it (in the career of someone who came or
/// went) is let go.
#[expect(clippy::type_complexity, reason = "by account, each row by id; and the rest")]
fn in_place<T: Placed>(
    conn: &mut DbConn,
    accounts: &mut Accounts,
    updated: &[Uuid],
    rows: fn(&AccountData) -> &[T],
    mut read: impl FnMut(&mut DbConn, &[Uuid]) -> Result<Vec<T>, Error>,
) -> Result<(Vec<(Uuid, HashMap<Uuid, T>)>, Vec<Uuid>), Error> {
    let updated: HashSet<Uuid> = updated.iter().copied().collect();
    // Only a row a kept account holds can be in place: a sync's thousands elsewhere are left
    // to `reach`, and read there alone.
    let held = accounts.values().flat_map(|(account, _)| rows(account).iter().map(T::id));
    let held = distinct(held.filter(|id| updated.contains(id)));
    let now: HashMap<Uuid, T> =
        chunked(&held, |ids| read(conn, ids))?.into_iter().map(|row| (row.id(), row)).collect();
    let in_place_now = |kept: &T| now.get(&kept.id()).filter(|n| kept.same_place(n));
    let mut in_place: HashSet<Uuid> = HashSet::new();
    for (account, _) in accounts.values() {
        in_place.extend(rows(account).iter().filter_map(in_place_now).map(T::id));
    }
    let (_, reaching) = reached(accounts, &in_place, |_, named| named.into_iter().collect());
    let mut by_account = Vec::new();
    for (root, ids) in reaching {
        let account = &accounts[&root].0;
        let found: HashMap<Uuid, T> = rows(account)
            .iter()
            .filter(|row| ids.contains(&row.id()))
            .filter_map(|row| in_place_now(row).map(|now| (row.id(), now.clone())))
            .collect();
        if found.len() == ids.len() {
            by_account.push((root, found));
        } else {
            accounts.remove(&root);
        }
    }
    let elsewhere = updated.into_iter().filter(|id| !in_place.contains(id)).collect();
    Ok((by_account, elsewhere))
}
