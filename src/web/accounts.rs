//! `/app/`: every client account, riskiest first, with the coverage figures a manager ranks
//! them by (the API's `GET /v1/coverage/overview`).

use actix_web::{web, HttpResponse};
use maud::html;
use serde::Deserialize;

use crate::api::moment::{time_point, Moment};
use crate::http::accounts::report::{overview, OverviewSort};
use crate::http::read_lagging;
use crate::store::Db;
use crate::web::layout::{page, percent, Header, PageError};
use crate::web::session::Manager;

#[derive(Deserialize)]
pub struct Params {
    sort: Option<String>,
    q: Option<String>,
    as_of: Option<String>,
}

pub async fn accounts(
    manager: Manager,
    db: web::Data<Db>,
    params: web::Query<Params>,
) -> Result<HttpResponse, PageError> {
    let params = params.into_inner();
    let as_of = params.as_of.as_deref().filter(|s| !s.is_empty()).map(as_of_param).transpose()?;
    let at = time_point(as_of, None);
    let sort = match params.sort.as_deref() {
        Some("name") => OverviewSort::Name,
        _ => OverviewSort::Risk,
    };
    let tenant = manager.principal.tenant_id;
    let key = manager.principal.key_id;
    let kept = db.accounts.clone();
    let mut rows = read_lagging(&db, key, move |c| {
        overview(c, tenant, at, sort, as_of.is_none().then_some(&*kept))
    })
    .await?;
    let query = params.q.unwrap_or_default();
    let needle = query.trim().to_lowercase();
    rows.retain(|r| needle.is_empty() || r.account.name.to_lowercase().contains(&needle));
    let body = html! {
        main {
            h1 { "Accounts" }
            form.filters method="get" action="/app/" role="search" {
                label for="q" { "Account name" }
                input #q type="search" name="q" value=(query);
                label for="sort" { "Order" }
                select #sort name="sort" {
                    option value="risk" selected[matches!(sort, OverviewSort::Risk)] { "Riskiest first" }
                    option value="name" selected[matches!(sort, OverviewSort::Name)] { "By name" }
                }
                button type="submit" { "Show" }
            }
            @if rows.is_empty() {
                p { "No client accounts match. Accounts are the top-level client organizations your CRM syncs." }
            } @else {
                table.accounts {
                    caption { "Client accounts as of " (at.as_of.date()) }
                    thead { tr {
                        th scope="col" { "Account" }
                        th scope="col" { "Risk" }
                        th scope="col" { "Influence covered" }
                        th scope="col" { "Stakeholders covered" }
                        th scope="col" { "Decision makers covered" }
                        th scope="col" { "Economic buyers covered" }
                        th scope="col" { "Salespeople" }
                        th scope="col" { "Multi-threaded stakeholders" }
                        th scope="col" { "Vacant posts" }
                        th scope="col" { "Alerts" }
                    } }
                    tbody {
                        @for r in &rows {
                            @let m = &r.metrics;
                            tr {
                                th scope="row" { a href={ "/app/accounts/" (r.account.id) } { (r.account.name) } }
                                td.num { (percent(m.risk)) }
                                td.num { (percent(m.influence_covered)) }
                                td.num { (m.covered_stakeholders) " of " (m.stakeholders) }
                                td.num { (m.decision_makers_covered) " of " (m.decision_makers) }
                                td.num { (m.economic_buyers_covered) " of " (m.economic_buyers) }
                                td.num {
                                    (m.salespeople)
                                    // All coverage through one salesperson (the API's
                                    // `single_threaded_account` alert).
                                    @if m.salespeople == 1 { " " span.badge.warn { "single-threaded" } }
                                }
                                td.num { (m.multi_threaded_stakeholders) }
                                td.num { (m.vacant_posts) }
                                td.num { (m.alerts) }
                            }
                        }
                    }
                }
            }
        }
    };
    let header = Header { key_name: &manager.principal.key_name, csrf: &manager.csrf };
    Ok(page(200, "Accounts", Some(header), body))
}

/// A page's `as_of`: a date or an RFC 3339 time, as the API reads it.
pub fn as_of_param(text: &str) -> Result<Moment, PageError> {
    Moment::parse(text)
        .map_err(|reason| PageError::Failed(crate::error::Error::invalid("as_of", reason)))
}
