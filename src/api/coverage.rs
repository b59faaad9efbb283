//! A coverage link (which salesperson covers which stakeholder) on the wire.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::api::Wire;
use crate::domain::coverage::{CoverageRole, NewCoverage};
use crate::domain::sync::ExternalRef;
use crate::error::Error;
use crate::store::coverage::{CoverageLinks, CoverageView};
use crate::store::resource::GivenRefs;

/// A coverage link as written by a client.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CoverageRequest {
    /// The salesperson: a person with a current tenure in an `own` organization.
    pub salesperson_id: Uuid,
    /// The stakeholder they cover.
    pub stakeholder_id: Uuid,
    pub role: CoverageRole,
    /// Stated strength, 0 to 1; absent to derive it from interactions.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 1)]
    pub strength: Option<f64>,
    /// Ids of this link in other systems; absent keeps the current ones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_items = 20)]
    pub external_refs: Option<Vec<ExternalRef>>,
}

impl Wire for CoverageLinks {
    const COLLECTION: &'static str = "/v1/coverage";
    type Request = CoverageRequest;
    type Response = CoverageResponse;

    fn parse(r: CoverageRequest) -> Result<(NewCoverage, GivenRefs), Error> {
        let new = NewCoverage {
            salesperson_id: r.salesperson_id,
            stakeholder_id: r.stakeholder_id,
            role: r.role,
            strength: r.strength,
        };
        Ok((new.validate()?, r.external_refs))
    }
    fn request(new: &NewCoverage) -> CoverageRequest {
        CoverageRequest {
            salesperson_id: new.salesperson_id,
            stakeholder_id: new.stakeholder_id,
            role: new.role,
            strength: new.strength,
            external_refs: None,
        }
    }
}

#[derive(Debug, Clone, Copy, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StrengthSource {
    Stated,
    Derived,
}

/// A coverage link with its effective strength.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CoverageResponse {
    pub id: Uuid,
    pub salesperson_id: Uuid,
    pub stakeholder_id: Uuid,
    pub role: CoverageRole,
    /// The strength in effect: the stated one, else the one derived from interactions.
    #[schema(minimum = 0, maximum = 1)]
    pub strength: f64,
    pub strength_source: StrengthSource,
    /// The stated strength, if any.
    #[schema(minimum = 0, maximum = 1)]
    pub stated_strength: Option<f64>,
    /// Derived from interactions with the tenant's half-life (see the README).
    #[schema(minimum = 0, maximum = 1)]
    pub derived_strength: f64,
    /// The latest logged interaction between the two.
    pub last_interaction_at: Option<DateTime<Utc>>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Ids of this link in other systems.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(max_items = 20)]
    pub external_refs: Option<Vec<ExternalRef>>,
}

impl From<CoverageView> for CoverageResponse {
    fn from(view: CoverageView) -> Self {
        let CoverageView { link, derived_strength, last_interaction_at } = view;
        let stated = link.fields.strength;
        CoverageResponse {
            id: link.id,
            salesperson_id: link.fields.salesperson_id,
            stakeholder_id: link.fields.stakeholder_id,
            role: link.fields.role,
            strength: stated.unwrap_or(derived_strength),
            strength_source: if stated.is_some() {
                StrengthSource::Stated
            } else {
                StrengthSource::Derived
            },
            stated_strength: stated,
            derived_strength,
            last_interaction_at: last_interaction_at.map(|t| t.and_utc()),
            version: link.version,
            created_at: link.created_at.and_utc(),
            updated_at: link.updated_at.and_utc(),
            external_refs: link.external_refs,
        }
    }
}
