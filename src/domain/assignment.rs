//! Optimal assignment of salespeople to stakeholders: maximise the total weight (influence ×
//! fit) of the chosen pairs, with each salesperson covering at most their capacity and each
//! stakeholder covered by at most their number of coverers. Exact, by min-cost flow
//! (successive shortest paths with Johnson potentials), not greedy.
//!
//! Over 400 lines with its tests (about 140, including the check against brute force); the
//! solver alone is about 440 lines, one algorithm.

use std::cmp::Reverse;
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
    solve_with(problem, CANDIDATES)
}

/// `solve`, first looking at `candidates` salespeople per stakeholder (beyond its coverers);
/// any value gives the same optimum.
fn solve_with(problem: &Problem, candidates: usize) -> Result<Assignment, AssignmentError> {
    let mut capacities = problem.capacities.clone();
    let mut demands = problem.demands.clone();
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
    let chosen = max_weight_flow(&capacities, &demands, &free, candidates);
    // Locked pairs count with their weight (0 if they were not among the allowed pairs).
    let locked_weight: f64 = problem
        .pairs
        .iter()
        .filter(|(s, t, _)| locked.binary_search(&(*s, *t)).is_ok())
        .map(|(_, _, w)| w)
        .sum();
    let objective = locked_weight + chosen.iter().map(|(_, _, w)| w).sum::<f64>();
    let mut pairs: Vec<(usize, usize)> = locked.clone();
    pairs.extend(chosen.iter().map(|(s, t, _)| (*s, *t)));
    pairs.sort();
    Ok(Assignment { pairs, objective })
}

/// Max-weight b-matching as min-cost flow, solved stakeholder slot by slot (the Hungarian
/// method generalised to capacities): each slot takes the shortest augmenting path in the
/// residual graph to a salesperson with spare capacity, or to "nobody" (cost 0), which keeps
/// every partial solution optimal for the slots placed so far. Costs are negated weights;
/// Johnson potentials keep reduced costs non-negative so each search is a Dijkstra that stops
/// at the first free salesperson.
///
/// Searches only look at each stakeholder's best few salespeople at first. The final
/// potentials give salespeople prices, and prices give an upper bound of the full problem
/// (the LP dual: capacity × price plus each stakeholder's best values at those prices). When
/// the bound equals the solution's weight, the solution is optimal for every pair; otherwise
/// the pairs that break it are added and the solve repeated — or, if the prices prove nothing,
/// all pairs are solved at once. The answer is always exact; the shortcut decides how fast.
fn max_weight_flow(
    capacities: &[u32],
    demands: &[u32],
    pairs: &[(usize, usize, f64)],
    candidates: usize,
) -> Vec<(usize, usize, f64)> {
    let mut all: Vec<Vec<(usize, f64)>> = vec![Vec::new(); demands.len()];
    for (s, t, w) in pairs {
        all[*t].push((*s, *w));
    }
    let mut options: Vec<Vec<(usize, f64)>> = Vec::with_capacity(demands.len());
    let mut taken: Vec<Vec<bool>> = Vec::with_capacity(demands.len());
    for (t, list) in all.iter_mut().enumerate() {
        list.sort_by(|a, b| b.1.total_cmp(&a.1));
        let keep = (demands[t] as usize + candidates).min(list.len());
        options.push(list[..keep].to_vec());
        taken.push((0..list.len()).map(|i| i < keep).collect());
    }
    loop {
        let (covering, potential) = solve_on(capacities, demands, &options);
        let primal: f64 = covering.iter().flatten().map(|(_, w)| w).sum();
        // Salespeople's prices from the potentials; each stakeholder's best value at those
        // prices over all pairs gives an upper bound of the full problem (LP duality).
        let prices: Vec<f64> = (0..capacities.len())
            .map(|s| (potential.sink - potential.salespeople[s]).max(0.0))
            .collect();
        let mut bound: f64 = capacities.iter().zip(&prices).map(|(c, v)| f64::from(*c) * v).sum();
        let tolerance = 1e-9 * (1.0 + primal.abs());
        let mut added = false;
        for (t, list) in all.iter().enumerate() {
            let demand = demands[t] as usize;
            let value = |(s, w): &(usize, f64)| (w - prices[*s]).max(0.0);
            bound += top_sum(list.iter().map(value), demand);
            // The stakeholder's threshold among the pairs looked at: a left-out pair worth
            // more at these prices could improve the answer and is added.
            let threshold = top_nth(options[t].iter().map(value), demand);
            for (i, pair) in list.iter().enumerate() {
                if !taken[t][i] && value(pair) > threshold + tolerance {
                    options[t].push(*pair);
                    taken[t][i] = true;
                    added = true;
                }
            }
        }
        if bound <= primal + tolerance || !added {
            if bound > primal + tolerance {
                // The prices did not prove it: solve on every pair (exact by construction).
                return chosen(&solve_on(capacities, demands, &all).0);
            }
            return chosen(&covering);
        }
    }
}

