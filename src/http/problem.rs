//! RFC 9457 problem responses: the only shape an error ever takes on the wire.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
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
}

impl Error {
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
            Error::MethodNotAllowed { .. } => ("method-not-allowed", "Method not allowed"),
            Error::PayloadTooLarge { .. } | Error::TooMany { .. } => {
                ("payload-too-large", "Payload too large")
            }
            Error::UnsupportedMediaType(_) => ("unsupported-media-type", "Unsupported media type"),
            Error::TooManyRequests { .. } => ("rate-limited", "Too many requests"),
            Error::Unavailable(_) => ("unavailable", "Service unavailable"),
            Error::Internal(_) => ("internal", "Internal server error"),
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
            status: self.status_code().as_u16(),
            detail,
            instance: format!("urn:uuid:{}", Uuid::now_v7()),
            errors,
            conflicting_ids,
            operation_index: None,
        }
    }
}

impl ResponseError for Error {
    fn status_code(&self) -> StatusCode {
        match self {
            Error::Malformed { .. } => StatusCode::BAD_REQUEST,
            Error::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Error::Unauthenticated => StatusCode::UNAUTHORIZED,
            Error::Forbidden(_) => StatusCode::FORBIDDEN,
            Error::NotFound => StatusCode::NOT_FOUND,
            Error::Conflict { .. } | Error::Raced => StatusCode::CONFLICT,
            Error::PreconditionFailed => StatusCode::PRECONDITION_FAILED,
            Error::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            Error::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            Error::PayloadTooLarge { .. } | Error::TooMany { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Error::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Error::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Error::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            Error::InOperation { error, .. } => error.status_code(),
        }
    }

    fn error_response(&self) -> HttpResponse {
        let problem = self.problem();
        let status = self.status_code();
        if let Error::Internal(_) | Error::Unavailable(_) = self {
            tracing::error!(instance = %problem.instance, cause = %cause_chain(self), "{self}");
        }
        let mut response = HttpResponse::build(status);
        response.content_type(CONTENT_TYPE);
        match self {
            Error::Unauthenticated => {
                response.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
            }
            Error::Unavailable(_) => {
                response.insert_header((header::RETRY_AFTER, "1"));
            }
            Error::MethodNotAllowed { allow } => {
                response.insert_header((header::ALLOW, allow.join(", ")));
            }
            Error::RequestTimeout => {
                // The rest of the body may never come: the connection is not reused.
                response.insert_header((header::CONNECTION, "close"));
            }
            Error::TooManyRequests { retry_after } => {
                let seconds = crate::domain::delay::seconds(*retry_after).max(1);
                response.insert_header((header::RETRY_AFTER, seconds.to_string()));
            }
            _ => {}
        }
        response.json(problem)
    }
}

/// The error and all its sources, for the log; never sent to the client.
fn cause_chain(error: &dyn std::error::Error) -> String {
    let mut chain = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        chain.push_str(": ");
        chain.push_str(&cause.to_string());
        source = cause.source();
    }
    chain
}
