//! The recent scans list: this device's latest scans, newest first, as the gate screen lists
//! them and an override finds them. It is read back from the store at start (the list survives a
//! restart), but only scans of this run remember what was presented, so only they can be
//! overridden.

use std::collections::{HashMap, VecDeque};

use gatehouse_core::protocol::{ParticipantSummary, Presented};
use gatehouse_core::ScanId;

use super::scanning::RecordedScan;
use super::{Station, StationError};

/// Recent scans kept for the list and for overrides.
pub const RECENT_KEPT: usize = 500;

/// The list, and what was presented for each scan of this run.
#[derive(Debug, Default)]
pub(super) struct RecentScans {
    scans: VecDeque<RecordedScan>,
    presented: HashMap<ScanId, Presented>,
}

impl RecentScans {
    pub(super) fn push(&mut self, scan: RecordedScan, presented: Presented) {
        if self.presented.len() > 4 * RECENT_KEPT {
            self.presented.clear();
        }
        self.presented.insert(scan.scan_id(), presented);
        self.scans.push_front(scan);
        self.scans.truncate(RECENT_KEPT);
    }

    pub(super) fn get(&self, id: ScanId) -> Option<&RecordedScan> {
        self.scans.iter().find(|s| s.scan_id() == id)
    }

    /// What was presented for a scan of this run.
    pub(super) fn presented(&self, id: ScanId) -> Option<&Presented> {
        self.presented.get(&id)
    }
}

impl Station {
    /// This device's latest scans, newest first, at most `limit`.
    pub fn recent_scans(&self, limit: usize) -> Vec<RecordedScan> {
        self.post()
            .recent
            .scans
            .iter()
            .take(limit)
            .cloned()
            .collect()
    }

    /// Reads the latest of this device's own scans back from the store.
    pub(super) fn load_recent(&self) -> Result<(), StationError> {
        let mut post = self.post();
        let Some(scanner) = &post.scanner else {
            return Ok(());
        };
        let store = scanner.store();
        let mut scans = VecDeque::new();
        for (log, _) in store.local_scans()?.into_iter().rev().take(RECENT_KEPT) {
            let who = match log.participant_id {
                Some(id) => store.participant(id)?,
                None => None,
            };
            let summary = who.as_ref().map(ParticipantSummary::from);
            scans.push_back(RecordedScan::from_log(log, summary));
        }
        post.recent.scans = scans;
        Ok(())
    }
}
