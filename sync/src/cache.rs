//! The participant cache and the rest of what the feed brings down (zones, checkpoints, keys,
//! other gates' scans): how each [`Change`] lands in the store, and the indexed look-ups the
//! scan path makes. Every query here is a prepared, cached statement on an index.
//!
//! Outside this crate the look-ups are [`Store`] methods (the connection stays private): one
//! participant, a checkpoint, a zone, the key ring, occupancy, this gate's own scans, and the
//! [directory](Store::directory) a name search is built from.

use gatehouse_core::protocol::Change;
use gatehouse_core::{
    AccessLog, Checkpoint, CheckpointId, Direction, EventId, EventKeys, Movement, Participant,
    ParticipantId, ParticipantStatus, Reason, RegistrationCode, ScanId, TenantId, TicketKey,
    Verdict, Zone, ZoneId,
};
use rusqlite::{params, Connection, OptionalExtension, Row};

use crate::error::StoreError;
use crate::store::{parse_uuid, Store};

/// One participant as a name search needs them: who, how to tell them apart, and the check a
/// date of birth is confirmed with. Nothing a scan decides on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectoryEntry {
    pub id: ParticipantId,
    pub full_name: String,
    /// `None` for none (an empty organisation too).
    pub organisation: Option<String>,
    pub category: String,
    pub registration_code: String,
    pub status: ParticipantStatus,
    /// [`gatehouse_core::birth_check`] of the participant's date of birth, when the server
    /// knows it.
    pub birth_check: Option<String>,
}

/// The cache's look-ups, for callers outside this crate.
impl Store {
    /// The cached participant with this id.
    pub fn participant(&self, id: ParticipantId) -> Result<Option<Participant>, StoreError> {
        participant_by_id(self.conn(), id)
    }

    /// How many participants the cache holds.
    pub fn participant_count(&self) -> Result<u64, StoreError> {
        participant_count(self.conn())
    }

    /// Every cached participant as a name search lists them, in no particular order.
    pub fn directory(&self) -> Result<Vec<DirectoryEntry>, StoreError> {
        let mut stmt = self.conn().prepare(
            "SELECT id, full_name, organisation, category, registration_code, status, birth_check
             FROM participants",
        )?;
        let rows = stmt.query_map([], |r| {
            let (id, status): (String, String) = (r.get(0)?, r.get(5)?);
            let entry = DirectoryEntry {
                id: ParticipantId(uuid::Uuid::nil()),
                full_name: r.get(1)?,
                organisation: r.get::<_, Option<String>>(2)?.filter(|o| !o.is_empty()),
                category: r.get(3)?,
                registration_code: r.get(4)?,
                status: ParticipantStatus::Pending,
                birth_check: r.get(6)?,
            };
            Ok((id, status, entry))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, status, entry) = row?;
            out.push(DirectoryEntry {
                id: ParticipantId(parse_uuid("participant id", &id)?),
                status: ParticipantStatus::parse(&status).ok_or(StoreError::Corrupt {
                    what: "participant status",
                    detail: status,
                })?,
                ..entry
            });
        }
        Ok(out)
    }

    /// What the [directory](Self::directory) was read at: the feed cursor and the number of
    /// participants. It changes whenever the directory may have.
    pub fn directory_version(&self) -> Result<(i64, u64), StoreError> {
        Ok((self.cursor()?, self.participant_count()?))
    }

    /// A checkpoint by its id or, failing that, its name (names are what staff type).
    pub fn checkpoint(&self, name_or_id: &str) -> Result<Checkpoint, StoreError> {
        checkpoint(self.conn(), name_or_id)
    }

    /// Every cached checkpoint, by name.
    pub fn checkpoints(&self) -> Result<Vec<Checkpoint>, StoreError> {
        checkpoints(self.conn())
    }

    /// A zone by id.
    pub fn zone(&self, id: ZoneId) -> Result<Option<Zone>, StoreError> {
        zone(self.conn(), id)
    }

    /// The event's ticket key ring as this device holds it.
    pub fn event_keys(&self, tenant: TenantId, event: EventId) -> Result<EventKeys, StoreError> {
        event_keys(self.conn(), tenant, event)
    }

    /// People in a zone as far as this device knows (every gate's passes it has seen); `None`
    /// before the first pass.
    pub fn estimated_occupancy(&self, zone: ZoneId) -> Result<Option<u32>, StoreError> {
        estimated_occupancy(self.conn(), zone)
    }

