//! Signing in and out, and the signed-in manager every page is for.
//!
//! The key typed into `/app/sign-in` is checked once (as a bearer key is) and exchanged for a
//! session: a cookie that is `HttpOnly`, `SameSite=Lax`, limited to `/app`, `Secure` over HTTPS
//! (or when the deployment says so), and good for `SESSION_HOURS`. The key itself is
//! never stored in the browser, a URL or a log. Each session has a CSRF token every form
//! carries; the sign-in form, before any session, carries one bound to a cookie of its own.

use actix_web::cookie::{time, Cookie, SameSite};
use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest, HttpResponse};
use chrono::Duration;
use futures_util::future::LocalBoxFuture;
use maud::html;
use serde::Deserialize;

use crate::domain::api_key::Scope;
use crate::domain::web_session::{csrf_matches, csrf_token};
use crate::http::auth::{Principal, TenantTag};
use crate::http::trace::RequestTrace;
use crate::http::{read, write};
use crate::store::api_keys;
use crate::store::changes::Actor;
use crate::store::{web_sessions, Db};
use crate::web::layout::{page, see_other, PageError};

const SESSION_COOKIE: &str = "jobcraft_session";
const SIGN_IN_COOKIE: &str = "jobcraft_sign_in";
const SESSION_HOURS: i64 = 8;

/// How the workspace's cookies are set.
#[derive(Debug, Clone, Copy, Default)]
pub struct WebSettings {
    /// Mark cookies `Secure`: the service is reached over HTTPS (directly or behind a proxy).
    pub secure_cookies: bool,
}

/// A cookie of the workspace: `HttpOnly`, limited to `/app`, `Secure` when the deployment
/// says so or the request came over HTTPS (directly or, as the proxy says, through one).
fn cookie(
    req: &HttpRequest,
    settings: &WebSettings,
    name: &'static str,
    value: String,
    max_age: time::Duration,
) -> Cookie<'static> {
    let https = req.connection_info().scheme() == "https";
    Cookie::build(name, value)
        .path("/app")
        .http_only(true)
        // Lax, not Strict: a link to a map from an e-mail or a chat opens it signed in. Every
        // state-changing form carries the session's CSRF token, and Lax sends no cookie with
        // another site's POST either.
        .same_site(SameSite::Lax)
        .secure(settings.secure_cookies || https)
        .max_age(max_age)
        .finish()
}

/// The sales manager a page is for: the session's key as a principal, and its CSRF token.
pub struct Manager {
    pub principal: Principal,
    pub csrf: String,
}

impl Manager {
    /// Whether the key may write: pages offer writes only then, and say why not otherwise.
    pub fn can_write(&self) -> bool {
        self.principal.has(Scope::Write)
    }

    /// A state-changing form must carry the session's token.
    pub fn check_csrf(&self, presented: &str) -> Result<(), PageError> {
        if csrf_matches(&self.csrf, presented) {
            Ok(())
        } else {
            Err(PageError::Csrf)
        }
    }
}

impl FromRequest for Manager {
    type Error = PageError;
    type Future = LocalBoxFuture<'static, Result<Self, PageError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let cookie = req.cookie(SESSION_COOKIE).map(|c| c.value().to_owned());
        // Where to come back to after signing in: the page asked for, if it is one to GET.
        let back = (req.method() == actix_web::http::Method::GET).then(|| {
            let query = req.query_string();
            match query.is_empty() {
                true => req.path().to_owned(),
                false => format!("{}?{query}", req.path()),
            }
        });
        let sign_in = move || PageError::SignIn(back.clone());
        let tag_request = req.clone();
        let db = req.app_data::<web::Data<Db>>().cloned();
        let action = format!(
            "{} {}",
            req.method(),
            req.match_pattern().unwrap_or_else(|| req.path().to_owned())
        );
        let trace = req.extensions().get::<RequestTrace>().cloned();
        Box::pin(async move {
            let (Some(cookie), Some(db)) = (cookie, db) else { return Err(sign_in()) };
            let session = read(&db, move |c| web_sessions::find(c, &cookie)).await?;
            let Some(session) = session else { return Err(sign_in()) };
            let mut principal = Principal::from(session.grant);
            // The pages read: a key that may not (a write-only sync key) sees none of them.
            principal.require(Scope::Read)?;
            tag_request.extensions_mut().insert(TenantTag(principal.tenant_id));
            principal.action = action;
            principal.trace = trace;
            Ok(Manager { principal, csrf: session.csrf_token })
        })
    }
}

#[derive(Deserialize)]
pub struct Next {
    next: Option<String>,
}

