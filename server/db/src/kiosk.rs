//! Kiosk records: attendees' visits (`kiosk_sessions`) and the queue tickets kiosks hand out
//! (`queue_tickets`), as the devices upload them, plus what the dashboard reads of them.
//!
//! Ids are made on the kiosk (UUIDv7), so an upload can be repeated: a visit is upserted and
//! keeps the highest `revision` the kiosk sent; a ticket is inserted once and its desk status
//! (`waiting`, `served`, `cancelled`) belongs to the server from then on. Ids are unique per
//! tenant (the keys are `(tenant_id, id)`), so another tenant's row never hides one of ours; an id
//! that is already another device's row of the tenant is left alone, and [`held_by_device`] tells
//! the upload which ids it may acknowledge.

use std::collections::HashSet;

use gatehouse_core::{DeviceId, EventId, KioskSession, QueueTicket, QueueTicketId, TenantId};
use serde::Serialize;
use sqlx::{Decode, Row, Type};

use super::{exec_tx, on_pool, on_tx, parse_id, Db, Tx};

/// A queue ticket's place at its desk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TicketStatus {
    Waiting,
    Served,
    Cancelled,
}

impl TicketStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            TicketStatus::Waiting => "waiting",
            TicketStatus::Served => "served",
            TicketStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "waiting" => Some(TicketStatus::Waiting),
            "served" => Some(TicketStatus::Served),
            "cancelled" => Some(TicketStatus::Cancelled),
            _ => None,
        }
    }
}

/// Stores uploaded visits of `device`, each unless the server holds it at the same or a newer
/// revision.
pub async fn upsert_sessions(
    tx: &mut Tx,
    tenant: TenantId,
    device: DeviceId,
    sessions: &[KioskSession],
    now: i64,
) -> Result<(), sqlx::Error> {
    for s in sessions {
        exec_tx!(tx, c => sqlx::query(
            "INSERT INTO kiosk_sessions (id, tenant_id, event_id, device_id, participant_id, \
             identified_by, language, started_at, ended_at, scan_id, verdict, outcome, badge, \
             queue_ticket_id, revision, received_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) \
             ON CONFLICT (tenant_id, id) DO UPDATE SET participant_id = excluded.participant_id, \
             identified_by = excluded.identified_by, language = excluded.language, \
             ended_at = excluded.ended_at, scan_id = excluded.scan_id, verdict = excluded.verdict, \
             outcome = excluded.outcome, badge = excluded.badge, \
             queue_ticket_id = excluded.queue_ticket_id, revision = excluded.revision, \
             received_at = excluded.received_at \
             WHERE kiosk_sessions.device_id = excluded.device_id \
             AND kiosk_sessions.revision < excluded.revision",
        )
        .bind(s.id.to_string())
        .bind(tenant.to_string())
        .bind(s.event_id.to_string())
        .bind(device.to_string())
        .bind(s.participant_id.map(|p| p.to_string()))
        .bind(s.identified_by.map(|i| i.as_str()))
        .bind(s.language.as_deref())
        .bind(s.started_at)
        .bind(s.ended_at)
        .bind(s.scan_id.map(|id| id.to_string()))
        .bind(s.verdict.map(|v| v.as_str()))
        .bind(s.outcome())
        .bind(s.badge.map(|b| b.as_str()))
        .bind(s.queue_ticket_id.map(|t| t.to_string()))
        .bind(i64::from(s.revision))
        .bind(now)
        .execute(c)
        .await)?;
    }
    Ok(())
}

/// Stores uploaded tickets of `device` that the server does not hold yet, as `waiting`.
pub async fn insert_tickets(
    tx: &mut Tx,
    tenant: TenantId,
    device: DeviceId,
    tickets: &[QueueTicket],
    now: i64,
) -> Result<(), sqlx::Error> {
    for t in tickets {
        exec_tx!(tx, c => sqlx::query(
            "INSERT INTO queue_tickets (id, tenant_id, event_id, device_id, session_id, desk, \
             number, label, issued_at, status, received_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
             ON CONFLICT (tenant_id, id) DO NOTHING",
        )
        .bind(t.id.to_string())
        .bind(tenant.to_string())
        .bind(t.event_id.to_string())
        .bind(device.to_string())
        .bind(t.session_id.map(|s| s.to_string()))
        .bind(&t.desk)
        .bind(i64::from(t.number))
        .bind(&t.label)
        .bind(t.issued_at)
        .bind(TicketStatus::Waiting.as_str())
        .bind(now)
        .execute(c)
        .await)?;
    }
    Ok(())
}

