//! Facets: the one shape for every crafting attribute, `(dimension, key, weight, note)`.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::domain::text;
use crate::error::FieldError;

pub const KEY_MAX: usize = 64;
pub const NOTE_MAX: usize = 1_000;
pub const FACETS_MAX: usize = 200;

/// The four forms of job crafting plus the three that matter in a sale.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Dimension {
    Task,
    Relational,
    Cognitive,
    Context,
    Priority,
    DecisionCriterion,
    PartnerPreference,
}

pub fn all_dimensions() -> [Dimension; 7] {
    [
        Dimension::Task,
        Dimension::Relational,
        Dimension::Cognitive,
        Dimension::Context,
        Dimension::Priority,
        Dimension::DecisionCriterion,
        Dimension::PartnerPreference,
    ]
}

/// One crafting attribute. `weight` > 0 stresses or adds, < 0 plays down or avoids, 0 drops.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Facet {
    /// Which form of crafting, or which sales attribute, this is.
    pub dimension: Dimension,
    /// The attribute, e.g. `carbon_footprint`: lowercase letters, digits, `_`, `-`, `.`.
    #[schema(min_length = 1, max_length = 64, examples("carbon_footprint"))]
    pub key: String,
    /// From -1 to 1: positive stresses, adds or prefers; negative plays down or avoids; 0 drops.
    #[schema(minimum = -1, maximum = 1, examples(0.9))]
    pub weight: f64,
    /// Free text, e.g. what was observed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 1000)]
    pub note: Option<String>,
    /// Formal facets only: a core responsibility, which crafting may not take below `floor`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub core: bool,
    /// Formal facets only: the lowest weight a holder may give a core facet (default 0.1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = -1, maximum = 1)]
    pub floor: Option<f64>,
}

/// Whose facets a list holds: only a post's formal facets may be core.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FacetSource {
    Formal,
    Crafted,
}

/// Checks a list of facets as one set: each valid, at most one per `(dimension, key)`.
/// `pointer` locates the list in the request body.
pub fn parse_facets(
    facets: Vec<Facet>,
    source: FacetSource,
    pointer: &str,
) -> Result<Vec<Facet>, Vec<FieldError>> {
    let mut errors = Vec::new();
    if facets.len() > FACETS_MAX {
        errors.push(FieldError::new(pointer, format!("at most {FACETS_MAX} facets")));
    }
    let mut seen = HashSet::new();
    let mut parsed = Vec::with_capacity(facets.len());
    for (i, facet) in facets.into_iter().enumerate() {
        let at = format!("{pointer}/{i}");
        let key = text::slug(&facet.key, &format!("{at}/key"), KEY_MAX);
        let note = text::optional(facet.note.as_deref(), &format!("{at}/note"), NOTE_MAX);
        if !(-1.0..=1.0).contains(&facet.weight) {
            errors.push(FieldError::new(format!("{at}/weight"), "must be between -1 and 1"));
        }
        if facet.core && source == FacetSource::Crafted {
            errors.push(FieldError::new(format!("{at}/core"), "only formal facets can be core"));
        }
        if let Some(floor) = facet.floor {
            if !facet.core {
                errors.push(FieldError::new(format!("{at}/floor"), "a floor needs `core: true`"));
            } else if !(-1.0..=1.0).contains(&floor) {
                errors.push(FieldError::new(format!("{at}/floor"), "must be between -1 and 1"));
            }
        }
        match (key, note) {
            (Ok(key), Ok(note)) => {
                if !seen.insert((facet.dimension, key.clone())) {
                    errors.push(FieldError::new(
                        format!("{at}/key"),
                        format!(
                            "`{}:{key}` appears more than once",
                            dimension_name(facet.dimension)
                        ),
                    ));
                }
                parsed.push(Facet { key, note, ..facet });
            }
            (key, note) => errors.extend(key.err().into_iter().chain(note.err())),
        }
    }
    if errors.is_empty() {
        Ok(parsed)
    } else {
        Err(errors)
    }
}

impl Dimension {
    pub fn parse(name: &str) -> Option<Dimension> {
        all_dimensions().into_iter().find(|d| dimension_name(*d) == name)
    }
}

pub fn dimension_name(dimension: Dimension) -> &'static str {
    match dimension {
        Dimension::Task => "task",
        Dimension::Relational => "relational",
        Dimension::Cognitive => "cognitive",
        Dimension::Context => "context",
        Dimension::Priority => "priority",
        Dimension::DecisionCriterion => "decision_criterion",
        Dimension::PartnerPreference => "partner_preference",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facet(dimension: Dimension, key: &str, weight: f64) -> Facet {
        Facet { dimension, key: key.into(), weight, note: None, core: false, floor: None }
    }

    #[test]
    fn a_valid_set_parses() {
        let facets = vec![
            facet(Dimension::DecisionCriterion, "carbon_footprint", 0.8),
            facet(Dimension::Priority, "carbon_footprint", -0.2),
        ];
        assert_eq!(parse_facets(facets.clone(), FacetSource::Formal, "/facets").unwrap(), facets);
    }

    #[test]
    fn weights_outside_the_unit_range_are_named() {
        let errors =
            parse_facets(vec![facet(Dimension::Task, "a", 1.5)], FacetSource::Formal, "/facets")
                .unwrap_err();
        assert_eq!(errors[0].pointer, "/facets/0/weight");
    }

    #[test]
    fn a_key_twice_in_one_dimension_is_rejected() {
        let facets = vec![facet(Dimension::Task, "a", 0.1), facet(Dimension::Task, "a", 0.2)];
        let errors = parse_facets(facets, FacetSource::Formal, "/facets").unwrap_err();
        assert_eq!(errors[0].pointer, "/facets/1/key");
    }

    #[test]
    fn crafted_facets_cannot_be_core() {
        let core = Facet { core: true, ..facet(Dimension::Task, "a", 0.5) };
        assert!(parse_facets(vec![core.clone()], FacetSource::Formal, "/f").is_ok());
        let errors = parse_facets(vec![core], FacetSource::Crafted, "/f").unwrap_err();
        assert_eq!(errors[0].pointer, "/f/0/core");
    }

    #[test]
    fn nan_weights_are_rejected() {
        assert!(parse_facets(
            vec![facet(Dimension::Task, "a", f64::NAN)],
            FacetSource::Formal,
            "/f"
        )
        .is_err());
    }
}
