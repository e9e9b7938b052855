//! What went wrong, as every surface reports it: a [`ErrorKind`] (which the HTTP surfaces map to a
//! status), a stable machine code (`unknown_event`, `reissue_limit`, ...) and a sentence for
//! people. A database failure is ours, not the caller's: it is logged in full and reported as
//! `internal`, so no internals leak.

/// The kind of failure, independent of how a surface reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The request is malformed (400).
    BadRequest,
    /// Well-formed, but not acceptable (422).
    Invalid,
    /// Nothing of that id in the caller's tenant (404).
    NotFound,
    /// The current state forbids it (409).
    Conflict,
    /// The caller did not say who they are, or not convincingly (401).
    Unauthenticated,
    /// The caller may not (403).
    Forbidden,
    /// The caller asks too often (429).
    RateLimited,
    /// The caller's copy is stale (412).
    PreconditionFailed,
    /// Ours (500).
    Internal,
}

/// A domain failure: kind, stable code, sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainError {
    pub kind: ErrorKind,
    pub code: &'static str,
    pub message: String,
}

pub type DomainResult<T> = Result<T, DomainError>;

impl DomainError {
    pub fn new(kind: ErrorKind, code: &'static str, message: impl Into<String>) -> Self {
        DomainError {
            kind,
            code,
            message: message.into(),
        }
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(ErrorKind::BadRequest, code, message)
    }

    pub fn invalid(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Invalid, code, message)
    }

    /// `what` names the missing thing: `participant "…"`.
    pub fn not_found(what: &str) -> Self {
        Self::new(
            ErrorKind::NotFound,
            "not_found",
            format!("{what} was not found"),
        )
    }

    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Conflict, code, message)
    }

    pub fn forbidden(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Forbidden, code, message)
    }

    pub fn precondition_failed(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(ErrorKind::PreconditionFailed, code, message)
    }

    /// A failure that is ours: logged in full, reported as a stable code.
    pub fn internal(context: &str, err: impl std::fmt::Display) -> Self {
        tracing::error!(error = %err, "{context}");
        Self::new(
            ErrorKind::Internal,
            "internal",
            format!("the server failed to {context}; see its log"),
        )
    }
}

impl std::fmt::Display for DomainError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for DomainError {}

impl From<gatehouse_db::DbError> for DomainError {
    fn from(e: gatehouse_db::DbError) -> Self {
        DomainError::internal("query the database", e)
    }
}
