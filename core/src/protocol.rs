//! The device ↔ server sync protocol (`/sync/v1/`), shared by both sides so they cannot drift.
//!
//! - **Pairing**: `POST /sync/v1/pair` trades a one-time pairing code for a device token.
//! - **Down**: `GET /sync/v1/feed?after=CURSOR&limit=N` returns [`FeedPage`]s of [`FeedEntry`]s
//!   ordered by a server-side sequence (never by clocks). The first sync is the same feed from 0.
//!   The device stores the new cursor in the same transaction as the rows it brought.
//! - **Up**: `POST /sync/v1/scans` with a [`ScanUpload`]; the server upserts scans by their
//!   client-made UUIDv7 and answers [`UploadAck`]. Occupancy counters per (device, zone) only grow,
//!   and the server keeps the highest it has seen, so retries and reordering converge.
//! - **Up, kiosks**: `POST /sync/v1/kiosk` with a [`KioskUpload`] of kiosk sessions and queue
//!   tickets, upserted by their client-made UUIDv7 and answered with [`KioskAck`]; a session's
//!   `revision` only grows, and the server keeps the highest. Tenants without the `KIOSK_MODE`
//!   feature get `403 feature_disabled`: the kiosk keeps the records and syncs scans as before.
//! - Every response carries `server_time` (ms); devices keep their offset to it.
//! - A revoked device gets [`SyncRefusal`] with `wipe: true` and must erase its cache.

use serde::{Deserialize, Serialize};

use crate::domain::{
    AccessLog, Checkpoint, DeviceId, EventId, Millis, Participant, ParticipantId, TenantId, Zone,
    ZoneId,
};

/// Path prefix of this version of the protocol.
pub const SYNC_PREFIX: &str = "/sync/v1";
/// Header carrying the device token: `Authorization: Bearer <token>`.
pub const AUTHORIZATION: &str = "authorization";

/// `POST /sync/v1/pair`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PairRequest {
    pub pairing_code: String,
    pub app_version: String,
    pub profile: Option<String>,
}

/// The answer to a successful pairing. The token is shown once; the server keeps its hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PairResponse {
    pub device_id: DeviceId,
    pub device_name: String,
    pub device_token: String,
    pub tenant_id: TenantId,
    pub event_id: EventId,
    pub event_name: String,
    pub server_time: Millis,
}

/// A ticket key as it travels to devices (over TLS; devices store it encrypted).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyRecord {
    pub key_id: u16,
    /// 64 hex digits.
    pub secret_hex: String,
    /// Retired keys are removed from the device's ring.
    pub retired: bool,
}

/// One change in an event's feed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "data", rename_all = "snake_case")]
pub enum Change {
    Zone(Zone),
    Checkpoint(Checkpoint),
    Participant(Participant),
    /// The participant was deleted (or moved out of the event): drop them from the cache.
    ParticipantRemoved {
        id: ParticipantId,
    },
    Key(KeyRecord),
    /// A scan made by another gate (or this one, echoed): anti-passback across gates.
    Scan(AccessLog),
}

/// A change with its place in the feed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedEntry {
    pub seq: i64,
    #[serde(flatten)]
    pub change: Change,
}

/// `GET /sync/v1/feed` answers one page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedPage {
    pub event_id: EventId,
    pub tenant_id: TenantId,
    pub entries: Vec<FeedEntry>,
    /// The cursor to ask from next: the last entry's seq, or the request's when empty.
    pub cursor: i64,
    /// More entries are waiting past `cursor`.
    pub more: bool,
    pub server_time: Millis,
}

/// A device's monotonic counts of passes through one zone since pairing. The server refuses an
/// upload whose counter exceeds ten million passes (`422 counter_out_of_range`): no gate makes
/// that many, and sums of such counters could overflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OccupancyCounter {
    pub zone_id: ZoneId,
    pub ins: u64,
    pub outs: u64,
}

