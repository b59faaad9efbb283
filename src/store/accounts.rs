//! Loads an account — a client organization with its sub-organizations — with everything the
//! network view, the coverage report and suggestions read, in a fixed number of queries.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::dsl::min;
use diesel::prelude::*;
use uuid::Uuid;

use crate::domain::account::{self, Account, AccountPost, Departure, Holder, Whereabouts};
use crate::domain::calendar;
use crate::domain::coverage::CoverageSettings;
use crate::domain::crafting::TimePoint;
use crate::domain::organization::OrganizationKind;
use crate::domain::strength::derived_strength;
use crate::domain::tenant::TenantId;
use crate::error::{Error, FieldError};
use crate::store::coverage::{self, Coverage, End};
use crate::store::footprint::Footprint;
use crate::store::interactions::{self, Met};
use crate::store::organizations::{self, Organization};
use crate::store::people::{self, texts, People};
use crate::store::relationships::{self, Relationship};
use crate::store::schema::{crafting_revisions, posts};
use crate::store::tenures::{self, Of, Tenure};
use crate::store::{chunked, parse_id, parse_optional_id, persons, DbConn, READ_CHUNK};
use crate::store::{coverage_settings, history};

mod patched;

/// An account as loaded: the domain view plus what the network view draws.
#[derive(Clone)]
pub struct AccountData {
    pub root: Organization,
    pub organizations: Vec<Organization>,
    pub account: Account,
    /// Relationships valid today touching a current stakeholder (including outside ones).
    pub relationships: Vec<Relationship>,
    /// Current tenures of the account's posts.
    pub tenures: Vec<Tenure>,
    /// Display names of every person mentioned.
    pub names: HashMap<Uuid, String>,
    /// Coverage links that carry a stated strength (the others are derived).
    pub stated: HashSet<Uuid>,
    pub settings: CoverageSettings,
    /// When each derived link's salesperson and stakeholder interacted, by link: its strength
    /// decays with time (`at`).
    touches: HashMap<Uuid, Vec<NaiveDateTime>>,
    /// The day it was read for, and the first moment after it when a crafting revision of the
    /// tenures read takes effect: until then, the account is what a read would find, if nothing
    /// was written since (`holds_at`).
    day: NaiveDate,
    next_effective: Option<NaiveDateTime>,
    /// The ids of the rows it was read from, to tell which changes since reach it (shared by
    /// its copies brought to later moments).
    pub(in crate::store) footprint: Arc<Footprint>,
}

impl AccountData {
    /// Whether it is still the account as of `now`, a moment after it was read, unless
    /// something was written since: the same day, no crafting revision come into effect.
    pub fn holds_at(&self, now: NaiveDateTime) -> bool {
        calendar::still_holds(self.day, self.next_effective, now)
    }

    /// The account as of `now`, a moment after it was read on the same day (`holds_at`): its
    /// derived strengths decayed to then.
    pub fn at(&self, now: NaiveDateTime) -> AccountData {
        let mut data = self.clone();
        for link in &mut data.account.links {
            let times = self.touches.get(&link.id).map(Vec::as_slice).unwrap_or(&[]);
            let stated = self.stated.contains(&link.id).then_some(link.strength);
            (link.strength, link.last_interaction_at) =
                strength_at(stated, times, now, &self.settings);
        }
        data
    }

    /// Roughly the bytes it holds, for a budget of kept accounts: its rows by their sizes,
    /// and the names.
    pub fn bytes(&self) -> usize {
        let holders: usize = self.account.posts.iter().map(|p| p.holders.len()).sum();
        let names: usize = self.names.values().map(|n| 48 + n.len()).sum();
        let touches: usize = self.touches.values().map(|t| 48 + t.len() * 12).sum();
        self.account.posts.len() * size_of::<AccountPost>()
            + holders * (size_of::<Holder>() + 64)
            + self.account.departures.len() * size_of::<Departure>()
            + self.account.links.len() * size_of::<account::Link>()
            + self.account.relationships.len() * size_of::<account::Relationship>()
            + self.relationships.len() * size_of::<Relationship>()
            + self.tenures.len() * (size_of::<Tenure>() + 32)
            + self.stated.len() * 17
            + names
            + touches
            + self.footprint.bytes()
    }

