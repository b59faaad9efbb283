//! The team profile as the store reads it: an own unit's salespeople (the unit and every unit
//! below it) with their crafted jobs, and the stakeholders of the accounts in scope with their
//! influence and what they were observed to weigh, handed to `domain::team_profile`.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use uuid::Uuid;

use crate::domain::crafting::TimePoint;
use crate::domain::organization::OrganizationKind;
use crate::domain::team_profile::{profile, Member, Stakeholder, TeamProfile, TOP_STAKEHOLDERS};
use crate::domain::tenant::TenantId;
use crate::error::{Error, FieldError};
use crate::store::account_demand::{self, AccountDemand, DemandIndex};
use crate::store::coverage::{self, End};
use crate::store::crafting;
use crate::store::organizations::{self, Organization};
use crate::store::people::People;
use crate::store::tenures as tenure_store;
use crate::store::{
    accounts, affinities, chunked, history, parse_id, persons, salespeople, DbConn,
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

/// Where the accounts' demand comes from.
#[derive(Clone, Copy)]
pub enum Demanded<'a> {
    /// Kept between requests, caught up with what changed: for a profile as of now.
    Kept(&'a DemandIndex),
    /// Read from every row it rests on: for a profile as of another time.
    Read,
}

/// The team profile of an own unit, read on one snapshot (its statements see the same rows).
pub fn team_profile(
    conn: &mut DbConn,
    tenant: TenantId,
    unit: Uuid,
    scope: DemandScope,
    at: TimePoint,
    demanded: Demanded<'_>,
) -> Result<Profiled, Error> {
    conn.on_one_snapshot(|conn| read_team_profile(conn, tenant, unit, scope, at, demanded))
}

fn read_team_profile(
    conn: &mut DbConn,
    tenant: TenantId,
    unit: Uuid,
    scope: DemandScope,
    at: TimePoint,
    demanded: Demanded<'_>,
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

    let team: foldhash::HashSet<Uuid> = member_ids.iter().copied().collect();
    let covering = covered_by(conn, tenant, &team, at, demanded)?;
    let roots = organizations::account_roots(conn, tenant)?;
    let every = accounts::accounts_of(conn, tenant, &roots)?;
    // Every account's demand (kept, each team's profile reads the same accounts); the covered
    // accounts are those with a current holder the team covers.
    let demand: Vec<Arc<AccountDemand>> = match demanded {
        Demanded::Kept(index) => index.demand(conn, tenant, &every, at)?,
        Demanded::Read => {
            account_demand::read(conn, tenant, &every, at)?.into_iter().map(Arc::new).collect()
        }
    };
    let (scope, demand): (Vec<_>, Vec<_>) = every
        .into_iter()
        .zip(demand)
        .filter(|(_, d)| {
            scope == DemandScope::Tenant
                || d.stakeholders.iter().any(|s| covering.contains_key(&s.person_id))
        })
        .unzip();
    // The team's salespeople are not their own demand.
    let stakeholders: Vec<Stakeholder> = scope
        .iter()
        .zip(&demand)
        .flat_map(|((root, _), demand)| {
            demand.stakeholders.iter().filter(|s| !team.contains(&s.person_id)).map(|s| {
                Stakeholder {
                    account_id: root.id,
                    person_id: s.person_id,
                    influence: s.influence,
                    facets: s.facets.clone(),
                    covered_by: covering.get(&s.person_id).cloned().unwrap_or_default(),
                }
            })
        })
        .collect();
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
    let names = persons::display_names(conn, tenant, &shown)?;
    Ok(Profiled {
        profile,
        unit,
        accounts: scope.into_iter().map(|(root, _)| (root.id, root.name)).collect(),
        names,
    })
}

/// The salespeople of `team` covering each stakeholder, as the links were known at `at`; as of
/// now (`Demanded::Kept`) as they are, two columns rather than their history.
fn covered_by(
    conn: &mut DbConn,
    tenant: TenantId,
    team: &foldhash::HashSet<Uuid>,
    at: TimePoint,
    demanded: Demanded<'_>,
) -> Result<foldhash::HashMap<Uuid, Arc<[Uuid]>>, Error> {
    let team_ids: Vec<Uuid> = team.iter().copied().collect();
    let links: Vec<(Uuid, Uuid)> = match demanded {
        Demanded::Kept(_) => chunked(&team_ids, |ids| coverage::loads(conn, tenant, ids))?,
        Demanded::Read => history::as_known(
            chunked(&team_ids, |ids| {
                coverage::coverage_of(conn, tenant, End::Salespeople, People::Listed(ids))
            })?,
            coverage::versions_since(conn, tenant, at.known_at)?,
            at.known_at,
        )
        .into_iter()
        .map(|l| (l.fields.salesperson_id, l.fields.stakeholder_id))
        .collect(),
    };
    let mut covering: foldhash::HashMap<Uuid, Vec<Uuid>> = foldhash::HashMap::default();
    for (salesperson, stakeholder) in links.into_iter().filter(|(s, _)| team.contains(s)) {
        covering.entry(stakeholder).or_default().push(salesperson);
    }
    Ok(covering.into_iter().map(|(stakeholder, by)| (stakeholder, by.into())).collect())
}
