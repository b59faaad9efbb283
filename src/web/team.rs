//! `/app/team`: the salespeople, each with their crafted job (the facets they stress most) and
//! their load against capacity across accounts. The same reads suggestions make
//! (`store::suggestions::salesforce`).

use std::collections::HashMap;

use actix_web::{web, HttpResponse};
use maud::html;
use uuid::Uuid;

use crate::domain::facet::{dimension_name, Facet};
use crate::http::read_lagging;
use crate::store::suggestions::{salesforce, SalesProfile};
use crate::store::{coverage_settings, now_point, organizations, persons, Db};
use crate::web::layout::{page, two, words, Header, PageError};
use crate::web::session::Manager;

/// Facets shown per salesperson, strongest first.
const FACETS_SHOWN: usize = 6;

pub async fn team(manager: Manager, db: web::Data<Db>) -> Result<HttpResponse, PageError> {
    let tenant = manager.principal.tenant_id;
    let at = now_point();
    let key = manager.principal.key_id;
    let (mut team, names, units, default_capacity) = read_lagging(&db, key, move |c| {
        let team: Vec<SalesProfile> = salesforce(c, tenant, None, &[], at)?;
        let person_ids: Vec<Uuid> = team.iter().map(|s| s.tenure.person_id).collect();
        let names = persons::display_names(c, tenant, &person_ids)?;
        let unit_ids: Vec<Uuid> = team.iter().map(|s| s.tenure.organization_id).collect();
        let units: HashMap<Uuid, String> = organizations::find_many(c, tenant, &unit_ids)?
            .into_iter()
            .map(|o| (o.id, o.name))
            .collect();
        let default_capacity = coverage_settings::settings(c, tenant)?.0.default_capacity;
        Ok((team, names, units, default_capacity))
    })
    .await?;
    let name = |s: &SalesProfile| names.get(&s.tenure.person_id).cloned().unwrap_or_default();
    team.sort_by_key(|s| (units.get(&s.tenure.organization_id).cloned(), name(s)));
    let body = html! {
        main.team {
            h1 { "Team" }
            table {
                caption { "Salespeople, their crafted jobs and their load" }
                thead { tr {
                    th scope="col" { "Salesperson" } th scope="col" { "Unit" }
                    th scope="col" { "Covers" } th scope="col" { "Capacity" } th scope="col" { "Crafted job" }
                } }
                tbody {
                    @for s in &team {
                        @let capacity = s.tenure.capacity.map_or(default_capacity, i64::from);
                        @let load = i64::from(s.load_elsewhere);
                        tr {
                            th scope="row" { (name(s)) }
                            td { (units.get(&s.tenure.organization_id).cloned().unwrap_or_default()) }
                            td.num { (load) @if load > capacity { " " span.badge.warn { "over capacity" } } }
                            td.num { (capacity) }
                            td {
                                ul.facets {
                                    @for f in strongest(&s.facets) {
                                        li { (words(&f.key)) " " span.muted { (words(dimension_name(f.dimension))) " " (two(f.weight)) } }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    let header = Header { key_name: &manager.principal.key_name, csrf: &manager.csrf };
    Ok(page(200, "Team", Some(header), body))
}

/// The facets a salesperson stresses most, either way.
fn strongest(facets: &[Facet]) -> Vec<&Facet> {
    let mut facets: Vec<&Facet> = facets.iter().collect();
    facets.sort_by(|a, b| b.weight.abs().total_cmp(&a.weight.abs()));
    facets.truncate(FACETS_SHOWN);
    facets
}