pub async fn sign_in_form(
    req: HttpRequest,
    settings: web::Data<WebSettings>,
    query: web::Query<Next>,
) -> HttpResponse {
    sign_in_page(&req, &settings, query.into_inner().next.as_deref(), None)
}

/// Where a sign-in may lead: a page of the workspace, never elsewhere (no open redirect).
fn landing(next: Option<&str>) -> &str {
    next.filter(|n| n.starts_with("/app/") && !n.contains("//") && !n.contains('\\'))
        .unwrap_or("/app/")
}

fn sign_in_page(
    req: &HttpRequest,
    settings: &WebSettings,
    next: Option<&str>,
    refused: Option<&str>,
) -> HttpResponse {
    let token = csrf_token();
    let body = html! {
        main.sign-in {
            h1 { "Sign in to jobcraft" }
            p { "Paste an API key of your tenant. It is checked once and exchanged for a session; the key is not kept in your browser." }
            @if let Some(refused) = refused {
                p.error role="alert" { (refused) }
            }
            form method="post" action="/app/sign-in" {
                input type="hidden" name="csrf" value=(token);
                input type="hidden" name="next" value=(landing(next));
                label for="key" { "API key" }
                input #key type="password" name="key" autocomplete="off" required autofocus;
                button type="submit" { "Sign in" }
            }
        }
    };
    let status = if refused.is_some() { 401 } else { 200 };
    let mut response = page(status, "Sign in", None, body);
    let minutes = time::Duration::minutes(30);
    response.add_cookie(&cookie(req, settings, SIGN_IN_COOKIE, token, minutes)).ok();
    response
}

#[derive(Deserialize)]
pub struct SignIn {
    key: String,
    csrf: String,
    next: Option<String>,
}

pub async fn sign_in(
    req: HttpRequest,
    db: web::Data<Db>,
    settings: web::Data<WebSettings>,
    form: web::Form<SignIn>,
) -> Result<HttpResponse, PageError> {
    let SignIn { key, csrf, next } = form.into_inner();
    let expected = req.cookie(SIGN_IN_COOKIE).map(|c| c.value().to_owned()).unwrap_or_default();
    if !csrf_matches(&expected, &csrf) {
        return Err(PageError::Csrf);
    }
    // Checked with a read: only a key that opens a session takes a write transaction.
    let key = key.trim().to_owned();
    let grant = read(&db, move |c| api_keys::authenticate(c, &key)).await?;
    let refused = match &grant {
        None => Some("That key is not valid or has been revoked."),
        Some(g) if !Principal::from(g.clone()).has(Scope::Read) => {
            Some("That key cannot read; the workspace needs a key with the read scope.")
        }
        Some(_) => None,
    };
    let (Some(grant), None) = (grant, refused) else {
        return Ok(sign_in_page(&req, &settings, next.as_deref(), refused));
    };
    // A session the browser already has is closed: one sign-in, one session.
    let previous = req.cookie(SESSION_COOKIE).map(|c| c.value().to_owned());
    let ttl = Duration::hours(SESSION_HOURS);
    let opened = grant.clone();
    let value = write(&db, Actor::system(), move |c| {
        if let Some(previous) = &previous {
            web_sessions::close(c, previous)?;
        }
        Ok(web_sessions::open(c, &opened, ttl)?.0.cookie)
    })
    .await?;
    tracing::info!(tenant = %grant.tenant_id.0, key = %grant.key_id, "web session opened");
    let mut response = see_other(landing(next.as_deref()));
    let hours = time::Duration::hours(SESSION_HOURS);
    response.add_cookie(&cookie(&req, &settings, SESSION_COOKIE, value, hours)).ok();
    let used = cookie(&req, &settings, SIGN_IN_COOKIE, String::new(), time::Duration::ZERO);
    response.add_removal_cookie(&used).ok();
    Ok(response)
}

#[derive(Deserialize)]
pub struct SignOut {
    csrf: String,
}

pub async fn sign_out(
    req: HttpRequest,
    manager: Manager,
    db: web::Data<Db>,
    settings: web::Data<WebSettings>,
    form: web::Form<SignOut>,
) -> Result<HttpResponse, PageError> {
    manager.check_csrf(&form.csrf)?;
    let value = req.cookie(SESSION_COOKIE).map(|c| c.value().to_owned()).unwrap_or_default();
    write(&db, Actor::system(), move |c| web_sessions::close(c, &value)).await?;
    let mut response = see_other("/app/sign-in");
    let gone = cookie(&req, &settings, SESSION_COOKIE, String::new(), time::Duration::ZERO);
    response.add_removal_cookie(&gone).ok();
    Ok(response)
}
