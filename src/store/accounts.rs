//! Loads an account — a client organization with its sub-organizations — with everything the
//! network view, the coverage report and suggestions read, in a fixed number of queries.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use diesel::prelude::*;
use uuid::Uuid;

use crate::domain::account::{self, Account, AccountPost, Departure, Holder, Whereabouts};
use crate::domain::coverage::CoverageSettings;
use crate::domain::crafting::TimePoint;
use crate::domain::organization::OrganizationKind;
use crate::domain::strength::derived_strength;
use crate::domain::tenant::TenantId;
use crate::error::{Error, FieldError};
use crate::store::organizations::{self, Organization};
use crate::store::relationships::{self, Relationship};
use crate::store::schema::{crafting_revisions, posts};
use crate::store::tenures::{self, Of, Tenure};
use crate::store::{coverage, coverage_settings, history, interactions};
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
    let (root, ids) = account_organizations(conn, tenant, root)?;
    let organizations = organizations::find_many(conn, tenant, &ids)?;
    let now = at.as_of;
    let today = now.date();
    let post_rows = account_posts(conn, tenant, &ids, today)?;
    let post_ids: Vec<Uuid> = post_rows.iter().map(|p| p.id).collect();
    // Tenures, links and relationships as they were known at `known_at` (`store::history`):
    // rows recorded later left out, rows corrected or deleted since as they were.
    let mut all_tenures: Vec<Tenure> = history::as_known(
        tenures::of(conn, tenant, Of::Posts(&post_ids))?,
        tenures::versions_since(conn, tenant, at.known_at)?,
        at.known_at,
    );
    let account_posts: HashSet<Uuid> = post_ids.iter().copied().collect();
    all_tenures.retain(|t| account_posts.contains(&t.post_id));
    all_tenures.sort_by_key(|t| (t.period.started_on, t.id));
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

    let settings = coverage_settings::settings_as_known(conn, tenant, at.known_at)?;
    let mut links = history::as_known(
        coverage::coverage_of(conn, tenant, &people)?,
        coverage::versions_since(conn, tenant, at.known_at)?,
        at.known_at,
    );
    let in_account: HashSet<&Uuid> = people.iter().collect();
    links.retain(|l| in_account.contains(&l.fields.stakeholder_id));
    let touches = interactions::touches(conn, tenant, &people, at.known_at)?;
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
    let mut relationships: Vec<Relationship> = history::as_known(
        relationships::relationships_among(conn, tenant, &stakeholder_ids, today)?,
        relationships::versions_since(conn, tenant, at.known_at)?,
        at.known_at,
    );
    relationships.retain(|r| {
        let touches = [r.fields.from_person_id, r.fields.to_person_id];
        touches.iter().any(|p| stakeholders.contains(p)) && r.fields.holds_on(today)
    });
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
    let current: Vec<Tenure> = tenures::of(conn, tenant, Of::Persons(persons))?
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
    let careers = tenures::of(conn, tenant, Of::Persons(&persons))?;
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
