//! Structured logs with `tracing`: one line per request, never a key.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{web, HttpMessage};
use tracing_subscriber::EnvFilter;

use crate::http::auth::TenantTag;
use crate::http::metrics::Metrics;
use crate::http::trace::{RequestTrace, REQUEST_ID_HEADER};

/// Logs to stderr; `JOBCRAFT_LOG` (or `RUST_LOG`) sets the filter, default `info`.
pub fn init() {
    let filter = std::env::var("JOBCRAFT_LOG")
        .or_else(|_| std::env::var("RUST_LOG"))
        .unwrap_or_else(|_| "info".to_owned());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::new(filter))
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}

/// One log line per request: method, path, status, latency and tenant; and the request's
/// count and latency in the metrics. The query string is
/// left out (it may carry cursors and filters of personal data).
pub async fn log_request(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let method = req.method().clone();
    let path = req.path().to_owned();
    let metrics = req.app_data::<web::Data<Metrics>>().cloned();
    let trace = RequestTrace::of(req.headers());
    let request_id = trace.request_id.clone();
    req.extensions_mut().insert(trace.clone());
    let mut response = trace.scope(next.call(req)).await?;
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert(HeaderName::from_static(REQUEST_ID_HEADER), value);
    }
    if let Some(metrics) = metrics {
        // The route template, not the path: ids would make every request a series of its own.
        let route = response.request().match_pattern().unwrap_or_else(|| "unmatched".into());
        metrics.observe(method.as_str(), &route, response.status().as_u16(), started.elapsed());
    }
    let tenant = response.request().extensions().get::<TenantTag>().map(|t| t.0.to_string());
    tracing::info!(
        %method,
        %path,
        status = response.status().as_u16(),
        latency_us = started.elapsed().as_micros() as u64,
        tenant = tenant.as_deref().unwrap_or("-"),
        %request_id,
        "request"
    );
    Ok(response)
}
