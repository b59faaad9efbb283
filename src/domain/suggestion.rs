//! Suggestions: which salesperson should cover which stakeholder of an account. Each covered
//! pair earns the stakeholder's influence × (the tenant's coverage base + the rest × the
//! pair's fit): covering an influential person is worth something before any facet matches,
//! and a good fit is worth more. A pair a negative relationship ties (someone `blocks` the
//! other) counts in the fit against them, and keeps only 1 − its strength of its worth. The
//! assignment maximising the total under
//! capacities, coverers per stakeholder, locks and exclusions is found exactly.
//!
//! Over 400 lines with its tests; the code alone is about 400: scoring every pair and reading
//! the solver's answer back are one step.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use uuid::Uuid;

use crate::domain::account::Link;
use crate::domain::assignment::{solve, AssignmentError, Problem};
use crate::domain::coverage::{NewRelationship, RelationshipKind};
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
    /// What covering a stakeholder is worth before any fit, as a share of their influence
    /// (`CoverageSettings::coverage_base`), 0 to 1.
    pub coverage_base: f64,
    /// What ties a salesperson to a stakeholder now, -1 to 1 (see `ties`).
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
    /// influence × coverage base: what covering them is worth before any fit (see
    /// `pair_value` for a negative relationship).
    pub coverage_value: f64,
    /// influence × (1 − coverage base) × fit: what the fit adds.
    pub fit_value: f64,
    /// coverage_value + fit_value: what the pair adds to the objective.
    pub score: f64,
    pub locked: bool,
    pub covering_now: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UncoveredReason {
    /// No salesperson is eligible for them (none at all, or every pair excluded).
    NoEligibleSalesperson,
    /// No other eligible salesperson would add anything by covering them (no fit and a
    /// coverage base of 0, or a relationship of a negative kind at full strength).
    EveryFitZero,
    /// Salespeople who would add something have no capacity left for them in the optimum.
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

/// What already ties each salesperson to the account's stakeholders, from -1 to 1: the
/// strongest of their coverage links' and positive relationships' strengths, less the
/// strongest relationship of a `negative` kind (`blocks`, say) between them — a relationship
/// ties both ways, whoever blocks whom. Also which pairs cover now.
pub fn ties(
    links: &[Link],
    relationships: &[&NewRelationship],
    negative: &[RelationshipKind],
    in_account: &HashSet<Uuid>,
) -> (HashMap<Ids, f64>, HashSet<Ids>) {
    // (strongest positive, strongest negative) per pair.
    let mut parts: HashMap<Ids, (f64, f64)> = HashMap::new();
    let mut covering: HashSet<Ids> = HashSet::new();
    for link in links.iter().filter(|l| in_account.contains(&l.stakeholder_id)) {
        let pair = (link.salesperson_id, link.stakeholder_id);
        covering.insert(pair);
        let part = parts.entry(pair).or_default();
        part.0 = part.0.max(link.strength);
    }
    for r in relationships {
        for (a, b) in [(r.from_person_id, r.to_person_id), (r.to_person_id, r.from_person_id)] {
            if in_account.contains(&b) {
                let part = parts.entry((a, b)).or_default();
                if negative.contains(&r.kind) {
                    part.1 = part.1.max(r.strength);
                } else {
                    part.0 = part.0.max(r.strength);
                }
            }
        }
    }
    let ties = parts.into_iter().map(|(pair, (plus, minus))| (pair, plus - minus)).collect();
    (ties, covering)
}

/// What a covered pair earns: (coverage value, fit value) — influence × the coverage base, and
/// influence × the rest × fit — both scaled by 1 + `tie` when a negative relationship outweighs
/// what ties them (`tie` < 0): a stakeholder who blocks a salesperson at 0.9 leaves a tenth of
/// the pair's worth, so someone else covers them unless nobody else can.
pub fn pair_value(influence: f64, fit: f64, tie: f64, coverage_base: f64) -> (f64, f64) {
    let base = coverage_base.clamp(0.0, 1.0);
    let kept = 1.0 + tie.clamp(-1.0, 0.0);
    (influence * base * kept, influence * (1.0 - base) * fit * kept)
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
    // Where each stakeholder's pairs start in `weights` (they follow in salesperson order), so
    // a pair's weight is found without a map of every pair.
    let mut starts = Vec::with_capacity(request.stakeholders.len() + 1);
    let mut eligible = vec![false; request.stakeholders.len()];
    // Pairs worth something, per stakeholder, and what today's coverage is worth.
    let mut worth_something = vec![0u32; request.stakeholders.len()];
    let mut current_objective = 0.0;
    for (t, stakeholder) in request.stakeholders.iter().enumerate() {
        starts.push(weights.len());
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
            let fit = scorer.fit(s, t, tie.0, tie.1);
            let (coverage, fit) =
                pair_value(stakeholder.influence, fit, tie.0, request.coverage_base);
            let weight = coverage + fit;
            weights.push((s, t, weight));
            if weight > 0.0 {
                worth_something[t] += 1;
            }
            if tie.1 {
                current_objective += weight;
            }
        }
    }
    starts.push(weights.len());
    let fit_time = started.elapsed();

    let solving = Instant::now();
    let problem = Problem {
        capacities: request.salespeople.iter().map(|s| s.capacity).collect(),
        demands: request.stakeholders.iter().map(|s| s.coverers).collect(),
        pairs: weights,
        locked,
    };
    let assignment = solve(&problem).map_err(|e| locks_error(e, request))?;
    let solve_time = solving.elapsed();
    let weight = |s: usize, t: usize| {
        let theirs = &problem.pairs[starts[t]..starts[t + 1]];
        theirs.binary_search_by_key(&s, |(s, _, _)| *s).map_or(0.0, |i| theirs[i].2)
    };

    let mut pairs = Vec::with_capacity(assignment.pairs.len());
    let mut coverers = vec![0u32; request.stakeholders.len()];
    for (s, t) in &assignment.pairs {
        let (salesperson, stakeholder) = (&request.salespeople[*s], &request.stakeholders[*t]);
        coverers[*t] += 1;
        let fit = pair_fit(request, salesperson, stakeholder);
        let key = (salesperson.person_id, stakeholder.person_id);
        let tie = request.ties.get(&key).copied().unwrap_or(0.0);
        let (coverage_value, fit_value) =
            pair_value(stakeholder.influence, fit.fit, tie, request.coverage_base);
        pairs.push(Pair {
            salesperson_id: salesperson.person_id,
            stakeholder_id: stakeholder.person_id,
            influence: stakeholder.influence,
            coverage_value,
            fit_value,
            score: coverage_value + fit_value,
            fit,
            locked: problem.locked.contains(&(*s, *t)),
            covering_now: request.covering.contains(&key),
        });
    }
    pairs.sort_by(|a, b| b.score.total_cmp(&a.score));

    // Salespeople not chosen for a stakeholder who would add something by covering them: if
    // there are any, their capacity went to stakeholders worth more; if none, nobody else
    // would add anything (a locked pair that adds nothing is chosen, but adds nothing).
    let mut would_add = worth_something;
    for (s, t) in &assignment.pairs {
        if weight(*s, *t) > 0.0 {
            would_add[*t] -= 1;
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
            } else if would_add[t] == 0 {
                UncoveredReason::EveryFitZero
            } else {
                UncoveredReason::NoCapacity
            },
        })
        .collect();
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
            (Some(relationship.clamp(-1.0, 1.0)), w.relationship),
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
            coverage_base: 0.25,
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
            coverage_base: 0.25,
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

    fn person(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    fn stakeholder(n: u128, influence: f64, facets: Vec<Facet>, coverers: u32) -> Stakeholder {
        Stakeholder {
            person_id: person(n),
            influence,
            facets,
            client: Profile::default(),
            coverers,
        }
    }

    fn salesperson(n: u128, facets: Vec<Facet>, capacity: u32) -> Salesperson {
        Salesperson { person_id: person(n), facets, unit: Profile::default(), capacity }
    }

    fn relationship(
        from: u128,
        to: u128,
        kind: RelationshipKind,
        strength: f64,
    ) -> NewRelationship {
        NewRelationship {
            from_person_id: person(from),
            to_person_id: person(to),
            kind,
            strength,
            valid_from: None,
            valid_until: None,
            notes: None,
        }
    }

    struct Case {
        stakeholders: Vec<Stakeholder>,
        salespeople: Vec<Salesperson>,
        relationships: Vec<NewRelationship>,
        locked: Vec<(Uuid, Uuid)>,
        coverage_base: f64,
    }

    fn run(case: &Case) -> Suggestion {
        let in_account: HashSet<Uuid> = case.stakeholders.iter().map(|s| s.person_id).collect();
        let relationships: Vec<&NewRelationship> = case.relationships.iter().collect();
        let (ties, covering) = ties(&[], &relationships, &[RelationshipKind::Blocks], &in_account);
        suggest(&Request {
            stakeholders: &case.stakeholders,
            salespeople: &case.salespeople,
            affinities: &[],
            weights: FitWeights::default(),
            coverage_base: case.coverage_base,
            ties: &ties,
            covering: &covering,
            locked: &case.locked,
            excluded: &HashSet::new(),
        })
        .unwrap()
    }

    /// X (influence 0.8) wants price; A brings it fully, B half; each can cover one.
    fn price_case(relationships: Vec<NewRelationship>) -> Case {
        let wants_price = vec![facet(Dimension::DecisionCriterion, "price", 1.0)];
        Case {
            stakeholders: vec![stakeholder(1, 0.8, wants_price, 1)],
            salespeople: vec![
                salesperson(10, vec![facet(Dimension::Priority, "price", 1.0)], 1),
                salesperson(11, vec![facet(Dimension::Priority, "price", 0.5)], 1),
            ],
            relationships,
            locked: Vec::new(),
            coverage_base: 0.25,
        }
    }

    #[test]
    fn a_blocker_counts_against_the_pair_and_keeps_little_of_its_worth() {
        let in_account = HashSet::from([person(1)]);
        let blocks = relationship(1, 10, RelationshipKind::Blocks, 0.9);
        let (tie, _) = ties(&[], &[&blocks], &[RelationshipKind::Blocks], &in_account);
        assert_eq!(tie[&(person(10), person(1))], -0.9, "X blocks A: against the pair");

        let suggestion = run(&price_case(vec![blocks.clone()]));
        assert_eq!(suggestion.pairs.len(), 1);
        assert_eq!(suggestion.pairs[0].salesperson_id, person(11), "B, not the blocked A");
        // Even a B who fits not at all is worth more than the blocked A.
        let mut unfit = price_case(vec![relationship(1, 10, RelationshipKind::Blocks, 0.9)]);
        unfit.salespeople[1].facets.clear();
        assert_eq!(run(&unfit).pairs[0].salesperson_id, person(11));
        // Locked onto A, the pair is explained honestly: a negative relationship, a tenth kept.
        let locked =
            run(&Case { locked: vec![(person(10), person(1))], ..price_case(vec![blocks]) });
        let pair = &locked.pairs[0];
        assert_eq!(pair.fit.relationship, -0.9);
        assert!((pair.coverage_value - 0.8 * 0.25 * 0.1).abs() < 1e-12, "a tenth is left");
        assert!((pair.score - pair.coverage_value - pair.fit_value).abs() < 1e-12);
        // An ally at the same strength counts for the pair.
        let allied = relationship(1, 10, RelationshipKind::AlliesWith, 0.9);
        let suggestion = run(&price_case(vec![allied]));
        assert_eq!(suggestion.pairs[0].salesperson_id, person(10));
        assert_eq!(suggestion.pairs[0].fit.relationship, 0.9);
    }

    #[test]
    fn an_influential_stakeholder_nobody_fits_is_still_worth_covering() {
        let case = Case {
            stakeholders: vec![stakeholder(1, 0.6, Vec::new(), 1)],
            salespeople: vec![salesperson(10, Vec::new(), 5)],
            relationships: Vec::new(),
            locked: Vec::new(),
            coverage_base: 0.25,
        };
        let suggestion = run(&case);
        assert_eq!(suggestion.pairs.len(), 1);
        let pair = &suggestion.pairs[0];
        assert_eq!(pair.fit.fit, 0.0);
        assert!((pair.coverage_value - 0.6 * 0.25).abs() < 1e-12);
        assert_eq!(pair.fit_value, 0.0);
        // A base of 0 values fit alone: nothing to gain, nobody suggested.
        let unvalued = run(&Case { coverage_base: 0.0, ..case });
        assert!(unvalued.pairs.is_empty());
        assert_eq!(unvalued.uncovered[0].reason, UncoveredReason::EveryFitZero);
    }

    #[test]
    fn a_locked_pair_that_adds_nothing_does_not_hide_a_lack_of_capacity() {
        // X allies with B at 0.6; B has no capacity; A–X is locked; X wants two coverers.
        let case = Case {
            stakeholders: vec![stakeholder(1, 0.5, Vec::new(), 2)],
            salespeople: vec![salesperson(10, Vec::new(), 1), salesperson(11, Vec::new(), 0)],
            relationships: vec![relationship(1, 11, RelationshipKind::AlliesWith, 0.6)],
            locked: vec![(person(10), person(1))],
            coverage_base: 0.0,
        };
        let suggestion = run(&case);
        assert_eq!(suggestion.pairs.len(), 1);
        assert_eq!(suggestion.uncovered[0].missing_coverers, 1);
        assert_eq!(suggestion.uncovered[0].reason, UncoveredReason::NoCapacity);
    }

    /// The optimum of the new objective, by trying every set of pairs.
    fn brute_force(case: &Case) -> f64 {
        let in_account: HashSet<Uuid> = case.stakeholders.iter().map(|s| s.person_id).collect();
        let relationships: Vec<&NewRelationship> = case.relationships.iter().collect();
        let (ties, _) = ties(&[], &relationships, &[RelationshipKind::Blocks], &in_account);
        let mut pairs = Vec::new();
        for (s, sp) in case.salespeople.iter().enumerate() {
            for (t, st) in case.stakeholders.iter().enumerate() {
                let tie = ties.get(&(sp.person_id, st.person_id)).copied().unwrap_or(0.0);
                let explained = fit(
                    &FitInput {
                        salesperson: &sp.facets,
                        stakeholder: &st.facets,
                        affinities: &[],
                        unit: &sp.unit,
                        client: &st.client,
                        relationship: tie,
                        covering: false,
                    },
                    &FitWeights::default(),
                );
                let (c, f) = pair_value(st.influence, explained.fit, tie, case.coverage_base);
                let locked = case.locked.contains(&(sp.person_id, st.person_id));
                pairs.push((s, t, c + f, locked));
            }
        }
        let mut best = f64::NEG_INFINITY;
        for mask in 0u32..(1 << pairs.len()) {
            let chosen: Vec<_> = (0..pairs.len()).filter(|i| mask & (1 << i) != 0).collect();
            if pairs.iter().enumerate().any(|(i, p)| p.3 && !chosen.contains(&i)) {
                continue;
            }
            let fits = case.salespeople.iter().enumerate().all(|(s, sp)| {
                chosen.iter().filter(|i| pairs[**i].0 == s).count() as u32 <= sp.capacity
            }) && case.stakeholders.iter().enumerate().all(|(t, st)| {
                chosen.iter().filter(|i| pairs[**i].1 == t).count() as u32 <= st.coverers
            });
            if fits {
                best = best.max(chosen.iter().map(|i| pairs[*i].2).sum());
            }
        }
        best
    }

    #[test]
    fn the_valued_objective_is_optimal_against_brute_force() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(16);
        let keys = ["price", "quality", "speed"];
        let kinds =
            [RelationshipKind::AlliesWith, RelationshipKind::Blocks, RelationshipKind::Advises];
        for round in 0..200 {
            let facets = |rng: &mut rand::rngs::StdRng, dimension: Dimension| -> Vec<Facet> {
                (0..rng.gen_range(0..3))
                    .map(|_| facet(dimension, keys[rng.gen_range(0..3)], rng.gen_range(0.1..1.0)))
                    .collect()
            };
            let stakeholders: Vec<Stakeholder> = (0..rng.gen_range(1..4))
                .map(|t| {
                    let wants = facets(&mut rng, Dimension::DecisionCriterion);
                    stakeholder(t, rng.gen_range(0.0..1.0), wants, rng.gen_range(0..3))
                })
                .collect();
            let salespeople: Vec<Salesperson> = (0..rng.gen_range(1..4))
                .map(|s| {
                    let brings = facets(&mut rng, Dimension::Priority);
                    salesperson(100 + s, brings, rng.gen_range(0..3))
                })
                .collect();
            let relationships = (0..rng.gen_range(0..4))
                .map(|_| {
                    let t = rng.gen_range(0..stakeholders.len()) as u128;
                    let s = 100 + rng.gen_range(0..salespeople.len()) as u128;
                    relationship(t, s, kinds[rng.gen_range(0..3)], rng.gen_range(0.0..1.0))
                })
                .collect();
            let case = Case {
                stakeholders,
                salespeople,
                relationships,
                locked: Vec::new(),
                coverage_base: [0.0, 0.25, 1.0][round % 3],
            };
            let suggestion = run(&case);
            let expected = brute_force(&case);
            assert!(
                (suggestion.objective - expected).abs() < 1e-9,
                "round {round}: {} against {expected}",
                suggestion.objective
            );
            let scored: f64 = suggestion.pairs.iter().map(|p| p.score).sum();
            assert!((scored - suggestion.objective).abs() < 1e-9, "round {round}");
        }
    }
}
