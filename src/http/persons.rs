//! `/v1/persons`: people, apart from the posts they hold; and their careers.

use actix_web::{delete, get, patch, post, put, web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::api_key::Scope;
use crate::domain::person::NewPerson;
use crate::domain::sync::{Entity, ExternalRef};
use crate::error::Error;
use crate::http::etag::IfMatch;
use crate::http::extract::{Json, Query};
use crate::http::pagination::{page, ListParams, Page};
use crate::http::respond::{created, deleted, merge_into, ok};
use crate::http::tenures::{list_holding, HoldingParams, TenureViewResponse};
use crate::http::{read, read_pipelined, write};
use crate::store::api_keys::Principal;
use crate::store::erasure;
use crate::store::external_refs::refresh;
use crate::store::persons::{self, Person};
use crate::store::views::holdings::Holding;
use crate::store::{Db, Expected};

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

/// A person as written by a client.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PersonRequest {
    /// The name shown for the person.
    #[schema(min_length = 1, max_length = 200)]
    pub display_name: String,
    /// E-mail addresses, most used first.
    #[serde(default)]
    #[schema(max_items = 20)]
    pub emails: Vec<String>,
    /// Phone number, free form.
    #[serde(default)]
    #[schema(max_length = 50)]
    pub phone: Option<String>,
    /// Free notes.
    #[serde(default)]
    #[schema(max_length = 10000)]
    pub notes: Option<String>,
    /// Ids of this entity in other systems; absent keeps the current ones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_items = 20)]
    pub external_refs: Option<Vec<ExternalRef>>,
}

impl PersonRequest {
    pub(crate) fn parse(&self) -> Result<NewPerson, Error> {
        NewPerson::parse(
            &self.display_name,
            &self.emails,
            self.phone.as_deref(),
            self.notes.as_deref(),
        )
    }
}

impl From<&Person> for PersonRequest {
    fn from(p: &Person) -> Self {
        PersonRequest {
            external_refs: None,
            display_name: p.display_name.clone(),
            emails: p.emails.clone(),
            phone: p.phone.clone(),
            notes: p.notes.clone(),
        }
    }
}

/// A person.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PersonResponse {
    /// Id (UUID v7).
    pub id: Uuid,
    /// The name shown for the person.
    pub display_name: String,
    /// E-mail addresses.
    pub emails: Vec<String>,
    /// Phone number.
    pub phone: Option<String>,
    /// Free notes.
    pub notes: Option<String>,
    /// When the person's personal data was erased (their record stays, anonymised).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub erased_at: Option<DateTime<Utc>>,
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

impl From<Person> for PersonResponse {
    fn from(p: Person) -> Self {
        PersonResponse {
            external_refs: p.external_refs.clone(),
            id: p.id,
            display_name: p.display_name,
            emails: p.emails,
            phone: p.phone,
            notes: p.notes,
            erased_at: p.erased_at.map(|t| t.and_utc()),
            version: p.version,
            created_at: p.created_at.and_utc(),
            updated_at: p.updated_at.and_utc(),
        }
    }
}

/// List persons in id order.
#[utoipa::path(tag = "persons", params(ListParams), responses((status = 200, body = Page<PersonResponse>)))]
#[get("/v1/persons")]
pub async fn list_persons(
    db: web::Data<Db>,
    principal: Principal,
    Query(params): Query<ListParams>,
) -> Result<HttpResponse, Error> {
    principal.require(Scope::Read)?;
    let request = params.page_request()?;
    let (rows, more) = read(&db, move |c| persons::list(c, principal.tenant_id, request)).await?;
    Ok(HttpResponse::Ok().json(page(rows, more, |p| p.id, PersonResponse::from)))
}

