//! Kept accounts brought to the changes since they were read, change by change where a
//! change moves one part of an account only, and let go (to be read again) where it moves
//! more.
//!
//! - A person's update (a CRM's contact sync) changes at most a name in an account: the names
//!   are read again (`rename`).
//! - A new crafting revision changes at most whether its holder has crafting in effect, and
//!   the holder's facets (`recraft`).
//! - A coverage link (created, changed or deleted), or a new interaction, changes at most the
//!   links of the people at its ends (`relink`).
//! - A relationship (created, changed or deleted) changes at most the relationships of the
//!   stakeholders at its ends (`relate`).
//! - An update that leaves a row in its place changes at most what the account copies from
//!   it (`in_place`): a tenure's (the same person, post and period) its buying roles, a
//!   post's (the same organization, existing today) its title, reporting line and headcount
//!   and its holders' facets, an organization's (the same parent and kind) its name and
//!   profile.
//! - A post created in one of the account's organizations, existing today, adds a post
//!   (`arrivals::establish`). A tenure created on a post of the account, current today, of a
//!   person no kept account has read adds a holder (`arrivals::arrive`), whose crafting,
//!   links and relationships are then brought in as those of the people the other changes
//!   reach.
//!
//! Everything else that reaches an account (`footprint::reach`: another tenure created, a
//! tenure, post or organization moved or deleted, an organization created, a person created
//! or deleted, an interaction changed or deleted) has it let go. Each patch reads what it
//! brings in as `accounts::read_accounts` reads it, and builds the same parts the same way
//! (`AccountData::renamed`, `recrafted`, `relinked`, `related`, `reassigned`, `revised`,
//! `reorganized`, `established`, `arrived`): the tests compare every report with the one read
//! from the rows.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use chrono::NaiveDateTime;
use uuid::Uuid;

use super::{facets_bytes, Accounts, Kept, KeptFacets};
use crate::domain::calendar;
use crate::domain::crafting::TimePoint;
use crate::domain::tenant::TenantId;
use crate::error::Error;
use crate::store::accounts::{self, AccountData};
use crate::store::changes::{Entity, Operation};
use crate::store::coverage::{self, Coverage, End};
use crate::store::crafting::{self, FacetsByTenure};
use crate::store::people::People;
use crate::store::relationships::{self, Relationship};
use crate::store::tenures::Tenure;
use crate::store::{chunked, footprint, interactions, persons, DbConn, READ_CHUNK};

mod arrivals;
mod in_place;

/// Read in aggregate, without their ids: whether a tenure has crafting. A new revision is
/// brought in (`recraft`); a deletion reaches every account. (Revisions are deleted only with
/// their tenure, whose deletion reaches the account too; this keeps it so should that change.)
const AGGREGATED: [Entity; 1] = [Entity::CraftingRevision];

