//! A kiosk's own records: attendees' visits ([`KioskSession`]) and the queue tickets it hands out
//! ([`QueueTicket`]), kept in the store and queued in a `kiosk_outbox` of their own.
//!
//! - They leave like scans: the sync engine uploads the outbox after the scans of each round
//!   (`POST /sync/v1/kiosk`), and a record leaves the outbox only once the server has
//!   acknowledged it. A dead network, or a server that refuses kiosk records (the tenant has no
//!   `KIOSK_MODE`), loses nothing.
//! - A visit changes while the attendee is at the kiosk (checked in, then a badge, then a
//!   number). Each change raises its `revision` and queues it again; an acknowledgement removes
//!   the outbox row only if it is still at the revision that was sent, so a change made during an
//!   upload is sent in the next one.
//! - None of this touches the scan path: a kiosk's check-in is a scan like any other, and its
//!   session is written in a transaction of its own after the scan's.

use gatehouse_core::kiosk::queue_label;
use gatehouse_core::protocol::KioskAck;
use gatehouse_core::{
    BadgeOutcome, DeviceId, EventId, Identification, KioskSession, KioskSessionId, Millis,
    ParticipantId, QueueTicket, QueueTicketId, ScanId, Verdict,
};
use rusqlite::{params, Connection, OptionalExtension, Row, TransactionBehavior};

use crate::error::StoreError;
use crate::store::{get_meta, parse_uuid, set_meta, Pairing, Store};

/// The `meta` key prefix of each desk's last number (the app's key since queue tickets began, so
/// numbering carries on across the upgrade).
pub const QUEUE_COUNTER_PREFIX: &str = "app_queue_";
/// `kiosk_outbox.kind` of a session.
const SESSION: &str = "session";
/// `kiosk_outbox.kind` of a queue ticket.
const TICKET: &str = "ticket";

/// A new visit, not yet stored: [`save_session`] stores it.
pub fn new_session(
    pairing: &Pairing,
    participant: Option<ParticipantId>,
    identified_by: Option<Identification>,
    now: Millis,
) -> KioskSession {
    KioskSession {
        id: KioskSessionId(uuid::Uuid::now_v7()),
        event_id: pairing.event_id,
        device_id: Some(pairing.device_id),
        participant_id: participant,
        identified_by,
        language: None,
        started_at: now,
        ended_at: None,
        scan_id: None,
        verdict: None,
        badge: None,
        queue_ticket_id: None,
        revision: 0,
    }
}

/// Stores the visit as it is now (raising its revision) and queues it for upload, in one
/// transaction.
pub fn save_session(store: &mut Store, session: &mut KioskSession) -> Result<(), StoreError> {
    session.revision = session.revision.saturating_add(1);
    let tx = store
        .conn_mut()
        .transaction_with_behavior(TransactionBehavior::Immediate)?;
    tx.prepare_cached(
        "INSERT INTO kiosk_sessions (id, event_id, device_id, participant_id, identified_by,
           language, started_at, ended_at, scan_id, verdict, badge, queue_ticket_id, revision)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
         ON CONFLICT (id) DO UPDATE SET participant_id = excluded.participant_id,
           identified_by = excluded.identified_by, language = excluded.language,
           ended_at = excluded.ended_at, scan_id = excluded.scan_id, verdict = excluded.verdict,
           badge = excluded.badge, queue_ticket_id = excluded.queue_ticket_id,
           revision = excluded.revision",
    )?
    .execute(params![
        session.id.to_string(),
        session.event_id.to_string(),
        session.device_id.map(|d| d.to_string()),
        session.participant_id.map(|p| p.to_string()),
        session.identified_by.map(Identification::as_str),
        session.language,
        session.started_at,
        session.ended_at,
        session.scan_id.map(|s| s.to_string()),
        session.verdict.map(Verdict::as_str),
        session.badge.map(BadgeOutcome::as_str),
        session.queue_ticket_id.map(|t| t.to_string()),
        session.revision,
    ])?;
    enqueue(&tx, SESSION, &session.id.to_string(), session.revision)?;
    tx.commit()?;
    Ok(())
}

