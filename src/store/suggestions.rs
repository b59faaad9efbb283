//! Suggestions in the store: the account's stakeholders and the salesforce as the solver takes
//! them (what a request asks, checked against who really is who), and applying chosen pairs.

use std::collections::{BTreeMap, HashMap, HashSet};

use uuid::Uuid;

use crate::domain::account::influences;
use crate::domain::coverage::NewRelationship;
use crate::domain::coverage::{BuyingRole, CoverageRole, NewCoverage};
use crate::domain::crafting::TimePoint;
use crate::domain::facet::Facet;
use crate::domain::fit::{Affinity, FitWeights};
use crate::domain::suggestion::{self, Salesperson, Stakeholder, Suggestion};
use crate::domain::tenant::TenantId;
use crate::error::{Error, FieldError, Violations};
use crate::store::accounts::{self, AccountData};
use crate::store::coverage::{self, CoverageLinks};
use crate::store::kept_accounts::KeptAccounts;
use crate::store::organizations::{self, Organization};
use crate::store::resource::Resource;
use crate::store::tenures::Tenure;
use crate::store::{affinities, crafting, now, now_point, persons, salespeople, tenures, DbConn};

/// Most coverers a stakeholder can ask for.
pub const COVERERS_MAX: i64 = 10;

/// What a suggestion asks for: who may cover whom, and how many.
pub struct Asked<'a> {
    /// Salespeople who may be suggested; `None` for every salesperson of the tenant.
    pub salesperson_ids: Option<&'a [Uuid]>,
    pub capacity_overrides: &'a BTreeMap<Uuid, i64>,
    pub coverers: Option<i64>,
    pub coverers_by_role: &'a BTreeMap<BuyingRole, i64>,
    /// (salesperson, stakeholder) pairs to keep, and never to suggest.
    pub locked: Vec<(Uuid, Uuid)>,
    pub excluded: Vec<(Uuid, Uuid)>,
}

/// Everything a suggestion needs, checked.
pub struct Inputs {
    pub data: AccountData,
    pub sales: Vec<SalesProfile>,
    pub stakeholders: Vec<Stakeholder>,
    pub salespeople: Vec<Salesperson>,
    /// Each salesperson's capacity, in the order of `sales`.
    pub capacities: Vec<u32>,
    /// The tenant's affinity rules, for the fit.
    pub affinities: Vec<Affinity>,
}

/// What suggestions for the account weigh, as of now (the account as kept between requests,
/// `kept`).
pub fn inputs(
    conn: &mut DbConn,
    tenant: TenantId,
    account: Uuid,
    asked: &Asked<'_>,
    kept: &KeptAccounts,
) -> Result<Inputs, Error> {
    // One snapshot: the stakeholders' crafting is read through the account's organizations,
    // so a tenure moved out between two statements would otherwise lose its crafting.
    conn.on_one_snapshot(|conn| read_inputs(conn, tenant, account, asked, kept))
}