fn chosen(covering: &[Vec<(usize, f64)>]) -> Vec<(usize, usize, f64)> {
    covering
        .iter()
        .enumerate()
        .flat_map(|(s, ts)| ts.iter().map(move |(t, w)| (s, *t, *w)))
        .collect()
}

/// The sum of the `n` largest values.
fn top_sum(values: impl Iterator<Item = f64>, n: usize) -> f64 {
    top(values, n).iter().sum()
}

/// The `n`-th largest value, 0 when there are fewer.
fn top_nth(values: impl Iterator<Item = f64>, n: usize) -> f64 {
    let best = top(values, n);
    if n > 0 && best.len() == n {
        best[n - 1]
    } else {
        0.0
    }
}

/// The `n` largest values, largest first (`n` is a stakeholder's coverers: small).
fn top(values: impl Iterator<Item = f64>, n: usize) -> Vec<f64> {
    let mut best: Vec<f64> = Vec::with_capacity(n + 1);
    if n == 0 {
        return best;
    }
    for value in values {
        if best.len() < n || value > best[n - 1] {
            let at = best.iter().position(|b| value > *b).unwrap_or(best.len());
            best.insert(at, value);
            best.truncate(n);
        }
    }
    best
}

/// How many of a stakeholder's best salespeople (beyond its coverers) the first solve looks at.
const CANDIDATES: usize = 14;

/// Solves on the given options: who each salesperson covers, and the final potentials.
fn solve_on(
    capacities: &[u32],
    demands: &[u32],
    options: &[Vec<(usize, f64)>],
) -> (Vec<Vec<(usize, f64)>>, Potentials) {
    let salespeople = capacities.len();
    let nobody = salespeople;
    // Who each salesperson covers now, with the pair's weight.
    let mut covering: Vec<Vec<(usize, f64)>> = vec![Vec::new(); salespeople];
    // And who covers each stakeholder, so a search skips pairs already made at a glance.
    let mut coverers: Vec<Vec<usize>> = vec![Vec::new(); demands.len()];
    // Potentials: stakeholders start at 0, salespeople at their best (lowest) edge cost.
    let mut potential = Potentials {
        stakeholders: vec![0.0; demands.len()],
        salespeople: vec![0.0; salespeople + 1],
        sink: 0.0,
    };
    for list in options {
        for (s, w) in list {
            potential.salespeople[*s] = potential.salespeople[*s].min(-w);
        }
    }
    // The sink (where free capacity ends a path) starts below every salesperson.
    potential.sink = potential.salespeople.iter().copied().fold(0.0, f64::min);
    let mut search = Search::new(demands.len(), salespeople + 1);
    // Any order gives the optimum; placing the most valuable stakeholders first means the
    // others, when capacity runs out, find quickly that displacing anyone is not worth it.
    let best = |t: usize| options[t].iter().map(|(_, w)| *w).fold(0.0, f64::max);
    let mut order: Vec<usize> = (0..demands.len()).collect();
    order.sort_by(|a, b| best(*b).total_cmp(&best(*a)));
    for t in order {
        for _ in 0..demands[t] {
            let placed = search.run(t, options, &covering, &coverers, capacities, &mut potential);
            if let Some(path) = placed {
                augment(&path, options, &mut covering, &mut coverers, nobody);
            }
        }
    }
    (covering, potential)
}

