//! The one error type that crosses every boundary: a stable [`Code`] the UI and scripts can
//! branch on, and a one-line message that says what is wrong and what to do next.

use serde::Serialize;
use ts_rs::TS;

use crate::hint::Hint;

/// What kind of failure this is. Serialized as `snake_case`; codes may be added, never renamed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Code {
    /// Malformed input: a flag, a reference, a digest, a time.
    BadInput,
    /// `tollgate.toml` is missing, unreadable or invalid.
    Config,
    /// An image reference that cannot be parsed, or a tag where a digest is required.
    InvalidReference,
    /// The registry wants credentials and none (or none valid) were found.
    AuthRequired,
    /// The credentials are valid but may not do this.
    Forbidden,
    /// A repository, tag, manifest or blob does not exist.
    NotFound,
    /// The registry answered 429 and retries ran out.
    RateLimited,
    /// The registry could not be reached (DNS, TCP, TLS, timeout, 5xx after retries).
    Unreachable,
    /// Bytes that do not hash to the digest that was claimed for them.
    DigestMismatch,
    /// A manifest over the size limit.
    TooLarge,
    /// The registry answered something that is not a valid OCI/Docker manifest or API reply.
    Protocol,
    /// The history database could not be opened, read or written.
    Database,
    /// The database was written by a newer Tollgate.
    SchemaTooNew,
    /// The hash chain is broken: a row was edited, deleted or reordered.
    ChainBroken,
    /// The OS keychain is unavailable or refused.
    Keychain,
    /// A signature does not verify, or a key is not allowed.
    SignatureInvalid,
    /// The action is refused: policy not met, drift, approval already used.
    Refused,
    /// A bug or an unexpected I/O failure.
    Internal,
}

impl Code {
    /// Process exit status for this code: 1 for a refused action, 2 for bad input,
    /// and 1 for failures of the world outside (registry, database, keychain).
    pub fn exit_status(self) -> i32 {
        match self {
            Code::BadInput | Code::Config | Code::InvalidReference => 2,
            _ => 1,
        }
    }
}

/// `{code, message, hint}`: what the CLI prints as one line and what the UI receives. The code
/// is for programs to branch on; the message is the sentence a person reads (what is wrong);
/// the hint, when there is one, is what to do as facts, which the CLI words with its flags and
/// the app with its window's actions (so the message names neither).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS, thiserror::Error)]
#[error("{message}")]
#[ts(export)]
pub struct Error {
    pub code: Code,
    pub message: String,
    /// What to do next, as facts; absent when the message says it all.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub hint: Option<Hint>,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        Error {
            code,
            message: message.into(),
            hint: None,
        }
    }
    /// The same error with what to do next.
    pub fn with_hint(self, hint: Hint) -> Self {
        Error {
            hint: Some(hint),
            ..self
        }
    }
    pub fn bad_input(message: impl Into<String>) -> Self {
        Self::new(Code::BadInput, message)
    }
    pub fn config(message: impl Into<String>) -> Self {
        Self::new(Code::Config, message)
    }
    pub fn database(message: impl Into<String>) -> Self {
        Self::new(Code::Database, message)
    }
    pub fn refused(message: impl Into<String>) -> Self {
        Self::new(Code::Refused, message)
    }
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(Code::Internal, message)
    }
    /// The same error with what to do next, when there is something.
    pub fn with_hint_opt(self, hint: Option<Hint>) -> Self {
        Error { hint, ..self }
    }
    /// Prefix the message with where it happened, keeping the code.
    pub fn context(self, what: impl std::fmt::Display) -> Self {
        Error {
            message: format!("{what}: {}", self.message),
            ..self
        }
    }
}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        Error::database(format!(
            "history database error: {e}; check the file is a Tollgate database and not in use by a crashed process"
        ))
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::internal(format!("I/O error: {e}"))
    }
}
