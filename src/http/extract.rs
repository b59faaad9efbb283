//! Request extractors that answer bad input with problem responses naming the field.

use std::collections::HashSet;
use std::time::Duration;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::web::{Bytes, BytesMut};
use actix_web::{FromRequest, HttpRequest};
use futures_util::future::{ready, LocalBoxFuture, Ready};
use futures_util::StreamExt;
use serde::de::{DeserializeOwned, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_path_to_error::{Path, Segment};

use crate::error::{Error, FieldError};
use crate::http::strict_json::Strict;

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

/// Reads a JSON document into `T`, locating any error by JSON pointer. Before `T` sees it, the
/// document must be an object, with no key twice in any object and no NUL in any string (text
/// in PostgreSQL cannot hold one; both backends refuse it alike).
pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, Error> {
    check_document(body)?;
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let value = serde_path_to_error::deserialize(Strict(&mut deserializer)).map_err(|e| {
        let pointer = pointer(e.path(), e.inner().to_string().as_str());
        malformed(pointer, e.inner().to_string())
    })?;
    deserializer.end().map_err(|e| malformed(String::new(), e.to_string()))?;
    Ok(value)
}

/// Reads a JSON value into `T` (used after a merge patch), locating errors by pointer.
pub fn from_value<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, Error> {
    serde_path_to_error::deserialize(Strict(value)).map_err(|e| {
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

/// The rules every JSON body keeps whatever its schema; the first break is named by pointer.
/// Syntax errors are left to the typed parse, which locates them the same way.
fn check_document(body: &[u8]) -> Result<(), Error> {
    let first = body.iter().find(|b| !b.is_ascii_whitespace());
    if first.is_some_and(|&b| b != b'{') {
        return Err(malformed(String::new(), "the request body must be a JSON object".into()));
    }
    let mut found = None;
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let _syntax_left_to_the_typed_parse =
        Node { pointer: String::new(), found: &mut found }.deserialize(&mut deserializer);
    match found {
        // Well-formed JSON that no field can hold: invalid (422), like a control character
        // in a name.
        Some((pointer, detail)) if detail.contains("NUL") => {
            Err(Error::Invalid(vec![FieldError::new(pointer, detail)]))
        }
        Some((pointer, detail)) => Err(malformed(pointer, detail)),
        None => Ok(()),
    }
}

/// One JSON value at `pointer`; records the first break of the rules in `found` and stops.
struct Node<'a> {
    pointer: String,
    found: &'a mut Option<(String, String)>,
}

impl Node<'_> {
    fn refuse<E: serde::de::Error>(self, pointer: String, detail: &str) -> Result<(), E> {
        *self.found = Some((pointer, detail.to_owned()));
        Err(E::custom(detail))
    }
}

impl<'de> DeserializeSeed<'de> for Node<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Node<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<(), E> {
        if text.contains('\0') {
            let pointer = self.pointer.clone();
            return self.refuse(pointer, "must not contain a NUL character");
        }
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut index = 0usize;
        loop {
            let pointer = format!("{}/{index}", self.pointer);
            if seq.next_element_seed(Node { pointer, found: &mut *self.found })?.is_none() {
                return Ok(());
            }
            index += 1;
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen = HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            let pointer = format!("{}/{}", self.pointer, key.replace('~', "~0").replace('/', "~1"));
            if key.contains('\0') {
                return self.refuse(pointer, "a key must not contain a NUL character");
            }
            if !seen.insert(key) {
                return self.refuse(pointer, "a key must not appear twice in an object");
            }
            map.next_value_seed(Node { pointer, found: &mut *self.found })?;
        }
        Ok(())
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
