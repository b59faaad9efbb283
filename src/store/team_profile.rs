//! The team profile as the store reads it: an own unit's salespeople (the unit and every unit
//! below it) with their crafted jobs, and the stakeholders of the accounts in scope with their
//! influence and what they were observed to weigh, handed to `domain::team_profile`.

use std::collections::{BTreeSet, HashMap, HashSet};

use chrono::NaiveDate;
use diesel::prelude::*;
use uuid::Uuid;

use crate::domain::account::{self, influences, Account, AccountPost, Holder};
use crate::domain::crafting::{CraftingRevision, FormalRevision, Origin, TimePoint};
use crate::domain::facet::Facet;
use crate::domain::organization::OrganizationKind;
use crate::domain::team_profile::{profile, Member, Stakeholder, TeamProfile, TOP_STAKEHOLDERS};
use crate::domain::tenant::TenantId;
use crate::error::{Error, FieldError};
use crate::store::coverage::{self, End};
use crate::store::crafting::{self, TenureHistory};
use crate::store::organizations::{self, Organization};
use crate::store::people::People;
use crate::store::relationships;
use crate::store::schema::{coverage_links, crafting_revisions, posts, tenures};
use crate::store::tenures::{self as tenure_store, Tenure};
use crate::store::{
    accounts, affinities, chunked, coverage_settings, history, parse_id, persons, post_revisions,
    salespeople, DbConn,
};

/// Whose demand the team is set against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DemandScope {
    /// The client accounts where the team's salespeople cover someone today.
    Covered,
    /// Every client account of the tenant.
    Tenant,
}

pub struct Profiled {
    pub unit: Organization,
    pub profile: TeamProfile,
    /// The accounts in scope, by name.
    pub accounts: Vec<(Uuid, String)>,
    /// Display names of the salespeople and stakeholders it mentions.
    pub names: HashMap<Uuid, String>,
}

/// The team profile of an own unit, read on one snapshot (its statements see the same rows).
pub fn team_profile(
    conn: &mut DbConn,
    tenant: TenantId,
    unit: Uuid,
    scope: DemandScope,
    at: TimePoint,
) -> Result<Profiled, Error> {
    conn.on_one_snapshot(|conn| read_team_profile(conn, tenant, unit, scope, at))
}

fn read_team_profile(
    conn: &mut DbConn,
    tenant: TenantId,
    unit: Uuid,
    scope: DemandScope,
    at: TimePoint,
) -> Result<Profiled, Error> {
    let unit = organizations::find(conn, tenant, unit)?;
    if unit.kind != OrganizationKind::Own {
        return Err(Error::Invalid(vec![FieldError::new(
            "organization_id",
            format!("is a {} organization; a team is an own organization", unit.kind.as_str()),
        )]));
    }
    let units: HashSet<Uuid> = organizations::subtree(conn, tenant, unit.id)?
        .iter()
        .map(|id| parse_id(id))
        .collect::<Result<_, _>>()?;
    let mut sales: Vec<salespeople::SalesTenure> =
        salespeople::salespeople(conn, tenant, at.as_of.date(), None)?
            .into_values()
            .filter(|s| units.contains(&s.organization_id))
            .collect();
    sales.sort_by_key(|s| s.person_id);
    let tenure_ids: Vec<Uuid> = sales.iter().map(|s| s.tenure_id).collect();
    let sales_tenures = tenure_store::find_many(conn, tenant, &tenure_ids)?;
    let mut crafted = crafting::crafted_facets(conn, tenant, sales_tenures, at)?;
    let members: Vec<Member> = sales
        .iter()
        .map(|s| Member {
            person_id: s.person_id,
            facets: crafted.remove(&s.tenure_id).unwrap_or_default(),
        })
        .collect();
    let member_ids: Vec<Uuid> = members.iter().map(|m| m.person_id).collect();

    let roots = match scope {
        DemandScope::Tenant => organizations::account_roots(conn, tenant)?,
        DemandScope::Covered => covered_accounts(conn, tenant, &member_ids, at)?,
    };
    let team: HashSet<Uuid> = member_ids.iter().copied().collect();
    let scope = accounts::accounts_of(conn, tenant, &roots)?;
    let stakeholders = stakeholders(conn, tenant, &scope, &team, at)?;
    let affinities: Vec<_> =
        affinities::list_affinities(conn, tenant)?.into_iter().map(|a| a.affinity).collect();
    let profile = profile(&members, &stakeholders, scope.len(), &affinities);
    // Names of whom the answer shows: the salespeople, and the stakeholders it lists.
    let shown: Vec<Uuid> = profile
        .keys
        .iter()
        .flat_map(|k| k.wants.iter().take(TOP_STAKEHOLDERS).map(|w| w.person_id))
        .chain(member_ids.iter().copied())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let names = chunked(&shown, |ids| {
        Ok(persons::display_names(conn, tenant, ids)?.into_iter().collect())
    })?
    .into_iter()
    .collect();
    Ok(Profiled {
        profile,
        unit,
        accounts: scope.into_iter().map(|(root, _)| (root.id, root.name)).collect(),
        names,
    })
}

