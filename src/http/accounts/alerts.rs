//! The life of a coverage report's alerts: the list of an account's alerts with what managers
//! decided about them, and a decision about one (see `domain::alert`).

use actix_web::{get, put, web, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::api::accounts::{titles, AccountRef};
use crate::api::alerts::{tracked_alert, AlertResponse, DecisionResponse};
use crate::domain::alert::{AlertState, Decision};
use crate::domain::api_key::Scope;
use crate::error::Error;
use crate::http::auth::Principal;
use crate::http::etag::IfMatch;
use crate::http::extract::{Json, Query};
use crate::http::respond::ok;
use crate::http::{read, write};
use crate::store::alerts::{self, Raised};
use crate::store::reports::{self, Reported};
use crate::store::{now_point, Db, Expected};

/// Where an alert stands in the list: a state it is in, or `cleared` (decided about once, and
/// its condition no longer holds).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AlertStanding {
    Open,
    Acknowledged,
    Snoozed,
    Dismissed,
    Cleared,
}

impl From<AlertState> for AlertStanding {
    fn from(state: AlertState) -> Self {
        match state {
            AlertState::Open => AlertStanding::Open,
            AlertState::Acknowledged => AlertStanding::Acknowledged,
            AlertState::Snoozed => AlertStanding::Snoozed,
            AlertState::Dismissed => AlertStanding::Dismissed,
        }
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AlertListParams {
    /// Only alerts standing so; absent for every alert raised now and every cleared one
    /// decided about before.
    #[param(inline)]
    pub state: Option<AlertStanding>,
}

/// An alert of the account and its history.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AlertItem {
    pub alert_id: Uuid,
    pub standing: AlertStanding,
    /// The alert as the report raises it now; absent when it has cleared.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alert: Option<AlertResponse>,
    /// Every decision about it, oldest first.
    pub history: Vec<DecisionResponse>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AlertListResponse {
    pub account: AccountRef,
    pub as_of: DateTime<Utc>,
    /// The alerts raised now, most urgent first, then the cleared ones.
    pub items: Vec<AlertItem>,
}

/// An account's alerts with what managers decided about them: those raised now (in any
/// state) and those that cleared after a decision, each with its history.
#[utoipa::path(tag = "accounts", params(("id" = Uuid, Path, description = "A client organization: the account"), AlertListParams), responses((status = 200, body = AlertListResponse)))]
#[get("/v1/accounts/{id}/alerts")]
pub async fn account_alerts(
    db: web::Data<Db>,
    principal: Principal,
    id: web::Path<Uuid>,
    Query(params): Query<AlertListParams>,
) -> Result<HttpResponse, Error> {
    principal.require(Scope::Read)?;
    let (id, tenant, at) = (id.into_inner(), principal.tenant_id, now_point());
    let kept = db.accounts.clone();
    let response = read(&db, move |c| {
        let reported = reports::reported(c, tenant, id, at, Some(&kept))?;
        let mut history =
            alerts::history(c, tenant, &reported.decided.keys().copied().collect::<Vec<_>>())?;
        let mut events = |alert_id: &Uuid| -> Vec<DecisionResponse> {
            history
                .remove(alert_id)
                .unwrap_or_default()
                .iter()
                .map(|e| DecisionResponse::of(&e.decision, &e.by, e.at))
                .collect()
        };
        let tracked = reported.tracked(at.as_of.date());
        let titles = titles(&reported.data);
        let mut items: Vec<AlertItem> = tracked
            .iter()
            .map(|t| AlertItem {
                alert_id: t.id,
                standing: t.state.into(),
                alert: Some(tracked_alert(t, &reported.data, &titles)),
                history: events(&t.id),
            })
            .collect();
        let raised: Vec<Uuid> = tracked.iter().map(|t| t.id).collect();
        let mut cleared: Vec<Uuid> =
            reported.decided.keys().filter(|id| !raised.contains(id)).copied().collect();
        cleared.sort();
        items.extend(cleared.iter().map(|id| AlertItem {
            alert_id: *id,
            standing: AlertStanding::Cleared,
            alert: None,
            history: events(id),
        }));
        if let Some(standing) = params.state {
            items.retain(|i| i.standing == standing);
        }
        Ok(AlertListResponse {
            account: AccountRef::of(&reported.data),
            as_of: at.as_of.and_utc(),
            items,
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(response))
}

/// A decision about an alert.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionRequest {
    /// The account whose report raises the alert.
    pub account_id: Uuid,
    /// `acknowledged`, `snoozed` (with `until`), `dismissed`, or `open` to undo a decision.
    pub state: AlertState,
    /// `snoozed`: the day it is open again (after today).
    #[serde(default)]
    pub until: Option<NaiveDate>,
    /// Why, for the next reader (at most 2,000 characters).
    #[serde(default)]
    pub note: Option<String>,
}

/// Decide about an alert raised now: acknowledge it, snooze it until a date, dismiss it, or
/// open it again; who, when and why are kept in its history and reported in the change feed.
/// `If-Match` takes the version of its last decision (the ETag of this answer). An alert the
/// account's report does not raise now is 404: there is nothing to decide.
#[utoipa::path(tag = "accounts", params(("alert_id" = Uuid, Path)), request_body = DecisionRequest, responses((status = 200, body = AlertResponse)))]
#[put("/v1/alerts/{alert_id}")]
pub async fn decide_alert(
    db: web::Data<Db>,
    principal: Principal,
    alert_id: web::Path<Uuid>,
    IfMatch(expected): IfMatch,
    Json(body): Json<DecisionRequest>,
) -> Result<HttpResponse, Error> {
    principal.require(Scope::Write)?;
    let decision =
        Decision::parse(body.state, body.until, body.note.as_deref(), now_point().as_of.date())?;
    let (version, response) =
        decide(&db, &principal, alert_id.into_inner(), body.account_id, decision, expected).await?;
    Ok(ok(version, response))
}

/// Records `decision` about the alert `alert_id` that the report of `account` raises now,
/// authored by `principal`: the decision's version and the alert as it now stands.
pub async fn decide(
    db: &Db,
    principal: &Principal,
    alert_id: Uuid,
    account: Uuid,
    decision: Decision,
    expected: Expected,
) -> Result<(i64, AlertResponse), Error> {
    let (tenant, at) = (principal.tenant_id, now_point());
    write(db, principal.actor(), move |c| {
        let reported: Reported = reports::reported(c, tenant, account, at, None)?;
        let alert = reported
            .report
            .alerts
            .iter()
            .find(|a| a.id(account) == alert_id)
            .ok_or(Error::NotFound)?;
        let raised = Raised {
            alert_id,
            account_id: account,
            alert_type: alert.type_name(),
            condition: alert.condition(),
        };
        let decided = alerts::decide(c, tenant, &raised, &decision, &expected)?;
        let mut reported = reported;
        reported.decided.insert(alert_id, decided.clone());
        let tracked = reported.tracked(at.as_of.date());
        let titles = titles(&reported.data);
        let this = tracked.iter().find(|t| t.id == alert_id).ok_or(Error::NotFound)?;
        Ok((decided.version, tracked_alert(this, &reported.data, &titles)))
    })
    .await
}
