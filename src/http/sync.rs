//! `/v1/sync`: the routes of the sync engine (`crate::sync`).

use actix_web::http::header;
use actix_web::{get, post, put, web, HttpResponse};
use serde_json::Value;

use crate::domain::api_key::Scope;
use crate::error::Error;
use crate::http::auth::Principal;
use crate::http::etag::etag;
use crate::http::extract::{BatchJson, Json};
use crate::http::{read, write};
use crate::store::{statistics, Backend, Db};
use crate::sync::batch::{self, BatchRequest, BatchResponse, BATCH_MAX};
use crate::sync::{collection, key_of, lookup, upsert};

/// The entity a sync path names, as its own `GET` answers it (one of these, told apart by
/// their required fields). Only describes the answers: the handlers pass the entity's JSON on.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum SyncedEntityResponse {
    Organization(crate::api::organizations::OrganizationResponse),
    Person(crate::api::persons::PersonResponse),
    Post(crate::api::posts::PostResponse),
    Tenure(crate::api::tenures::TenureResponse),
    Relationship(crate::api::relationships::RelationshipResponse),
    Coverage(crate::api::coverage::CoverageResponse),
    CraftingRevision(crate::api::crafting::RevisionResponse),
}

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(find_synced).service(upsert_synced).service(sync_batch);
}

/// The entity another system knows by this id, as its own `GET` answers it.
#[utoipa::path(tag = "sync", params(
    ("entity" = String, Path, description = "organizations, persons, posts, tenures, relationships, coverage or (lookup only) crafting_revisions"),
    ("source" = String, Path, description = "The other system, e.g. salesforce"),
    ("external_id" = String, Path, description = "The id there"),
), responses((status = 200, body = SyncedEntityResponse)))]
#[get("/v1/sync/{entity}/{source:[^/]*}/{external_id:[^/]*}")]
pub async fn find_synced(
    db: web::Data<Db>,
    principal: Principal,
    path: web::Path<(String, String, String)>,
) -> Result<HttpResponse, Error> {
    principal.require(Scope::Read)?;
    let (entity, source, external_id) = path.into_inner();
    let (entity, key) = key_of(&entity, &source, &external_id)?;
    let tenant = principal.tenant_id;
    let found = read(&db, move |c| lookup(c, tenant, entity, &key)).await?;
    let mut response = HttpResponse::Ok();
    if let Some(collection) = collection(entity) {
        response.insert_header((header::CONTENT_LOCATION, format!("{collection}/{}", found.id)));
    }
    Ok(response.insert_header((header::ETAG, etag(found.version))).json(found.body))
}

/// Create (201) or update (200) the entity another system knows by this id. The body is the
/// entity's own (as for `POST` to its collection); fields naming other entities (`parent_id`,
/// `organization_id`, `reports_to_post_id`, `person_id`, `post_id`) may be given as
/// `{"source", "external_id"}`. Sending the same body again changes nothing.
#[utoipa::path(tag = "sync", params(
    ("entity" = String, Path, description = "organizations, persons, posts, tenures, relationships, coverage or (lookup only) crafting_revisions"),
    ("source" = String, Path, description = "The other system, e.g. salesforce"),
    ("external_id" = String, Path, description = "The id there"),
), request_body = Object, responses((status = 200, body = SyncedEntityResponse), (status = 201, body = SyncedEntityResponse)))]
#[put("/v1/sync/{entity}/{source:[^/]*}/{external_id:[^/]*}")]
pub async fn upsert_synced(
    db: web::Data<Db>,
    principal: Principal,
    path: web::Path<(String, String, String)>,
    Json(body): Json<Value>,
) -> Result<HttpResponse, Error> {
    principal.require(Scope::Write)?;
    let (entity, source, external_id) = path.into_inner();
    let (entity, key) = key_of(&entity, &source, &external_id)?;
    let tenant = principal.tenant_id;
    let done =
        write(&db, principal.actor(), move |c| upsert(c, tenant, entity, &key, body.clone()))
            .await?;
    // Only entities with a collection of their own get here: the others are refused above.
    let location = format!("{}/{}", collection(entity).unwrap_or("/v1"), done.answer.id);
    let mut response = if done.created { HttpResponse::Created() } else { HttpResponse::Ok() };
    Ok(response
        .insert_header((header::CONTENT_LOCATION, location.clone()))
        .insert_header((header::LOCATION, location))
        .insert_header((header::ETAG, etag(done.answer.version)))
        .json(done.answer.body))
}

/// Applies the operations in order. `atomic`: all or nothing; the first failure answers its
/// own problem with `operation_index` and pointers under `/operations/{index}`. `partial`: each
/// operation on its own; the answer lists every result, failures with their problem.
#[utoipa::path(tag = "sync", request_body = BatchRequest, responses((status = 200, body = BatchResponse)))]
#[post("/v1/sync/batch")]
pub async fn sync_batch(
    db: web::Data<Db>,
    principal: Principal,
    BatchJson(body): BatchJson<BatchRequest>,
) -> Result<HttpResponse, Error> {
    principal.require(Scope::Write)?;
    if body.operations.is_empty() || body.operations.len() > BATCH_MAX {
        let detail =
            format!("a batch holds 1 to {BATCH_MAX} operations, not {}", body.operations.len());
        return Err(if body.operations.is_empty() {
            Error::invalid("/operations", detail)
        } else {
            Error::TooMany { detail, pointer: "/operations".into() }
        });
    }
    let tenant = principal.tenant_id;
    let mode = body.mode;
    let results =
        write(&db, principal.actor(), move |c| batch::apply(c, tenant, mode, &body.operations))
            .await?;
    // Off the response's path: a failure only means the planner waits for autovacuum.
    if matches!(db.backend(), Backend::Postgres(_)) {
        let db = db.into_inner();
        let written = results.len();
        actix_web::rt::spawn(async move {
            let refresh = move |c: &mut crate::store::DbConn| {
                statistics::refresh_after_bulk_write(c, written)
            };
            if let Err(e) = read(&db, refresh).await {
                tracing::warn!(error = %e, "could not refresh planner statistics");
            }
        });
    }
    Ok(HttpResponse::Ok().json(BatchResponse { mode, results }))
}