/// Create a person.
#[utoipa::path(tag = "persons", request_body = PersonRequest, responses((status = 201, body = PersonResponse)))]
#[post("/v1/persons")]
pub async fn create_person(
    db: web::Data<Db>,
    principal: Principal,
    Json(body): Json<PersonRequest>,
) -> Result<HttpResponse, Error> {
    principal.require(Scope::Write)?;
    let (refs, new) = (body.external_refs.clone(), body.parse()?);
    let person = write(&db, principal.actor(), move |c| {
        persons::create(c, principal.tenant_id, &new).and_then(|x| {
            refresh(c, principal.tenant_id, Entity::Person, x.id, &refs, persons::find)
        })
    })
    .await?;
    Ok(created("/v1/persons", person.id, person.version, PersonResponse::from(person)))
}

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
    let person = read_pipelined(
        &db,
        |c| persons::find_pipelined(c, tenant, id),
        move |c| persons::find(c, tenant, id),
    )
    .await?;
    Ok(ok(person.version, PersonResponse::from(person)))
}

/// Replace a person's fields.
#[utoipa::path(tag = "persons", params(("id" = Uuid, Path)), request_body = PersonRequest, responses((status = 200, body = PersonResponse)))]
#[put("/v1/persons/{id}")]
pub async fn replace_person(
    db: web::Data<Db>,
    principal: Principal,
    id: web::Path<Uuid>,
    IfMatch(expected): IfMatch,
    Json(body): Json<PersonRequest>,
) -> Result<HttpResponse, Error> {
    principal.require(Scope::Write)?;
    let (id, refs, new) = (id.into_inner(), body.external_refs.clone(), body.parse()?);
    let person = write(&db, principal.actor(), move |c| {
        persons::update(c, principal.tenant_id, id, &expected, &new).and_then(|x| {
            refresh(c, principal.tenant_id, Entity::Person, x.id, &refs, persons::find)
        })
    })
    .await?;
    Ok(ok(person.version, PersonResponse::from(person)))
}

/// Change some of a person's fields (JSON merge patch, RFC 7396).
#[utoipa::path(tag = "persons", params(("id" = Uuid, Path)), request_body(content = serde_json::Value, content_type = "application/merge-patch+json"), responses((status = 200, body = PersonResponse)))]
#[patch("/v1/persons/{id}")]
pub async fn update_person(
    db: web::Data<Db>,
    principal: Principal,
    id: web::Path<Uuid>,
    IfMatch(expected): IfMatch,
    Json(patch): Json<serde_json::Value>,
) -> Result<HttpResponse, Error> {
    principal.require(Scope::Write)?;
    let id = id.into_inner();
    let person = write(&db, principal.actor(), move |c| {
        let current = persons::find(c, principal.tenant_id, id)?;
        expected.check(current.version)?;
        let merged = merge_into(PersonRequest::from(&current), &patch)?;
        let (refs, new) = (merged.external_refs.clone(), merged.parse()?);
        persons::update(c, principal.tenant_id, id, &Expected::Read(current.version), &new)
            .and_then(|x| {
                refresh(c, principal.tenant_id, Entity::Person, x.id, &refs, persons::find)
            })
    })
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
    principal.require(Scope::Write)?;
    let (id, cascade) = (id.into_inner(), params.cascade.unwrap_or(false));
    if params.erase == Some(true) {
        principal.require(Scope::Admin)?;
        if cascade {
            return Err(Error::invalid(
                "erase",
                "erase keeps the structure; cascade deletes it: choose one",
            ));
        }
        write(&db, principal.actor(), move |c| {
            erasure::erase(c, principal.tenant_id, id, &expected)
        })
        .await?;
        return Ok(deleted());
    }
    write(&db, principal.actor(), move |c| {
        persons::delete(c, principal.tenant_id, id, &expected, cascade)
    })
    .await?;
    Ok(deleted())
}

/// A person's career: their tenures in chronological order.
#[utoipa::path(tag = "persons", params(("id" = Uuid, Path), HoldingParams), responses((status = 200, body = Page<TenureViewResponse>)))]
#[get("/v1/persons/{id}/tenures")]
pub async fn list_person_tenures(
    db: web::Data<Db>,
    principal: Principal,
    id: web::Path<Uuid>,
    Query(params): Query<HoldingParams>,
) -> Result<HttpResponse, Error> {
    principal.require(Scope::Read)?;
    let id = id.into_inner();
    list_holding(&db, principal.tenant_id, Holding::Career(id), params).await
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
