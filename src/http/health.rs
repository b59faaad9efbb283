//! Liveness and readiness, for load balancers and orchestrators; no key needed.

use actix_web::{get, web, HttpResponse};
use diesel::connection::SimpleConnection;

use crate::error::Error;
use crate::http::read;
use crate::store::Db;

/// The process is up.
#[utoipa::path(tag = "operations", security(()), responses((status = 200, description = "up")))]
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({"status": "ok"}))
}

/// The database answers.
#[utoipa::path(
    tag = "operations",
    security(()),
    responses((status = 200, description = "ready"), (status = 503, description = "the database is unreachable"))
)]
#[get("/readyz")]
pub async fn readyz(db: web::Data<Db>) -> Result<HttpResponse, Error> {
    read(&db, |conn| conn.batch_execute("SELECT 1").map_err(|e| Error::Unavailable(Box::new(e))))
        .await?;
    Ok(HttpResponse::Ok()
        .json(serde_json::json!({"status": "ready", "backend": db.backend().name()})))
}
