//! Live occupancy of an event: who is inside each zone, as the sum over devices of the highest
//! in/out counters each has reported plus the passes decided online. Capacity is informational:
//! a full zone is flagged, never closed.

use gatehouse_core::{EventId, TenantId, ZoneId};
use gatehouse_db as db;
use serde::Serialize;

use crate::{now_ms, Db, DbError};

pub use gatehouse_db::occupancy::totals;

/// One zone's head count.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ZoneOccupancy {
    pub zone_id: ZoneId,
    pub name: String,
    pub capacity: Option<u32>,
    /// People inside now (never below zero).
    pub inside: i64,
    pub ins: i64,
    pub outs: i64,
    /// At or over capacity (informational: gates never refuse for it).
    pub full: bool,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct OccupancySnapshot {
    pub event_id: EventId,
    pub zones: Vec<ZoneOccupancy>,
    pub server_time: i64,
}

/// The event's occupancy now.
pub async fn snapshot(
    db: &Db,
    tenant: TenantId,
    event: EventId,
) -> Result<OccupancySnapshot, DbError> {
    let zones = db::events::zones(db, tenant, event).await?;
    let totals = db::occupancy::totals(db, tenant, event).await?;
    let zones = zones
        .into_iter()
        .map(|z| {
            let (ins, outs) = totals
                .iter()
                .find(|(id, _, _)| *id == z.id)
                .map(|(_, i, o)| (*i, *o))
                .unwrap_or((0, 0));
            let inside = (ins - outs).max(0);
            ZoneOccupancy {
                zone_id: z.id,
                name: z.name,
                capacity: z.capacity,
                inside,
                ins,
                outs,
                full: z.capacity.is_some_and(|c| inside >= i64::from(c)),
            }
        })
        .collect();
    Ok(OccupancySnapshot {
        event_id: event,
        zones,
        server_time: now_ms(),
    })
}
