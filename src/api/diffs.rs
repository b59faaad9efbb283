//! Crafted-job diffs on the wire: a diff's two sides, its changes and summary, the same as a
//! JSON Patch, a post's succession of diffs, and guardrail breaches.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::api::moment::utc;
use crate::api::tenures::TenureViewResponse;
use crate::domain::crafting::{EffectiveJob, FacetKey, TimePoint};
use crate::domain::diff::{diff, summarize, Change, Op, Summary};
use crate::domain::facet::Dimension;
use crate::store::crafting::TenureHistory;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
pub enum DiffFormat {
    /// The diff document.
    #[default]
    #[serde(rename = "json")]
    Json,
    /// RFC 6902 JSON Patch over `{"facets": {"<dimension>": {"<key>": weight}}}`.
    #[serde(rename = "json-patch")]
    JsonPatch,
}

/// One side of a diff.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DiffSide {
    /// `formal` (the post as written down) or `crafted` (a holder's effective crafted job).
    pub kind: String,
    pub post_id: Uuid,
    pub tenure_id: Option<Uuid>,
    pub person_id: Option<Uuid>,
    /// The holder's display name, in successions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub person_display_name: Option<String>,
    /// What was effective at this time…
    pub as_of: DateTime<Utc>,
    /// …as known at this time.
    pub known_at: DateTime<Utc>,
    /// The revision this side was read at, when named in the request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revision_id: Option<Uuid>,
}

/// One changed facet.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = FacetChangeResponse)]
pub struct ChangeResponse {
    pub dimension: Dimension,
    pub key: String,
    /// The key's label from the vocabulary.
    pub label: Option<String>,
    pub op: Op,
    pub before: Option<f64>,
    pub after: Option<f64>,
    /// `breached` when `after` takes a core formal facet below its floor.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub guardrail: Option<String>,
}

/// A diff of two crafted jobs (or of the formal job and a crafted one).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DiffResponse {
    pub from: DiffSide,
    pub to: DiffSide,
    pub changes: Vec<ChangeResponse>,
    pub summary: Summary,
}

/// The kind of a JSON Patch operation.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum JsonPatchOp {
    Add,
    Remove,
    Replace,
}

/// One RFC 6902 JSON Patch operation over `{"facets": {"<dimension>": {"<key>": weight}}}`
/// (`format=json-patch`; written by `domain::diff::json_patch`, described here).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct JsonPatchOperation {
    pub op: JsonPatchOp,
    /// `/facets/<dimension>/<key>`, the key escaped as RFC 6901 says.
    pub path: String,
    /// The new weight (absent for `remove`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<f64>,
}

/// One handover as a JSON Patch, from the predecessor's crafted job to the successor's.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SuccessionPatchResponse {
    pub from_tenure_id: Option<Uuid>,
    pub to_tenure_id: Option<Uuid>,
    pub patch: Vec<JsonPatchOperation>,
}

/// A succession as diffs (`format=json`, the default) or as one JSON Patch per handover
/// (`format=json-patch`).
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum SuccessionAnswer {
    Diffs(SuccessionResponse),
    Patches(Vec<SuccessionPatchResponse>),
}

pub type Labels = HashMap<(Dimension, String), String>;

pub fn diff_response(
    from: DiffSide,
    to: DiffSide,
    before: &BTreeMap<FacetKey, f64>,
    after_job: &EffectiveJob,
    labels: &Labels,
) -> (DiffResponse, Vec<Change>) {
    let changes = diff(before, &after_job.weights(), &after_job.floors());
    let summary = summarize(&changes);
    let response = DiffResponse {
        from,
        to,
        changes: changes.iter().map(|c| change_response(c, labels)).collect(),
        summary,
    };
    (response, changes)
}

pub fn change_response(change: &Change, labels: &Labels) -> ChangeResponse {
    ChangeResponse {
        dimension: change.dimension,
        key: change.key.clone(),
        label: labels.get(&(change.dimension, change.key.clone())).cloned(),
        op: change.op,
        before: change.before,
        after: change.after,
        guardrail: change.breached.then(|| "breached".to_owned()),
    }
}

pub fn crafted_side(history: &TenureHistory, at: TimePoint, revision_id: Option<Uuid>) -> DiffSide {
    DiffSide {
        kind: "crafted".into(),
        post_id: history.tenure.post_id,
        tenure_id: Some(history.tenure.id),
        person_id: Some(history.tenure.person_id),
        person_display_name: None,
        as_of: utc(at.as_of),
        known_at: utc(at.known_at),
        revision_id,
    }
}

/// What each new holder brings: for each pair of successive holders, the predecessor's crafted
/// job at the end of their tenure against the successor's current (or final) one.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SuccessionResponse {
    pub post_id: Uuid,
    /// One diff per handover, oldest first.
    pub successions: Vec<DiffResponse>,
}

/// A core formal facet that a current holder takes below its floor.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BreachResponse {
    /// The holder's tenure, with the post and person around it.
    #[serde(flatten)]
    pub tenure: TenureViewResponse,
    pub dimension: Dimension,
    pub key: String,
    pub label: Option<String>,
    /// The post's weight.
    pub formal_weight: Option<f64>,
    /// The holder's weight, below the floor.
    pub weight: f64,
    pub floor: f64,
    /// The crafting revision that set the weight.
    pub revision_id: Option<Uuid>,
}
