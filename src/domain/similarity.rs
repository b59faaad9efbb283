//! "Who makes similar changes?": people whose crafting departs from their formal job in the
//! same way, compared by cosine over their formal-vs-crafted diff vectors.

use std::collections::{BTreeMap, HashSet};

use uuid::Uuid;

use crate::domain::crafting::FacetKey;
use crate::domain::diff::Change;

/// A diff as a vector: per facet, how far the crafted weight moved from the formal one
/// (an absent side counts as 0).
pub type DiffVector = BTreeMap<FacetKey, f64>;

pub fn diff_vector<'a>(changes: impl IntoIterator<Item = &'a Change>) -> DiffVector {
    let mut vector = DiffVector::new();
    for change in changes {
        let delta = change.after.unwrap_or(0.0) - change.before.unwrap_or(0.0);
        *vector.entry((change.dimension, change.key.clone())).or_default() += delta;
    }
    vector.retain(|_, delta| delta.abs() > 1e-12);
    vector
}

pub fn cosine(a: &DiffVector, b: &DiffVector) -> f64 {
    let norm = |v: &DiffVector| v.values().map(|x| x * x).sum::<f64>().sqrt();
    let (na, nb) = (norm(a), norm(b));
    if na == 0.0 || nb == 0.0 {
        return 0.0;
    }
    let dot: f64 = a.iter().filter_map(|(key, x)| b.get(key).map(|y| x * y)).sum();
    dot / (na * nb)
}

/// The changes both made in the same direction, strongest first: the explanation of a match.
pub fn shared_changes(a: &DiffVector, b: &DiffVector) -> Vec<(FacetKey, f64, f64)> {
    let mut shared: Vec<(FacetKey, f64, f64)> = a
        .iter()
        .filter_map(|(key, x)| b.get(key).filter(|y| x * *y > 0.0).map(|y| (key.clone(), *x, *y)))
        .collect();
    shared.sort_by(|l, r| (r.1 * r.2).total_cmp(&(l.1 * l.2)));
    shared
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::diff::Op;
    use crate::domain::facet::Dimension;

    fn change(key: &str, before: Option<f64>, after: Option<f64>) -> Change {
        Change {
            dimension: Dimension::Priority,
            key: key.into(),
            op: Op::Changed,
            before,
            after,
            breached: false,
        }
    }

    #[test]
    fn the_same_changes_are_similar_and_opposite_ones_are_not() {
        let a = diff_vector(&[
            change("sustainability", None, Some(0.9)),
            change("cost_reduction", Some(0.9), Some(0.2)),
        ]);
        let b = diff_vector(&[
            change("sustainability", None, Some(0.6)),
            change("cost_reduction", Some(0.8), Some(0.3)),
        ]);
        let c = diff_vector(&[change("sustainability", Some(0.9), Some(0.0))]);
        assert!(cosine(&a, &b) > 0.9);
        assert!(cosine(&a, &c) < 0.0);
        assert_eq!(shared_changes(&a, &b).len(), 2);
        assert!(shared_changes(&a, &c).is_empty());
        assert_eq!(cosine(&a, &DiffVector::new()), 0.0);
    }
}

/// Facet keys numbered per tenant, so that many vectors can be held compactly in memory.
#[derive(Debug, Default, Clone)]
pub struct KeyTable {
    ids: std::collections::HashMap<FacetKey, u32>,
    keys: Vec<FacetKey>,
}

impl KeyTable {
    pub fn id(&mut self, key: &FacetKey) -> u32 {
        if let Some(id) = self.ids.get(key) {
            return *id;
        }
        let id = self.keys.len() as u32;
        self.keys.push(key.clone());
        self.ids.insert(key.clone(), id);
        id
    }

    pub fn key(&self, id: u32) -> Option<&FacetKey> {
        self.keys.get(id as usize)
    }

    /// Every key, by id.
    pub fn keys(&self) -> &[FacetKey] {
        &self.keys
    }

    /// A table of these keys, numbered in this order.
    pub fn of_keys(keys: Vec<FacetKey>) -> KeyTable {
        let ids = keys.iter().enumerate().map(|(id, key)| (key.clone(), id as u32)).collect();
        KeyTable { ids, keys }
    }

    /// The id of a key already in the table.
    pub fn find(&self, key: &FacetKey) -> Option<u32> {
        self.ids.get(key).copied()
    }
}

/// A diff vector as `(key id, delta)` pairs sorted by key id, with its norm.
#[derive(Debug, Clone, Default)]
pub struct CompactVector {
    pub entries: Vec<(u32, f32)>,
    pub norm: f32,
}

impl CompactVector {
    pub fn of(vector: &DiffVector, table: &mut KeyTable) -> CompactVector {
        let mut entries: Vec<(u32, f32)> =
            vector.iter().map(|(key, delta)| (table.id(key), *delta as f32)).collect();
        entries.sort_by_key(|(id, _)| *id);
        CompactVector::from_entries(entries)
    }

    /// A vector of these entries, which must be sorted by key id, each once (`cosine` and
    /// `get` rely on it); its norm computed.
    pub fn from_entries(entries: Vec<(u32, f32)>) -> CompactVector {
        debug_assert!(entries.windows(2).all(|w| w[0].0 < w[1].0), "sorted by key id, each once");
        let norm = entries.iter().map(|(_, x)| x * x).sum::<f32>().sqrt();
        CompactVector { entries, norm }
    }

