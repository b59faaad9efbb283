//! Rows new to a kept account, the writes that grow it: a post created in one of its
//! organizations, existing today (`establish`); a tenure created on a post it holds, current
//! today, of a person no kept account has read — a CRM's new contact in a known post. The
//! holder is added (`AccountData::arrived`, with where a newcomer came from), and their
//! crafting, links and relationships are brought in by the patches that bring those of the
//! people a change reaches (`patches::bring`).
//!
//! Any other new tenure reaches what `footprint::reach` finds: one of a person some kept
//! account has read (who moved within or between accounts, was covered, or is at a
//! relationship's end), one ended or yet to come, one on a post no kept account holds, or
//! one of several new tenures of a person at once.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDateTime;
use uuid::Uuid;

use super::{distinct, patch};
use crate::domain::account::AccountPost;
use crate::domain::tenant::TenantId;
use crate::error::Error;
use crate::store::accounts::{self, Careers, PostsOf};
use crate::store::kept_accounts::Accounts;
use crate::store::tenures::{self, Tenure};
use crate::store::{chunked, persons, DbConn};

/// Adds these created posts, where each exists today, to the kept accounts holding their
/// organizations (`AccountData::established`); returns the others.
pub(super) fn establish(
    conn: &mut DbConn,
    tenant: TenantId,
    accounts: &mut Accounts,
    created: &[Uuid],
    now: NaiveDateTime,
) -> Result<Vec<Uuid>, Error> {
    if created.is_empty() || accounts.is_empty() {
        return Ok(created.to_vec());
    }
    let today = now.date();
    let found =
        chunked(created, |ids| accounts::account_posts(conn, tenant, PostsOf::Listed(ids), today))?;
    let mut by_account = Vec::new();
    let mut taken: HashSet<Uuid> = HashSet::new();
    for (root, (account, _)) in accounts.iter() {
        let organizations: HashSet<Uuid> = account.organizations.iter().map(|o| o.id).collect();
        let theirs: Vec<AccountPost> =
            found.iter().filter(|p| organizations.contains(&p.organization_id)).cloned().collect();
        if !theirs.is_empty() {
            taken.extend(theirs.iter().map(|p| p.id));
            by_account.push((*root, theirs));
        }
    }
    patch(accounts, by_account, |account, posts| account.established(&posts));
    Ok(created.iter().copied().filter(|id| !taken.contains(id)).collect())
}

/// Of these created tenures, those kept accounts can take in as new holders (as they are
/// now), and the ids of the others.
pub(super) fn arriving(
    conn: &mut DbConn,
    tenant: TenantId,
    accounts: &Accounts,
    created: &[Uuid],
    now: NaiveDateTime,
) -> Result<(Vec<Tenure>, Vec<Uuid>), Error> {
    if created.is_empty() || accounts.is_empty() {
        return Ok((Vec::new(), created.to_vec()));
    }
    let found = chunked(created, |ids| tenures::find_many(conn, tenant, ids))?;
    let mut of_person: HashMap<Uuid, usize> = HashMap::new();
    for tenure in &found {
        *of_person.entry(tenure.person_id).or_default() += 1;
    }
    let posts: HashSet<Uuid> = accounts
        .values()
        .flat_map(|(account, _)| account.account.posts.iter().map(|p| p.id))
        .collect();
    let read = |person: &Uuid| accounts.values().any(|(a, _)| a.footprint.contains(person));
    let arriving: Vec<Tenure> = found
        .into_iter()
        .filter(|t| {
            t.period.contains(now.date())
                && posts.contains(&t.post_id)
                && of_person[&t.person_id] == 1
                && !read(&t.person_id)
        })
        .collect();
    let taken: HashSet<Uuid> = arriving.iter().map(|t| t.id).collect();
    let others = created.iter().copied().filter(|id| !taken.contains(id)).collect();
    Ok((arriving, others))
}

/// Adds these new holders (as `arriving` found them) to the kept accounts holding their posts;
/// returns those added to one.
pub(super) fn arrive(
    conn: &mut DbConn,
    tenant: TenantId,
    accounts: &mut Accounts,
    arriving: Vec<Tenure>,
) -> Result<Vec<Tenure>, Error> {
    let mut by_account = Vec::new();
    let mut taken: HashSet<Uuid> = HashSet::new();
    for (root, (account, _)) in accounts.iter() {
        let posts: HashSet<Uuid> = account.account.posts.iter().map(|p| p.id).collect();
        let theirs: Vec<Tenure> =
            arriving.iter().filter(|t| posts.contains(&t.post_id)).cloned().collect();
        if !theirs.is_empty() {
            taken.extend(theirs.iter().map(|t| t.id));
            by_account.push((*root, theirs));
        }
    }
    let arrived: Vec<Tenure> = arriving.into_iter().filter(|t| taken.contains(&t.id)).collect();
    if arrived.is_empty() {
        return Ok(arrived);
    }
    let people = distinct(arrived.iter().map(|t| t.person_id));
    let names = persons::display_names(conn, tenant, &people)?;
    let careers = Careers::read(conn, tenant, &people)?;
    patch(accounts, by_account, |account, theirs| account.arrived(&theirs, &names, &careers));
    Ok(arrived)
}
