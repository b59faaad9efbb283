//! A team's crafting against what its accounts ask for.
//!
//! Demand is what stakeholders want (their positive decision criteria and priorities), each
//! weighed by the stakeholder's influence in their account: `influence × weight`, summed per
//! facet key. Each salesperson meets a key as well as their best facet for it does, read
//! through the alignment rules the suggestions use (`fit::meets_want`: same key, or an affinity
//! rule). The team meets it by the mean of its salespeople's values — the share of the team
//! that brings it, weighted by how strongly — so a key only one salesperson of nine brings is
//! mostly unmet, however well that one brings it: `met = demand × mean`, `unmet = demand −
//! met`. Training needs are the keys ranked by unmet demand; a need that comes from at least
//! half of the accounts (two or more) is one the whole team could embrace, any other one is for
//! the salespeople covering the stakeholders who want it.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use uuid::Uuid;

use crate::domain::crafting::FacetKey;
use crate::domain::facet::Dimension;
use crate::domain::facet::Facet;
use crate::domain::fit::{brings, meets_want, wants, Affinity};

/// How many of the stakeholders who want a key an answer lists, most demand first.
pub const TOP_STAKEHOLDERS: usize = 5;

/// A salesperson of the team and their crafted facets.
#[derive(Debug, Clone)]
pub struct Member {
    pub person_id: Uuid,
    pub facets: Vec<Facet>,
}

/// A stakeholder of an account in scope, with their influence there and their crafted facets.
#[derive(Debug, Clone)]
pub struct Stakeholder {
    pub account_id: Uuid,
    pub person_id: Uuid,
    /// Their share of the account's influence (sums to 1 over an account).
    pub influence: f64,
    /// Shared with the demand kept between requests (`store::account_demand`).
    pub facets: Arc<[Facet]>,
    /// The team's salespeople covering them.
    pub covered_by: Arc<[Uuid]>,
}

/// A salesperson who meets a key, and how well (`meets_want` of their best facet for it).
#[derive(Debug, Clone, PartialEq)]
pub struct Aligner {
    pub person_id: Uuid,
    pub value: f64,
    /// The facet of theirs that meets it.
    pub through: FacetKey,
}

/// One stakeholder's want of a key, as it counts in the demand.
#[derive(Debug, Clone, PartialEq)]
pub struct Want {
    pub account_id: Uuid,
    pub person_id: Uuid,
    pub influence: f64,
    pub weight: f64,
}

impl Want {
    pub fn demand(&self) -> f64 {
        self.influence * self.weight
    }
}

/// Who should develop a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Embrace {
    /// Demand from at least half of the accounts in scope: the whole team.
    Team,
    /// Demand from fewer accounts: the salespeople covering the stakeholders who want it.
    Individual,
}

/// The demand for one facet key and how the team meets it.
#[derive(Debug, Clone)]
pub struct KeyDemand {
    pub key: FacetKey,
    pub demand: f64,
    pub met: f64,
    /// The mean of the salespeople's values (0 for those who do not meet it).
    pub team: f64,
    /// The best aligner's value, 0 without one.
    pub best: f64,
    /// Accounts whose stakeholders want it.
    pub accounts: BTreeSet<Uuid>,
    /// How many stakeholders want it (a person in two accounts: twice).
    pub wanting: usize,
    /// The `TOP_STAKEHOLDERS` who want it most, most demand first.
    pub wants: Vec<Want>,
    /// The team's salespeople who meet it, best first.
    pub aligners: Vec<Aligner>,
    pub embrace: Embrace,
    /// Who should develop it: every salesperson not aligned (`Team`), or those covering a
    /// stakeholder who wants it and not aligned (`Individual`).
    pub develop: Vec<Uuid>,
}

impl KeyDemand {
    pub fn unmet(&self) -> f64 {
        (self.demand - self.met).max(0.0)
    }
}

/// A facet the team brings, with who holds it and how strongly.
#[derive(Debug, Clone)]
pub struct Strength {
    pub key: FacetKey,
    /// Holders, strongest first.
    pub holders: Vec<(Uuid, f64)>,
}

#[derive(Debug, Clone)]
pub struct TeamProfile {
    /// The team's salespeople.
    pub members: Vec<Uuid>,
    pub accounts: usize,
    pub stakeholders: usize,
    /// Influence-weighted demand over every key, and how much of it the team meets.
    pub demand: f64,
    pub met: f64,
    /// Every wanted key, most unmet demand first.
    pub keys: Vec<KeyDemand>,
    /// What the team brings, most holders first.
    pub strengths: Vec<Strength>,
}

