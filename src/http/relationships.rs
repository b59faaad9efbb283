//! `/v1/relationships`: observed links between persons, inside or across organizations.

use actix_web::{delete, get, patch, post, put, web, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::api_key::Scope;
use crate::domain::coverage::{NewRelationship, RelationshipKind};
use crate::domain::sync::{Entity, ExternalRef};
use crate::error::Error;
use crate::http::etag::IfMatch;
use crate::http::extract::{Json, Query};
use crate::http::pagination::{page, page_request, Page};
use crate::http::respond::{created, deleted, merge_into, ok};
use crate::http::{read, write};
use crate::store::api_keys::Principal;
use crate::store::external_refs::refresh;
use crate::store::relationships::{self, Relationship};
use crate::store::{Db, Expected};

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_relationships)
        .service(create_relationship)
        .service(find_relationship)
        .service(replace_relationship)
        .service(update_relationship)
        .service(delete_relationship);
}

/// A relationship as written by a client.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RelationshipRequest {
    /// The person the relationship goes from (who influences, advises, blocks, reports).
    pub from_person_id: Uuid,
    /// The person it goes to.
    pub to_person_id: Uuid,
    pub kind: RelationshipKind,
    /// How strong it is, 0 to 1.
    #[schema(minimum = 0, maximum = 1)]
    pub strength: f64,
    /// First day it holds; absent for "as far as we know, always".
    #[serde(default, deserialize_with = "crate::http::moment::optional_date")]
    pub valid_from: Option<NaiveDate>,
    /// The day it stopped holding (exclusive); absent while it holds.
    #[serde(default, deserialize_with = "crate::http::moment::optional_date")]
    pub valid_until: Option<NaiveDate>,
    /// Free notes.
    #[serde(default)]
    pub notes: Option<String>,
    /// Ids of this relationship in other systems; absent keeps the current ones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_items = 20)]
    pub external_refs: Option<Vec<ExternalRef>>,
}

impl RelationshipRequest {
    pub(crate) fn parse(&self) -> Result<NewRelationship, Error> {
        NewRelationship {
            from_person_id: self.from_person_id,
            to_person_id: self.to_person_id,
            kind: self.kind,
            strength: self.strength,
            valid_from: self.valid_from,
            valid_until: self.valid_until,
            notes: self.notes.clone(),
        }
        .validate()
    }
}

impl From<&Relationship> for RelationshipRequest {
    fn from(r: &Relationship) -> Self {
        let f = &r.fields;
        RelationshipRequest {
            from_person_id: f.from_person_id,
            to_person_id: f.to_person_id,
            kind: f.kind,
            strength: f.strength,
            valid_from: f.valid_from,
            valid_until: f.valid_until,
            notes: f.notes.clone(),
            external_refs: r.external_refs.clone(),
        }
    }
}

/// A relationship.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RelationshipResponse {
    /// Id (UUID v7).
    pub id: Uuid,
    // Inline: the request schema is closed (`additionalProperties: false`), so an `allOf` with
    // it would admit no response.
    #[serde(flatten)]
    #[schema(inline)]
    pub fields: RelationshipRequest,
    /// Whether it holds today.
    pub is_current: bool,
    /// Increases with every change; the ETag.
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Relationship> for RelationshipResponse {
    fn from(r: Relationship) -> Self {
        RelationshipResponse {
            id: r.id,
            fields: RelationshipRequest::from(&r),
            is_current: r.fields.holds_on(Utc::now().date_naive()),
            version: r.version,
            created_at: r.created_at.and_utc(),
            updated_at: r.updated_at.and_utc(),
        }
    }
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
    principal.require(Scope::Read)?;
    let request = page_request(params.limit, params.cursor.as_deref())?;
    let person = params.person_id;
    let (rows, more) = read(&db, move |c| {
        relationships::list_relationships(c, principal.tenant_id, person, request)
    })
    .await?;
    Ok(HttpResponse::Ok().json(page(rows, more, |r| r.id, RelationshipResponse::from)))
}

/// Record a relationship.
#[utoipa::path(tag = "network", request_body = RelationshipRequest, responses((status = 201, body = RelationshipResponse)))]
#[post("/v1/relationships")]
pub async fn create_relationship(
    db: web::Data<Db>,
    principal: Principal,
    Json(body): Json<RelationshipRequest>,
) -> Result<HttpResponse, Error> {
    principal.require(Scope::Write)?;
    let (refs, new) = (body.external_refs.clone(), body.parse()?);
    let r = write(&db, principal.actor(), move |c| {
        relationships::create_relationship(c, principal.tenant_id, &new).and_then(|x| {
            refresh(
                c,
                principal.tenant_id,
                Entity::Relationship,
                x.id,
                &refs,
                relationships::find_relationship,
            )
        })
    })
    .await?;
    Ok(created("/v1/relationships", r.id, r.version, RelationshipResponse::from(r)))
}

/// Read a relationship.
#[utoipa::path(tag = "network", params(("id" = Uuid, Path)), responses((status = 200, body = RelationshipResponse)))]
#[get("/v1/relationships/{id}")]
pub async fn find_relationship(
    db: web::Data<Db>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, Error> {
    principal.require(Scope::Read)?;
    let id = id.into_inner();
    let r =
        read(&db, move |c| relationships::find_relationship(c, principal.tenant_id, id)).await?;
    Ok(ok(r.version, RelationshipResponse::from(r)))
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
    principal.require(Scope::Write)?;
    let (id, refs, new) = (id.into_inner(), body.external_refs.clone(), body.parse()?);
    let r = write(&db, principal.actor(), move |c| {
        relationships::update_relationship(c, principal.tenant_id, id, &expected, &new).and_then(
            |x| {
                refresh(
                    c,
                    principal.tenant_id,
                    Entity::Relationship,
                    x.id,
                    &refs,
                    relationships::find_relationship,
                )
            },
        )
    })
    .await?;
    Ok(ok(r.version, RelationshipResponse::from(r)))
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
    principal.require(Scope::Write)?;
    let id = id.into_inner();
    let r = write(&db, principal.actor(), move |c| {
        let current = relationships::find_relationship(c, principal.tenant_id, id)?;
        expected.check(current.version)?;
        let merged = merge_into(RelationshipRequest::from(&current), &patch)?;
        let (refs, new) = (merged.external_refs.clone(), merged.parse()?);
        relationships::update_relationship(
            c,
            principal.tenant_id,
            id,
            &Expected::Read(current.version),
            &new,
        )
        .and_then(|x| {
            refresh(
                c,
                principal.tenant_id,
                Entity::Relationship,
                x.id,
                &refs,
                relationships::find_relationship,
            )
        })
    })
    .await?;
    Ok(ok(r.version, RelationshipResponse::from(r)))
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
    principal.require(Scope::Write)?;
    let id = id.into_inner();
    write(&db, principal.actor(), move |c| {
        relationships::delete_relationship(c, principal.tenant_id, id, &expected)
    })
    .await?;
    Ok(deleted())
}
