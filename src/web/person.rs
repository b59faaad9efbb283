//! `/app/accounts/{id}/people/{person_id}`: a stakeholder. Their crafted job against the
//! formal post (guardrail breaches marked), what each holder of the post changed, their
//! career, their interactions and who covers them with what strength. The same reads as
//! `GET /v1/tenures/{id}/diff`, `GET /v1/posts/{id}/succession`, `GET /v1/tenures?person_id=`,
//! `GET /v1/interactions?stakeholder_id=` and the account's coverage report.

use std::collections::HashMap;

use actix_web::{web, HttpResponse};
use maud::{html, Markup};
use uuid::Uuid;

use crate::api::accounts::{report_response, HolderReport};
use crate::api::diffs::DiffResponse;
use crate::domain::diff::Op;
use crate::domain::facet::dimension_name;
use crate::error::Error;
use crate::http::diffs::{formal_vs_crafted, successions};
use crate::http::read;
use crate::store::interactions::{self, Interaction};
use crate::store::tenures::Tenure;
use crate::store::views::holdings::{self, AsOf, Holding};
use crate::store::{crafting, now, now_point, organizations, persons, reports, vocabulary};
use crate::store::{Db, PageRequest};
use crate::web::layout::{page, two, wire, words, Header, PageError};
use crate::web::session::Manager;

/// Interactions shown, newest first.
const INTERACTIONS_SHOWN: i64 = 20;
/// Posts of a career shown, earliest first.
const CAREER_SHOWN: usize = 100;

struct Stakeholder {
    account_name: String,
    name: String,
    holder: Option<HolderReport>,
    /// The tenure in the account, with its post's title and the diffs.
    held: Option<(Tenure, String, DiffResponse, Vec<DiffResponse>)>,
    career: Vec<(Tenure, String, String)>,
    interactions: Vec<Interaction>,
    salespeople: HashMap<Uuid, String>,
}

