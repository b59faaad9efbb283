//! `/app/accounts/{id}/suggestions`: who should cover whom, with reasons. The options are the
//! API's (`POST /v1/accounts/{id}/suggestions`): eligible salespeople, capacity overrides,
//! coverers per stakeholder and per buying role, weights, and pairs locked or excluded, which
//! a click on a pair adds. Applying (write scope, confirmed) is `…/suggestions/apply`.
//!
//! The options travel in the page's query string, so a suggestion can be bookmarked and the
//! lock and exclude links are plain links.

use actix_web::{web, HttpRequest, HttpResponse};
use maud::{html, Markup};
use uuid::Uuid;

use crate::domain::api_key::Scope;
use crate::domain::coverage::BuyingRole;
use crate::error::{Error, FieldError};
use crate::http::accounts::apply::{apply_pairs, ApplyPair, ApplyRequest};
use crate::http::accounts::suggestions::{
    run, PairRef, SuggestionRequest, SuggestionResponse, WeightsRequest,
};
use crate::store::Db;
use crate::web::layout::{page, see_other, two, wire, words, Header, PageError};
use crate::web::session::Manager;

/// The options as the query string gives them, and the same again as a query string.
#[derive(Default)]
struct Options {
    request: SuggestionRequest,
    /// The pairs as given, to write them back into links.
    query: Vec<(String, String)>,
}

fn pair(value: &str, field: &str) -> Result<PairRef, Error> {
    let (s, t) = value
        .split_once(':')
        .ok_or_else(|| Error::invalid(field, "a pair is salesperson-id:stakeholder-id"))?;
    let id = |v: &str| Uuid::parse_str(v).map_err(|_| Error::invalid(field, "not an id"));
    Ok(PairRef { salesperson_id: id(s)?, stakeholder_id: id(t)? })
}

fn number<T: std::str::FromStr>(value: &str, field: &str) -> Result<T, Error> {
    value.trim().parse().map_err(|_| Error::invalid(field, "not a number"))
}

fn options(query: &str) -> Result<Options, Error> {
    let mut o = Options::default();
    let mut weights = WeightsRequest::default();
    let mut weighted = false;
    let mut eligible = Vec::new();
    for (name, value) in form_urlencoded::parse(query.as_bytes()) {
        let (name, value) = (name.into_owned(), value.into_owned());
        if value.trim().is_empty() {
            continue;
        }
        match name.as_str() {
            "salesperson" => eligible.push(
                Uuid::parse_str(&value).map_err(|_| Error::invalid("salesperson", "not an id"))?,
            ),
            "coverers" => o.request.coverers = Some(number(&value, "coverers")?),
            "decision_maker" | "economic_buyer" | "champion" => {
                let role: BuyingRole =
                    serde_json::from_value(serde_json::Value::String(name.clone()))
                        .map_err(|_| Error::invalid(name.clone(), "not a buying role"))?;
                o.request.coverers_by_role.insert(role, number(&value, &name)?);
            }
            "alignment" => (weights.alignment, weighted) = (number(&value, "alignment")?, true),
            "partner" => (weights.partner, weighted) = (number(&value, "partner")?, true),
            "relationship" => {
                (weights.relationship, weighted) = (number(&value, "relationship")?, true)
            }
            "continuity" => (weights.continuity, weighted) = (number(&value, "continuity")?, true),
            "lock" => o.request.locked.push(pair(&value, "lock")?),
            "exclude" => o.request.excluded.push(pair(&value, "exclude")?),
            other => match other.strip_prefix("capacity_") {
                Some(id) => {
                    let id = Uuid::parse_str(id)
                        .map_err(|_| Error::invalid(other, "not a salesperson id"))?;
                    o.request.capacity_overrides.insert(id, number(&value, other)?);
                }
                None => return Err(Error::invalid(other, "not an option of suggestions")),
            },
        }
        o.query.push((name, value));
    }
    if !eligible.is_empty() {
        o.request.salesperson_ids = Some(eligible);
    }
    if weighted {
        o.request.weights = Some(weights);
    }
    Ok(o)
}

