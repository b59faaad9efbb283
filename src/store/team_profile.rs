//! The team profile as the store reads it: an own unit's salespeople (the unit and every unit
//! below it) with their crafted jobs, and the stakeholders of the accounts in scope with their
//! influence and what they were observed to weigh, handed to `domain::team_profile`.

use std::collections::{HashMap, HashSet};

use diesel::prelude::*;
use uuid::Uuid;

use crate::domain::account::influences;
use crate::domain::crafting::{Origin, TimePoint};
use crate::domain::organization::OrganizationKind;
use crate::domain::team_profile::{profile, Member, Stakeholder, TeamProfile};
use crate::domain::tenant::TenantId;
use crate::error::{Error, FieldError};
use crate::store::organizations::{self, Organization};
use crate::store::schema::{coverage_links, posts, tenures};
use crate::store::tenures as tenure_store;
use crate::store::{
    accounts, affinities, chunked, crafting, parse_id, persons, salespeople, DbConn,
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

pub fn team_profile(
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
    let mut names = persons::display_names(conn, tenant, &member_ids)?;

    let roots = match scope {
        DemandScope::Tenant => organizations::account_roots(conn, tenant)?,
        DemandScope::Covered => covered_accounts(conn, tenant, &member_ids, at)?,
    };
    let team: HashSet<Uuid> = member_ids.iter().copied().collect();
    let accounts = accounts::accounts_of(conn, tenant, &roots)?;
    let accounts = accounts::load_many(conn, tenant, accounts, at)?;
    // What each stakeholder was observed to weigh (crafted or overridden facets): the formal
    // facets their posts inherit are the same template for every holder, and would make every
    // team's needs the same generic keys.
    // Each tenure once: an account within another holds its tenures too.
    let mut holdings: Vec<_> = accounts.iter().flat_map(|d| d.tenures.iter().cloned()).collect();
    holdings.sort_by_key(|t| t.id);
    holdings.dedup_by_key(|t| t.id);
    let mut observed: HashMap<Uuid, Vec<_>> = HashMap::new();
    for history in chunked(&holdings, |piece| crafting::histories(conn, tenant, piece.to_vec()))? {
        let facets = history.job_at(at).facets.into_iter().filter(|f| f.origin != Origin::Formal);
        observed.insert(history.tenure.id, facets.map(|f| f.facet).collect());
    }
    let mut stakeholders = Vec::new();
    let mut accounts_in_scope = Vec::new();
    for data in accounts {
        let influence = influences(&data.account, &data.settings);
        let mut covered_by: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
        for link in data.account.links.iter().filter(|l| team.contains(&l.salesperson_id)) {
            covered_by.entry(link.stakeholder_id).or_default().push(link.salesperson_id);
        }
        // A person holding two posts in the account: the facets of both count.
        let mut facets: HashMap<Uuid, Vec<_>> = HashMap::new();
        for tenure in &data.tenures {
            let held = observed.get(&tenure.id).into_iter().flatten().cloned();
            facets.entry(tenure.person_id).or_default().extend(held);
        }
        for person in data.stakeholders().into_iter().filter(|p| !team.contains(p)) {
            stakeholders.push(Stakeholder {
                account_id: data.root.id,
                person_id: person,
                influence: influence.get(&person).map_or(0.0, |i| i.influence),
                facets: facets.remove(&person).unwrap_or_default(),
                covered_by: covered_by.remove(&person).unwrap_or_default(),
            });
        }
        accounts_in_scope.push((data.root.id, data.root.name.clone()));
        names.extend(data.names);
    }
    let affinities: Vec<_> =
        affinities::list_affinities(conn, tenant)?.into_iter().map(|a| a.affinity).collect();
    Ok(Profiled {
        profile: profile(&members, &stakeholders, accounts_in_scope.len(), &affinities),
        unit,
        accounts: accounts_in_scope,
        names,
    })
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
