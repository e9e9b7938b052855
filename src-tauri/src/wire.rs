//! The shapes the UI receives, field for field as `ui/src/backend.ts` declares them, and their
//! conversions from the station's types. Enumerations use gatehouse-core's wire spellings.

use gatehouse_core::protocol::ParticipantSummary;
use gatehouse_core::{Checkpoint, Millis, Movement, Warning};
use gatehouse_device::profile::{Mode, Profile, Theme};
use gatehouse_device::station::pairing::mode_name;
use gatehouse_device::station::status::Occupancy;
use gatehouse_device::station::{self, RecordedScan, Setup, Source, Status};
use serde::{Deserialize, Serialize};

use crate::error::CommandError;

/// One participant as the search list shows it (`SearchHit` in `ui/src/backend.ts`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SearchHit {
    pub id: String,
    pub name: String,
    pub category: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organisation: Option<String>,
    pub registration_code: String,
    pub status: &'static str,
}

impl From<station::SearchHit> for SearchHit {
    fn from(h: station::SearchHit) -> Self {
        SearchHit {
            id: h.id.to_string(),
            name: h.name,
            category: h.category,
            organisation: h.organisation,
            registration_code: h.registration_code,
            status: h.status.as_str(),
        }
    }
}

/// Where a scan came from, as the UI names it: `camera`, `wedge` or `manual`.
pub fn parse_source(s: &str) -> Result<Source, CommandError> {
    match s {
        "camera" => Ok(Source::Camera),
        "wedge" => Ok(Source::Wedge),
        "manual" => Ok(Source::Manual),
        other => Err(CommandError::new(
            "bad_source",
            format!("scan source {other:?}: expected camera, wedge or manual"),
        )),
    }
}

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
    mode_name(mode)
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

impl From<Setup> for AppState {
    fn from(s: Setup) -> Self {
        AppState {
            paired: s.paired(),
            mode: mode_str(s.mode),
            profile: ProfileView::from(&s.profile),
            device: s
                .device
                .map(|(name, event_name)| DeviceInfo { name, event_name }),
            checkpoints: s
                .checkpoints
                .iter()
                .map(|(c, zone)| CheckpointInfo::new(c, zone.clone()))
                .collect(),
            checkpoint_id: s.checkpoint.map(|c| c.to_string()),
            direction: s.direction.map(Movement::as_str),
            available_profiles: s.available_profiles,
        }
    }
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

impl From<&RecordedScan> for ScanResult {
    fn from(scan: &RecordedScan) -> Self {
        ScanResult {
            scan_id: scan.scan_id().to_string(),
            verdict: scan.verdict().as_str(),
            reason_code: scan.reason().code(),
            reason: scan.reason().sentence(),
            participant: scan.participant.as_ref().map(ScanParticipant::from),
            movement: scan.movement().map(Movement::as_str),
            warnings: scan.warnings.clone(),
            ms: (scan.ms * 1000.0).round() / 1000.0,
            at_ms: scan.log.device_time,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ZoneOccupancy {
    pub zone: String,
    pub inside: u32,
    pub capacity: Option<u32>,
}

impl From<Occupancy> for ZoneOccupancy {
    fn from(o: Occupancy) -> Self {
        ZoneOccupancy {
            zone: o.zone,
            inside: o.inside,
            capacity: o.capacity,
        }
    }
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

impl From<Status> for DeviceStatus {
    fn from(s: Status) -> Self {
        DeviceStatus {
            online: s.online,
            last_sync_ms: s.last_sync_at,
            outbox_depth: s.outbox_depth,
            kiosk_outbox_depth: s.kiosk_outbox_depth,
            occupancy: s.occupancy.map(ZoneOccupancy::from),
            camera: s.camera.as_str(),
        }
    }
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

impl From<gatehouse_core::QueueTicket> for QueueTicket {
    fn from(t: gatehouse_core::QueueTicket) -> Self {
        QueueTicket {
            id: t.id.to_string(),
            number: u64::from(t.number),
            label: t.label,
            desk: t.desk,
            issued_at_ms: t.issued_at,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct PrintOutcome {
    pub printed: bool,
    pub file: Option<String>,
}

impl From<station::Printed> for PrintOutcome {
    fn from(p: station::Printed) -> Self {
        PrintOutcome {
            printed: p.printed,
            file: Some(p.file.display().to_string()),
        }
    }
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

impl From<PairArgs> for station::PairRequest {
    fn from(a: PairArgs) -> Self {
        station::PairRequest {
            server_url: a.server_url,
            pairing_code: a.pairing_code,
            profile: a.profile,
        }
    }
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
