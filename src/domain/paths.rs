//! Warm paths: who on the team can be introduced to a stakeholder, through whom. The graph is
//! what jobcraft knows about people: relationships with their kinds and strengths, coverage
//! links with their strength, and careers (two people who held posts in the same organization
//! at the same time). A path's strength is the product of its hops' strengths; the best path
//! of each salesperson of at most `MAX_HOPS` hops is found exactly, never through a pair a
//! negative relationship (`blocks`) ties.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use uuid::Uuid;

/// Longest introduction chain looked at: you, someone you know, someone they know, them.
pub const MAX_HOPS: usize = 3;

/// Why two people know each other.
#[derive(Debug, Clone, PartialEq)]
pub enum Evidence {
    Relationship {
        id: Uuid,
        kind: crate::domain::coverage::RelationshipKind,
    },
    Coverage {
        id: Uuid,
    },
    /// Both held posts in the organization at the same time: from `from` to `until`
    /// (`None`: they still do).
    SharedTenure {
        organization_id: Uuid,
        from: NaiveDate,
        until: Option<NaiveDate>,
    },
}

/// Two people who know each other, either way, how well (0 to 1] and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Tie {
    pub a: Uuid,
    pub b: Uuid,
    pub strength: f64,
    pub evidence: Evidence,
}

