//! The status bar: online or not, the last sync, what waits for the server (scans, kiosk
//! records), the chosen checkpoint's zone occupancy, and what the camera loop is doing.
//!
//! It reads a store connection of its own (never waiting behind a scan) and the same sync state
//! `gatehouse-gate status` prints. Before pairing everything is zero but the camera.

use gatehouse_core::Millis;
use gatehouse_sync::status::sync_state;
use gatehouse_sync::{Durability, Store};

use super::{lock, Station, StationError};

/// What the camera loop is doing, for the status bar and the preview's placeholder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CameraState {
    /// No camera configured (`--no-camera`): hand scanner and typed codes only.
    Off,
    /// Waiting for pairing and a checkpoint, or opening the device.
    Starting,
    /// Frames are arriving.
    Live,
    /// The camera could not be opened or stopped delivering frames.
    Unavailable,
}

impl CameraState {
    pub fn as_str(self) -> &'static str {
        match self {
            CameraState::Off => "off",
            CameraState::Starting => "starting",
            CameraState::Live => "live",
            CameraState::Unavailable => "unavailable",
        }
    }
}

/// People in the chosen checkpoint's zone, as far as this device knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Occupancy {
    pub zone: String,
    pub inside: u32,
    pub capacity: Option<u32>,
}

/// The status bar's content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub online: bool,
    pub last_sync_at: Option<Millis>,
    /// Scans not yet acknowledged by the server.
    pub outbox_depth: u64,
    /// Kiosk visits and queue tickets not yet acknowledged.
    pub kiosk_outbox_depth: u64,
    pub occupancy: Option<Occupancy>,
    pub camera: CameraState,
}

impl Station {
    pub fn status(&self) -> Result<Status, StationError> {
        let checkpoint = {
            let post = self.post();
            if post.scanner.is_none() {
                return Ok(Status {
                    online: false,
                    last_sync_at: None,
                    outbox_depth: 0,
                    kiosk_outbox_depth: 0,
                    occupancy: None,
                    camera: self.camera_state(),
                });
            }
            post.checkpoint.clone()
        };
        let mut slot = lock(&self.status_store);
        let store = match &mut *slot {
            Some(store) => store,
            empty => empty.insert(Store::open(&self.config.data, Durability::Normal)?),
        };
        let occupancy = match checkpoint {
            Some(c) => {
                let zone = store.zone(c.zone_id)?;
                let inside = store.estimated_occupancy(c.zone_id)?;
                inside.map(|inside| Occupancy {
                    zone: zone.as_ref().map(|z| z.name.clone()).unwrap_or_default(),
                    inside,
                    capacity: zone.and_then(|z| z.capacity),
                })
            }
            None => None,
        };
        let sync = sync_state(store)?;
        Ok(Status {
            online: sync.online,
            last_sync_at: sync.last_sync_at,
            outbox_depth: sync.outbox_depth,
            kiosk_outbox_depth: sync.kiosk_outbox_depth,
            occupancy,
            camera: self.camera_state(),
        })
    }

    pub fn camera_state(&self) -> CameraState {
        *lock(&self.camera)
    }

    /// Set by the camera loop as it starts, runs and fails.
    pub fn set_camera_state(&self, state: CameraState) {
        *lock(&self.camera) = state;
    }
}