fn with(query: &[(String, String)], extra: (&str, String)) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in query {
        s.append_pair(k, v);
    }
    s.append_pair(extra.0, &extra.1);
    s.finish()
}

pub async fn suggestions(
    req: HttpRequest,
    manager: Manager,
    db: web::Data<Db>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, PageError> {
    let id = id.into_inner();
    let options = options(req.query_string())?;
    let response = run(&db, &manager.principal, id, options.request.clone()).await?;
    let body = draw(&manager, id, &options, &response);
    let header = Header { key_name: &manager.principal.key_name, csrf: &manager.csrf };
    Ok(page(200, &format!("Suggestions for {}", response.account.name), Some(header), body))
}

impl Options {
    fn value(&self, name: &str) -> Option<&str> {
        self.query.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

fn draw(manager: &Manager, account: Uuid, o: &Options, r: &SuggestionResponse) -> Markup {
    let base = format!("/app/accounts/{account}/suggestions");
    let eligible =
        |id: &Uuid| o.request.salesperson_ids.as_ref().is_none_or(|ids| ids.contains(id));
    let weights = o.request.weights.unwrap_or_default();
    html! {
        main.suggestions {
            p.crumbs { a href={ "/app/accounts/" (account) } { "← " (r.account.name) } }
            h1 { "Suggested coverage for " (r.account.name) }
            p.objective {
                "Suggested objective " strong #objective { (two(r.objective)) }
                " against today's " strong #current-objective { (two(r.current_objective)) }
                span.muted { " (solved in " (format!("{:.0}", r.timing.load_ms + r.timing.fit_ms + r.timing.solve_ms)) " ms)" }
            }
            form.options method="get" action=(base) {
                fieldset {
                    legend { "Salespeople who may be suggested, and their capacity" }
                    @for s in &r.salespeople {
                        div.salesperson {
                            label {
                                input type="checkbox" name="salesperson" value=(s.salesperson_id) checked[eligible(&s.salesperson_id)];
                                " " (s.name)
                            }
                            label {
                                span.visually-hidden { "Capacity of " (s.name) }
                                input type="number" min="0" max="10000" name={ "capacity_" (s.salesperson_id) }
                                    value=(o.request.capacity_overrides.get(&s.salesperson_id).copied().unwrap_or(i64::from(s.capacity)));
                            }
                            span.muted { (s.load_elsewhere) " covered elsewhere, " (s.assigned) " suggested here" }
                        }
                    }
                }
                fieldset {
                    legend { "Coverers" }
                    label { "Per stakeholder " input type="number" min="1" max="5" name="coverers" value=(o.value("coverers").unwrap_or("1")); }
                    label { "Per decision maker " input type="number" min="1" max="5" name="decision_maker" value=[o.value("decision_maker")]; }
                    label { "Per economic buyer " input type="number" min="1" max="5" name="economic_buyer" value=[o.value("economic_buyer")]; }
                    label { "Per champion " input type="number" min="1" max="5" name="champion" value=[o.value("champion")]; }
                }
                fieldset {
                    legend { "Weights of the fit" }
                    label { "Alignment " input type="number" step="0.05" min="0" name="alignment" value=(weights.alignment); }
                    label { "Partner " input type="number" step="0.05" min="0" name="partner" value=(weights.partner); }
                    label { "Relationship " input type="number" step="0.05" min="0" name="relationship" value=(weights.relationship); }
                    label { "Continuity " input type="number" step="0.05" min="0" name="continuity" value=(weights.continuity); }
                }
                @for (k, v) in o.query.iter().filter(|(k, _)| k == "lock" || k == "exclude") {
                    input type="hidden" name=(k) value=(v);
                }
                button type="submit" { "Suggest again" }
            }
            table.pairs {
                caption { "Suggested pairs, best first" }
                thead { tr {
                    th scope="col" { "Stakeholder" } th scope="col" { "Salesperson" } th scope="col" { "Score" }
                    th scope="col" { "Why" } th scope="col" { "Pin" }
                    @if manager.can_write() { th scope="col" { "Apply" } }
                } }
                tbody {
                    @for p in &r.pairs {
                        @let key = format!("{}:{}", p.salesperson_id, p.stakeholder_id);
                        tr.pair data-pair=(key) {
                            th scope="row" { (p.stakeholder_name) span.muted { " influence " (two(p.influence)) } }
                            td { (p.salesperson_name) @if p.covering_now { " " span.badge { "covers now" } } @if p.locked { " " span.badge { "locked" } } }
                            td.num { (two(p.score)) }
                            td.why {
                                "fit " (two(p.fit)) " = "
                                @if let Some(a) = p.parts.alignment { "alignment " (two(a)) ", " }
                                @if let Some(a) = p.parts.partner { "partner " (two(a)) ", " }
                                "relationship " (two(p.parts.relationship)) ", continuity " (two(p.parts.continuity))
                                @if !p.matched_facets.is_empty() {
                                    ul { @for m in &p.matched_facets { li { (words(&m.salesperson.key)) " ↔ " (words(&m.stakeholder.key)) " (+" (two(m.value)) ")" } } }
                                }
                                @if !p.partner_matches.is_empty() {
                                    p { "Partner: " @for (i, m) in p.partner_matches.iter().enumerate() { @if i > 0 { ", " } (words(&m.key)) } }
                                }
                            }
                            td.pin {
                                @if !p.locked { a href={ (base) "?" (with(&o.query, ("lock", key.clone()))) } { "Lock" } " " }
                                a href={ (base) "?" (with(&o.query, ("exclude", key.clone()))) } { "Exclude" }
                            }
                            @if manager.can_write() {
                                td.apply-pair {
                                    input type="checkbox" name="pair" value=(key) form="apply-pairs" checked
                                        aria-label={ "Apply " (p.salesperson_name) " on " (p.stakeholder_name) };
                                }
                            }
                        }
                    }
                }
            }
            @if !r.uncovered.is_empty() {
                h2 { "Left uncovered" }
                ul { @for u in &r.uncovered { li { (u.stakeholder_name) ": " (words(&wire(&u.reason))) } } }
            }
            @if manager.can_write() {
                form.apply #apply-pairs method="post" action={ (base) "/apply" } {
                    input type="hidden" name="csrf" value=(manager.csrf);
                    label { input #confirm type="checkbox" name="confirm" value="yes" required; " Cover the pairs ticked above (existing coverage stays)" }
                    button type="submit" { "Apply" }
                }
            } @else {
                p.muted #apply-needs-write { "Applying suggestions needs a key with the write scope; this session's key can read only." }
            }
        }
    }
}

pub async fn apply(
    manager: Manager,
    db: web::Data<Db>,
    id: web::Path<Uuid>,
    body: String,
) -> Result<HttpResponse, PageError> {
    let id = id.into_inner();
    let mut csrf = String::new();
    let mut pairs = Vec::new();
    let mut confirmed = false;
    for (name, value) in form_urlencoded::parse(body.as_bytes()) {
        match name.as_ref() {
            "csrf" => csrf = value.into_owned(),
            "confirm" => confirmed = value == "yes",
            "pair" => {
                let p = pair(&value, "pair")?;
                pairs.push(ApplyPair {
                    salesperson_id: p.salesperson_id,
                    stakeholder_id: p.stakeholder_id,
                    role: None,
                });
            }
            _ => {}
        }
    }
    manager.check_csrf(&csrf)?;
    manager.principal.require(Scope::Write)?;
    if !confirmed {
        return Err(
            Error::Invalid(vec![FieldError::new("confirm", "tick the box to apply")]).into()
        );
    }
    apply_pairs(&db, &manager.principal, id, ApplyRequest { pairs, replace: false }).await?;
    Ok(see_other(&format!("/app/accounts/{id}")))
}
