//! Loads an account — a client organization with its sub-organizations — with everything the
//! network view, the coverage report and suggestions read, in a fixed number of queries.

use std::collections::{HashMap, HashSet};

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use uuid::Uuid;

use crate::domain::account::{
    self, report, Account, AccountPost, Departure, Holder, Report, Whereabouts,
};
use crate::domain::alert::{track, Decided, Tracked};
use crate::domain::coverage::CoverageSettings;
use crate::domain::crafting::TimePoint;
use crate::domain::facet::Facet;
use crate::domain::organization::OrganizationKind;
use crate::domain::paths::{best_paths, Path};
use crate::domain::strength::derived_strength;
use crate::domain::tenant::TenantId;
use crate::error::{Error, FieldError};
use crate::store::crafting::histories;
use crate::store::organizations::{self, Organization};
use crate::store::relationships::{self, Relationship};
use crate::store::schema::{crafting_revisions, posts};
use crate::store::tenures::{self, Tenure};
use crate::store::{alerts, coverage, coverage_settings, interactions, salespeople, views};
use crate::store::{parse_id, parse_optional_id, persons, DbConn};

/// An account as loaded: the domain view plus what the network view draws.
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
}

impl AccountData {
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
    let current: Vec<Uuid> = tenures::of_persons(conn, tenant, &[person])?
        .into_iter()
        .filter(|t| t.period.contains(date))
        .map(|t| t.post_id)
        .collect();
    let organization_of = crate::store::posts::organizations_of(conn, tenant, &current)?;
    Ok(organization_of.values().any(|o| organizations.contains(o)))
}

/// The account rooted at `root` as of `at.as_of` as known at `at.known_at`: posts, tenures,
/// relationships and interactions at their dates as of then, crafting revisions in effect then
/// and recorded by then, and only the tenures, coverage links and relationships recorded by
/// then. (Rows are read as stored now: a later correction of one is not undone, and a coverage
/// link deleted since is gone.) 404 if there is no such organization, 422 if it is not a
/// client.
pub fn load(
    conn: &mut DbConn,
    tenant: TenantId,
    root: Uuid,
    at: TimePoint,
) -> Result<AccountData, Error> {
    let (root, ids) = account_organizations(conn, tenant, root)?;
    let organizations = organizations::find_many(conn, tenant, &ids)?;
    let now = at.as_of;
    let today = now.date();
    let known = |created_at: NaiveDateTime| created_at <= at.known_at;
    let post_rows = account_posts(conn, tenant, &ids, today)?;
    let post_ids: Vec<Uuid> = post_rows.iter().map(|p| p.id).collect();
    let all_tenures: Vec<Tenure> = tenures::of_posts(conn, tenant, &post_ids)?
        .into_iter()
        .filter(|t| known(t.created_at))
        .collect();
    let (current, ended): (Vec<Tenure>, Vec<Tenure>) =
        all_tenures.into_iter().partition(|t| t.period.contains(today));
    let ended: Vec<Tenure> =
        ended.into_iter().filter(|t| t.period.ended_on.is_some_and(|end| end <= today)).collect();
    let stakeholders: HashSet<Uuid> = current.iter().map(|t| t.person_id).collect();
    let departed: Vec<Uuid> = ended
        .iter()
        .map(|t| t.person_id)
        .filter(|p| !stakeholders.contains(p))
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let mut people: Vec<Uuid> =
        stakeholders.iter().copied().chain(departed.iter().copied()).collect();
    people.sort();

    let settings = coverage_settings::settings(conn, tenant)?.0;
    let links: Vec<_> = coverage::coverage_of(conn, tenant, &people)?
        .into_iter()
        .filter(|l| known(l.created_at))
        .collect();
    let touches = interactions::touches(conn, tenant, &people)?;
    let stated: HashSet<Uuid> =
        links.iter().filter(|l| l.fields.strength.is_some()).map(|l| l.id).collect();
    let domain_links: Vec<account::Link> = links
        .iter()
        .map(|l| {
            let pair = (l.fields.salesperson_id, l.fields.stakeholder_id);
            let times = touches.get(&pair).map(Vec::as_slice).unwrap_or(&[]);
            account::Link {
                id: l.id,
                salesperson_id: pair.0,
                stakeholder_id: pair.1,
                role: l.fields.role,
                strength: l
                    .fields
                    .strength
                    .unwrap_or_else(|| derived_strength(times, now, settings.half_life())),
                last_interaction_at: times.iter().filter(|t| **t <= now).max().copied(),
            }
        })
        .collect();

    let current_ids: Vec<Uuid> = current.iter().map(|t| t.id).collect();
    let crafted = crafted_tenures(conn, tenant, &current_ids, at)?;
    let stakeholder_ids: Vec<Uuid> = stakeholders.iter().copied().collect();
    let relationships: Vec<Relationship> =
        relationships::relationships_among(conn, tenant, &stakeholder_ids, today)?
            .into_iter()
            .filter(|r| known(r.created_at))
            .collect();
    let whereabouts = whereabouts(conn, tenant, &departed, &ids, today)?;
    let newcomers: Vec<&Tenure> = current
        .iter()
        .filter(|t| (today - t.period.started_on).num_days() < settings.new_holder_days)
        .collect();
    let arrivals = came_from(conn, tenant, &newcomers, &ids)?;

    let mut mentioned: Vec<Uuid> = people.clone();
    mentioned.extend(links.iter().map(|l| l.fields.salesperson_id));
    mentioned.extend(
        relationships.iter().flat_map(|r| [r.fields.from_person_id, r.fields.to_person_id]),
    );
    mentioned.sort();
    mentioned.dedup();
    let names = persons::display_names(conn, tenant, &mentioned)?;

    let mut by_post: HashMap<Uuid, Vec<&Tenure>> = HashMap::new();
    for tenure in &current {
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
                    crafting_recorded: crafted.contains(&t.id),
                    came_from: arrivals.get(&t.id).cloned(),
                })
                .collect(),
            ..p
        })
        .collect();
    let departures = ended
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
    let account_relationships = relationships
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
        .collect();
    Ok(AccountData {
        root,
        organizations,
        account: Account {
            posts,
            departures,
            links: domain_links,
            relationships: account_relationships,
        },
        relationships,
        tenures: current,
        names,
        stated,
        settings,
    })
}

