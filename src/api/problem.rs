//! RFC 9457 problem documents: the only shape an error ever takes on the wire.

use serde::Serialize;
use uuid::Uuid;

use crate::error::{Error, FieldError};

pub const CONTENT_TYPE: &str = "application/problem+json";

/// An RFC 9457 problem document.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// A URI reference naming the kind of problem.
    #[serde(rename = "type")]
    pub kind: String,
    /// A short summary of the kind of problem.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What went wrong with this request.
    pub detail: String,
    /// Identifies this occurrence; quote it when reporting a problem (it is in the logs).
    pub instance: String,
    /// For invalid input: each offending field, by JSON pointer or query parameter name.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// For conflicts: the ids of the resources the request conflicts with.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub conflicting_ids: Vec<Uuid>,
    /// For a batch: the index of the operation that failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operation_index: Option<usize>,
    /// For a change-feed cursor older than what is kept (410): resynchronise, then read the
    /// feed after this cursor, where what is kept starts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resume_after: Option<String>,
    /// The request's id (its `X-Request-Id`): quote it when reporting a problem.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

impl Error {
    /// The HTTP status it is answered with.
    pub fn status(&self) -> u16 {
        match self {
            Error::Malformed { .. } => 400,
            Error::Invalid(_) => 422,
            Error::Unauthenticated => 401,
            Error::Forbidden(_) => 403,
            Error::NotFound => 404,
            Error::Conflict { .. } | Error::Raced => 409,
            Error::PreconditionFailed => 412,
            Error::RequestTimeout => 408,
            Error::Gone { .. } => 410,
            Error::MethodNotAllowed { .. } => 405,
            Error::PayloadTooLarge { .. } | Error::TooMany { .. } => 413,
            Error::UnsupportedMediaType(_) => 415,
            Error::TooManyRequests { .. } => 429,
            Error::Unavailable(_) => 503,
            Error::Internal(_) | Error::Setup(_) => 500,
            Error::InOperation { error, .. } => error.status(),
        }
    }

    fn kind(&self) -> (&'static str, &'static str) {
        match self {
            Error::Malformed { .. } => ("malformed-request", "Malformed request"),
            Error::Invalid(_) => ("validation", "Invalid request"),
            Error::Unauthenticated => ("unauthenticated", "Authentication required"),
            Error::Forbidden(_) => ("forbidden", "Missing scope"),
            Error::NotFound => ("not-found", "Not found"),
            Error::Conflict { .. } | Error::Raced => {
                ("conflict", "Conflict with the current state")
            }
            Error::PreconditionFailed => ("precondition-failed", "Precondition failed"),
            Error::RequestTimeout => ("request-timeout", "Request timeout"),
            Error::Gone { .. } => ("gone", "No longer kept"),
            Error::MethodNotAllowed { .. } => ("method-not-allowed", "Method not allowed"),
            Error::PayloadTooLarge { .. } | Error::TooMany { .. } => {
                ("payload-too-large", "Payload too large")
            }
            Error::UnsupportedMediaType(_) => ("unsupported-media-type", "Unsupported media type"),
            Error::TooManyRequests { .. } => ("rate-limited", "Too many requests"),
            Error::Unavailable(_) => ("unavailable", "Service unavailable"),
            Error::Internal(_) | Error::Setup(_) => ("internal", "Internal server error"),
            Error::InOperation { error, .. } => error.kind(),
        }
    }

    /// The problem document of this error.
    pub fn problem(&self) -> Problem {
        if let Error::InOperation { index, error } = self {
            let mut problem = error.problem();
            problem.detail = format!("operation {index}: {}", problem.detail);
            for e in &mut problem.errors {
                // Body pointers go below the operation's body; other names (the entity, the
                // source) are the operation's own fields.
                e.pointer = if e.pointer.starts_with('/') {
                    format!("/operations/{index}/body{}", e.pointer)
                } else {
                    format!("/operations/{index}/{}", e.pointer)
                };
            }
            problem.operation_index = Some(*index);
            return problem;
        }
        let (slug, title) = self.kind();
        let (errors, conflicting_ids) = match self {
            Error::Malformed { errors, .. } | Error::Invalid(errors) => (errors.clone(), vec![]),
            Error::Conflict { conflicting, .. } => (vec![], conflicting.clone()),
            Error::TooMany { detail, pointer } => (vec![FieldError::new(pointer, detail)], vec![]),
            _ => (vec![], vec![]),
        };
        let detail = match self {
            Error::Invalid(errors) => errors
                .iter()
                .map(|e| format!("{}: {}", e.pointer, e.detail))
                .collect::<Vec<_>>()
                .join("; "),
            other => other.to_string(),
        };
        Problem {
            kind: format!("/problems/{slug}"),
            title: title.to_owned(),
            status: self.status(),
            detail,
            instance: format!("urn:uuid:{}", Uuid::now_v7()),
            errors,
            conflicting_ids,
            operation_index: None,
            resume_after: match self {
                Error::Gone { resume_after, .. } => Some(resume_after.clone()),
                _ => None,
            },
            request_id: None,
        }
    }
}
