//! The one error type. Every layer returns it; `http::problem` renders it as RFC 9457.

use uuid::Uuid;

/// A problem with one field of the input, located by a JSON pointer into the request body
/// or by the name of a query parameter.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct FieldError {
    /// JSON pointer into the request body (`/started_on`) or the query parameter's name.
    pub pointer: String,
    /// What is wrong with it.
    pub detail: String,
    /// For an unknown vocabulary key: the closest known keys, best first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub suggestions: Vec<String>,
}

impl FieldError {
    pub fn new(pointer: impl Into<String>, detail: impl Into<String>) -> Self {
        Self { pointer: pointer.into(), detail: detail.into(), suggestions: Vec::new() }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The input could not be read: malformed JSON, a wrong type, an unknown field.
    #[error("{detail}")]
    Malformed { detail: String, errors: Vec<FieldError> },
    /// The input was read but breaks a rule.
    #[error("the request is invalid")]
    Invalid(Vec<FieldError>),
    #[error("a valid API key is required")]
    Unauthenticated,
    #[error("this API key lacks the `{0}` scope")]
    Forbidden(&'static str),
    #[error("not found")]
    NotFound,
    #[error("{detail}")]
    Conflict { detail: String, conflicting: Vec<Uuid> },
    #[error("the resource has changed since the ETag given in If-Match")]
    PreconditionFailed,
    /// Another transaction changed what this one read before it could write (a versioned
    /// update matched no row, a serialization failure, a deadlock): `Db::write` runs the work
    /// again; a 409 only if it keeps losing.
    #[error("a concurrent change conflicts with this request; retry it")]
    Raced,
    #[error("the request body did not arrive in time")]
    RequestTimeout,
    /// Asked for what is no longer kept (a feed cursor older than the retention window):
    /// `resume_after` is where the kept part starts.
    #[error("{detail}")]
    Gone { detail: String, resume_after: String },
    /// A known path without this method: `allow` lists the methods it has.
    #[error("this path does not take this method; it takes {}", allow.join(", "))]
    MethodNotAllowed { allow: Vec<String> },
    #[error("the request body exceeds the limit of {limit} bytes")]
    PayloadTooLarge { limit: usize },
    /// A list in the request is longer than its limit (413, naming the list).
    #[error("{detail}")]
    TooMany { detail: String, pointer: String },
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// The API key spent its rate limit; it may call again after `retry_after`.
    #[error("this API key made more requests than its rate limit allows; retry after {} s", crate::domain::delay::seconds(*retry_after))]
    TooManyRequests { retry_after: std::time::Duration },
    #[error("the database is unavailable")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The service cannot start as it is set up (a database newer than this build, say): said
    /// in one line, and never retried as if it were an outage.
    #[error("{0}")]
    Setup(String),
    /// One operation of a batch failed: the problem is its, located in the batch.
    #[error("operation {index}: {error}")]
    InOperation { index: usize, error: Box<Error> },
}

impl Error {
    pub fn invalid(pointer: impl Into<String>, detail: impl Into<String>) -> Self {
        Error::Invalid(vec![FieldError::new(pointer, detail)])
    }

    pub fn conflict(detail: impl Into<String>) -> Self {
        Error::Conflict { detail: detail.into(), conflicting: Vec::new() }
    }

    /// Locates the error in operation `index` of a batch.
    pub fn in_operation(self, index: usize) -> Self {
        match self {
            // A lost race is the whole transaction's: it runs again.
            Error::Raced => Error::Raced,
            other => Error::InOperation { index, error: Box::new(other) },
        }
    }

    pub fn internal(cause: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Error::Internal(cause.into())
    }
}

impl From<diesel::result::Error> for Error {
    fn from(error: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind as Kind, Error as E};
        match error {
            E::NotFound => Error::NotFound,
            E::DatabaseError(Kind::ClosedConnection | Kind::UnableToSendCommand, _) => {
                Error::Unavailable(Box::new(error))
            }
            // Validation happens before writing; a constraint failing here means another request
            // changed the same rows concurrently: the work runs again and meets that change
            // (an upsert then updates what the other created).
            E::DatabaseError(Kind::UniqueViolation | Kind::ForeignKeyViolation, ref info) => {
                tracing::info!(constraint = ?info.constraint_name(), "constraint race: {}", info.message());
                Error::Raced
            }
            E::DatabaseError(Kind::SerializationFailure, _) => Error::Raced,
            E::DatabaseError(Kind::Unknown, ref info) if info.message().contains("deadlock") => {
                Error::Raced
            }
            // A locked SQLite file or a PostgreSQL connection lost mid-request surface as
            // unknown errors: both are the database being unavailable, not a bug.
            E::DatabaseError(Kind::Unknown, ref info)
                if ["locked", "connection", "terminating", "shutting down"]
                    .iter()
                    .any(|m| info.message().contains(m)) =>
            {
                Error::Unavailable(Box::new(error))
            }
            other => Error::internal(other),
        }
    }
}

/// An error and each of its causes on one line, `: ` between them (libraries keep the why of
/// a failure in its sources).
pub fn cause_chain(error: &dyn std::error::Error) -> String {
    let mut chain = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        chain.push_str(": ");
        chain.push_str(&cause.to_string());
        source = cause.source();
    }
    chain
}

impl From<r2d2::Error> for Error {
    fn from(error: r2d2::Error) -> Self {
        Error::Unavailable(Box::new(error))
    }
}

/// Collects field errors of one request so that all of them are answered at once.
#[derive(Debug, Default)]
pub struct Violations(Vec<FieldError>);

impl Violations {
    pub fn add(&mut self, pointer: impl Into<String>, detail: impl Into<String>) {
        self.0.push(FieldError::new(pointer, detail));
    }

    pub fn extend(&mut self, errors: Vec<FieldError>) {
        self.0.extend(errors);
    }

    /// Keeps the value when it parsed; records its error otherwise.
    pub fn check<T>(&mut self, result: Result<T, FieldError>) -> Option<T> {
        result.map_err(|e| self.0.push(e)).ok()
    }

    pub fn into_result(self) -> Result<(), Error> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(Error::Invalid(self.0))
        }
    }
}
