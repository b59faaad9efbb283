//! `/app/accounts/{id}`: the coverage map. The account's posts drawn as an org chart along
//! their reporting lines, across its subsidiaries; each card says who holds the post, their
//! buying roles and influence, who covers them and how strongly, and the alerts on it. A facet
//! lens, an `as_of` day and the informal relationships are options of the same page. What it
//! draws is the API's coverage report (`GET /v1/accounts/{id}/coverage`), read the same way.

use std::collections::{BTreeMap, HashMap};

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use maud::{html, Markup};
use serde::Deserialize;
use uuid::Uuid;

use crate::api::accounts::{report_response, CoverageReportResponse, HolderReport, PostReport};
use crate::api::alerts::AlertResponse;
use crate::api::moment::time_point;
use crate::domain::alert::{AlertState, Decision};
use crate::domain::crafting::TimePoint;
use crate::domain::facet::{dimension_name, Facet};
use crate::domain::tenant::TenantId;
use crate::error::Error;
use crate::http::accounts::alerts::decide;
use crate::http::bulk::csv;
use crate::http::read_lagging;
use crate::store::kept_accounts::KeptAccounts;
use crate::store::vocabulary::LabelCache;
use crate::store::{crafting, now_point, reports, Db, DbConn, Expected};
use crate::web::accounts::as_of_param;
use crate::web::layout::{page, percent, see_other, two, wire, words, Header, PageError};
use crate::web::session::Manager;

#[derive(Deserialize)]
pub struct Params {
    as_of: Option<String>,
    lens: Option<String>,
    relationships: Option<String>,
    paths: Option<String>,
}

/// A post's state on the map, by its least-covered holder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum State {
    Vacant,
    Uncovered,
    Weak,
    Strong,
}

impl State {
    fn of(post: &PostReport, strong_thread: f64) -> State {
        post.holders
            .iter()
            .map(|h| match strongest(h) {
                None => State::Uncovered,
                Some(s) if s < strong_thread => State::Weak,
                Some(_) => State::Strong,
            })
            .min()
            .unwrap_or(State::Vacant)
    }

    fn class(self) -> &'static str {
        match self {
            State::Vacant => "vacant",
            State::Uncovered => "uncovered",
            State::Weak => "weak",
            State::Strong => "strong",
        }
    }

    fn label(self) -> &'static str {
        match self {
            State::Vacant => "Vacant",
            State::Uncovered => "Uncovered",
            State::Weak => "Weakly covered",
            State::Strong => "Strongly covered",
        }
    }
}

fn strongest(holder: &HolderReport) -> Option<f64> {
    holder.covered_by.iter().map(|c| c.strength).reduce(f64::max)
}

/// What the map reads: the report as the API answers it, the names of the account's
/// organizations, the strong-thread setting, the facet keys a lens can show, each holder's
/// crafted facets (only with a lens) and the informal relationships among its stakeholders.
struct Map {
    report: CoverageReportResponse,
    organizations: HashMap<Uuid, String>,
    strong_thread: f64,
    lens_keys: BTreeMap<String, String>,
    facets: HashMap<Uuid, Vec<Facet>>,
    relationships: Vec<(Uuid, Uuid, String, f64)>,
}

/// What a map draws besides the report; each costs reads, so only when asked.
#[derive(Clone, Copy)]
struct Extras {
    lens: bool,
    /// Warm paths to the most influential uncovered (the API's `reachable`).
    paths: bool,
}

