//! Suggestions: which salesperson should cover which stakeholder of an account. Each pair's
//! weight is the stakeholder's influence × the pair's fit; the assignment maximising the total
//! weight under capacities, coverers per stakeholder, locks and exclusions is found exactly.
//!
//! Over 400 lines with its tests; the code alone is about 400: scoring every pair and reading
//! the solver's answer back are one step.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use uuid::Uuid;

use crate::domain::account::Link;
use crate::domain::assignment::{solve, AssignmentError, Problem};
use crate::domain::coverage::NewRelationship;
use crate::domain::facet::Dimension;
use crate::domain::facet::Facet;
use crate::domain::fit::{
    brings, combine, fit, partner_fit, wants, Affinity, Fit, FitInput, FitWeights,
};
use crate::domain::organization::Profile;
use crate::error::{Error, FieldError};

pub struct Stakeholder {
    pub person_id: Uuid,
    pub influence: f64,
    /// The stakeholder's effective crafted job.
    pub facets: Vec<Facet>,
    /// The profile of the client organization they work in.
    pub client: Profile,
    /// How many salespeople should cover them.
    pub coverers: u32,
}

pub struct Salesperson {
    pub person_id: Uuid,
    pub facets: Vec<Facet>,
    /// The profile of their own organization unit.
    pub unit: Profile,
    /// Stakeholders they can still take in this account (capacity minus load elsewhere).
    pub capacity: u32,
}

pub struct Request<'a> {
    pub stakeholders: &'a [Stakeholder],
    pub salespeople: &'a [Salesperson],
    pub affinities: &'a [Affinity],
    pub weights: FitWeights,
    /// Strength of what ties a salesperson to a stakeholder now: coverage or relationship.
    pub ties: &'a HashMap<(Uuid, Uuid), f64>,
    /// Pairs `(salesperson, stakeholder)` covered now.
    pub covering: &'a HashSet<(Uuid, Uuid)>,
    pub locked: &'a [(Uuid, Uuid)],
    pub excluded: &'a HashSet<(Uuid, Uuid)>,
}

