//! Optimal assignment of salespeople to stakeholders: maximise the total weight (influence ×
//! fit) of the chosen pairs, with each salesperson covering at most their capacity and each
//! stakeholder covered by at most their number of coverers. Exact, by min-cost flow
//! (successive shortest paths with Johnson potentials), not greedy.
//!
//! Long for one file (the solver about 640 lines, its tests about 240, among them the checks
//! against brute force and against solving afresh), but one algorithm: its parts share the
//! flow's state and are not used apart.

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
    solve_with(problem, CANDIDATES, REPLACE_AT_MOST)
}

/// `solve`, first looking at `candidates` salespeople per stakeholder (beyond its coverers),
/// and solving again from scratch when more than `replace_at_most` of the stakeholders gain
/// pairs; any values give the same optimum.
fn solve_with(
    problem: &Problem,
    candidates: usize,
    replace_at_most: f64,
) -> Result<Assignment, AssignmentError> {
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

    let free = problem
        .pairs
        .iter()
        .copied()
        .filter(|(s, t, w)| *w > EPSILON && locked.binary_search(&(*s, *t)).is_err());
    let free = Grouped::new(demands.len(), free);
    let chosen = max_weight_flow(&capacities, &demands, &free, candidates, replace_at_most);
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
/// A repeat keeps the flow when few stakeholders gained pairs and places only them again
/// (`Flow::replace`): at 10,000 stakeholders × 200 salespeople the last round is then 7 ms,
/// not another 120 ms solve.
fn max_weight_flow(
    capacities: &[u32],
    demands: &[u32],
    pairs: &Grouped,
    candidates: usize,
    replace_at_most: f64,
) -> Vec<(usize, usize, f64)> {
    let mut pairs = pairs.clone();
    for (t, demand) in demands.iter().enumerate() {
        pairs.look_at_best(t, *demand as usize + candidates);
    }
    let mut looked = pairs.looked_at();
    let mut flow = Flow::solve(capacities, demands, looked.options());
    loop {
        let (covering, potential) = (&flow.covering, &flow.potential);
        let primal: f64 = covering.iter().flatten().map(|(_, w)| w).sum();
        // Salespeople's prices from the potentials; each stakeholder's best value at those
        // prices over all pairs gives an upper bound of the full problem (LP duality).
        let prices: Vec<f64> = (0..capacities.len())
            .map(|s| (potential.sink - potential.salespeople[s]).max(0.0))
            .collect();
        let mut bound: f64 = capacities.iter().zip(&prices).map(|(c, v)| f64::from(*c) * v).sum();
        let tolerance = 1e-9 * (1.0 + primal.abs());
        let mut added = Vec::new();
        for (t, demand) in demands.iter().enumerate() {
            let demand = *demand as usize;
            let value = |(s, w): &(usize, f64)| (w - prices[*s]).max(0.0);
            bound += top_sum(pairs.all().of(t).iter().map(value), demand);
            // The stakeholder's threshold among the pairs looked at: a left-out pair worth
            // more at these prices could improve the answer and is added.
            let threshold = top_nth(looked.options().of(t).iter().map(value), demand);
            if pairs.look_at(t, |pair| value(pair) > threshold + tolerance) {
                added.push(t);
            }
        }
        if bound <= primal + tolerance || added.is_empty() {
            if bound > primal + tolerance {
                // The prices did not prove it: solve on every pair (exact by construction).
                return chosen(&Flow::solve(capacities, demands, pairs.all()).covering);
            }
            return chosen(&flow.covering);
        }
        looked = pairs.looked_at();
        if added.len() as f64 <= replace_at_most * demands.len() as f64 {
            // Few stakeholders gained pairs: only they are placed again, the rest stays.
            flow.replace(&added, looked.options());
        } else {
            flow = Flow::solve(capacities, demands, looked.options());
        }
    }
}

/// Every allowed pair `(salesperson, weight)`, grouped by stakeholder, and of each group the
/// pairs the solves look at, first.
#[derive(Clone)]
struct Grouped {
    /// A stakeholder's pairs are `pairs[start[t]..start[t + 1]]`.
    start: Vec<usize>,
    /// How many of them, from the first, are looked at.
    looked: Vec<usize>,
    pairs: Vec<(usize, f64)>,
}

impl Grouped {
    /// Groups `pairs` `(salesperson, stakeholder, weight)` by stakeholder (a counting sort:
    /// no list per stakeholder), every pair looked at.
    fn new(stakeholders: usize, pairs: impl Iterator<Item = (usize, usize, f64)> + Clone) -> Self {
        let mut sizes = vec![0usize; stakeholders];
        for (_, t, _) in pairs.clone() {
            sizes[t] += 1;
        }
        let mut start = Vec::with_capacity(stakeholders + 1);
        let mut next = 0;
        for size in &sizes {
            start.push(next);
            next += size;
        }
        start.push(next);
        let mut grouped = vec![(0, 0.0); next];
        let mut at = start.clone();
        for (s, t, w) in pairs {
            grouped[at[t]] = (s, w);
            at[t] += 1;
        }
        Grouped { start, looked: sizes, pairs: grouped }
    }

    /// Looks at stakeholder `t`'s best `n` pairs only (by weight, then salesperson: the same
    /// ones whatever the order they came in).
    fn look_at_best(&mut self, t: usize, n: usize) {
        let group = &mut self.pairs[self.start[t]..self.start[t + 1]];
        let n = n.min(group.len());
        let better = |a: &(usize, f64), b: &(usize, f64)| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0));
        if n > 0 && n < group.len() {
            group.select_nth_unstable_by(n - 1, better);
        }
        group[..n].sort_unstable_by(better);
        self.looked[t] = n;
    }

    /// Looks also at stakeholder `t`'s pairs not looked at yet that `wanted` says; whether any.
    fn look_at(&mut self, t: usize, mut wanted: impl FnMut(&(usize, f64)) -> bool) -> bool {
        let (start, end) = (self.start[t], self.start[t + 1]);
        let before = self.looked[t];
        for i in start + before..end {
            if wanted(&self.pairs[i]) {
                // Into the looked-at part; the pair it displaces was looked over already.
                self.pairs.swap(start + self.looked[t], i);
                self.looked[t] += 1;
            }
        }
        self.looked[t] > before
    }

    /// The pairs looked at, copied together: a solve reads them many times over, and they fit
    /// in the processor's caches where the groups they come from do not.
    fn looked_at(&self) -> Looked {
        let mut start = Vec::with_capacity(self.looked.len() + 1);
        let mut pairs = Vec::with_capacity(self.looked.iter().sum());
        for (t, looked) in self.looked.iter().enumerate() {
            start.push(pairs.len());
            pairs.extend_from_slice(&self.pairs[self.start[t]..self.start[t] + looked]);
        }
        start.push(pairs.len());
        Looked { start, pairs }
    }

    fn all(&self) -> Options<'_> {
        Options { start: &self.start, pairs: &self.pairs }
    }
}