fn load(
    c: &mut DbConn,
    labels: &LabelCache,
    tenant: TenantId,
    id: Uuid,
    at: TimePoint,
    extras: Extras,
    kept: Option<&KeptAccounts>,
) -> Result<Map, Error> {
    let mut reported = reports::reported(c, tenant, id, at, kept)?;
    if extras.paths {
        reported.find_paths(c, tenant, at.as_of.date())?;
    }
    let tracked = reported.tracked(at.as_of.date());
    let report =
        report_response(&reported.data, &reported.report, &tracked, &reported.reachable, at);
    let data = &reported.data;
    let facets = match extras.lens {
        true => crafting::crafted_facets(c, tenant, data.tenures.clone(), at)?,
        false => HashMap::new(),
    };
    // The vocabulary's keys with their labels (a key of several dimensions once).
    let lens_keys = labels
        .labels(c, tenant)?
        .iter()
        .map(|((_, key), label)| (key.clone(), label.clone()))
        .collect();
    let relationships = data
        .relationships
        .iter()
        .map(|r| {
            (
                r.fields.from_person_id,
                r.fields.to_person_id,
                wire(&r.fields.kind),
                r.fields.strength,
            )
        })
        .collect();
    Ok(Map {
        organizations: data.organizations.iter().map(|o| (o.id, o.name.clone())).collect(),
        strong_thread: data.settings.strong_thread,
        lens_keys,
        facets,
        relationships,
        report,
    })
}

pub async fn map(
    manager: Manager,
    db: web::Data<Db>,
    id: web::Path<Uuid>,
    params: web::Query<Params>,
) -> Result<HttpResponse, PageError> {
    let (id, params) = (id.into_inner(), params.into_inner());
    let as_of_text = params.as_of.clone().filter(|s| !s.is_empty());
    let as_of = as_of_text.as_deref().map(as_of_param).transpose()?;
    let at = time_point(as_of, None);
    let tenant = manager.principal.tenant_id;
    let lens = params.lens.filter(|l| !l.is_empty());
    let options = Options {
        lens: lens.as_deref(),
        relationships: params.relationships.is_some(),
        paths: params.paths.is_some(),
        as_of: as_of_text.as_deref(),
    };
    let extras = Extras { lens: lens.is_some(), paths: options.paths };
    let (labels, kept) = (db.labels.clone(), db.accounts.clone());
    let key = manager.principal.key_id;
    let map = read_lagging(&db, key, move |c| {
        load(c, &labels, tenant, id, at, extras, as_of.is_none().then_some(&*kept))
    })
    .await?;
    let body = draw(&manager, &map, id, &options);
    let header = Header { key_name: &manager.principal.key_name, csrf: &manager.csrf };
    Ok(page(200, &map.report.account.name, Some(header), body))
}

/// The map's options, as the page's form sets them.
struct Options<'a> {
    lens: Option<&'a str>,
    relationships: bool,
    paths: bool,
    as_of: Option<&'a str>,
}

