//! Access logs: every scan, as the device or the server decided it. A scan's id is made by the
//! device (UUIDv7), and inserting an id that exists changes nothing, so uploads can be retried,
//! repeated and reordered. Ids are unique per tenant (the key is `(tenant_id, id)`): another
//! tenant's scan never hides one of ours. Besides the device's own `device_time` and `corrected_time`, each row
//! has a `server_time`: the device time shifted by the device's clock offset measured at upload,
//! which is the order the server reasons in (history, offline duplicates, filters).

use gatehouse_core::decide::PastScan;
use gatehouse_core::{
    AccessLog, CheckpointId, DeviceId, EventId, Movement, ParticipantId, Reason, TenantId, Verdict,
};
use serde::Serialize;
use sqlx::{Decode, Row, Type};

use super::{decode, exec_tx, flag, on_pool, on_tx, parse_id, Db, Tx};

/// How many past scans of one person `decide` is given (far more than any day at a gate).
pub const HISTORY_LIMIT: i64 = 1000;

/// Where a scan was decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// On the device, uploaded later.
    Device,
    /// On the server, through `POST /sync/v1/scan`.
    Online,
    /// On the server, asked by an integrator through `POST /api/v1/events/{id}/checkins`.
    Api,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Device => "device",
            Source::Online => "online",
            Source::Api => "api",
        }
    }
}

/// A scan as the server keeps it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredScan {
    #[serde(flatten)]
    pub log: AccessLog,
    pub server_time: i64,
    pub received_at: i64,
    pub source: String,
    /// A second admission of the same badge into the same zone by another gate while offline.
    pub offline_duplicate: bool,
    /// For a scan decided on the server, the digest of the request that made it: asking again
    /// under its id is a retry only with the same digest. `None` for uploaded scans.
    #[serde(skip)]
    pub request_digest: Option<String>,
}

const COLUMNS: &str = "id, event_id, checkpoint_id, zone_id, device_id, participant_id, credential_seq, movement, \
     verdict, reason, override_reason, device_time, corrected_time, server_time, received_at, source, offline_duplicate, \
     request_digest";

fn from_row<'r, R>(r: &'r R) -> Result<StoredScan, sqlx::Error>
where
    R: Row,
    usize: sqlx::ColumnIndex<R>,
    String: Decode<'r, R::Database> + Type<R::Database>,
    Option<String>: Decode<'r, R::Database> + Type<R::Database>,
    i64: Decode<'r, R::Database> + Type<R::Database>,
    Option<i64>: Decode<'r, R::Database> + Type<R::Database>,
{
    let id: String = r.try_get(0)?;
    let device: Option<String> = r.try_get(4)?;
    let participant: Option<String> = r.try_get(5)?;
    let seq: Option<i64> = r.try_get(6)?;
    let movement: Option<String> = r.try_get(7)?;
    let verdict: String = r.try_get(8)?;
    let reason: String = r.try_get(9)?;
    let checkpoint: String = r.try_get(2)?;
    let zone: String = r.try_get(3)?;
    let event: String = r.try_get(1)?;
    let dup: i64 = r.try_get(16)?;
    Ok(StoredScan {
        log: AccessLog {
            id: parse_id(&id)?,
            event_id: parse_id(&event)?,
            checkpoint_id: parse_id(&checkpoint)?,
            zone_id: parse_id(&zone)?,
            device_id: device.as_deref().map(parse_id).transpose()?,
            participant_id: participant.as_deref().map(parse_id).transpose()?,
            credential_seq: seq.and_then(|s| u16::try_from(s).ok()),
            movement: movement.as_deref().and_then(Movement::parse),
            verdict: Verdict::parse(&verdict)
                .ok_or_else(|| decode(format!("scan {id}: verdict {verdict:?}")))?,
            reason: Reason::parse(&reason)
                .ok_or_else(|| decode(format!("scan {id}: reason {reason:?}")))?,
            override_reason: r.try_get(10)?,
            device_time: r.try_get(11)?,
            corrected_time: r.try_get(12)?,
        },
        server_time: r.try_get(13)?,
        received_at: r.try_get(14)?,
        source: r.try_get(15)?,
        offline_duplicate: dup != 0,
        request_digest: r.try_get(17)?,
    })
}

