//! The part of the tenant's graph of people a warm path to stakeholders can use: every tie
//! (relationship, coverage link, shared tenure) within `paths::MAX_HOPS` of them, and the pairs
//! a negative relationship bars. Read outwards from the stakeholder one ring at a time, so a
//! path costs the people near the stakeholder, not the whole tenant.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use diesel::prelude::*;
use uuid::Uuid;

use crate::domain::coverage::CoverageSettings;
use crate::domain::paths::{shared_tenure_strength, Evidence, Tie, MAX_HOPS};
use crate::domain::tenant::TenantId;
use crate::domain::tenure::Period;
use crate::error::Error;
use crate::store::people::{texts, People};
use crate::store::tenures::{self, Tenure};
use crate::store::{chunked, coverage, parse_id, relationships, schema, DbConn};

/// Ties near the targets, and the pairs (smaller id first) that are barred.
pub struct Neighbourhood {
    pub ties: Vec<Tie>,
    pub barred: HashSet<(Uuid, Uuid)>,
    /// Organizations counted so far, and whether each is small enough for its people to know
    /// each other: the units of a ring's people are mostly the last ring's, and counting a
    /// large one was about a tenth of a 10,000-stakeholder report.
    counted: HashMap<Uuid, bool>,
}

/// Every tie a path of at most `MAX_HOPS` hops from one of `sources` to one of `targets` can
/// use: all ties touching the people fewer than `MAX_HOPS - 1` hops from a target, and, from
/// the ring beyond, only the ties to a source (the first hop of a longest path; any other tie
/// there leads nowhere in time).
pub fn around(
    conn: &mut DbConn,
    tenant: TenantId,
    targets: &[Uuid],
    sources: &[Uuid],
    today: NaiveDate,
    settings: &CoverageSettings,
) -> Result<Neighbourhood, Error> {
    let mut found =
        Neighbourhood { ties: Vec::new(), barred: HashSet::new(), counted: HashMap::new() };
    let mut seen: HashSet<Uuid> = targets.iter().copied().collect();
    let mut ring: Vec<Uuid> = seen.iter().copied().collect();
    for distance in 0..MAX_HOPS {
        let last = distance == MAX_HOPS - 1;
        let before = found.ties.len();
        for chunk in ring.chunks(CHUNK) {
            if last {
                ties_to_sources(conn, tenant, chunk, sources, today, settings, &mut found)?;
            } else {
                ties_touching(conn, tenant, chunk, today, settings, &mut found)?;
            }
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
pub const TEAM_MAX: usize = 50;

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
    let relationships =
        relationships::relationships_among(conn, tenant, People::Listed(persons), today)?;
    add_relationships(relationships, settings, found);
    add_links(coverage::touching(conn, tenant, persons)?, found);
    found.ties.extend(colleagues(conn, tenant, persons, None, today, &mut found.counted)?);
    Ok(())
}

/// Every tie between one of `persons` and one of `sources`.
fn ties_to_sources(
    conn: &mut DbConn,
    tenant: TenantId,
    persons: &[Uuid],
    sources: &[Uuid],
    today: NaiveDate,
    settings: &CoverageSettings,
    found: &mut Neighbourhood,
) -> Result<(), Error> {
    let relationships =
        relationships::relationships_between(conn, tenant, persons, sources, today)?;
    add_relationships(relationships, settings, found);
    add_links(coverage::between(conn, tenant, persons, sources)?, found);
    // Colleagues seen from the sources' side: their few organizations, not the persons' many.
    let wanted: HashSet<Uuid> = persons.iter().copied().collect();
    let wanted = Some(&wanted);
    found.ties.extend(colleagues(conn, tenant, sources, wanted, today, &mut found.counted)?);
    Ok(())
}

fn add_relationships(
    relationships: Vec<relationships::Relationship>,
    settings: &CoverageSettings,
    found: &mut Neighbourhood,
) {
    for r in relationships {
        let (a, b) = (r.fields.from_person_id, r.fields.to_person_id);
        if settings.negative_relationship_kinds.contains(&r.fields.kind) {
            found.barred.insert(pair(a, b));
        } else {
            let evidence = Evidence::Relationship { id: r.id, kind: r.fields.kind };
            found.ties.push(Tie { a, b, strength: r.fields.strength, evidence });
        }
    }
}

fn add_links(links: Vec<coverage::CoverageView>, found: &mut Neighbourhood) {
    for link in links {
        found.ties.push(Tie {
            a: link.link.fields.salesperson_id,
            b: link.link.fields.stakeholder_id,
            strength: link.strength(),
            evidence: Evidence::Coverage { id: link.link.id },
        });
    }
}

/// Shared tenures: each of `persons` with everyone (of `only`, if given) who held a post in the
/// same organization at the same time — in an organization of at most `TEAM_MAX` tenures: in a
/// larger one, having worked there is no evidence of knowing each other (and its pairs would
/// be millions). `counted`: the organizations counted so far, whether small.
fn colleagues(
    conn: &mut DbConn,
    tenant: TenantId,
    persons: &[Uuid],
    only: Option<&HashSet<Uuid>>,
    today: NaiveDate,
    counted: &mut HashMap<Uuid, bool>,
) -> Result<Vec<Tie>, Error> {
    // In pieces: SQLite binds each id.
    let careers = chunked(persons, |piece| with_organizations(conn, tenant, Of::Persons(piece)))?;
    if careers.is_empty() {
        return Ok(Vec::new());
    }
    let mut organizations: Vec<Uuid> = careers.iter().map(|(_, o)| *o).collect();
    organizations.sort();
    organizations.dedup();
    let uncounted: Vec<Uuid> =
        organizations.iter().copied().filter(|o| !counted.contains_key(o)).collect();
    let small_now = chunked(&uncounted, |piece| small_organizations(conn, tenant, piece))?;
    counted.extend(uncounted.iter().map(|o| (*o, false)));
    counted.extend(small_now.into_iter().map(|o| (o, true)));
    let small: Vec<Uuid> =
        organizations.into_iter().filter(|o| counted.get(o) == Some(&true)).collect();
    if small.is_empty() {
        return Ok(Vec::new());
    }
    let everyone =
        chunked(&small, |piece| with_organizations(conn, tenant, Of::Organizations(piece)))?;
    let mut by_organization: HashMap<Uuid, Vec<&Tenure>> = HashMap::new();
    for (tenure, organization) in &everyone {
        by_organization.entry(*organization).or_default().push(tenure);
    }
    // Counted and read in two statements: one grown past the limit in between is dropped here.
    by_organization.retain(|_, tenures| tenures.len() <= TEAM_MAX);
    // The longest overlap of each pair in each organization, in days up to today.
    let days = |p: &Period| (p.ended_on.unwrap_or(today).min(today) - p.started_on).num_days();
    let mut overlaps: HashMap<(Uuid, Uuid, Uuid), Period> = HashMap::new();
    for (mine, organization) in &careers {
        for theirs in by_organization.get(organization).map(Vec::as_slice).unwrap_or(&[]) {
            if theirs.person_id == mine.person_id
                || only.is_some_and(|only| !only.contains(&theirs.person_id))
            {
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

/// Those of `organizations` with at most `TEAM_MAX` tenures, counted by the database: a
/// stakeholder's unit of an account is often thousands of tenures, and reading them only to
/// drop them was about a quarter of a 10,000-stakeholder report's warm-path search.
fn small_organizations(
    conn: &mut DbConn,
    tenant: TenantId,
    organizations: &[Uuid],
) -> Result<Vec<Uuid>, Error> {
    let held: tenures::on_posts = tenures::on_posts(tenant);
    let small: Vec<String> = held
        .filter(schema::posts::organization_id.eq_any(texts(organizations)))
        .group_by(schema::posts::organization_id)
        .having(diesel::dsl::count_star().le(TEAM_MAX as i64))
        .select(schema::posts::organization_id)
        .load(conn)?;
    small.iter().map(|id| parse_id(id)).collect()
}

/// Whose tenures `with_organizations` reads.
#[derive(Clone, Copy)]
enum Of<'a> {
    Persons(&'a [Uuid]),
    Organizations(&'a [Uuid]),
}

/// Tenures with the organization of their post: of these persons, or in these organizations.
fn with_organizations(
    conn: &mut DbConn,
    tenant: TenantId,
    of: Of<'_>,
) -> Result<Vec<(Tenure, Uuid)>, Error> {
    let held: tenures::on_posts = tenures::on_posts(tenant);
    let query =
        held.select((tenures::Row::as_select(), schema::posts::organization_id)).into_boxed();
    let query = match of {
        Of::Persons(ids) => query.filter(schema::tenures::person_id.eq_any(texts(ids))),
        Of::Organizations(ids) => query.filter(schema::posts::organization_id.eq_any(texts(ids))),
    };
    let rows: Vec<(tenures::Row, String)> = query.load(conn)?;
    rows.into_iter()
        .map(|(row, organization)| Ok((row.into_tenure()?, parse_id(&organization)?)))
        .collect()
}
