//! The crafted job: how a post's holder actually does it.
//!
//! A crafting revision states, for each dimension it covers, the full set of facets observed
//! for the holder. The effective crafted job at a point in time is the post's formal facets,
//! overridden key by key by the crafted facets of the latest revision covering each dimension;
//! what was never observed inherits the formal job.

use std::collections::BTreeMap;

use chrono::NaiveDateTime;
use serde::Serialize;
use uuid::Uuid;

use crate::domain::facet::{all_dimensions, Dimension, Facet};

/// Default floor of a core facet: it must still be done, at least a little.
pub const DEFAULT_FLOOR: f64 = 0.1;

/// What was effective at `as_of`, as the service knew it at `known_at` (both UTC).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TimePoint {
    pub as_of: NaiveDateTime,
    pub known_at: NaiveDateTime,
}

/// Anything recorded as of an effective time, never overwritten.
pub trait Revision {
    fn effective_at(&self) -> NaiveDateTime;
    fn recorded_at(&self) -> NaiveDateTime;

    fn visible_at(&self, at: TimePoint) -> bool {
        self.effective_at() <= at.as_of && self.recorded_at() <= at.known_at
    }
}

/// A version of a post's formal facets.
#[derive(Debug, Clone)]
pub struct FormalRevision {
    pub id: Uuid,
    pub facets: Vec<Facet>,
    pub effective_at: NaiveDateTime,
    pub recorded_at: NaiveDateTime,
}

/// An observation of how a holder crafts the post, for the dimensions it covers.
#[derive(Debug, Clone)]
pub struct CraftingRevision {
    pub id: Uuid,
    pub dimensions: Vec<Dimension>,
    pub facets: Vec<Facet>,
    pub effective_at: NaiveDateTime,
    pub recorded_at: NaiveDateTime,
}

impl Revision for FormalRevision {
    fn effective_at(&self) -> NaiveDateTime {
        self.effective_at
    }
    fn recorded_at(&self) -> NaiveDateTime {
        self.recorded_at
    }
}

impl Revision for CraftingRevision {
    fn effective_at(&self) -> NaiveDateTime {
        self.effective_at
    }
    fn recorded_at(&self) -> NaiveDateTime {
        self.recorded_at
    }
}

/// The revision in force at `at`: the latest effective one among those recorded by then
/// (a later recording of the same effective time corrects an earlier one).
pub fn in_force<R: Revision>(
    revisions: &[R],
    at: TimePoint,
    covers: impl Fn(&R) -> bool,
) -> Option<&R> {
    revisions
        .iter()
        .filter(|r| r.visible_at(at) && covers(r))
        .max_by_key(|r| (r.effective_at(), r.recorded_at()))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = FacetOrigin)]
pub enum Origin {
    /// Inherited from the post: never observed otherwise for this holder.
    Formal,
    /// Added by the holder: not in the formal job.
    Crafted,
    /// In the formal job, but the holder does it with another weight.
    Overridden,
}

/// One facet of the effective crafted job, with where it comes from.
#[derive(Debug, Clone)]
pub struct EffectiveFacet {
    pub facet: Facet,
    pub origin: Origin,
    /// The formal weight, where the post has this facet.
    pub formal_weight: Option<f64>,
    /// The crafting revision that said so (none for inherited facets).
    pub revision_id: Option<Uuid>,
    /// For a core formal facet: its floor, and whether the holder's weight is below it.
    pub floor: Option<f64>,
    pub breached: bool,
}

#[derive(Debug, Clone)]
pub struct EffectiveJob {
    pub formal_revision_id: Option<Uuid>,
    pub facets: Vec<EffectiveFacet>,
}

pub type FacetKey = (Dimension, String);

impl EffectiveJob {
    pub fn weights(&self) -> BTreeMap<FacetKey, f64> {
        self.facets
            .iter()
            .map(|f| ((f.facet.dimension, f.facet.key.clone()), f.facet.weight))
            .collect()
    }

    pub fn floors(&self) -> BTreeMap<FacetKey, f64> {
        self.facets
            .iter()
            .filter_map(|f| f.floor.map(|floor| ((f.facet.dimension, f.facet.key.clone()), floor)))
            .collect()
    }
}

pub fn formal_weights(formal: &[Facet]) -> BTreeMap<FacetKey, f64> {
    formal.iter().map(|f| ((f.dimension, f.key.clone()), f.weight)).collect()
}

