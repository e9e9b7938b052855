//! What a gate says about itself (`gatehouse-gate status`) and the evidence export: the CSV of
//! every scan this gate made, for when the network never comes back.

use std::path::Path;

use gatehouse_core::export::inert_cell;
use gatehouse_core::Millis;
use serde::Serialize;

use crate::cache;
use crate::error::StoreError;
use crate::outbox::Outbox;
use crate::store::{meta, Store};

/// A checkpoint as `status` lists it.
#[derive(Debug, Clone, Serialize)]
pub struct CheckpointLine {
    pub id: String,
    pub name: String,
    pub direction: &'static str,
    pub active: bool,
}

/// A gate's state at a glance.
#[derive(Debug, Clone, Serialize)]
pub struct GateStatus {
    pub paired: bool,
    pub revoked: bool,
    pub device_id: Option<String>,
    pub device_name: Option<String>,
    pub event_id: Option<String>,
    pub event_name: Option<String>,
    pub server_url: Option<String>,
    /// Whether the last sync round reached the server.
    pub online: bool,
    pub cursor: i64,
    pub participants: u64,
    pub outbox_depth: u64,
    /// Kiosk visits and queue tickets waiting for upload.
    pub kiosk_outbox_depth: u64,
    /// Why the server last refused them, if it did.
    pub kiosk_refused: Option<String>,
    /// Why the server last refused the scans, if it did (they wait in the outbox).
    pub scans_refused: Option<String>,
    pub last_sync_at: Option<Millis>,
    pub last_error: Option<String>,
    pub clock_offset_ms: i64,
    pub checkpoints: Vec<CheckpointLine>,
}

/// Where this device stands with the server: what every status display starts from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncState {
    /// Whether the last sync round reached the server.
    pub online: bool,
    pub last_sync_at: Option<Millis>,
    /// Scans waiting for upload.
    pub outbox_depth: u64,
    /// Kiosk visits and queue tickets waiting for upload.
    pub kiosk_outbox_depth: u64,
    /// Why the server last refused the kiosk records, if it did.
    pub kiosk_refused: Option<String>,
    /// Why the server last refused the scans, if it did.
    pub scans_refused: Option<String>,
    pub last_error: Option<String>,
}

pub fn sync_state(store: &Store) -> Result<SyncState, StoreError> {
    let non_empty = |v: Option<String>| v.filter(|s| !s.is_empty());
    Ok(SyncState {
        online: store.meta(meta::ONLINE)?.as_deref() == Some("1"),
        last_sync_at: store.meta(meta::LAST_SYNC_AT)?.and_then(|t| t.parse().ok()),
        outbox_depth: Outbox::Scans.depth(store)?,
        kiosk_outbox_depth: Outbox::Kiosk.depth(store)?,
        kiosk_refused: non_empty(store.meta(meta::KIOSK_REFUSED)?),
        scans_refused: non_empty(store.meta(meta::SCANS_REFUSED)?),
        last_error: non_empty(store.meta(meta::LAST_ERROR)?),
    })
}

pub fn gate_status(store: &Store) -> Result<GateStatus, StoreError> {
    let pairing = store.pairing()?;
    let sync = sync_state(store)?;
    Ok(GateStatus {
        paired: pairing.is_some(),
        revoked: store.meta(meta::REVOKED)?.as_deref() == Some("1"),
        device_id: pairing.as_ref().map(|p| p.device_id.to_string()),
        device_name: pairing.as_ref().map(|p| p.device_name.clone()),
        event_id: pairing.as_ref().map(|p| p.event_id.to_string()),
        event_name: pairing.as_ref().map(|p| p.event_name.clone()),
        server_url: pairing.as_ref().map(|p| p.server_url.clone()),
        online: sync.online,
        cursor: store.cursor()?,
        participants: store.participant_count()?,
        outbox_depth: sync.outbox_depth,
        kiosk_outbox_depth: sync.kiosk_outbox_depth,
        kiosk_refused: sync.kiosk_refused,
        scans_refused: sync.scans_refused,
        last_sync_at: sync.last_sync_at,
        last_error: sync.last_error,
        clock_offset_ms: store.clock_offset()?,
        checkpoints: cache::checkpoints(store.conn())?
            .into_iter()
            .map(|c| CheckpointLine {
                id: c.id.to_string(),
                name: c.name,
                direction: c.direction.as_str(),
                active: c.active,
            })
            .collect(),
    })
}

/// The columns of the evidence export, in order.
pub const EXPORT_COLUMNS: [&str; 15] = [
    "scan_id",
    "device_time",
    "corrected_time",
    "checkpoint_id",
    "zone_id",
    "participant_id",
    "participant_name",
    "credential_seq",
    "movement",
    "verdict",
    "reason",
    "override_reason",
    "device_id",
    "uploaded",
    "offline_duplicate",
];

/// Writes every scan this gate made to a CSV file, every cell inert in a spreadsheet; returns the number of scans written.
pub fn export_logs(store: &Store, out: &Path) -> Result<u64, StoreError> {
    let export_err = |detail: String| StoreError::Export {
        path: out.to_path_buf(),
        detail,
    };
    let mut writer = csv::Writer::from_path(out).map_err(|e| export_err(e.to_string()))?;
    writer
        .write_record(EXPORT_COLUMNS)
        .map_err(|e| export_err(e.to_string()))?;
    let mut written = 0;
    for (log, duplicate) in cache::local_scans(store.conn())? {
        let name = match log.participant_id {
            Some(id) => cache::participant_by_id(store.conn(), id)?.map(|p| p.full_name),
            None => None,
        };
        let uploaded = !Outbox::Scans.is_queued(store, &log.id.to_string())?;
        let record = [
            log.id.to_string(),
            log.device_time.to_string(),
            log.corrected_time.to_string(),
            log.checkpoint_id.to_string(),
            log.zone_id.to_string(),
            log.participant_id
                .map(|p| p.to_string())
                .unwrap_or_default(),
            name.unwrap_or_default(),
            log.credential_seq
                .map(|s| s.to_string())
                .unwrap_or_default(),
            log.movement
                .map(|m| m.as_str())
                .unwrap_or_default()
                .to_owned(),
            log.verdict.as_str().to_owned(),
            log.reason.code().to_owned(),
            log.override_reason.unwrap_or_default(),
            log.device_id.map(|d| d.to_string()).unwrap_or_default(),
            uploaded.to_string(),
            duplicate.to_string(),
        ];
        // A name or an override reason typed as a formula stays text in a spreadsheet.
        writer
            .write_record(
                record
                    .iter()
                    .map(|cell| inert_cell(cell).as_bytes().to_vec()),
            )
            .map_err(|e| export_err(e.to_string()))?;
        written += 1;
    }
    writer.flush().map_err(|e| export_err(e.to_string()))?;
    Ok(written)
}