fn draw(manager: &Manager, map: &Map, account: Uuid, o: &Options<'_>) -> Markup {
    let report = &map.report;
    let in_account: HashMap<Uuid, &PostReport> =
        report.posts.iter().map(|p| (p.post_id, p)).collect();
    let mut children: HashMap<Uuid, Vec<&PostReport>> = HashMap::new();
    let mut roots: Vec<&PostReport> = Vec::new();
    for post in &report.posts {
        match post.reports_to_post_id.filter(|p| in_account.contains_key(p)) {
            Some(parent) => children.entry(parent).or_default().push(post),
            None => roots.push(post),
        }
    }
    // The account's own organization first, then its subsidiaries, each by name.
    let org_name = |id: &Uuid| map.organizations.get(id).map(String::as_str).unwrap_or("");
    roots.sort_by(|a, b| {
        (a.organization_id != report.account.id, org_name(&a.organization_id), &a.title).cmp(&(
            b.organization_id != report.account.id,
            org_name(&b.organization_id),
            &b.title,
        ))
    });
    let mut alerts_by_post: HashMap<Uuid, Vec<&AlertResponse>> = HashMap::new();
    for alert in &report.alerts {
        if let Some(post) = alert.post_id {
            alerts_by_post.entry(post).or_default().push(alert);
        }
    }
    let names: HashMap<Uuid, &str> = report
        .posts
        .iter()
        .flat_map(|p| &p.holders)
        .map(|h| (h.person_id, h.display_name.as_str()))
        .collect();
    let view = View {
        map,
        account,
        lens: o.lens,
        overlay: o.relationships,
        children: &children,
        alerts: &alerts_by_post,
        names: &names,
    };
    let m = &report.metrics;
    html! {
        main.map-page {
            div.heading {
                h1 { (report.account.name) }
                p.muted { "As of " (report.as_of.date_naive()) }
            }
            dl.metrics {
                div { dt { "Influence covered" } dd { (percent(m.influence_covered)) } }
                div { dt { "Stakeholders covered" } dd { (m.covered_stakeholders) " of " (m.stakeholders) } }
                div { dt { "Decision makers covered" } dd { (m.decision_makers_covered) " of " (m.decision_makers) } }
                div { dt { "Economic buyers covered" } dd { (m.economic_buyers_covered) " of " (m.economic_buyers) } }
                div { dt { "Risk" } dd { (percent(m.risk)) } }
                div { dt { "Alerts" } dd { (m.alerts) } }
            }
            form.toolbar method="get" action={ "/app/accounts/" (account) } {
                label for="lens" { "Facet lens" }
                select #lens name="lens" {
                    option value="" { "None" }
                    @for (key, label) in &map.lens_keys {
                        option value=(key) selected[o.lens == Some(key.as_str())] { (label) }
                    }
                }
                label for="as_of" { "As of" }
                input #as_of type="date" name="as_of" value=[o.as_of];
                label.check {
                    input type="checkbox" name="relationships" value="1" checked[o.relationships];
                    " Informal relationships"
                }
                label.check {
                    input type="checkbox" name="paths" value="1" checked[o.paths];
                    " Warm paths to the uncovered"
                }
                button type="submit" { "Show" }
                a.button href={ "/app/accounts/" (account) "/suggestions" } { "Suggestions" }
                a.button href={ "/app/accounts/" (account) "/coverage.csv" @if let Some(day) = o.as_of { "?as_of=" (day) } } download { "Export CSV" }
            }
            div.map-tools {
                label for="find" { "Find on the map" }
                input #find type="search" placeholder="Name or title" data-find=".card" autocomplete="off";
                span #found.muted aria-live="polite" {}
                button type="button" data-zoom="out" aria-label="Zoom out" { "−" }
                button type="button" data-zoom="reset" { "100 %" }
                button type="button" data-zoom="in" aria-label="Zoom in" { "+" }
            }
            ul.legend aria-label="Legend" {
                li { span.swatch.strong {} "Strongly covered" }
                li { span.swatch.weak {} "Weakly covered" }
                li { span.swatch.uncovered {} "Uncovered" }
                li { span.swatch.vacant {} "Vacant" }
            }
            div.chart #chart {
                ul.tree {
                    @for root in &roots {
                        (view.card_tree(root))
                    }
                }
            }
            (alerts(manager, report, account))
        }
    }
}

struct View<'a> {
    map: &'a Map,
    account: Uuid,
    lens: Option<&'a str>,
    overlay: bool,
    children: &'a HashMap<Uuid, Vec<&'a PostReport>>,
    alerts: &'a HashMap<Uuid, Vec<&'a AlertResponse>>,
    names: &'a HashMap<Uuid, &'a str>,
}