fn read_inputs(
    conn: &mut DbConn,
    tenant: TenantId,
    account: Uuid,
    asked: &Asked<'_>,
    kept: &KeptAccounts,
) -> Result<Inputs, Error> {
    let at = now_point();
    let data = kept.account(conn, tenant, account, at.as_of)?;
    let stakeholder_ids = data.stakeholders();
    let sales = salesforce(conn, tenant, asked.salesperson_ids, &stakeholder_ids, at)?;
    // Salespeople are never their own stakeholders.
    let stakeholder_ids: Vec<Uuid> = stakeholder_ids
        .into_iter()
        .filter(|p| !sales.iter().any(|s| s.tenure.person_id == *p))
        .collect();

    let sales_ids: Vec<Uuid> = sales.iter().map(|s| s.tenure.person_id).collect();
    let mut data = data;
    data.names.extend(persons::display_names(conn, tenant, &sales_ids)?);

    let mut v = Violations::default();
    let is_salesperson: HashSet<Uuid> = sales.iter().map(|s| s.tenure.person_id).collect();
    let in_account: HashSet<Uuid> = stakeholder_ids.iter().copied().collect();
    for (i, id) in asked.salesperson_ids.unwrap_or_default().iter().enumerate() {
        if !is_salesperson.contains(id) {
            v.add(
                format!("/salesperson_ids/{i}"),
                "not a salesperson: no current tenure in an own organization",
            );
        }
    }
    for id in asked.capacity_overrides.keys() {
        if !is_salesperson.contains(id) {
            v.add(format!("/capacity_overrides/{id}"), "not an eligible salesperson");
        }
    }
    for (list, pointer) in [(&asked.locked, "/locked"), (&asked.excluded, "/excluded")] {
        for (i, (salesperson, stakeholder)) in list.iter().enumerate() {
            if !is_salesperson.contains(salesperson) {
                v.add(format!("{pointer}/{i}/salesperson_id"), "not an eligible salesperson");
            }
            if !in_account.contains(stakeholder) {
                v.add(
                    format!("{pointer}/{i}/stakeholder_id"),
                    "does not hold a post in the account now",
                );
            }
        }
    }
    v.into_result()?;

    let tenures: Vec<_> =
        data.tenures.iter().filter(|t| in_account.contains(&t.person_id)).cloned().collect();
    let crafted = kept.crafted_facets(conn, tenant, &data, at.as_of)?;
    let influence = influences(&data.account, &data.settings);
    let profiles = data.client_profiles();
    let mut by_person: HashMap<Uuid, Vec<&Tenure>> = HashMap::new();
    for tenure in &tenures {
        by_person.entry(tenure.person_id).or_default().push(tenure);
    }
    let mut stakeholders = Vec::new();
    for person in &stakeholder_ids {
        // A person holding two posts in the account: the roles and facets of both count.
        let theirs = by_person.get(person).map(Vec::as_slice).unwrap_or(&[]);
        let roles: Vec<BuyingRole> =
            theirs.iter().flat_map(|t| t.buying_roles.iter().copied()).collect();
        let coverers = roles
            .iter()
            .filter_map(|r| asked.coverers_by_role.get(r))
            .copied()
            .max()
            .or(asked.coverers)
            .unwrap_or(1);
        stakeholders.push(Stakeholder {
            person_id: *person,
            influence: influence.get(person).map_or(0.0, |i| i.influence),
            facets: theirs
                .iter()
                .flat_map(|t| crafted.get(&t.id).cloned().unwrap_or_default())
                .collect(),
            client: profiles.get(person).cloned().unwrap_or_default(),
            coverers: coverers.clamp(0, COVERERS_MAX) as u32,
        });
    }
    let mut capacities = Vec::new();
    let salespeople = sales
        .iter()
        .map(|s| {
            let capacity = asked
                .capacity_overrides
                .get(&s.tenure.person_id)
                .map(|c| (*c).clamp(0, i64::from(u32::MAX)) as u32)
                .unwrap_or_else(|| data.settings.capacity(s.tenure.capacity));
            capacities.push(capacity);
            Salesperson {
                person_id: s.tenure.person_id,
                facets: s.facets.clone(),
                unit: s.unit.clone(),
                capacity: capacity.saturating_sub(s.load_elsewhere),
            }
        })
        .collect();
    let affinities =
        affinities::list_affinities(conn, tenant)?.into_iter().map(|a| a.affinity).collect();
    Ok(Inputs { data, sales, stakeholders, salespeople, capacities, affinities })
}

/// Scores every pair and solves the assignment (CPU work: run it off the async executor).
pub fn suggest(
    inputs: &Inputs,
    asked: &Asked<'_>,
    weights: FitWeights,
) -> Result<Suggestion, Error> {
    let in_account: HashSet<Uuid> = inputs.stakeholders.iter().map(|s| s.person_id).collect();
    let relationships: Vec<&NewRelationship> =
        inputs.data.relationships.iter().map(|r| &r.fields).collect();
    let settings = &inputs.data.settings;
    let (ties, covering) = suggestion::ties(
        &inputs.data.account.links,
        &relationships,
        &settings.negative_relationship_kinds,
        &in_account,
    );
    let excluded: HashSet<(Uuid, Uuid)> = asked.excluded.iter().copied().collect();
    suggestion::suggest(&suggestion::Request {
        stakeholders: &inputs.stakeholders,
        salespeople: &inputs.salespeople,
        affinities: &inputs.affinities,
        weights,
        coverage_base: settings.coverage_base,
        ties: &ties,
        covering: &covering,
        locked: &asked.locked,
        excluded: &excluded,
    })
}

/// A pair chosen to cover, with the role it takes (default: `primary` if the stakeholder has
/// no primary coverer yet, else `secondary`).
pub struct Chosen {
    pub salesperson_id: Uuid,
    pub stakeholder_id: Uuid,
    pub role: Option<CoverageRole>,
}

/// What applying did: coverage links created, kept (covered already) and removed.
#[derive(Debug, Default)]
pub struct Applied {
    pub created: Vec<Uuid>,
    pub kept: Vec<Uuid>,
    pub removed: Vec<Uuid>,
}

