//! Request extractors that answer bad input with problem responses naming the field.

use std::time::Duration;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::web::{Bytes, BytesMut};
use actix_web::{FromRequest, HttpRequest};
use futures_util::future::{ready, LocalBoxFuture, Ready};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;

use crate::api::json::{parse_json, pointer};
use crate::error::{Error, FieldError};

/// The largest JSON body accepted, in bytes: `normal` for every request, `batch` for sync
/// batches (up to 1,000 records); and how long a body may take to arrive once it is read.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit {
    pub normal: usize,
    pub batch: usize,
    pub timeout: Duration,
}

pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;
pub const DEFAULT_BATCH_BODY_LIMIT: usize = 16 * 1024 * 1024;
pub const DEFAULT_BODY_TIMEOUT: Duration = Duration::from_secs(5);

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
    let timeout = req.app_data::<BodyLimit>().map_or(DEFAULT_BODY_TIMEOUT, |l| l.timeout);
    let mut payload = payload.take();
    Box::pin(async move {
        media_type?;
        if declared.is_some_and(|length| length > limit) {
            return Err(Error::PayloadTooLarge { limit });
        }
        let body = read_body(&mut payload, limit, timeout).await?;
        parse_json(&body)
    })
}

/// Reads a whole request body of at most `limit` bytes, which must arrive within `timeout`:
/// a client that dribbles a body, or promises one by `Content-Length` and never sends it,
/// holds its connection no longer than one that is slow to send its head.
pub async fn read_body<S, E>(
    payload: &mut S,
    limit: usize,
    timeout: Duration,
) -> Result<Bytes, Error>
where
    S: futures_util::Stream<Item = Result<Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    let read = async {
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
        Ok(body.freeze())
    };
    actix_web::rt::time::timeout(timeout, read).await.map_err(|_| Error::RequestTimeout)?
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
    // No parameter is free text: a control character (NUL above all, which PostgreSQL text
    // cannot hold) is refused by name before any parameter is read.
    for (name, value) in form_urlencoded::parse(query.as_bytes()) {
        if name.chars().chain(value.chars()).any(char::is_control) {
            let detail = "must not contain control characters";
            return Err(Error::Invalid(vec![FieldError::new(name.into_owned(), detail)]));
        }
    }
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
