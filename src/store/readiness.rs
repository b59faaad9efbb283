//! Readiness of people for posts (`domain::readiness`): one person's from their crafting
//! history at any time; the tenant's people ranked for a post from the crafting index (their
//! jobs as they stand now), so that ranking 100,000 people reads no history.

use std::collections::{BTreeMap, HashMap, HashSet};

use uuid::Uuid;

use crate::domain::crafting::{FacetKey, TimePoint};
use crate::domain::readiness::{demands, quick_score, readiness, Readiness};
use crate::domain::tenant::TenantId;
use crate::error::Error;
use crate::store::crafting::histories;
use crate::store::crafting_index::{CraftingIndex, Entry};
use crate::store::posts::Post;
use crate::store::tenures::{self, Of};
use crate::store::{now_point, organizations, parse_id, persons, DbConn};

/// The person's effective crafted job at `at`, over the posts they hold then (the strongest
/// weight where they hold several); and those tenures.
pub fn held(
    conn: &mut DbConn,
    tenant: TenantId,
    person: Uuid,
    at: TimePoint,
) -> Result<(BTreeMap<FacetKey, f64>, Vec<Uuid>), Error> {
    persons::find(conn, tenant, person)?;
    let current: Vec<_> = tenures::of(conn, tenant, Of::Persons(&[person]))?
        .into_iter()
        .filter(|t| t.period.contains(at.as_of.date()))
        .collect();
    let ids = current.iter().map(|t| t.id).collect();
    let mut job = BTreeMap::new();
    for history in histories(conn, tenant, current)? {
        for (key, weight) in history.job_at(at).weights() {
            let strongest = job.entry(key).or_insert(weight);
            *strongest = f64::max(*strongest, weight);
        }
    }
    Ok((job, ids))
}

/// One person's readiness for a post.
pub fn of_person(
    conn: &mut DbConn,
    tenant: TenantId,
    person: Uuid,
    post: &Post,
    at: TimePoint,
) -> Result<(Readiness, Vec<Uuid>), Error> {
    let (job, tenures) = held(conn, tenant, person, at)?;
    Ok((readiness(&post.fields.facets, &job), tenures))
}

#[derive(Debug, Clone)]
pub struct Candidate {
    pub person_id: Uuid,
    /// The tenures whose crafted jobs were read: the posts the person holds now.
    pub tenure_ids: Vec<Uuid>,
    pub readiness: Readiness,
}

/// The people of the tenant (or holding posts in `scope`, an organization and those below it)
/// most ready for `post` now, best first, at most `limit`; its current holders left out.
pub fn candidates(
    conn: &mut DbConn,
    index: &CraftingIndex,
    tenant: TenantId,
    post: &Post,
    scope: Option<Uuid>,
    limit: usize,
) -> Result<Vec<Candidate>, Error> {
    let today = crate::store::now().date();
    let within: Option<HashSet<Uuid>> = match scope {
        Some(root) => {
            organizations::find(conn, tenant, root)?;
            let ids = organizations::subtree(conn, tenant, root)?;
            Some(ids.iter().map(|id| parse_id(id)).collect::<Result<_, _>>()?)
        }
        None => None,
    };
    let holders: HashSet<Uuid> = tenures::of(conn, tenant, Of::Posts(&[post.id]))?
        .into_iter()
        .filter(|t| t.period.contains(today))
        .map(|t| t.person_id)
        .collect();
    let snapshot = index.snapshot(conn, tenant)?;
    let demands = demands(&post.fields.facets);
    // A key nobody's job has is in no one's vector.
    let ids: Vec<Option<u32>> = demands.iter().map(|d| snapshot.keys.find(&d.key)).collect();
    // Each person once, their current jobs taken together as a person's readiness takes them
    // (the strongest weight of each facet).
    let mut jobs: HashMap<Uuid, Vec<&Entry>> = HashMap::new();
    for entry in snapshot.entries.values() {
        if entry.period.contains(today)
            && !holders.contains(&entry.person_id)
            && within.as_ref().is_none_or(|w| w.contains(&entry.organization_id))
        {
            jobs.entry(entry.person_id).or_default().push(entry);
        }
    }
    let mut ranked: Vec<(Uuid, f64)> = jobs
        .into_iter()
        .map(|(person, entries)| {
            let held = |i: usize| {
                let id = ids[i]?;
                entries.iter().filter_map(|e| e.job.get(id)).reduce(f64::max)
            };
            (person, quick_score(&demands, held))
        })
        .collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    ranked.truncate(limit);
    // The chosen few explained from their histories, exactly as `of_person` answers (the index
    // keeps weights in single precision, enough to rank).
    let at = now_point();
    ranked
        .into_iter()
        .map(|(person_id, _)| {
            let (readiness, tenure_ids) = of_person(conn, tenant, person_id, post, at)?;
            Ok(Candidate { person_id, tenure_ids, readiness })
        })
        .collect()
}
