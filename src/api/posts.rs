//! A post on the wire.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::api::Wire;
use crate::domain::facet::Facet;
use crate::domain::post::NewPost;
use crate::domain::sync::ExternalRef;
use crate::error::Error;
use crate::store::posts::{Post, Posts};
use crate::store::resource::GivenRefs;

fn one_seat() -> i32 {
    1
}

/// A post as written by a client.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PostRequest {
    /// The organization the post belongs to.
    pub organization_id: Uuid,
    /// Job title as written down.
    #[schema(min_length = 1, max_length = 200)]
    pub title: String,
    /// Business function, e.g. `procurement`.
    #[serde(default)]
    #[schema(max_length = 200)]
    pub function: Option<String>,
    /// The post this one formally reports to; no cycles.
    #[serde(default)]
    pub reports_to_post_id: Option<Uuid>,
    /// Seats: how many persons may hold the post at the same time (default 1).
    #[serde(default = "one_seat")]
    #[schema(minimum = 1, maximum = 10000)]
    pub headcount: i32,
    /// When the post was created.
    #[serde(default, deserialize_with = "crate::api::moment::optional_date")]
    pub established_on: Option<NaiveDate>,
    /// When the post was abolished.
    #[serde(default, deserialize_with = "crate::api::moment::optional_date")]
    pub abolished_on: Option<NaiveDate>,
    /// The formal facets: tasks, expectations, priorities as written down. Changing them
    /// records a new revision of the formal job.
    #[serde(default)]
    #[schema(max_items = 200)]
    pub facets: Vec<Facet>,
    /// When this version of the formal facets took effect (default: now; for a new post, its
    /// `established_on`, else always).
    #[serde(default, skip_serializing, deserialize_with = "crate::api::moment::optional_time")]
    pub facets_effective_at: Option<DateTime<Utc>>,
    /// Ids of this entity in other systems; absent keeps the current ones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_items = 20)]
    pub external_refs: Option<Vec<ExternalRef>>,
}

impl Wire for Posts {
    const COLLECTION: &'static str = "/v1/posts";
    type Request = PostRequest;
    type Response = PostResponse;

    fn parse(r: PostRequest) -> Result<(NewPost, GivenRefs), Error> {
        let new = NewPost::parse(
            r.organization_id,
            &r.title,
            r.function.as_deref(),
            r.reports_to_post_id,
            r.headcount,
            r.established_on,
            r.abolished_on,
            r.facets,
            r.facets_effective_at.map(|t| t.naive_utc()),
        );
        Ok((new?, r.external_refs))
    }
    fn request(new: &NewPost) -> PostRequest {
        PostRequest {
            organization_id: new.organization_id,
            title: new.title.clone(),
            function: new.function.clone(),
            reports_to_post_id: new.reports_to_post_id,
            headcount: new.headcount,
            established_on: new.established_on,
            abolished_on: new.abolished_on,
            facets: new.facets.clone(),
            facets_effective_at: None,
            external_refs: None,
        }
    }
}

/// A post.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PostResponse {
    /// Id (UUID v7).
    pub id: Uuid,
    /// The organization the post belongs to.
    pub organization_id: Uuid,
    /// Job title.
    pub title: String,
    /// Business function.
    pub function: Option<String>,
    /// The post this one formally reports to.
    pub reports_to_post_id: Option<Uuid>,
    /// Seats.
    pub headcount: i32,
    /// When the post was created.
    pub established_on: Option<NaiveDate>,
    /// When the post was abolished.
    pub abolished_on: Option<NaiveDate>,
    /// The formal facets.
    pub facets: Vec<Facet>,
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

impl From<Post> for PostResponse {
    fn from(p: Post) -> Self {
        PostResponse {
            external_refs: p.external_refs.clone(),
            id: p.id,
            organization_id: p.fields.organization_id,
            title: p.fields.title,
            function: p.fields.function,
            reports_to_post_id: p.fields.reports_to_post_id,
            headcount: p.fields.headcount,
            established_on: p.fields.established_on,
            abolished_on: p.fields.abolished_on,
            facets: p.fields.facets,
            version: p.version,
            created_at: p.created_at.and_utc(),
            updated_at: p.updated_at.and_utc(),
        }
    }
}
