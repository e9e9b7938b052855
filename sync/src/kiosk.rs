//! A kiosk's own records: attendees' visits ([`KioskSession`]) and the queue tickets it hands out
//! ([`QueueTicket`]), kept in the store and queued in the kiosk [`Outbox`].
//!
//! - They leave like scans: the sync engine uploads the kiosk outbox after the scans of each
//!   round (`POST /sync/v1/kiosk`), and a record leaves it only once the server has acknowledged
//!   it. A dead network, or a server that refuses kiosk records (the tenant has no
//!   `KIOSK_MODE`), loses nothing.
//! - A visit changes while the attendee is at the kiosk (checked in, then a badge, then a
//!   number). Each change raises its `revision` and queues it again; the outbox removes an
//!   acknowledged record only at the revision that was sent, so a change made during an upload
//!   is sent in the next one.
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
use crate::outbox::{self, Batch, Entry, Kind, Outbox, Outgoing};
use crate::store::{get_meta, parse_uuid, set_meta, Pairing, Store};

/// The `meta` key prefix of each desk's last number (the app's key since queue tickets began, so
/// numbering carries on across the upgrade).
pub const QUEUE_COUNTER_PREFIX: &str = "app_queue_";

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
    outbox::enqueue(
        &tx,
        Kind::KioskSession,
        &session.id.to_string(),
        session.revision,
    )?;
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
    outbox::enqueue(&tx, Kind::QueueTicket, &ticket.id.to_string(), 1)?;
    tx.commit()?;
    Ok(ticket)
}

/// A kiosk record as it waits in the kiosk outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KioskRecord {
    Session(KioskSession),
    Ticket(QueueTicket),
}

/// What the server's acknowledgement names a kiosk record by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KioskRecordId {
    Session(KioskSessionId),
    Ticket(QueueTicketId),
}

impl Outgoing for KioskRecord {
    const OUTBOX: Outbox = Outbox::Kiosk;
    type Id = KioskRecordId;

    fn id(&self) -> KioskRecordId {
        match self {
            KioskRecord::Session(s) => KioskRecordId::Session(s.id),
            KioskRecord::Ticket(t) => KioskRecordId::Ticket(t.id),
        }
    }

    fn load(store: &Store, entry: &Entry) -> Result<Option<Self>, StoreError> {
        let conn = store.conn();
        Ok(match entry.kind {
            Kind::KioskSession => session(conn, &entry.id)?.map(KioskRecord::Session),
            Kind::QueueTicket => ticket(conn, &entry.id)?.map(KioskRecord::Ticket),
            Kind::Scan => None,
        })
    }
}

/// The visits and the tickets of a batch, as the upload carries them.
pub fn split(batch: &Batch<KioskRecord>) -> (Vec<KioskSession>, Vec<QueueTicket>) {
    let (mut sessions, mut tickets) = (Vec::new(), Vec::new());
    for record in batch.records() {
        match record {
            KioskRecord::Session(s) => sessions.push(s.clone()),
            KioskRecord::Ticket(t) => tickets.push(t.clone()),
        }
    }
    (sessions, tickets)
}

/// The records a kiosk acknowledgement names.
pub fn acknowledged(ack: &KioskAck) -> impl Iterator<Item = KioskRecordId> + '_ {
    let sessions = ack.sessions.iter().copied().map(KioskRecordId::Session);
    sessions.chain(ack.tickets.iter().copied().map(KioskRecordId::Ticket))
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