pub async fn person(
    manager: Manager,
    db: web::Data<Db>,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, PageError> {
    let (account, person) = path.into_inner();
    let tenant = manager.principal.tenant_id;
    let at = now_point();
    let kept = db.accounts.clone();
    let found = read(&db, move |c| {
        let reported = reports::reported(c, tenant, account, at, Some(&kept))?;
        let name =
            persons::display_names(c, tenant, &[person])?.remove(&person).ok_or(Error::NotFound)?;
        let tracked = reported.tracked(at.as_of.date());
        let report =
            report_response(&reported.data, &reported.report, &tracked, &reported.reachable, at);
        let account_name = report.account.name.clone();
        let holder =
            report.posts.into_iter().flat_map(|p| p.holders).find(|h| h.person_id == person);
        let as_of = AsOf { date: at.as_of.date(), current_only: false };
        let page = PageRequest { limit: CAREER_SHOWN, after: None };
        let (career, _) = holdings::list_holding(c, tenant, Holding::Career(person), as_of, page)?;
        let org_ids: Vec<Uuid> = career.iter().map(|t| t.organization_id).collect();
        let org_names: HashMap<Uuid, String> = organizations::find_many(c, tenant, &org_ids)?
            .into_iter()
            .map(|o| (o.id, o.name))
            .collect();
        let held = match &holder {
            Some(h) => {
                let history = crafting::history(c, tenant, h.tenure_id)?;
                let labels = vocabulary::labels(c, tenant)?;
                let (diff, _) = formal_vs_crafted(&history, at, &labels);
                let post_id = history.tenure.post_id;
                let succession =
                    successions(c, tenant, post_id, now())?.into_iter().map(|(d, _)| d).collect();
                let title = career
                    .iter()
                    .find(|t| t.tenure.id == h.tenure_id)
                    .map(|t| t.post_title.clone())
                    .unwrap_or_default();
                Some((history.tenure.clone(), title, diff, succession))
            }
            None => None,
        };
        let career = career
            .into_iter()
            .map(|t| {
                let org = org_names.get(&t.organization_id).cloned().unwrap_or_default();
                (t.tenure, t.post_title, org)
            })
            .collect();
        let interactions = interactions::latest(c, tenant, person, INTERACTIONS_SHOWN)?;
        let salesperson_ids: Vec<Uuid> =
            interactions.iter().map(|i| i.fields.salesperson_id).collect();
        let salespeople = persons::display_names(c, tenant, &salesperson_ids)?;
        Ok(Stakeholder { account_name, name, holder, held, career, interactions, salespeople })
    })
    .await?;
    let body = draw(account, &found);
    let header = Header { key_name: &manager.principal.key_name, csrf: &manager.csrf };
    Ok(page(200, &found.name, Some(header), body))
}

fn draw(account: Uuid, s: &Stakeholder) -> Markup {
    html! {
        main.person {
            p.crumbs { a href={ "/app/accounts/" (account) } { "← " (s.account_name) } }
            h1 { (s.name) }
            @if let Some((tenure, title, diff, succession)) = &s.held {
                p.lead { (title) " since " (tenure.period.started_on) }
                @if let Some(h) = &s.holder {
                    section aria-labelledby="coverage-heading" {
                        h2 #coverage-heading { "Coverage" }
                        p {
                            "Influence " (two(h.influence))
                            @for role in &h.buying_roles { " " span.badge { (words(&wire(role))) } }
                        }
                        @if h.covered_by.is_empty() {
                            p.covering.none { "Nobody covers " (s.name) "." }
                        } @else {
                            table {
                                caption { "Who covers " (s.name) }
                                thead { tr { th scope="col" { "Salesperson" } th scope="col" { "Role" } th scope="col" { "Strength" } th scope="col" { "From" } th scope="col" { "Last interaction" } } }
                                tbody {
                                    @for c in &h.covered_by {
                                        tr {
                                            th scope="row" { (c.salesperson_name) }
                                            td { (words(&wire(&c.role))) }
                                            td.num { (two(c.strength)) }
                                            td { (words(&c.strength_source)) }
                                            td { (c.last_interaction_at.map(|t| t.date_naive().to_string()).unwrap_or_else(|| "—".into())) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                section aria-labelledby="crafting-heading" {
                    h2 #crafting-heading { "Crafted job against the post" }
                    (changes(diff, "How " , &s.name))
                }
                section aria-labelledby="succession-heading" {
                    h2 #succession-heading { "Succession of " (title) }
                    @if succession.is_empty() { p { "No earlier holder is recorded." } }
                    @for d in succession {
                        h3 {
                            (d.from.person_display_name.clone().unwrap_or_default()) " → " (d.to.person_display_name.clone().unwrap_or_default())
                        }
                        (changes(d, "What changed", ""))
                    }
                }
            } @else {
                p { (s.name) " holds no post in this account now." }
            }
            section aria-labelledby="career-heading" {
                h2 #career-heading { "Career" }
                ol.career {
                    @for (t, title, org) in &s.career {
                        li { (title) ", " (org) " · " (t.period.started_on) " – " (t.period.ended_on.map(|d| d.to_string()).unwrap_or_else(|| "now".into())) }
                    }
                }
            }
            section aria-labelledby="interactions-heading" {
                h2 #interactions-heading { "Interactions" }
                @if s.interactions.is_empty() { p { "None logged." } }
                ul {
                    @for i in &s.interactions {
                        li {
                            (i.fields.occurred_at.date()) " · " (words(&wire(&i.fields.kind))) " with "
                            (s.salespeople.get(&i.fields.salesperson_id).cloned().unwrap_or_default())
                            @if let Some(summary) = &i.fields.summary { ": " (summary) }
                        }
                    }
                }
            }
        }
    }
}

fn changes(diff: &DiffResponse, caption: &str, name: &str) -> Markup {
    html! {
        @if diff.changes.is_empty() {
            p { "No difference." }
        } @else {
            table.diff {
                caption { (caption) @if !name.is_empty() { " " (name) " does the job differently" } }
                thead { tr {
                    th scope="col" { "Facet" } th scope="col" { "Form" } th scope="col" { "Change" }
                    th scope="col" { "Before" } th scope="col" { "After" } th scope="col" { "Guardrail" }
                } }
                tbody {
                    @for c in &diff.changes {
                        tr class=(op_class(c.op)) {
                            th scope="row" { (c.label.clone().unwrap_or_else(|| words(&c.key))) }
                            td { (words(dimension_name(c.dimension))) }
                            td { (op_class(c.op)) }
                            td.num { (c.before.map(two).unwrap_or_default()) }
                            td.num { (c.after.map(two).unwrap_or_default()) }
                            td { @if let Some(g) = &c.guardrail { span.badge.warn { (g) } } }
                        }
                    }
                }
            }
        }
    }
}

fn op_class(op: Op) -> &'static str {
    match op {
        Op::Added => "added",
        Op::Removed => "removed",
        Op::Changed => "changed",
    }
}