    /// This device's own scans, oldest first, each with whether the server flagged it as an
    /// offline duplicate.
    pub fn local_scans(&self) -> Result<Vec<(AccessLog, bool)>, StoreError> {
        local_scans(self.conn())
    }
}

/// Applies one change from the feed. `this_device` lets the echo of our own scans be skipped.
pub(crate) fn apply_change(conn: &Connection, change: &Change) -> Result<(), StoreError> {
    match change {
        Change::Zone(z) => {
            conn.prepare_cached(
                "INSERT INTO zones (id, event_id, name, capacity, multiple_entry)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (id) DO UPDATE SET event_id = excluded.event_id,
                   name = excluded.name, capacity = excluded.capacity,
                   multiple_entry = excluded.multiple_entry",
            )?
            .execute(params![
                z.id.to_string(),
                z.event_id.to_string(),
                z.name,
                z.capacity,
                z.multiple_entry
            ])?;
        }
        Change::Checkpoint(c) => {
            conn.prepare_cached(
                "INSERT INTO checkpoints (id, event_id, zone_id, name, direction, active)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (id) DO UPDATE SET event_id = excluded.event_id,
                   zone_id = excluded.zone_id, name = excluded.name,
                   direction = excluded.direction, active = excluded.active",
            )?
            .execute(params![
                c.id.to_string(),
                c.event_id.to_string(),
                c.zone_id.to_string(),
                c.name,
                c.direction.as_str(),
                c.active
            ])?;
        }
        Change::Participant(p) => upsert_participant(conn, p)?,
        Change::ParticipantRemoved { id } => {
            conn.prepare_cached("DELETE FROM participants WHERE id = ?1")?
                .execute([id.to_string()])?;
        }
        Change::Key(k) => {
            if k.retired {
                conn.prepare_cached("DELETE FROM ticket_keys WHERE key_id = ?1")?
                    .execute([k.key_id])?;
            } else {
                if TicketKey::from_hex(k.key_id, &k.secret_hex).is_none() {
                    return Err(StoreError::Corrupt {
                        what: "ticket key from the feed",
                        detail: format!("key {} is not 64 hex digits", k.key_id),
                    });
                }
                conn.prepare_cached(
                    "INSERT INTO ticket_keys (key_id, secret_hex) VALUES (?1, ?2)
                     ON CONFLICT (key_id) DO UPDATE SET secret_hex = excluded.secret_hex",
                )?
                .execute(params![k.key_id, k.secret_hex])?;
            }
        }
        Change::Scan(log) => {
            if insert_access_log(conn, log, false)? {
                count_pass(conn, log, false)?;
            }
        }
    }
    Ok(())
}

/// The canonical form a registration code is stored and looked up in.
pub fn canonical_code(text: &str) -> String {
    RegistrationCode::parse(text)
        .map(|c| c.as_str().to_owned())
        .unwrap_or_else(|_| text.trim().to_ascii_uppercase())
}

pub(crate) fn upsert_participant(conn: &Connection, p: &Participant) -> Result<(), StoreError> {
    let zones: Vec<String> = p.zones.iter().map(ZoneId::to_string).collect();
    conn.prepare_cached(
        "INSERT INTO participants (id, event_id, full_name, organisation, category, status, zones,
           valid_from, valid_until, credential_seq, blocked, registration_code, birth_check)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
         ON CONFLICT (id) DO UPDATE SET event_id = excluded.event_id,
           full_name = excluded.full_name, organisation = excluded.organisation,
           category = excluded.category, status = excluded.status, zones = excluded.zones,
           valid_from = excluded.valid_from, valid_until = excluded.valid_until,
           credential_seq = excluded.credential_seq, blocked = excluded.blocked,
           registration_code = excluded.registration_code, birth_check = excluded.birth_check",
    )?
    .execute(params![
        p.id.to_string(),
        p.event_id.to_string(),
        p.full_name,
        p.organisation,
        p.category,
        p.status.as_str(),
        zones.join(","),
        p.valid_from,
        p.valid_until,
        p.credential_seq,
        p.blocked,
        canonical_code(&p.registration_code),
        p.birth_check,
    ])?;
    Ok(())
}

const PARTICIPANT_COLUMNS: &str = "id, event_id, full_name, organisation, category, status, zones,
    valid_from, valid_until, credential_seq, blocked, registration_code, birth_check";