/// Brings the accounts of `kept` to `changes` (as `changes::touched_since` returns them), as
/// of `now`: each patched where the changes move one part of it, let go where they move more.
pub(super) fn bring(
    conn: &mut DbConn,
    tenant: TenantId,
    kept: &mut Kept,
    changes: Vec<(Entity, Operation, Uuid)>,
    now: NaiveDateTime,
) -> Result<(), Error> {
    let (mut renamed, mut revisions, mut moved) = (Vec::new(), Vec::new(), Vec::new());
    let (mut links, mut interactions, mut relationships) = (Vec::new(), Vec::new(), Vec::new());
    let (mut created_tenures, mut updated_tenures) = (Vec::new(), Vec::new());
    let (mut created_posts, mut updated_posts, mut updated_organizations) =
        (Vec::new(), Vec::new(), Vec::new());
    for change in changes {
        match change {
            (Entity::Person, Operation::Update, id) => renamed.push(id),
            (Entity::Tenure, Operation::Create, id) => created_tenures.push(id),
            (Entity::Tenure, Operation::Update, id) => updated_tenures.push(id),
            (Entity::Post, Operation::Create, id) => created_posts.push(id),
            (Entity::Post, Operation::Update, id) => updated_posts.push(id),
            (Entity::Organization, Operation::Update, id) => updated_organizations.push(id),
            (Entity::CraftingRevision, Operation::Create, id) => revisions.push(id),
            (Entity::Coverage, _, id) => links.push(id),
            (Entity::Interaction, Operation::Create, id) => interactions.push(id),
            (Entity::Relationship, _, id) => relationships.push(id),
            _ => moved.push(change),
        }
    }
    let elsewhere = in_place::reassign(conn, tenant, &mut kept.accounts, &updated_tenures)?;
    moved.extend(elsewhere.into_iter().map(|id| (Entity::Tenure, Operation::Update, id)));
    let elsewhere = in_place::revise(conn, tenant, kept, &updated_posts, now)?;
    moved.extend(elsewhere.into_iter().map(|id| (Entity::Post, Operation::Update, id)));
    let elsewhere = in_place::reorganize(conn, tenant, &mut kept.accounts, &updated_organizations)?;
    moved.extend(elsewhere.into_iter().map(|id| (Entity::Organization, Operation::Update, id)));
    let elsewhere = arrivals::establish(conn, tenant, &mut kept.accounts, &created_posts, now)?;
    moved.extend(elsewhere.into_iter().map(|id| (Entity::Post, Operation::Create, id)));
    let (arriving, elsewhere) =
        arrivals::arriving(conn, tenant, &kept.accounts, &created_tenures, now)?;
    moved.extend(elsewhere.into_iter().map(|id| (Entity::Tenure, Operation::Create, id)));
    let reach = footprint::reach(conn, tenant, &moved, &AGGREGATED)?;
    kept.accounts.retain(|_, (account, _)| !reach.touches(&account.footprint));
    if kept.accounts.is_empty() {
        return Ok(());
    }
    // New holders first: their crafting, links and relationships are brought in with those
    // the changes reach.
    let arrived = arrivals::arrive(conn, tenant, &mut kept.accounts, arriving)?;
    rename(conn, tenant, &mut kept.accounts, &renamed)?;
    let mut crafted: HashSet<Uuid> =
        crafting::tenures_of(conn, tenant, &revisions)?.into_iter().collect();
    // A new holder's facets are their post's until they craft: read with the crafting.
    crafted.extend(arrived.iter().map(|t| t.id));
    recraft(conn, tenant, kept, &crafted, now)?;
    let newcomers = arrived.iter().map(|t| t.person_id);
    let mut linked = ends(conn, tenant, &kept.accounts, Entity::Coverage, &links)?;
    linked.extend(ends(conn, tenant, &kept.accounts, Entity::Interaction, &interactions)?);
    linked.extend(newcomers.clone());
    relink(conn, tenant, &mut kept.accounts, &linked, now)?;
    let mut related = ends(conn, tenant, &kept.accounts, Entity::Relationship, &relationships)?;
    related.extend(newcomers);
    relate(conn, tenant, &mut kept.accounts, &related, now)?;
    Ok(())
}

/// The people at both ends of these links, interactions or relationships (`entity`) as they
/// are now and, for those changed or deleted, as a kept account read them: a link of a
/// stakeholder, a relationship between two people.
fn ends(
    conn: &mut DbConn,
    tenant: TenantId,
    accounts: &Accounts,
    entity: Entity,
    changed: &[Uuid],
) -> Result<HashSet<Uuid>, Error> {
    if changed.is_empty() {
        return Ok(HashSet::new());
    }
    let mut people: HashSet<Uuid> =
        footprint::ends(conn, tenant, entity, changed)?.into_iter().collect();
    // New interactions only: a changed or deleted one reaches the account.
    if entity == Entity::Interaction {
        return Ok(people);
    }
    let changed: HashSet<Uuid> = changed.iter().copied().collect();
    for (account, _) in accounts.values() {
        match entity {
            Entity::Coverage => {
                let had = account.account.links.iter().filter(|l| changed.contains(&l.id));
                people.extend(had.map(|l| l.stakeholder_id));
            }
            Entity::Relationship => {
                let had = account.relationships.iter().filter(|r| changed.contains(&r.id));
                people.extend(had.flat_map(|r| [r.fields.from_person_id, r.fields.to_person_id]));
            }
            _ => {}
        }
    }
    Ok(people)
}

/// Brings the kept accounts that name any of `people` to these people's display names as
/// they are now. Only the people a kept account names are read: a sync's thousands of
/// updates elsewhere read nothing.
fn rename(
    conn: &mut DbConn,
    tenant: TenantId,
    accounts: &mut Accounts,
    people: &[Uuid],
) -> Result<(), Error> {
    let people: HashSet<Uuid> = people.iter().copied().collect();
    let (named, by_account) = reached(accounts, &people, |_, named| named.into_iter().collect());
    if named.is_empty() {
        return Ok(());
    }
    let names = persons::display_names(conn, tenant, &named)?;
    patch(accounts, by_account, |account, _| account.renamed(&names));
    Ok(())
}

