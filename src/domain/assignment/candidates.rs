//! The pairs a solve looks at: every allowed pair grouped by stakeholder in one array, each
//! group's looked-at pairs first, and copied together for the solve.

/// Every allowed pair `(salesperson, weight)`, grouped by stakeholder, and of each group the
/// pairs the solves look at, first.
#[derive(Clone)]
pub struct Grouped {
    /// A stakeholder's pairs are `pairs[start[t]..start[t + 1]]`.
    start: Vec<usize>,
    /// How many of them, from the first, are looked at.
    pub looked: Vec<usize>,
    pairs: Vec<(usize, f64)>,
}

impl Grouped {
    /// Groups `pairs` `(salesperson, stakeholder, weight)` by stakeholder (a counting sort:
    /// no list per stakeholder), every pair looked at.
    pub fn new(
        stakeholders: usize,
        pairs: impl Iterator<Item = (usize, usize, f64)> + Clone,
    ) -> Self {
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
    pub fn look_at_best(&mut self, t: usize, n: usize) {
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
    pub fn look_at(&mut self, t: usize, mut wanted: impl FnMut(&(usize, f64)) -> bool) -> bool {
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
    pub fn looked_at(&self) -> Looked {
        let mut start = Vec::with_capacity(self.looked.len() + 1);
        let mut pairs = Vec::with_capacity(self.looked.iter().sum());
        for (t, looked) in self.looked.iter().enumerate() {
            start.push(pairs.len());
            pairs.extend_from_slice(&self.pairs[self.start[t]..self.start[t] + looked]);
        }
        start.push(pairs.len());
        Looked { start, pairs }
    }

    pub fn all(&self) -> Options<'_> {
        Options { start: &self.start, pairs: &self.pairs }
    }
}

/// Some of each stakeholder's pairs, kept together.
pub struct Looked {
    start: Vec<usize>,
    pairs: Vec<(usize, f64)>,
}

impl Looked {
    pub fn options(&self) -> Options<'_> {
        Options { start: &self.start, pairs: &self.pairs }
    }
}

/// Each stakeholder's pairs a solve looks at.
#[derive(Clone, Copy)]
pub struct Options<'a> {
    /// A stakeholder's pairs are `pairs[start[t]..start[t + 1]]`.
    start: &'a [usize],
    pairs: &'a [(usize, f64)],
}

impl<'a> Options<'a> {
    pub fn of(&self, t: usize) -> &'a [(usize, f64)] {
        &self.pairs[self.start[t]..self.start[t + 1]]
    }
}