fn participant_from_row(r: &Row<'_>) -> rusqlite::Result<Result<Participant, StoreError>> {
    let id: String = r.get(0)?;
    let event: String = r.get(1)?;
    let status: String = r.get(5)?;
    let zones: String = r.get(6)?;
    let build = || -> Result<Participant, StoreError> {
        let zones = zones
            .split(',')
            .filter(|z| !z.is_empty())
            .map(|z| parse_uuid("participant zone", z).map(ZoneId))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Participant {
            id: ParticipantId(parse_uuid("participant id", &id)?),
            event_id: EventId(parse_uuid("participant event", &event)?),
            full_name: String::new(),
            organisation: None,
            category: String::new(),
            status: ParticipantStatus::parse(&status).ok_or_else(|| StoreError::Corrupt {
                what: "participant status",
                detail: status.clone(),
            })?,
            zones,
            valid_from: None,
            valid_until: None,
            credential_seq: 0,
            blocked: false,
            registration_code: String::new(),
            birth_check: None,
        })
    };
    let mut p = match build() {
        Ok(p) => p,
        Err(e) => return Ok(Err(e)),
    };
    p.full_name = r.get(2)?;
    p.organisation = r.get(3)?;
    p.category = r.get(4)?;
    p.valid_from = r.get(7)?;
    p.valid_until = r.get(8)?;
    p.credential_seq = r.get(9)?;
    p.blocked = r.get(10)?;
    p.registration_code = r.get(11)?;
    p.birth_check = r.get(12)?;
    Ok(Ok(p))
}

/// The cached participant with this id.
pub(crate) fn participant_by_id(
    conn: &Connection,
    id: ParticipantId,
) -> Result<Option<Participant>, StoreError> {
    conn.prepare_cached(&format!(
        "SELECT {PARTICIPANT_COLUMNS} FROM participants WHERE id = ?1"
    ))?
    .query_row([id.to_string()], participant_from_row)
    .optional()?
    .transpose()
}

/// The cached participant holding this (canonical) registration code.
pub(crate) fn participant_by_code(
    conn: &Connection,
    code: &RegistrationCode,
) -> Result<Option<Participant>, StoreError> {
    conn.prepare_cached(&format!(
        "SELECT {PARTICIPANT_COLUMNS} FROM participants WHERE registration_code = ?1"
    ))?
    .query_row([code.as_str()], participant_from_row)
    .optional()?
    .transpose()
}

pub(crate) fn participant_count(conn: &Connection) -> Result<u64, StoreError> {
    Ok(conn
        .prepare_cached("SELECT count(*) FROM participants")?
        .query_row([], |r| r.get::<_, i64>(0))? as u64)
}

/// A checkpoint by its id or, failing that, its name (names are what staff type).
pub(crate) fn checkpoint(conn: &Connection, name_or_id: &str) -> Result<Checkpoint, StoreError> {
    let row = conn
        .prepare_cached(
            "SELECT id, event_id, zone_id, name, direction, active FROM checkpoints
             WHERE id = ?1 OR name = ?1 ORDER BY id = ?1 DESC LIMIT 1",
        )?
        .query_row([name_or_id.trim()], |r| {
            Ok(CheckpointRow {
                id: r.get(0)?,
                event: r.get(1)?,
                zone: r.get(2)?,
                name: r.get(3)?,
                direction: r.get(4)?,
                active: r.get(5)?,
            })
        })
        .optional()?;
    let Some(CheckpointRow {
        id,
        event,
        zone,
        name,
        direction,
        active,
    }) = row
    else {
        return Err(StoreError::UnknownCheckpoint(name_or_id.to_owned()));
    };
    Ok(Checkpoint {
        id: CheckpointId(parse_uuid("checkpoint id", &id)?),
        event_id: EventId(parse_uuid("checkpoint event", &event)?),
        zone_id: ZoneId(parse_uuid("checkpoint zone", &zone)?),
        name,
        direction: Direction::parse(&direction).ok_or_else(|| StoreError::Corrupt {
            what: "checkpoint direction",
            detail: direction.clone(),
        })?,
        active,
    })
}

struct CheckpointRow {
    id: String,
    event: String,
    zone: String,
    name: String,
    direction: String,
    active: bool,
}

/// Every cached checkpoint, by name.
pub(crate) fn checkpoints(conn: &Connection) -> Result<Vec<Checkpoint>, StoreError> {
    let ids: Vec<String> = conn
        .prepare_cached("SELECT id FROM checkpoints ORDER BY name")?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    ids.iter().map(|id| checkpoint(conn, id)).collect()
}

