//! The coverage report of an account, and the overview of every account's metrics.

use actix_web::{get, web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::api::accounts::{report_response, AccountRef, CoverageReportResponse, MetricsResponse};
use crate::api::moment::{time_point, Moment};
use crate::domain::api_key::Scope;
use crate::domain::crafting::TimePoint;
use crate::domain::tenant::TenantId;
use crate::error::Error;
use crate::http::auth::Principal;
use crate::http::extract::Query;
use crate::http::read_lagging;
use crate::store::kept_accounts::KeptAccounts;
use crate::store::reports;
use crate::store::{organizations, Db, DbConn};

/// When the report is read, and what it adds.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReportParams {
    /// The account as it stood then: an RFC 3339 time, or a date (its end). Default now.
    #[param(value_type = Option<String>)]
    pub as_of: Option<Moment>,
    /// As the service had recorded it by then (same forms). Default now.
    #[param(value_type = Option<String>)]
    pub known_at: Option<Moment>,
    /// Mark the 20 most influential uncovered stakeholders a warm path reaches
    /// (`reachable_through`). Default true; `false` skips reading the people around them.
    pub reachable: Option<bool>,
}

/// The coverage report of an account: every post with its holders, their influence, buying
/// roles and who covers them; the account's metrics; and alerts, most urgent first. With
/// `as_of` (and `known_at`), the report as a manager saw it then (see the README for what is
/// read as of then); and the warm paths to the most influential uncovered.
#[utoipa::path(tag = "accounts", params(("id" = Uuid, Path, description = "A client organization: the account"), ReportParams), responses((status = 200, body = CoverageReportResponse)))]
#[get("/v1/accounts/{id}/coverage")]
pub async fn account_coverage(
    db: web::Data<Db>,
    principal: Principal,
    id: web::Path<Uuid>,
    Query(params): Query<ReportParams>,
) -> Result<HttpResponse, Error> {
    principal.require(Scope::Read)?;
    let id = id.into_inner();
    // As of now, the account is kept between reports; as of another time it is read.
    let now = params.as_of.is_none() && params.known_at.is_none();
    let at = time_point(params.as_of, params.known_at);
    let kept = db.accounts.clone();
    let response = read_lagging(&db, principal.key_id, move |c| {
        let kept = now.then_some(&*kept);
        let mut reported = reports::reported(c, principal.tenant_id, id, at, kept)?;
        if params.reachable.unwrap_or(true) {
            reported.find_paths(c, principal.tenant_id, at.as_of.date())?;
        }
        let tracked = reported.tracked(at.as_of.date());
        Ok(report_response(&reported.data, &reported.report, &tracked, &reported.reachable, at))
    })
    .await?;
    Ok(HttpResponse::Ok().json(response))
}

#[derive(Debug, Clone, Copy, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OverviewSort {
    /// Riskiest first.
    #[default]
    Risk,
    /// By account name.
    Name,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct OverviewParams {
    /// `risk` (default, riskiest first) or `name`.
    #[param(inline)]
    pub sort: Option<OverviewSort>,
    /// The accounts as of then: an RFC 3339 time, or a date (its end). Default now.
    #[param(value_type = Option<String>)]
    pub as_of: Option<Moment>,
    /// As the service had recorded them by then (same forms). Default now.
    #[param(value_type = Option<String>)]
    pub known_at: Option<Moment>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OverviewRow {
    pub account: AccountRef,
    pub metrics: MetricsResponse,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OverviewResponse {
    pub as_of: DateTime<Utc>,
    pub known_at: DateTime<Utc>,
    pub items: Vec<OverviewRow>,
}

/// The coverage metrics of every account of the tenant (top-level client organizations).
#[utoipa::path(tag = "accounts", params(OverviewParams), responses((status = 200, body = OverviewResponse)))]
#[get("/v1/coverage/overview")]
pub async fn coverage_overview(
    db: web::Data<Db>,
    principal: Principal,
    Query(params): Query<OverviewParams>,
) -> Result<HttpResponse, Error> {
    principal.require(Scope::Read)?;
    let now = params.as_of.is_none() && params.known_at.is_none();
    let at = time_point(params.as_of, params.known_at);
    let tenant = principal.tenant_id;
    let sort = params.sort.unwrap_or_default();
    let kept = db.accounts.clone();
    let items = read_lagging(&db, principal.key_id, move |c| {
        overview(c, tenant, at, sort, now.then_some(&*kept))
    })
    .await?;
    Ok(HttpResponse::Ok().json(OverviewResponse {
        as_of: at.as_of.and_utc(),
        known_at: at.known_at.and_utc(),
        items,
    }))
}

/// Every account's metrics at `at`, in `sort` order (`kept`: as for `reports::reported`).
pub fn overview(
    c: &mut DbConn,
    tenant: TenantId,
    at: TimePoint,
    sort: OverviewSort,
    kept: Option<&KeptAccounts>,
) -> Result<Vec<OverviewRow>, Error> {
    let mut rows = Vec::new();
    for root in organizations::account_roots(c, tenant)? {
        let reported = reports::reported(c, tenant, root, at, kept)?;
        let tracked = reported.tracked(at.as_of.date());
        rows.push(OverviewRow {
            account: AccountRef::of(&reported.data),
            metrics: MetricsResponse::of(&reported.report.metrics, &tracked),
        });
    }
    match sort {
        OverviewSort::Risk => rows.sort_by(|a, b| {
            b.metrics
                .risk
                .total_cmp(&a.metrics.risk)
                .then_with(|| a.account.name.cmp(&b.account.name))
        }),
        OverviewSort::Name => rows.sort_by(|a, b| a.account.name.cmp(&b.account.name)),
    }
    Ok(rows)
}