/// Stores a scan decided on the server unless the tenant already holds its id, with the digest
/// of the request that made it. Returns whether it was new.
#[allow(clippy::too_many_arguments)]
pub async fn insert(
    tx: &mut Tx,
    tenant: TenantId,
    log: &AccessLog,
    server_time: i64,
    received_at: i64,
    source: Source,
    request_digest: &str,
) -> Result<bool, sqlx::Error> {
    let done = exec_tx!(tx, c => sqlx::query(
        "INSERT INTO access_logs (id, tenant_id, event_id, checkpoint_id, zone_id, device_id, participant_id, \
         credential_seq, movement, verdict, reason, override_reason, device_time, corrected_time, server_time, \
         received_at, source, offline_duplicate, request_digest) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, 0, $18) \
         ON CONFLICT (tenant_id, id) DO NOTHING",
    )
    .bind(log.id.to_string())
    .bind(tenant.to_string())
    .bind(log.event_id.to_string())
    .bind(log.checkpoint_id.to_string())
    .bind(log.zone_id.to_string())
    .bind(log.device_id.map(|d| d.to_string()))
    .bind(log.participant_id.map(|p| p.to_string()))
    .bind(log.credential_seq.map(i64::from))
    .bind(log.movement.map(Movement::as_str))
    .bind(log.verdict.as_str())
    .bind(log.reason.code())
    .bind(&log.override_reason)
    .bind(log.device_time)
    .bind(log.corrected_time)
    .bind(server_time)
    .bind(received_at)
    .bind(source.as_str())
    .bind(request_digest)
    .execute(c)
    .await)?;
    Ok(done == 1)
}

pub async fn find(db: &Db, tenant: TenantId, id: &str) -> Result<Option<StoredScan>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM access_logs WHERE tenant_id = $1 AND id = $2");
    on_pool!(db, p => {
        let row = sqlx::query(&sql).bind(tenant.to_string()).bind(id).fetch_optional(p).await?;
        row.as_ref().map(from_row).transpose()
    })
}

pub async fn find_in(
    tx: &mut Tx,
    tenant: TenantId,
    id: &str,
) -> Result<Option<StoredScan>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM access_logs WHERE tenant_id = $1 AND id = $2");
    on_tx!(tx, c => {
        let row = sqlx::query(&sql).bind(tenant.to_string()).bind(id).fetch_optional(c).await?;
        row.as_ref().map(from_row).transpose()
    })
}

type PastRow = (String, Option<String>, String, i64);

fn past_from(rows: Vec<PastRow>) -> Result<Vec<PastScan>, sqlx::Error> {
    rows.into_iter()
        .filter_map(|(zone, movement, verdict, at)| {
            let movement = movement.as_deref().and_then(Movement::parse)?;
            Some((zone, movement, verdict, at))
        })
        .map(|(zone, movement, verdict, at)| {
            Ok(PastScan {
                zone_id: parse_id(&zone)?,
                movement,
                verdict: Verdict::parse(&verdict)
                    .ok_or_else(|| decode(format!("verdict {verdict:?}")))?,
                at,
            })
        })
        .collect()
}