impl TeamProfile {
    /// met / demand; `None` when nobody in scope wants anything.
    pub fn share_met(&self) -> Option<f64> {
        (self.demand > 0.0).then(|| (self.met / self.demand).clamp(0.0, 1.0))
    }

    /// Keys with unmet demand, most first.
    pub fn training_needs(&self) -> impl Iterator<Item = &KeyDemand> {
        self.keys.iter().filter(|k| k.unmet() > 1e-12)
    }

    /// Wanted keys only one salesperson meets: the team's single points of failure.
    pub fn single_points(&self) -> impl Iterator<Item = &KeyDemand> {
        self.keys.iter().filter(|k| k.aligners.len() == 1)
    }
}

/// The profile of `members` against the wants of `stakeholders`, from `accounts` accounts in
/// scope (some may have no stakeholders).
pub fn profile(
    members: &[Member],
    stakeholders: &[Stakeholder],
    accounts: usize,
    affinities: &[Affinity],
) -> TeamProfile {
    // Who wants each key, in the stakeholders' order: a stakeholder wants a key once, as
    // strongly as any of their posts does (their influence counts once). A want is the
    // stakeholder's index and the weight, the key borrowed: 100,000 stakeholders want about
    // 400,000 keys.
    let mut wanted: foldhash::HashMap<(Dimension, &str), Vec<(usize, f64)>> =
        foldhash::HashMap::default();
    let mut theirs: Vec<((Dimension, &str), f64)> = Vec::new();
    for (i, s) in stakeholders.iter().enumerate() {
        for facet in s.facets.iter().filter(|f| wants(f)) {
            let key = (facet.dimension, facet.key.as_str());
            match theirs.iter_mut().find(|(k, _)| *k == key) {
                Some((_, weight)) => *weight = weight.max(facet.weight),
                None => theirs.push((key, facet.weight)),
            }
        }
        for (key, weight) in theirs.drain(..) {
            wanted.entry(key).or_default().push((i, weight));
        }
    }
    let offered: Vec<(Uuid, Vec<&Facet>)> = members
        .iter()
        .map(|m| (m.person_id, m.facets.iter().filter(|f| brings(f)).collect()))
        .collect();

    let want = |&(i, weight): &(usize, f64)| {
        let s: &Stakeholder = &stakeholders[i];
        Want { account_id: s.account_id, person_id: s.person_id, influence: s.influence, weight }
    };
    let most_first = |a: &Want, b: &Want| {
        b.demand()
            .total_cmp(&a.demand())
            .then(a.person_id.cmp(&b.person_id))
            .then(a.account_id.cmp(&b.account_id))
    };
    let mut keys: Vec<KeyDemand> = wanted
        .into_iter()
        .map(|((dimension, key), wanting)| {
            let key: FacetKey = (dimension, key.to_owned());
            let mut aligners: Vec<Aligner> = offered
                .iter()
                .filter_map(|(person_id, facets)| {
                    facets
                        .iter()
                        .map(|f| (meets_want(f, &key, affinities), (f.dimension, f.key.clone())))
                        .filter(|(value, _)| *value > 0.0)
                        .max_by(|a, b| a.0.total_cmp(&b.0))
                        .map(|(value, through)| Aligner { person_id: *person_id, value, through })
                })
                .collect();
            aligners
                .sort_by(|a, b| b.value.total_cmp(&a.value).then(a.person_id.cmp(&b.person_id)));
            let demand: f64 = wanting.iter().map(|w| want(w).demand()).sum();
            // The answer shows the first few: chosen in one pass, not by sorting every want.
            let mut wants: Vec<Want> = wanting.iter().map(want).collect();
            if wants.len() > TOP_STAKEHOLDERS {
                wants.select_nth_unstable_by(TOP_STAKEHOLDERS - 1, most_first);
                wants.truncate(TOP_STAKEHOLDERS);
            }
            wants.sort_by(most_first);
            let best = aligners.first().map_or(0.0, |a| a.value);
            let team = if members.is_empty() {
                0.0
            } else {
                aligners.iter().fold(0.0, |sum, a| sum + a.value) / members.len() as f64
            };
            // Stakeholders come account by account: the runs collapse before the set is built.
            let mut wanted_in: Vec<Uuid> =
                wanting.iter().map(|(i, _)| stakeholders[*i].account_id).collect();
            wanted_in.dedup();
            let key_accounts: BTreeSet<Uuid> = wanted_in.into_iter().collect();
            let embrace = if key_accounts.len() >= 2 && key_accounts.len() * 2 >= accounts {
                Embrace::Team
            } else {
                Embrace::Individual
            };
            let aligned: BTreeSet<Uuid> = aligners.iter().map(|a| a.person_id).collect();
            let develop = match embrace {
                Embrace::Team => members.iter().map(|m| m.person_id).collect::<BTreeSet<_>>(),
                Embrace::Individual => wanting
                    .iter()
                    .flat_map(|(i, _)| stakeholders[*i].covered_by.iter().copied())
                    .collect(),
            }
            .into_iter()
            .filter(|p| !aligned.contains(p))
            .collect();
            KeyDemand {
                met: demand * team,
                demand,
                team,
                best,
                accounts: key_accounts,
                wanting: wanting.len(),
                wants,
                aligners,
                embrace,
                develop,
                key,
            }
        })
        .collect();
    keys.sort_by(|a, b| {
        b.unmet().total_cmp(&a.unmet()).then(b.demand.total_cmp(&a.demand)).then(a.key.cmp(&b.key))
    });

    let mut held: BTreeMap<FacetKey, Vec<(Uuid, f64)>> = BTreeMap::new();
    for (person_id, facets) in &offered {
        for f in facets {
            held.entry((f.dimension, f.key.clone())).or_default().push((*person_id, f.weight));
        }
    }
    let mut strengths: Vec<Strength> = held
        .into_iter()
        .map(|(key, mut holders)| {
            holders.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            Strength { key, holders }
        })
        .collect();
    strengths.sort_by(|a, b| {
        let total = |s: &Strength| s.holders.iter().map(|h| h.1).sum::<f64>();
        b.holders.len().cmp(&a.holders.len()).then(total(b).total_cmp(&total(a)))
    });

    TeamProfile {
        members: members.iter().map(|m| m.person_id).collect(),
        accounts,
        stakeholders: stakeholders.len(),
        demand: keys.iter().map(|k| k.demand).sum(),
        met: keys.iter().map(|k| k.met).sum(),
        keys,
        strengths,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facet(dimension: Dimension, key: &str, weight: f64) -> Facet {
        Facet { dimension, key: key.into(), weight, note: None, core: false, floor: None }
    }

    fn id(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    fn criterion(key: &str, weight: f64) -> Facet {
        facet(Dimension::DecisionCriterion, key, weight)
    }

    /// Two accounts of two stakeholders; three salespeople, one of whom meets `price` and one
    /// who meets `carbon_footprint` through an affinity only.
    fn example() -> (Vec<Member>, Vec<Stakeholder>, Vec<Affinity>) {
        let members = vec![
            Member { person_id: id(1), facets: vec![facet(Dimension::Priority, "price", 0.8)] },
            Member {
                person_id: id(2),
                facets: vec![facet(Dimension::Task, "lifecycle_analysis", 0.5)],
            },
            Member { person_id: id(3), facets: vec![facet(Dimension::Task, "demos", 1.0)] },
        ];
        let stakeholder =
            |account, person, influence, facets: Vec<Facet>, covered_by: Vec<Uuid>| Stakeholder {
                account_id: id(account),
                person_id: id(person),
                influence,
                facets: facets.into(),
                covered_by: covered_by.into(),
            };
        let stakeholders = vec![
            stakeholder(10, 11, 0.75, vec![criterion("carbon_footprint", 1.0)], vec![id(3)]),
            stakeholder(10, 12, 0.25, vec![criterion("price", 0.4)], vec![]),
            stakeholder(20, 21, 0.5, vec![criterion("carbon_footprint", 0.6)], vec![id(1)]),
            // Only its positive decision criteria and priorities count as demand.
            stakeholder(
                20,
                22,
                0.5,
                vec![criterion("uptime", 0.9), criterion("lock_in", -0.8)],
                vec![id(3)],
            ),
        ];
        let affinities = vec![Affinity {
            from: (Dimension::Task, "lifecycle_analysis".into()),
            to: (Dimension::DecisionCriterion, "carbon_footprint".into()),
            weight: 0.5,
        }];
        (members, stakeholders, affinities)
    }

    fn key<'a>(p: &'a TeamProfile, name: &str) -> &'a KeyDemand {
        p.keys.iter().find(|k| k.key.1 == name).unwrap()
    }

    #[test]
    fn demand_is_influence_weighted_and_met_by_the_best_aligner() {
        let (members, stakeholders, affinities) = example();
        let p = profile(&members, &stakeholders, 2, &affinities);
        let carbon = key(&p, "carbon_footprint");
        assert!((carbon.demand - (0.75 + 0.5 * 0.6)).abs() < 1e-12);
        // Through the affinity: 0.5 (weight) × 0.5 (rule).
        assert_eq!(carbon.aligners.len(), 1);
        assert_eq!(carbon.aligners[0].person_id, id(2));
        assert!((carbon.best - 0.25).abs() < 1e-12);
        // One of three salespeople: the team meets a third of that.
        assert!((carbon.team - 0.25 / 3.0).abs() < 1e-12);
        assert!((carbon.met - 1.05 * 0.25 / 3.0).abs() < 1e-12);
        let price = key(&p, "price");
        assert!((price.demand - 0.1).abs() < 1e-12);
        assert!((price.best - 0.8).abs() < 1e-12);
        assert!((price.met - 0.1 * 0.8 / 3.0).abs() < 1e-12);
        let uptime = key(&p, "uptime");
        assert!(uptime.aligners.is_empty());
        assert!(p.keys.iter().all(|k| k.key.1 != "lock_in"));
        let total = 1.05 + 0.1 + 0.45;
        assert!((p.demand - total).abs() < 1e-12);
        let met = (1.05 * 0.25 + 0.1 * 0.8) / 3.0;
        assert!((p.share_met().unwrap() - met / total).abs() < 1e-12);
    }

    #[test]
    fn needs_rank_by_unmet_demand_and_say_who_should_develop() {
        let (members, stakeholders, affinities) = example();
        let p = profile(&members, &stakeholders, 2, &affinities);
        let needs: Vec<&str> = p.training_needs().map(|k| k.key.1.as_str()).collect();
        assert_eq!(needs, ["carbon_footprint", "uptime", "price"]);
        // Wanted in both accounts: the whole team, but for whom already aligns.
        let carbon = key(&p, "carbon_footprint");
        assert_eq!(carbon.embrace, Embrace::Team);
        assert_eq!(carbon.develop, vec![id(1), id(3)]);
        // Wanted in one account of two: whoever covers the stakeholders who want it.
        let uptime = key(&p, "uptime");
        assert_eq!(uptime.embrace, Embrace::Individual);
        assert_eq!(uptime.develop, vec![id(3)]);
        let single: Vec<&str> = p.single_points().map(|k| k.key.1.as_str()).collect();
        assert_eq!(single, ["carbon_footprint", "price"]);
    }

    #[test]
    fn strengths_list_what_the_team_brings_with_holders() {
        let (mut members, stakeholders, affinities) = example();
        members[2].facets.push(facet(Dimension::Priority, "price", 0.9));
        let p = profile(&members, &stakeholders, 2, &affinities);
        assert_eq!(p.strengths[0].key.1, "price");
        assert_eq!(p.strengths[0].holders, vec![(id(3), 0.9), (id(1), 0.8)]);
        assert_eq!(key(&p, "price").aligners[0].person_id, id(3));
    }

    #[test]
    fn a_stakeholder_in_two_posts_wants_a_key_once_and_empty_accounts_count() {
        let (members, mut stakeholders, affinities) = example();
        stakeholders[0].facets =
            [&stakeholders[0].facets[..], &[criterion("carbon_footprint", 0.4)]].concat().into();
        let p = profile(&members, &stakeholders, 2, &affinities);
        assert!((key(&p, "carbon_footprint").demand - (0.75 + 0.5 * 0.6)).abs() < 1e-12);
        assert_eq!(key(&p, "carbon_footprint").wanting, 2);
        // Two accounts of five in scope want it: not for the whole team.
        let wider = profile(&members, &stakeholders, 5, &affinities);
        assert_eq!(key(&wider, "carbon_footprint").embrace, Embrace::Individual);
    }

    #[test]
    fn no_demand_has_no_share() {
        let (members, _, affinities) = example();
        let p = profile(&members, &[], 0, &affinities);
        assert_eq!(p.share_met(), None);
        assert_eq!(p.training_needs().count(), 0);
    }
}
