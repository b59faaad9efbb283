//! `/v1/posts`: formal jobs, their reporting lines and formal facets; and their successions.

use actix_web::{delete, get, patch, post, put, web, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::api_key::Scope;
use crate::domain::facet::Facet;
use crate::domain::post::NewPost;
use crate::domain::sync::{Entity, ExternalRef};
use crate::error::Error;
use crate::http::crafting::AsOfParams;
use crate::http::etag::IfMatch;
use crate::http::extract::{Json, Query};
use crate::http::moment::time_point;
use crate::http::pagination::{page, ListParams, Page};
use crate::http::respond::{created, deleted, merge_into, ok, DeleteParams};
use crate::http::tenures::{list_holding, HoldingParams, TenureViewResponse};
use crate::http::{read, write};
use crate::store::api_keys::Principal;
use crate::store::external_refs::refresh;
use crate::store::post_revisions;
use crate::store::posts::{self, Post, PostFilter};
use crate::store::views::holdings::Holding;
use crate::store::{Db, Expected};

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_posts)
        .service(create_post)
        .service(find_post)
        .service(replace_post)
        .service(update_post)
        .service(delete_post)
        .service(list_post_tenures)
        .service(list_post_revisions);
}

fn one() -> i32 {
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
    #[serde(default = "one")]
    #[schema(minimum = 1, maximum = 10000)]
    pub headcount: i32,
    /// When the post was created.
    #[serde(default, deserialize_with = "crate::http::moment::optional_date")]
    pub established_on: Option<NaiveDate>,
    /// When the post was abolished.
    #[serde(default, deserialize_with = "crate::http::moment::optional_date")]
    pub abolished_on: Option<NaiveDate>,
    /// The formal facets: tasks, expectations, priorities as written down. Changing them
    /// records a new revision of the formal job.
    #[serde(default)]
    #[schema(max_items = 200)]
    pub facets: Vec<Facet>,
    /// When this version of the formal facets took effect (default: now; for a new post, its
    /// `established_on`, else always).
    #[serde(default, skip_serializing, deserialize_with = "crate::http::moment::optional_time")]
    pub facets_effective_at: Option<DateTime<Utc>>,
    /// Ids of this entity in other systems; absent keeps the current ones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_items = 20)]
    pub external_refs: Option<Vec<ExternalRef>>,
}

impl PostRequest {
    pub(crate) fn parse(self) -> Result<NewPost, Error> {
        NewPost::parse(
            self.organization_id,
            &self.title,
            self.function.as_deref(),
            self.reports_to_post_id,
            self.headcount,
            self.established_on,
            self.abolished_on,
            self.facets,
            self.facets_effective_at.map(|t| t.naive_utc()),
        )
    }
}

impl From<&Post> for PostRequest {
    fn from(p: &Post) -> Self {
        PostRequest {
            external_refs: None,
            organization_id: p.organization_id,
            title: p.title.clone(),
            function: p.function.clone(),
            reports_to_post_id: p.reports_to_post_id,
            headcount: p.headcount,
            established_on: p.established_on,
            abolished_on: p.abolished_on,
            facets: p.facets.clone(),
            facets_effective_at: None,
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
            organization_id: p.organization_id,
            title: p.title,
            function: p.function,
            reports_to_post_id: p.reports_to_post_id,
            headcount: p.headcount,
            established_on: p.established_on,
            abolished_on: p.abolished_on,
            facets: p.facets,
            version: p.version,
            created_at: p.created_at.and_utc(),
            updated_at: p.updated_at.and_utc(),
        }
    }
}

/// List posts in id order.
#[utoipa::path(tag = "posts", params(ListParams), responses((status = 200, body = Page<PostResponse>)))]
#[get("/v1/posts")]
pub async fn list_posts(
    db: web::Data<Db>,
    principal: Principal,
    Query(params): Query<ListParams>,
) -> Result<HttpResponse, Error> {
    principal.require(Scope::Read)?;
    let request = params.page_request()?;
    let (rows, more) =
        read(&db, move |c| posts::list(c, principal.tenant_id, PostFilter::default(), request))
            .await?;
    Ok(HttpResponse::Ok().json(page(rows, more, |p| p.id, PostResponse::from)))
}

/// Create a post.
#[utoipa::path(tag = "posts", request_body = PostRequest, responses((status = 201, body = PostResponse)))]
#[post("/v1/posts")]
pub async fn create_post(
    db: web::Data<Db>,
    principal: Principal,
    Json(body): Json<PostRequest>,
) -> Result<HttpResponse, Error> {
    principal.require(Scope::Write)?;
    let (refs, new) = (body.external_refs.clone(), body.parse()?);
    let post = write(&db, principal.actor(), move |c| {
        posts::create(c, principal.tenant_id, &new, Some(&principal.key_name))
            .and_then(|x| refresh(c, principal.tenant_id, Entity::Post, x.id, &refs, posts::find))
    })
    .await?;
    Ok(created("/v1/posts", post.id, post.version, PostResponse::from(post)))
}

/// Read a post, with its formal facets as of a time (as known at a time).
#[utoipa::path(tag = "posts", params(("id" = Uuid, Path), AsOfParams), responses((status = 200, body = PostResponse)))]
#[get("/v1/posts/{id}")]
pub async fn find_post(
    db: web::Data<Db>,
    principal: Principal,
    id: web::Path<Uuid>,
    Query(params): Query<AsOfParams>,
) -> Result<HttpResponse, Error> {
    principal.require(Scope::Read)?;
    let id = id.into_inner();
    let at = time_point(params.as_of, params.known_at);
    let post = read(&db, move |c| posts::find_at(c, principal.tenant_id, id, at)).await?;
    Ok(ok(post.version, PostResponse::from(post)))
}

