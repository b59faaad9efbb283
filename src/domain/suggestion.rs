//! Suggestions: which salesperson should cover which stakeholder of an account. Each pair's
//! weight is the stakeholder's influence × the pair's fit; the assignment maximising the total
//! weight under capacities, coverers per stakeholder, locks and exclusions is found exactly.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use uuid::Uuid;

use crate::domain::assignment::{solve, AssignmentError, Problem};
use crate::domain::facet::Facet;
use crate::domain::fit::{fit, Affinity, Fit, FitInput, FitWeights};
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
    /// Every eligible salesperson fits them not at all.
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
    let mut weights = Vec::with_capacity(request.salespeople.len() * request.stakeholders.len());
    let mut eligible = vec![false; request.stakeholders.len()];
    for (t, stakeholder) in request.stakeholders.iter().enumerate() {
        for (s, salesperson) in request.salespeople.iter().enumerate() {
            let key = (salesperson.person_id, stakeholder.person_id);
            if request.excluded.contains(&key) {
                continue;
            }
            eligible[t] = true;
            let value = pair_fit(request, salesperson, stakeholder).fit;
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

    let positive: HashSet<usize> =
        weights.iter().filter(|(_, _, w)| *w > 0.0).map(|(_, t, _)| *t).collect();
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
            } else if !positive.contains(&t) {
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