/// Writes the chosen pairs as coverage (all of them or none): a pair covered already is kept;
/// with `replace`, the account's other links go. Whoever gets new stakeholders must stay within
/// capacity, all accounts counted.
pub fn apply(
    conn: &mut DbConn,
    tenant: TenantId,
    account: Uuid,
    pairs: &[Chosen],
    replace: bool,
) -> Result<Applied, Error> {
    let data = accounts::load(conn, tenant, account, now_point())?;
    let in_account: HashSet<Uuid> = data.stakeholders().into_iter().collect();
    let wanted: Vec<Uuid> = pairs.iter().map(|p| p.salesperson_id).collect();
    let sales = salespeople::salespeople(conn, tenant, now().date(), Some(&wanted))?;
    let settings = &data.settings;
    let mut v = Violations::default();
    let mut seen = HashSet::new();
    for (i, pair) in pairs.iter().enumerate() {
        if !sales.contains_key(&pair.salesperson_id) {
            v.add(
                format!("/pairs/{i}/salesperson_id"),
                "not a salesperson: no current tenure in an own organization",
            );
        }
        if !in_account.contains(&pair.stakeholder_id) {
            v.add(format!("/pairs/{i}/stakeholder_id"), "does not hold a post in the account now");
        }
        if !seen.insert((pair.salesperson_id, pair.stakeholder_id)) {
            v.add(format!("/pairs/{i}"), "the pair is listed twice");
        }
    }
    v.into_result()?;

    let existing: HashMap<(Uuid, Uuid), Uuid> = data
        .account
        .links
        .iter()
        .filter(|l| in_account.contains(&l.stakeholder_id))
        .map(|l| ((l.salesperson_id, l.stakeholder_id), l.id))
        .collect();
    let mut response = Applied::default();
    if replace {
        let remove: Vec<Uuid> =
            existing.iter().filter(|(pair, _)| !seen.contains(*pair)).map(|(_, id)| *id).collect();
        coverage::delete_coverage_ids(conn, tenant, &remove)?;
        response.removed = remove;
    }
    let mut has_primary: HashSet<Uuid> = data
        .account
        .links
        .iter()
        .filter(|l| l.role == CoverageRole::Primary && !response.removed.contains(&l.id))
        .map(|l| l.stakeholder_id)
        .collect();
    let mut added: HashMap<Uuid, Vec<usize>> = HashMap::new();
    for (i, pair) in pairs.iter().enumerate() {
        if let Some(id) = existing.get(&(pair.salesperson_id, pair.stakeholder_id)) {
            response.kept.push(*id);
            continue;
        }
        let role =
            pair.role.unwrap_or(CoverageRole::next(has_primary.contains(&pair.stakeholder_id)));
        if role == CoverageRole::Primary {
            has_primary.insert(pair.stakeholder_id);
        }
        let new = NewCoverage {
            salesperson_id: pair.salesperson_id,
            stakeholder_id: pair.stakeholder_id,
            role,
            strength: None,
        }
        .validate()
        .map_err(|e| at_pair(e, i))?;
        response
            .created
            .push(CoverageLinks::create(conn, tenant, &new).map_err(|e| at_pair(e, i))?.id);
        added.entry(pair.salesperson_id).or_default().push(i);
    }
    // Whoever gets new stakeholders must still be within capacity, all accounts counted.
    let receivers: Vec<Uuid> = added.keys().copied().collect();
    let mut load: HashMap<Uuid, u32> = HashMap::new();
    for (salesperson, _) in coverage::loads(conn, tenant, &receivers)? {
        *load.entry(salesperson).or_default() += 1;
    }
    let mut over = Vec::new();
    for (salesperson, indexes) in &added {
        let capacity = settings.capacity(sales.get(salesperson).and_then(|s| s.capacity));
        let total = load.get(salesperson).copied().unwrap_or(0);
        if total > capacity {
            for i in indexes {
                over.push(FieldError::new(
                    format!("/pairs/{i}"),
                    format!("the salesperson would cover {total} stakeholders; their capacity is {capacity}"),
                ));
            }
        }
    }
    if !over.is_empty() {
        over.sort_by(|a, b| a.pointer.cmp(&b.pointer));
        return Err(Error::Invalid(over));
    }
    Ok(response)
}

/// Names the pair an error from creating its link belongs to.
fn at_pair(error: Error, index: usize) -> Error {
    match error {
        Error::Invalid(errors) => Error::Invalid(
            errors
                .into_iter()
                .map(|e| FieldError { pointer: format!("/pairs/{index}{}", e.pointer), ..e })
                .collect(),
        ),
        other => other,
    }
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
    let mut facets = crafting::crafted_facets(conn, tenant, sales_tenures, at)?;
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
