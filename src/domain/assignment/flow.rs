//! The min-cost flow behind the solver: stakeholder slots sent to salespeople (or nobody) by
//! successive shortest paths, Dijkstra over Johnson potentials.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::candidates::Options;

/// Stakeholder slots sent to salespeople (or nobody) at least cost, kept optimal for the options
/// it was solved on, with the Johnson potentials that prove it.
///
/// Paths end where a slot is missing: at the sink while slots are `unplaced` (each slot's
/// unit must reach it), or at a salesperson with a `vacated` slot (a stakeholder taken off them
/// by `replace`, to be refilled — or let go through the sink, at the salesperson's price).
pub struct Flow<'a> {
    capacities: &'a [u32],
    demands: &'a [u32],
    /// Who each salesperson covers now, with the pair's weight.
    pub covering: Vec<Vec<(usize, f64)>>,
    /// And who covers each stakeholder, so a search skips pairs already made at a glance.
    pub coverers: Vec<Vec<usize>>,
    /// Each stakeholder's slots left to nobody.
    pub uncovered: Vec<u32>,
    /// Each salesperson's slots whose stakeholder `replace` took off, not yet refilled or let go.
    pub vacated: Vec<u32>,
    /// Slots that must still reach the sink.
    pub unplaced: u32,
    pub potential: Potentials,
    search: Search,
}

impl<'a> Flow<'a> {
    /// Solves on `options` from scratch, slot by slot.
    pub fn solve(capacities: &'a [u32], demands: &'a [u32], options: Options) -> Self {
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

    /// Places the given stakeholders again, after pairs were added to them: all are first taken
    /// off whoever covers them (their slots vacated) and their potentials raised until every
    /// pair they have costs no less than the potentials say (a pair added may be worth more
    /// than the potentials allowed); then each is placed, most valuable first. Taken off first,
    /// none of them is on another's path while it still has such a pair, so every search is
    /// a true shortest path and the rest of the flow stays optimal.
    pub fn replace(&mut self, stakeholders: &[usize], options: Options) {
        let nobody = self.capacities.len();
        let order = by_value(options, stakeholders.iter().copied());
        for &t in &order {
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
        }
        for t in order {
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
        let Some((path, end)) = found else {
            debug_assert!(false, "no path from stakeholder {t} though a slot is missing");
            return;
        };
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
pub struct Potentials {
    pub stakeholders: Vec<f64>,
    pub salespeople: Vec<f64>,
    pub sink: f64,
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

    /// Salesperson `s` reached at distance `next` (via `via`), if nearer than before.
    fn reach_salesperson(&mut self, s: usize, next: f64, via: Via, heap: &mut BinaryHeap<State>) {
        if next < self.salesperson_distance[s] {
            if self.salesperson_distance[s].is_infinite() {
                self.touched_salespeople.push(s);
            }
            self.salesperson_distance[s] = next;
            self.salesperson_via[s] = via;
            heap.push(State::new(next, Node::Salesperson(s)));
        }
    }

    /// Stakeholder `t` reached at distance `next`, leaving salesperson `from`, if nearer than
    /// before.
    fn reach_stakeholder(
        &mut self,
        t: usize,
        next: f64,
        from: usize,
        heap: &mut BinaryHeap<State>,
    ) {
        if next < self.stakeholder_distance[t] {
            if self.stakeholder_distance[t].is_infinite() {
                self.touched_stakeholders.push(t);
            }
            self.stakeholder_distance[t] = next;
            self.stakeholder_via[t] = Some(from);
            heap.push(State::new(next, Node::Stakeholder(t)));
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
                    let from = potential.stakeholders[t];
                    let to = |s: usize, edge_cost: f64| {
                        cost + (edge_cost + from - potential.salespeople[s]).max(0.0)
                    };
                    self.reach_salesperson(nobody, to(nobody, 0.0), Via::Stakeholder(t), &mut heap);
                    for (s, w) in options.of(t) {
                        if !flow.coverers[t].contains(s) {
                            self.reach_salesperson(*s, to(*s, -w), Via::Stakeholder(t), &mut heap);
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
                    let from = potential.salespeople[s];
                    let to = |t: usize, weight: f64| {
                        cost + (weight + from - potential.stakeholders[t]).max(0.0)
                    };
                    if s != nobody {
                        for (t, w) in &covering[s] {
                            self.reach_stakeholder(*t, to(*t, *w), s, &mut heap);
                        }
                    } else if !sink_ends {
                        for (t, uncovered) in flow.uncovered.iter().enumerate() {
                            if *uncovered > 0 {
                                self.reach_stakeholder(t, to(t, 0.0), s, &mut heap);
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
                        self.reach_salesperson(s, next, Via::Sink, &mut heap);
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