/// Brings the kept accounts holding these tenures (of new crafting revisions, or new
/// holders), and the facets kept beside them, to the crafting of those tenures as it is now
/// (`now`): whether each has crafting in effect (`AccountData::recrafted`), and its effective
/// facets. Crafting is what a tenant writes most about an account's stakeholders, and moves
/// nothing else of it. Only the current tenures matter: of a tenure ended, or of a career
/// elsewhere, an account reads no crafting.
fn recraft(
    conn: &mut DbConn,
    tenant: TenantId,
    kept: &mut Kept,
    crafted_on: &HashSet<Uuid>,
    now: NaiveDateTime,
) -> Result<(), Error> {
    if crafted_on.is_empty() {
        return Ok(());
    }
    let mut held: HashMap<Uuid, Tenure> = HashMap::new();
    let mut by_account = Vec::new();
    for (root, (account, _)) in &kept.accounts {
        let theirs: Vec<&Tenure> =
            account.tenures.iter().filter(|t| crafted_on.contains(&t.id)).collect();
        if !theirs.is_empty() {
            by_account.push((*root, theirs.iter().map(|t| t.id).collect::<HashSet<Uuid>>()));
            held.extend(theirs.into_iter().map(|t| (t.id, t.clone())));
        }
    }
    if by_account.is_empty() {
        return Ok(());
    }
    let ids: Vec<Uuid> = held.keys().copied().collect();
    let (crafted, next_effective) = accounts::crafted_among(conn, tenant, &ids, now)?;
    refacet(conn, tenant, kept, &by_account, held, now)?;
    patch(&mut kept.accounts, by_account, |account, theirs| {
        account.recrafted(&theirs, &crafted, next_effective)
    });
    Ok(())
}

