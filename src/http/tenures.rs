//! `/v1/tenures`: a person holding a post for a period.

use actix_web::{delete, get, patch, post, put, web, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::api_key::Scope;
use crate::domain::coverage::{check_capacity, BuyingRole};
use crate::domain::sync::{Entity, ExternalRef};
use crate::domain::tenure::Period;
use crate::error::{Error, Violations};
use crate::http::etag::IfMatch;
use crate::http::extract::{Json, Query};
use crate::http::pagination::{page, page_request, ListParams, Page};
use crate::http::respond::{created, deleted, merge_into, ok};
use crate::http::{read, read_pipelined, write};
use crate::store::api_keys::Principal;
use crate::store::external_refs::refresh;
use crate::store::tenures::{self, NewTenure, Tenure};
use crate::store::views::holdings::{self, AsOf, Holding, TenureView};
use crate::store::{Db, Expected};

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_tenures)
        .service(create_tenure)
        .service(find_tenure)
        .service(replace_tenure)
        .service(update_tenure)
        .service(delete_tenure);
}

/// A tenure as written by a client.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TenureRequest {
    /// The person holding the post.
    pub person_id: Uuid,
    /// The post held.
    pub post_id: Uuid,
    /// First day in the post.
    #[serde(deserialize_with = "crate::http::moment::date")]
    pub started_on: NaiveDate,
    /// The day the tenure ended (exclusive: a successor may start that day); absent while it runs.
    #[serde(default, deserialize_with = "crate::http::moment::optional_date")]
    pub ended_on: Option<NaiveDate>,
    /// The holder's roles in the account's buying centre (the tenure's, not the person's).
    #[serde(default)]
    pub buying_roles: Vec<BuyingRole>,
    /// For salespeople: how many stakeholders they can cover, 0 to 10,000; absent for the
    /// tenant's default.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 10000)]
    pub capacity: Option<i64>,
    /// Ids of this entity in other systems; absent keeps the current ones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_items = 20)]
    pub external_refs: Option<Vec<ExternalRef>>,
}

impl TenureRequest {
    pub(crate) fn parse(&self) -> Result<NewTenure, Error> {
        let mut violations = Violations::default();
        let period = violations.check(Period::parse(self.started_on, self.ended_on));
        let capacity = self.capacity.map(|c| check_capacity(&mut violations, c, "/capacity"));
        violations.into_result()?;
        let mut buying_roles = self.buying_roles.clone();
        buying_roles.sort();
        buying_roles.dedup();
        Ok(NewTenure {
            person_id: self.person_id,
            post_id: self.post_id,
            // Checked above: a bad period is a violation and never gets here.
            period: period.unwrap_or(Period { started_on: self.started_on, ended_on: None }),
            buying_roles,
            capacity,
        })
    }
}

impl From<&Tenure> for TenureRequest {
    fn from(t: &Tenure) -> Self {
        TenureRequest {
            external_refs: None,
            person_id: t.person_id,
            post_id: t.post_id,
            started_on: t.period.started_on,
            ended_on: t.period.ended_on,
            buying_roles: t.buying_roles.clone(),
            capacity: t.capacity.map(i64::from),
        }
    }
}

/// A tenure.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TenureResponse {
    /// Id (UUID v7).
    pub id: Uuid,
    /// The person holding the post.
    pub person_id: Uuid,
    /// The post held.
    pub post_id: Uuid,
    /// First day in the post.
    pub started_on: NaiveDate,
    /// The day the tenure ended; null while it runs.
    pub ended_on: Option<NaiveDate>,
    /// Whether the tenure runs today.
    pub is_current: bool,
    /// The holder's buying roles.
    pub buying_roles: Vec<BuyingRole>,
    /// A salesperson's capacity; null for the tenant's default.
    pub capacity: Option<u32>,
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

impl From<Tenure> for TenureResponse {
    fn from(t: Tenure) -> Self {
        TenureResponse {
            external_refs: t.external_refs.clone(),
            id: t.id,
            person_id: t.person_id,
            post_id: t.post_id,
            started_on: t.period.started_on,
            ended_on: t.period.ended_on,
            is_current: t.period.contains(Utc::now().date_naive()),
            buying_roles: t.buying_roles,
            capacity: t.capacity,
            version: t.version,
            created_at: t.created_at.and_utc(),
            updated_at: t.updated_at.and_utc(),
        }
    }
}

