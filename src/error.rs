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

    /// A PostgreSQL failure. The message comes from the server or the
    /// client library, never from the URL, so it carries no password.
    #[error("PostgreSQL: {0}")]
    Pg(String),

    /// The server could not be reached, or the connection dropped. A scan
    /// retried after this with the same nonce is recorded once.
    #[error("PostgreSQL connection: {0}")]
    PgConnection(String),

    // The cause is in the message, so it is not also chained as a source.
    #[error("{context}: {cause}")]
    Io { context: String, cause: std::io::Error },

    /// A ledger event that could not be encoded, or a stored one that
    /// could not be read where it must be.
    #[error("ledger event: {0}")]
    Event(#[from] crate::domain::events::EventError),

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

impl From<postgres::Error> for Error {
    fn from(e: postgres::Error) -> Self {
        use postgres::error::SqlState;
        if let Some(db) = e.as_db_error() {
            let code = db.code();
            if *code == SqlState::T_R_SERIALIZATION_FAILURE
                || *code == SqlState::T_R_DEADLOCK_DETECTED
                || *code == SqlState::LOCK_NOT_AVAILABLE
            {
                return Error::Busy;
            }
            if *code == SqlState::DISK_FULL {
                return Error::DiskFull;
            }
            if *code == SqlState::INVALID_PASSWORD || *code == SqlState::INVALID_AUTHORIZATION_SPECIFICATION {
                return Error::Auth(format!("PostgreSQL refused the sign-in: {}", db.message()));
            }
            if *code == SqlState::INVALID_CATALOG_NAME {
                return Error::Pg(format!("{} (create it first, e.g. `createdb`)", db.message()));
            }
            return Error::Pg(db.message().to_string());
        }
        if e.is_closed() {
            return Error::PgConnection("the connection to the server was lost".into());
        }
        // The client library's text names the cause (refused, no such
        // socket, TLS), never the password.
        let text = e.to_string();
        const LOST: [&str; 4] = ["error connecting", "error communicating", "error performing TLS", "timeout"];
        if LOST.iter().any(|p| text.starts_with(p)) { Error::PgConnection(text) } else { Error::Pg(text) }
    }
}

impl Error {
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io { context: context.into(), cause: source }
    }
}