    /// The people whose coverage links it reads: its stakeholders, and those who left it.
    pub(in crate::store) fn people(&self) -> HashSet<Uuid> {
        let holders = self.account.posts.iter().flat_map(|p| &p.holders).map(|h| h.person_id);
        holders.chain(self.account.departures.iter().map(|d| d.person_id)).collect()
    }

    pub fn stakeholders(&self) -> Vec<Uuid> {
        let mut ids: Vec<Uuid> = self.tenures.iter().map(|t| t.person_id).collect();
        ids.sort();
        ids.dedup();
        ids
    }

    /// The profile of the organization each current stakeholder works in (their first post's).
    pub fn client_profiles(&self) -> HashMap<Uuid, crate::domain::organization::Profile> {
        let organizations: HashMap<Uuid, &Organization> =
            self.organizations.iter().map(|o| (o.id, o)).collect();
        let mut profiles = HashMap::new();
        for post in &self.account.posts {
            for holder in &post.holders {
                if let Some(organization) = organizations.get(&post.organization_id) {
                    profiles
                        .entry(holder.person_id)
                        .or_insert_with(|| organization.profile.clone());
                }
            }
        }
        profiles
    }
}

/// The account's root and the ids of its organizations (the root and everything below); 404
/// if there is no such organization, 422 if it is not a client.
pub fn account_organizations(
    conn: &mut DbConn,
    tenant: TenantId,
    root: Uuid,
) -> Result<(Organization, Vec<Uuid>), Error> {
    let root = organizations::find(conn, tenant, root)?;
    if root.kind != OrganizationKind::Client {
        return Err(Error::Invalid(vec![FieldError::new(
            "organization_id",
            format!("is a {} organization; accounts are client organizations", root.kind.as_str()),
        )]));
    }
    let ids: Vec<Uuid> = organizations::subtree(conn, tenant, root.id)?
        .iter()
        .map(|id| parse_id(id))
        .collect::<Result<_, _>>()?;
    Ok((root, ids))
}

/// Whether `person` holds a post in these organizations on `date`.
pub fn holds_post_in(
    conn: &mut DbConn,
    tenant: TenantId,
    organizations: &[Uuid],
    person: Uuid,
    date: NaiveDate,
) -> Result<bool, Error> {
    let current: Vec<Uuid> = tenures::of(conn, tenant, Of::Persons(&[person]))?
        .into_iter()
        .filter(|t| t.period.contains(date))
        .map(|t| t.post_id)
        .collect();
    let organization_of = crate::store::posts::organizations_of(conn, tenant, &current)?;
    Ok(organization_of.values().any(|o| organizations.contains(o)))
}

/// The account rooted at `root` as of `at.as_of` as known at `at.known_at`: posts, tenures,
/// relationships and interactions at their dates as of then, crafting revisions in effect then
/// and recorded by then, the tenures, coverage links and relationships as they were known
/// then (`store::history`) and the coverage settings saved by then. Where a departed holder
/// went and where a newcomer came from are read as recorded now. 404 if there is no such
/// organization, 422 if it is not a client.
pub fn load(
    conn: &mut DbConn,
    tenant: TenantId,
    root: Uuid,
    at: TimePoint,
) -> Result<AccountData, Error> {
    let account = account_organizations(conn, tenant, root)?;
    load_many(conn, tenant, vec![account], at)?.pop().ok_or(Error::NotFound)
}

/// The client accounts rooted at `roots`, each with its organizations, for `load_many`
/// (roots that are not organizations of the tenant left out).
pub fn accounts_of(
    conn: &mut DbConn,
    tenant: TenantId,
    roots: &[Uuid],
) -> Result<Vec<(Organization, Vec<Uuid>)>, Error> {
    let found: HashMap<Uuid, Organization> =
        chunked(roots, |ids| organizations::find_many(conn, tenant, ids))?
            .into_iter()
            .map(|o| (o.id, o))
            .collect();
    let roots: Vec<Uuid> = roots.iter().copied().filter(|r| found.contains_key(r)).collect();
    let trees = organizations::subtrees(conn, tenant, &roots)?;
    Ok(roots.iter().map(|r| found[r].clone()).zip(trees).collect())
}

