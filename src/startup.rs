//! Builds the HTTP server around a database: binds first, so callers (and tests) learn the port.

use std::net::TcpListener;

use actix_web::dev::Server;
use actix_web::middleware::{from_fn, Condition};
use actix_web::{web, App, HttpResponse, HttpServer};
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::SwaggerUi;

use crate::error::Error;
use crate::http::auth::KeyCache;
use crate::http::extract::BodyLimit;
use crate::http::metrics::Metrics;
use crate::http::rate_limit::RateLimiter;
use crate::store::Db;

#[derive(Debug, Clone)]
pub struct ServerSettings {
    pub bind: String,
    pub body_limit: usize,
    /// Largest body of a sync batch.
    pub batch_body_limit: usize,
    /// Worker threads; default one per core.
    pub workers: Option<usize>,
    /// How long a verified API key is trusted without a lookup (zero: always look up).
    pub key_cache_ttl: std::time::Duration,
    /// Webhook delivery: how often and how patiently; `None` leaves delivery to other
    /// instances.
    pub delivery: Option<crate::delivery::DeliverySettings>,
    /// Whether webhook URLs may point at loopback, private, link-local and metadata
    /// addresses (see `domain::webhook::refuse_address`); delivery honours its own copy in
    /// `delivery`.
    pub webhook_allow_private: bool,
    /// Each API key's rate limit unless its tenant has one of its own; `None`: unlimited.
    pub rate_limit: Option<crate::domain::rate_limit::RateLimit>,
    /// Where `/metrics` is served instead of beside the API; `None`: beside the API.
    pub metrics_bind: Option<String>,
    /// How long a client may take to send a request's head (408 after), and to close after
    /// the answer: a slow client cannot hold a worker's connection.
    pub client_timeout: std::time::Duration,
    /// Origins whose web pages may call the API (CORS); empty: none, no CORS headers at all.
    pub cors_origins: Vec<String>,
    /// How the web workspace sets its cookies.
    pub web: crate::web::WebSettings,
    /// Pruning past the tenants' retention windows from this instance; `None`: not here.
    pub pruning: Option<crate::pruning::PruneSettings>,
    /// Tests only: honour `Jobcraft-Test-Pause` (see `http::idempotency::TestPauses`).
    pub test_pauses: bool,
}

pub struct Application {
    port: u16,
    server: Server,
    /// `/metrics` on an address of its own.
    metrics: Option<(u16, Server)>,
}

impl Application {
    pub fn build(settings: &ServerSettings, db: Db) -> std::io::Result<Application> {
        let listener = TcpListener::bind(&settings.bind).map_err(|e| {
            std::io::Error::new(e.kind(), format!("cannot listen on {}: {e}", settings.bind))
        })?;
        let port = listener.local_addr()?.port();
        // Served as the bytes of one serialization, shared by every worker: the document
        // itself is a few megabytes of structs, which a copy per worker kept resident.
        let openapi = web::Bytes::from(
            serde_json::to_vec(&crate::http::openapi::document()).map_err(std::io::Error::other)?,
        );
        let body_limit = BodyLimit {
            normal: settings.body_limit,
            batch: settings.batch_body_limit,
            timeout: settings.client_timeout,
        };
        let db = web::Data::new(db);
        let key_cache = web::Data::new(KeyCache::new(settings.key_cache_ttl));
        let limiter = web::Data::new(RateLimiter::new(settings.rate_limit));
        let metrics = web::Data::new(Metrics::new().map_err(std::io::Error::other)?);
        let metrics_beside_api = settings.metrics_bind.is_none();
        let (db_for_metrics, metrics_for_metrics) = (db.clone(), metrics.clone());
        let test_pauses = crate::http::idempotency::TestPauses(settings.test_pauses);
        let allow_private =
            web::Data::new(crate::http::webhooks::AllowPrivate(settings.webhook_allow_private));
        // Webhooks are delivered by this process, on its runtime, as long as it serves.
        if let Some(delivery) = settings.delivery.clone() {
            actix_web::rt::spawn(crate::delivery::run(db.get_ref().clone(), delivery));
        }
        if let Some(pruning) = settings.pruning {
            actix_web::rt::spawn(crate::pruning::run(db.get_ref().clone(), pruning));
        }
        let cors_origins = settings.cors_origins.clone();
        let web_settings = web::Data::new(settings.web);
        let mut server = HttpServer::new(move || {
            App::new()
                .into_utoipa_app()
                .app_data(db.clone())
                .app_data(key_cache.clone())
                .app_data(limiter.clone())
                .app_data(metrics.clone())
                .app_data(allow_private.clone())
                .app_data(body_limit)
                .app_data(test_pauses)
                .app_data(web_settings.clone())
                .app_data(web::PathConfig::default().error_handler(|_, _| Error::NotFound.into()))
                .configure(crate::http::routes)
                .into_app()
                .configure(crate::web::routes)
                // The key typed into "Authorize" survives a reload of `/docs`.
                .route("/openapi.json", web::get().to(openapi_json(openapi.clone())))
                .service(SwaggerUi::new("/docs/{_:.*}").config(
                    utoipa_swagger_ui::Config::new(["/openapi.json"]).persist_authorization(true),
                ))
                .configure(|cfg| {
                    if metrics_beside_api {
                        cfg.route("/metrics", web::get().to(crate::http::metrics::metrics));
                    }
                })
                .default_service(web::to(crate::http::methods::no_route))
                .wrap(from_fn(crate::http::idempotency::idempotency))
                .wrap(from_fn(crate::http::rate_limit::rate_limit_headers))
                // Outside the rate limit and idempotency: a preflight is answered here.
                .wrap(Condition::new(!cors_origins.is_empty(), cors(&cors_origins)))
                .wrap(from_fn(crate::telemetry::log_request))
        })
        .listen(listener)?;
        // A request head that does not parse is answered by actix-http's HTTP/1 dispatcher
        // itself, with a bare 400 (`Response::bad_request().drop_body()`), before any service
        // runs: actix-web 4 has no hook to give it a problem body.
        server = server
            .client_request_timeout(settings.client_timeout)
            .client_disconnect_timeout(settings.client_timeout);
        server = server.workers(settings.workers.unwrap_or_else(default_workers));
        let metrics = match &settings.metrics_bind {
            Some(bind) => Some(Self::metrics_server(bind, db_for_metrics, metrics_for_metrics)?),
            None => None,
        };
        Ok(Application { port, server: server.run(), metrics })
    }