/// An account's coverage report as of `now`, with the names its alerts mention and what
/// managers decided about its alerts.
pub struct Reported {
    pub data: AccountData,
    pub report: Report,
    pub decided: HashMap<Uuid, Decided>,
    /// The best warm path to each uncovered stakeholder someone on the team can reach, once
    /// `find_paths` ran.
    pub reachable: HashMap<Uuid, (Uuid, Path)>,
}

impl Reported {
    /// Its alerts, each with its life on `today`.
    pub fn tracked(&self, today: NaiveDate) -> Vec<Tracked<'_>> {
        track(self.data.root.id, &self.report.alerts, &self.decided, today)
    }
}

pub fn reported(
    conn: &mut DbConn,
    tenant: TenantId,
    root: Uuid,
    at: TimePoint,
) -> Result<Reported, Error> {
    let now = at.as_of;
    let mut data = load(conn, tenant, root, at)?;
    // Organizations where departed stakeholders went and newcomers came from, for the alerts'
    // messages.
    let account = &data.account;
    let went = account.departures.iter().filter_map(|d| d.now_at.as_ref());
    let came = account.posts.iter().flat_map(|p| &p.holders).filter_map(|h| h.came_from.as_ref());
    let elsewhere: Vec<Uuid> = went.chain(came).map(|w| w.organization_id).collect();
    for organization in organizations::find_many(conn, tenant, &elsewhere)? {
        data.names.insert(organization.id, organization.name);
    }
    let report = report(&data.account, &data.settings, now);
    let decided = alerts::decided_as_known(conn, tenant, root, at.known_at)?;
    Ok(Reported { data, report, decided, reachable: HashMap::new() })
}

impl Reported {
    /// Finds the best warm path to each uncovered stakeholder (`reachable`), and names the
    /// people on them.
    pub fn find_paths(
        &mut self,
        conn: &mut DbConn,
        tenant: TenantId,
        today: NaiveDate,
    ) -> Result<(), Error> {
        self.reachable = reachable(conn, tenant, &self.data, &self.report, today)?;
        let unnamed: Vec<Uuid> = self
            .reachable
            .values()
            .flat_map(|(_, path)| path.hops.iter().map(|h| h.from))
            .filter(|p| !self.data.names.contains_key(p))
            .collect();
        self.data.names.extend(persons::display_names(conn, tenant, &unnamed)?);
        Ok(())
    }
}

