//! Diffs of crafted jobs: one shape for formal-vs-crafted, over time, and across successors.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::{json, Value};

use crate::domain::crafting::FacetKey;
use crate::domain::facet::{all_dimensions, dimension_name, Dimension};

/// Weights closer than this are the same weight.
const EPSILON: f64 = 1e-9;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = FacetChangeOp)]
pub enum Op {
    Added,
    Removed,
    Changed,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub dimension: Dimension,
    pub key: String,
    pub op: Op,
    pub before: Option<f64>,
    pub after: Option<f64>,
    /// The `after` weight takes a core formal facet below its floor.
    pub breached: bool,
}

/// Counts of one diff, overall and per dimension, and its Euclidean distance (absent = 0).
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
#[schema(as = DiffSummary)]
pub struct Summary {
    /// Keys only in `to`.
    pub added: usize,
    /// Keys only in `from`.
    pub removed: usize,
    /// Keys in both with another weight.
    pub changed: usize,
    /// The same counts per dimension (dimensions without changes are left out).
    pub by_dimension: BTreeMap<String, Counts>,
    /// Euclidean distance between the two weight vectors, an absent key counting as 0.
    pub distance: f64,
}

/// Counts of changes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
#[schema(as = DiffCounts)]
pub struct Counts {
    pub added: usize,
    pub removed: usize,
    pub changed: usize,
}

/// What changed from `before` to `after`, in (dimension, key) order. `floors` holds the core
/// facets' floors on the `after` side.
pub fn diff(
    before: &BTreeMap<FacetKey, f64>,
    after: &BTreeMap<FacetKey, f64>,
    floors: &BTreeMap<FacetKey, f64>,
) -> Vec<Change> {
    let keys: BTreeSet<&FacetKey> = before.keys().chain(after.keys()).collect();
    keys.into_iter()
        .filter_map(|key| {
            let (b, a) = (before.get(key).copied(), after.get(key).copied());
            let op = match (b, a) {
                (None, Some(_)) => Op::Added,
                (Some(_), None) => Op::Removed,
                (Some(b), Some(a)) if (a - b).abs() > EPSILON => Op::Changed,
                _ => return None,
            };
            let breached = match (floors.get(key), a) {
                (Some(floor), Some(a)) => a < *floor,
                _ => false,
            };
            Some(Change { dimension: key.0, key: key.1.clone(), op, before: b, after: a, breached })
        })
        .collect()
}

pub fn summarize(changes: &[Change]) -> Summary {
    let mut summary = Summary::default();
    let mut squares = 0.0;
    for change in changes {
        let counts =
            summary.by_dimension.entry(dimension_name(change.dimension).to_owned()).or_default();
        match change.op {
            Op::Added => {
                summary.added += 1;
                counts.added += 1;
            }
            Op::Removed => {
                summary.removed += 1;
                counts.removed += 1;
            }
            Op::Changed => {
                summary.changed += 1;
                counts.changed += 1;
            }
        }
        squares += (change.after.unwrap_or(0.0) - change.before.unwrap_or(0.0)).powi(2);
    }
    summary.distance = squares.sqrt();
    summary
}

/// The diff as RFC 6902 JSON Patch over the canonical document
/// `{"facets": {"<dimension>": {"<key>": weight}}}`, in which every dimension is present.
pub fn json_patch(changes: &[Change]) -> Vec<Value> {
    changes
        .iter()
        .map(|change| {
            let path = format!(
                "/facets/{}/{}",
                dimension_name(change.dimension),
                change.key.replace('~', "~0").replace('/', "~1")
            );
            match change.op {
                Op::Added => json!({"op": "add", "path": path, "value": change.after}),
                Op::Removed => json!({"op": "remove", "path": path}),
                Op::Changed => json!({"op": "replace", "path": path, "value": change.after}),
            }
        })
        .collect()
}

/// The canonical document of a set of weights, the one `json_patch` applies to.
pub fn canonical_document(weights: &BTreeMap<FacetKey, f64>) -> Value {
    let mut facets = serde_json::Map::new();
    for dimension in all_dimensions() {
        let keys: serde_json::Map<String, Value> = weights
            .iter()
            .filter(|((d, _), _)| *d == dimension)
            .map(|((_, key), weight)| (key.clone(), json!(weight)))
            .collect();
        facets.insert(dimension_name(dimension).to_owned(), Value::Object(keys));
    }
    json!({"facets": facets})
}

#[cfg(test)]
mod tests {
    use super::*;

    fn weights(entries: &[(Dimension, &str, f64)]) -> BTreeMap<FacetKey, f64> {
        entries.iter().map(|(d, k, w)| ((*d, (*k).to_owned()), *w)).collect()
    }

    #[test]
    fn added_removed_and_changed_keys_are_found() {
        let before =
            weights(&[(Dimension::Priority, "growth", 0.5), (Dimension::Task, "audits", 0.8)]);
        let after = weights(&[
            (Dimension::Priority, "growth", 0.9),
            (Dimension::Priority, "sustainability", 0.7),
        ]);
        let changes = diff(&before, &after, &BTreeMap::new());
        let ops: Vec<_> = changes.iter().map(|c| (c.key.as_str(), c.op)).collect();
        assert_eq!(
            ops,
            vec![("audits", Op::Removed), ("growth", Op::Changed), ("sustainability", Op::Added)]
        );
        let summary = summarize(&changes);
        assert_eq!((summary.added, summary.removed, summary.changed), (1, 1, 1));
        assert!((summary.distance - (0.64f64 + 0.16 + 0.49).sqrt()).abs() < 1e-12);
        assert_eq!(summary.by_dimension["priority"].changed, 1);
    }

    #[test]
    fn the_json_patch_turns_before_into_after() {
        let before =
            weights(&[(Dimension::Priority, "growth", 0.5), (Dimension::Task, "audits", 0.8)]);
        let after = weights(&[
            (Dimension::Priority, "growth", 0.9),
            (Dimension::Cognitive, "helping_people", 1.0),
        ]);
        let mut document = canonical_document(&before);
        for op in json_patch(&diff(&before, &after, &BTreeMap::new())) {
            let path: Vec<&str> = op["path"].as_str().unwrap().split('/').skip(1).collect();
            let parent = document.pointer_mut(&format!("/{}/{}", path[0], path[1])).unwrap();
            match op["op"].as_str().unwrap() {
                "remove" => {
                    parent.as_object_mut().unwrap().remove(path[2]);
                }
                _ => {
                    parent[path[2]] = op["value"].clone();
                }
            }
        }
        assert_eq!(document, canonical_document(&after));
    }

    #[test]
    fn going_below_a_floor_is_a_breach() {
        let before = weights(&[(Dimension::Task, "audits", 0.8)]);
        let after = weights(&[(Dimension::Task, "audits", 0.0)]);
        let floors = weights(&[(Dimension::Task, "audits", 0.5)]);
        assert!(diff(&before, &after, &floors)[0].breached);
    }
}
