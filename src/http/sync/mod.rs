//! Sync with CRMs: external ids on entities, lookups and upserts by a CRM's own ids (where
//! the body may name other entities by their external ids too), and batches of them.

mod batch;
mod runs;
pub(crate) mod synced;

use actix_web::http::header;
use actix_web::{get, put, web, HttpResponse};
use serde_json::Value;

use crate::domain::api_key::Scope;
use crate::domain::sync::{Entity, ExternalRef};
use crate::error::{Error, FieldError};
use crate::http::etag::etag;
use crate::http::extract::Json;
use crate::http::{read, write};
use crate::store::api_keys::Principal;
use crate::store::Db;

pub use synced::{lookup, upsert, Upserted};

/// The entity a sync path names, as its own `GET` answers it (one of these, told apart by
/// their required fields). Only describes the answers: the handlers pass the entity's JSON on.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum SyncedEntityResponse {
    Organization(crate::http::organizations::OrganizationResponse),
    Person(crate::http::persons::PersonResponse),
    Post(crate::http::posts::PostResponse),
    Tenure(crate::http::tenures::TenureResponse),
    Relationship(crate::http::relationships::RelationshipResponse),
    Coverage(crate::http::coverage::CoverageResponse),
    CraftingRevision(crate::http::crafting::RevisionResponse),
}

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(find_synced).service(upsert_synced).service(batch::sync_batch);
}

/// Which entity a sync path names, and by which external id.
pub(crate) fn key_of(path: (String, String, String)) -> Result<(Entity, ExternalRef), Error> {
    let (entity, source, external_id) = path;
    let malformed = |name: &str, detail: String| Error::Malformed {
        detail: detail.clone(),
        errors: vec![FieldError::new(name, detail)],
    };
    let entity = Entity::from_path(&entity).ok_or_else(|| {
        malformed("entity", format!("`{entity}` is not one of {}", Entity::SYNCED.join(", ")))
    })?;
    if !crate::domain::sync::is_source(&source) {
        return Err(malformed("source", "a system name: 1 to 100 of a-z, 0-9, _, -, .".into()));
    }
    if !crate::domain::sync::is_external_id(&external_id) {
        return Err(malformed("external_id", "1 to 255 characters, not blank".into()));
    }
    Ok((entity, ExternalRef { source, external_id }))
}

/// Where the entity lives as a resource of its own (revisions have none: they are listed under
/// their tenure).
fn collection(entity: Entity) -> Option<&'static str> {
    Some(match entity {
        Entity::Organization => "/v1/organizations",
        Entity::Person => "/v1/persons",
        Entity::Post => "/v1/posts",
        Entity::Tenure => "/v1/tenures",
        Entity::Relationship => "/v1/relationships",
        Entity::Coverage => "/v1/coverage",
        Entity::CraftingRevision | Entity::Interaction => return None,
    })
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
    let (entity, key) = key_of(path.into_inner())?;
    let tenant = principal.tenant_id;
    let (id, version, body) = read(&db, move |c| lookup(c, tenant, entity, &key)).await?;
    let mut response = HttpResponse::Ok();
    if let Some(collection) = collection(entity) {
        response.insert_header((header::CONTENT_LOCATION, format!("{collection}/{id}")));
    }
    Ok(response.insert_header((header::ETAG, etag(version))).json(body))
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
    let (entity, key) = key_of(path.into_inner())?;
    let tenant = principal.tenant_id;
    let done =
        write(&db, principal.actor(), move |c| upsert(c, tenant, entity, &key, body.clone()))
            .await?;
    // Only entities with a collection of their own get here: the others are refused above.
    let location = format!("{}/{}", collection(entity).unwrap_or("/v1"), done.id);
    let mut response = if done.created { HttpResponse::Created() } else { HttpResponse::Ok() };
    Ok(response
        .insert_header((header::CONTENT_LOCATION, location.clone()))
        .insert_header((header::LOCATION, location))
        .insert_header((header::ETAG, etag(done.version)))
        .json(done.body))
}
