//! The shapes the UI receives, field for field as `ui/src/backend.ts` declares them, and their
//! conversions from the device runtime's types. Enumerations use gatehouse-core's wire spellings.

use gatehouse_core::protocol::ParticipantSummary;
use gatehouse_core::{AccessLog, Checkpoint, Millis, Movement, Warning};
use gatehouse_device::profile::{Mode, Profile, Theme};
use gatehouse_sync::ScanOutcome;
use serde::{Deserialize, Serialize};

pub use crate::search::SearchHit;

/// The profile as the UI needs it.
#[derive(Debug, Clone, Serialize)]
pub struct ProfileView {
    pub name: String,
    pub allow_override: bool,
    pub allow_manual_entry: bool,
    pub allow_search: bool,
    pub idle_timeout_s: u32,
    pub languages: Vec<String>,
    pub default_language: String,
    pub theme: &'static str,
    pub high_contrast: bool,
}

impl From<&Profile> for ProfileView {
    fn from(p: &Profile) -> Self {
        ProfileView {
            name: p.name.clone(),
            allow_override: p.actions.r#override,
            allow_manual_entry: p.actions.manual_entry,
            allow_search: p.actions.search,
            idle_timeout_s: p.idle_timeout_s,
            languages: p.languages.clone(),
            default_language: p.default_language.clone(),
            theme: match p.theme {
                Theme::Dark => "dark",
                Theme::Light | Theme::HighContrast => "default",
            },
            high_contrast: p.theme == Theme::HighContrast,
        }
    }
}

pub fn mode_str(mode: Mode) -> &'static str {
    match mode {
        Mode::Gate => "gate",
        Mode::Kiosk => "kiosk",
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct DeviceInfo {
    pub name: String,
    pub event_name: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct CheckpointInfo {
    pub id: String,
    pub name: String,
    pub direction: &'static str,
    pub zone: String,
}

impl CheckpointInfo {
    pub fn new(c: &Checkpoint, zone: String) -> Self {
        CheckpointInfo {
            id: c.id.to_string(),
            name: c.name.clone(),
            direction: c.direction.as_str(),
            zone,
        }
    }
}

/// What screen to show.
#[derive(Debug, Clone, Serialize)]
pub struct AppState {
    pub paired: bool,
    pub mode: &'static str,
    pub profile: ProfileView,
    pub device: Option<DeviceInfo>,
    pub checkpoints: Vec<CheckpointInfo>,
    pub checkpoint_id: Option<String>,
    pub direction: Option<&'static str>,
    pub available_profiles: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScanParticipant {
    pub id: String,
    pub name: String,
    pub category: String,
    pub organisation: Option<String>,
    pub photo_url: Option<String>,
}

impl From<&ParticipantSummary> for ScanParticipant {
    fn from(p: &ParticipantSummary) -> Self {
        ScanParticipant {
            id: p.id.to_string(),
            name: p.name.clone(),
            category: p.category.clone(),
            organisation: p.organisation.clone(),
            photo_url: None,
        }
    }
}

/// The answer to one scan.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScanResult {
    pub scan_id: String,
    pub verdict: &'static str,
    pub reason_code: &'static str,
    pub reason: &'static str,
    pub participant: Option<ScanParticipant>,
    pub movement: Option<&'static str>,
    pub warnings: Vec<Warning>,
    pub ms: f64,
    pub at_ms: Millis,
}

impl ScanResult {
    pub fn from_outcome(outcome: &ScanOutcome, ms: f64) -> Self {
        let d = &outcome.decision;
        ScanResult {
            scan_id: outcome.scan_id().to_string(),
            verdict: d.verdict.as_str(),
            reason_code: d.reason.code(),
            reason: d.reason.sentence(),
            participant: outcome.participant.as_ref().map(ScanParticipant::from),
            movement: outcome.log.movement.map(Movement::as_str),
            warnings: d.warnings.clone(),
            ms: (ms * 1000.0).round() / 1000.0,
            at_ms: outcome.log.device_time,
        }
    }

    /// A scan read back from the store (recent scans after a restart).
    pub fn from_log(log: &AccessLog, participant: Option<&ParticipantSummary>) -> Self {
        ScanResult {
            scan_id: log.id.to_string(),
            verdict: log.verdict.as_str(),
            reason_code: log.reason.code(),
            reason: log.reason.sentence(),
            participant: participant.map(ScanParticipant::from),
            movement: log.movement.map(Movement::as_str),
            warnings: Vec::new(),
            ms: 0.0,
            at_ms: log.device_time,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ZoneOccupancy {
    pub zone: String,
    pub inside: u32,
    pub capacity: Option<u32>,
}

/// The status bar.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeviceStatus {
    pub online: bool,
    pub last_sync_ms: Option<Millis>,
    pub outbox_depth: u64,
    /// Kiosk visits and queue tickets waiting for upload.
    pub kiosk_outbox_depth: u64,
    pub occupancy: Option<ZoneOccupancy>,
    /// The camera loop: `off` (none configured), `starting`, `live` or `unavailable`.
    pub camera: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct QueueTicket {
    /// The ticket's id (UUIDv7), as the server's queue knows it.
    pub id: String,
    pub number: u64,
    /// What the desk calls out: the desk's initial and the number (`R-007`).
    pub label: String,
    pub desk: String,
    pub issued_at_ms: Millis,
}

#[derive(Debug, Clone, Serialize)]
pub struct PrintOutcome {
    pub printed: bool,
    pub file: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CameraFrame {
    pub data_url: String,
}

// ----- Command arguments (each command's single `args` parameter) -----

#[derive(Debug, Deserialize)]
pub struct PairArgs {
    pub server_url: String,
    pub pairing_code: String,
    pub profile: String,
}

#[derive(Debug, Deserialize)]
pub struct SelectCheckpointArgs {
    pub checkpoint_id: String,
    pub direction: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct ScanArgs {
    pub text: String,
    pub source: String,
}

#[derive(Debug, Deserialize)]
pub struct OverrideArgs {
    pub scan_id: String,
    pub reason: String,
}

#[derive(Debug, Deserialize)]
pub struct SearchArgs {
    pub query: String,
    pub limit: usize,
}

#[derive(Debug, Deserialize)]
pub struct LimitArgs {
    pub limit: usize,
}

#[derive(Debug, Deserialize)]
pub struct KioskFindArgs {
    pub name: String,
    pub date_of_birth: String,
}

#[derive(Debug, Deserialize)]
pub struct ParticipantArgs {
    pub participant_id: String,
}

#[derive(Debug, Deserialize)]
pub struct QueueTicketArgs {
    pub desk: String,
}

#[derive(Debug, Deserialize)]
pub struct KioskSessionEndArgs {
    /// The language the kiosk showed (`en`, `fr`, `am`, `ar`).
    pub language: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct KioskLanguageArgs {
    /// The language the kiosk shows from now on.
    pub language: String,
}

#[derive(Debug, Deserialize)]
pub struct PinArgs {
    pub pin: String,
}