/// Several accounts as `load` reads one, in its order: each table is read once for all of them
/// (in pieces, `store::chunked`) and the rows are split by account, so a hundred accounts cost
/// the statements of one. A person with posts in two accounts is a stakeholder of both.
pub fn load_many(
    conn: &mut DbConn,
    tenant: TenantId,
    accounts: Vec<(Organization, Vec<Uuid>)>,
    at: TimePoint,
) -> Result<Vec<AccountData>, Error> {
    conn.on_one_snapshot(|conn| read_accounts(conn, tenant, accounts, at))
}

fn read_accounts(
    conn: &mut DbConn,
    tenant: TenantId,
    accounts: Vec<(Organization, Vec<Uuid>)>,
    at: TimePoint,
) -> Result<Vec<AccountData>, Error> {
    let now = at.as_of;
    let today = now.date();
    // The accounts each organization belongs to: an account may hold another (a client under
    // a partner under a client), whose rows are then in both.
    let mut account_of: HashMap<Uuid, Vec<usize>> = HashMap::new();
    for (i, (_, ids)) in accounts.iter().enumerate() {
        for id in ids {
            account_of.entry(*id).or_default().push(i);
        }
    }
    let in_accounts = |id: &Uuid| account_of.get(id).map(Vec::as_slice).unwrap_or(&[]);
    let all_organizations: Vec<Uuid> = account_of.keys().copied().collect();
    let mut organizations: Vec<Vec<Organization>> = accounts.iter().map(|_| Vec::new()).collect();
    for found in chunked(&all_organizations, |ids| organizations::find_many(conn, tenant, ids))? {
        for account in in_accounts(&found.id) {
            organizations[*account].push(found.clone());
        }
    }
    let post_rows = chunked(&all_organizations, |ids| {
        account_posts(conn, tenant, PostsOf::Organizations(ids), today)
    })?;
    let post_account: HashMap<Uuid, &[usize]> =
        post_rows.iter().map(|p| (p.id, in_accounts(&p.organization_id))).collect();
    // Rows are read by the accounts' organizations (`People::HoldingPostsIn`), not by lists of
    // ids, and each read keeps those it needs. Tenures, links and relationships are as they
    // were known at `known_at` (`store::history`): rows recorded later left out, rows corrected
    // or deleted since as they were. What that brings back beyond the rows the organizations
    // hold now (a tenure deleted or moved since, and its holder) is read by id.
    let read_now =
        chunked(&all_organizations, |piece| tenures::of(conn, tenant, Of::PostsIn(piece)))?;
    let tenures_now: HashSet<Uuid> = read_now.iter().map(|t| t.id).collect();
    let holders_now: HashSet<Uuid> = read_now.iter().map(|t| t.person_id).collect();
    let mut all_tenures: Vec<Tenure> = history::as_known(
        read_now,
        tenures::versions_since(conn, tenant, at.known_at)?,
        at.known_at,
    );
    all_tenures.sort_by_key(|t| (t.period.started_on, t.id));
    let mut holdings: Vec<Holdings> = (0..accounts.len()).map(|_| Holdings::default()).collect();
    for tenure in all_tenures {
        for account in post_account.get(&tenure.post_id).copied().unwrap_or(&[]) {
            if tenure.period.contains(today) {
                holdings[*account].current.push(tenure.clone());
            } else if tenure.period.ended_on.is_some_and(|end| end <= today) {
                holdings[*account].ended.push(tenure.clone());
            }
        }
    }
    let people: BTreeSet<Uuid> = holdings.iter().flat_map(Holdings::people).collect();
    let current_ids: Vec<Uuid> =
        holdings.iter().flat_map(|h| h.current.iter().map(|t| t.id)).collect();
    let stakeholders: HashSet<Uuid> = holdings.iter().flat_map(|h| h.stakeholders()).collect();
    let people_elsewhere = not_in(people.iter().copied(), &holders_now);
    let organizations_read = &all_organizations;

    let settings = coverage_settings::settings_as_known(conn, tenant, at.known_at)?;
    let mut links = Vec::new();
    through(conn, organizations_read, &people_elsewhere, |conn, whose| {
        let read = coverage::coverage_of(conn, tenant, End::Stakeholders, whose)?;
        links.extend(read.into_iter().filter(|l| people.contains(&l.fields.stakeholder_id)));
        Ok(())
    })?;
    links.sort_by_key(|l| l.id);
    links.dedup_by_key(|l| l.id);
    let links =
        history::as_known(links, coverage::versions_since(conn, tenant, at.known_at)?, at.known_at);
    let mut touches: HashMap<(Uuid, Uuid), Met> = HashMap::new();
    through(conn, organizations_read, &people_elsewhere, |conn, whose| {
        let read = interactions::touches(conn, tenant, whose, at.known_at)?;
        touches
            .extend(read.into_iter().filter(|((_, stakeholder), _)| people.contains(stakeholder)));
        Ok(())
    })?;
    let (crafted, next_effective) = crafted_tenures(
        conn,
        tenant,
        organizations_read,
        &not_in(current_ids.iter().copied(), &tenures_now),
        at,
    )?;
    let mut relationships = Vec::new();
    let stakeholders_elsewhere = not_in(stakeholders.iter().copied(), &holders_now);
    through(conn, organizations_read, &stakeholders_elsewhere, |conn, whose| {
        let read = relationships::relationships_among(conn, tenant, whose, today)?;
        relationships.extend(read.into_iter().filter(|r| {
            stakeholders.contains(&r.fields.from_person_id)
                || stakeholders.contains(&r.fields.to_person_id)
        }));
        Ok(())
    })?;
    // A relationship between people of two reads (or two pieces) is read with each.
    relationships.sort_by_key(|r| r.id);
    relationships.dedup_by_key(|r| r.id);
    let relationships: Vec<Relationship> = history::as_known(
        relationships,
        relationships::versions_since(conn, tenant, at.known_at)?,
        at.known_at,
    )
    .into_iter()
    .filter(|r| r.fields.holds_on(today))
    .collect();
    // Where departed holders went and where newcomers came from: their careers as recorded now.
    let travellers: Vec<Uuid> = holdings
        .iter()
        .flat_map(|h| {
            let newcomers = h.newcomers(today, settings.new_holder_days);
            h.departed().into_iter().chain(newcomers.into_iter().map(|t| t.person_id))
        })
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let careers = Careers::read(conn, tenant, &travellers)?;

    let mut mentioned: HashSet<Uuid> = people.iter().copied().collect();
    mentioned.extend(links.iter().map(|l| l.fields.salesperson_id));
    mentioned.extend(
        relationships.iter().flat_map(|r| [r.fields.from_person_id, r.fields.to_person_id]),
    );
    let mentioned_elsewhere = not_in(mentioned.iter().copied(), &holders_now);
    let mut all_names: HashMap<Uuid, String> = HashMap::new();
    through(conn, organizations_read, &mentioned_elsewhere, |conn, whose| {
        let read = persons::display_names_of(conn, tenant, whose)?;
        all_names.extend(read.into_iter().filter(|(id, _)| mentioned.contains(id)));
        Ok(())
    })?;

    let mut posts_of: Vec<Vec<AccountPost>> = accounts.iter().map(|_| Vec::new()).collect();
    for post in post_rows {
        for account in post_account.get(&post.id).copied().unwrap_or(&[]) {
            posts_of[*account].push(post.clone());
        }
    }
    let mut links_of: HashMap<Uuid, Vec<&Coverage>> = HashMap::new();
    for link in &links {
        links_of.entry(link.fields.stakeholder_id).or_default().push(link);
    }
    let mut relationships_of: HashMap<Uuid, Vec<usize>> = HashMap::new();
    for (i, r) in relationships.iter().enumerate() {
        relationships_of.entry(r.fields.from_person_id).or_default().push(i);
        relationships_of.entry(r.fields.to_person_id).or_default().push(i);
    }
    let mut loaded = Vec::with_capacity(accounts.len());
    for (((root, ids), (holdings, organizations)), mut posts) in
        accounts.into_iter().zip(holdings.into_iter().zip(organizations)).zip(posts_of)
    {
        posts.sort_by_key(|p| p.id);
        let people = holdings.people();
        let links: Vec<&Coverage> =
            people.iter().flat_map(|p| links_of.get(p).into_iter().flatten().copied()).collect();
        let mut touching: Vec<usize> = holdings
            .stakeholders()
            .iter()
            .flat_map(|p| relationships_of.get(p).into_iter().flatten().copied())
            .collect();
        touching.sort();
        touching.dedup();
        let relationships: Vec<Relationship> =
            touching.into_iter().map(|i| relationships[i].clone()).collect();
        let mut mentioned: Vec<Uuid> = people.clone();
        mentioned.extend(links.iter().map(|l| l.fields.salesperson_id));
        mentioned.extend(
            relationships.iter().flat_map(|r| [r.fields.from_person_id, r.fields.to_person_id]),
        );
        // Every row read for this account, by id, and the tenures (and their posts) of the
        // people who came and went: where they are is part of the report.
        let travellers = holdings.departed().into_iter().chain(
            holdings.newcomers(today, settings.new_holder_days).into_iter().map(|t| t.person_id),
        );
        let careers_read = travellers.flat_map(|p| careers.of(p)).flat_map(|t| [t.id, t.post_id]);
        let footprint = Footprint::new(
            ids.iter()
                .chain(posts.iter().map(|p| &p.id))
                .chain(holdings.current.iter().chain(&holdings.ended).map(|t| &t.id))
                .chain(&mentioned)
                .chain(links.iter().map(|l| &l.id))
                .chain(links.iter().flat_map(|l| {
                    let pair = (l.fields.salesperson_id, l.fields.stakeholder_id);
                    touches.get(&pair).map_or(&[][..], |met| met.ids.as_slice())
                }))
                .chain(relationships.iter().map(|r| &r.id))
                .copied()
                .chain(careers_read),
        );
        let names: HashMap<Uuid, String> = mentioned
            .into_iter()
            .filter_map(|p| all_names.get(&p).map(|name| (p, name.clone())))
            .collect();
        let parts = Parts {
            links: &links,
            touches: &touches,
            crafted: &crafted,
            next_effective,
            careers: &careers,
        };
        loaded.push(AccountData {
            footprint: Arc::new(footprint),
            ..assemble(
                root,
                ids,
                organizations,
                posts,
                holdings,
                relationships,
                names,
                &settings,
                parts,
                at,
            )
        });
    }
    Ok(loaded)
}