impl View<'_> {
    fn card_tree(&self, post: &PostReport) -> Markup {
        let below = self.children.get(&post.post_id);
        html! {
            li {
                (self.card(post))
                @if let Some(below) = below {
                    details open {
                        summary { (below.len()) " reporting to " (post.title) }
                        ul.reports { @for child in below { (self.card_tree(child)) } }
                    }
                }
            }
        }
    }

    fn card(&self, post: &PostReport) -> Markup {
        let state = State::of(post, self.map.strong_thread);
        let alerts = self.alerts.get(&post.post_id).map(Vec::as_slice).unwrap_or(&[]);
        let lens_hits: Vec<(&HolderReport, &Facet)> = match self.lens {
            None => Vec::new(),
            Some(key) => post
                .holders
                .iter()
                .filter_map(|h| {
                    let facets = self.map.facets.get(&h.tenure_id)?;
                    let strongest = facets
                        .iter()
                        .filter(|f| f.key == key)
                        .max_by(|a, b| a.weight.abs().total_cmp(&b.weight.abs()))?;
                    Some((h, strongest))
                })
                .collect(),
        };
        let lens_class = match self.lens {
            None => "",
            Some(_) if lens_hits.is_empty() => " lens-miss",
            Some(_) => " lens-hit",
        };
        let organization = self.map.organizations.get(&post.organization_id);
        html! {
            article class={ "card " (state.class()) (lens_class) } id={ "post-" (post.post_id) } aria-label={ (post.title) ": " (state.label()) } {
                header {
                    h2 { (post.title) }
                    span class={ "state " (state.class()) } { (state.label()) }
                }
                @if post.organization_id != self.map.report.account.id {
                    @if let Some(name) = organization { p.org { (name) } }
                }
                @if post.holders.is_empty() {
                    p.holder.vacant { "vacant" }
                }
                @for h in &post.holders {
                    p.holder {
                        a href={ "/app/accounts/" (self.account) "/people/" (h.person_id) } { (h.display_name) }
                        span.influence title="Influence" { " · influence " (two(h.influence)) }
                    }
                    @if !h.buying_roles.is_empty() {
                        ul.roles aria-label="Buying roles" {
                            @for role in &h.buying_roles { li.badge { (words(&wire(role))) } }
                        }
                    }
                    @if h.covered_by.is_empty() {
                        p.covering.none { "Nobody covers " (h.display_name) }
                    } @else {
                        ul.covering aria-label="Covered by" {
                            @for c in &h.covered_by {
                                li { (c.salesperson_name) " " span.muted { (words(&wire(&c.role))) ", strength " (two(c.strength)) } }
                            }
                        }
                    }
                    @if let Some(path) = &h.reachable_through {
                        p.path { "Warm path: " (path.salesperson_name) " via " (path.via.join(" → ")) }
                    }
                    @if self.overlay {
                        @for (from, to, kind, strength) in self.map.relationships.iter().filter(|r| r.0 == h.person_id || r.1 == h.person_id) {
                            @let other = if *from == h.person_id { *to } else { *from };
                            @let name = self.names.get(&other).copied().unwrap_or("someone outside the account");
                            p.relationship {
                                @if *from == h.person_id { (words(kind)) " " (name) } @else { (name) " " (words(kind)) " them" }
                                span.muted { " (" (two(*strength)) ")" }
                            }
                        }
                    }
                }
                @for (h, facet) in &lens_hits {
                    p.lens {
                        (h.display_name) ": " (words(&facet.key)) " " strong { (two(facet.weight)) }
                        span.muted { " (" (words(dimension_name(facet.dimension))) ")" }
                    }
                }
                @if !alerts.is_empty() {
                    ul.alerts aria-label="Alerts" {
                        @for a in alerts {
                            li class={ "alert " (wire(&a.alert_type)) } { (words(&wire(&a.alert_type))) }
                        }
                    }
                }
            }
        }
    }
}

fn alerts(manager: &Manager, report: &CoverageReportResponse, account: Uuid) -> Markup {
    html! {
        section.alerts-list aria-labelledby="alerts-heading" {
            h2 #alerts-heading { "Alerts, most urgent first" }
            @if report.alerts.is_empty() { p { "No alerts." } }
            @if !manager.can_write() && !report.alerts.is_empty() {
                p.muted { "Acknowledging an alert needs a key with the write scope; this session's key can read only." }
            }
            ol {
                @for a in &report.alerts {
                    li class={ "alert-item " (wire(&a.state)) } {
                        span.badge { (words(&wire(&a.alert_type))) }
                        " "
                        @if let Some(post) = a.post_id {
                            a href={ "#post-" (post) } { (a.message) }
                        } @else {
                            (a.message)
                        }
                        @if a.state != AlertState::Open { span.muted { " · " (words(&wire(&a.state))) } }
                        @if manager.can_write() && a.state == AlertState::Open {
                            form.inline method="post" action={ "/app/accounts/" (account) "/alerts/" (a.alert_id) } {
                                input type="hidden" name="csrf" value=(manager.csrf);
                                button type="submit" { "Acknowledge" }
                            }
                        }
                    }
                }
            }
        }
    }
}