/// A tenure in a career or a succession, with the names around it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TenureViewResponse {
    /// The tenure.
    #[serde(flatten)]
    pub tenure: TenureResponse,
    /// The holder's display name.
    pub person_display_name: String,
    /// The post's title.
    pub post_title: String,
    /// The organization of the post.
    pub organization_id: Uuid,
}

impl From<TenureView> for TenureViewResponse {
    fn from(v: TenureView) -> Self {
        TenureViewResponse {
            tenure: TenureResponse::from(v.tenure),
            person_display_name: v.person_display_name,
            post_title: v.post_title,
            organization_id: v.organization_id,
        }
    }
}

/// Someone holding a post on a given day.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HolderResponse {
    /// The tenure.
    pub tenure_id: Uuid,
    /// The holder.
    pub person_id: Uuid,
    /// The holder's display name.
    pub display_name: String,
    /// First day in the post.
    pub started_on: NaiveDate,
    /// The day the tenure ends, if known.
    pub ended_on: Option<NaiveDate>,
}

impl From<TenureView> for HolderResponse {
    fn from(v: TenureView) -> Self {
        HolderResponse {
            tenure_id: v.tenure.id,
            person_id: v.tenure.person_id,
            display_name: v.person_display_name,
            started_on: v.tenure.period.started_on,
            ended_on: v.tenure.period.ended_on,
        }
    }
}

/// Paging and time filter of a career or a succession.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct HoldingParams {
    /// Rows per page, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// The day `current` refers to (default today).
    #[serde(default, deserialize_with = "crate::http::moment::optional_date")]
    pub as_of: Option<NaiveDate>,
    /// Only tenures running on `as_of`.
    pub current: Option<bool>,
}

/// Lists a career or a succession after `check_owner` confirmed the person or post exists.
pub async fn list_holding(
    db: &Db,
    tenant: Uuid,
    holding: Holding,
    params: HoldingParams,
) -> Result<HttpResponse, Error> {
    let request = page_request(params.limit, params.cursor.as_deref())?;
    let as_of = AsOf {
        date: params.as_of.unwrap_or_else(|| Utc::now().date_naive()),
        current_only: params.current.unwrap_or(false),
    };
    let (rows, more) = match holding {
        Holding::Succession(post) => {
            read_pipelined(
                db,
                |c| holdings::succession_pipelined(c, tenant, post, as_of, request),
                move |c| holdings::list_holding(c, tenant, holding, as_of, request),
            )
            .await?
        }
        Holding::Career(_) => {
            read(db, move |c| holdings::list_holding(c, tenant, holding, as_of, request)).await?
        }
    };
    Ok(HttpResponse::Ok().json(page(
        rows,
        more,
        |v| (v.tenure.period.started_on, v.tenure.id),
        TenureViewResponse::from,
    )))
}

/// List tenures in id order.
#[utoipa::path(tag = "tenures", params(ListParams), responses((status = 200, body = Page<TenureResponse>)))]
#[get("/v1/tenures")]
pub async fn list_tenures(
    db: web::Data<Db>,
    principal: Principal,
    Query(params): Query<ListParams>,
) -> Result<HttpResponse, Error> {
    principal.require(Scope::Read)?;
    let request = params.page_request()?;
    let (rows, more) = read(&db, move |c| tenures::list(c, principal.tenant_id, request)).await?;
    Ok(HttpResponse::Ok().json(page(rows, more, |t| t.id, TenureResponse::from)))
}