/// The crafted facets in force at `at`: per dimension, those of the latest revision covering it.
pub fn crafted_facets(revisions: &[CraftingRevision], at: TimePoint) -> Vec<(Facet, Uuid)> {
    let mut crafted = Vec::new();
    for dimension in all_dimensions() {
        if let Some(revision) = in_force(revisions, at, |r| r.dimensions.contains(&dimension)) {
            crafted.extend(
                revision
                    .facets
                    .iter()
                    .filter(|f| f.dimension == dimension)
                    .map(|f| (f.clone(), revision.id)),
            );
        }
    }
    crafted
}

pub fn effective_crafted_job(
    formal: Option<&FormalRevision>,
    crafting: &[CraftingRevision],
    at: TimePoint,
) -> EffectiveJob {
    let mut facets: BTreeMap<FacetKey, EffectiveFacet> = BTreeMap::new();
    for facet in formal.map(|f| f.facets.as_slice()).unwrap_or_default() {
        facets.insert(
            (facet.dimension, facet.key.clone()),
            EffectiveFacet {
                facet: Facet { core: false, floor: None, ..facet.clone() },
                origin: Origin::Formal,
                formal_weight: Some(facet.weight),
                revision_id: None,
                floor: facet.core.then(|| facet.floor.unwrap_or(DEFAULT_FLOOR)),
                breached: false,
            },
        );
    }
    for (facet, revision_id) in crafted_facets(crafting, at) {
        let key = (facet.dimension, facet.key.clone());
        match facets.get_mut(&key) {
            Some(existing) => {
                existing.origin = Origin::Overridden;
                existing.facet = facet;
                existing.revision_id = Some(revision_id);
            }
            None => {
                facets.insert(
                    key,
                    EffectiveFacet {
                        facet,
                        origin: Origin::Crafted,
                        formal_weight: None,
                        revision_id: Some(revision_id),
                        floor: None,
                        breached: false,
                    },
                );
            }
        }
    }
    for effective in facets.values_mut() {
        effective.breached = effective.floor.is_some_and(|floor| effective.facet.weight < floor);
    }
    EffectiveJob {
        formal_revision_id: formal.map(|f| f.id),
        facets: facets.into_values().collect(),
    }
}

