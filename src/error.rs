//! The library's error type. Every variant carries a message a gate operator
//! or an admin can act on; `anyhow` only appears at the binary's edge.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("config file {path}: {message}")]
    Config { path: PathBuf, message: String },

    #[error("key file {path}: {message}")]
    Key { path: PathBuf, message: String },

    #[error(transparent)]
    Validation(#[from] crate::domain::validate::ValidationErrors),

    #[error("a pass for this holder already exists: {existing_id}")]
    DuplicatePass { existing_id: String },

    #[error("{what} not found: {id}")]
    NotFound { what: &'static str, id: String },

    #[error("id prefix {prefix} is ambiguous: matches {matches}")]
    Ambiguous { prefix: String, matches: String },

    #[error("{0}")]
    Conflict(String),

    #[error("authentication failed: {0}")]
    Auth(String),

    #[error("permission denied: {0}")]
    Forbidden(String),

    #[error("the database is busy (locked by another gatehouse process); try again")]
    Busy,

    #[error("the disk is full: nothing was written; free some space and try again")]
    DiskFull,

    #[error("the data directory is read-only: {0}")]
    ReadOnly(String),

    #[error("database not initialised at {0}; run `gatehouse init` first")]
    NotInitialised(PathBuf),

    #[error("database error: {0}")]
    Db(rusqlite::Error),

    // The cause is in the message, so it is not also chained as a source.
    #[error("{context}: {cause}")]
    Io { context: String, cause: std::io::Error },

    #[error("{0}")]
    Other(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        use rusqlite::ErrorCode;
        if let rusqlite::Error::SqliteFailure(f, _) = &e {
            match f.code {
                ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked => return Error::Busy,
                ErrorCode::DiskFull => return Error::DiskFull,
                ErrorCode::ReadOnly => {
                    return Error::ReadOnly("SQLite cannot write the database file".into());
                }
                _ => {}
            }
        }
        Error::Db(e)
    }
}

impl Error {
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io { context: context.into(), cause: source }
    }
}