/// One step of a path: from one person to the next, through a tie.
#[derive(Debug, Clone, PartialEq)]
pub struct Hop {
    pub from: Uuid,
    pub to: Uuid,
    pub tie: Tie,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Path {
    /// From the salesperson to the stakeholder.
    pub hops: Vec<Hop>,
    pub strength: f64,
}

/// How strong a shared tenure is: 0.3 for working together at all, up to 0.7 after two years
/// side by side.
pub fn shared_tenure_strength(days: i64) -> f64 {
    0.3 + 0.4 * (days.max(0) as f64 / 730.0).min(1.0)
}

/// The best path of at most `MAX_HOPS` hops from each of `sources` to `target`, over the
/// `ties` (two people with several ties count by the strongest; `barred` pairs — a negative
/// relationship between them — not at all). Sources without a path are left out.
pub fn best_paths(
    ties: &[Tie],
    barred: &HashSet<(Uuid, Uuid)>,
    sources: &HashSet<Uuid>,
    target: Uuid,
) -> HashMap<Uuid, Path> {
    // The strongest tie of each pair, either way.
    let mut strongest: HashMap<(Uuid, Uuid), &Tie> = HashMap::new();
    for tie in ties.iter().filter(|t| t.a != t.b && t.strength > 0.0) {
        let pair = if tie.a < tie.b { (tie.a, tie.b) } else { (tie.b, tie.a) };
        if barred.contains(&pair) {
            continue;
        }
        let kept = strongest.entry(pair).or_insert(tie);
        if tie.strength > kept.strength {
            *kept = tie;
        }
    }
    let mut neighbours: HashMap<Uuid, Vec<(Uuid, &Tie)>> = HashMap::new();
    for ((a, b), tie) in &strongest {
        neighbours.entry(*a).or_default().push((*b, tie));
        neighbours.entry(*b).or_default().push((*a, tie));
    }
    // layers[h][v] = (strength, next person towards the target, tie) of the best walk of at
    // most h + 1 hops from v. Strengths are at most 1, so a walk through a person twice is
    // never stronger than the path without the loop; a longer walk replaces a shorter one only
    // when strictly stronger, so the walks kept are paths.
    let mut layers: Vec<HashMap<Uuid, (f64, Uuid, &Tie)>> = Vec::with_capacity(MAX_HOPS);
    for h in 0..MAX_HOPS {
        let empty = HashMap::new();
        let shorter = if h == 0 { &empty } else { &layers[h - 1] };
        let mut next = shorter.clone();
        let frontier = std::iter::once((target, 1.0)).chain(shorter.iter().map(|(v, b)| (*v, b.0)));
        for (w, strength_w) in frontier {
            for (v, tie) in neighbours.get(&w).map(Vec::as_slice).unwrap_or(&[]) {
                let candidate = tie.strength * strength_w;
                if *v != target && next.get(v).is_none_or(|b| candidate > b.0) {
                    next.insert(*v, (candidate, w, *tie));
                }
            }
        }
        layers.push(next);
    }
    let mut paths = HashMap::new();
    for source in sources {
        let Some(&(strength, _, _)) = layers[MAX_HOPS - 1].get(source) else { continue };
        let mut hops = Vec::new();
        let mut at = *source;
        while at != target {
            // The step of the best walk from here within the hops left.
            let (_, next, tie) = layers[MAX_HOPS - 1 - hops.len()][&at];
            hops.push(Hop { from: at, to: next, tie: tie.clone() });
            at = next;
        }
        paths.insert(*source, Path { hops, strength });
    }
    paths
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::coverage::RelationshipKind;

    fn person(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    fn tie(a: u128, b: u128, strength: f64) -> Tie {
        Tie {
            a: person(a),
            b: person(b),
            strength,
            evidence: Evidence::Relationship {
                id: Uuid::from_u128(a * 1000 + b),
                kind: RelationshipKind::AlliesWith,
            },
        }
    }

    /// Every simple path of at most `MAX_HOPS` hops from `source` to `target`, its strength.
    fn brute_force(
        ties: &[Tie],
        barred: &HashSet<(Uuid, Uuid)>,
        source: Uuid,
        target: Uuid,
    ) -> Option<f64> {
        fn walk(
            ties: &[Tie],
            barred: &HashSet<(Uuid, Uuid)>,
            at: Uuid,
            target: Uuid,
            seen: &mut Vec<Uuid>,
            strength: f64,
            best: &mut Option<f64>,
        ) {
            if at == target {
                *best = Some(best.map_or(strength, |b: f64| b.max(strength)));
                return;
            }
            if seen.len() > MAX_HOPS {
                return;
            }
            for t in ties {
                let next = if t.a == at {
                    t.b
                } else if t.b == at {
                    t.a
                } else {
                    continue;
                };
                let pair = if t.a < t.b { (t.a, t.b) } else { (t.b, t.a) };
                if seen.contains(&next) || barred.contains(&pair) || t.strength <= 0.0 || t.a == t.b
                {
                    continue;
                }
                seen.push(next);
                walk(ties, barred, next, target, seen, strength * t.strength, best);
                seen.pop();
            }
        }
        let mut best = None;
        walk(ties, barred, source, target, &mut vec![source], 1.0, &mut best);
        best
    }

    #[test]
    fn the_best_path_is_the_strongest_product_within_three_hops() {
        // 1 knows 2 (0.9), 2 knows 9 (0.9): 0.81, better than 1 knows 9 directly (0.5).
        let ties = vec![
            tie(1, 2, 0.9),
            tie(2, 9, 0.9),
            tie(1, 9, 0.5),
            tie(3, 4, 1.0),
            tie(4, 5, 1.0),
            tie(5, 6, 1.0),
            tie(6, 9, 1.0),
        ];
        let sources = HashSet::from([person(1), person(3)]);
        let paths = best_paths(&ties, &HashSet::new(), &sources, person(9));
        let one = &paths[&person(1)];
        assert!((one.strength - 0.81).abs() < 1e-12);
        assert_eq!(one.hops.iter().map(|h| h.to).collect::<Vec<_>>(), vec![person(2), person(9)]);
        assert!(!paths.contains_key(&person(3)), "four hops away is too far");
        // A blocker between 2 and 9 bars that way: the direct tie is left.
        let barred = HashSet::from([(person(2), person(9))]);
        let paths = best_paths(&ties, &barred, &sources, person(9));
        assert!((paths[&person(1)].strength - 0.5).abs() < 1e-12);
    }

    #[test]
    fn paths_are_exact_against_brute_force_on_random_graphs() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(16);
        for round in 0..300 {
            let people = rng.gen_range(2..9u128);
            let ties: Vec<Tie> = (0..rng.gen_range(0..16))
                .map(|_| {
                    let strength = if rng.gen_bool(0.1) { 1.0 } else { rng.gen_range(0.05..1.0) };
                    tie(rng.gen_range(0..people), rng.gen_range(0..people), strength)
                })
                .collect();
            let barred: HashSet<(Uuid, Uuid)> = ties
                .iter()
                .filter(|_| rng.gen_bool(0.1))
                .map(|t| if t.a < t.b { (t.a, t.b) } else { (t.b, t.a) })
                .collect();
            let target = person(0);
            let sources: HashSet<Uuid> = (1..people).map(person).collect();
            let paths = best_paths(&ties, &barred, &sources, target);
            for source in &sources {
                let expected = brute_force(&ties, &barred, *source, target);
                let found = paths.get(source);
                match (expected, found) {
                    (None, None) => {}
                    (Some(e), Some(p)) => {
                        assert!(
                            (p.strength - e).abs() < 1e-12,
                            "round {round}: {} against {e}",
                            p.strength
                        );
                        // The path is what it claims: simple, at most three hops, from the
                        // source to the target, its strength the product of its hops.
                        assert!(p.hops.len() <= MAX_HOPS);
                        assert_eq!(p.hops[0].from, *source);
                        assert_eq!(p.hops.last().unwrap().to, target);
                        let product: f64 = p.hops.iter().map(|h| h.tie.strength).product();
                        assert!((product - p.strength).abs() < 1e-12, "round {round}");
                        let mut visited: Vec<Uuid> = p.hops.iter().map(|h| h.from).collect();
                        visited.push(target);
                        let distinct: HashSet<&Uuid> = visited.iter().collect();
                        assert_eq!(distinct.len(), visited.len(), "round {round}: a simple path");
                    }
                    (e, f) => panic!("round {round}: expected {e:?}, found {f:?}"),
                }
            }
        }
    }
}