/// A zone by id.
pub(crate) fn zone(conn: &Connection, id: ZoneId) -> Result<Option<Zone>, StoreError> {
    let row = conn
        .prepare_cached("SELECT event_id, name, capacity, multiple_entry FROM zones WHERE id = ?1")?
        .query_row([id.to_string()], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Option<u32>>(2)?,
                r.get::<_, bool>(3)?,
            ))
        })
        .optional()?;
    row.map(|(event, name, capacity, multiple_entry)| {
        Ok(Zone {
            id,
            event_id: EventId(parse_uuid("zone event", &event)?),
            name,
            capacity,
            multiple_entry,
        })
    })
    .transpose()
}

/// The event's ticket key ring as this gate holds it.
pub(crate) fn event_keys(
    conn: &Connection,
    tenant: TenantId,
    event: EventId,
) -> Result<EventKeys, StoreError> {
    let mut ring = EventKeys::new(tenant, event);
    let mut stmt = conn.prepare_cached("SELECT key_id, secret_hex FROM ticket_keys")?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, u16>(0)?, r.get::<_, String>(1)?)))?;
    for row in rows {
        let (id, hex) = row?;
        let key = TicketKey::from_hex(id, &hex).ok_or_else(|| StoreError::Corrupt {
            what: "ticket key",
            detail: format!("key {id}"),
        })?;
        ring.insert(key);
    }
    Ok(ring)
}

/// Records a scan (own or another gate's). Returns false when the id was already known.
pub(crate) fn insert_access_log(
    conn: &Connection,
    log: &AccessLog,
    local: bool,
) -> Result<bool, StoreError> {
    let n = conn
        .prepare_cached(
            "INSERT INTO access_log (id, event_id, checkpoint_id, zone_id, device_id,
               participant_id, credential_seq, movement, verdict, reason, override_reason,
               device_time, corrected_time, local)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)
             ON CONFLICT (id) DO NOTHING",
        )?
        .execute(params![
            log.id.to_string(),
            log.event_id.to_string(),
            log.checkpoint_id.to_string(),
            log.zone_id.to_string(),
            log.device_id.map(|d| d.to_string()),
            log.participant_id.map(|p| p.to_string()),
            log.credential_seq,
            log.movement.map(Movement::as_str),
            log.verdict.as_str(),
            log.reason.code(),
            log.override_reason,
            log.device_time,
            log.corrected_time,
            local,
        ])?;
    Ok(n == 1)
}

/// Counts an admitted pass: in this device's own counters when `local`, always in the estimate
/// of who is inside.
pub(crate) fn count_pass(
    conn: &Connection,
    log: &AccessLog,
    local: bool,
) -> Result<(), StoreError> {
    let Some(movement) = log.movement.filter(|_| log.admitted()) else {
        return Ok(());
    };
    let (ins, outs) = match movement {
        Movement::In => (1, 0),
        Movement::Out => (0, 1),
    };
    let (own_ins, own_outs) = if local { (ins, outs) } else { (0, 0) };
    conn.prepare_cached(
        "INSERT INTO occupancy (zone_id, ins, outs, seen_ins, seen_outs) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (zone_id) DO UPDATE SET ins = ins + excluded.ins, outs = outs + excluded.outs,
           seen_ins = seen_ins + excluded.seen_ins, seen_outs = seen_outs + excluded.seen_outs",
    )?
    .execute(params![log.zone_id.to_string(), own_ins, own_outs, ins, outs])?;
    Ok(())
}

/// People in a zone as far as this gate knows (every gate's passes it has seen).
pub(crate) fn estimated_occupancy(
    conn: &Connection,
    zone: ZoneId,
) -> Result<Option<u32>, StoreError> {
    Ok(conn
        .prepare_cached("SELECT max(seen_ins - seen_outs, 0) FROM occupancy WHERE zone_id = ?1")?
        .query_row([zone.to_string()], |r| r.get::<_, i64>(0))
        .optional()?
        .map(|n| u32::try_from(n).unwrap_or(u32::MAX)))
}

pub(crate) const ACCESS_LOG_COLUMNS: &str =
    "id, event_id, checkpoint_id, zone_id, device_id, participant_id,
    credential_seq, movement, verdict, reason, override_reason, device_time, corrected_time";

