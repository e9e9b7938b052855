//! Occupancy counters. Each device counts its admitted passes in and out of each zone since
//! pairing; the server keeps the highest values it has seen per (device, zone), so retried or
//! reordered uploads converge. Scans the server decides online count under the source `online`.
//! A zone's occupancy is Σ ins − Σ outs over every source.
//!
//! No counter counts beyond [`MAX_COUNT`]: devices are refused above it (the domain checks each
//! upload), and the sums read each stored counter as at most that, so no number of sources, nor a
//! counter stored before the bound, can make them overflow.

use gatehouse_core::{EventId, Movement, TenantId, ZoneId};

use super::{exec_tx, on_pool, on_tx, parse_id, Db, Tx};

/// The source name for scans decided on the server.
pub const ONLINE: &str = "online";

/// The most passes one counter may hold: ten million, a pass every second for 115 days through
/// one zone at one gate, far beyond any event. At that bound the sums of `i64` counters would
/// need more than 900 billion sources to overflow. (Migration 0007 lowered stored counters to
/// it.)
pub const MAX_COUNT: i64 = 10_000_000;

/// `SUM(col)` over counters, each read as at most [`MAX_COUNT`].
fn bounded_sum(col: &str) -> String {
    format!("COALESCE(SUM(CASE WHEN {col} > {MAX_COUNT} THEN {MAX_COUNT} ELSE {col} END), 0)")
}

/// Raises the stored counter of `source` for `zone` to at least these values.
#[allow(clippy::too_many_arguments)]
pub async fn merge(
    tx: &mut Tx,
    tenant: TenantId,
    event: EventId,
    source: &str,
    zone: ZoneId,
    ins: i64,
    outs: i64,
    now: i64,
) -> Result<(), sqlx::Error> {
    exec_tx!(tx, c => sqlx::query(
        "INSERT INTO occupancy_counters (tenant_id, event_id, source, zone_id, ins, outs, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (event_id, source, zone_id) DO UPDATE SET \
           ins = CASE WHEN excluded.ins > occupancy_counters.ins THEN excluded.ins ELSE occupancy_counters.ins END, \
           outs = CASE WHEN excluded.outs > occupancy_counters.outs THEN excluded.outs ELSE occupancy_counters.outs END, \
           updated_at = excluded.updated_at",
    )
    .bind(tenant.to_string())
    .bind(event.to_string())
    .bind(source)
    .bind(zone.to_string())
    .bind(ins)
    .bind(outs)
    .bind(now)
    .execute(c)
    .await)?;
    Ok(())
}

/// Counts one pass decided on the server.
pub async fn count_online(
    tx: &mut Tx,
    tenant: TenantId,
    event: EventId,
    zone: ZoneId,
    movement: Movement,
    now: i64,
) -> Result<(), sqlx::Error> {
    let (ins, outs) = match movement {
        Movement::In => (1, 0),
        Movement::Out => (0, 1),
    };
    exec_tx!(tx, c => sqlx::query(
        "INSERT INTO occupancy_counters (tenant_id, event_id, source, zone_id, ins, outs, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (event_id, source, zone_id) DO UPDATE SET \
           ins = occupancy_counters.ins + excluded.ins, outs = occupancy_counters.outs + excluded.outs, \
           updated_at = excluded.updated_at",
    )
    .bind(tenant.to_string())
    .bind(event.to_string())
    .bind(ONLINE)
    .bind(zone.to_string())
    .bind(ins)
    .bind(outs)
    .bind(now)
    .execute(c)
    .await)?;
    Ok(())
}

/// Per zone of the event: (zone, Σ ins, Σ outs).
pub async fn totals(
    db: &Db,
    tenant: TenantId,
    event: EventId,
) -> Result<Vec<(ZoneId, i64, i64)>, sqlx::Error> {
    let sql = format!(
        "SELECT zone_id, CAST({} AS BIGINT), CAST({} AS BIGINT) FROM occupancy_counters \
         WHERE tenant_id = $1 AND event_id = $2 GROUP BY zone_id",
        bounded_sum("ins"),
        bounded_sum("outs"),
    );
    let rows: Vec<(String, i64, i64)> = on_pool!(db, p => sqlx::query_as(
        &sql,
    )
    .bind(tenant.to_string())
    .bind(event.to_string())
    .fetch_all(p)
    .await)?;
    rows.into_iter()
        .map(|(z, i, o)| Ok((parse_id(&z)?, i, o)))
        .collect()
}

/// One zone's occupancy (Σ ins − Σ outs over every source, never below 0) as this transaction
/// sees it. Read after [`count_online`] in the same transaction, it is exact for online scans
/// even on PostgreSQL: their upserts lock the zone's one `online` row until commit.
pub async fn zone_in(
    tx: &mut Tx,
    tenant: TenantId,
    event: EventId,
    zone: ZoneId,
) -> Result<i64, sqlx::Error> {
    let sql = format!(
        "SELECT CAST({} - {} AS BIGINT) \
         FROM occupancy_counters WHERE tenant_id = $1 AND event_id = $2 AND zone_id = $3",
        bounded_sum("ins"),
        bounded_sum("outs"),
    );
    let (total,): (i64,) = on_tx!(tx, c => sqlx::query_as(
        &sql,
    )
    .bind(tenant.to_string())
    .bind(event.to_string())
    .bind(zone.to_string())
    .fetch_one(c)
    .await)?;
    Ok(total.max(0))
}