/// An account's tenures: those current on the day, and those ended by then.
#[derive(Default)]
struct Holdings {
    current: Vec<Tenure>,
    ended: Vec<Tenure>,
}

impl Holdings {
    fn stakeholders(&self) -> HashSet<Uuid> {
        self.current.iter().map(|t| t.person_id).collect()
    }

    /// People who held a post in the account and hold none there now.
    fn departed(&self) -> Vec<Uuid> {
        let stakeholders = self.stakeholders();
        let departed: BTreeSet<Uuid> =
            self.ended.iter().map(|t| t.person_id).filter(|p| !stakeholders.contains(p)).collect();
        departed.into_iter().collect()
    }

    /// Stakeholders and departed people, in id order.
    fn people(&self) -> Vec<Uuid> {
        let mut people: Vec<Uuid> =
            self.stakeholders().into_iter().chain(self.departed()).collect();
        people.sort();
        people
    }

    fn newcomers(&self, today: NaiveDate, new_holder_days: i64) -> Vec<&Tenure> {
        self.current
            .iter()
            .filter(|t| (today - t.period.started_on).num_days() < new_holder_days)
            .collect()
    }
}

/// Tenures of the people who moved, as recorded now and in start order, and the organization
/// of each of their posts.
pub(in crate::store) struct Careers {
    by_person: HashMap<Uuid, Vec<Tenure>>,
    organization_of: HashMap<Uuid, Uuid>,
}