/// Hands out the next number at `desk` (counted on this device), stores the ticket and queues it
/// for upload, in one transaction: a number is never given twice, nor lost. `series` is the
/// kiosk's queue series from its profile (empty for none), part of the label.
pub fn issue_queue_ticket(
    store: &mut Store,
    pairing: &Pairing,
    session: Option<KioskSessionId>,
    desk: &str,
    series: &str,
    now: Millis,
) -> Result<QueueTicket, StoreError> {
    let tx = store
        .conn_mut()
        .transaction_with_behavior(TransactionBehavior::Immediate)?;
    let counter = format!("{QUEUE_COUNTER_PREFIX}{}", desk.to_ascii_lowercase());
    let number = get_meta(&tx, &counter)?
        .and_then(|n| n.parse::<u32>().ok())
        .unwrap_or(0)
        .saturating_add(1);
    set_meta(&tx, &counter, &number.to_string())?;
    let ticket = QueueTicket {
        id: QueueTicketId(uuid::Uuid::now_v7()),
        event_id: pairing.event_id,
        device_id: Some(pairing.device_id),
        session_id: session,
        desk: desk.to_owned(),
        number,
        label: queue_label(desk, series, number),
        issued_at: now,
    };
    tx.prepare_cached(
        "INSERT INTO queue_tickets (id, event_id, device_id, session_id, desk, number, label,
           issued_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        ticket.id.to_string(),
        ticket.event_id.to_string(),
        ticket.device_id.map(|d| d.to_string()),
        ticket.session_id.map(|s| s.to_string()),
        ticket.desk,
        ticket.number,
        ticket.label,
        ticket.issued_at,
    ])?;
    enqueue(&tx, TICKET, &ticket.id.to_string(), 1)?;
    tx.commit()?;
    Ok(ticket)
}

fn enqueue(conn: &Connection, kind: &str, id: &str, revision: u32) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO kiosk_outbox (kind, record_id, revision) VALUES (?1, ?2, ?3)
         ON CONFLICT (kind, record_id) DO UPDATE SET revision = excluded.revision",
    )?
    .execute(params![kind, id, revision])?;
    Ok(())
}

/// Kiosk records (sessions and tickets) waiting for upload.
pub fn outbox_depth(store: &Store) -> Result<u64, StoreError> {
    Ok(store
        .conn()
        .prepare_cached("SELECT count(*) FROM kiosk_outbox")?
        .query_row([], |r| r.get::<_, i64>(0))? as u64)
}

/// Whether a session or ticket id is still waiting in the kiosk outbox.
pub fn is_queued(store: &Store, id: &str) -> Result<bool, StoreError> {
    Ok(store
        .conn()
        .prepare_cached("SELECT 1 FROM kiosk_outbox WHERE record_id = ?1")?
        .exists([id])?)
}

/// One upload's worth of the kiosk outbox, with what was sent at which revision.
#[derive(Debug, Clone, Default)]
pub struct KioskBatch {
    pub sessions: Vec<KioskSession>,
    pub tickets: Vec<QueueTicket>,
    /// The outbox position of the last record in the batch.
    pub last_seq: i64,
}

impl KioskBatch {
    pub fn is_empty(&self) -> bool {
        self.sessions.is_empty() && self.tickets.is_empty()
    }
}

/// The next `limit` queued kiosk records after outbox position `after_seq`.
pub fn outbox_batch(store: &Store, after_seq: i64, limit: usize) -> Result<KioskBatch, StoreError> {
    let conn = store.conn();
    let queued: Vec<(i64, String, String)> = conn
        .prepare_cached(
            "SELECT seq, kind, record_id FROM kiosk_outbox WHERE seq > ?1 ORDER BY seq LIMIT ?2",
        )?
        .query_map(params![after_seq, limit as i64], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })?
        .collect::<Result<_, _>>()?;
    let mut batch = KioskBatch {
        last_seq: after_seq,
        ..KioskBatch::default()
    };
    for (seq, kind, id) in queued {
        batch.last_seq = seq;
        match kind.as_str() {
            SESSION => batch.sessions.extend(session(conn, &id)?),
            TICKET => batch.tickets.extend(ticket(conn, &id)?),
            other => {
                return Err(StoreError::Corrupt {
                    what: "kiosk outbox kind",
                    detail: other.to_owned(),
                })
            }
        }
    }
    Ok(batch)
}

/// Removes what the server acknowledged from the outbox, unless it changed since it was sent.
pub fn acknowledge(store: &mut Store, sent: &KioskBatch, ack: &KioskAck) -> Result<(), StoreError> {
    let tx = store
        .conn_mut()
        .transaction_with_behavior(TransactionBehavior::Immediate)?;
    {
        let mut delete = tx.prepare_cached(
            "DELETE FROM kiosk_outbox WHERE kind = ?1 AND record_id = ?2 AND revision = ?3",
        )?;
        for s in sent
            .sessions
            .iter()
            .filter(|s| ack.sessions.contains(&s.id))
        {
            delete.execute(params![SESSION, s.id.to_string(), s.revision])?;
        }
        for t in sent.tickets.iter().filter(|t| ack.tickets.contains(&t.id)) {
            delete.execute(params![TICKET, t.id.to_string(), 1])?;
        }
    }
    tx.commit()?;
    Ok(())
}

const SESSION_COLUMNS: &str = "id, event_id, device_id, participant_id, identified_by, language,
    started_at, ended_at, scan_id, verdict, badge, queue_ticket_id, revision";
const TICKET_COLUMNS: &str = "id, event_id, device_id, session_id, desk, number, label, issued_at";

