//! `/v1/organizations`: the seller's units, clients and partners.

use actix_web::{delete, get, patch, post, put, web, HttpResponse};
use chrono::{NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::api::organizations::{OrganizationRequest, OrganizationResponse};
use crate::api::posts::PostResponse;
use crate::api::tenures::HolderResponse;
use crate::domain::api_key::Scope;
use crate::error::Error;
use crate::http::auth::Principal;
use crate::http::extract::Query;
use crate::http::pagination::{page, ListParams, Page};
use crate::http::read;
use crate::http::resource;
use crate::http::respond::DeleteParams;
use crate::store::organizations::{self, Organizations};
use crate::store::posts::{self, PostFilter};
use crate::store::views::holdings;
use crate::store::Db;

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_organizations)
        .service(create_organization)
        .service(find_organization)
        .service(replace_organization)
        .service(update_organization)
        .service(delete_organization)
        .service(list_organization_posts);
}

resource::crud_routes!(
    Organizations,
    tag = "organizations",
    collection = "/v1/organizations",
    item = "/v1/organizations/{id}",
    request = OrganizationRequest,
    response = OrganizationResponse,
    /// List organizations in id order.
    list = list_organizations(ListParams) => |params| ((), params.page_request()?),
    /// Create an organization.
    create = create_organization,
    find {
        /// Read an organization.
        find_organization
    },
    /// Replace an organization's fields.
    replace = replace_organization,
    /// Change some of an organization's fields (JSON merge patch, RFC 7396).
    patch = update_organization,
    /// Delete an organization; with `cascade=true` also its sub-organizations, posts and tenures.
    delete = delete_organization(DeleteParams),
);

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
    #[serde(default, deserialize_with = "crate::api::moment::optional_date")]
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
