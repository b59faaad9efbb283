//! Optimal assignment of salespeople to stakeholders: maximise the total weight (influence ×
//! fit) of the chosen pairs, with each salesperson covering at most their capacity and each
//! stakeholder covered by at most their number of coverers. Exact, by min-cost flow
//! (successive shortest paths with Johnson potentials), not greedy.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// Weights closer to zero than this gain nothing.
const EPSILON: f64 = 1e-12;

#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    /// How many more stakeholders each salesperson can take.
    pub capacities: Vec<u32>,
    /// How many coverers each stakeholder should get at most.
    pub demands: Vec<u32>,
    /// Allowed pairs `(salesperson, stakeholder, weight)`; pairs not listed are excluded.
    pub pairs: Vec<(usize, usize, f64)>,
    /// Pairs that must stay, whatever they are worth.
    pub locked: Vec<(usize, usize)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Assignment {
    /// Chosen pairs `(salesperson, stakeholder)`, locked ones included, sorted.
    pub pairs: Vec<(usize, usize)>,
    /// The total weight of the chosen pairs.
    pub objective: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub enum AssignmentError {
    /// These locked pairs need more of a salesperson's capacity than there is.
    LocksExceedCapacity(Vec<(usize, usize)>),
    /// These locked pairs give a stakeholder more coverers than wanted.
    LocksExceedDemand(Vec<(usize, usize)>),
}

pub fn solve(problem: &Problem) -> Result<Assignment, AssignmentError> {
    let mut capacities = problem.capacities.clone();
    let mut demands = problem.demands.clone();
    let weight_of = |s: usize, t: usize| {
        problem.pairs.iter().find(|(ps, pt, _)| *ps == s && *pt == t).map_or(0.0, |p| p.2)
    };
    let mut locked = problem.locked.clone();
    locked.sort();
    locked.dedup();
    for (s, t) in &locked {
        capacities[*s] = capacities[*s].wrapping_sub(1);
        demands[*t] = demands[*t].wrapping_sub(1);
    }
    let over_capacity: Vec<_> =
        locked.iter().copied().filter(|(s, _)| capacities[*s] > problem.capacities[*s]).collect();
    if !over_capacity.is_empty() {
        return Err(AssignmentError::LocksExceedCapacity(over_capacity));
    }
    let over_demand: Vec<_> =
        locked.iter().copied().filter(|(_, t)| demands[*t] > problem.demands[*t]).collect();
    if !over_demand.is_empty() {
        return Err(AssignmentError::LocksExceedDemand(over_demand));
    }

    let free: Vec<(usize, usize, f64)> = problem
        .pairs
        .iter()
        .copied()
        .filter(|(s, t, w)| *w > EPSILON && locked.binary_search(&(*s, *t)).is_err())
        .collect();
    let chosen = max_weight_flow(&capacities, &demands, &free);
    let mut pairs: Vec<(usize, usize)> = locked.clone();
    pairs.extend(chosen);
    pairs.sort();
    let objective = pairs.iter().map(|(s, t)| weight_of(*s, *t)).sum();
    Ok(Assignment { pairs, objective })
}

#[derive(Debug, Clone)]
struct Edge {
    to: usize,
    capacity: i64,
    cost: f64,
}

/// Node layout: 0 source, 1 sink, then salespeople, then stakeholders.
fn max_weight_flow(
    capacities: &[u32],
    demands: &[u32],
    pairs: &[(usize, usize, f64)],
) -> Vec<(usize, usize)> {
    let salesperson = |s: usize| 2 + s;
    let stakeholder = |t: usize| 2 + capacities.len() + t;
    let nodes = 2 + capacities.len() + demands.len();
    let mut edges: Vec<Edge> = Vec::new();
    let mut out: Vec<Vec<usize>> = vec![Vec::new(); nodes];
    let mut add = |from: usize, to: usize, capacity: i64, cost: f64| {
        out[from].push(edges.len());
        edges.push(Edge { to, capacity, cost });
        out[to].push(edges.len());
        edges.push(Edge { to: from, capacity: 0, cost: -cost });
    };
    for (s, capacity) in capacities.iter().enumerate() {
        add(0, salesperson(s), i64::from(*capacity), 0.0);
    }
    // Each edge comes with its reverse: the pair edges start after the salespeople's.
    let first_pair_edge = 2 * capacities.len();
    for (s, t, weight) in pairs {
        add(salesperson(*s), stakeholder(*t), 1, -weight);
    }
    for (t, demand) in demands.iter().enumerate() {
        add(stakeholder(t), 1, i64::from(*demand), 0.0);
    }

    // The graph is layered (source → salespeople → stakeholders → sink), so the initial
    // shortest distances follow layer by layer; they make every reduced cost non-negative.
    let mut potential = vec![0.0f64; nodes];
    for (s, _) in capacities.iter().enumerate() {
        for &e in &out[salesperson(s)] {
            if edges[e].capacity > 0 {
                let to = edges[e].to;
                potential[to] = potential[to].min(edges[e].cost);
            }
        }
    }
    potential[1] = (0..demands.len()).map(|t| potential[stakeholder(t)]).fold(0.0, f64::min);

    loop {
        // Dijkstra on reduced costs.
        let mut distance = vec![f64::INFINITY; nodes];
        let mut via = vec![usize::MAX; nodes];
        let mut heap = BinaryHeap::new();
        distance[0] = 0.0;
        heap.push(State { cost: 0.0, node: 0 });
        while let Some(State { cost, node }) = heap.pop() {
            if cost > distance[node] + EPSILON {
                continue;
            }
            for &e in &out[node] {
                let edge = &edges[e];
                if edge.capacity <= 0 {
                    continue;
                }
                let reduced = (edge.cost + potential[node] - potential[edge.to]).max(0.0);
                let next = cost + reduced;
                if next + EPSILON < distance[edge.to] {
                    distance[edge.to] = next;
                    via[edge.to] = e;
                    heap.push(State { cost: next, node: edge.to });
                }
            }
        }
        if !distance[1].is_finite() {
            break;
        }
        for node in 0..nodes {
            if distance[node].is_finite() {
                potential[node] += distance[node];
            }
        }
        // The true cost of the path; stop once another unit of flow no longer adds weight.
        if potential[1] - potential[0] >= -EPSILON {
            break;
        }
        let mut bottleneck = i64::MAX;
        let mut node = 1;
        while node != 0 {
            let e = via[node];
            bottleneck = bottleneck.min(edges[e].capacity);
            node = edges[e ^ 1].to;
        }
        let mut node = 1;
        while node != 0 {
            let e = via[node];
            edges[e].capacity -= bottleneck;
            edges[e ^ 1].capacity += bottleneck;
            node = edges[e ^ 1].to;
        }
    }

    pairs
        .iter()
        .enumerate()
        .filter(|(i, _)| edges[first_pair_edge + 2 * i].capacity == 0)
        .map(|(_, (s, t, _))| (*s, *t))
        .collect()
}

#[derive(Debug, PartialEq)]
struct State {
    cost: f64,
    node: usize,
}

impl Eq for State {}

impl Ord for State {
    fn cmp(&self, other: &Self) -> Ordering {
        other.cost.total_cmp(&self.cost).then(self.node.cmp(&other.node))
    }
}

impl PartialOrd for State {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

#[cfg(test)]
mod tests {
    use rand::{Rng, SeedableRng};

    use super::*;

    /// Tries every subset of the allowed pairs.
    fn brute_force(problem: &Problem) -> f64 {
        let n = problem.pairs.len();
        let mut best = f64::NEG_INFINITY;
        for mask in 0u32..(1 << n) {
            let chosen: Vec<(usize, usize, f64)> =
                (0..n).filter(|i| mask & (1 << i) != 0).map(|i| problem.pairs[i]).collect();
            if problem
                .locked
                .iter()
                .any(|(s, t)| !chosen.iter().any(|(cs, ct, _)| cs == s && ct == t))
            {
                continue;
            }
            let fits = (0..problem.capacities.len()).all(|s| {
                chosen.iter().filter(|c| c.0 == s).count() as u32 <= problem.capacities[s]
            }) && (0..problem.demands.len())
                .all(|t| chosen.iter().filter(|c| c.1 == t).count() as u32 <= problem.demands[t]);
            if fits {
                best = best.max(chosen.iter().map(|c| c.2).sum());
            }
        }
        best
    }

    fn random_problem(rng: &mut impl Rng) -> Problem {
        let salespeople = rng.gen_range(1..=3);
        let stakeholders = rng.gen_range(1..=4);
        let mut pairs = Vec::new();
        for s in 0..salespeople {
            for t in 0..stakeholders {
                if rng.gen_bool(0.7) && pairs.len() < 12 {
                    pairs.push((s, t, (rng.gen_range(0..100) as f64) / 100.0));
                }
            }
        }
        let locked = pairs.iter().filter(|_| rng.gen_bool(0.15)).map(|p| (p.0, p.1)).collect();
        Problem {
            capacities: (0..salespeople).map(|_| rng.gen_range(0..=3)).collect(),
            demands: (0..stakeholders).map(|_| rng.gen_range(0..=2)).collect(),
            pairs,
            locked,
        }
    }

    #[test]
    fn the_solver_finds_the_brute_force_optimum() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let mut solved = 0;
        for _ in 0..2_000 {
            let problem = random_problem(&mut rng);
            let expected = brute_force(&problem);
            match solve(&problem) {
                Ok(assignment) => {
                    assert!(
                        (assignment.objective - expected).abs() < 1e-9,
                        "{problem:?}: {assignment:?} vs {expected}"
                    );
                    for s in 0..problem.capacities.len() {
                        let load = assignment.pairs.iter().filter(|p| p.0 == s).count() as u32;
                        assert!(load <= problem.capacities[s], "{problem:?}");
                    }
                    for t in 0..problem.demands.len() {
                        let coverers = assignment.pairs.iter().filter(|p| p.1 == t).count() as u32;
                        assert!(coverers <= problem.demands[t], "{problem:?}");
                    }
                    assert!(problem.locked.iter().all(|l| assignment.pairs.contains(l)));
                    solved += 1;
                }
                Err(_) => assert_eq!(expected, f64::NEG_INFINITY, "{problem:?}"),
            }
        }
        assert!(solved > 1_000);
    }

    #[test]
    fn a_greedy_choice_is_not_optimal_but_the_solver_is() {
        // Greedy takes (0,0) = 0.9 first and leaves stakeholder 1 to nobody; the optimum
        // puts salesperson 0 on 1 and salesperson 1 on 0.
        let problem = Problem {
            capacities: vec![1, 1],
            demands: vec![1, 1],
            pairs: vec![(0, 0, 0.9), (0, 1, 0.8), (1, 0, 0.7)],
            locked: vec![],
        };
        let assignment = solve(&problem).unwrap();
        assert_eq!(assignment.pairs, vec![(0, 1), (1, 0)]);
        assert!((assignment.objective - 1.5).abs() < 1e-12);
    }

    #[test]
    fn locks_beyond_capacity_are_named() {
        let problem = Problem {
            capacities: vec![1],
            demands: vec![1, 1],
            pairs: vec![(0, 0, 0.5), (0, 1, 0.5)],
            locked: vec![(0, 0), (0, 1)],
        };
        assert_eq!(
            solve(&problem),
            Err(AssignmentError::LocksExceedCapacity(vec![(0, 0), (0, 1)]))
        );
    }
}
