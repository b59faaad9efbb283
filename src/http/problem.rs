//! Errors answered as RFC 9457 problem documents (`api::problem`), with the headers some call
//! for; internal causes go to the log, never to the client.

use crate::api::problem::CONTENT_TYPE;
use crate::error::{cause_chain, Error};
use crate::http::trace::RequestTrace;
use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};

impl ResponseError for Error {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        let mut problem = self.problem();
        problem.request_id = RequestTrace::current().map(|t| t.request_id);
        let status = self.status_code();
        if let Error::Internal(_) | Error::Unavailable(_) | Error::Setup(_) = self {
            let request_id = problem.request_id.as_deref().unwrap_or("-");
            tracing::error!(instance = %problem.instance, %request_id, cause = %cause_chain(self), "{self}");
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
