//! The sales manager's workspace: server-rendered pages under `/app/`, signed in with an API key
//! exchanged for a session (`session.rs`).
//!
//! The pages call the functions behind the API's own handlers and the same store reads, and
//! render what the API would answer; they hold no rule of their own. `web` imports `http` (its
//! reads, writes, principal and handler functions), `api`, `store` and `domain`; only `startup`
//! imports `web`.

mod accounts;
mod assets;
mod layout;
mod map;
mod person;
mod session;
mod suggestions;
mod team;

use actix_web::http::header;
use actix_web::middleware::{Compress, DefaultHeaders};
use actix_web::{web, HttpResponse};

pub use session::WebSettings;

use crate::error::Error;
use crate::web::layout::{see_other, PageError};

/// No inline script or style, nothing from elsewhere, no framing, forms only to this origin.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; \
     base-uri 'none'";

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(|| async { see_other("/app/") })).service(
        web::scope("/app")
            // A map of 2,000 posts is megabytes of HTML and a tenth of it gzipped.
            .wrap(Compress::default())
            .wrap(
                DefaultHeaders::new()
                    .add((header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY))
                    .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
                    .add((header::REFERRER_POLICY, "same-origin"))
                    .add((header::X_FRAME_OPTIONS, "DENY")),
            )
            // What the API answers as problem documents, the workspace answers as pages.
            .app_data(web::PathConfig::default().error_handler(|_, _| not_found().into()))
            .app_data(web::QueryConfig::default().error_handler(|e, _| malformed(e).into()))
            .app_data(web::FormConfig::default().error_handler(|e, _| malformed(e).into()))
            .default_service(web::to(|| async { Err::<HttpResponse, _>(not_found()) }))
            .route("/assets/{name}", web::get().to(assets::asset))
            .route("/sign-in", web::get().to(session::sign_in_form))
            .route("/sign-in", web::post().to(session::sign_in))
            .route("/sign-out", web::post().to(session::sign_out))
            .route("/", web::get().to(accounts::accounts))
            .route("/team", web::get().to(team::team))
            .route("/accounts/{id}", web::get().to(map::map))
            .route("/accounts/{id}/coverage.csv", web::get().to(map::export))
            .route("/accounts/{id}/people/{person_id}", web::get().to(person::person))
            .route("/accounts/{id}/suggestions", web::get().to(suggestions::suggestions))
            .route("/accounts/{id}/suggestions/apply", web::post().to(suggestions::apply))
            .route("/accounts/{id}/alerts/{alert_id}", web::post().to(map::acknowledge)),
    );
}

fn not_found() -> PageError {
    PageError::Failed(Error::NotFound)
}

fn malformed(cause: impl std::fmt::Display) -> PageError {
    PageError::Failed(Error::Malformed { detail: cause.to_string(), errors: Vec::new() })
}
