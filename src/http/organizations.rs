//! `/v1/organizations`: the seller's units, clients and partners.

use actix_web::{delete, get, patch, post, put, web, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::api_key::Scope;
use crate::domain::organization::{NewOrganization, OrganizationKind, Profile};
use crate::domain::sync::{Entity, ExternalRef};
use crate::error::Error;
use crate::http::etag::IfMatch;
use crate::http::extract::{Json, Query};
use crate::http::pagination::{page, ListParams, Page};
use crate::http::posts::PostResponse;
use crate::http::respond::{created, deleted, merge_into, ok, DeleteParams};
use crate::http::tenures::HolderResponse;
use crate::http::{read, write};
use crate::store::api_keys::Principal;
use crate::store::external_refs::refresh;
use crate::store::organizations::{self, Organization};
use crate::store::posts::{self, PostFilter};
use crate::store::views::holdings;
use crate::store::{Db, Expected};

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_organizations)
        .service(create_organization)
        .service(find_organization)
        .service(replace_organization)
        .service(update_organization)
        .service(delete_organization)
        .service(list_organization_posts);
}

/// An organization as written by a client.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrganizationRequest {
    /// Display name.
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    /// `own` (the seller and its units), `client`, `partner` or `other`.
    pub kind: OrganizationKind,
    /// The organization this one belongs to (group → subsidiary → unit); no cycles.
    #[serde(default)]
    pub parent_id: Option<Uuid>,
    /// The profile matched against partner preferences.
    #[serde(default)]
    pub profile: Profile,
    /// Ids of this entity in other systems; absent keeps the current ones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_items = 20)]
    pub external_refs: Option<Vec<ExternalRef>>,
}

impl OrganizationRequest {
    pub(crate) fn parse(self) -> Result<NewOrganization, Error> {
        NewOrganization::parse(&self.name, self.kind, self.parent_id, self.profile)
    }
}

impl From<&Organization> for OrganizationRequest {
    fn from(o: &Organization) -> Self {
        OrganizationRequest {
            external_refs: None,
            name: o.name.clone(),
            kind: o.kind,
            parent_id: o.parent_id,
            profile: o.profile.clone(),
        }
    }
}

/// An organization.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OrganizationResponse {
    /// Id (UUID v7).
    pub id: Uuid,
    /// Display name.
    pub name: String,
    /// `own`, `client`, `partner` or `other`.
    pub kind: OrganizationKind,
    /// The organization this one belongs to.
    pub parent_id: Option<Uuid>,
    /// The profile matched against partner preferences.
    pub profile: Profile,
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

impl From<Organization> for OrganizationResponse {
    fn from(o: Organization) -> Self {
        OrganizationResponse {
            external_refs: o.external_refs.clone(),
            id: o.id,
            name: o.name,
            kind: o.kind,
            parent_id: o.parent_id,
            profile: o.profile,
            version: o.version,
            created_at: o.created_at.and_utc(),
            updated_at: o.updated_at.and_utc(),
        }
    }
}

/// List organizations in id order.
#[utoipa::path(tag = "organizations", params(ListParams), responses((status = 200, body = Page<OrganizationResponse>)))]
#[get("/v1/organizations")]
pub async fn list_organizations(
    db: web::Data<Db>,
    principal: Principal,
    Query(params): Query<ListParams>,
) -> Result<HttpResponse, Error> {
    principal.require(Scope::Read)?;
    let request = params.page_request()?;
    let (rows, more) =
        read(&db, move |c| organizations::list(c, principal.tenant_id, request)).await?;
    Ok(HttpResponse::Ok().json(page(rows, more, |o| o.id, OrganizationResponse::from)))
}

/// Create an organization.
#[utoipa::path(tag = "organizations", request_body = OrganizationRequest, responses((status = 201, body = OrganizationResponse)))]
#[post("/v1/organizations")]
pub async fn create_organization(
    db: web::Data<Db>,
    principal: Principal,
    Json(body): Json<OrganizationRequest>,
) -> Result<HttpResponse, Error> {
    principal.require(Scope::Write)?;
    let (refs, new) = (body.external_refs.clone(), body.parse()?);
    let org = write(&db, principal.actor(), move |c| {
        organizations::create(c, principal.tenant_id, &new).and_then(|x| {
            refresh(c, principal.tenant_id, Entity::Organization, x.id, &refs, organizations::find)
        })
    })
    .await?;
    Ok(created("/v1/organizations", org.id, org.version, OrganizationResponse::from(org)))
}

