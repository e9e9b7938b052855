//! The one error every command returns: `{code, message}`, a stable machine code for the UI's
//! logic and a sentence for people (the UI shows it in a toast).

use serde::Serialize;

/// A command's failure as the UI receives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{code}: {message}")]
pub struct CommandError {
    pub code: String,
    pub message: String,
}

impl CommandError {
    pub fn new(code: &str, message: impl Into<String>) -> Self {
        CommandError {
            code: code.to_owned(),
            message: message.into(),
        }
    }

    pub fn not_paired() -> Self {
        CommandError::new(
            "not_paired",
            "This device is not paired with a server yet: pair it first.",
        )
    }

    pub fn no_checkpoint() -> Self {
        CommandError::new(
            "no_checkpoint",
            "No checkpoint is selected: choose where this gate scans first.",
        )
    }
}

impl From<gatehouse_sync::StoreError> for CommandError {
    fn from(e: gatehouse_sync::StoreError) -> Self {
        CommandError::new(e.code(), e.to_string())
    }
}

impl From<gatehouse_sync::SyncError> for CommandError {
    fn from(e: gatehouse_sync::SyncError) -> Self {
        CommandError::new(e.code(), e.to_string())
    }
}

impl From<gatehouse_device::profile::ProfileError> for CommandError {
    fn from(e: gatehouse_device::profile::ProfileError) -> Self {
        CommandError::new("bad_profile", e.to_string())
    }
}

impl From<rusqlite::Error> for CommandError {
    fn from(e: rusqlite::Error) -> Self {
        CommandError::new("store_failed", format!("the local store failed: {e}"))
    }
}
