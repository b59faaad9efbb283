//! Sync with other systems: the entity types jobcraft reports and accepts, and the ids other
//! systems (CRMs) give them.

use serde::{Deserialize, Serialize};

use crate::error::FieldError;

/// The kinds of entity the feed reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Entity {
    Organization,
    Person,
    Post,
    Tenure,
    CraftingRevision,
    Relationship,
    Coverage,
    Interaction,
    /// A manager's decision about an alert of a coverage report (its id is the alert's).
    Alert,
    DevelopmentPlan,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = ChangeOperation)]
pub enum Operation {
    Create,
    Update,
    Delete,
}

/// An id of the entity in another system.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(deny_unknown_fields)]
pub struct ExternalRef {
    /// The system, e.g. `salesforce`.
    #[schema(min_length = 1, max_length = 100, pattern = "^[a-z0-9_.-]+$", examples("salesforce"))]
    pub source: String,
    /// The id there.
    #[schema(min_length = 1, max_length = 255, examples("0035e00000AbCdEAAZ"))]
    pub external_id: String,
}

impl Entity {
    /// The entity type named in a sync path, e.g. `persons` in `/v1/sync/persons/…`.
    pub fn from_path(name: &str) -> Option<Entity> {
        Some(match name {
            "organizations" => Entity::Organization,
            "persons" => Entity::Person,
            "posts" => Entity::Post,
            "tenures" => Entity::Tenure,
            "relationships" => Entity::Relationship,
            "coverage" => Entity::Coverage,
            "crafting_revisions" => Entity::CraftingRevision,
            "development_plans" => Entity::DevelopmentPlan,
            _ => return None,
        })
    }

    pub const SYNCED: [&'static str; 8] = [
        "organizations",
        "persons",
        "posts",
        "tenures",
        "relationships",
        "coverage",
        "crafting_revisions",
        "development_plans",
    ];
}

/// Longest external id kept; CRM ids are far shorter.
pub const EXTERNAL_ID_MAX: usize = 255;
/// Most external ids per entity.
pub const EXTERNAL_REFS_MAX: usize = 20;

/// A source names a system: 1 to 100 of lowercase letters, digits, `_`, `-`, `.`.
pub fn is_source(source: &str) -> bool {
    !source.is_empty()
        && source.len() <= 100
        && source
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"_-.".contains(&b))
}

/// An external id: 1 to 255 characters without control characters.
pub fn is_external_id(id: &str) -> bool {
    !id.trim().is_empty() && id.len() <= EXTERNAL_ID_MAX && !id.chars().any(char::is_control)
}

/// Every problem with a list of external ids, named by pointer.
pub fn check_refs(refs: &[ExternalRef], pointer: &str) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if refs.len() > EXTERNAL_REFS_MAX {
        errors.push(FieldError::new(pointer, format!("at most {EXTERNAL_REFS_MAX} external ids")));
    }
    for (i, r) in refs.iter().enumerate() {
        if !is_source(&r.source) {
            errors.push(FieldError::new(
                format!("{pointer}/{i}/source"),
                "must name a system: 1 to 100 of a-z, 0-9, _, -, .",
            ));
        }
        if !is_external_id(&r.external_id) {
            errors.push(FieldError::new(
                format!("{pointer}/{i}/external_id"),
                format!("must be 1 to {EXTERNAL_ID_MAX} characters, not blank"),
            ));
        }
        if refs[..i].contains(r) {
            errors.push(FieldError::new(format!("{pointer}/{i}"), "listed twice"));
        }
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn external_ids_are_checked_field_by_field() {
        let refs = vec![
            ExternalRef { source: "salesforce".into(), external_id: "003A".into() },
            ExternalRef { source: "Sales Force".into(), external_id: " ".into() },
            ExternalRef { source: "salesforce".into(), external_id: "003A".into() },
        ];
        let pointers: Vec<String> =
            check_refs(&refs, "/external_refs").into_iter().map(|e| e.pointer).collect();
        assert_eq!(
            pointers,
            ["/external_refs/1/source", "/external_refs/1/external_id", "/external_refs/2"]
        );
    }
}