impl Careers {
    /// The careers of these people as recorded now.
    pub(in crate::store) fn read(
        conn: &mut DbConn,
        tenant: TenantId,
        people: &[Uuid],
    ) -> Result<Careers, Error> {
        let careers = chunked(people, |ids| tenures::of(conn, tenant, Of::Persons(ids)))?;
        let career_posts: Vec<Uuid> = careers.iter().map(|t| t.post_id).collect();
        let organization_of: HashMap<Uuid, Uuid> = chunked(&career_posts, |ids| {
            Ok(crate::store::posts::organizations_of(conn, tenant, ids)?.into_iter().collect())
        })?
        .into_iter()
        .collect();
        let mut by_person: HashMap<Uuid, Vec<Tenure>> = HashMap::new();
        for tenure in careers {
            by_person.entry(tenure.person_id).or_default().push(tenure);
        }
        Ok(Careers { by_person, organization_of })
    }

    fn of(&self, person: Uuid) -> &[Tenure] {
        self.by_person.get(&person).map(Vec::as_slice).unwrap_or(&[])
    }
}

/// What `load_many` read for every account at once.
struct Parts<'a> {
    links: &'a [&'a Coverage],
    touches: &'a HashMap<(Uuid, Uuid), Met>,
    crafted: &'a HashSet<Uuid>,
    next_effective: Option<NaiveDateTime>,
    careers: &'a Careers,
}