/// The participant's scans at this event, newest first, as `decide` takes them (by server time).
pub async fn history_in(
    tx: &mut Tx,
    tenant: TenantId,
    event: EventId,
    participant: ParticipantId,
) -> Result<Vec<PastScan>, sqlx::Error> {
    let rows: Vec<PastRow> = on_tx!(tx, c => sqlx::query_as(
        "SELECT zone_id, movement, verdict, server_time FROM access_logs \
         WHERE tenant_id = $1 AND event_id = $2 AND participant_id = $3 AND movement IS NOT NULL \
         ORDER BY server_time DESC, id DESC LIMIT $4",
    )
    .bind(tenant.to_string())
    .bind(event.to_string())
    .bind(participant.to_string())
    .bind(HISTORY_LIMIT)
    .fetch_all(c)
    .await)?;
    past_from(rows)
}

/// One admitted pass, for offline-duplicate review.
#[derive(Debug, Clone)]
pub struct AdmittedPass {
    pub id: String,
    pub device: Option<String>,
    pub movement: Movement,
    pub offline_duplicate: bool,
}

pub async fn set_offline_duplicate(
    tx: &mut Tx,
    tenant: TenantId,
    id: &str,
    value: bool,
) -> Result<(), sqlx::Error> {
    exec_tx!(tx, c => sqlx::query("UPDATE access_logs SET offline_duplicate = $1 WHERE tenant_id = $2 AND id = $3")
        .bind(flag(value))
        .bind(tenant.to_string())
        .bind(id)
        .execute(c)
        .await)?;
    Ok(())
}

/// How the admin narrows the access log.
#[derive(Debug, Clone, Default)]
pub struct LogFilter {
    pub checkpoint: Option<CheckpointId>,
    pub verdict: Option<Verdict>,
    pub participant: Option<ParticipantId>,
    /// Server time, inclusive.
    pub from: Option<i64>,
    /// Server time, exclusive.
    pub to: Option<i64>,
    pub offline_duplicates_only: bool,
}

/// Where a page of the log starts: after this (server_time, id).
pub type LogKey = (i64, String);

/// One page of the event's log in server-time order (newest first when `newest_first`),
/// starting strictly after `after` in that order (keyset pagination: any page costs the same
/// however deep, with the indexes of migration 0004). Only the filters that are set reach the
/// SQL, so the planner can pick the index that fits.
pub async fn page(
    db: &Db,
    tenant: TenantId,
    event: EventId,
    filter: &LogFilter,
    after: Option<&LogKey>,
    limit: i64,
    newest_first: bool,
) -> Result<Vec<StoredScan>, sqlx::Error> {
    let (cmp, order) = if newest_first {
        ("<", "DESC")
    } else {
        (">", "ASC")
    };
    let head = format!("SELECT {COLUMNS} FROM access_logs WHERE tenant_id = ");
    on_pool!(db, p => {
        let mut qb = sqlx::QueryBuilder::new(head);
        qb.push_bind(tenant.to_string())
            .push(" AND event_id = ")
            .push_bind(event.to_string());
        if let Some(cp) = filter.checkpoint {
            qb.push(" AND checkpoint_id = ").push_bind(cp.to_string());
        }
        if let Some(v) = filter.verdict {
            qb.push(" AND verdict = ").push_bind(v.as_str());
        }
        if let Some(pid) = filter.participant {
            qb.push(" AND participant_id = ").push_bind(pid.to_string());
        }
        if let Some(from) = filter.from {
            qb.push(" AND server_time >= ").push_bind(from);
        }
        if let Some(to) = filter.to {
            qb.push(" AND server_time < ").push_bind(to);
        }
        if filter.offline_duplicates_only {
            qb.push(" AND offline_duplicate = 1");
        }
        if let Some((t, id)) = after {
            qb.push(format!(" AND (server_time, id) {cmp} ("))
                .push_bind(*t)
                .push(", ")
                .push_bind(id.clone())
                .push(")");
        }
        qb.push(format!(" ORDER BY server_time {order}, id {order} LIMIT "))
            .push_bind(limit);
        let rows = qb.build().fetch_all(p).await?;
        rows.iter().map(from_row).collect()
    })
}