    /// The value at a key id.
    pub fn get(&self, id: u32) -> Option<f64> {
        let at = self.entries.binary_search_by_key(&id, |(k, _)| *k).ok()?;
        Some(f64::from(self.entries[at].1))
    }

    /// Cosine similarity by a merge of the two sorted entry lists.
    pub fn cosine(&self, other: &CompactVector) -> f64 {
        if self.norm == 0.0 || other.norm == 0.0 {
            return 0.0;
        }
        let (mut i, mut j, mut dot) = (0, 0, 0.0f32);
        while i < self.entries.len() && j < other.entries.len() {
            let ((a, x), (b, y)) = (self.entries[i], other.entries[j]);
            match a.cmp(&b) {
                std::cmp::Ordering::Less => i += 1,
                std::cmp::Ordering::Greater => j += 1,
                std::cmp::Ordering::Equal => {
                    dot += x * y;
                    i += 1;
                    j += 1;
                }
            }
        }
        f64::from(dot / (self.norm * other.norm))
    }

    /// The sum of several vectors (a person holding more than one post).
    pub fn sum<'a>(vectors: impl IntoIterator<Item = &'a CompactVector>) -> CompactVector {
        let mut summed: BTreeMap<u32, f32> = BTreeMap::new();
        for vector in vectors {
            for (id, delta) in &vector.entries {
                *summed.entry(*id).or_default() += delta;
            }
        }
        CompactVector::from_entries(summed.into_iter().filter(|(_, d)| d.abs() > 1e-9).collect())
    }

    pub fn expand(&self, table: &KeyTable) -> DiffVector {
        self.entries
            .iter()
            .filter_map(|(id, delta)| table.key(*id).map(|k| (k.clone(), f64::from(*delta))))
            .collect()
    }
}

/// The best `limit` of `scored` (highest score first, ties by `order`), one per person: each
/// person with their best. Only the head of the ranking is sorted, as long as it holds `limit`
/// people: sorting 100,000 scores took a tenth of the similar-crafters call.
pub fn best_per_person<T, K: Ord>(
    mut scored: Vec<(f64, T)>,
    limit: usize,
    person: impl Fn(&T) -> Uuid,
    order: impl Fn(&T) -> K,
) -> Vec<(f64, T)> {
    let ranking =
        |a: &(f64, T), b: &(f64, T)| b.0.total_cmp(&a.0).then(order(&a.1).cmp(&order(&b.1)));
    let mut head = (limit * 4).max(64);
    loop {
        if head >= scored.len() {
            scored.sort_unstable_by(ranking);
            break;
        }
        scored.select_nth_unstable_by(head, ranking);
        scored[..head].sort_unstable_by(ranking);
        let people: HashSet<Uuid> = scored[..head].iter().map(|(_, t)| person(t)).collect();
        if people.len() >= limit {
            // The full ranking's first `head` are these, in this order: its first `limit`
            // people are among them.
            scored.truncate(head);
            break;
        }
        head *= 4;
    }
    let mut seen = HashSet::new();
    scored.into_iter().filter(|(_, t)| seen.insert(person(t))).take(limit).collect()
}

#[cfg(test)]
mod compact_tests {
    use super::*;
    use crate::domain::facet::Dimension;

    #[test]
    fn compact_cosine_agrees_with_the_plain_one() {
        let key = |k: &str| (Dimension::Priority, k.to_owned());
        let a: DiffVector = [(key("a"), 0.9), (key("b"), -0.7), (key("c"), 0.2)].into();
        let b: DiffVector = [(key("b"), -0.5), (key("c"), 0.4), (key("d"), 1.0)].into();
        let mut table = KeyTable::default();
        let (ca, cb) = (CompactVector::of(&a, &mut table), CompactVector::of(&b, &mut table));
        assert!((ca.cosine(&cb) - cosine(&a, &b)).abs() < 1e-6);
        assert_eq!(ca.expand(&table).len(), 3);
    }
    #[test]
    fn the_best_per_person_match_a_full_sort_however_often_people_repeat() {
        let full = |scored: &[(f64, (Uuid, u32))], limit: usize| {
            let mut all = scored.to_vec();
            all.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1 .1.cmp(&b.1 .1)));
            let mut seen = HashSet::new();
            all.into_iter().filter(|(_, t)| seen.insert(t.0)).take(limit).collect::<Vec<_>>()
        };
        for people in [1u128, 3, 50, 1000] {
            // Scores repeat (ties broken by the entry's number) and people hold many entries.
            let scored: Vec<(f64, (Uuid, u32))> = (0..5000u32)
                .map(|n| {
                    (f64::from((n * 7919) % 101), (Uuid::from_u128(u128::from(n) % people), n))
                })
                .collect();
            for limit in [1, 10, 100] {
                let best = best_per_person(scored.clone(), limit, |t| t.0, |t| t.1);
                assert_eq!(best, full(&scored, limit), "{people} people, limit {limit}");
            }
        }
    }
}
