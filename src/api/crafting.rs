//! A crafting revision on the wire.

use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use crate::api::moment::utc;
use crate::domain::facet::{Dimension, Facet};
use crate::domain::sync::ExternalRef;
use crate::store::crafting::StoredRevision;

/// A crafting revision: immutable; a correction is a new revision.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RevisionResponse {
    /// Id (UUID v7).
    pub id: Uuid,
    /// The tenure observed.
    pub tenure_id: Uuid,
    /// The dimensions this revision states in full.
    pub dimensions: Vec<Dimension>,
    /// The facets observed.
    pub facets: Vec<Facet>,
    /// Where the observation comes from.
    pub source: Option<String>,
    /// How sure the observer was, 0 to 1.
    pub confidence: f64,
    /// When it became true in the world.
    pub effective_at: DateTime<Utc>,
    /// When the service learned it.
    pub recorded_at: DateTime<Utc>,
    /// The name of the API key that recorded it.
    pub recorded_by: Option<String>,
    /// Ids of this observation in other systems.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(max_items = 20)]
    pub external_refs: Option<Vec<ExternalRef>>,
}

impl From<StoredRevision> for RevisionResponse {
    fn from(r: StoredRevision) -> Self {
        RevisionResponse {
            id: r.revision.id,
            tenure_id: r.tenure_id,
            dimensions: r.revision.dimensions,
            facets: r.revision.facets,
            source: r.source,
            confidence: r.confidence,
            effective_at: utc(r.revision.effective_at),
            recorded_at: utc(r.revision.recorded_at),
            recorded_by: r.recorded_by,
            external_refs: r.external_refs,
        }
    }
}
