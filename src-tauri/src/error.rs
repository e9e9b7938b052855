//! The one error every command returns: `{code, message}`, a stable machine code for the UI's
//! logic and a sentence for people (the UI shows it in a toast). The station's errors carry both.

use gatehouse_device::station::StationError;
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
}

impl From<StationError> for CommandError {
    fn from(e: StationError) -> Self {
        CommandError::new(e.code(), e.to_string())
    }
}
