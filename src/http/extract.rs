//! Request extractors that answer bad input with problem responses naming the field.

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::web::BytesMut;
use actix_web::{FromRequest, HttpRequest};
use futures_util::future::{ready, LocalBoxFuture, Ready};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;
use serde_path_to_error::{Path, Segment};

use crate::error::{Error, FieldError};

/// The largest JSON body accepted, in bytes: `normal` for every request, `batch` for sync
/// batches (up to 1,000 records).
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit {
    pub normal: usize,
    pub batch: usize,
}

pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;
pub const DEFAULT_BATCH_BODY_LIMIT: usize = 16 * 1024 * 1024;

/// A JSON request body: `application/json` (or any `+json` type), within the body limit,
/// with unknown fields and wrong types reported by JSON pointer.
pub struct Json<T>(pub T);

/// A JSON body that may be as large as the batch limit.
pub struct BatchJson<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = Error;
    type Future = LocalBoxFuture<'static, Result<Self, Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let limit = req.app_data::<BodyLimit>().map_or(DEFAULT_BODY_LIMIT, |l| l.normal);
        let read = read_json(req, payload, limit);
        Box::pin(async move { read.await.map(Json) })
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for BatchJson<T> {
    type Error = Error;
    type Future = LocalBoxFuture<'static, Result<Self, Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let limit = req.app_data::<BodyLimit>().map_or(DEFAULT_BATCH_BODY_LIMIT, |l| l.batch);
        let read = read_json(req, payload, limit);
        Box::pin(async move { read.await.map(BatchJson) })
    }
}

/// Reads a JSON body of at most `limit` bytes into `T`.
fn read_json<T: DeserializeOwned + 'static>(
    req: &HttpRequest,
    payload: &mut Payload,
    limit: usize,
) -> LocalBoxFuture<'static, Result<T, Error>> {
    let media_type = check_media_type(req);
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    let mut payload = payload.take();
    Box::pin(async move {
        media_type?;
        if declared.is_some_and(|length| length > limit) {
            return Err(Error::PayloadTooLarge { limit });
        }
        let mut body = BytesMut::new();
        while let Some(chunk) = payload.next().await {
            let chunk = chunk.map_err(|e| Error::Malformed {
                detail: format!("the request body could not be read: {e}"),
                errors: vec![],
            })?;
            if body.len() + chunk.len() > limit {
                return Err(Error::PayloadTooLarge { limit });
            }
            body.extend_from_slice(&chunk);
        }
        parse_json(&body)
    })
}

fn check_media_type(req: &HttpRequest) -> Result<(), Error> {
    let content_type =
        req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let essence = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    if essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
    {
        Ok(())
    } else {
        Err(Error::UnsupportedMediaType(format!(
            "expected Content-Type application/json, got `{content_type}`"
        )))
    }
}

/// Reads a JSON document into `T`, locating any error by JSON pointer.
pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, Error> {
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|e| {
        let pointer = pointer(e.path(), e.inner().to_string().as_str());
        malformed(pointer, e.inner().to_string())
    })?;
    deserializer.end().map_err(|e| malformed(String::new(), e.to_string()))?;
    Ok(value)
}

/// Reads a JSON value into `T` (used after a merge patch), locating errors by pointer.
pub fn from_value<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, Error> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let pointer = pointer(e.path(), e.inner().to_string().as_str());
        malformed(pointer, e.inner().to_string())
    })
}

fn malformed(pointer: String, detail: String) -> Error {
    Error::Malformed {
        detail: format!("the request body is not acceptable JSON: {detail}"),
        errors: vec![FieldError::new(pointer, detail)],
    }
}

/// RFC 6901 pointer for a serde path. serde reports an unknown or missing field at its parent, so the
/// field's own name is taken from the message.
fn pointer(path: &Path, message: &str) -> String {
    let mut pointer = String::new();
    for segment in path.iter() {
        match segment {
            Segment::Seq { index } => pointer.push_str(&format!("/{index}")),
            Segment::Map { key } | Segment::Enum { variant: key } => {
                pointer.push('/');
                pointer.push_str(&key.replace('~', "~0").replace('/', "~1"));
            }
            Segment::Unknown => {}
        }
    }
    let named = ["unknown field `", "missing field `"].iter().find_map(|p| message.strip_prefix(p));
    if let Some(rest) = named {
        if let Some(field) = rest.split('`').next() {
            if !pointer.ends_with(&format!("/{field}")) {
                pointer.push('/');
                pointer.push_str(field);
            }
        }
    }
    pointer
}

/// Query parameters, with a wrong or unknown one reported by its name.
pub struct Query<T>(pub T);

impl<T: DeserializeOwned> FromRequest for Query<T> {
    type Error = Error;
    type Future = Ready<Result<Self, Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let parsed = form_urlencoded_parse(req.query_string());
        ready(parsed.map(Query))
    }
}

fn form_urlencoded_parse<T: DeserializeOwned>(query: &str) -> Result<T, Error> {
    let deserializer =
        serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
    serde_path_to_error::deserialize(deserializer).map_err(|e| {
        let message = e.inner().to_string();
        let mut name = pointer(e.path(), &message);
        name = name.trim_start_matches('/').to_owned();
        Error::Malformed {
            detail: format!("a query parameter is not acceptable: {message}"),
            errors: vec![FieldError::new(name, message)],
        }
    })
}
