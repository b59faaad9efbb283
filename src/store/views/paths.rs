//! The part of the tenant's graph of people a warm path to stakeholders can use: every tie
//! (relationship, coverage link, shared tenure) within `paths::MAX_HOPS` of them, and the pairs
//! a negative relationship bars. Read outwards from the stakeholder one ring at a time, so a
//! path costs the people near the stakeholder, not the whole tenant.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use uuid::Uuid;

use crate::domain::coverage::CoverageSettings;
use crate::domain::paths::{shared_tenure_strength, Evidence, Tie, MAX_HOPS};
use crate::domain::tenant::TenantId;
use crate::domain::tenure::Period;
use crate::error::Error;
use crate::store::tenures::{self, Tenure};
use crate::store::{coverage, posts, relationships, DbConn};

/// Ties near the targets, and the pairs (smaller id first) that are barred.
pub struct Neighbourhood {
    pub ties: Vec<Tie>,
    pub barred: HashSet<(Uuid, Uuid)>,
}

/// Every tie within `MAX_HOPS` of any of `targets`.
pub fn around(
    conn: &mut DbConn,
    tenant: TenantId,
    targets: &[Uuid],
    today: NaiveDate,
    settings: &CoverageSettings,
) -> Result<Neighbourhood, Error> {
    let mut found = Neighbourhood { ties: Vec::new(), barred: HashSet::new() };
    let mut seen: HashSet<Uuid> = targets.iter().copied().collect();
    let mut ring: Vec<Uuid> = seen.iter().copied().collect();
    // A path of MAX_HOPS hops ends with a tie touching the ring MAX_HOPS - 1 away.
    for _ in 0..MAX_HOPS {
        let before = found.ties.len();
        for chunk in ring.chunks(CHUNK) {
            ties_touching(conn, tenant, chunk, today, settings, &mut found)?;
        }
        let mut next: Vec<Uuid> = found.ties[before..]
            .iter()
            .flat_map(|t| [t.a, t.b])
            .filter(|p| seen.insert(*p))
            .collect();
        next.sort();
        next.dedup();
        ring = next;
        if ring.is_empty() {
            break;
        }
    }
    Ok(found)
}

/// The largest organization (in tenures, past and present) whose people count as knowing each
/// other.
pub const TEAM_MAX: usize = 200;

fn pair(a: Uuid, b: Uuid) -> (Uuid, Uuid) {
    if a < b {
        (a, b)
    } else {
        (b, a)
    }
}

/// Persons per read: each statement binds their ids twice, well under SQLite's 32,766.
const CHUNK: usize = 5_000;

/// Every tie touching one of `persons`.
fn ties_touching(
    conn: &mut DbConn,
    tenant: TenantId,
    persons: &[Uuid],
    today: NaiveDate,
    settings: &CoverageSettings,
    found: &mut Neighbourhood,
) -> Result<(), Error> {
    for r in relationships::relationships_among(conn, tenant, persons, today)? {
        let (a, b) = (r.fields.from_person_id, r.fields.to_person_id);
        if settings.negative_relationship_kinds.contains(&r.fields.kind) {
            found.barred.insert(pair(a, b));
        } else {
            let evidence = Evidence::Relationship { id: r.id, kind: r.fields.kind };
            found.ties.push(Tie { a, b, strength: r.fields.strength, evidence });
        }
    }
    for link in coverage::touching(conn, tenant, persons)? {
        found.ties.push(Tie {
            a: link.link.fields.salesperson_id,
            b: link.link.fields.stakeholder_id,
            strength: link.strength(),
            evidence: Evidence::Coverage { id: link.link.id },
        });
    }
    found.ties.extend(colleagues(conn, tenant, persons, today)?);
    Ok(())
}

/// Shared tenures: each of `persons` with everyone who held a post in the same organization
/// at the same time — in an organization of at most `TEAM_MAX` tenures: in a larger one,
/// having worked there is no evidence of knowing each other (and its pairs would be
/// millions).
fn colleagues(
    conn: &mut DbConn,
    tenant: TenantId,
    persons: &[Uuid],
    today: NaiveDate,
) -> Result<Vec<Tie>, Error> {
    let careers = tenures::of_persons(conn, tenant, persons)?;
    if careers.is_empty() {
        return Ok(Vec::new());
    }
    let post_ids: Vec<Uuid> = careers.iter().map(|t| t.post_id).collect();
    let organization_of = posts::organizations_of(conn, tenant, &post_ids)?;
    let organizations: Vec<String> = {
        let mut ids: Vec<String> = organization_of.values().map(Uuid::to_string).collect();
        ids.sort();
        ids.dedup();
        ids
    };
    let all_posts = posts::ids_in_organizations(conn, tenant, &organizations)?;
    let everyone = tenures::of_posts(conn, tenant, &all_posts)?;
    let organization_of = posts::organizations_of(conn, tenant, &all_posts)?;
    let mut by_organization: HashMap<Uuid, Vec<&Tenure>> = HashMap::new();
    for tenure in &everyone {
        if let Some(organization) = organization_of.get(&tenure.post_id) {
            by_organization.entry(*organization).or_default().push(tenure);
        }
    }
    by_organization.retain(|_, tenures| tenures.len() <= TEAM_MAX);
    // The longest overlap of each pair in each organization, in days up to today.
    let days = |p: &Period| (p.ended_on.unwrap_or(today).min(today) - p.started_on).num_days();
    let mut overlaps: HashMap<(Uuid, Uuid, Uuid), Period> = HashMap::new();
    for mine in &careers {
        let Some(organization) = organization_of.get(&mine.post_id) else { continue };
        for theirs in by_organization.get(organization).map(Vec::as_slice).unwrap_or(&[]) {
            if theirs.person_id == mine.person_id {
                continue;
            }
            let Some(together) = mine.period.overlap(&theirs.period) else { continue };
            if together.started_on > today {
                continue;
            }
            let (a, b) = pair(mine.person_id, theirs.person_id);
            let kept = overlaps.entry((a, b, *organization)).or_insert(together);
            if days(&together) > days(kept) {
                *kept = together;
            }
        }
    }
    Ok(overlaps
        .into_iter()
        .map(|((a, b, organization_id), together)| Tie {
            a,
            b,
            strength: shared_tenure_strength(days(&together)),
            evidence: Evidence::SharedTenure {
                organization_id,
                from: together.started_on,
                until: together.ended_on,
            },
        })
        .collect())
}
