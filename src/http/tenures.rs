//! `/v1/tenures`: a person holding a post for a period.

use actix_web::{delete, get, patch, post, put, web, HttpResponse};
use chrono::{NaiveDate, Utc};
use serde::Deserialize;
use uuid::Uuid;

use crate::api::tenures::{TenureRequest, TenureResponse, TenureViewResponse};
use crate::domain::api_key::Scope;
use crate::domain::tenant::TenantId;
use crate::error::Error;
use crate::http::auth::Principal;
use crate::http::extract::Query;
use crate::http::pagination::{page, page_request, ListParams, Page};
use crate::http::resource;
use crate::http::{read, read_pipelined};
use crate::store::tenures::Tenures;
use crate::store::views::holdings::{self, AsOf, Holding};
use crate::store::Db;

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_tenures)
        .service(create_tenure)
        .service(find_tenure)
        .service(replace_tenure)
        .service(update_tenure)
        .service(delete_tenure);
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
    #[serde(default, deserialize_with = "crate::api::moment::optional_date")]
    pub as_of: Option<NaiveDate>,
    /// Only tenures running on `as_of`.
    pub current: Option<bool>,
}

/// The `GET …/{id}/tenures` of a person (their career) and of a post (its succession).
macro_rules! holding_routes {
    ($($(#[doc = $doc:tt])* $name:ident: tag = $tag:tt, path = $path:tt, $holding:path;)*) => {$(
        $(#[doc = $doc])*
        #[utoipa::path(tag = $tag, params(("id" = Uuid, Path), HoldingParams), responses((status = 200, body = Page<TenureViewResponse>)))]
        #[get($path)]
        pub async fn $name(
            db: web::Data<Db>,
            principal: Principal,
            id: web::Path<Uuid>,
            Query(params): Query<HoldingParams>,
        ) -> Result<HttpResponse, Error> {
            principal.require(Scope::Read)?;
            list_holding(&db, principal.tenant_id, $holding(id.into_inner()), params).await
        }
    )*};
}

holding_routes! {
    /// A person's career: their tenures in chronological order.
    list_person_tenures: tag = "persons", path = "/v1/persons/{id}/tenures", Holding::Career;
    /// A post's succession: its holders in chronological order.
    list_post_tenures: tag = "posts", path = "/v1/posts/{id}/tenures", Holding::Succession;
}

/// Lists a career or a succession (404 when the person or the post does not exist).
async fn list_holding(
    db: &Db,
    tenant: TenantId,
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

resource::crud_routes!(
    Tenures,
    tag = "tenures",
    collection = "/v1/tenures",
    item = "/v1/tenures/{id}",
    request = TenureRequest,
    response = TenureResponse,
    /// List tenures in id order.
    list = list_tenures(ListParams) => |params| ((), params.page_request()?),
    /// Record that a person holds a post. More simultaneous holders than seats is a 409 naming
    /// the tenures in the way.
    create = create_tenure,
    find {
        /// Read a tenure.
        find_tenure
    },
    /// Replace a tenure's fields.
    replace = replace_tenure,
    /// Change some of a tenure's fields (JSON merge patch, RFC 7396), e.g. `{"ended_on": "2026-11-30"}`.
    patch = update_tenure,
    /// Delete a tenure recorded by mistake. A tenure with crafting revisions keeps its history
    /// (409): only erasing the person removes it.
    delete = delete_tenure,
);