/// Some of each stakeholder's pairs, kept together.
struct Looked {
    start: Vec<usize>,
    pairs: Vec<(usize, f64)>,
}

impl Looked {
    fn options(&self) -> Options<'_> {
        Options { start: &self.start, pairs: &self.pairs }
    }
}

/// Each stakeholder's pairs a solve looks at.
#[derive(Clone, Copy)]
struct Options<'a> {
    /// A stakeholder's pairs are `pairs[start[t]..start[t + 1]]`.
    start: &'a [usize],
    pairs: &'a [(usize, f64)],
}

impl<'a> Options<'a> {
    fn of(&self, t: usize) -> &'a [(usize, f64)] {
        &self.pairs[self.start[t]..self.start[t + 1]]
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

/// Above this share of the stakeholders gaining pairs in a round, solving from scratch is
/// cheaper than placing each of them again.
const REPLACE_AT_MOST: f64 = 0.05;

/// Stakeholder slots sent to salespeople (or nobody) at least cost, kept optimal for the options
/// it was solved on, with the Johnson potentials that prove it.
///
/// Paths end where a slot is missing: at the sink while slots are `unplaced` (each slot's
/// unit must reach it), or at a salesperson with a `vacated` slot (a stakeholder taken off them
/// by `replace`, to be refilled — or let go through the sink, at the salesperson's price).
struct Flow<'a> {
    capacities: &'a [u32],
    demands: &'a [u32],
    /// Who each salesperson covers now, with the pair's weight.
    covering: Vec<Vec<(usize, f64)>>,
    /// And who covers each stakeholder, so a search skips pairs already made at a glance.
    coverers: Vec<Vec<usize>>,
    /// Each stakeholder's slots left to nobody.
    uncovered: Vec<u32>,
    /// Each salesperson's slots whose stakeholder `replace` took off, not yet refilled or let go.
    vacated: Vec<u32>,
    /// Slots that must still reach the sink.
    unplaced: u32,
    potential: Potentials,
    search: Search,
}