/// Reads one `access_log` row selected with [`ACCESS_LOG_COLUMNS`].
pub(crate) fn access_log_from_row(r: &Row<'_>) -> rusqlite::Result<Result<AccessLog, StoreError>> {
    let text = |i| r.get::<_, String>(i);
    let opt = |i| r.get::<_, Option<String>>(i);
    let (id, event, checkpoint, zone) = (text(0)?, text(1)?, text(2)?, text(3)?);
    let (device, participant, movement) = (opt(4)?, opt(5)?, opt(7)?);
    let (verdict, reason) = (text(8)?, text(9)?);
    let credential_seq: Option<u16> = r.get(6)?;
    let override_reason = opt(10)?;
    let device_time = r.get(11)?;
    let corrected_time = r.get(12)?;
    let build = || -> Result<AccessLog, StoreError> {
        let corrupt = |what: &'static str, v: &str| StoreError::Corrupt {
            what,
            detail: v.to_owned(),
        };
        Ok(AccessLog {
            id: ScanId(parse_uuid("scan id", &id)?),
            event_id: EventId(parse_uuid("scan event", &event)?),
            checkpoint_id: CheckpointId(parse_uuid("scan checkpoint", &checkpoint)?),
            zone_id: ZoneId(parse_uuid("scan zone", &zone)?),
            device_id: device
                .as_deref()
                .map(|d| parse_uuid("scan device", d).map(gatehouse_core::DeviceId))
                .transpose()?,
            participant_id: participant
                .as_deref()
                .map(|p| parse_uuid("scan participant", p).map(ParticipantId))
                .transpose()?,
            credential_seq,
            movement: movement
                .as_deref()
                .map(|m| Movement::parse(m).ok_or_else(|| corrupt("scan movement", m)))
                .transpose()?,
            verdict: Verdict::parse(&verdict).ok_or_else(|| corrupt("scan verdict", &verdict))?,
            reason: Reason::parse(&reason).ok_or_else(|| corrupt("scan reason", &reason))?,
            override_reason: override_reason.clone(),
            device_time,
            corrected_time,
        })
    };
    Ok(build())
}

/// One scan by id.
pub(crate) fn access_log(conn: &Connection, id: &str) -> Result<Option<AccessLog>, StoreError> {
    conn.prepare_cached(&format!(
        "SELECT {ACCESS_LOG_COLUMNS} FROM access_log WHERE id = ?1"
    ))?
    .query_row([id], access_log_from_row)
    .optional()?
    .transpose()
}

/// The next `limit` scans of the scan outbox after position `after_seq`, with their positions,
/// oldest first.
pub(crate) fn queued_scans(
    conn: &Connection,
    after_seq: i64,
    limit: usize,
) -> Result<Vec<(i64, AccessLog)>, StoreError> {
    let cols = ACCESS_LOG_COLUMNS
        .split(',')
        .map(|c| format!("a.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ");
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {cols}, o.seq FROM outbox o JOIN access_log a ON a.id = o.scan_id
         WHERE o.seq > ?1 ORDER BY o.seq LIMIT ?2"
    ))?;
    let rows = stmt.query_map(params![after_seq, limit as i64], |r| {
        Ok((r.get::<_, i64>(13)?, access_log_from_row(r)?))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (seq, log) = row?;
        out.push((seq, log?));
    }
    Ok(out)
}

/// Every scan of a participant this gate knows, its own and other gates'.
pub(crate) fn history(
    conn: &Connection,
    participant: ParticipantId,
) -> Result<Vec<AccessLog>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {ACCESS_LOG_COLUMNS} FROM access_log WHERE participant_id = ?1"
    ))?;
    let rows = stmt.query_map([participant.to_string()], access_log_from_row)?;
    let mut out = Vec::new();
    for row in rows {
        out.push(row??);
    }
    Ok(out)
}

/// This gate's own scans, oldest first (the evidence export).
pub(crate) fn local_scans(conn: &Connection) -> Result<Vec<(AccessLog, bool)>, StoreError> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {ACCESS_LOG_COLUMNS}, offline_duplicate FROM access_log WHERE local = 1
         ORDER BY corrected_time, id"
    ))?;
    let rows = stmt.query_map([], |r| Ok((access_log_from_row(r)?, r.get::<_, bool>(13)?)))?;
    let mut out = Vec::new();
    for row in rows {
        let (log, dup) = row?;
        out.push((log?, dup));
    }
    Ok(out)
}