/// One account from its rows.
#[allow(clippy::too_many_arguments)]
fn assemble(
    root: Organization,
    ids: Vec<Uuid>,
    organizations: Vec<Organization>,
    post_rows: Vec<AccountPost>,
    holdings: Holdings,
    relationships: Vec<Relationship>,
    names: HashMap<Uuid, String>,
    settings: &CoverageSettings,
    parts: Parts<'_>,
    at: TimePoint,
) -> AccountData {
    let now = at.as_of;
    let today = now.date();
    let stakeholders = holdings.stakeholders();
    let stated: HashSet<Uuid> =
        parts.links.iter().filter(|l| l.fields.strength.is_some()).map(|l| l.id).collect();
    let mut touches = HashMap::new();
    let domain_links: Vec<account::Link> = parts
        .links
        .iter()
        .map(|l| {
            let pair = (l.fields.salesperson_id, l.fields.stakeholder_id);
            let times = parts.touches.get(&pair).map_or(&[][..], |met| met.times.as_slice());
            if !times.is_empty() {
                touches.insert(l.id, times.to_vec());
            }
            domain_link(l, times, now, settings)
        })
        .collect();
    let whereabouts = whereabouts(parts.careers, &holdings.departed(), &ids, today);
    let arrivals =
        came_from(parts.careers, &holdings.newcomers(today, settings.new_holder_days), &ids);
    let mut by_post: HashMap<Uuid, Vec<&Tenure>> = HashMap::new();
    for tenure in &holdings.current {
        by_post.entry(tenure.post_id).or_default().push(tenure);
    }
    let posts = post_rows
        .into_iter()
        .map(|p| AccountPost {
            holders: by_post
                .get(&p.id)
                .map(Vec::as_slice)
                .unwrap_or(&[])
                .iter()
                .map(|t| Holder {
                    tenure_id: t.id,
                    person_id: t.person_id,
                    display_name: names.get(&t.person_id).cloned().unwrap_or_default(),
                    started_on: t.period.started_on,
                    buying_roles: t.buying_roles.clone(),
                    crafting_recorded: parts.crafted.contains(&t.id),
                    came_from: arrivals.get(&t.id).cloned(),
                })
                .collect(),
            ..p
        })
        .collect();
    let departures = holdings
        .ended
        .iter()
        .filter(|t| !stakeholders.contains(&t.person_id))
        .map(|t| Departure {
            tenure_id: t.id,
            person_id: t.person_id,
            post_id: t.post_id,
            ended_on: t.period.ended_on.unwrap_or(today),
            buying_roles: t.buying_roles.clone(),
            now_at: whereabouts.get(&t.person_id).cloned(),
        })
        .collect();
    let account_relationships = among(&relationships, &stakeholders);
    AccountData {
        root,
        organizations,
        account: Account {
            posts,
            departures,
            links: domain_links,
            relationships: account_relationships,
        },
        relationships,
        tenures: holdings.current,
        names,
        stated,
        settings: settings.clone(),
        touches,
        day: today,
        next_effective: parts.next_effective,
        footprint: Arc::default(),
    }
}

