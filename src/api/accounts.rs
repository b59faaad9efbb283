//! An account and its coverage report on the wire: the account a response is about, the
//! report's posts, holders, coverage and metrics (its alerts: `api::alerts`).

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use uuid::Uuid;

use crate::api::alerts::{tracked_alert, AlertResponse};
use crate::domain::account::{Metrics, Report};
use crate::domain::alert::{AlertState, Tracked};
use crate::domain::coverage::{BuyingRole, CoverageRole};
use crate::domain::crafting::TimePoint;
use crate::domain::paths::Path;
use crate::store::accounts::AccountData;

/// The account a response is about.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AccountRef {
    /// The client organization at the top of the account.
    pub id: Uuid,
    pub name: String,
}

impl AccountRef {
    pub fn of(data: &AccountData) -> Self {
        AccountRef { id: data.root.id, name: data.root.name.clone() }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MetricsResponse {
    /// Persons holding an account post now.
    pub stakeholders: usize,
    pub covered_stakeholders: usize,
    /// covered_stakeholders / stakeholders.
    pub covered_share: f64,
    /// Sum of the influence of covered stakeholders (influence sums to 1 over the account).
    pub influence_covered: f64,
    pub decision_makers: usize,
    pub decision_makers_covered: usize,
    pub economic_buyers: usize,
    pub economic_buyers_covered: usize,
    /// Stakeholders with more than one strong thread (strength ≥ the tenant's `strong_thread`).
    pub multi_threaded_stakeholders: usize,
    /// Salespeople covering someone in the account.
    pub salespeople: usize,
    pub vacant_posts: usize,
    /// Alerts that need action (`open`); acknowledged, snoozed and dismissed ones do not count.
    pub alerts: usize,
    /// 0 to 1: 0.5 × influence not covered + 0.2 × decision makers and economic buyers not
    /// covered + 0.2 if single-threaded + 0.1 × share of stale links.
    pub risk: f64,
}

impl MetricsResponse {
    /// The metrics, counting the alerts that need action.
    pub fn of(m: &Metrics, alerts: &[Tracked<'_>]) -> Self {
        MetricsResponse {
            stakeholders: m.stakeholders,
            covered_stakeholders: m.covered_stakeholders,
            covered_share: m.covered_share,
            influence_covered: m.influence_covered,
            decision_makers: m.decision_makers,
            decision_makers_covered: m.decision_makers_covered,
            economic_buyers: m.economic_buyers,
            economic_buyers_covered: m.economic_buyers_covered,
            multi_threaded_stakeholders: m.multi_threaded_stakeholders,
            salespeople: m.salespeople,
            vacant_posts: m.vacant_posts,
            alerts: alerts.iter().filter(|t| t.state == AlertState::Open).count(),
            risk: m.risk,
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CoveringResponse {
    pub coverage_id: Uuid,
    pub salesperson_id: Uuid,
    pub salesperson_name: String,
    pub role: CoverageRole,
    pub strength: f64,
    /// `stated` or `derived` (from interactions).
    pub strength_source: String,
    pub last_interaction_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct HolderReport {
    pub tenure_id: Uuid,
    pub person_id: Uuid,
    pub display_name: String,
    pub started_on: NaiveDate,
    pub buying_roles: Vec<BuyingRole>,
    /// Share of the account's influence: centrality × role factor, normalised.
    pub influence: f64,
    /// Centrality over reporting lines and relationships (sums to 1 over the account).
    pub centrality: f64,
    /// The largest weight among the holder's buying roles (1 without roles).
    pub role_factor: f64,
    pub covered_by: Vec<CoveringResponse>,
    /// Uncovered: the strongest warm path from someone on the team, if any (the full paths:
    /// `GET /v1/accounts/{id}/paths`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reachable_through: Option<ReachableResponse>,
}

/// The best warm path to an uncovered stakeholder, in short.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ReachableResponse {
    pub salesperson_id: Uuid,
    pub salesperson_name: String,
    /// The product of the hops' strengths.
    pub strength: f64,
    /// The people between them, in order.
    pub via: Vec<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PostReport {
    pub post_id: Uuid,
    pub title: String,
    pub organization_id: Uuid,
    pub reports_to_post_id: Option<Uuid>,
    pub headcount: u32,
    pub holders: Vec<HolderReport>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CoverageReportResponse {
    pub account: AccountRef,
    pub as_of: DateTime<Utc>,
    pub known_at: DateTime<Utc>,
    pub metrics: MetricsResponse,
    pub posts: Vec<PostReport>,
    /// Most urgent first: champion or another buying role lost, covered person left,
    /// uncovered buying role, known person arrived, single-threaded account, new holder,
    /// vacant post, stale relationship.
    pub alerts: Vec<AlertResponse>,
}

/// Titles of the account's posts, for alert messages.
pub fn titles(data: &AccountData) -> HashMap<Uuid, &str> {
    data.account.posts.iter().map(|p| (p.id, p.title.as_str())).collect()
}

pub fn report_response(
    data: &AccountData,
    report: &Report,
    tracked: &[Tracked<'_>],
    reachable: &HashMap<Uuid, (Uuid, Path)>,
    at: TimePoint,
) -> CoverageReportResponse {
    let name = |id: &Uuid| data.names.get(id).cloned().unwrap_or_default();
    let titles = titles(data);
    let posts = data
        .account
        .posts
        .iter()
        .map(|post| PostReport {
            post_id: post.id,
            title: post.title.clone(),
            organization_id: post.organization_id,
            reports_to_post_id: post.reports_to,
            headcount: post.headcount,
            holders: post
                .holders
                .iter()
                .map(|h| {
                    let influence = report.influence.get(&h.person_id);
                    HolderReport {
                        tenure_id: h.tenure_id,
                        person_id: h.person_id,
                        display_name: h.display_name.clone(),
                        started_on: h.started_on,
                        buying_roles: h.buying_roles.clone(),
                        influence: influence.map_or(0.0, |i| i.influence),
                        centrality: influence.map_or(0.0, |i| i.centrality),
                        role_factor: influence.map_or(1.0, |i| i.role_factor),
                        covered_by: report
                            .coverage
                            .get(&h.person_id)
                            .map(Vec::as_slice)
                            .unwrap_or(&[])
                            .iter()
                            .map(|l| CoveringResponse {
                                coverage_id: l.id,
                                salesperson_id: l.salesperson_id,
                                salesperson_name: name(&l.salesperson_id),
                                role: l.role,
                                strength: l.strength,
                                strength_source: if data.stated.contains(&l.id) {
                                    "stated".into()
                                } else {
                                    "derived".into()
                                },
                                last_interaction_at: l.last_interaction_at.map(|t| t.and_utc()),
                            })
                            .collect(),
                        reachable_through: reachable.get(&h.person_id).map(
                            |(salesperson, path)| ReachableResponse {
                                salesperson_id: *salesperson,
                                salesperson_name: name(salesperson),
                                strength: path.strength,
                                via: path.hops.iter().skip(1).map(|hop| name(&hop.from)).collect(),
                            },
                        ),
                    }
                })
                .collect(),
        })
        .collect();
    CoverageReportResponse {
        account: AccountRef::of(data),
        as_of: at.as_of.and_utc(),
        known_at: at.known_at.and_utc(),
        metrics: MetricsResponse::of(&report.metrics, tracked),
        posts,
        alerts: tracked.iter().map(|t| tracked_alert(t, data, &titles)).collect(),
    }
}