/// The stakeholders of these accounts (the team's salespeople left out), each with their
/// influence in the account, what they were observed to weigh there and who of `team` covers
/// them. Read for every account at once and by organization, not by lists of ids: a fixed
/// number of statements however many stakeholders (the benchmark's unit faces 100,000), and
/// only what the profile uses — not the names, interactions and careers the coverage report
/// reads. The numbers are the report's: the same holders and relationships in the same order.
fn stakeholders(
    conn: &mut DbConn,
    tenant: TenantId,
    scope: &[(Organization, Vec<Uuid>)],
    team: &HashSet<Uuid>,
    at: TimePoint,
) -> Result<Vec<Stakeholder>, Error> {
    let today = at.as_of.date();
    // An account may hold another (a client under a partner under a client): its rows count in
    // both.
    let mut account_of: HashMap<Uuid, Vec<usize>> = HashMap::new();
    for (i, (_, ids)) in scope.iter().enumerate() {
        for id in ids {
            account_of.entry(*id).or_default().push(i);
        }
    }
    let organizations: Vec<Uuid> = account_of.keys().copied().collect();
    let mut posts_of: Vec<Vec<AccountPost>> = scope.iter().map(|_| Vec::new()).collect();
    let mut post_accounts: HashMap<Uuid, Vec<usize>> = HashMap::new();
    for post in chunked(&organizations, |ids| accounts::account_posts(conn, tenant, ids, today))? {
        let of = account_of.get(&post.organization_id).cloned().unwrap_or_default();
        for account in &of {
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

    // What each stakeholder was observed to weigh in each account (crafted or overridden
    // facets): the formal facets their posts inherit are the same template for every holder,
    // and would make every team's needs the same generic keys. A person holding two posts of an
    // account: the facets of both.
    let mut observed: HashMap<(usize, Uuid), Vec<Facet>> = HashMap::new();
    let mut holders: HashMap<Uuid, Vec<Holder>> = HashMap::new();
    let mut people: Vec<HashSet<Uuid>> = scope.iter().map(|_| HashSet::new()).collect();
    let mut accounts_of_person: HashMap<Uuid, Vec<usize>> = HashMap::new();
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
        let tenure = history.tenure;
        let facets: Vec<Facet> = job
            .facets
            .into_iter()
            .filter(|f| f.origin != Origin::Formal)
            .map(|f| f.facet)
            .collect();
        for account in &post_accounts[&tenure.post_id] {
            observed.entry((*account, tenure.person_id)).or_default().extend(facets.clone());
            if people[*account].insert(tenure.person_id) {
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
    let covering = covered_by(conn, tenant, team, at)?;
    let settings = coverage_settings::settings_as_known(conn, tenant, at.known_at)?;

    let mut stakeholders = Vec::new();
    for (i, ((((root, _), mut posts), people), relationships)) in
        scope.iter().zip(posts_of).zip(people).zip(relationships_of).enumerate()
    {
        posts.sort_by_key(|p| p.id);
        let account = Account {
            posts: posts
                .into_iter()
                .map(|p| AccountPost {
                    holders: holders.get(&p.id).cloned().unwrap_or_default(),
                    ..p
                })
                .collect(),
            relationships,
            ..Account::default()
        };
        let influence = influences(&account, &settings);
        let mut people: Vec<Uuid> = people.into_iter().filter(|p| !team.contains(p)).collect();
        people.sort();
        for person in people {
            stakeholders.push(Stakeholder {
                account_id: root.id,
                person_id: person,
                influence: influence.get(&person).map_or(0.0, |i| i.influence),
                facets: observed.remove(&(i, person)).unwrap_or_default(),
                covered_by: covering.get(&person).cloned().unwrap_or_default(),
            });
        }
    }
    Ok(stakeholders)
}

/// Whose relationships to read: those from anyone who holds or held a post in these
/// organizations, and those touching the people who held one as known then and not now.
#[derive(Clone, Copy)]
struct Between<'a> {
    organizations: &'a [Uuid],
    known_then: &'a [Uuid],
}

/// The relationships valid on `at`'s day, as known at `at`, between two stakeholders of an
/// account, by account (`accounts_of_person`: the accounts each stakeholder is in); in the
/// order the coverage report reads them, so influence sums in the same order.
fn relationships_by_account(
    conn: &mut DbConn,
    tenant: TenantId,
    between: Between<'_>,
    accounts_of_person: &HashMap<Uuid, Vec<usize>>,
    accounts: usize,
    at: TimePoint,
) -> Result<Vec<Vec<account::Relationship>>, Error> {
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
    let mut relationships_of: Vec<Vec<account::Relationship>> =
        (0..accounts).map(|_| Vec::new()).collect();
    for r in known.into_iter().filter(|r| r.fields.holds_on(today)) {
        let (from, to) = (r.fields.from_person_id, r.fields.to_person_id);
        let (Some(from_in), Some(to_in)) =
            (accounts_of_person.get(&from), accounts_of_person.get(&to))
        else {
            continue;
        };
        for account in from_in.iter().filter(|a| to_in.contains(a)) {
            relationships_of[*account].push(account::Relationship {
                from_person_id: from,
                to_person_id: to,
                kind: r.fields.kind,
                strength: r.fields.strength,
            });
        }
    }
    Ok(relationships_of)
}

/// The salespeople of `team` covering each stakeholder, as the links were known at `at`.
fn covered_by(
    conn: &mut DbConn,
    tenant: TenantId,
    team: &HashSet<Uuid>,
    at: TimePoint,
) -> Result<HashMap<Uuid, Vec<Uuid>>, Error> {
    let team_ids: Vec<Uuid> = team.iter().copied().collect();
    let links = history::as_known(
        chunked(&team_ids, |ids| {
            coverage::coverage_of(conn, tenant, End::Salespeople, People::Listed(ids))
        })?,
        coverage::versions_since(conn, tenant, at.known_at)?,
        at.known_at,
    );
    let mut covering: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    for link in links.iter().filter(|l| team.contains(&l.fields.salesperson_id)) {
        covering.entry(link.fields.stakeholder_id).or_default().push(link.fields.salesperson_id);
    }
    Ok(covering)
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

/// The client accounts where one of `salespeople` covers a stakeholder who holds a post there
/// on `at`'s day. Read by joins, not by lists of ids: a team may cover tens of thousands.
fn covered_accounts(
    conn: &mut DbConn,
    tenant: TenantId,
    salespeople: &[Uuid],
    at: TimePoint,
) -> Result<Vec<Uuid>, Error> {
    let team: Vec<String> = salespeople.iter().map(Uuid::to_string).collect();
    let covered = coverage_links::table
        .filter(coverage_links::tenant_id.eq(tenant))
        .filter(coverage_links::salesperson_id.eq_any(team))
        .select(coverage_links::stakeholder_id);
    let today = at.as_of.date();
    let units: Vec<String> = tenures::table
        .inner_join(
            posts::table
                .on(posts::tenant_id.eq(tenures::tenant_id).and(posts::id.eq(tenures::post_id))),
        )
        .filter(tenures::tenant_id.eq(tenant))
        .filter(tenures::person_id.eq_any(covered))
        .filter(tenures::started_on.le(today))
        .filter(tenures::ended_on.is_null().or(tenures::ended_on.gt(today)))
        .select(posts::organization_id)
        .distinct()
        .load(conn)?;
    let units: Vec<Uuid> = units.iter().map(|id| parse_id(id)).collect::<Result<_, _>>()?;
    let roots: HashSet<Uuid> =
        organizations::roots_of(conn, tenant, &units)?.into_values().collect();
    // In the order `account_roots` gives (by name), clients only.
    Ok(organizations::account_roots(conn, tenant)?
        .into_iter()
        .filter(|r| roots.contains(r))
        .collect())
}
