//! Cursor pagination: stable order, no offsets. The cursor is the last row's sort key,
//! opaque to clients, so a walk visits every row that existed when it began exactly once.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::{Error, FieldError};
use crate::store::PageRequest;

pub const DEFAULT_LIMIT: u32 = 50;
pub const MAX_LIMIT: u32 = 500;

/// A page of a list.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    /// The rows of this page.
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; null on the last page.
    pub next_cursor: Option<String>,
}

/// Paging parameters of a plain list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Rows per page, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// A sort key that can travel as a cursor.
pub trait CursorKey: Sized {
    fn encode(&self) -> String;
    fn decode(text: &str) -> Option<Self>;
}

impl CursorKey for Uuid {
    fn encode(&self) -> String {
        self.to_string()
    }
    fn decode(text: &str) -> Option<Self> {
        Uuid::parse_str(text).ok()
    }
}

impl CursorKey for (NaiveDate, Uuid) {
    fn encode(&self) -> String {
        format!("{}|{}", self.0, self.1)
    }
    fn decode(text: &str) -> Option<Self> {
        let (date, id) = text.split_once('|')?;
        Some((date.parse().ok()?, Uuid::parse_str(id).ok()?))
    }
}

pub fn page_request<K: CursorKey>(
    limit: Option<u32>,
    cursor: Option<&str>,
) -> Result<PageRequest<K>, Error> {
    let limit = limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(Error::Invalid(vec![FieldError::new(
            "limit",
            format!("must be between 1 and {MAX_LIMIT}"),
        )]));
    }
    let after = match cursor {
        None => None,
        Some(cursor) => Some(
            URL_SAFE_NO_PAD
                .decode(cursor)
                .ok()
                .and_then(|raw| String::from_utf8(raw).ok())
                .and_then(|text| K::decode(&text))
                .ok_or_else(|| Error::Malformed {
                    detail: "the cursor is not one this service issued".into(),
                    errors: vec![FieldError::new("cursor", "not a cursor of this list")],
                })?,
        ),
    };
    Ok(PageRequest { limit: limit as usize, after })
}

/// Builds a page; `last_key` gives the sort key of a row for the next cursor.
pub fn page<T, R, K: CursorKey>(
    rows: Vec<R>,
    more: bool,
    last_key: impl Fn(&R) -> K,
    to_item: impl Fn(R) -> T,
) -> Page<T> {
    let next_cursor = if more {
        rows.last().map(|row| URL_SAFE_NO_PAD.encode(last_key(row).encode()))
    } else {
        None
    };
    Page { items: rows.into_iter().map(to_item).collect(), next_cursor }
}

impl ListParams {
    pub fn page_request(&self) -> Result<PageRequest<Uuid>, Error> {
        page_request(self.limit, self.cursor.as_deref())
    }
}