/// Moves along an augmenting path `[(stakeholder, to salesperson, from salesperson)]`: each
/// stakeholder on it leaves the salesperson it was reached through for the next one.
fn augment(
    path: &[(usize, usize, Option<usize>)],
    options: &[Vec<(usize, f64)>],
    covering: &mut [Vec<(usize, f64)>],
    coverers: &mut [Vec<usize>],
    nobody: usize,
) {
    for (t, to, from) in path {
        if let Some(from) = from {
            covering[*from].retain(|(c, _)| c != t);
            coverers[*t].retain(|c| c != from);
        }
        if *to != nobody {
            coverers[*t].push(*to);
            let weight = options[*t].iter().find(|(s, _)| s == to).map_or(0.0, |(_, w)| *w);
            covering[*to].push((*t, weight));
        }
    }
}

/// Johnson potentials of the residual graph's nodes (salespeople include nobody, last).
struct Potentials {
    stakeholders: Vec<f64>,
    salespeople: Vec<f64>,
    sink: f64,
}

/// Dijkstra state reused between searches; only the nodes a search touched are reset.
struct Search {
    stakeholder_distance: Vec<f64>,
    salesperson_distance: Vec<f64>,
    /// The stakeholder a salesperson was reached from.
    salesperson_via: Vec<usize>,
    /// The salesperson a stakeholder was reached from (its current coverer), if not the start.
    stakeholder_via: Vec<Option<usize>>,
    settled_stakeholders: Vec<(usize, f64)>,
    settled_salespeople: Vec<(usize, f64)>,
    touched_stakeholders: Vec<usize>,
    touched_salespeople: Vec<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Node {
    Stakeholder(usize),
    Salesperson(usize),
    Sink,
}

impl Search {
    fn new(stakeholders: usize, salespeople: usize) -> Self {
        Search {
            stakeholder_distance: vec![f64::INFINITY; stakeholders],
            salesperson_distance: vec![f64::INFINITY; salespeople],
            salesperson_via: vec![usize::MAX; salespeople],
            stakeholder_via: vec![None; stakeholders],
            settled_stakeholders: Vec::new(),
            settled_salespeople: Vec::new(),
            touched_stakeholders: Vec::new(),
            touched_salespeople: Vec::new(),
        }
    }

