//! `/v1/posts`: formal jobs, their reporting lines and formal facets; and their successions.

use actix_web::{delete, get, patch, post, put, web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use crate::api::moment::time_point;
use crate::api::posts::{PostRequest, PostResponse};
use crate::domain::api_key::Scope;
use crate::domain::facet::Facet;
use crate::error::Error;
use crate::http::auth::Principal;
use crate::http::crafting::AsOfParams;
use crate::http::extract::Query;
use crate::http::pagination::{ListParams, Page};
use crate::http::respond::DeleteParams;
use crate::http::tenures::list_post_tenures;
use crate::http::{read, resource};
use crate::store::post_revisions;
use crate::store::posts::{self, PostFilter, Posts};
use crate::store::Db;

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

resource::crud_routes!(
    Posts,
    tag = "posts",
    collection = "/v1/posts",
    item = "/v1/posts/{id}",
    request = PostRequest,
    response = PostResponse,
    /// List posts in id order.
    list = list_posts(ListParams) => |params| (PostFilter::default(), params.page_request()?),
    /// Create a post.
    create = create_post,
    /// Replace a post's fields. Fewer seats than simultaneous holders is a 409.
    replace = replace_post,
    /// Change some of a post's fields (JSON merge patch, RFC 7396; `facets` is replaced whole).
    patch = update_post,
    /// Delete a post; with `cascade=true` also its tenures, and posts reporting to it lose
    /// their reporting line.
    delete = delete_post(DeleteParams),
);

/// Read a post, with its formal facets as of a time (as known at a time).
#[utoipa::path(tag = "posts", params(("id" = Uuid, Path), AsOfParams), responses((status = 200, body = PostResponse)))]
#[get("/v1/posts/{id}")]
pub async fn find_post(
    db: web::Data<Db>,
    principal: Principal,
    id: web::Path<Uuid>,
    Query(params): Query<AsOfParams>,
) -> Result<HttpResponse, Error> {
    let (id, at) = (id.into_inner(), time_point(params.as_of, params.known_at));
    resource::find_by::<Posts, _>(&db, principal, move |c, tenant| {
        posts::find_at(c, tenant, id, at)
    })
    .await
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
