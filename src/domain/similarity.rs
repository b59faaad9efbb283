//! "Who makes similar changes?": people whose crafting departs from their formal job in the
//! same way, compared by cosine over their formal-vs-crafted diff vectors.

use std::collections::BTreeMap;

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
