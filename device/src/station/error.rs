//! Why the station did not do what it was asked, each with a stable machine code (the app's UI
//! and the tests match on it) and a sentence for the person in front of the device.

use thiserror::Error;

use crate::badge::BadgeError;
use crate::profile::ProfileError;

/// A station action that did not happen. A scan that was *answered* (even `INVALID`) is not an
/// error: errors are for what could not be decided or recorded.
#[derive(Debug, Error)]
pub enum StationError {
    #[error("This device is not paired with a server yet: pair it first.")]
    NotPaired,
    #[error("No checkpoint is selected: choose where this gate scans first.")]
    NoCheckpoint,
    #[error("{0}")]
    BadDirection(String),
    #[error("{0:?} is not a profile name (letters, digits, - and _ only)")]
    BadProfileName(String),
    #[error("no profile named {name:?} in {dir}")]
    UnknownProfile { name: String, dir: String },
    #[error(transparent)]
    Profile(#[from] ProfileError),
    #[error("Type the pairing code.")]
    NoPairingCode,
    #[error("This device is already paired; remove its state folder to pair it again.")]
    AlreadyPaired,
    #[error("The profile {0:?} does not allow overrides.")]
    OverrideForbidden(String),
    #[error("No recent scan {0} on this device.")]
    UnknownScan(String),
    #[error("That scan was made before the app started; scan the badge again.")]
    ScanBeforeStart,
    #[error("Only an ALREADY_SCANNED scan can be overridden; this one was {0}.")]
    NotOverridable(&'static str),
    #[error("An override needs a reason.")]
    ReasonRequired,
    #[error("{0:?} is not a date like 1990-04-25")]
    BadDateOfBirth(String),
    #[error("{0:?} is not a participant id")]
    BadParticipantId(String),
    #[error("No participant {0} on this device.")]
    UnknownParticipant(String),
    #[error("No desk {asked:?}; this kiosk knows {known}")]
    UnknownDesk { asked: String, known: String },
    #[error("This kiosk cannot issue a ticket yet ({0}): sync it first.")]
    CannotIssueTicket(String),
    #[error(transparent)]
    Badge(#[from] BadgeError),
    #[error("Too many wrong PINs: try again in {0} s.")]
    PinLocked(i64),
    #[error("Enter the admin PIN before leaving kiosk mode.")]
    PinRequired,
    #[error(transparent)]
    Store(#[from] gatehouse_sync::StoreError),
    #[error(transparent)]
    Sync(#[from] gatehouse_sync::SyncError),
}

impl StationError {
    /// A stable machine code.
    pub fn code(&self) -> &'static str {
        match self {
            StationError::NotPaired => "not_paired",
            StationError::NoCheckpoint => "no_checkpoint",
            StationError::BadDirection(_) => "bad_direction",
            StationError::BadProfileName(_) | StationError::UnknownProfile { .. } => {
                "unknown_profile"
            }
            StationError::Profile(_) => "bad_profile",
            StationError::NoPairingCode => "bad_pairing_code",
            StationError::AlreadyPaired => "already_paired",
            StationError::OverrideForbidden(_) => "override_forbidden",
            StationError::UnknownScan(_) | StationError::ScanBeforeStart => "unknown_scan",
            StationError::NotOverridable(_) => "not_overridable",
            StationError::ReasonRequired => "reason_required",
            StationError::BadDateOfBirth(_) => "bad_date_of_birth",
            StationError::BadParticipantId(_) => "bad_participant_id",
            StationError::UnknownParticipant(_) => "unknown_participant",
            StationError::UnknownDesk { .. } => "unknown_desk",
            StationError::CannotIssueTicket(_) => "badge_ticket",
            StationError::Badge(e) => e.code(),
            StationError::PinLocked(_) => "pin_locked",
            StationError::PinRequired => "pin_required",
            StationError::Store(e) => e.code(),
            StationError::Sync(e) => e.code(),
        }
    }
}