#[derive(Debug, Clone)]
pub struct Pair {
    pub salesperson_id: Uuid,
    pub stakeholder_id: Uuid,
    pub influence: f64,
    pub fit: Fit,
    /// influence × fit: what the pair adds to the objective.
    pub score: f64,
    pub locked: bool,
    pub covering_now: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UncoveredReason {
    /// No salesperson is eligible for them (none at all, or every pair excluded).
    NoEligibleSalesperson,
    /// No other eligible salesperson fits them at all.
    EveryFitZero,
    /// Salespeople who fit them have no capacity left for them in the optimum.
    NoCapacity,
}

#[derive(Debug, Clone)]
pub struct Uncovered {
    pub stakeholder_id: Uuid,
    pub missing_coverers: u32,
    pub reason: UncoveredReason,
}

#[derive(Debug, Clone)]
pub struct Suggestion {
    pub pairs: Vec<Pair>,
    pub uncovered: Vec<Uncovered>,
    pub objective: f64,
    /// The objective of today's coverage (pairs covered now between these people).
    pub current_objective: f64,
    pub fit_time: Duration,
    pub solve_time: Duration,
}

/// A (salesperson, stakeholder) pair of ids.
type Ids = (Uuid, Uuid);

/// What already ties each salesperson to the account's stakeholders: the strongest of their
/// coverage links' and their relationships' strengths (a relationship ties both ways), and
/// which pairs cover now.
pub fn ties(
    links: &[Link],
    relationships: &[&NewRelationship],
    in_account: &HashSet<Uuid>,
) -> (HashMap<Ids, f64>, HashSet<Ids>) {
    let mut ties: HashMap<Ids, f64> = HashMap::new();
    let mut covering: HashSet<Ids> = HashSet::new();
    for link in links.iter().filter(|l| in_account.contains(&l.stakeholder_id)) {
        let pair = (link.salesperson_id, link.stakeholder_id);
        covering.insert(pair);
        let tie = ties.entry(pair).or_default();
        *tie = tie.max(link.strength);
    }
    for r in relationships {
        for (a, b) in [(r.from_person_id, r.to_person_id), (r.to_person_id, r.from_person_id)] {
            if in_account.contains(&b) {
                let tie = ties.entry((a, b)).or_default();
                *tie = tie.max(r.strength);
            }
        }
    }
    (ties, covering)
}

pub fn suggest(request: &Request) -> Result<Suggestion, Error> {
    let started = Instant::now();
    let salesperson_index: HashMap<Uuid, usize> =
        request.salespeople.iter().enumerate().map(|(i, s)| (s.person_id, i)).collect();
    let stakeholder_index: HashMap<Uuid, usize> =
        request.stakeholders.iter().enumerate().map(|(i, s)| (s.person_id, i)).collect();
    let locked: Vec<(usize, usize)> = request
        .locked
        .iter()
        .filter_map(|(s, t)| Some((*salesperson_index.get(s)?, *stakeholder_index.get(t)?)))
        .collect();

    // Fit of every allowed pair; only the value is kept here, explanations are redone for
    // the chosen pairs.
    let scorer = Scorer::new(request);
    let mut ties: Vec<Vec<(usize, f64, bool)>> = vec![Vec::new(); request.stakeholders.len()];
    for (pair, tie) in request.ties {
        if let (Some(s), Some(t)) = (salesperson_index.get(&pair.0), stakeholder_index.get(&pair.1))
        {
            ties[*t].push((*s, *tie, request.covering.contains(pair)));
        }
    }
    for pair in request.covering {
        if let (Some(s), Some(t)) = (salesperson_index.get(&pair.0), stakeholder_index.get(&pair.1))
        {
            if !request.ties.contains_key(pair) {
                ties[*t].push((*s, 0.0, true));
            }
        }
    }
    let mut weights = Vec::with_capacity(request.salespeople.len() * request.stakeholders.len());
    let mut eligible = vec![false; request.stakeholders.len()];
    for (t, stakeholder) in request.stakeholders.iter().enumerate() {
        ties[t].sort_by_key(|(s, _, _)| *s);
        let mut next_tie = ties[t].iter().peekable();
        for (s, salesperson) in request.salespeople.iter().enumerate() {
            let mut tie = (0.0, false);
            while let Some((ts, strength, covering)) = next_tie.peek() {
                if *ts > s {
                    break;
                }
                if *ts == s {
                    tie = (*strength, *covering);
                }
                next_tie.next();
            }
            if !request.excluded.is_empty()
                && request.excluded.contains(&(salesperson.person_id, stakeholder.person_id))
            {
                continue;
            }
            eligible[t] = true;
            let value = scorer.fit(s, t, tie.0, tie.1);
            weights.push((s, t, stakeholder.influence * value));
        }
    }
    let fit_time = started.elapsed();

    let solving = Instant::now();
    let problem = Problem {
        capacities: request.salespeople.iter().map(|s| s.capacity).collect(),
        demands: request.stakeholders.iter().map(|s| s.coverers).collect(),
        pairs: weights.clone(),
        locked,
    };
    let assignment = solve(&problem).map_err(|e| locks_error(e, request))?;
    let solve_time = solving.elapsed();

    let mut pairs = Vec::with_capacity(assignment.pairs.len());
    let mut coverers = vec![0u32; request.stakeholders.len()];
    for (s, t) in &assignment.pairs {
        let (salesperson, stakeholder) = (&request.salespeople[*s], &request.stakeholders[*t]);
        coverers[*t] += 1;
        let fit = pair_fit(request, salesperson, stakeholder);
        let key = (salesperson.person_id, stakeholder.person_id);
        pairs.push(Pair {
            salesperson_id: salesperson.person_id,
            stakeholder_id: stakeholder.person_id,
            influence: stakeholder.influence,
            score: stakeholder.influence * fit.fit,
            fit,
            locked: problem.locked.contains(&(*s, *t)),
            covering_now: request.covering.contains(&key),
        });
    }
    pairs.sort_by(|a, b| b.score.total_cmp(&a.score));

    // Salespeople who fit each stakeholder at all: when all of them already cover it, the rest
    // fit it not at all; otherwise capacity went to stakeholders worth more.
    let mut fitting = vec![0u32; request.stakeholders.len()];
    for (_, t, w) in &weights {
        if *w > 0.0 {
            fitting[*t] += 1;
        }
    }
    let uncovered = request
        .stakeholders
        .iter()
        .enumerate()
        .filter(|(t, s)| coverers[*t] < s.coverers)
        .map(|(t, s)| Uncovered {
            stakeholder_id: s.person_id,
            missing_coverers: s.coverers - coverers[t],
            reason: if !eligible[t] {
                UncoveredReason::NoEligibleSalesperson
            } else if fitting[t] <= coverers[t] {
                UncoveredReason::EveryFitZero
            } else {
                UncoveredReason::NoCapacity
            },
        })
        .collect();
    let weight_of: HashMap<(usize, usize), f64> =
        weights.iter().map(|(s, t, w)| ((*s, *t), *w)).collect();
    let current_objective = request
        .covering
        .iter()
        .filter_map(|(s, t)| Some((*salesperson_index.get(s)?, *stakeholder_index.get(t)?)))
        .map(|pair| weight_of.get(&pair).copied().unwrap_or(0.0))
        .sum();
    Ok(Suggestion {
        pairs,
        uncovered,
        objective: assignment.objective,
        current_objective,
        fit_time,
        solve_time,
    })
}

/// Scores pairs without allocating: the keys stakeholders want are interned, and each
/// salesperson's best offer per wanted key, and each stakeholder's partner fit per distinct unit,
/// are computed once; a pair then costs a few array reads. Equals `fit(..).fit` (tested).
struct Scorer {
    weights: FitWeights,
    /// Per stakeholder: (wanted key index, weight) and the total weight.
    wants: Vec<(Vec<(usize, f64)>, f64)>,
    /// Per salesperson: the value of their best offer for each wanted key.
    offers: Vec<Vec<f64>>,
    /// Per stakeholder: partner fit for each distinct unit.
    partner: Vec<Vec<Option<f64>>>,
    /// Per salesperson: the index of their unit among the distinct ones.
    unit_of: Vec<usize>,
}

impl Scorer {
    fn new(request: &Request) -> Self {
        let mut keys: HashMap<(Dimension, &str), usize> = HashMap::new();
        let mut wanted_keys: Vec<(Dimension, &str)> = Vec::new();
        let wants = request
            .stakeholders
            .iter()
            .map(|t| {
                let list: Vec<(usize, f64)> = t
                    .facets
                    .iter()
                    .filter(|f| wants(f))
                    .map(|f| {
                        let key = (f.dimension, f.key.as_str());
                        let index = *keys.entry(key).or_insert_with(|| {
                            wanted_keys.push(key);
                            wanted_keys.len() - 1
                        });
                        (index, f.weight)
                    })
                    .collect();
                let total = list.iter().map(|(_, w)| w).sum();
                (list, total)
            })
            .collect();
        let offers = request
            .salespeople
            .iter()
            .map(|s| {
                wanted_keys
                    .iter()
                    .map(|(dimension, key)| {
                        s.facets
                            .iter()
                            .filter(|f| brings(f))
                            .map(|offer| {
                                let rule = if offer.key == *key {
                                    1.0
                                } else {
                                    request
                                        .affinities
                                        .iter()
                                        .filter(|a| {
                                            a.from.0 == offer.dimension
                                                && a.from.1 == offer.key
                                                && a.to.0 == *dimension
                                                && a.to.1 == *key
                                        })
                                        .map(|a| a.weight.clamp(0.0, 1.0))
                                        .fold(0.0, f64::max)
                                };
                                offer.weight.min(1.0) * rule
                            })
                            .fold(0.0, f64::max)
                    })
                    .collect()
            })
            .collect();
        let mut units: Vec<&Profile> = Vec::new();
        let unit_of = request
            .salespeople
            .iter()
            .map(|s| match units.iter().position(|u| **u == s.unit) {
                Some(i) => i,
                None => {
                    units.push(&s.unit);
                    units.len() - 1
                }
            })
            .collect();
        let partner = request
            .stakeholders
            .iter()
            .map(|t| units.iter().map(|u| partner_fit(&t.facets, u, &t.client).0).collect())
            .collect();
        Scorer { weights: request.weights, wants, offers, partner, unit_of }
    }