/// Brings the crafted facets kept beside these accounts (by root, each with some of its
/// current tenures) to those tenures' effective facets as of `now`, read again (`held`, every
/// tenure of them once), unless none is kept; facets kept for another day, or past a revision
/// that came into effect, are let go.
fn refacet(
    conn: &mut DbConn,
    tenant: TenantId,
    kept: &mut Kept,
    by_account: &[(Uuid, HashSet<Uuid>)],
    held: HashMap<Uuid, Tenure>,
    now: NaiveDateTime,
) -> Result<(), Error> {
    if !by_account.iter().any(|(root, _)| kept.facets.contains_key(root)) {
        return Ok(());
    }
    let at = TimePoint { as_of: now, known_at: calendar::last_moment() };
    let now_are = crafting::crafted_facets_until(conn, tenant, held.into_values().collect(), at)?;
    for (root, theirs) in by_account {
        let refaceted = kept.facets.get(root).and_then(|kept| {
            calendar::still_holds(kept.day, kept.next_effective, now)
                .then(|| kept.recrafted(theirs, &now_are))
        });
        match refaceted {
            Some(facets) => kept.facets.insert(*root, Arc::new(facets)),
            None => kept.facets.remove(root),
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

/// Brings the kept accounts of these people (stakeholders, or people who left: at an end of
/// a link created, changed or deleted, or of a new interaction, or new holders) to their links
/// as they are now: read again, with the interactions of each pair and the salespeople's names
/// (`AccountData::relinked`). A sales manager who assigns coverage reads the report next; a
/// CRM logs interactions all day.
fn relink(
    conn: &mut DbConn,
    tenant: TenantId,
    accounts: &mut Accounts,
    people: &HashSet<Uuid>,
    now: NaiveDateTime,
) -> Result<(), Error> {
    let (theirs, by_account) = reached(accounts, people, |account, named| {
        let people = account.people();
        named.into_iter().filter(|id| people.contains(id)).collect()
    });
    if by_account.is_empty() {
        return Ok(());
    }
    let read = chunked(&theirs, |ids| {
        coverage::coverage_of(conn, tenant, End::Stakeholders, People::Listed(ids))
    })?;
    let mut met = HashMap::new();
    for piece in theirs.chunks(READ_CHUNK) {
        let at = calendar::last_moment();
        met.extend(interactions::touches(conn, tenant, People::Listed(piece), at)?);
    }
    let salespeople = distinct(read.iter().map(|l| l.fields.salesperson_id));
    let names = persons::display_names(conn, tenant, &salespeople)?;
    let mut of_stakeholder: HashMap<Uuid, Vec<&Coverage>> = HashMap::new();
    for link in &read {
        of_stakeholder.entry(link.fields.stakeholder_id).or_default().push(link);
    }
    patch(accounts, by_account, |account, mine| {
        let links: Vec<&Coverage> = mine
            .iter()
            .flat_map(|p| of_stakeholder.get(p).into_iter().flatten().copied())
            .collect();
        account.relinked(&mine, &links, &met, &names, now)
    });
    Ok(())
}

/// Brings the kept accounts of these people (stakeholders at an end of a relationship
/// created, changed or deleted, or new holders) to their relationships as they are now: read
/// again, with the names of the people at their ends (`AccountData::related`).
fn relate(
    conn: &mut DbConn,
    tenant: TenantId,
    accounts: &mut Accounts,
    people: &HashSet<Uuid>,
    now: NaiveDateTime,
) -> Result<(), Error> {
    let (theirs, by_account) = reached(accounts, people, |account, named| {
        let stakeholders: HashSet<Uuid> = account.stakeholders().into_iter().collect();
        named.into_iter().filter(|id| stakeholders.contains(id)).collect()
    });
    if by_account.is_empty() {
        return Ok(());
    }
    let mut read = chunked(&theirs, |ids| {
        relationships::relationships_among(conn, tenant, People::Listed(ids), now.date())
    })?;
    // One between people of two pieces is read with each.
    read.sort_by_key(|r| r.id);
    read.dedup_by_key(|r| r.id);
    let ends = read.iter().flat_map(|r| [r.fields.from_person_id, r.fields.to_person_id]);
    let names = persons::display_names(conn, tenant, &distinct(ends))?;
    let mut of_person: HashMap<Uuid, Vec<&Relationship>> = HashMap::new();
    for relationship in &read {
        of_person.entry(relationship.fields.from_person_id).or_default().push(relationship);
        of_person.entry(relationship.fields.to_person_id).or_default().push(relationship);
    }
    patch(accounts, by_account, |account, mine| {
        let mut theirs: Vec<&Relationship> =
            mine.iter().flat_map(|p| of_person.get(p).into_iter().flatten().copied()).collect();
        // One between two of them is theirs twice.
        theirs.sort_by_key(|r| r.id);
        theirs.dedup_by_key(|r| r.id);
        account.related(&mine, &theirs, &names)
    });
    Ok(())
}

/// Of `people`, those each kept account has as `whose` picks them from those its footprint
/// holds: all of them, in id order, and by account (accounts with none left out).
fn reached(
    accounts: &Accounts,
    people: &HashSet<Uuid>,
    whose: impl Fn(&AccountData, Vec<Uuid>) -> HashSet<Uuid>,
) -> (Vec<Uuid>, Vec<(Uuid, HashSet<Uuid>)>) {
    let mut all: BTreeSet<Uuid> = BTreeSet::new();
    let mut by_account = Vec::new();
    for (root, (account, _)) in accounts {
        let named: Vec<Uuid> =
            people.iter().copied().filter(|id| account.footprint.contains(id)).collect();
        if named.is_empty() {
            continue;
        }
        let mine = whose(account, named);
        if !mine.is_empty() {
            all.extend(&mine);
            by_account.push((*root, mine));
        }
    }
    (all.into_iter().collect(), by_account)
}

/// Replaces each of these kept accounts (by root) with what `patched` makes of it, its size
/// counted again.
fn patch<T>(
    accounts: &mut Accounts,
    each: Vec<(Uuid, T)>,
    patched: impl Fn(&AccountData, T) -> AccountData,
) {
    for (root, with) in each {
        if let Some((account, size)) = accounts.get_mut(&root) {
            let now_is = patched(account, with);
            *size = now_is.bytes();
            *account = Arc::new(now_is);
        }
    }
}

/// These ids, each once.
fn distinct(ids: impl Iterator<Item = Uuid>) -> Vec<Uuid> {
    ids.collect::<BTreeSet<Uuid>>().into_iter().collect()
}
