//! `/v1/vocabulary`: the keys facets may use, per dimension.

use actix_web::{delete, get, post, web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::api_key::Scope;
use crate::domain::facet::Dimension;
use crate::domain::facet::KEY_MAX;
use crate::domain::text;
use crate::error::{Error, Violations};
use crate::http::auth::Principal;
use crate::http::extract::{Json, Query};
use crate::http::pagination::Page;
use crate::http::respond::deleted;
use crate::http::{read, write};
use crate::store::vocabulary::{self, Entry};
use crate::store::Db;

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_vocabulary).service(add_vocabulary_key).service(retire_vocabulary_key);
}

/// A key of the vocabulary.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VocabularyRequest {
    /// The dimension the key belongs to.
    pub dimension: Dimension,
    /// The key: lowercase letters, digits, `_`, `-`, `.`.
    pub key: String,
    /// A human label.
    pub label: String,
    /// What the key means.
    #[serde(default)]
    pub description: Option<String>,
}

/// A key of the vocabulary.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct VocabularyResponse {
    /// The dimension the key belongs to.
    pub dimension: Dimension,
    /// The key.
    pub key: String,
    /// A human label.
    pub label: String,
    /// What the key means.
    pub description: Option<String>,
    /// When the key was retired; retired keys stay readable in history but new facets may not use them.
    pub retired_at: Option<DateTime<Utc>>,
}

impl From<Entry> for VocabularyResponse {
    fn from(e: Entry) -> Self {
        VocabularyResponse {
            dimension: e.dimension,
            key: e.key,
            label: e.label,
            description: e.description,
            retired_at: e.retired_at.map(|t| t.and_utc()),
        }
    }
}

/// Filters of the vocabulary.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct VocabularyParams {
    /// Only this dimension.
    pub dimension: Option<Dimension>,
    /// Also retired keys.
    pub include_retired: Option<bool>,
}

/// The vocabulary, by dimension and key (one page: vocabularies are small).
#[utoipa::path(tag = "vocabulary", params(VocabularyParams), responses((status = 200, body = Page<VocabularyResponse>)))]
#[get("/v1/vocabulary")]
pub async fn list_vocabulary(
    db: web::Data<Db>,
    principal: Principal,
    Query(params): Query<VocabularyParams>,
) -> Result<HttpResponse, Error> {
    principal.require(Scope::Read)?;
    let include_retired = params.include_retired.unwrap_or(false);
    let entries = read(&db, move |c| {
        vocabulary::list(c, principal.tenant_id, params.dimension, include_retired)
    })
    .await?;
    let items: Vec<VocabularyResponse> = entries.into_iter().map(Into::into).collect();
    Ok(HttpResponse::Ok().json(Page { items, next_cursor: None }))
}

/// Add a key (or bring a retired one back).
#[utoipa::path(tag = "vocabulary", request_body = VocabularyRequest, responses((status = 201, body = VocabularyResponse)))]
#[post("/v1/vocabulary")]
pub async fn add_vocabulary_key(
    db: web::Data<Db>,
    principal: Principal,
    Json(body): Json<VocabularyRequest>,
) -> Result<HttpResponse, Error> {
    principal.require(Scope::Write)?;
    let mut violations = Violations::default();
    let key = violations.check(text::slug(&body.key, "/key", KEY_MAX));
    let label = violations.check(text::required(&body.label, "/label", text::NAME_MAX));
    let description =
        violations.check(text::optional(body.description.as_deref(), "/description", 1_000));
    violations.into_result()?;
    let entry = Entry {
        dimension: body.dimension,
        key: key.unwrap_or_default(),
        label: label.unwrap_or_default(),
        description: description.flatten(),
        retired_at: None,
    };
    let added =
        write(&db, principal.actor(), move |c| vocabulary::add(c, principal.tenant_id, &entry))
            .await?;
    db.labels.forget(principal.tenant_id);
    Ok(HttpResponse::Created().json(VocabularyResponse::from(added)))
}

/// Retire a key: new facets may no longer use it; existing revisions keep it.
#[utoipa::path(tag = "vocabulary", params(("dimension" = Dimension, Path), ("key" = String, Path)), responses((status = 204, description = "retired")))]
#[delete("/v1/vocabulary/{dimension}/{key}")]
pub async fn retire_vocabulary_key(
    db: web::Data<Db>,
    principal: Principal,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, Error> {
    principal.require(Scope::Write)?;
    let (dimension, key) = path.into_inner();
    let dimension = Dimension::parse(&dimension).ok_or(Error::NotFound)?;
    write(&db, principal.actor(), move |c| {
        vocabulary::retire(c, principal.tenant_id, dimension, &key)
    })
    .await?;
    db.labels.forget(principal.tenant_id);
    Ok(deleted())
}