/// Replace a post's fields. Fewer seats than simultaneous holders is a 409.
#[utoipa::path(tag = "posts", params(("id" = Uuid, Path)), request_body = PostRequest, responses((status = 200, body = PostResponse)))]
#[put("/v1/posts/{id}")]
pub async fn replace_post(
    db: web::Data<Db>,
    principal: Principal,
    id: web::Path<Uuid>,
    IfMatch(expected): IfMatch,
    Json(body): Json<PostRequest>,
) -> Result<HttpResponse, Error> {
    principal.require(Scope::Write)?;
    let (id, refs, new) = (id.into_inner(), body.external_refs.clone(), body.parse()?);
    let post = write(&db, principal.actor(), move |c| {
        posts::update(c, principal.tenant_id, id, &expected, &new, Some(&principal.key_name))
            .and_then(|x| refresh(c, principal.tenant_id, Entity::Post, x.id, &refs, posts::find))
    })
    .await?;
    Ok(ok(post.version, PostResponse::from(post)))
}

/// Change some of a post's fields (JSON merge patch, RFC 7396; `facets` is replaced whole).
#[utoipa::path(tag = "posts", params(("id" = Uuid, Path)), request_body(content = serde_json::Value, content_type = "application/merge-patch+json"), responses((status = 200, body = PostResponse)))]
#[patch("/v1/posts/{id}")]
pub async fn update_post(
    db: web::Data<Db>,
    principal: Principal,
    id: web::Path<Uuid>,
    IfMatch(expected): IfMatch,
    Json(patch): Json<serde_json::Value>,
) -> Result<HttpResponse, Error> {
    principal.require(Scope::Write)?;
    let id = id.into_inner();
    let post = write(&db, principal.actor(), move |c| {
        let current = posts::find(c, principal.tenant_id, id)?;
        expected.check(current.version)?;
        let merged = merge_into(PostRequest::from(&current), &patch)?;
        let (refs, new) = (merged.external_refs.clone(), merged.parse()?);
        posts::update(
            c,
            principal.tenant_id,
            id,
            &Expected::Read(current.version),
            &new,
            Some(&principal.key_name),
        )
        .and_then(|x| refresh(c, principal.tenant_id, Entity::Post, x.id, &refs, posts::find))
    })
    .await?;
    Ok(ok(post.version, PostResponse::from(post)))
}

/// Delete a post; with `cascade=true` also its tenures, and posts reporting to it lose
/// their reporting line.
#[utoipa::path(tag = "posts", params(("id" = Uuid, Path), DeleteParams), responses((status = 204, description = "deleted")))]
#[delete("/v1/posts/{id}")]
pub async fn delete_post(
    db: web::Data<Db>,
    principal: Principal,
    id: web::Path<Uuid>,
    IfMatch(expected): IfMatch,
    Query(params): Query<DeleteParams>,
) -> Result<HttpResponse, Error> {
    principal.require(Scope::Write)?;
    let (id, cascade) = (id.into_inner(), params.cascade.unwrap_or(false));
    write(&db, principal.actor(), move |c| {
        posts::delete(c, principal.tenant_id, id, &expected, cascade)
    })
    .await?;
    Ok(deleted())
}

/// A post's succession: its holders in chronological order.
#[utoipa::path(tag = "posts", params(("id" = Uuid, Path), HoldingParams), responses((status = 200, body = Page<TenureViewResponse>)))]
#[get("/v1/posts/{id}/tenures")]
pub async fn list_post_tenures(
    db: web::Data<Db>,
    principal: Principal,
    id: web::Path<Uuid>,
    Query(params): Query<HoldingParams>,
) -> Result<HttpResponse, Error> {
    principal.require(Scope::Read)?;
    let id = id.into_inner();
    list_holding(&db, principal.tenant_id, Holding::Succession(id), params).await
}

/// A version of a post's formal facets.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PostRevisionResponse {
    /// Id (UUID v7).
    pub id: Uuid,
    /// The formal facets of this version.
    pub facets: Vec<Facet>,
    /// When this version took effect.
    pub effective_at: DateTime<Utc>,
    /// When the service learned it.
    pub recorded_at: DateTime<Utc>,
    /// The name of the API key that recorded it.
    pub recorded_by: Option<String>,
}

/// The history of a post's formal facets, in the order it was recorded.
#[utoipa::path(tag = "posts", params(("id" = Uuid, Path)), responses((status = 200, body = Page<PostRevisionResponse>)))]
#[get("/v1/posts/{id}/revisions")]
pub async fn list_post_revisions(
    db: web::Data<Db>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, Error> {
    principal.require(Scope::Read)?;
    let id = id.into_inner();
    let history =
        read(&db, move |c| post_revisions::formal_history(c, principal.tenant_id, id)).await?;
    let items: Vec<PostRevisionResponse> = history
        .into_iter()
        .map(|(revision, recorded_by)| PostRevisionResponse {
            id: revision.id,
            facets: revision.facets,
            effective_at: revision.effective_at.and_utc(),
            recorded_at: revision.recorded_at.and_utc(),
            recorded_by,
        })
        .collect();
    Ok(HttpResponse::Ok().json(Page { items, next_cursor: None }))
}