/// How many uncovered stakeholders the report looks for warm paths to.
pub const REACHABLE_MAX: usize = 20;

/// The best warm path (its salesperson and the path) to each of the `REACHABLE_MAX` most
/// influential uncovered stakeholders, over one neighbourhood around all of them.
fn reachable(
    conn: &mut DbConn,
    tenant: TenantId,
    data: &AccountData,
    report: &Report,
    today: NaiveDate,
) -> Result<HashMap<Uuid, (Uuid, Path)>, Error> {
    let mut uncovered: Vec<Uuid> = data
        .account
        .posts
        .iter()
        .flat_map(|p| &p.holders)
        .map(|h| h.person_id)
        .filter(|p| report.coverage.get(p).is_none_or(Vec::is_empty))
        .collect();
    uncovered.sort();
    uncovered.dedup();
    // The most influential first, and only so many: a report is read in a glance, and each
    // stakeholder widens the neighbourhood read.
    let influence = |p: &Uuid| report.influence.get(p).map_or(0.0, |i| i.influence);
    uncovered.sort_by(|a, b| influence(b).total_cmp(&influence(a)).then(a.cmp(b)));
    uncovered.truncate(REACHABLE_MAX);
    if uncovered.is_empty() {
        return Ok(HashMap::new());
    }
    let team: HashSet<Uuid> =
        salespeople::salespeople(conn, tenant, today, None)?.into_keys().collect();
    let sources: Vec<Uuid> = team.iter().copied().collect();
    let near = views::paths::around(conn, tenant, &uncovered, &sources, today, &data.settings)?;
    let mut found = HashMap::new();
    for target in uncovered {
        let sources: HashSet<Uuid> = team.iter().copied().filter(|s| *s != target).collect();
        let best = best_paths(&near.ties, &near.barred, &sources, target)
            .into_iter()
            .max_by(|a, b| a.1.strength.total_cmp(&b.1.strength).then(b.0.cmp(&a.0)));
        if let Some(best) = best {
            found.insert(target, best);
        }
    }
    Ok(found)
}