/// Record that a person holds a post. More simultaneous holders than seats is a 409 naming
/// the tenures in the way.
#[utoipa::path(tag = "tenures", request_body = TenureRequest, responses((status = 201, body = TenureResponse)))]
#[post("/v1/tenures")]
pub async fn create_tenure(
    db: web::Data<Db>,
    principal: Principal,
    Json(body): Json<TenureRequest>,
) -> Result<HttpResponse, Error> {
    principal.require(Scope::Write)?;
    let (refs, new) = (body.external_refs.clone(), body.parse()?);
    let tenure = write(&db, principal.actor(), move |c| {
        tenures::create(c, principal.tenant_id, &new).and_then(|x| {
            refresh(c, principal.tenant_id, Entity::Tenure, x.id, &refs, tenures::find)
        })
    })
    .await?;
    Ok(created("/v1/tenures", tenure.id, tenure.version, TenureResponse::from(tenure)))
}

/// Read a tenure.
#[utoipa::path(tag = "tenures", params(("id" = Uuid, Path)), responses((status = 200, body = TenureResponse)))]
#[get("/v1/tenures/{id}")]
pub async fn find_tenure(
    db: web::Data<Db>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, Error> {
    principal.require(Scope::Read)?;
    let id = id.into_inner();
    let tenure = read(&db, move |c| tenures::find(c, principal.tenant_id, id)).await?;
    Ok(ok(tenure.version, TenureResponse::from(tenure)))
}

/// Replace a tenure's fields.
#[utoipa::path(tag = "tenures", params(("id" = Uuid, Path)), request_body = TenureRequest, responses((status = 200, body = TenureResponse)))]
#[put("/v1/tenures/{id}")]
pub async fn replace_tenure(
    db: web::Data<Db>,
    principal: Principal,
    id: web::Path<Uuid>,
    IfMatch(expected): IfMatch,
    Json(body): Json<TenureRequest>,
) -> Result<HttpResponse, Error> {
    principal.require(Scope::Write)?;
    let (id, refs, new) = (id.into_inner(), body.external_refs.clone(), body.parse()?);
    let tenure = write(&db, principal.actor(), move |c| {
        tenures::update(c, principal.tenant_id, id, &expected, &new).and_then(|x| {
            refresh(c, principal.tenant_id, Entity::Tenure, x.id, &refs, tenures::find)
        })
    })
    .await?;
    Ok(ok(tenure.version, TenureResponse::from(tenure)))
}

/// Change some of a tenure's fields (JSON merge patch, RFC 7396), e.g. `{"ended_on": "2026-11-30"}`.
#[utoipa::path(tag = "tenures", params(("id" = Uuid, Path)), request_body(content = serde_json::Value, content_type = "application/merge-patch+json"), responses((status = 200, body = TenureResponse)))]
#[patch("/v1/tenures/{id}")]
pub async fn update_tenure(
    db: web::Data<Db>,
    principal: Principal,
    id: web::Path<Uuid>,
    IfMatch(expected): IfMatch,
    Json(patch): Json<serde_json::Value>,
) -> Result<HttpResponse, Error> {
    principal.require(Scope::Write)?;
    let id = id.into_inner();
    let tenure = write(&db, principal.actor(), move |c| {
        let current = tenures::find(c, principal.tenant_id, id)?;
        expected.check(current.version)?;
        let merged = merge_into(TenureRequest::from(&current), &patch)?;
        let (refs, new) = (merged.external_refs.clone(), merged.parse()?);
        tenures::update(c, principal.tenant_id, id, &Expected::Read(current.version), &new)
            .and_then(|x| {
                refresh(c, principal.tenant_id, Entity::Tenure, x.id, &refs, tenures::find)
            })
    })
    .await?;
    Ok(ok(tenure.version, TenureResponse::from(tenure)))
}

/// Delete a tenure recorded by mistake. A tenure with crafting revisions keeps its history
/// (409): only erasing the person removes it.
#[utoipa::path(tag = "tenures", params(("id" = Uuid, Path)), responses((status = 204, description = "deleted")))]
#[delete("/v1/tenures/{id}")]
pub async fn delete_tenure(
    db: web::Data<Db>,
    principal: Principal,
    id: web::Path<Uuid>,
    IfMatch(expected): IfMatch,
) -> Result<HttpResponse, Error> {
    principal.require(Scope::Write)?;
    let id = id.into_inner();
    write(&db, principal.actor(), move |c| tenures::delete(c, principal.tenant_id, id, &expected))
        .await?;
    Ok(deleted())
}
