//! Response helpers shared by the resource handlers.

use actix_web::http::header;
use actix_web::HttpResponse;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::http::etag::etag;

/// 200 with the resource and its ETag.
pub fn ok<T: Serialize>(version: i64, body: T) -> HttpResponse {
    HttpResponse::Ok().insert_header((header::ETAG, etag(version))).json(body)
}

/// 201 with the new resource, its `Location` and its ETag.
pub fn created<T: Serialize>(collection: &str, id: Uuid, version: i64, body: T) -> HttpResponse {
    HttpResponse::Created()
        .insert_header((header::LOCATION, format!("{collection}/{id}")))
        .insert_header((header::ETAG, etag(version)))
        .json(body)
}

pub fn deleted() -> HttpResponse {
    HttpResponse::NoContent().finish()
}

/// Whether a delete may take dependent rows with it.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DeleteParams {
    /// Also delete what depends on the resource instead of refusing with 409.
    pub cascade: Option<bool>,
}
