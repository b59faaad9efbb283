//! Optimistic concurrency: every single resource carries its version as a strong ETag.

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest};
use futures_util::future::{ready, Ready};

use crate::error::Error;
use crate::store::Expected;

pub fn etag(version: i64) -> String {
    format!("\"{version}\"")
}

/// The `If-Match` header as the versions it accepts. Absent or `*` accepts any version;
/// a tag that is no version of ours matches nothing, so the write answers 412.
pub struct IfMatch(pub Expected);

impl FromRequest for IfMatch {
    type Error = Error;
    type Future = Ready<Result<Self, Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let values: Vec<&str> = req
            .headers()
            .get_all(header::IF_MATCH)
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .collect();
        let expected = if values.is_empty() || values.contains(&"*") {
            Expected::Any
        } else {
            // Weak tags never match under If-Match (RFC 9110 strong comparison).
            Expected::OneOf(
                values
                    .iter()
                    .filter_map(|v| v.strip_prefix('"')?.strip_suffix('"')?.parse().ok())
                    .collect(),
            )
        };
        ready(Ok(IfMatch(expected)))
    }
}
