//! A development plan on the wire.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::api::Wire;
use crate::domain::development::{Artifact, CheckIn, Goal, NewPlan, PlanState, Sought, HOURS_MAX};
use crate::domain::facet::Dimension;
use crate::domain::sync::ExternalRef;
use crate::error::Error;
use crate::store::development_plans::{DevelopmentPlans, PlanView};
use crate::store::resource::GivenRefs;

/// A development plan as written by a client.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DevelopmentPlanRequest {
    /// The tenure whose holder grows; a plan stays with its tenure.
    pub tenure_id: Uuid,
    /// The post the holder crafts toward, if any.
    #[serde(default)]
    pub target_post_id: Option<Uuid>,
    #[schema(min_length = 1, max_length = 200, examples("Toward account executive"))]
    pub title: String,
    /// Default `active`.
    #[serde(default = "active")]
    pub state: PlanState,
    /// Learning time agreed per week, 0 to 40 hours.
    #[schema(minimum = 0, maximum = 40)]
    pub learning_hours_per_week: f64,
    /// The facets to develop, each with the weight aimed for; none may aim a core facet of the
    /// current post below its floor.
    #[schema(max_items = 20)]
    pub goals: Vec<Goal>,
    /// Mentors and stakeholders the holder seeks out.
    #[serde(default)]
    #[schema(max_items = 20)]
    pub sought: Vec<Sought>,
    /// Evidence of new capabilities.
    #[serde(default)]
    #[schema(max_items = 100)]
    pub artifacts: Vec<Artifact>,
    /// One-on-ones about the plan.
    #[serde(default)]
    #[schema(max_items = 200)]
    pub check_ins: Vec<CheckIn>,
    /// Ids of this plan in other systems (an HR tool); absent keeps the current ones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_items = 20)]
    pub external_refs: Option<Vec<ExternalRef>>,
}

fn active() -> PlanState {
    PlanState::Active
}

impl Wire for DevelopmentPlans {
    const COLLECTION: &'static str = "/v1/development-plans";
    type Request = DevelopmentPlanRequest;
    type Response = DevelopmentPlanResponse;

    fn parse(r: DevelopmentPlanRequest) -> Result<(NewPlan, GivenRefs), Error> {
        let new = NewPlan {
            tenure_id: r.tenure_id,
            target_post_id: r.target_post_id,
            title: r.title,
            state: r.state,
            learning_hours_per_week: r.learning_hours_per_week,
            goals: r.goals,
            sought: r.sought,
            artifacts: r.artifacts,
            check_ins: r.check_ins,
        };
        Ok((new.validate()?, r.external_refs))
    }
    fn request(new: &NewPlan) -> DevelopmentPlanRequest {
        DevelopmentPlanRequest {
            tenure_id: new.tenure_id,
            target_post_id: new.target_post_id,
            title: new.title.clone(),
            state: new.state,
            learning_hours_per_week: new.learning_hours_per_week,
            goals: new.goals.clone(),
            sought: new.sought.clone(),
            artifacts: new.artifacts.clone(),
            check_ins: new.check_ins.clone(),
            external_refs: None,
        }
    }
}

/// A crafting revision that moved a goal, and the weight it left.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ProgressStep {
    pub effective_at: DateTime<Utc>,
    pub weight: f64,
    pub revision_id: Uuid,
}

/// How far a goal has come, read from the holder's crafting revisions.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct GoalProgressResponse {
    pub dimension: Dimension,
    pub key: String,
    pub target_weight: f64,
    /// The weight of the facet in the holder's crafted job when the plan was made (0 when it
    /// did not stress it).
    pub baseline_weight: f64,
    /// Its weight now.
    pub current_weight: f64,
    /// (current − baseline) / (target − baseline), 0 to 1.
    pub share: f64,
    pub reached: bool,
    /// Each revision since the plan was made that restated the facet's dimension, oldest first.
    pub steps: Vec<ProgressStep>,
}

/// Learning time of the person's active plans against the tenant's limit.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct LearningTimeResponse {
    /// Hours per week over every active plan of the person (all their tenures).
    pub total_hours_per_week: f64,
    /// The tenant's limit (`/v1/settings/development`).
    pub limit_hours_per_week: f64,
    /// Flagged, not refused: the manager decides.
    pub over_limit: bool,
}

/// A development plan, with its progress.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DevelopmentPlanResponse {
    /// Id (UUID v7).
    pub id: Uuid,
    // Inline: the request schema is closed (`additionalProperties: false`), so an `allOf` with
    // it would admit no response.
    #[serde(flatten)]
    #[schema(inline)]
    pub fields: DevelopmentPlanRequest,
    /// The holder of the tenure.
    pub person_id: Uuid,
    /// Each goal's progress, in the order of `goals`.
    pub progress: Vec<GoalProgressResponse>,
    pub learning_time: LearningTimeResponse,
    /// The holder's readiness for the target post now (`/v1/persons/{id}/readiness`); null
    /// without a target.
    pub target_readiness: Option<f64>,
    /// Increases with every change; the ETag.
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<PlanView> for DevelopmentPlanResponse {
    fn from(v: PlanView) -> Self {
        let PlanView { plan, person_id, goals, learning, target_readiness } = v;
        DevelopmentPlanResponse {
            id: plan.id,
            fields: DevelopmentPlanRequest {
                external_refs: plan.external_refs,
                ..DevelopmentPlans::request(&plan.fields)
            },
            person_id,
            progress: goals
                .into_iter()
                .map(|g| GoalProgressResponse {
                    dimension: g.goal.dimension,
                    key: g.goal.key,
                    target_weight: g.goal.target_weight,
                    baseline_weight: g.progress.baseline,
                    current_weight: g.progress.current,
                    share: g.progress.share,
                    reached: g.progress.reached,
                    steps: g
                        .steps
                        .into_iter()
                        .map(|(at, weight, revision_id)| ProgressStep {
                            effective_at: at.and_utc(),
                            weight,
                            revision_id,
                        })
                        .collect(),
                })
                .collect(),
            learning_time: LearningTimeResponse {
                total_hours_per_week: learning.total,
                limit_hours_per_week: learning.limit,
                over_limit: learning.over_limit(),
            },
            target_readiness,
            version: plan.version,
            created_at: plan.created_at.and_utc(),
            updated_at: plan.updated_at.and_utc(),
        }
    }
}

/// The tenant's rules for development plans.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DevelopmentSettings {
    /// Learning time a person may have agreed per week over all their active plans, 0 to 40
    /// hours (default 4); more is flagged on the plans.
    #[schema(minimum = 0, maximum = 40)]
    pub learning_hours_limit: f64,
}

impl DevelopmentSettings {
    pub fn validate(self) -> Result<Self, Error> {
        if !(0.0..=HOURS_MAX).contains(&self.learning_hours_limit) {
            return Err(Error::invalid(
                "/learning_hours_limit",
                format!("must be between 0 and {HOURS_MAX}"),
            ));
        }
        Ok(self)
    }
}