/// Those of `relationships` between two of `stakeholders`, as an account holds them.
fn among(
    relationships: &[Relationship],
    stakeholders: &HashSet<Uuid>,
) -> Vec<account::Relationship> {
    relationships
        .iter()
        .filter(|r| {
            stakeholders.contains(&r.fields.from_person_id)
                && stakeholders.contains(&r.fields.to_person_id)
        })
        .map(|r| account::Relationship {
            from_person_id: r.fields.from_person_id,
            to_person_id: r.fields.to_person_id,
            kind: r.fields.kind,
            strength: r.fields.strength,
        })
        .collect()
}

/// A coverage link as an account holds it: its strength at `now`, from the pair's
/// interactions (`touches`) unless stated.
fn domain_link(
    link: &Coverage,
    touches: &[NaiveDateTime],
    now: NaiveDateTime,
    settings: &CoverageSettings,
) -> account::Link {
    let (strength, last_interaction_at) = strength_at(link.fields.strength, touches, now, settings);
    account::Link {
        id: link.id,
        salesperson_id: link.fields.salesperson_id,
        stakeholder_id: link.fields.stakeholder_id,
        role: link.fields.role,
        strength,
        last_interaction_at,
    }
}

/// A link's strength at `now` — the stated one, else derived from the interactions — and the
/// last interaction by then.
fn strength_at(
    stated: Option<f64>,
    touches: &[NaiveDateTime],
    now: NaiveDateTime,
    settings: &CoverageSettings,
) -> (f64, Option<NaiveDateTime>) {
    let strength = stated.unwrap_or_else(|| derived_strength(touches, now, settings.half_life()));
    (strength, touches.iter().filter(|t| **t <= now).max().copied())
}

