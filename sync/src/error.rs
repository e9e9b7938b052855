//! The ways the device's store and sync client fail, each with a stable machine code that the
//! gate prints in its JSON output and scripts can match on.

use std::path::PathBuf;

use thiserror::Error;

/// Why the store could not be opened, read or written.
#[derive(Debug, Error)]
pub enum StoreError {
    #[error("cannot use the store key file {path}: {source}")]
    KeyFile {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the store key file {path} does not hold 64 hex digits")]
    BadKey { path: PathBuf },
    #[error("the database {path} exists but its key file {key} is missing: without the key the store cannot be read")]
    MissingKey { path: PathBuf, key: PathBuf },
    #[error("the store cannot be opened with this key (wrong key, or not a Gatehouse store)")]
    WrongKey,
    #[error("the store was written by a newer Gatehouse (schema {found}, this build knows up to {known})")]
    SchemaTooNew { found: i64, known: i64 },
    #[error("cannot create the state directory {path}: {source}")]
    StateDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot start the store's background checkpoint thread: {0}")]
    CheckpointThread(std::io::Error),
    #[error("a stored {what} is unreadable: {detail}")]
    Corrupt { what: &'static str, detail: String },
    #[error("this device is not paired with a server yet: run `pair` first")]
    NotPaired,
    #[error("this device was revoked by the server and its cache wiped: pair it again")]
    Revoked,
    #[error(
        "no checkpoint named or with id {0:?} in this gate's cache: sync first, or check the name"
    )]
    UnknownCheckpoint(String),
    #[error("cannot write the export {path}: {detail}")]
    Export { path: PathBuf, detail: String },
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
}

impl StoreError {
    /// A stable machine code.
    pub fn code(&self) -> &'static str {
        match self {
            StoreError::KeyFile { .. } => "key_file",
            StoreError::BadKey { .. } => "bad_key",
            StoreError::MissingKey { .. } => "missing_key",
            StoreError::WrongKey => "wrong_key",
            StoreError::SchemaTooNew { .. } => "schema_too_new",
            StoreError::StateDir { .. } => "state_dir",
            StoreError::CheckpointThread(_) => "checkpoint_thread",
            StoreError::Corrupt { .. } => "corrupt",
            StoreError::NotPaired => "not_paired",
            StoreError::Revoked => "revoked",
            StoreError::UnknownCheckpoint(_) => "unknown_checkpoint",
            StoreError::Export { .. } => "export",
            StoreError::Sqlite(_) => "database",
        }
    }
}

/// Why a sync round did not complete.
#[derive(Debug, Error)]
pub enum SyncError {
    #[error("the server is unreachable: {0}")]
    Offline(#[source] reqwest::Error),
    #[error("the server refused ({status}): {code}: {message}")]
    Refused {
        status: u16,
        code: String,
        message: String,
    },
    #[error("the server revoked this device; its participant cache and keys were wiped")]
    Revoked,
    #[error("the server answered something this gate does not understand: {0}")]
    Protocol(String),
    #[error("{0} is not a server address (expected http://host:port or https://...)")]
    BadServerUrl(String),
    /// Pairing again would strand records made under the current pairing: they carry its
    /// device id, which the new pairing's server would refuse.
    #[error(
        "this device still holds {scans} scan(s) and {kiosk} kiosk record(s) the server has not \
         acknowledged; sync them first (`gatehouse-gate sync --once`), or save them to a file with \
         `gatehouse-gate pair --export-queued FILE ...` and pair again"
    )]
    RecordsWaiting { scans: u64, kiosk: u64 },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl SyncError {
    pub fn code(&self) -> &'static str {
        match self {
            SyncError::Offline(_) => "offline",
            SyncError::Refused { .. } => "refused",
            SyncError::Revoked => "revoked",
            SyncError::Protocol(_) => "protocol",
            SyncError::BadServerUrl(_) => "bad_server_url",
            SyncError::RecordsWaiting { .. } => "records_waiting",
            SyncError::Store(e) => e.code(),
        }
    }

    /// Whether trying again later may help (the network), as opposed to a refusal.
    pub fn is_transient(&self) -> bool {
        matches!(self, SyncError::Offline(_))
            || matches!(self, SyncError::Refused { status, .. } if *status >= 500 || *status == 429)
    }
}

impl From<rusqlite::Error> for SyncError {
    fn from(e: rusqlite::Error) -> Self {
        SyncError::Store(StoreError::Sqlite(e))
    }
}
