//! The change feed devices sync from: one row per changed entity of an event, holding the latest
//! [`Change`] and the server-side sequence number it was given. Writing an entity again moves it
//! to a new sequence number, so a device that syncs from 0 gets each entity once (the latest
//! state), and a device that syncs from its cursor gets only what changed since.
//!
//! Sequence numbers come from one counter row per event, updated inside the writer's transaction:
//! the row lock makes writers of one event commit in sequence order, so a reader never sees seq
//! N+1 before N and a cursor never skips a change.

use gatehouse_core::protocol::Change;
use gatehouse_core::{DeviceId, EventId, TenantId};

use super::{exec_tx, on_pool, on_tx, Db, Tx};

/// Which entity a feed row stands for (a participant and its removal share one row).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Zone,
    Checkpoint,
    Participant,
    Key,
    Scan,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Zone => "zone",
            Kind::Checkpoint => "checkpoint",
            Kind::Participant => "participant",
            Kind::Key => "key",
            Kind::Scan => "scan",
        }
    }

    pub fn of(change: &Change) -> (Kind, String) {
        match change {
            Change::Zone(z) => (Kind::Zone, z.id.to_string()),
            Change::Checkpoint(c) => (Kind::Checkpoint, c.id.to_string()),
            Change::Participant(p) => (Kind::Participant, p.id.to_string()),
            Change::ParticipantRemoved { id } => (Kind::Participant, id.to_string()),
            Change::Key(k) => (Kind::Key, k.key_id.to_string()),
            Change::Scan(s) => (Kind::Scan, s.id.to_string()),
        }
    }
}

/// Rows per multi-row insert (7 parameters each, well under both dialects' limits).
const INSERT_CHUNK: usize = 1000;

/// Creates the event's counter; called once when the event is created.
pub async fn start(tx: &mut Tx, tenant: TenantId, event: EventId) -> Result<(), sqlx::Error> {
    exec_tx!(tx, c => sqlx::query("INSERT INTO feed_seq (event_id, tenant_id, seq) VALUES ($1, $2, 0)")
        .bind(event.to_string())
        .bind(tenant.to_string())
        .execute(c)
        .await)?;
    Ok(())
}

/// Takes `n` sequence numbers; returns the first.
async fn allocate(
    tx: &mut Tx,
    tenant: TenantId,
    event: EventId,
    n: i64,
) -> Result<i64, sqlx::Error> {
    let (last,): (i64,) = on_tx!(tx, c => sqlx::query_as(
        "UPDATE feed_seq SET seq = seq + $3 WHERE tenant_id = $1 AND event_id = $2 RETURNING seq",
    )
    .bind(tenant.to_string())
    .bind(event.to_string())
    .bind(n)
    .fetch_one(c)
    .await)?;
    Ok(last - n + 1)
}

/// Publishes changes of one event, in order. `origin` is the device a scan came from (it does
/// not need its own scans echoed back).
pub async fn publish(
    tx: &mut Tx,
    tenant: TenantId,
    event: EventId,
    changes: &[Change],
    origin: Option<DeviceId>,
) -> Result<(), sqlx::Error> {
    if changes.is_empty() {
        return Ok(());
    }
    let first = allocate(tx, tenant, event, changes.len() as i64).await?;
    let tenant_s = tenant.to_string();
    let event_s = event.to_string();
    let origin_s = origin.map(|d| d.to_string());
    let rows: Vec<(String, String, i64, String)> = changes
        .iter()
        .enumerate()
        .map(|(i, change)| {
            let (kind, id) = Kind::of(change);
            let payload = serde_json::to_string(change).unwrap_or_default();
            (kind.as_str().to_string(), id, first + i as i64, payload)
        })
        .collect();
    for chunk in rows.chunks(INSERT_CHUNK) {
        exec_tx!(tx, c => {
            let mut qb = sqlx::QueryBuilder::new(
                "INSERT INTO feed_entries (tenant_id, event_id, kind, entity_id, seq, origin_device, payload) ",
            );
            qb.push_values(chunk, |mut b, (kind, id, seq, payload)| {
                b.push_bind(tenant_s.clone())
                    .push_bind(event_s.clone())
                    .push_bind(kind.clone())
                    .push_bind(id.clone())
                    .push_bind(*seq)
                    .push_bind(origin_s.clone())
                    .push_bind(payload.clone());
            });
            qb.push(
                " ON CONFLICT (event_id, kind, entity_id) DO UPDATE SET seq = excluded.seq, \
                 origin_device = excluded.origin_device, payload = excluded.payload",
            );
            qb.build().execute(c).await
        })?;
    }
    Ok(())
}

/// One page of the feed after `after`, without the scans `exclude_origin` made itself: pairs of
/// (seq, the change as JSON), at most `limit + 1` so the caller can tell whether more wait.
pub async fn page(
    db: &Db,
    tenant: TenantId,
    event: EventId,
    after: i64,
    limit: i64,
    exclude_origin: Option<DeviceId>,
) -> Result<Vec<(i64, String)>, sqlx::Error> {
    let origin = exclude_origin.map(|d| d.to_string()).unwrap_or_default();
    on_pool!(db, p => sqlx::query_as(
        "SELECT seq, payload FROM feed_entries \
         WHERE tenant_id = $1 AND event_id = $2 AND seq > $3 \
           AND (origin_device IS NULL OR origin_device <> $4) \
         ORDER BY seq LIMIT $5",
    )
    .bind(tenant.to_string())
    .bind(event.to_string())
    .bind(after)
    .bind(origin)
    .bind(limit + 1)
    .fetch_all(p)
    .await)
}

/// The event's latest sequence number (a device's lag is this minus its cursor).
pub async fn head(db: &Db, tenant: TenantId, event: EventId) -> Result<i64, sqlx::Error> {
    let row: Option<(i64,)> = on_pool!(db, p => sqlx::query_as(
        "SELECT seq FROM feed_seq WHERE tenant_id = $1 AND event_id = $2",
    )
    .bind(tenant.to_string())
    .bind(event.to_string())
    .fetch_optional(p)
    .await)?;
    Ok(row.map(|r| r.0).unwrap_or(0))
}
