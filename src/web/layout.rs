//! The page every screen is drawn in, the error pages, and the small formats pages share.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use maud::{html, Markup, DOCTYPE};

use crate::error::Error;
use crate::http::trace::RequestTrace;

/// Who is signed in, for the header: their key's name and the session's CSRF token (sign-out).
pub struct Header<'a> {
    pub key_name: &'a str,
    pub csrf: &'a str,
}

/// A whole page: the header with the workspace's places, then `body`. Pages show a tenant's
/// data, so no cache keeps them.
pub fn page(status: u16, title: &str, header: Option<Header<'_>>, body: Markup) -> HttpResponse {
    let markup = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · jobcraft" }
                link rel="stylesheet" href="/app/assets/app.css";
                script src="/app/assets/app.js" defer {}
            }
            body {
                a.skip href="#main" { "Skip to content" }
                header.top {
                    a.brand href="/app/" { "jobcraft" }
                    @if let Some(h) = &header {
                        nav aria-label="Workspace" {
                            a href="/app/" { "Accounts" }
                            a href="/app/team" { "Team" }
                            a href="/docs/" { "API" }
                        }
                        form.sign-out method="post" action="/app/sign-out" {
                            input type="hidden" name="csrf" value=(h.csrf);
                            span.who { "Signed in with key " strong { (h.key_name) } }
                            button type="submit" { "Sign out" }
                        }
                    }
                }
                div #main { (body) }
            }
        }
    };
    HttpResponse::build(StatusCode::from_u16(status).unwrap_or(StatusCode::OK))
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(markup.into_string())
}

/// Why a page cannot be shown.
#[derive(Debug, thiserror::Error)]
pub enum PageError {
    /// No session, or it expired or its key was revoked: to the sign-in page, and back to the
    /// page asked for (if any) after.
    #[error("sign in first")]
    SignIn(Option<String>),
    /// A state-changing form without the session's token.
    #[error(
        "this form is out of date or did not come from jobcraft; reload the page and try again"
    )]
    Csrf,
    #[error(transparent)]
    Failed(#[from] Error),
}

impl ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        match self {
            PageError::SignIn(_) => StatusCode::SEE_OTHER,
            PageError::Csrf => StatusCode::FORBIDDEN,
            PageError::Failed(error) => error.status_code(),
        }
    }

    fn error_response(&self) -> HttpResponse {
        let error = match self {
            PageError::SignIn(None) => return see_other("/app/sign-in"),
            PageError::SignIn(Some(back)) => {
                let next: String = form_urlencoded::byte_serialize(back.as_bytes()).collect();
                return see_other(&format!("/app/sign-in?next={next}"));
            }
            PageError::Csrf => {
                return page(403, "Refused", None, message("Refused", &self.to_string(), &[]));
            }
            PageError::Failed(error) => error,
        };
        // Logged and counted as the API's errors are; the page says what the problem says.
        let _ = error.error_response();
        let problem = error.problem();
        let request_id = RequestTrace::current().map(|t| t.request_id).unwrap_or_default();
        let fields: Vec<String> = problem
            .errors
            .iter()
            .map(|e| format!("{}: {}", e.pointer, e.detail))
            .filter(|f| *f != problem.detail)
            .collect();
        let mut body = message(&problem.title, &problem.detail, &fields);
        if !request_id.is_empty() {
            body = html! { (body) p.muted { "Request id " code { (request_id) } } };
        }
        page(problem.status, &problem.title, None, body)
    }
}

fn message(title: &str, detail: &str, fields: &[String]) -> Markup {
    html! {
        main.message {
            h1 { (title) }
            p { (detail) }
            @if !fields.is_empty() {
                ul { @for f in fields { li { (f) } } }
            }
            p { a href="/app/" { "Back to the accounts" } }
        }
    }
}

/// `0.4167` as `42 %`.
pub fn percent(share: f64) -> String {
    format!("{:.0} %", share * 100.0)
}

/// A strength or weight in [0, 1] with two decimals.
pub fn two(value: f64) -> String {
    format!("{value:.2}")
}

/// A snake_case name (an enum on the wire) as words: `economic_buyer` → `economic buyer`.
pub fn words(name: &str) -> String {
    name.replace('_', " ")
}

/// The wire name of an enum value, e.g. `BuyingRole::DecisionMaker` → `decision_maker`.
pub fn wire<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_value(value).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

/// `303 See Other` to `location`: after a form, the browser GETs the page it lands on.
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther().insert_header((header::LOCATION, location)).finish()
}