    fn metrics_server(
        bind: &str,
        db: web::Data<Db>,
        metrics: web::Data<Metrics>,
    ) -> std::io::Result<(u16, Server)> {
        let listener = TcpListener::bind(bind)?;
        let port = listener.local_addr()?.port();
        let server = HttpServer::new(move || {
            App::new()
                .app_data(db.clone())
                .app_data(metrics.clone())
                .route("/metrics", web::get().to(crate::http::metrics::metrics))
        })
        .workers(1)
        .listen(listener)?
        .run();
        Ok((port, server))
    }

    /// The port of `/metrics` when it has an address of its own.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics.as_ref().map(|(port, _)| *port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Stops the server from elsewhere (tests, embedding).
    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    /// Serves until SIGTERM or Ctrl-C, then drains in-flight requests (actix's graceful stop).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let Some((_, metrics)) = self.metrics else { return self.server.await };
        let handle = metrics.handle();
        actix_web::rt::spawn(metrics);
        let served = self.server.await;
        handle.stop(true).await;
        served
    }
}

/// CORS for `origins`: a CRM's web tab may call the API with a key (in `Authorization`, so no
/// credentials mode), read the headers clients need, and cache its preflight for an hour.
/// Requests from other origins are answered without CORS headers, so the browser blocks them.
fn cors(origins: &[String]) -> actix_cors::Cors {
    let mut cors = actix_cors::Cors::default()
        .allowed_methods(["GET", "POST", "PUT", "PATCH", "DELETE"])
        .allowed_headers([
            "Authorization",
            "Content-Type",
            "If-Match",
            "If-None-Match",
            "Idempotency-Key",
            "X-Jobcraft-Origin",
        ])
        .expose_headers([
            "ETag",
            "Location",
            "Retry-After",
            "RateLimit-Limit",
            "RateLimit-Remaining",
            "RateLimit-Reset",
            "Idempotent-Replayed",
        ])
        .max_age(3600);
    for origin in origins {
        cors = cors.allowed_origin(origin);
    }
    cors
}

/// `GET /openapi.json`: the document as serialized at start.
fn openapi_json(
    document: web::Bytes,
) -> impl Fn() -> std::future::Ready<HttpResponse> + Clone + 'static {
    move || {
        std::future::ready(
            HttpResponse::Ok().content_type("application/json").body(document.clone()),
        )
    }
}

/// HTTP workers when `--workers` is not given: half the cores, at least one. A worker's reads
/// pipeline over its one PostgreSQL connection and the blocking pool does the rest on every
/// core, so more workers mostly add wake-ups: on 2 cores beside PostgreSQL one worker served
/// 27,992 point reads/s and two 15,684 (docs/performance.md).
fn default_workers() -> usize {
    std::thread::available_parallelism().map_or(1, |cores| (cores.get() / 2).max(1))
}