impl<'a> Flow<'a> {
    /// Solves on `options` from scratch, slot by slot.
    fn solve(capacities: &'a [u32], demands: &'a [u32], options: Options) -> Self {
        let salespeople = capacities.len();
        // Potentials: stakeholders start at 0, salespeople at their best (lowest) edge cost.
        let mut potential = Potentials {
            stakeholders: vec![0.0; demands.len()],
            salespeople: vec![0.0; salespeople + 1],
            sink: 0.0,
        };
        for t in 0..demands.len() {
            for (s, w) in options.of(t) {
                potential.salespeople[*s] = potential.salespeople[*s].min(-w);
            }
        }
        // The sink (where free capacity ends a path) starts below every salesperson.
        potential.sink = potential.salespeople.iter().copied().fold(0.0, f64::min);
        let mut flow = Flow {
            capacities,
            demands,
            covering: vec![Vec::new(); salespeople],
            coverers: vec![Vec::new(); demands.len()],
            uncovered: vec![0; demands.len()],
            vacated: vec![0; salespeople],
            unplaced: 0,
            potential,
            search: Search::new(demands.len(), salespeople + 1),
        };
        for t in by_value(options, 0..demands.len()) {
            flow.unplaced += demands[t];
            for _ in 0..demands[t] {
                flow.place(t, options);
            }
        }
        flow
    }

    /// Places the given stakeholders again, after pairs were added to them: each is taken off
    /// whoever covers it (their slot vacated) and its potential raised until every pair it
    /// has costs no less than its potentials say, which keeps the rest of the flow optimal.
    fn replace(&mut self, stakeholders: &[usize], options: Options) {
        let nobody = self.capacities.len();
        for t in by_value(options, stakeholders.iter().copied()) {
            for s in std::mem::take(&mut self.coverers[t]) {
                self.covering[s].retain(|(c, _)| *c != t);
                self.vacated[s] += 1;
            }
            self.unplaced += std::mem::take(&mut self.uncovered[t]);
            let potential = &mut self.potential;
            let mut raised = potential.stakeholders[t].max(potential.salespeople[nobody]);
            for (s, w) in options.of(t) {
                raised = raised.max(w + potential.salespeople[*s]);
            }
            potential.stakeholders[t] = raised;
            for _ in 0..self.demands[t] {
                self.place(t, options);
            }
        }
    }

    /// One slot of stakeholder `t` along the shortest path to where a slot is missing.
    fn place(&mut self, t: usize, options: Options) {
        // The search reads the flow while it is kept apart from it.
        let mut search = std::mem::replace(&mut self.search, Search::new(0, 0));
        let found = search.run(t, options, self);
        self.search = search;
        // Nobody always leads to the sink, and the sink to any vacated slot: while a slot is
        // missing, a path is always found.
        let Some((path, end)) = found else { return };
        let nobody = self.capacities.len();
        for step in path {
            match step {
                Step::Join(t, s) if s == nobody => self.uncovered[t] += 1,
                Step::Join(t, s) => {
                    let weight =
                        options.of(t).iter().find(|(o, _)| *o == s).map_or(0.0, |(_, w)| *w);
                    self.covering[s].push((t, weight));
                    self.coverers[t].push(s);
                }
                Step::Leave(t, s) if s == nobody => self.uncovered[t] -= 1,
                Step::Leave(t, s) => {
                    self.covering[s].retain(|(c, _)| *c != t);
                    self.coverers[t].retain(|c| *c != s);
                }
            }
        }
        match end {
            End::Sink => self.unplaced -= 1,
            End::Salesperson(s) => self.vacated[s] -= 1,
        }
    }
}

/// Stakeholders with the most valuable first: placed in that order, the others find quickly,
/// once capacity runs out, that displacing anyone is not worth it (any order is optimal).
fn by_value(options: Options, stakeholders: impl Iterator<Item = usize>) -> Vec<usize> {
    let best = |t: usize| options.of(t).iter().map(|(_, w)| *w).fold(0.0, f64::max);
    let mut order: Vec<(f64, usize)> = stakeholders.map(|t| (best(t), t)).collect();
    order.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    order.into_iter().map(|(_, t)| t).collect()
}

/// One step of an augmenting path: a stakeholder's slot joins or leaves a salesperson (or
/// nobody).
#[derive(Debug, Clone, Copy)]
enum Step {
    Join(usize, usize),
    Leave(usize, usize),
}

/// Johnson potentials of the residual graph's nodes (salespeople include nobody, last).
struct Potentials {
    stakeholders: Vec<f64>,
    salespeople: Vec<f64>,
    sink: f64,
}