    /// The shortest augmenting path from stakeholder `start` to a free salesperson (or
    /// nobody), as steps `(stakeholder, to salesperson, from salesperson)`; potentials are
    /// updated so reduced costs stay non-negative. `None` when no step gains weight.
    fn run(
        &mut self,
        start: usize,
        options: &[Vec<(usize, f64)>],
        covering: &[Vec<(usize, f64)>],
        coverers: &[Vec<usize>],
        capacities: &[u32],
        potential: &mut Potentials,
    ) -> Option<Vec<(usize, usize, Option<usize>)>> {
        let nobody = capacities.len();
        let mut heap = BinaryHeap::new();
        self.stakeholder_distance[start] = 0.0;
        self.stakeholder_via[start] = None;
        self.touched_stakeholders.push(start);
        heap.push(State::new(0.0, Node::Stakeholder(start)));
        let mut sink_distance = f64::INFINITY;
        let mut sink_via = usize::MAX;
        let mut target = None;
        while let Some(state) = heap.pop() {
            let cost = state.cost();
            match state.node() {
                Node::Stakeholder(t) => {
                    if cost > self.stakeholder_distance[t] {
                        continue;
                    }
                    self.settled_stakeholders.push((t, cost));
                    let mut relax = |s: usize, edge_cost: f64, heap: &mut BinaryHeap<State>| {
                        let reduced = (edge_cost + potential.stakeholders[t]
                            - potential.salespeople[s])
                            .max(0.0);
                        let next = cost + reduced;
                        if next < self.salesperson_distance[s] {
                            if self.salesperson_distance[s].is_infinite() {
                                self.touched_salespeople.push(s);
                            }
                            self.salesperson_distance[s] = next;
                            self.salesperson_via[s] = t;
                            heap.push(State::new(next, Node::Salesperson(s)));
                        }
                    };
                    relax(nobody, 0.0, &mut heap);
                    for (s, w) in &options[t] {
                        if !coverers[t].contains(s) {
                            relax(*s, -w, &mut heap);
                        }
                    }
                }
                Node::Salesperson(s) => {
                    if cost > self.salesperson_distance[s] {
                        continue;
                    }
                    self.settled_salespeople.push((s, cost));
                    if s == nobody || (covering[s].len() as u32) < capacities[s] {
                        let next = cost + (potential.salespeople[s] - potential.sink).max(0.0);
                        if next < sink_distance {
                            sink_distance = next;
                            sink_via = s;
                            heap.push(State::new(next, Node::Sink));
                        }
                    }
                    let covered = if s == nobody { &[][..] } else { &covering[s][..] };
                    for (t, w) in covered {
                        let reduced =
                            (w + potential.salespeople[s] - potential.stakeholders[*t]).max(0.0);
                        let next = cost + reduced;
                        if next < self.stakeholder_distance[*t] {
                            if self.stakeholder_distance[*t].is_infinite() {
                                self.touched_stakeholders.push(*t);
                            }
                            self.stakeholder_distance[*t] = next;
                            self.stakeholder_via[*t] = Some(s);
                            heap.push(State::new(next, Node::Stakeholder(*t)));
                        }
                    }
                }
                Node::Sink => {
                    target = Some((sink_via, cost));
                    break;
                }
            }
        }
        // Nobody is always free, so a target is always found.
        let (end, distance) = target?;
        let mut path = Vec::new();
        let mut s = end;
        loop {
            let t = self.salesperson_via[s];
            let from = self.stakeholder_via[t];
            path.push((t, s, from));
            match from {
                Some(previous) => s = previous,
                None => break,
            }
        }
        for (t, d) in self.settled_stakeholders.drain(..) {
            potential.stakeholders[t] += d - distance;
        }
        for (s, d) in self.settled_salespeople.drain(..) {
            potential.salespeople[s] += d - distance;
        }
        for t in self.touched_stakeholders.drain(..) {
            self.stakeholder_distance[t] = f64::INFINITY;
        }
        for s in self.touched_salespeople.drain(..) {
            self.salesperson_distance[s] = f64::INFINITY;
        }
        Some(path)
    }
}

/// A search's heap entry: the lowest cost first and, at equal cost, the sink, then salespeople,
/// then stakeholders (higher indices first). Packed into two integers because comparing
/// entries is most of a search's time: costs are never negative, and the bits of a
/// non-negative `f64` order as the number does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct State(Reverse<u64>, u64);

/// Where a heap key keeps the node's kind; its index is below.
const KIND: u32 = 62;

impl State {
    fn new(cost: f64, node: Node) -> Self {
        debug_assert!(cost >= 0.0);
        let key = match node {
            Node::Stakeholder(t) => t as u64,
            Node::Salesperson(s) => 1 << KIND | s as u64,
            Node::Sink => 2 << KIND,
        };
        // `+ 0.0` turns a -0.0 into 0.0, whose bits order first.
        State(Reverse((cost + 0.0).to_bits()), key)
    }

    fn cost(self) -> f64 {
        f64::from_bits(self.0 .0)
    }

    fn node(self) -> Node {
        let index = (self.1 & ((1 << KIND) - 1)) as usize;
        match self.1 >> KIND {
            0 => Node::Stakeholder(index),
            1 => Node::Salesperson(index),
            _ => Node::Sink,
        }
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
        for round in 0..4_000 {
            let problem = random_problem(&mut rng);
            let expected = brute_force(&problem);
            // Half the rounds start from a single candidate per slot, so the price check and
            // the added pairs do the work.
            let candidates = if round % 2 == 0 { CANDIDATES } else { 0 };
            match solve_with(&problem, candidates) {
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
        assert!(solved > 2_000);
    }

    #[test]
    fn starting_from_few_candidates_reaches_the_same_optimum_on_larger_instances() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(13);
        for _ in 0..200 {
            let (salespeople, stakeholders) = (rng.gen_range(2..10), rng.gen_range(5..40));
            let mut pairs = Vec::new();
            for s in 0..salespeople {
                for t in 0..stakeholders {
                    if rng.gen_bool(0.8) {
                        // Few distinct values: ties and crowded favourites, the hard case.
                        pairs.push((
                            s,
                            t,
                            f64::from(rng.gen_range(1..6)) * (1.0 + t as f64 / 100.0),
                        ));
                    }
                }
            }
            let problem = Problem {
                capacities: (0..salespeople).map(|_| rng.gen_range(0..6)).collect(),
                demands: (0..stakeholders).map(|_| rng.gen_range(0..3)).collect(),
                pairs,
                locked: vec![],
            };
            let sparse = solve_with(&problem, 0).unwrap();
            let full = solve_with(&problem, usize::MAX / 4).unwrap();
            assert!((sparse.objective - full.objective).abs() < 1e-9, "{problem:?}");
        }
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