fn session(conn: &Connection, id: &str) -> Result<Option<KioskSession>, StoreError> {
    conn.prepare_cached(&format!(
        "SELECT {SESSION_COLUMNS} FROM kiosk_sessions WHERE id = ?1"
    ))?
    .query_row([id], session_from_row)
    .optional()?
    .transpose()
}

fn ticket(conn: &Connection, id: &str) -> Result<Option<QueueTicket>, StoreError> {
    conn.prepare_cached(&format!(
        "SELECT {TICKET_COLUMNS} FROM queue_tickets WHERE id = ?1"
    ))?
    .query_row([id], ticket_from_row)
    .optional()?
    .transpose()
}

/// Every visit this kiosk recorded, oldest first.
pub fn sessions(store: &Store) -> Result<Vec<KioskSession>, StoreError> {
    let mut stmt = store.conn().prepare(&format!(
        "SELECT {SESSION_COLUMNS} FROM kiosk_sessions ORDER BY started_at, id"
    ))?;
    let rows = stmt.query_map([], session_from_row)?;
    let mut out = Vec::new();
    for row in rows {
        out.push(row??);
    }
    Ok(out)
}

/// Every queue ticket this kiosk handed out, oldest first.
pub fn tickets(store: &Store) -> Result<Vec<QueueTicket>, StoreError> {
    let mut stmt = store.conn().prepare(&format!(
        "SELECT {TICKET_COLUMNS} FROM queue_tickets ORDER BY issued_at, id"
    ))?;
    let rows = stmt.query_map([], ticket_from_row)?;
    let mut out = Vec::new();
    for row in rows {
        out.push(row??);
    }
    Ok(out)
}

fn corrupt(what: &'static str, v: &str) -> StoreError {
    StoreError::Corrupt {
        what,
        detail: v.to_owned(),
    }
}

fn opt_id<T>(
    what: &'static str,
    v: Option<String>,
    wrap: fn(uuid::Uuid) -> T,
) -> Result<Option<T>, StoreError> {
    v.as_deref()
        .map(|s| parse_uuid(what, s).map(wrap))
        .transpose()
}

fn session_from_row(r: &Row<'_>) -> rusqlite::Result<Result<KioskSession, StoreError>> {
    let id: String = r.get(0)?;
    let event: String = r.get(1)?;
    let device: Option<String> = r.get(2)?;
    let participant: Option<String> = r.get(3)?;
    let identified_by: Option<String> = r.get(4)?;
    let language: Option<String> = r.get(5)?;
    let started_at: Millis = r.get(6)?;
    let ended_at: Option<Millis> = r.get(7)?;
    let scan: Option<String> = r.get(8)?;
    let verdict: Option<String> = r.get(9)?;
    let badge: Option<String> = r.get(10)?;
    let queue_ticket: Option<String> = r.get(11)?;
    let revision: u32 = r.get(12)?;
    let build = || -> Result<KioskSession, StoreError> {
        Ok(KioskSession {
            id: KioskSessionId(parse_uuid("kiosk session id", &id)?),
            event_id: EventId(parse_uuid("kiosk session event", &event)?),
            device_id: opt_id("kiosk session device", device, DeviceId)?,
            participant_id: opt_id("kiosk session participant", participant, ParticipantId)?,
            identified_by: identified_by
                .as_deref()
                .map(|i| Identification::parse(i).ok_or_else(|| corrupt("identification", i)))
                .transpose()?,
            language,
            started_at,
            ended_at,
            scan_id: opt_id("kiosk session scan", scan, ScanId)?,
            verdict: verdict
                .as_deref()
                .map(|v| Verdict::parse(v).ok_or_else(|| corrupt("kiosk session verdict", v)))
                .transpose()?,
            badge: badge
                .as_deref()
                .map(|b| BadgeOutcome::parse(b).ok_or_else(|| corrupt("badge outcome", b)))
                .transpose()?,
            queue_ticket_id: opt_id("kiosk session ticket", queue_ticket, QueueTicketId)?,
            revision,
        })
    };
    Ok(build())
}

fn ticket_from_row(r: &Row<'_>) -> rusqlite::Result<Result<QueueTicket, StoreError>> {
    let id: String = r.get(0)?;
    let event: String = r.get(1)?;
    let device: Option<String> = r.get(2)?;
    let session: Option<String> = r.get(3)?;
    let desk: String = r.get(4)?;
    let number: u32 = r.get(5)?;
    let label: String = r.get(6)?;
    let issued_at: Millis = r.get(7)?;
    let build = || -> Result<QueueTicket, StoreError> {
        Ok(QueueTicket {
            id: QueueTicketId(parse_uuid("queue ticket id", &id)?),
            event_id: EventId(parse_uuid("queue ticket event", &event)?),
            device_id: opt_id("queue ticket device", device, DeviceId)?,
            session_id: opt_id("queue ticket session", session, KioskSessionId)?,
            desk,
            number,
            label,
            issued_at,
        })
    };
    Ok(build())
}
