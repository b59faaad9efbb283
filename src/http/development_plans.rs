//! `/v1/development-plans`: how holders craft toward growth, with progress read from their
//! crafting revisions; `/v1/tenures/{id}/development-plans` lists a tenure's plans.

use actix_web::{delete, get, patch, post, put, web, HttpResponse};
use serde::Deserialize;
use uuid::Uuid;

use crate::api::development_plans::{DevelopmentPlanRequest, DevelopmentPlanResponse};
use crate::domain::api_key::Scope;
use crate::domain::development::PlanState;
use crate::error::Error;
use crate::http::auth::Principal;
use crate::http::extract::Query;
use crate::http::pagination::{page_request, Page};
use crate::http::resource;
use crate::store::development_plans::{DevelopmentPlans, PlanFilter};
use crate::store::Db;

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_development_plans)
        .service(list_tenure_development_plans)
        .service(create_development_plan)
        .service(find_development_plan)
        .service(replace_development_plan)
        .service(update_development_plan)
        .service(delete_development_plan);
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DevelopmentPlanListParams {
    /// Only the plans of this tenure.
    pub tenure_id: Option<Uuid>,
    /// Only plans in this state.
    pub state: Option<PlanState>,
    /// Rows per page, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

resource::crud_routes!(
    DevelopmentPlans,
    tag = "growth",
    collection = "/v1/development-plans",
    item = "/v1/development-plans/{id}",
    request = DevelopmentPlanRequest,
    response = DevelopmentPlanResponse,
    /// List development plans in id order, each with its progress.
    list = list_development_plans(DevelopmentPlanListParams) => |params| (
        PlanFilter { tenure_id: params.tenure_id, state: params.state },
        page_request(params.limit, params.cursor.as_deref())?
    ),
    /// Make a development plan for a tenure. Refused (422, naming the goal) when a goal would
    /// take a core facet of the current post below its floor; learning time over the tenant's
    /// limit is flagged in `learning_time`, not refused.
    create = create_development_plan,
    find {
        /// Read a development plan, with each goal's progress read from the holder's crafting
        /// revisions since the plan was made.
        find_development_plan
    },
    /// Replace a development plan (add check-ins and artifacts, change its state).
    replace = replace_development_plan,
    /// Change some of a development plan's fields (JSON merge patch, RFC 7396).
    patch = update_development_plan,
    /// Delete a development plan.
    delete = delete_development_plan,
);

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TenurePlanParams {
    /// Only plans in this state.
    pub state: Option<PlanState>,
    /// Rows per page, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// List a tenure's development plans in id order, each with its progress (404 if there is no
/// such tenure).
#[utoipa::path(tag = "growth", params(("id" = Uuid, Path), TenurePlanParams), responses((status = 200, body = Page<DevelopmentPlanResponse>)))]
#[get("/v1/tenures/{id}/development-plans")]
pub async fn list_tenure_development_plans(
    db: web::Data<Db>,
    principal: Principal,
    id: web::Path<Uuid>,
    Query(params): Query<TenurePlanParams>,
) -> Result<HttpResponse, Error> {
    principal.require(Scope::Read)?;
    let (tenure, tenant) = (id.into_inner(), principal.tenant_id);
    let request = page_request(params.limit, params.cursor.as_deref())?;
    crate::http::read(&db, move |c| crate::store::tenures::find(c, tenant, tenure).map(|_| ()))
        .await?;
    let filter = PlanFilter { tenure_id: Some(tenure), state: params.state };
    resource::list::<DevelopmentPlans>(&db, principal, filter, request).await
}