    fn fit(&self, s: usize, t: usize, relationship: f64, covering: bool) -> f64 {
        let (wants, total) = &self.wants[t];
        let alignment = (*total > 0.0).then(|| {
            let met: f64 = wants.iter().map(|(k, w)| w * self.offers[s][*k]).sum();
            (met / total).clamp(0.0, 1.0)
        });
        let partner = self.partner[t][self.unit_of[s]];
        let w = &self.weights;
        let parts = [
            (alignment, w.alignment),
            (partner, w.partner),
            (Some(relationship.clamp(0.0, 1.0)), w.relationship),
            (Some(if covering { 1.0 } else { 0.0 }), w.continuity),
        ];
        combine(&parts)
    }
}

fn pair_fit(request: &Request, salesperson: &Salesperson, stakeholder: &Stakeholder) -> Fit {
    let key = (salesperson.person_id, stakeholder.person_id);
    fit(
        &FitInput {
            salesperson: &salesperson.facets,
            stakeholder: &stakeholder.facets,
            affinities: request.affinities,
            unit: &salesperson.unit,
            client: &stakeholder.client,
            relationship: request.ties.get(&key).copied().unwrap_or(0.0),
            covering: request.covering.contains(&key),
        },
        &request.weights,
    )
}

/// Locks the capacities or coverer counts cannot hold: a 422 naming the pairs.
fn locks_error(error: AssignmentError, request: &Request) -> Error {
    let (pairs, detail) = match error {
        AssignmentError::LocksExceedCapacity(pairs) => {
            (pairs, "locked pairs need more capacity than the salesperson has")
        }
        AssignmentError::LocksExceedDemand(pairs) => {
            (pairs, "locked pairs give the stakeholder more coverers than asked for")
        }
    };
    let errors = pairs
        .iter()
        .filter_map(|(s, t)| {
            let key = (request.salespeople[*s].person_id, request.stakeholders[*t].person_id);
            let index = request.locked.iter().position(|l| *l == key)?;
            Some(FieldError::new(format!("/locked/{index}"), detail))
        })
        .collect();
    Error::Invalid(errors)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::facet::Dimension;

    fn facet(dimension: Dimension, key: &str, weight: f64) -> Facet {
        Facet { dimension, key: key.into(), weight, note: None, core: false, floor: None }
    }

    #[test]
    fn the_fast_scorer_equals_the_explained_fit() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(11);
        let keys = ["price", "quality", "carbon_footprint", "growth", "sustainability"];
        let dims = [Dimension::DecisionCriterion, Dimension::Priority, Dimension::Cognitive];
        let facets = |rng: &mut rand::rngs::StdRng| -> Vec<Facet> {
            let mut list: Vec<Facet> = Vec::new();
            for _ in 0..rng.gen_range(0..5) {
                let (d, k) = (dims[rng.gen_range(0..3)], keys[rng.gen_range(0..5)]);
                list.push(facet(d, k, rng.gen_range(-0.5..1.2)));
            }
            if rng.gen_bool(0.5) {
                list.push(facet(Dimension::PartnerPreference, "supplier_size_small", 0.6));
            }
            list
        };
        let profiles = [
            Profile { size_band: Some("sme".into()), ..Profile::default() },
            Profile { size_band: Some("enterprise".into()), ..Profile::default() },
        ];
        let stakeholders: Vec<Stakeholder> = (0..20)
            .map(|i| Stakeholder {
                person_id: Uuid::from_u128(i),
                influence: 0.05,
                facets: facets(&mut rng),
                client: Profile::default(),
                coverers: 1,
            })
            .collect();
        let salespeople: Vec<Salesperson> = (0..10)
            .map(|i| Salesperson {
                person_id: Uuid::from_u128(100 + i),
                facets: facets(&mut rng),
                unit: profiles[i as usize % 2].clone(),
                capacity: 3,
            })
            .collect();
        let affinities = vec![Affinity {
            from: (Dimension::Cognitive, "growth".into()),
            to: (Dimension::DecisionCriterion, "carbon_footprint".into()),
            weight: 0.7,
        }];
        let (ties, covering, excluded) = (HashMap::new(), HashSet::new(), HashSet::new());
        let request = Request {
            stakeholders: &stakeholders,
            salespeople: &salespeople,
            affinities: &affinities,
            weights: FitWeights::default(),
            ties: &ties,
            covering: &covering,
            locked: &[],
            excluded: &excluded,
        };
        let scorer = Scorer::new(&request);
        for (t, stakeholder) in stakeholders.iter().enumerate() {
            for (s, salesperson) in salespeople.iter().enumerate() {
                let (tie, covers) = (((s + t) % 3) as f64 / 3.0, (s + t) % 4 == 0);
                let explained = fit(
                    &FitInput {
                        salesperson: &salesperson.facets,
                        stakeholder: &stakeholder.facets,
                        affinities: &affinities,
                        unit: &salesperson.unit,
                        client: &stakeholder.client,
                        relationship: tie,
                        covering: covers,
                    },
                    &FitWeights::default(),
                );
                assert!((scorer.fit(s, t, tie, covers) - explained.fit).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn the_client_first_salesperson_gets_the_green_buyer_and_reasons_are_given() {
        let (green, plain) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let (client_first, commission_first) = (Uuid::from_u128(10), Uuid::from_u128(11));
        let stakeholders = vec![
            Stakeholder {
                person_id: green,
                influence: 0.7,
                facets: vec![facet(Dimension::DecisionCriterion, "carbon_footprint", 1.0)],
                client: Profile::default(),
                coverers: 1,
            },
            Stakeholder {
                person_id: plain,
                influence: 0.3,
                facets: vec![facet(Dimension::DecisionCriterion, "price", 1.0)],
                client: Profile::default(),
                coverers: 1,
            },
        ];
        let salespeople = vec![
            Salesperson {
                person_id: client_first,
                facets: vec![facet(Dimension::Priority, "carbon_footprint", 0.9)],
                unit: Profile::default(),
                capacity: 1,
            },
            Salesperson {
                person_id: commission_first,
                facets: vec![facet(Dimension::Priority, "price", 1.0)],
                unit: Profile::default(),
                capacity: 1,
            },
        ];
        let (ties, covering, excluded) = (HashMap::new(), HashSet::new(), HashSet::new());
        let request = Request {
            stakeholders: &stakeholders,
            salespeople: &salespeople,
            affinities: &[],
            weights: FitWeights::default(),
            ties: &ties,
            covering: &covering,
            locked: &[],
            excluded: &excluded,
        };
        let suggestion = suggest(&request).unwrap();
        let green_pair = suggestion.pairs.iter().find(|p| p.stakeholder_id == green).unwrap();
        assert_eq!(green_pair.salesperson_id, client_first);
        assert_eq!(green_pair.fit.contributions[0].stakeholder.1, "carbon_footprint");
        assert!(suggestion.uncovered.is_empty());
        assert!(suggestion.objective > suggestion.current_objective);
    }
}