/// A kind of kiosk record, by the table that holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Record {
    Visit,
    QueueTicket,
}

impl Record {
    fn table(self) -> &'static str {
        match self {
            Record::Visit => "kiosk_sessions",
            Record::QueueTicket => "queue_tickets",
        }
    }
}

/// Of `ids`, those the tenant holds as records of this kind that `device` made: what its upload
/// may acknowledge as stored.
pub async fn held_by_device(
    tx: &mut Tx,
    tenant: TenantId,
    device: DeviceId,
    record: Record,
    ids: &[String],
) -> Result<HashSet<String>, sqlx::Error> {
    let mut held = HashSet::new();
    for chunk in ids.chunks(LOOKUP_CHUNK) {
        let rows: Vec<(String,)> = on_tx!(tx, c => {
            let mut qb = sqlx::QueryBuilder::new(format!(
                "SELECT id FROM {} WHERE tenant_id = ",
                record.table()
            ));
            qb.push_bind(tenant.to_string())
                .push(" AND device_id = ")
                .push_bind(device.to_string())
                .push(" AND id IN (");
            let mut list = qb.separated(", ");
            for id in chunk {
                list.push_bind(id.clone());
            }
            qb.push(")");
            qb.build_query_as::<(String,)>().fetch_all(c).await
        })?;
        held.extend(rows.into_iter().map(|(id,)| id));
    }
    Ok(held)
}

/// Ids per `IN (...)` list.
const LOOKUP_CHUNK: usize = 500;

/// What the device said with its kiosk upload: its mode and its kiosk outbox.
pub async fn record_report(
    tx: &mut Tx,
    tenant: TenantId,
    device: DeviceId,
    mode: &str,
    kiosk_outbox_depth: i64,
    now: i64,
) -> Result<(), sqlx::Error> {
    exec_tx!(tx, c => sqlx::query(
        "UPDATE devices SET mode = $1, kiosk_outbox_depth = $2, last_seen_at = $3 \
         WHERE tenant_id = $4 AND id = $5",
    )
    .bind(mode)
    .bind(kiosk_outbox_depth)
    .bind(now)
    .bind(tenant.to_string())
    .bind(device.to_string())
    .execute(c)
    .await)?;
    Ok(())
}

/// A kiosk as the dashboard lists it, with its visits since `since`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct KioskDevice {
    pub id: DeviceId,
    pub event_id: EventId,
    pub name: String,
    pub profile: Option<String>,
    pub revoked: bool,
    pub last_seen_at: Option<i64>,
    pub kiosk_outbox_depth: Option<i64>,
    pub sessions: i64,
    pub checked_in: i64,
    pub badges: i64,
    pub tickets: i64,
}

/// The tenant's kiosks: devices that said they run in kiosk mode or uploaded a visit.
pub async fn devices(
    db: &Db,
    tenant: TenantId,
    since: i64,
) -> Result<Vec<KioskDevice>, sqlx::Error> {
    let sql = "SELECT d.id, d.event_id, d.name, d.profile, d.revoked_at, d.last_seen_at, \
         d.kiosk_outbox_depth, \
         (SELECT count(*) FROM kiosk_sessions s WHERE s.tenant_id = d.tenant_id \
            AND s.device_id = d.id AND s.started_at >= $2), \
         (SELECT count(*) FROM kiosk_sessions s WHERE s.tenant_id = d.tenant_id \
            AND s.device_id = d.id AND s.started_at >= $2 AND s.outcome = 'checked_in'), \
         (SELECT count(*) FROM kiosk_sessions s WHERE s.tenant_id = d.tenant_id \
            AND s.device_id = d.id AND s.started_at >= $2 AND s.badge IS NOT NULL), \
         (SELECT count(*) FROM queue_tickets t WHERE t.tenant_id = d.tenant_id \
            AND t.device_id = d.id AND t.issued_at >= $2) \
         FROM devices d WHERE d.tenant_id = $1 AND (d.mode = 'kiosk' OR EXISTS \
           (SELECT 1 FROM kiosk_sessions s WHERE s.tenant_id = d.tenant_id AND s.device_id = d.id)) \
         ORDER BY d.name, d.id";
    on_pool!(db, p => {
        let rows = sqlx::query(sql)
            .bind(tenant.to_string())
            .bind(since)
            .fetch_all(p)
            .await?;
        rows.iter().map(device_from_row).collect()
    })
}