/// A patch on the crafted job: the facets to set and the keys to forget (back to formal).
/// Returns what a full revision of the touched dimensions must hold.
pub fn apply_patch(
    current: &[CraftingRevision],
    at: TimePoint,
    set: Vec<Facet>,
    forget: &[FacetKey],
) -> (Vec<Dimension>, Vec<Facet>) {
    let mut dimensions: Vec<Dimension> =
        set.iter().map(|f| f.dimension).chain(forget.iter().map(|(d, _)| *d)).collect();
    dimensions.sort();
    dimensions.dedup();
    let mut merged: BTreeMap<FacetKey, Facet> = crafted_facets(current, at)
        .into_iter()
        .map(|(f, _)| f)
        .filter(|f| dimensions.contains(&f.dimension))
        .map(|f| ((f.dimension, f.key.clone()), f))
        .collect();
    for key in forget {
        merged.remove(key);
    }
    for facet in set {
        merged.insert((facet.dimension, facet.key.clone()), facet);
    }
    (dimensions, merged.into_values().collect())
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;

    fn at(day: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 1, day).unwrap().and_hms_opt(12, 0, 0).unwrap()
    }

    fn facet(dimension: Dimension, key: &str, weight: f64) -> Facet {
        Facet { dimension, key: key.into(), weight, note: None, core: false, floor: None }
    }

    fn crafting(
        day: u32,
        recorded: u32,
        dims: &[Dimension],
        facets: Vec<Facet>,
    ) -> CraftingRevision {
        CraftingRevision {
            id: Uuid::now_v7(),
            dimensions: dims.to_vec(),
            facets,
            effective_at: at(day),
            recorded_at: at(recorded),
        }
    }

    fn formal() -> FormalRevision {
        FormalRevision {
            id: Uuid::now_v7(),
            facets: vec![
                Facet {
                    core: true,
                    floor: Some(0.5),
                    ..facet(Dimension::Task, "supplier_audits", 0.8)
                },
                facet(Dimension::DecisionCriterion, "price", 0.9),
            ],
            effective_at: at(1),
            recorded_at: at(1),
        }
    }

    #[test]
    fn unobserved_facets_inherit_the_formal_job() {
        let job = effective_crafted_job(
            Some(&formal()),
            &[],
            TimePoint { as_of: at(20), known_at: at(20) },
        );
        assert!(job.facets.iter().all(|f| f.origin == Origin::Formal));
        assert_eq!(job.facets.len(), 2);
    }

    #[test]
    fn the_latest_revision_overrides_key_by_key_and_adds() {
        let revision = crafting(
            5,
            5,
            &[Dimension::DecisionCriterion],
            vec![
                facet(Dimension::DecisionCriterion, "carbon_footprint", 0.8),
                facet(Dimension::DecisionCriterion, "price", 0.3),
            ],
        );
        let job = effective_crafted_job(
            Some(&formal()),
            std::slice::from_ref(&revision),
            TimePoint { as_of: at(20), known_at: at(20) },
        );
        let by_key: BTreeMap<_, _> = job.facets.iter().map(|f| (f.facet.key.as_str(), f)).collect();
        assert_eq!(by_key["price"].origin, Origin::Overridden);
        assert_eq!(by_key["price"].facet.weight, 0.3);
        assert_eq!(by_key["price"].revision_id, Some(revision.id));
        assert_eq!(by_key["carbon_footprint"].origin, Origin::Crafted);
        assert_eq!(by_key["supplier_audits"].origin, Origin::Formal);
    }

    #[test]
    fn a_late_recording_changes_as_of_but_not_earlier_known_at() {
        // Effective on the 5th, recorded only on the 15th.
        let late = crafting(
            5,
            15,
            &[Dimension::Task],
            vec![facet(Dimension::Task, "supplier_audits", 0.2)],
        );
        let then = TimePoint { as_of: at(10), known_at: at(10) };
        let now = TimePoint { as_of: at(10), known_at: at(20) };
        let weight = |at| {
            effective_crafted_job(Some(&formal()), std::slice::from_ref(&late), at).weights()
                [&(Dimension::Task, "supplier_audits".to_owned())]
        };
        assert_eq!(weight(then), 0.8);
        assert_eq!(weight(now), 0.2);
    }

    #[test]
    fn a_core_facet_below_its_floor_is_breached() {
        let dropped = crafting(
            5,
            5,
            &[Dimension::Task],
            vec![facet(Dimension::Task, "supplier_audits", 0.0)],
        );
        let job = effective_crafted_job(
            Some(&formal()),
            &[dropped],
            TimePoint { as_of: at(20), known_at: at(20) },
        );
        let audits = job.facets.iter().find(|f| f.facet.key == "supplier_audits").unwrap();
        assert!(audits.breached);
        assert_eq!(audits.floor, Some(0.5));
    }

    #[test]
    fn a_revision_covering_a_dimension_replaces_it_whole() {
        let first = crafting(
            2,
            2,
            &[Dimension::Priority],
            vec![
                facet(Dimension::Priority, "growth", 0.5),
                facet(Dimension::Priority, "compliance", 0.5),
            ],
        );
        let second =
            crafting(3, 3, &[Dimension::Priority], vec![facet(Dimension::Priority, "growth", 0.9)]);
        let crafted =
            crafted_facets(&[first, second], TimePoint { as_of: at(20), known_at: at(20) });
        assert_eq!(crafted.len(), 1);
        assert_eq!(crafted[0].0.weight, 0.9);
    }

    #[test]
    fn a_patch_keeps_the_rest_of_a_dimension() {
        let first = crafting(
            2,
            2,
            &[Dimension::Priority],
            vec![
                facet(Dimension::Priority, "growth", 0.5),
                facet(Dimension::Priority, "compliance", 0.5),
            ],
        );
        let now = TimePoint { as_of: at(20), known_at: at(20) };
        let (dims, facets) = apply_patch(
            &[first],
            now,
            vec![facet(Dimension::Priority, "sustainability", 0.7)],
            &[(Dimension::Priority, "compliance".into())],
        );
        assert_eq!(dims, vec![Dimension::Priority]);
        let keys: Vec<_> = facets.iter().map(|f| f.key.as_str()).collect();
        assert_eq!(keys, vec!["growth", "sustainability"]);
    }
}
