//! `/v1/relationships`: observed links between persons, inside or across organizations.

use actix_web::{delete, get, patch, post, put, web, HttpResponse};
use serde::Deserialize;
use uuid::Uuid;

use crate::api::relationships::{RelationshipRequest, RelationshipResponse};
use crate::error::Error;
use crate::http::auth::Principal;
use crate::http::etag::IfMatch;
use crate::http::extract::{Json, Query};
use crate::http::pagination::{page_request, Page};
use crate::http::resource;
use crate::store::relationships::Relationships;
use crate::store::Db;

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_relationships)
        .service(create_relationship)
        .service(find_relationship)
        .service(replace_relationship)
        .service(update_relationship)
        .service(delete_relationship);
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RelationshipListParams {
    /// Only relationships from or to this person.
    pub person_id: Option<Uuid>,
    /// Rows per page, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// List relationships in id order.
#[utoipa::path(tag = "network", params(RelationshipListParams), responses((status = 200, body = Page<RelationshipResponse>)))]
#[get("/v1/relationships")]
pub async fn list_relationships(
    db: web::Data<Db>,
    principal: Principal,
    Query(params): Query<RelationshipListParams>,
) -> Result<HttpResponse, Error> {
    resource::list::<Relationships>(
        &db,
        principal,
        params.person_id,
        page_request(params.limit, params.cursor.as_deref())?,
    )
    .await
}

/// Record a relationship.
#[utoipa::path(tag = "network", request_body = RelationshipRequest, responses((status = 201, body = RelationshipResponse)))]
#[post("/v1/relationships")]
pub async fn create_relationship(
    db: web::Data<Db>,
    principal: Principal,
    Json(body): Json<RelationshipRequest>,
) -> Result<HttpResponse, Error> {
    resource::create::<Relationships>(&db, principal, body).await
}

/// Read a relationship.
#[utoipa::path(tag = "network", params(("id" = Uuid, Path)), responses((status = 200, body = RelationshipResponse)))]
#[get("/v1/relationships/{id}")]
pub async fn find_relationship(
    db: web::Data<Db>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, Error> {
    resource::find::<Relationships>(&db, principal, id.into_inner()).await
}

/// Replace a relationship.
#[utoipa::path(tag = "network", params(("id" = Uuid, Path)), request_body = RelationshipRequest, responses((status = 200, body = RelationshipResponse)))]
#[put("/v1/relationships/{id}")]
pub async fn replace_relationship(
    db: web::Data<Db>,
    principal: Principal,
    id: web::Path<Uuid>,
    IfMatch(expected): IfMatch,
    Json(body): Json<RelationshipRequest>,
) -> Result<HttpResponse, Error> {
    resource::replace::<Relationships>(&db, principal, id.into_inner(), expected, body).await
}

/// Change some of a relationship's fields (JSON merge patch, RFC 7396).
#[utoipa::path(tag = "network", params(("id" = Uuid, Path)), request_body(content = serde_json::Value, content_type = "application/merge-patch+json"), responses((status = 200, body = RelationshipResponse)))]
#[patch("/v1/relationships/{id}")]
pub async fn update_relationship(
    db: web::Data<Db>,
    principal: Principal,
    id: web::Path<Uuid>,
    IfMatch(expected): IfMatch,
    Json(patch): Json<serde_json::Value>,
) -> Result<HttpResponse, Error> {
    resource::patch::<Relationships>(&db, principal, id.into_inner(), expected, patch).await
}

/// Delete a relationship.
#[utoipa::path(tag = "network", params(("id" = Uuid, Path)), responses((status = 204, description = "deleted")))]
#[delete("/v1/relationships/{id}")]
pub async fn delete_relationship(
    db: web::Data<Db>,
    principal: Principal,
    id: web::Path<Uuid>,
    IfMatch(expected): IfMatch,
) -> Result<HttpResponse, Error> {
    resource::delete::<Relationships>(&db, principal, id.into_inner(), expected, false).await
}