fn device_from_row<'r, R>(r: &'r R) -> Result<KioskDevice, sqlx::Error>
where
    R: Row,
    usize: sqlx::ColumnIndex<R>,
    String: Decode<'r, R::Database> + Type<R::Database>,
    Option<String>: Decode<'r, R::Database> + Type<R::Database>,
    i64: Decode<'r, R::Database> + Type<R::Database>,
    Option<i64>: Decode<'r, R::Database> + Type<R::Database>,
{
    let id: String = r.try_get(0)?;
    let event: String = r.try_get(1)?;
    let revoked_at: Option<i64> = r.try_get(4)?;
    Ok(KioskDevice {
        id: parse_id(&id)?,
        event_id: parse_id(&event)?,
        name: r.try_get(2)?,
        profile: r.try_get(3)?,
        revoked: revoked_at.is_some(),
        last_seen_at: r.try_get(5)?,
        kiosk_outbox_depth: r.try_get(6)?,
        sessions: r.try_get(7)?,
        checked_in: r.try_get(8)?,
        badges: r.try_get(9)?,
        tickets: r.try_get(10)?,
    })
}

/// A visit as admins read it, with the names it refers to.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SessionView {
    pub id: String,
    pub event_id: String,
    pub device_id: String,
    pub device_name: Option<String>,
    pub participant_id: Option<String>,
    pub participant_name: Option<String>,
    pub identified_by: Option<String>,
    pub language: Option<String>,
    pub started_at: i64,
    pub ended_at: Option<i64>,
    pub verdict: Option<String>,
    pub outcome: String,
    pub badge: Option<String>,
    pub queue_ticket: Option<String>,
    pub queue_desk: Option<String>,
    pub revision: i64,
}

/// The tenant's latest visits, newest first.
pub async fn recent_sessions(
    db: &Db,
    tenant: TenantId,
    limit: i64,
) -> Result<Vec<SessionView>, sqlx::Error> {
    let sql = "SELECT s.id, s.event_id, s.device_id, d.name, s.participant_id, p.full_name, \
         s.identified_by, s.language, s.started_at, s.ended_at, s.verdict, s.outcome, s.badge, \
         t.label, t.desk, s.revision \
         FROM kiosk_sessions s \
         LEFT JOIN devices d ON d.tenant_id = s.tenant_id AND d.id = s.device_id \
         LEFT JOIN participants p ON p.tenant_id = s.tenant_id AND p.id = s.participant_id \
         LEFT JOIN queue_tickets t ON t.tenant_id = s.tenant_id AND t.id = s.queue_ticket_id \
         WHERE s.tenant_id = $1 ORDER BY s.started_at DESC, s.id DESC LIMIT $2";
    on_pool!(db, p => {
        let rows = sqlx::query(sql)
            .bind(tenant.to_string())
            .bind(limit)
            .fetch_all(p)
            .await?;
        rows.iter().map(session_from_row).collect()
    })
}

fn session_from_row<'r, R>(r: &'r R) -> Result<SessionView, sqlx::Error>
where
    R: Row,
    usize: sqlx::ColumnIndex<R>,
    String: Decode<'r, R::Database> + Type<R::Database>,
    Option<String>: Decode<'r, R::Database> + Type<R::Database>,
    i64: Decode<'r, R::Database> + Type<R::Database>,
    Option<i64>: Decode<'r, R::Database> + Type<R::Database>,
{
    Ok(SessionView {
        id: r.try_get(0)?,
        event_id: r.try_get(1)?,
        device_id: r.try_get(2)?,
        device_name: r.try_get(3)?,
        participant_id: r.try_get(4)?,
        participant_name: r.try_get(5)?,
        identified_by: r.try_get(6)?,
        language: r.try_get(7)?,
        started_at: r.try_get(8)?,
        ended_at: r.try_get(9)?,
        verdict: r.try_get(10)?,
        outcome: r.try_get(11)?,
        badge: r.try_get(12)?,
        queue_ticket: r.try_get(13)?,
        queue_desk: r.try_get(14)?,
        revision: r.try_get(15)?,
    })
}

