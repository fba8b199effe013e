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

    /// The holder has a live pass of this type and slot; `held` says which.
    #[error("{held}: {existing_id}; an admin may issue another with --allow-duplicate")]
    DuplicatePass { existing_id: String, held: String },

    #[error("{what} not found: {id}")]
    NotFound { what: &'static str, id: String },

    #[error("{prefix} is ambiguous: it matches {matches}")]
    Ambiguous { prefix: String, matches: String },

    #[error("{0}")]
    Conflict(String),

    #[error("authentication failed: {0}")]
    Auth(String),

    #[error("permission denied: {0}")]
    Forbidden(String),

    /// Storage failed; `kind` says what a caller can do about it, so no
    /// caller reads the message to decide. The message comes from the
    /// engine, the server or the client library, never from a URL, so it
    /// carries no password.
    #[error("{}", store_text(*kind, message))]
    Store { kind: StoreKind, message: String },

    #[error("database not initialised at {0}; run `gatehouse init` first")]
    NotInitialised(PathBuf),

    // The cause is in the message, so it is not also chained as a source.
    #[error("{context}: {cause}")]
    Io { context: String, cause: std::io::Error },

    /// The database URL or its TLS settings are wrong.
    #[error("{0}")]
    DatabaseUrl(String),

    /// The database is not a gatehouse one this version can use: foreign
    /// tables, a newer schema, an empty schema record.
    #[error("{0}")]
    Schema(String),

    /// What gatehouse itself stored does not hold together (a ledger head
    /// that does not parse, a row gone right after its insert): run
    /// `gatehouse ledger verify`.
    #[error("{0}")]
    Corrupt(String),

    /// What this backend or this gate cannot do (a page quota on
    /// PostgreSQL, a sync on a gate with no server).
    #[error("{0}")]
    Unsupported(String),

    /// An offline gate's upload did not go through: the local chain, or
    /// the server's answer.
    #[error("{0}")]
    Sync(String),

    /// An image that cannot be read or made (a QR code, a camera frame).
    #[error("{0}")]
    Image(String),

    /// A ledger event that could not be encoded, or a stored one that
    /// could not be read where it must be.
    #[error("ledger event: {0}")]
    Event(#[from] crate::domain::events::EventError),

    /// What was handed in from a file, stdin or the command line that
    /// gatehouse cannot take (a line too long to be a code, a file that is
    /// not a gatehouse database, a missing folder).
    #[error("{0}")]
    Input(String),

    /// A part of gatehouse itself failed (a worker thread stopped, the
    /// client's runtime or the password hasher would not start): not the
    /// caller's doing, and nothing was written.
    #[error("{0}")]
    Internal(String),
}

/// What kind of storage failure, for the caller's decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreKind {
    /// Another writer holds the lock past the wait: try again.
    Busy,
    /// The disk (or the file's quota) is full: nothing was written.
    DiskFull,
    /// The file or its folder cannot be written.
    ReadOnly,
    /// The server cannot be reached, or the connection dropped. A scan
    /// retried after this with the same nonce is recorded once.
    Unreachable,
    /// The SQLite engine failed otherwise (a constraint, a damaged file).
    Sqlite,
    /// The PostgreSQL server or client failed otherwise.
    Postgres,
}

fn store_text(kind: StoreKind, message: &str) -> String {
    match kind {
        StoreKind::Busy => "the database is busy (locked by another gatehouse process); try again".into(),
        StoreKind::DiskFull => "the disk is full: nothing was written; free some space and try again".into(),
        StoreKind::ReadOnly => format!("the data directory is read-only: {message}"),
        StoreKind::Unreachable => format!("PostgreSQL connection: {message}"),
        StoreKind::Sqlite => format!("database error: {message}"),
        StoreKind::Postgres => format!("PostgreSQL: {message}"),
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn store(kind: StoreKind, message: impl Into<String>) -> Self {
        Error::Store { kind, message: message.into() }
    }

    pub fn busy() -> Self {
        Error::store(StoreKind::Busy, "")
    }

    pub fn disk_full() -> Self {
        Error::store(StoreKind::DiskFull, "")
    }

    pub fn unreachable(message: impl Into<String>) -> Self {
        Error::store(StoreKind::Unreachable, message)
    }

    pub fn pg(message: impl Into<String>) -> Self {
        Error::store(StoreKind::Postgres, message)
    }

    /// The storage failure's kind, if this is one.
    pub fn store_kind(&self) -> Option<StoreKind> {
        match self {
            Error::Store { kind, .. } => Some(*kind),
            _ => None,
        }
    }

    /// The server did not answer: a gate decides offline instead.
    pub fn is_unreachable(&self) -> bool {
        self.store_kind() == Some(StoreKind::Unreachable)
    }

    /// What went wrong in its own words, without what the kind adds
    /// ("PostgreSQL connection: "), for a message that says it differently.
    pub fn cause(&self) -> String {
        match self {
            Error::Store { kind: StoreKind::Unreachable, message } => message.clone(),
            other => other.to_string(),
        }
    }

    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io { context: context.into(), cause: source }
    }
}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        use rusqlite::ErrorCode;
        if let rusqlite::Error::SqliteFailure(f, _) = &e {
            match f.code {
                ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked => return Error::busy(),
                ErrorCode::DiskFull => return Error::disk_full(),
                ErrorCode::ReadOnly => return Error::store(StoreKind::ReadOnly, "SQLite cannot write the database file"),
                _ => {}
            }
        }
        Error::store(StoreKind::Sqlite, e.to_string())
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
                return Error::busy();
            }
            if *code == SqlState::DISK_FULL {
                return Error::disk_full();
            }
            if *code == SqlState::INVALID_PASSWORD || *code == SqlState::INVALID_AUTHORIZATION_SPECIFICATION {
                return Error::Auth(format!("PostgreSQL refused the sign-in: {}", db.message()));
            }
            if *code == SqlState::INVALID_CATALOG_NAME {
                return Error::pg(format!("{} (create it first, e.g. `createdb`)", db.message()));
            }
            return Error::pg(db.message());
        }
        // A closed connection, or a socket that failed under a statement.
        // (Failures while connecting are all "unreachable": the connector
        // says so, see `store::postgres::connect`.)
        let io = std::error::Error::source(&e).is_some_and(|s| s.is::<std::io::Error>());
        if e.is_closed() || io {
            return Error::unreachable(if e.is_closed() { "the connection to the server was lost".to_string() } else { e.to_string() });
        }
        Error::pg(e.to_string())
    }
}
