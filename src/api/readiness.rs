//! Readiness on the wire: how a person's crafted job covers a target post, with its parts.

use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use crate::domain::facet::Dimension;
use crate::domain::readiness::{Fit, Readiness};
use crate::store::vocabulary::Labels;

#[derive(Debug, Clone, Copy, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FitResponse {
    /// The person weighs it as much as the post asks, or more.
    Met,
    /// Less than the post asks.
    Weaker,
    /// Not stressed at all.
    Missing,
}

/// A facet the target post stresses, against the person's crafted job.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DemandResponse {
    pub dimension: Dimension,
    pub key: String,
    pub label: Option<String>,
    /// The post's formal weight.
    pub asked: f64,
    /// The person's weight, if they stress it.
    pub held: Option<f64>,
    /// A core facet of the post: counts twice in the score.
    pub core: bool,
    pub fit: FitResponse,
    /// held / asked, at most 1.
    pub share: f64,
}

/// Something the person stresses that the post does not ask for.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BroughtResponse {
    pub dimension: Dimension,
    pub key: String,
    pub label: Option<String>,
    pub weight: f64,
}

/// The readiness score and its parts.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ReadinessParts {
    /// 0 to 1: the demands' met shares, each counted by what the post asks of it, core facets
    /// twice; 1 when the post stresses nothing.
    pub score: f64,
    /// The same over the post's core facets; null when it has none.
    pub core_score: Option<f64>,
    /// The same over its other facets; null when it has none.
    pub other_score: Option<f64>,
    /// The post's demands, core first, then by weight.
    pub facets: Vec<DemandResponse>,
    /// What the person brings that the post does not ask for, strongest first.
    pub extra: Vec<BroughtResponse>,
}

impl ReadinessParts {
    pub fn of(r: &Readiness, labels: &Labels) -> Self {
        let label =
            |dimension: Dimension, key: &str| labels.get(&(dimension, key.to_owned())).cloned();
        ReadinessParts {
            score: r.score,
            core_score: r.core_score,
            other_score: r.other_score,
            facets: r
                .facets
                .iter()
                .map(|f| DemandResponse {
                    dimension: f.key.0,
                    label: label(f.key.0, &f.key.1),
                    key: f.key.1.clone(),
                    asked: f.asked,
                    held: f.held,
                    core: f.core,
                    fit: match f.fit {
                        Fit::Met => FitResponse::Met,
                        Fit::Weaker => FitResponse::Weaker,
                        Fit::Missing => FitResponse::Missing,
                    },
                    share: f.share,
                })
                .collect(),
            extra: r
                .extra
                .iter()
                .map(|((dimension, key), weight)| BroughtResponse {
                    dimension: *dimension,
                    label: label(*dimension, key),
                    key: key.clone(),
                    weight: *weight,
                })
                .collect(),
        }
    }
}

/// A person's readiness for a post.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ReadinessResponse {
    pub person_id: Uuid,
    pub post_id: Uuid,
    /// The tenures whose crafted jobs were read: the posts the person held at `as_of`.
    pub tenure_ids: Vec<Uuid>,
    pub as_of: DateTime<Utc>,
    pub known_at: DateTime<Utc>,
    pub readiness: ReadinessParts,
}

/// One candidate for a post.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CandidateResponse {
    pub person_id: Uuid,
    pub display_name: String,
    /// The tenures whose crafted jobs were read: the posts the person holds now.
    pub tenure_ids: Vec<Uuid>,
    pub readiness: ReadinessParts,
}

/// The people most ready for a post now, best first.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CandidatesResponse {
    pub post_id: Uuid,
    pub items: Vec<CandidateResponse>,
}
