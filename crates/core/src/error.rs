//! Errors shared across contexts: the storage error, and the kinds every
//! context-specific error maps to (the web layer turns a kind into a status).

use thiserror::Error;

/// What kind of failure an error is, independent of the context it came from.
/// The web crate maps each kind to exactly one HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The caller sent something invalid; they can fix it.
    InvalidInput,
    /// The caller is not signed in or the credentials are wrong.
    Unauthenticated,
    /// The caller is signed in but their role does not allow this.
    Forbidden,
    NotFound,
    /// The request conflicts with the current state (duplicate, stale).
    Conflict,
    /// Too many attempts; try later.
    RateLimited,
    /// Our fault: a bug or an unavailable dependency.
    Internal,
}

/// The one error type storage returns. `RowNotFound` from the database becomes
/// [`StoreError::NotFound`] in exactly one place, in the storage crate.
#[derive(Debug, Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("database error: {0}")]
    Backend(String),
}

impl StoreError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            StoreError::NotFound => ErrorKind::NotFound,
            StoreError::Conflict(_) => ErrorKind::Conflict,
            StoreError::Backend(_) => ErrorKind::Internal,
        }
    }
}