/// How a search reached a salesperson.
#[derive(Debug, Clone, Copy)]
enum Via {
    /// A stakeholder's slot joins them.
    Stakeholder(usize),
    /// From the sink: one of their slots is let go.
    Sink,
}

/// Dijkstra state reused between searches; only the nodes a search touched are reset.
struct Search {
    stakeholder_distance: Vec<f64>,
    salesperson_distance: Vec<f64>,
    /// How a salesperson was reached.
    salesperson_via: Vec<Via>,
    /// The salesperson a stakeholder was reached from (leaving them), if not the start.
    stakeholder_via: Vec<Option<usize>>,
    settled_stakeholders: Vec<(usize, f64)>,
    settled_salespeople: Vec<(usize, f64)>,
    touched_stakeholders: Vec<usize>,
    touched_salespeople: Vec<usize>,
}

/// Where a path ends: where a slot was missing.
#[derive(Debug, Clone, Copy)]
enum End {
    Sink,
    Salesperson(usize),
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
            salesperson_via: vec![Via::Sink; salespeople],
            stakeholder_via: vec![None; stakeholders],
            settled_stakeholders: Vec::new(),
            settled_salespeople: Vec::new(),
            touched_stakeholders: Vec::new(),
            touched_salespeople: Vec::new(),
        }
    }

    /// The shortest path from stakeholder `start` to where a slot is missing (the sink while
    /// slots are unplaced, or a salesperson with a vacated slot), as the steps that move
    /// stakeholders, and where it ends; potentials are updated so reduced costs stay
    /// non-negative.
    fn run(&mut self, start: usize, options: Options, flow: &mut Flow) -> Option<(Vec<Step>, End)> {
        let nobody = flow.capacities.len();
        let (covering, vacated) = (&flow.covering, &flow.vacated);
        let used = |s: usize| covering[s].len() as u32 + vacated[s];
        let potential = &mut flow.potential;
        // When no slot is unplaced, a path may pass the sink, letting a salesperson's slot go
        // (or a stakeholder left to nobody be placed after all).
        let sink_ends = flow.unplaced > 0;
        let mut heap = BinaryHeap::new();
        self.stakeholder_distance[start] = 0.0;
        self.stakeholder_via[start] = None;
        self.touched_stakeholders.push(start);
        heap.push(State::new(0.0, Node::Stakeholder(start)));
        let mut sink_distance = f64::INFINITY;
        let mut sink_via = usize::MAX;
        let mut sink_settled = None;
        let mut end = None;
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
                            self.salesperson_via[s] = Via::Stakeholder(t);
                            heap.push(State::new(next, Node::Salesperson(s)));
                        }
                    };
                    relax(nobody, 0.0, &mut heap);
                    for (s, w) in options.of(t) {
                        if !flow.coverers[t].contains(s) {
                            relax(*s, -w, &mut heap);
                        }
                    }
                }
                Node::Salesperson(s) => {
                    if cost > self.salesperson_distance[s] {
                        continue;
                    }
                    self.settled_salespeople.push((s, cost));
                    if s != nobody && vacated[s] > 0 {
                        end = Some((End::Salesperson(s), cost));
                        break;
                    }
                    if s == nobody || used(s) < flow.capacities[s] {
                        let next = cost + (potential.salespeople[s] - potential.sink).max(0.0);
                        if next < sink_distance {
                            sink_distance = next;
                            sink_via = s;
                            heap.push(State::new(next, Node::Sink));
                        }
                    }
                    // Stakeholders this salesperson covers may leave them; nobody's only on a
                    // path that passes the sink (otherwise ending there is never longer).
                    let mut leave = |t: usize, weight: f64, heap: &mut BinaryHeap<State>| {
                        let reduced = (weight + potential.salespeople[s]
                            - potential.stakeholders[t])
                            .max(0.0);
                        let next = cost + reduced;
                        if next < self.stakeholder_distance[t] {
                            if self.stakeholder_distance[t].is_infinite() {
                                self.touched_stakeholders.push(t);
                            }
                            self.stakeholder_distance[t] = next;
                            self.stakeholder_via[t] = Some(s);
                            heap.push(State::new(next, Node::Stakeholder(t)));
                        }
                    };
                    if s != nobody {
                        for (t, w) in &covering[s] {
                            leave(*t, *w, &mut heap);
                        }
                    } else if !sink_ends {
                        for (t, uncovered) in flow.uncovered.iter().enumerate() {
                            if *uncovered > 0 {
                                leave(t, 0.0, &mut heap);
                            }
                        }
                    }
                }
                Node::Sink => {
                    if cost > sink_distance || sink_settled.is_some() {
                        continue;
                    }
                    if sink_ends {
                        end = Some((End::Sink, cost));
                        break;
                    }
                    sink_settled = Some(cost);
                    // Back from the sink to any salesperson with a slot in use: it is let go.
                    let any_uncovered = flow.uncovered.iter().any(|u| *u > 0);
                    for s in 0..=nobody {
                        let in_use = if s == nobody { any_uncovered } else { used(s) > 0 };
                        if !in_use {
                            continue;
                        }
                        let next = cost + (potential.sink - potential.salespeople[s]).max(0.0);
                        if next < self.salesperson_distance[s] {
                            if self.salesperson_distance[s].is_infinite() {
                                self.touched_salespeople.push(s);
                            }
                            self.salesperson_distance[s] = next;
                            self.salesperson_via[s] = Via::Sink;
                            heap.push(State::new(next, Node::Salesperson(s)));
                        }
                    }
                }
            }
        }
        let (end, distance) = end?;
        let mut path = Vec::new();
        let mut node = match end {
            End::Sink => Node::Sink,
            End::Salesperson(s) => Node::Salesperson(s),
        };
        loop {
            node = match node {
                Node::Sink => Node::Salesperson(sink_via),
                Node::Salesperson(s) => match self.salesperson_via[s] {
                    Via::Stakeholder(t) => {
                        path.push(Step::Join(t, s));
                        Node::Stakeholder(t)
                    }
                    Via::Sink => Node::Sink,
                },
                Node::Stakeholder(t) => match self.stakeholder_via[t] {
                    Some(s) => {
                        path.push(Step::Leave(t, s));
                        Node::Salesperson(s)
                    }
                    None => break,
                },
            };
        }
        for (t, d) in self.settled_stakeholders.drain(..) {
            potential.stakeholders[t] += d - distance;
        }
        for (s, d) in self.settled_salespeople.drain(..) {
            potential.salespeople[s] += d - distance;
        }
        if let Some(d) = sink_settled {
            potential.sink += d - distance;
        }
        for t in self.touched_stakeholders.drain(..) {
            self.stakeholder_distance[t] = f64::INFINITY;
        }
        for s in self.touched_salespeople.drain(..) {
            self.salesperson_distance[s] = f64::INFINITY;
        }
        Some((path, end))
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
            match solve_with(
                &problem,
                candidates,
                if round % 4 == 1 { 1.0 } else { REPLACE_AT_MOST },
            ) {
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
            let sparse = solve_with(&problem, 0, 1.0).unwrap();
            let full = solve_with(&problem, usize::MAX / 4, REPLACE_AT_MOST).unwrap();
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
    fn placing_again_the_stakeholders_who_gained_pairs_is_as_good_as_solving_afresh() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(29);
        for _ in 0..300 {
            let (salespeople, stakeholders) = (rng.gen_range(2..8), rng.gen_range(5..30));
            let capacities: Vec<u32> = (0..salespeople).map(|_| rng.gen_range(0..5)).collect();
            let demands: Vec<u32> = (0..stakeholders).map(|_| rng.gen_range(0..3)).collect();
            let mut pairs = Vec::new();
            for s in 0..salespeople {
                for t in 0..stakeholders {
                    if rng.gen_bool(0.8) {
                        pairs.push((s, t, f64::from(rng.gen_range(1..6))));
                    }
                }
            }
            let mut grouped = Grouped::new(stakeholders, pairs.iter().copied());
            for t in 0..stakeholders {
                grouped.look_at_best(t, rng.gen_range(0..3));
            }
            let mut flow = Flow::solve(&capacities, &demands, grouped.looked_at().options());
            // Some stakeholders gain pairs; only they are placed again.
            let gained: Vec<usize> = (0..stakeholders).filter(|_| rng.gen_bool(0.3)).collect();
            for t in &gained {
                grouped.look_at(*t, |_| rng.gen_bool(0.5));
            }
            let looked = grouped.looked_at();
            flow.replace(&gained, looked.options());
            let afresh = Flow::solve(&capacities, &demands, looked.options());
            let weight = |flow: &Flow| flow.covering.iter().flatten().map(|(_, w)| w).sum::<f64>();
            assert!((weight(&flow) - weight(&afresh)).abs() < 1e-9, "{pairs:?}");
            for (s, capacity) in capacities.iter().enumerate() {
                assert!(flow.covering[s].len() as u32 <= *capacity);
                assert_eq!(flow.vacated[s], 0);
            }
            for (t, demand) in demands.iter().enumerate() {
                assert_eq!(flow.coverers[t].len() as u32 + flow.uncovered[t], *demand);
            }
        }
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