#[derive(Deserialize)]
pub struct Acknowledge {
    csrf: String,
}

/// Acknowledges an alert (write scope), as `PUT /v1/alerts/{id}` with `acknowledged` does.
pub async fn acknowledge(
    manager: Manager,
    db: web::Data<Db>,
    path: web::Path<(Uuid, Uuid)>,
    form: web::Form<Acknowledge>,
) -> Result<HttpResponse, PageError> {
    manager.check_csrf(&form.csrf)?;
    manager.principal.require(crate::domain::api_key::Scope::Write)?;
    let (account, alert) = path.into_inner();
    let decision = Decision::parse(AlertState::Acknowledged, None, None, now_point().as_of.date())?;
    decide(&db, &manager.principal, alert, account, decision, Expected::Any).await?;
    Ok(see_other(&format!("/app/accounts/{account}#alerts-heading")))
}

#[derive(Deserialize)]
pub struct ExportParams {
    as_of: Option<String>,
}

/// The account's coverage as CSV with names, one row per holder and coverer (a holder nobody
/// covers has one row with the coverer's columns empty); as of the map's day, if it has one.
pub async fn export(
    manager: Manager,
    db: web::Data<Db>,
    id: web::Path<Uuid>,
    params: web::Query<ExportParams>,
) -> Result<HttpResponse, PageError> {
    let id = id.into_inner();
    let tenant = manager.principal.tenant_id;
    let as_of = params.into_inner().as_of.filter(|s| !s.is_empty());
    let now = as_of.is_none();
    let at = time_point(as_of.as_deref().map(as_of_param).transpose()?, None);
    let (labels, kept) = (db.labels.clone(), db.accounts.clone());
    let extras = Extras { lens: false, paths: false };
    let key = manager.principal.key_id;
    let map = read_lagging(&db, key, move |c| {
        load(c, &labels, tenant, id, at, extras, now.then_some(&*kept))
    })
    .await?;
    let mut out = String::from("organization,post,holder,buying_roles,influence,state,salesperson,coverage_role,strength,last_interaction_at\r\n");
    for post in &map.report.posts {
        let organization =
            map.organizations.get(&post.organization_id).map(String::as_str).unwrap_or("");
        let state = State::of(post, map.strong_thread).label();
        if post.holders.is_empty() {
            csv::record(&mut out, &[organization, &post.title, "", "", "", state, "", "", "", ""]);
        }
        for h in &post.holders {
            let roles: Vec<String> = h.buying_roles.iter().map(wire).collect();
            let (roles, influence) = (roles.join(" "), two(h.influence));
            let holder = [organization, &post.title, &h.display_name, &roles, &influence, state];
            // One row per coverer, or one with the coverer's columns empty.
            let coverers: Vec<[String; 4]> = h
                .covered_by
                .iter()
                .map(|c| {
                    let last = c.last_interaction_at.map(|t| t.to_rfc3339()).unwrap_or_default();
                    [c.salesperson_name.clone(), wire(&c.role), two(c.strength), last]
                })
                .collect();
            let nobody = [[String::new(), String::new(), String::new(), String::new()]];
            let rows = if coverers.is_empty() { &nobody[..] } else { &coverers[..] };
            for coverer in rows {
                let mut fields = holder.to_vec();
                fields.extend(coverer.iter().map(String::as_str));
                csv::record(&mut out, &fields);
            }
        }
    }
    let file = format!("attachment; filename=\"coverage-{}.csv\"", map.report.account.id);
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((header::CONTENT_DISPOSITION, file))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(out))
}
