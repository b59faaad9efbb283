//! `/v1/persons`: people, apart from the posts they hold; and their careers.

use actix_web::{delete, get, patch, post, put, web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::api::persons::{PersonRequest, PersonResponse};
use crate::domain::api_key::Scope;
use crate::error::Error;
use crate::http::auth::Principal;
use crate::http::etag::IfMatch;
use crate::http::extract::Query;
use crate::http::pagination::{page, ListParams, Page};
use crate::http::respond::{deleted, ok};
use crate::http::tenures::list_person_tenures;
use crate::http::{read, read_pipelined, resource, write};
use crate::store::erasure;
use crate::store::persons::{self, Persons};
use crate::store::Db;

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_persons)
        .service(create_person)
        .service(find_person)
        .service(replace_person)
        .service(update_person)
        .service(delete_person)
        .service(list_erasures)
        .service(list_person_tenures);
}

resource::crud_routes!(
    Persons,
    tag = "persons",
    collection = "/v1/persons",
    item = "/v1/persons/{id}",
    request = PersonRequest,
    response = PersonResponse,
    /// List persons in id order.
    list = list_persons(ListParams) => |params| ((), params.page_request()?),
    /// Create a person.
    create = create_person,
    /// Replace a person's fields.
    replace = replace_person,
    /// Change some of a person's fields (JSON merge patch, RFC 7396).
    patch = update_person,
);

/// Read a person.
#[utoipa::path(tag = "persons", params(("id" = Uuid, Path)), responses((status = 200, body = PersonResponse)))]
#[get("/v1/persons/{id}")]
pub async fn find_person(
    db: web::Data<Db>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, Error> {
    principal.require(Scope::Read)?;
    let (tenant, id) = (principal.tenant_id, id.into_inner());
    // The hottest read: pipelined on PostgreSQL, and a person's view is the person itself.
    let person = read_pipelined(
        &db,
        |c| persons::find_pipelined(c, tenant, id),
        move |c| persons::find(c, tenant, id),
    )
    .await?;
    Ok(ok(person.version, PersonResponse::from(person)))
}

/// How a person is deleted.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PersonDeleteParams {
    /// Also delete their tenures, crafting history, relationships, coverage and interactions.
    pub cascade: Option<bool>,
    /// Erase the person's personal data everywhere and keep the anonymised structure
    /// (admin scope): see the README.
    pub erase: Option<bool>,
}

/// Delete a person; with `cascade=true` also everything about them. With `erase=true`
/// (admin) their personal data is erased everywhere instead, the anonymised structure stays
/// (the post's succession shows an erased holder), the feed gets a tombstone, and the erasure
/// is recorded (`GET /v1/erasures`).
#[utoipa::path(tag = "persons", params(("id" = Uuid, Path), PersonDeleteParams), responses((status = 204, description = "deleted or erased")))]
#[delete("/v1/persons/{id}")]
pub async fn delete_person(
    db: web::Data<Db>,
    principal: Principal,
    id: web::Path<Uuid>,
    IfMatch(expected): IfMatch,
    Query(params): Query<PersonDeleteParams>,
) -> Result<HttpResponse, Error> {
    let (id, cascade) = (id.into_inner(), params.cascade.unwrap_or(false));
    if params.erase != Some(true) {
        return resource::delete::<Persons>(&db, principal, id, expected, cascade).await;
    }
    principal.require(Scope::Admin)?;
    if cascade {
        return Err(Error::invalid(
            "erase",
            "erase keeps the structure; cascade deletes it: choose one",
        ));
    }
    write(&db, principal.actor(), move |c| erasure::erase(c, principal.tenant_id, id, &expected))
        .await?;
    Ok(deleted())
}

/// A recorded erasure: who erased whom, when.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErasureResponse {
    pub id: Uuid,
    pub person_id: Uuid,
    pub erased_at: DateTime<Utc>,
    /// The API key that erased.
    pub key_id: Option<Uuid>,
    /// The origin of the request (`X-Jobcraft-Origin`, else the key's name).
    pub origin: String,
}

/// Erasures of the tenant, oldest first (admin scope).
#[utoipa::path(tag = "persons", params(ListParams), responses((status = 200, body = Page<ErasureResponse>)))]
#[get("/v1/erasures")]
pub async fn list_erasures(
    db: web::Data<Db>,
    principal: Principal,
    Query(params): Query<ListParams>,
) -> Result<HttpResponse, Error> {
    principal.require(Scope::Admin)?;
    let request = params.page_request()?;
    let (rows, more) =
        read(&db, move |c| erasure::erasures(c, principal.tenant_id, request)).await?;
    Ok(HttpResponse::Ok().json(page(
        rows,
        more,
        |e| e.id,
        |e| ErasureResponse {
            id: e.id,
            person_id: e.person_id,
            erased_at: e.erased_at.and_utc(),
            key_id: e.key_id,
            origin: e.origin,
        },
    )))
}