/// What a device says about itself on each upload (shown on the dashboard).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct DeviceReport {
    pub app_version: String,
    pub profile: Option<String>,
    /// The feed cursor the device has reached: 0 or more (`422 bad_report` otherwise).
    pub cursor: i64,
    pub outbox_depth: u64,
    /// The device's clock when it sent this, to measure lag and skew. Like every device time,
    /// Unix ms from 0 to the end of year 9999 (`422 bad_time` otherwise).
    pub device_time: Millis,
}

/// `POST /sync/v1/scans`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanUpload {
    pub scans: Vec<AccessLog>,
    pub occupancy: Vec<OccupancyCounter>,
    pub report: DeviceReport,
}

/// The server's answer to an upload: every id it now holds as this device's scan (new or already
/// known). The device deletes exactly these from its outbox; an id that another device or an
/// integrator of the tenant already used is left out, and the device keeps that scan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadAck {
    pub stored: Vec<crate::domain::ScanId>,
    /// Of those, the ones flagged as offline duplicates (a second admission while offline).
    pub offline_duplicates: Vec<crate::domain::ScanId>,
    pub server_time: Millis,
}

/// What a kiosk says about itself with each kiosk upload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct KioskReport {
    /// The mode the device runs in (`kiosk`, or `gate` for a gate that handed out a ticket).
    pub mode: String,
    /// Kiosk records (sessions and tickets) left in the device's outbox once this upload is
    /// acknowledged.
    pub kiosk_outbox_depth: u64,
    pub device_time: Millis,
}

/// `POST /sync/v1/kiosk`. Either list may be empty (an empty upload announces a kiosk).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KioskUpload {
    pub sessions: Vec<crate::kiosk::KioskSession>,
    pub tickets: Vec<crate::kiosk::QueueTicket>,
    pub report: KioskReport,
}

/// The server's answer to a kiosk upload: every id it now holds as this kiosk's record. The device
/// deletes exactly these (at the revision it sent) from its outbox; an id another kiosk of the
/// tenant already used is left out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KioskAck {
    pub sessions: Vec<crate::domain::KioskSessionId>,
    pub tickets: Vec<crate::domain::QueueTicketId>,
    pub server_time: Millis,
}

/// The body of every refusal on the sync API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncRefusal {
    pub code: String,
    pub message: String,
    /// The device was revoked: erase the participant cache and keys now.
    pub wipe: bool,
    pub server_time: Millis,
}

/// What a person shows the gate: the QR text or a typed registration code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Presented {
    Payload(String),
    RegistrationCode(String),
}

/// `POST /sync/v1/scan`: a device in online mode asks the server to decide (the same
/// [`crate::decide`]); the server records the scan under `scan_id` exactly once. The same request
/// again (a retry; `device_time` may differ) answers the first verdict; a different request under
/// that id is refused with `422 scan_id_in_use`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OnlineScanRequest {
    pub scan_id: crate::domain::ScanId,
    pub presented: Presented,
    pub checkpoint_id: crate::domain::CheckpointId,
    pub requested: Option<crate::domain::Movement>,
    pub override_reason: Option<String>,
    pub device_time: Millis,
}

/// Who a verdict is about, as the gate shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParticipantSummary {
    pub id: ParticipantId,
    pub name: String,
    pub category: String,
    pub organisation: Option<String>,
}

impl From<&Participant> for ParticipantSummary {
    fn from(p: &Participant) -> Self {
        ParticipantSummary {
            id: p.id,
            name: p.full_name.clone(),
            category: p.category.clone(),
            organisation: p.organisation.clone(),
        }
    }
}

/// The answer to an online scan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OnlineScanResponse {
    pub scan_id: crate::domain::ScanId,
    pub verdict: crate::Verdict,
    pub reason: crate::Reason,
    pub reason_text: String,
    /// The pass made; `None` when the scan let nobody through.
    pub movement: Option<crate::domain::Movement>,
    pub warnings: Vec<crate::Warning>,
    pub participant: Option<ParticipantSummary>,
    pub server_time: Millis,
}