/// Read an organization.
#[utoipa::path(tag = "organizations", params(("id" = Uuid, Path)), responses((status = 200, body = OrganizationResponse)))]
#[get("/v1/organizations/{id}")]
pub async fn find_organization(
    db: web::Data<Db>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, Error> {
    principal.require(Scope::Read)?;
    let id = id.into_inner();
    let org = read(&db, move |c| organizations::find(c, principal.tenant_id, id)).await?;
    Ok(ok(org.version, OrganizationResponse::from(org)))
}

/// Replace an organization's fields.
#[utoipa::path(tag = "organizations", params(("id" = Uuid, Path)), request_body = OrganizationRequest, responses((status = 200, body = OrganizationResponse)))]
#[put("/v1/organizations/{id}")]
pub async fn replace_organization(
    db: web::Data<Db>,
    principal: Principal,
    id: web::Path<Uuid>,
    IfMatch(expected): IfMatch,
    Json(body): Json<OrganizationRequest>,
) -> Result<HttpResponse, Error> {
    principal.require(Scope::Write)?;
    let (id, refs, new) = (id.into_inner(), body.external_refs.clone(), body.parse()?);
    let org = write(&db, principal.actor(), move |c| {
        organizations::update(c, principal.tenant_id, id, &expected, &new).and_then(|x| {
            refresh(c, principal.tenant_id, Entity::Organization, x.id, &refs, organizations::find)
        })
    })
    .await?;
    Ok(ok(org.version, OrganizationResponse::from(org)))
}

/// Change some of an organization's fields (JSON merge patch, RFC 7396).
#[utoipa::path(tag = "organizations", params(("id" = Uuid, Path)), request_body(content = serde_json::Value, content_type = "application/merge-patch+json"), responses((status = 200, body = OrganizationResponse)))]
#[patch("/v1/organizations/{id}")]
pub async fn update_organization(
    db: web::Data<Db>,
    principal: Principal,
    id: web::Path<Uuid>,
    IfMatch(expected): IfMatch,
    Json(patch): Json<serde_json::Value>,
) -> Result<HttpResponse, Error> {
    principal.require(Scope::Write)?;
    let id = id.into_inner();
    let org = write(&db, principal.actor(), move |c| {
        let current = organizations::find(c, principal.tenant_id, id)?;
        expected.check(current.version)?;
        let merged = merge_into(OrganizationRequest::from(&current), &patch)?;
        let (refs, new) = (merged.external_refs.clone(), merged.parse()?);
        organizations::update(c, principal.tenant_id, id, &Expected::Read(current.version), &new)
            .and_then(|x| {
                refresh(
                    c,
                    principal.tenant_id,
                    Entity::Organization,
                    x.id,
                    &refs,
                    organizations::find,
                )
            })
    })
    .await?;
    Ok(ok(org.version, OrganizationResponse::from(org)))
}

/// Delete an organization; with `cascade=true` also its sub-organizations, posts and tenures.
#[utoipa::path(tag = "organizations", params(("id" = Uuid, Path), DeleteParams), responses((status = 204, description = "deleted")))]
#[delete("/v1/organizations/{id}")]
pub async fn delete_organization(
    db: web::Data<Db>,
    principal: Principal,
    id: web::Path<Uuid>,
    IfMatch(expected): IfMatch,
    Query(params): Query<DeleteParams>,
) -> Result<HttpResponse, Error> {
    principal.require(Scope::Write)?;
    let (id, cascade) = (id.into_inner(), params.cascade.unwrap_or(false));
    write(&db, principal.actor(), move |c| {
        organizations::delete(c, principal.tenant_id, id, &expected, cascade)
    })
    .await?;
    Ok(deleted())
}

/// Paging and time filter of an organization's posts.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct OrganizationPostsParams {
    /// Rows per page, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// The day whose holders are shown (default today).
    #[serde(default, deserialize_with = "crate::http::moment::optional_date")]
    pub as_of: Option<NaiveDate>,
    /// Only posts that exist on `as_of` (established and not abolished).
    pub current: Option<bool>,
}

/// A post with the persons holding it on the requested day.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PostWithHoldersResponse {
    /// The post.
    #[serde(flatten)]
    pub post: PostResponse,
    /// Its holders on `as_of`; empty when the post is vacant.
    pub holders: Vec<HolderResponse>,
}

/// An organization's posts with their holders on a day (default today).
#[utoipa::path(tag = "organizations", params(("id" = Uuid, Path), OrganizationPostsParams), responses((status = 200, body = Page<PostWithHoldersResponse>)))]
#[get("/v1/organizations/{id}/posts")]
pub async fn list_organization_posts(
    db: web::Data<Db>,
    principal: Principal,
    id: web::Path<Uuid>,
    Query(params): Query<OrganizationPostsParams>,
) -> Result<HttpResponse, Error> {
    principal.require(Scope::Read)?;
    let id = id.into_inner();
    let request = crate::http::pagination::page_request(params.limit, params.cursor.as_deref())?;
    let as_of = params.as_of.unwrap_or_else(|| Utc::now().date_naive());
    let current_only = params.current.unwrap_or(false);
    let tenant = principal.tenant_id;
    let filter = PostFilter { organization: Some(id), exists_on: current_only.then_some(as_of) };
    let (rows, more) = read(&db, move |c| {
        organizations::find(c, tenant, id)?;
        let (posts, more) = posts::list(c, tenant, filter, request)?;
        let ids: Vec<Uuid> = posts.iter().map(|p| p.id).collect();
        let holders = holdings::holders_on(c, tenant, &ids, as_of)?;
        let rows = posts
            .into_iter()
            .map(|post| {
                let mine = holders
                    .iter()
                    .filter(|h| h.tenure.post_id == post.id)
                    .cloned()
                    .map(HolderResponse::from)
                    .collect();
                (post, mine)
            })
            .collect::<Vec<_>>();
        Ok((rows, more))
    })
    .await?;
    Ok(HttpResponse::Ok().json(page(
        rows,
        more,
        |(post, _)| post.id,
        |(post, holders)| PostWithHoldersResponse { post: PostResponse::from(post), holders },
    )))
}
