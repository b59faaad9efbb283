//! A tenure on the wire, alone or with the names around it (careers, successions, holders).

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::api::Wire;
use crate::domain::coverage::BuyingRole;
use crate::domain::sync::ExternalRef;
use crate::domain::tenure::NewTenure;
use crate::error::Error;
use crate::store::resource::GivenRefs;
use crate::store::tenures::{Tenure, Tenures};
use crate::store::views::holdings::TenureView;

/// A tenure as written by a client.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TenureRequest {
    /// The person holding the post.
    pub person_id: Uuid,
    /// The post held.
    pub post_id: Uuid,
    /// First day in the post.
    #[serde(deserialize_with = "crate::api::moment::date")]
    pub started_on: NaiveDate,
    /// The day the tenure ended (exclusive: a successor may start that day); absent while it runs.
    #[serde(default, deserialize_with = "crate::api::moment::optional_date")]
    pub ended_on: Option<NaiveDate>,
    /// The holder's roles in the account's buying centre (the tenure's, not the person's).
    #[serde(default)]
    pub buying_roles: Vec<BuyingRole>,
    /// For salespeople: how many stakeholders they can cover, 0 to 10,000; absent for the
    /// tenant's default.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 10000)]
    pub capacity: Option<i64>,
    /// Ids of this entity in other systems; absent keeps the current ones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_items = 20)]
    pub external_refs: Option<Vec<ExternalRef>>,
}

impl Wire for Tenures {
    const COLLECTION: &'static str = "/v1/tenures";
    type Request = TenureRequest;
    type Response = TenureResponse;

    fn parse(r: TenureRequest) -> Result<(NewTenure, GivenRefs), Error> {
        let new = NewTenure::parse(
            r.person_id,
            r.post_id,
            r.started_on,
            r.ended_on,
            r.buying_roles,
            r.capacity,
        );
        Ok((new?, r.external_refs))
    }
    fn request(new: &NewTenure) -> TenureRequest {
        TenureRequest {
            person_id: new.person_id,
            post_id: new.post_id,
            started_on: new.period.started_on,
            ended_on: new.period.ended_on,
            buying_roles: new.buying_roles.clone(),
            capacity: new.capacity.map(i64::from),
            external_refs: None,
        }
    }
}

/// A tenure.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TenureResponse {
    /// Id (UUID v7).
    pub id: Uuid,
    /// The person holding the post.
    pub person_id: Uuid,
    /// The post held.
    pub post_id: Uuid,
    /// First day in the post.
    pub started_on: NaiveDate,
    /// The day the tenure ended; null while it runs.
    pub ended_on: Option<NaiveDate>,
    /// Whether the tenure runs today.
    pub is_current: bool,
    /// The holder's buying roles.
    pub buying_roles: Vec<BuyingRole>,
    /// A salesperson's capacity; null for the tenant's default.
    pub capacity: Option<u32>,
    /// Increases with every change; the ETag.
    pub version: i64,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// Ids of this entity in other systems.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(max_items = 20)]
    pub external_refs: Option<Vec<ExternalRef>>,
}

impl From<Tenure> for TenureResponse {
    fn from(t: Tenure) -> Self {
        TenureResponse {
            external_refs: t.external_refs.clone(),
            id: t.id,
            person_id: t.person_id,
            post_id: t.post_id,
            started_on: t.period.started_on,
            ended_on: t.period.ended_on,
            is_current: t.period.contains(Utc::now().date_naive()),
            buying_roles: t.buying_roles,
            capacity: t.capacity,
            version: t.version,
            created_at: t.created_at.and_utc(),
            updated_at: t.updated_at.and_utc(),
        }
    }
}

/// A tenure in a career or a succession, with the names around it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TenureViewResponse {
    /// The tenure.
    #[serde(flatten)]
    pub tenure: TenureResponse,
    /// The holder's display name.
    pub person_display_name: String,
    /// The post's title.
    pub post_title: String,
    /// The organization of the post.
    pub organization_id: Uuid,
}

impl From<TenureView> for TenureViewResponse {
    fn from(v: TenureView) -> Self {
        TenureViewResponse {
            tenure: TenureResponse::from(v.tenure),
            person_display_name: v.person_display_name,
            post_title: v.post_title,
            organization_id: v.organization_id,
        }
    }
}

/// Someone holding a post on a given day.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HolderResponse {
    /// The tenure.
    pub tenure_id: Uuid,
    /// The holder.
    pub person_id: Uuid,
    /// The holder's display name.
    pub display_name: String,
    /// First day in the post.
    pub started_on: NaiveDate,
    /// The day the tenure ends, if known.
    pub ended_on: Option<NaiveDate>,
}

impl From<TenureView> for HolderResponse {
    fn from(v: TenureView) -> Self {
        HolderResponse {
            tenure_id: v.tenure.id,
            person_id: v.tenure.person_id,
            display_name: v.person_display_name,
            started_on: v.tenure.period.started_on,
            ended_on: v.tenure.period.ended_on,
        }
    }
}