/// How many scans the event has (tests and the dashboard).
pub async fn count(db: &Db, tenant: TenantId, event: EventId) -> Result<i64, sqlx::Error> {
    let (n,): (i64,) = on_pool!(db, p => sqlx::query_as(
        "SELECT COUNT(*) FROM access_logs WHERE tenant_id = $1 AND event_id = $2",
    )
    .bind(tenant.to_string())
    .bind(event.to_string())
    .fetch_one(p)
    .await)?;
    Ok(n)
}

/// Rows per multi-row insert (17 parameters each, under SQLite's 32,766 per statement).
const INSERT_CHUNK: usize = 500;
/// Participants per `IN (...)` list.
const LOOKUP_CHUNK: usize = 500;

/// Stores a batch of scans of one event, skipping ids the tenant already holds. Returns the ids
/// that were new. `scans` pairs each log with its server time.
pub async fn insert_many(
    tx: &mut Tx,
    tenant: TenantId,
    scans: &[(AccessLog, i64)],
    received_at: i64,
    source: Source,
) -> Result<std::collections::HashSet<String>, sqlx::Error> {
    let tenant_s = tenant.to_string();
    let mut fresh = std::collections::HashSet::new();
    for chunk in scans.chunks(INSERT_CHUNK) {
        let rows: Vec<(String,)> = on_tx!(tx, c => {
            let mut qb = sqlx::QueryBuilder::new(
                "INSERT INTO access_logs (id, tenant_id, event_id, checkpoint_id, zone_id, device_id, participant_id, \
                 credential_seq, movement, verdict, reason, override_reason, device_time, corrected_time, server_time, \
                 received_at, source, offline_duplicate) ",
            );
            qb.push_values(chunk, |mut b, (log, server_time)| {
                b.push_bind(log.id.to_string())
                    .push_bind(tenant_s.clone())
                    .push_bind(log.event_id.to_string())
                    .push_bind(log.checkpoint_id.to_string())
                    .push_bind(log.zone_id.to_string())
                    .push_bind(log.device_id.map(|d| d.to_string()))
                    .push_bind(log.participant_id.map(|p| p.to_string()))
                    .push_bind(log.credential_seq.map(i64::from))
                    .push_bind(log.movement.map(Movement::as_str))
                    .push_bind(log.verdict.as_str())
                    .push_bind(log.reason.code())
                    .push_bind(log.override_reason.clone())
                    .push_bind(log.device_time)
                    .push_bind(log.corrected_time)
                    .push_bind(*server_time)
                    .push_bind(received_at)
                    .push_bind(source.as_str())
                    .push_bind(0i64);
            });
            qb.push(" ON CONFLICT (tenant_id, id) DO NOTHING RETURNING id");
            qb.build_query_as::<(String,)>().fetch_all(c).await
        })?;
        fresh.extend(rows.into_iter().map(|(id,)| id));
    }
    Ok(fresh)
}