/// Posts of these organizations that exist on `date`, without holders yet.
fn account_posts(
    conn: &mut DbConn,
    tenant: TenantId,
    organizations: &[Uuid],
    date: NaiveDate,
) -> Result<Vec<AccountPost>, Error> {
    let ids: Vec<String> = organizations.iter().map(Uuid::to_string).collect();
    let rows: Vec<(String, String, String, Option<String>, i32)> = posts::table
        .filter(posts::tenant_id.eq(tenant))
        .filter(posts::organization_id.eq_any(ids))
        .filter(posts::established_on.is_null().or(posts::established_on.le(date)))
        .filter(posts::abolished_on.is_null().or(posts::abolished_on.gt(date)))
        .order(posts::id)
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

/// The tenures among these that have crafting revisions.
fn crafted_tenures(
    conn: &mut DbConn,
    tenant: TenantId,
    tenure_ids: &[Uuid],
    at: TimePoint,
) -> Result<HashSet<Uuid>, Error> {
    let ids: Vec<String> = tenure_ids.iter().map(Uuid::to_string).collect();
    let rows: Vec<String> = crafting_revisions::table
        .filter(crafting_revisions::tenant_id.eq(tenant))
        .filter(crafting_revisions::tenure_id.eq_any(ids))
        .filter(crafting_revisions::effective_at.le(at.as_of))
        .filter(crafting_revisions::recorded_at.le(at.known_at))
        .select(crafting_revisions::tenure_id)
        .distinct()
        .load(conn)?;
    rows.iter().map(|id| parse_id(id)).collect()
}

/// Where people who left the account hold a post now, outside the account.
fn whereabouts(
    conn: &mut DbConn,
    tenant: TenantId,
    persons: &[Uuid],
    account_organizations: &[Uuid],
    today: NaiveDate,
) -> Result<HashMap<Uuid, Whereabouts>, Error> {
    let current: Vec<Tenure> = tenures::of_persons(conn, tenant, persons)?
        .into_iter()
        .filter(|t| t.period.contains(today))
        .collect();
    let post_ids: Vec<Uuid> = current.iter().map(|t| t.post_id).collect();
    let organization_of = crate::store::posts::organizations_of(conn, tenant, &post_ids)?;
    let mut found = HashMap::new();
    for tenure in current {
        let Some(organization_id) = organization_of.get(&tenure.post_id).copied() else {
            continue;
        };
        if !account_organizations.contains(&organization_id) {
            found.insert(
                tenure.person_id,
                Whereabouts { organization_id, post_id: tenure.post_id, tenure_id: tenure.id },
            );
        }
    }
    Ok(found)
}

/// Where the holders of these tenures came from: the post each held last, outside the
/// account, before the tenure started; by tenure.
fn came_from(
    conn: &mut DbConn,
    tenant: TenantId,
    holdings: &[&Tenure],
    account_organizations: &[Uuid],
) -> Result<HashMap<Uuid, Whereabouts>, Error> {
    let persons: Vec<Uuid> = holdings.iter().map(|t| t.person_id).collect();
    if persons.is_empty() {
        return Ok(HashMap::new());
    }
    let careers = tenures::of_persons(conn, tenant, &persons)?;
    let post_ids: Vec<Uuid> = careers.iter().map(|t| t.post_id).collect();
    let organization_of = crate::store::posts::organizations_of(conn, tenant, &post_ids)?;
    let mut found = HashMap::new();
    for holding in holdings {
        // Careers are in start order: the last earlier one outside the account.
        let before = careers.iter().filter(|t| {
            t.person_id == holding.person_id
                && t.id != holding.id
                && t.period.started_on < holding.period.started_on
        });
        let mut outside = before.filter_map(|t| {
            let organization_id = *organization_of.get(&t.post_id)?;
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
    Ok(found)
}

/// Effective crafted facets of these tenures now.
pub fn crafted_facets(
    conn: &mut DbConn,
    tenant: TenantId,
    tenures: Vec<Tenure>,
    at: TimePoint,
) -> Result<HashMap<Uuid, Vec<Facet>>, Error> {
    Ok(histories(conn, tenant, tenures)?
        .into_iter()
        .map(|h| (h.tenure.id, h.job_at(at).facets.into_iter().map(|f| f.facet).collect()))
        .collect())
}

/// A salesperson as suggestions read them.
pub struct SalesProfile {
    pub tenure: salespeople::SalesTenure,
    pub facets: Vec<Facet>,
    pub unit: crate::domain::organization::Profile,
    /// Stakeholders they cover outside these stakeholders.
    pub load_elsewhere: u32,
}

/// Every salesperson today (or those of `only`), with what suggestions read about them;
/// `stakeholders` are the account's, whose coverage does not count as load elsewhere.
pub fn salesforce(
    conn: &mut DbConn,
    tenant: TenantId,
    only: Option<&[Uuid]>,
    stakeholders: &[Uuid],
    at: TimePoint,
) -> Result<Vec<SalesProfile>, Error> {
    let sales = salespeople::salespeople(conn, tenant, at.as_of.date(), only)?;
    let mut sales: Vec<salespeople::SalesTenure> = sales.into_values().collect();
    sales.sort_by_key(|s| s.person_id);
    let tenure_ids: Vec<Uuid> = sales.iter().map(|s| s.tenure_id).collect();
    let sales_tenures = tenures::find_many(conn, tenant, &tenure_ids)?;
    let mut facets = crafted_facets(conn, tenant, sales_tenures, at)?;
    let unit_ids: Vec<Uuid> = sales.iter().map(|s| s.organization_id).collect();
    let units: HashMap<Uuid, Organization> =
        organizations::find_many(conn, tenant, &unit_ids)?.into_iter().map(|o| (o.id, o)).collect();
    let person_ids: Vec<Uuid> = sales.iter().map(|s| s.person_id).collect();
    let inside: HashSet<&Uuid> = stakeholders.iter().collect();
    let mut load: HashMap<Uuid, u32> = HashMap::new();
    for (salesperson, stakeholder) in coverage::loads(conn, tenant, &person_ids)? {
        if !inside.contains(&stakeholder) {
            *load.entry(salesperson).or_default() += 1;
        }
    }
    Ok(sales
        .into_iter()
        .map(|tenure| SalesProfile {
            facets: facets.remove(&tenure.tenure_id).unwrap_or_default(),
            unit: units.get(&tenure.organization_id).map(|o| o.profile.clone()).unwrap_or_default(),
            load_elsewhere: load.get(&tenure.person_id).copied().unwrap_or(0),
            tenure,
        })
        .collect())
}