/// A queue ticket as admins read it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TicketView {
    pub id: String,
    pub event_id: String,
    pub device_id: String,
    pub device_name: Option<String>,
    pub desk: String,
    pub number: i64,
    pub label: String,
    pub issued_at: i64,
    pub status: String,
    pub status_changed_at: Option<i64>,
}

const TICKET_COLUMNS: &str = "t.id, t.event_id, t.device_id, d.name, t.desk, t.number, t.label, \
     t.issued_at, t.status, t.status_changed_at";

/// The tickets still waiting, per desk in the order they were taken.
pub async fn waiting_tickets(db: &Db, tenant: TenantId) -> Result<Vec<TicketView>, sqlx::Error> {
    let sql = format!(
        "SELECT {TICKET_COLUMNS} FROM queue_tickets t \
         LEFT JOIN devices d ON d.tenant_id = t.tenant_id AND d.id = t.device_id \
         WHERE t.tenant_id = $1 AND t.status = $2 ORDER BY t.desk, t.issued_at, t.number, t.id"
    );
    on_pool!(db, p => {
        let rows = sqlx::query(&sql)
            .bind(tenant.to_string())
            .bind(TicketStatus::Waiting.as_str())
            .fetch_all(p)
            .await?;
        rows.iter().map(ticket_from_row).collect()
    })
}

/// One of the tenant's tickets.
pub async fn find_ticket(
    db: &Db,
    tenant: TenantId,
    id: QueueTicketId,
) -> Result<Option<TicketView>, sqlx::Error> {
    let sql = format!(
        "SELECT {TICKET_COLUMNS} FROM queue_tickets t \
         LEFT JOIN devices d ON d.tenant_id = t.tenant_id AND d.id = t.device_id \
         WHERE t.tenant_id = $1 AND t.id = $2"
    );
    on_pool!(db, p => {
        let row = sqlx::query(&sql)
            .bind(tenant.to_string())
            .bind(id.to_string())
            .fetch_optional(p)
            .await?;
        row.as_ref().map(ticket_from_row).transpose()
    })
}

fn ticket_from_row<'r, R>(r: &'r R) -> Result<TicketView, sqlx::Error>
where
    R: Row,
    usize: sqlx::ColumnIndex<R>,
    String: Decode<'r, R::Database> + Type<R::Database>,
    Option<String>: Decode<'r, R::Database> + Type<R::Database>,
    i64: Decode<'r, R::Database> + Type<R::Database>,
    Option<i64>: Decode<'r, R::Database> + Type<R::Database>,
{
    Ok(TicketView {
        id: r.try_get(0)?,
        event_id: r.try_get(1)?,
        device_id: r.try_get(2)?,
        device_name: r.try_get(3)?,
        desk: r.try_get(4)?,
        number: r.try_get(5)?,
        label: r.try_get(6)?,
        issued_at: r.try_get(7)?,
        status: r.try_get(8)?,
        status_changed_at: r.try_get(9)?,
    })
}

/// Moves a waiting ticket to `status`. Returns false when it was not waiting (or not found).
pub async fn set_ticket_status(
    tx: &mut Tx,
    tenant: TenantId,
    id: QueueTicketId,
    status: TicketStatus,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let changed = exec_tx!(tx, c => sqlx::query(
        "UPDATE queue_tickets SET status = $1, status_changed_at = $2 \
         WHERE tenant_id = $3 AND id = $4 AND status = $5",
    )
    .bind(status.as_str())
    .bind(now)
    .bind(tenant.to_string())
    .bind(id.to_string())
    .bind(TicketStatus::Waiting.as_str())
    .execute(c)
    .await)?;
    Ok(changed == 1)
}