/// Of `ids`, those the tenant holds as scans `device` made at `event`: what an upload of that
/// device may acknowledge as stored.
pub async fn held_by_device(
    tx: &mut Tx,
    tenant: TenantId,
    event: EventId,
    device: DeviceId,
    ids: &[String],
) -> Result<std::collections::HashSet<String>, sqlx::Error> {
    let mut held = std::collections::HashSet::new();
    for chunk in ids.chunks(LOOKUP_CHUNK) {
        let rows: Vec<(String,)> = on_tx!(tx, c => {
            let mut qb = sqlx::QueryBuilder::new("SELECT id FROM access_logs WHERE tenant_id = ");
            qb.push_bind(tenant.to_string())
                .push(" AND event_id = ")
                .push_bind(event.to_string())
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

/// The admitted passes of several people at this event, grouped by (participant, zone), each
/// group in server-time order.
pub async fn admitted_passes_of(
    tx: &mut Tx,
    tenant: TenantId,
    event: EventId,
    participants: &[ParticipantId],
) -> Result<
    std::collections::BTreeMap<(ParticipantId, gatehouse_core::ZoneId), Vec<AdmittedPass>>,
    sqlx::Error,
> {
    type Row = (String, String, String, Option<String>, String, i64);
    let mut groups = std::collections::BTreeMap::new();
    for chunk in participants.chunks(LOOKUP_CHUNK) {
        let rows: Vec<Row> = on_tx!(tx, c => {
            let mut qb = sqlx::QueryBuilder::new(
                "SELECT participant_id, zone_id, id, device_id, movement, offline_duplicate FROM access_logs WHERE tenant_id = ",
            );
            qb.push_bind(tenant.to_string())
                .push(" AND event_id = ")
                .push_bind(event.to_string())
                .push(" AND verdict IN ('VALID', 'MANUAL_OVERRIDE') AND movement IS NOT NULL AND participant_id IN (");
            let mut list = qb.separated(", ");
            for p in chunk {
                list.push_bind(p.to_string());
            }
            qb.push(") ORDER BY participant_id, zone_id, server_time, id");
            qb.build_query_as::<Row>().fetch_all(c).await
        })?;
        for (participant, zone, id, device, movement, dup) in rows {
            let Some(movement) = Movement::parse(&movement) else {
                continue;
            };
            groups
                .entry((parse_id(&participant)?, parse_id(&zone)?))
                .or_insert_with(Vec::new)
                .push(AdmittedPass {
                    id,
                    device,
                    movement,
                    offline_duplicate: dup != 0,
                });
        }
    }
    Ok(groups)
}

/// One page of the event's log, newest first, starting strictly before `before` (the
/// dashboard's pages).
pub async fn page_before(
    db: &Db,
    tenant: TenantId,
    event: EventId,
    filter: &LogFilter,
    before: Option<&LogKey>,
    limit: i64,
) -> Result<Vec<StoredScan>, sqlx::Error> {
    page(db, tenant, event, filter, before, limit, true).await
}

/// Scans of the event since `since` (server time) per bucket of `bucket_ms`:
/// (bucket start, admitted entries, refused scans), oldest first.
pub async fn entries_per_bucket(
    db: &Db,
    tenant: TenantId,
    event: EventId,
    since: i64,
    bucket_ms: i64,
) -> Result<Vec<(i64, i64, i64)>, sqlx::Error> {
    let rows: Vec<(i64, i64, i64)> = on_pool!(db, p => sqlx::query_as(
        "SELECT CAST(server_time / $3 AS BIGINT) AS bucket, \
         CAST(SUM(CASE WHEN verdict IN ('VALID', 'MANUAL_OVERRIDE') AND movement = 'in' THEN 1 ELSE 0 END) AS BIGINT), \
         CAST(SUM(CASE WHEN verdict IN ('VALID', 'MANUAL_OVERRIDE') THEN 0 ELSE 1 END) AS BIGINT) \
         FROM access_logs WHERE event_id = $1 AND server_time >= $2 AND tenant_id = $4 \
         GROUP BY bucket ORDER BY bucket",
    )
    .bind(event.to_string())
    .bind(since)
    .bind(bucket_ms)
    .bind(tenant.to_string())
    .fetch_all(p)
    .await)?;
    Ok(rows
        .into_iter()
        .map(|(b, admitted, refused)| (b * bucket_ms, admitted, refused))
        .collect())
}

/// How many offline duplicates of the event wait for review (a partial index keeps this cheap).
pub async fn offline_duplicates(
    db: &Db,
    tenant: TenantId,
    event: EventId,
) -> Result<i64, sqlx::Error> {
    let (n,): (i64,) = on_pool!(db, p => sqlx::query_as(
        "SELECT COUNT(*) FROM access_logs WHERE event_id = $1 AND offline_duplicate = 1 AND tenant_id = $2",
    )
    .bind(event.to_string())
    .bind(tenant.to_string())
    .fetch_one(p)
    .await)?;
    Ok(n)
}
