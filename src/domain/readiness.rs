//! Readiness for a post: how a person's crafted job covers what a target post formally asks.
//!
//! Each facet the post stresses (a positive formal weight) is a demand. The person meets it
//! when their effective crafted job weighs it as much, is weaker when they weigh it less, and
//! misses it when they do not stress it at all. The score is the demands' met shares, each
//! counted by what the post asks of it, core facets twice: in [0, 1], 1 when every demand is
//! met (or the post stresses nothing). What the person stresses and the post does not ask is
//! what they bring besides. Facets the post plays down (negative weights) are not demands.

use std::collections::BTreeMap;

use crate::domain::crafting::FacetKey;
use crate::domain::facet::Facet;

/// How much more a core facet counts than another of the same weight.
pub const CORE_FACTOR: f64 = 2.0;
/// A held weight this close to the asked one meets it (weights are given to two decimals).
const EPSILON: f64 = 1e-9;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fit {
    Met,
    Weaker,
    Missing,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FacetReadiness {
    pub key: FacetKey,
    /// What the post asks (its formal weight, > 0).
    pub asked: f64,
    /// What the person's crafted job gives it (> 0), if anything.
    pub held: Option<f64>,
    pub core: bool,
    pub fit: Fit,
    /// held / asked, at most 1.
    pub share: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Readiness {
    /// In [0, 1]: Σ share × asked × (2 if core) / Σ asked × (2 if core).
    pub score: f64,
    /// The same over core facets only; `None` when the post has none.
    pub core_score: Option<f64>,
    /// The same over the other facets; `None` when the post has none.
    pub other_score: Option<f64>,
    /// The demands, core first, then by what the post asks, most first.
    pub facets: Vec<FacetReadiness>,
    /// What the person stresses that the post does not ask, strongest first.
    pub extra: Vec<(FacetKey, f64)>,
}

/// Readiness of a crafted job (`held`: weights by facet) for a post's formal facets.
pub fn readiness(target: &[Facet], held: &BTreeMap<FacetKey, f64>) -> Readiness {
    let mut found = score(target, |key| held.get(key).copied());
    found.extra = held
        .iter()
        .filter(|(key, weight)| **weight > 0.0 && !found.facets.iter().any(|f| &f.key == *key))
        .map(|(key, weight)| (key.clone(), *weight))
        .collect();
    found.extra.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    found
}

/// What a post asks of one facet: a positive formal weight.
#[derive(Debug, Clone, PartialEq)]
pub struct Demand {
    pub key: FacetKey,
    pub asked: f64,
    pub core: bool,
}

/// The post's demands, core first, then by what it asks, most first.
pub fn demands(target: &[Facet]) -> Vec<Demand> {
    let mut demands: Vec<Demand> = target
        .iter()
        .filter(|f| f.weight > 0.0)
        .map(|f| Demand { key: (f.dimension, f.key.clone()), asked: f.weight, core: f.core })
        .collect();
    demands.sort_by(|a, b| {
        b.core.cmp(&a.core).then(b.asked.total_cmp(&a.asked)).then(a.key.cmp(&b.key))
    });
    demands
}

/// What meeting a demand counts for in the score.
fn importance(demand: &Demand) -> f64 {
    demand.asked * if demand.core { CORE_FACTOR } else { 1.0 }
}

/// held / asked, at most 1; 0 for nothing held.
fn share(demand: &Demand, held: Option<f64>) -> f64 {
    held.filter(|w| *w > 0.0).map_or(0.0, |h| (h / demand.asked).min(1.0))
}

/// The score alone, `held(i)` being the weight held for `demands[i]`: the same sum as
/// `score`'s, without allocating, for ranking many people.
pub fn quick_score(demands: &[Demand], held: impl Fn(usize) -> Option<f64>) -> f64 {
    let (mut met, mut asked) = (0.0, 0.0);
    for (i, demand) in demands.iter().enumerate() {
        met += share(demand, held(i)) * importance(demand);
        asked += importance(demand);
    }
    if asked > 0.0 {
        met / asked
    } else {
        1.0
    }
}

/// Readiness without `extra`, reading the crafted job through `held`.
pub fn score(target: &[Facet], held: impl Fn(&FacetKey) -> Option<f64>) -> Readiness {
    let facets: Vec<FacetReadiness> = demands(target)
        .into_iter()
        .map(|d| {
            let held = held(&d.key).filter(|w| *w > 0.0);
            let fit = match held {
                Some(h) if h + EPSILON >= d.asked => Fit::Met,
                Some(_) => Fit::Weaker,
                None => Fit::Missing,
            };
            FacetReadiness {
                share: share(&d, held),
                key: d.key,
                asked: d.asked,
                held,
                core: d.core,
                fit,
            }
        })
        .collect();
    let part = |only: fn(&FacetReadiness) -> bool| {
        let chosen: Vec<&FacetReadiness> = facets.iter().filter(|f| only(f)).collect();
        let as_demands: Vec<Demand> = chosen
            .iter()
            .map(|f| Demand { key: f.key.clone(), asked: f.asked, core: f.core })
            .collect();
        (!chosen.is_empty()).then(|| quick_score(&as_demands, |i| chosen[i].held))
    };
    Readiness {
        score: part(|_| true).unwrap_or(1.0),
        core_score: part(|f| f.core),
        other_score: part(|f| !f.core),
        facets,
        extra: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::facet::Dimension;

    fn facet(dimension: Dimension, key: &str, weight: f64, core: bool) -> Facet {
        Facet { dimension, key: key.into(), weight, note: None, core, floor: None }
    }

    fn held(pairs: &[(Dimension, &str, f64)]) -> BTreeMap<FacetKey, f64> {
        pairs.iter().map(|(d, k, w)| ((*d, (*k).to_owned()), *w)).collect()
    }

    #[test]
    fn met_weaker_missing_and_extra_with_core_facets_counting_twice() {
        let post = [
            facet(Dimension::Task, "client_calls", 0.8, true),
            facet(Dimension::Task, "supplier_review", 0.6, false),
            facet(Dimension::Priority, "growth", 0.4, false),
            facet(Dimension::Task, "cold_calls", -0.5, false),
        ];
        let person = held(&[
            (Dimension::Task, "client_calls", 0.4),
            (Dimension::Priority, "growth", 0.9),
            (Dimension::Task, "cold_calls", 0.9),
            (Dimension::Cognitive, "mentor", 0.7),
        ]);
        let r = readiness(&post, &person);
        let fits: Vec<(&str, Fit)> = r.facets.iter().map(|f| (f.key.1.as_str(), f.fit)).collect();
        assert_eq!(
            fits,
            vec![
                ("client_calls", Fit::Weaker),
                ("supplier_review", Fit::Missing),
                ("growth", Fit::Met)
            ]
        );
        // (0.5 × 0.8 × 2 + 0 × 0.6 + 1 × 0.4) / (1.6 + 0.6 + 0.4) = 1.2 / 2.6
        assert!((r.score - 1.2 / 2.6).abs() < 1e-12, "{}", r.score);
        assert_eq!(r.core_score, Some(0.5));
        assert!((r.other_score.unwrap() - 0.4).abs() < 1e-12);
        // The post plays cold calls down: not a demand, so what the person stresses is extra.
        let extra: Vec<&str> = r.extra.iter().map(|(k, _)| k.1.as_str()).collect();
        assert_eq!(extra, vec!["cold_calls", "mentor"]);
    }

    #[test]
    fn a_post_that_asks_nothing_is_met_and_nothing_held_meets_nothing() {
        assert_eq!(readiness(&[], &BTreeMap::new()).score, 1.0);
        let post = [facet(Dimension::Task, "audits", 0.5, true)];
        let r = readiness(&post, &BTreeMap::new());
        assert_eq!((r.score, r.core_score, r.other_score), (0.0, Some(0.0), None));
        let exact = readiness(&post, &held(&[(Dimension::Task, "audits", 0.5)]));
        assert_eq!(exact.facets[0].fit, Fit::Met);
        assert_eq!(exact.score, 1.0);
    }
}
