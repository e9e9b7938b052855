//! The scan path: what happens between a code being read and the gate answering.
//!
//! ```text
//! presented text ─► credential (core) ─► participant (index) ─► history ─► check_in (core)
//!                ─► one transaction: access log + outbox row + occupancy counters ─► verdict
//! ```
//!
//! The decision and the record it leaves come from `gatehouse_core::checkin`, as on the server:
//! this module only looks rows up and stores the result.
//!
//! Nothing here touches the network: a gate decides and records every scan on its own, and the
//! sync engine carries the outbox to the server later. The [`ScanStation`] owns its own store
//! connection so a sync in progress never holds a scan behind a network call.

use std::path::Path;

use gatehouse_core::checkin::{self, CheckIn, Lookup, Recorded};
use gatehouse_core::decide::PastScan;
use gatehouse_core::protocol::{ParticipantSummary, Presented};
use gatehouse_core::{AccessLog, Checkpoint, Decision, Millis, Movement, ScanId, Verdict, Zone};

use crate::cache;
use crate::clock::Clock;
use crate::error::StoreError;
use crate::outbox::{self, Batch, Entry, Kind, Outbox, Outgoing};
use crate::store::{Checkpointer, Durability, Pairing, Store};

/// What the person at the gate did, beyond presenting a code.
#[derive(Debug, Clone, Default)]
pub struct ScanOptions {
    /// The way through a `both` checkpoint, when staff say so.
    pub requested: Option<Movement>,
    /// A supervisor's reason to admit someone already inside.
    pub override_reason: Option<String>,
}

/// The answer to one scan, as recorded.
#[derive(Debug, Clone)]
pub struct ScanOutcome {
    pub decision: Decision,
    pub participant: Option<ParticipantSummary>,
    /// The access log written (and queued for upload) in the same transaction.
    pub log: AccessLog,
}

impl ScanOutcome {
    pub fn scan_id(&self) -> ScanId {
        self.log.id
    }

    pub fn verdict(&self) -> Verdict {
        self.decision.verdict
    }
}

/// Reads a line typed by a keyboard-wedge hand scanner: a valid registration code is a code;
/// anything else is the text of a QR code. Only line endings are stripped: the space is a
/// Base45 character, so a ticket may begin or end with one.
pub fn read_scanner_line(line: &str) -> Presented {
    let line = line.trim_end_matches(['\r', '\n']);
    match gatehouse_core::RegistrationCode::parse(line) {
        Ok(code) => Presented::RegistrationCode(code.as_str().to_owned()),
        Err(_) => Presented::Payload(line.to_owned()),
    }
}

/// A gate's scanning side: its own connection to the store plus its identity.
pub struct ScanStation {
    store: Store,
    pairing: Pairing,
    clock: Clock,
    /// Keeps WAL checkpoints out of the scans' commits (see the store module).
    _checkpoints: Checkpointer,
}

impl ScanStation {
    /// Opens the store in `dir` for scanning. The device must be paired.
    pub fn open(dir: &Path, durability: Durability, clock: Clock) -> Result<Self, StoreError> {
        Self::new(Store::open(dir, durability)?, clock)
    }

    pub fn new(store: Store, clock: Clock) -> Result<Self, StoreError> {
        let pairing = store.require_pairing()?;
        let _checkpoints = store.background_checkpoints()?;
        Ok(ScanStation {
            store,
            pairing,
            clock,
            _checkpoints,
        })
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The station's connection for writes besides scans (a kiosk's visits and queue tickets).
    pub fn store_mut(&mut self) -> &mut Store {
        &mut self.store
    }

    /// A checkpoint by name or id, as staff type it.
    pub fn checkpoint(&self, name_or_id: &str) -> Result<Checkpoint, StoreError> {
        self.store.checkpoint(name_or_id)
    }

    /// Decides a scan at `checkpoint` and records it durably before returning.
    pub fn scan(
        &mut self,
        presented: &Presented,
        checkpoint: &Checkpoint,
        options: &ScanOptions,
    ) -> Result<ScanOutcome, StoreError> {
        let device_time = self.clock.now();
        self.scan_at(presented, checkpoint, options, device_time)
    }

    /// [`ScanStation::scan`] with the device's clock reading given (tests, replays).
    pub fn scan_at(
        &mut self,
        presented: &Presented,
        checkpoint: &Checkpoint,
        options: &ScanOptions,
        device_time: Millis,
    ) -> Result<ScanOutcome, StoreError> {
        let conn = self.store.conn();
        let corrected_time = device_time + self.store.clock_offset()?;
        let zone = cache::zone(conn, checkpoint.zone_id)?.unwrap_or_else(|| Zone {
            // A checkpoint whose zone has not arrived yet: strictest rule, no capacity.
            id: checkpoint.zone_id,
            event_id: checkpoint.event_id,
            name: String::new(),
            capacity: None,
            multiple_entry: false,
        });

        let keys = cache::event_keys(conn, self.pairing.tenant_id, self.pairing.event_id)?;
        let (credential, lookup) = checkin::read(&keys, presented);
        let participant = match lookup {
            Some(Lookup::Id(id)) => cache::participant_by_id(conn, id)?,
            Some(Lookup::Code(code)) => cache::participant_by_code(conn, &code)?,
            None => None,
        };
        let history: Vec<PastScan> = match &participant {
            Some(p) => cache::history(conn, p.id)?
                .iter()
                .filter_map(AccessLog::as_past_scan)
                .collect(),
            None => Vec::new(),
        };
        let occupancy = cache::estimated_occupancy(conn, zone.id)?;
        let Recorded { decision, log } = checkin::check_in(&CheckIn {
            scan_id: ScanId(uuid::Uuid::now_v7()),
            credential: &credential,
            participant: participant.as_ref(),
            checkpoint,
            zone: &zone,
            history: &history,
            requested: options.requested,
            override_reason: options.override_reason.as_deref(),
            occupancy,
            device_id: Some(self.pairing.device_id),
            device_time,
            corrected_time,
        });
        record(&mut self.store, &log)?;
        Ok(ScanOutcome {
            decision,
            participant: participant.as_ref().map(ParticipantSummary::from),
            log,
        })
    }
}

/// Writes a local scan, its outbox entry and the occupancy counters in one transaction: after
/// `COMMIT` returns, the scan survives a killed process (see [`crate::store`]).
pub fn record(store: &mut Store, log: &AccessLog) -> Result<(), StoreError> {
    let tx = store
        .conn_mut()
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    cache::insert_access_log(&tx, log, true)?;
    outbox::enqueue(&tx, Kind::Scan, &log.id.to_string(), 1)?;
    cache::count_pass(&tx, log, true)?;
    tx.commit()?;
    Ok(())
}

impl Outgoing for AccessLog {
    const OUTBOX: Outbox = Outbox::Scans;
    type Id = ScanId;

    fn id(&self) -> ScanId {
        self.id
    }

    fn load(store: &Store, entry: &Entry) -> Result<Option<Self>, StoreError> {
        cache::access_log(store.conn(), &entry.id)
    }

    /// The queue and the scans in one join: the upload path reads thousands at a time.
    fn read_batch(store: &Store, after_seq: i64, limit: usize) -> Result<Batch<Self>, StoreError> {
        let mut batch = Batch {
            items: Vec::new(),
            last_seq: after_seq,
        };
        for (seq, log) in cache::queued_scans(store.conn(), after_seq, limit)? {
            batch.last_seq = seq;
            let entry = Entry {
                seq,
                kind: Kind::Scan,
                id: log.id.to_string(),
                revision: 1,
            };
            batch.items.push((entry, log));
        }
        Ok(batch)
    }
}