/// Which posts `account_posts` reads.
#[derive(Clone, Copy)]
pub(in crate::store) enum PostsOf<'a> {
    /// Every post of these organizations.
    Organizations(&'a [Uuid]),
    /// These posts.
    Listed(&'a [Uuid]),
}

/// These posts, of those that exist on `date`, without holders yet, in no order.
pub(in crate::store) fn account_posts(
    conn: &mut DbConn,
    tenant: TenantId,
    which: PostsOf<'_>,
    date: NaiveDate,
) -> Result<Vec<AccountPost>, Error> {
    let query = posts::table.filter(posts::tenant_id.eq(tenant)).into_boxed();
    let query = match which {
        PostsOf::Organizations(ids) => query.filter(posts::organization_id.eq_any(texts(ids))),
        PostsOf::Listed(ids) => query.filter(posts::id.eq_any(texts(ids))),
    };
    let rows: Vec<(String, String, String, Option<String>, i32)> = query
        .filter(posts::established_on.is_null().or(posts::established_on.le(date)))
        .filter(posts::abolished_on.is_null().or(posts::abolished_on.gt(date)))
        .select((
            posts::id,
            posts::organization_id,
            posts::title,
            posts::reports_to_post_id,
            posts::headcount,
        ))
        .load(conn)?;
    rows.into_iter()
        .map(|(id, organization, title, reports_to, headcount)| {
            Ok(AccountPost {
                id: parse_id(&id)?,
                organization_id: parse_id(&organization)?,
                title,
                reports_to: parse_optional_id(reports_to.as_deref())?,
                headcount: headcount.max(0) as u32,
                holders: Vec::new(),
            })
        })
        .collect()
}

/// These ids, but those in `now`.
fn not_in(ids: impl Iterator<Item = Uuid>, now: &HashSet<Uuid>) -> Vec<Uuid> {
    ids.filter(|id| !now.contains(id)).collect()
}

/// `read` of everyone holding posts in these organizations, then of `others` by id. The
/// organizations go in pieces of half a `READ_CHUNK`, as a read may bind them twice (SQLite
/// binds each); someone holding posts in two pieces is read with each.
fn through(
    conn: &mut DbConn,
    organizations: &[Uuid],
    others: &[Uuid],
    mut read: impl FnMut(&mut DbConn, People<'_>) -> Result<(), Error>,
) -> Result<(), Error> {
    for piece in organizations.chunks(READ_CHUNK / 2) {
        read(conn, People::HoldingPostsIn(piece))?;
    }
    for piece in others.chunks(READ_CHUNK) {
        read(conn, People::Listed(piece))?;
    }
    Ok(())
}

/// Which of these tenures have crafting in effect at `now`, as recorded now, and the first
/// moment after it when one of the others comes to have some.
pub(in crate::store) fn crafted_among(
    conn: &mut DbConn,
    tenant: TenantId,
    tenures: &[Uuid],
    now: NaiveDateTime,
) -> Result<(HashSet<Uuid>, Option<NaiveDateTime>), Error> {
    let at = TimePoint { as_of: now, known_at: calendar::last_moment() };
    crafted_tenures(conn, tenant, &[], tenures, at)
}

/// The tenures with crafting revisions in effect at `at` and recorded by then, among those of
/// the posts of these organizations and `others` (by id); and the first moment after `at` when
/// a tenure read that has none in effect yet comes to have one (a revision recorded ahead of
/// its effect).
fn crafted_tenures(
    conn: &mut DbConn,
    tenant: TenantId,
    organizations: &[Uuid],
    others: &[Uuid],
    at: TimePoint,
) -> Result<(HashSet<Uuid>, Option<NaiveDateTime>), Error> {
    // Each tenure's first revision in effect: in effect at `at` if it is by then.
    let first_effective = || {
        crafting_revisions::table
            .filter(crafting_revisions::tenant_id.eq(tenant))
            .filter(crafting_revisions::recorded_at.le(at.known_at))
            .group_by(crafting_revisions::tenure_id)
            .select((crafting_revisions::tenure_id, min(crafting_revisions::effective_at)))
            .into_boxed()
    };
    let mut rows: Vec<(String, Option<NaiveDateTime>)> = Vec::new();
    for piece in organizations.chunks(READ_CHUNK) {
        rows.extend(
            first_effective()
                .filter(crafting_revisions::tenure_id.eq_any(people::tenure_ids_in(tenant, piece)))
                .load(conn)?,
        );
    }
    for piece in others.chunks(READ_CHUNK) {
        let ids: Vec<String> = piece.iter().map(Uuid::to_string).collect();
        rows.extend(
            first_effective().filter(crafting_revisions::tenure_id.eq_any(ids)).load(conn)?,
        );
    }
    let mut crafted = HashSet::new();
    let mut next_effective: Option<NaiveDateTime> = None;
    for (id, first) in rows {
        match first {
            Some(first) if first <= at.as_of => {
                crafted.insert(parse_id(&id)?);
            }
            Some(first) => next_effective = Some(next_effective.map_or(first, |n| n.min(first))),
            None => {}
        }
    }
    Ok((crafted, next_effective))
}

/// Where people who left the account hold a post now, outside the account.
fn whereabouts(
    careers: &Careers,
    persons: &[Uuid],
    account_organizations: &[Uuid],
    today: NaiveDate,
) -> HashMap<Uuid, Whereabouts> {
    let mut found = HashMap::new();
    let current = persons.iter().flat_map(|p| careers.of(*p)).filter(|t| t.period.contains(today));
    for tenure in current {
        let Some(organization_id) = careers.organization_of.get(&tenure.post_id).copied() else {
            continue;
        };
        if !account_organizations.contains(&organization_id) {
            found.insert(
                tenure.person_id,
                Whereabouts { organization_id, post_id: tenure.post_id, tenure_id: tenure.id },
            );
        }
    }
    found
}

/// Where the holders of these tenures came from: the post each held last, outside the
/// account, before the tenure started; by tenure.
fn came_from(
    careers: &Careers,
    holdings: &[&Tenure],
    account_organizations: &[Uuid],
) -> HashMap<Uuid, Whereabouts> {
    let mut found = HashMap::new();
    for holding in holdings {
        // Careers are in start order: the last earlier one outside the account.
        let before = careers
            .of(holding.person_id)
            .iter()
            .filter(|t| t.id != holding.id && t.period.started_on < holding.period.started_on);
        let mut outside = before.filter_map(|t| {
            let organization_id = *careers.organization_of.get(&t.post_id)?;
            (!account_organizations.contains(&organization_id)).then_some(Whereabouts {
                organization_id,
                post_id: t.post_id,
                tenure_id: t.id,
            })
        });
        if let Some(last) = outside.next_back() {
            found.insert(holding.id, last);
        }
    }
    found
}
