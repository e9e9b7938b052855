//! Events and their layout: zones, checkpoints and participant categories. Zones and checkpoints
//! reach devices through the change feed, so the helpers that write them publish there too.

use gatehouse_core::protocol::Change;
use gatehouse_core::{Checkpoint, CheckpointId, Direction, Event, EventId, TenantId, Zone, ZoneId};

use super::{decode, exec_tx, feed, flag, now_ms, on_pool, parse_id, Db, Tx};

pub async fn create_event(tx: &mut Tx, event: &Event) -> Result<(), sqlx::Error> {
    exec_tx!(tx, c => sqlx::query(
        "INSERT INTO events (id, tenant_id, name, starts_at, ends_at, time_zone, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(event.id.to_string())
    .bind(event.tenant_id.to_string())
    .bind(&event.name)
    .bind(event.starts_at)
    .bind(event.ends_at)
    .bind(&event.time_zone)
    .bind(now_ms())
    .execute(c)
    .await)?;
    feed::start(tx, event.tenant_id, event.id).await
}

type EventRow = (String, String, String, i64, i64, String);

fn event_from(row: EventRow) -> Result<Event, sqlx::Error> {
    let (id, tenant, name, starts_at, ends_at, time_zone) = row;
    Ok(Event {
        id: parse_id(&id)?,
        tenant_id: parse_id(&tenant)?,
        name,
        starts_at,
        ends_at,
        time_zone,
    })
}

pub async fn find_event(
    db: &Db,
    tenant: TenantId,
    id: EventId,
) -> Result<Option<Event>, sqlx::Error> {
    let row: Option<EventRow> = on_pool!(db, p => sqlx::query_as(
        "SELECT id, tenant_id, name, starts_at, ends_at, time_zone FROM events WHERE tenant_id = $1 AND id = $2",
    )
    .bind(tenant.to_string())
    .bind(id.to_string())
    .fetch_optional(p)
    .await)?;
    row.map(event_from).transpose()
}

pub async fn list_events(db: &Db, tenant: TenantId) -> Result<Vec<Event>, sqlx::Error> {
    let rows: Vec<EventRow> = on_pool!(db, p => sqlx::query_as(
        "SELECT id, tenant_id, name, starts_at, ends_at, time_zone FROM events WHERE tenant_id = $1 ORDER BY starts_at, id",
    )
    .bind(tenant.to_string())
    .fetch_all(p)
    .await)?;
    rows.into_iter().map(event_from).collect()
}

pub async fn create_zone(tx: &mut Tx, tenant: TenantId, zone: &Zone) -> Result<(), sqlx::Error> {
    exec_tx!(tx, c => sqlx::query(
        "INSERT INTO zones (id, tenant_id, event_id, name, capacity, multiple_entry) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(zone.id.to_string())
    .bind(tenant.to_string())
    .bind(zone.event_id.to_string())
    .bind(&zone.name)
    .bind(zone.capacity.map(i64::from))
    .bind(flag(zone.multiple_entry))
    .execute(c)
    .await)?;
    feed::publish(
        tx,
        tenant,
        zone.event_id,
        &[Change::Zone(zone.clone())],
        None,
    )
    .await
}

type ZoneRow = (String, String, String, Option<i64>, i64);

fn zone_from(row: ZoneRow) -> Result<Zone, sqlx::Error> {
    let (id, event, name, capacity, multiple_entry) = row;
    Ok(Zone {
        id: parse_id(&id)?,
        event_id: parse_id(&event)?,
        name,
        capacity: capacity.and_then(|c| u32::try_from(c).ok()),
        multiple_entry: multiple_entry != 0,
    })
}

pub async fn zones(db: &Db, tenant: TenantId, event: EventId) -> Result<Vec<Zone>, sqlx::Error> {
    let rows: Vec<ZoneRow> = on_pool!(db, p => sqlx::query_as(
        "SELECT id, event_id, name, capacity, multiple_entry FROM zones WHERE tenant_id = $1 AND event_id = $2 ORDER BY name",
    )
    .bind(tenant.to_string())
    .bind(event.to_string())
    .fetch_all(p)
    .await)?;
    rows.into_iter().map(zone_from).collect()
}

pub async fn find_zone(
    db: &Db,
    tenant: TenantId,
    event: EventId,
    id: ZoneId,
) -> Result<Option<Zone>, sqlx::Error> {
    let row: Option<ZoneRow> = on_pool!(db, p => sqlx::query_as(
        "SELECT id, event_id, name, capacity, multiple_entry FROM zones WHERE tenant_id = $1 AND event_id = $2 AND id = $3",
    )
    .bind(tenant.to_string())
    .bind(event.to_string())
    .bind(id.to_string())
    .fetch_optional(p)
    .await)?;
    row.map(zone_from).transpose()
}

pub async fn create_checkpoint(
    tx: &mut Tx,
    tenant: TenantId,
    cp: &Checkpoint,
) -> Result<(), sqlx::Error> {
    exec_tx!(tx, c => sqlx::query(
        "INSERT INTO checkpoints (id, tenant_id, event_id, zone_id, name, direction, active) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(cp.id.to_string())
    .bind(tenant.to_string())
    .bind(cp.event_id.to_string())
    .bind(cp.zone_id.to_string())
    .bind(&cp.name)
    .bind(cp.direction.as_str())
    .bind(flag(cp.active))
    .execute(c)
    .await)?;
    feed::publish(
        tx,
        tenant,
        cp.event_id,
        &[Change::Checkpoint(cp.clone())],
        None,
    )
    .await
}

type CheckpointRow = (String, String, String, String, String, i64);

fn checkpoint_from(row: CheckpointRow) -> Result<Checkpoint, sqlx::Error> {
    let (id, event, zone, name, direction, active) = row;
    Ok(Checkpoint {
        id: parse_id(&id)?,
        event_id: parse_id(&event)?,
        zone_id: parse_id(&zone)?,
        name,
        direction: Direction::parse(&direction)
            .ok_or_else(|| decode(format!("unknown direction {direction:?}")))?,
        active: active != 0,
    })
}

pub async fn checkpoints(
    db: &Db,
    tenant: TenantId,
    event: EventId,
) -> Result<Vec<Checkpoint>, sqlx::Error> {
    let rows: Vec<CheckpointRow> = on_pool!(db, p => sqlx::query_as(
        "SELECT id, event_id, zone_id, name, direction, active FROM checkpoints WHERE tenant_id = $1 AND event_id = $2 ORDER BY name",
    )
    .bind(tenant.to_string())
    .bind(event.to_string())
    .fetch_all(p)
    .await)?;
    rows.into_iter().map(checkpoint_from).collect()
}

pub async fn find_checkpoint(
    db: &Db,
    tenant: TenantId,
    event: EventId,
    id: CheckpointId,
) -> Result<Option<Checkpoint>, sqlx::Error> {
    let row: Option<CheckpointRow> = on_pool!(db, p => sqlx::query_as(
        "SELECT id, event_id, zone_id, name, direction, active FROM checkpoints WHERE tenant_id = $1 AND event_id = $2 AND id = $3",
    )
    .bind(tenant.to_string())
    .bind(event.to_string())
    .bind(id.to_string())
    .fetch_optional(p)
    .await)?;
    row.map(checkpoint_from).transpose()
}

pub async fn create_category(
    tx: &mut Tx,
    tenant: TenantId,
    event: EventId,
    name: &str,
) -> Result<(), sqlx::Error> {
    exec_tx!(tx, c => sqlx::query(
        "INSERT INTO participant_categories (id, tenant_id, event_id, name) VALUES ($1, $2, $3, $4)",
    )
    .bind(uuid::Uuid::now_v7().to_string())
    .bind(tenant.to_string())
    .bind(event.to_string())
    .bind(name)
    .execute(c)
    .await)?;
    Ok(())
}

pub async fn categories(
    db: &Db,
    tenant: TenantId,
    event: EventId,
) -> Result<Vec<String>, sqlx::Error> {
    let rows: Vec<(String,)> = on_pool!(db, p => sqlx::query_as(
        "SELECT name FROM participant_categories WHERE tenant_id = $1 AND event_id = $2 ORDER BY name",
    )
    .bind(tenant.to_string())
    .bind(event.to_string())
    .fetch_all(p)
    .await)?;
    Ok(rows.into_iter().map(|(n,)| n).collect())
}

/// Writes a zone's new name, capacity and entry rule, and publishes it to the devices.
pub async fn update_zone(tx: &mut Tx, tenant: TenantId, zone: &Zone) -> Result<bool, sqlx::Error> {
    let done = exec_tx!(tx, c => sqlx::query(
        "UPDATE zones SET name = $1, capacity = $2, multiple_entry = $3 WHERE tenant_id = $4 AND event_id = $5 AND id = $6",
    )
    .bind(&zone.name)
    .bind(zone.capacity.map(i64::from))
    .bind(flag(zone.multiple_entry))
    .bind(tenant.to_string())
    .bind(zone.event_id.to_string())
    .bind(zone.id.to_string())
    .execute(c)
    .await)?;
    if done == 1 {
        feed::publish(
            tx,
            tenant,
            zone.event_id,
            &[Change::Zone(zone.clone())],
            None,
        )
        .await?;
    }
    Ok(done == 1)
}

/// Switches a checkpoint on or off (a disabled checkpoint refuses scans), and publishes it.
pub async fn update_checkpoint(
    tx: &mut Tx,
    tenant: TenantId,
    cp: &Checkpoint,
) -> Result<bool, sqlx::Error> {
    let done = exec_tx!(tx, c => sqlx::query(
        "UPDATE checkpoints SET name = $1, zone_id = $2, direction = $3, active = $4 \
         WHERE tenant_id = $5 AND event_id = $6 AND id = $7",
    )
    .bind(&cp.name)
    .bind(cp.zone_id.to_string())
    .bind(cp.direction.as_str())
    .bind(flag(cp.active))
    .bind(tenant.to_string())
    .bind(cp.event_id.to_string())
    .bind(cp.id.to_string())
    .execute(c)
    .await)?;
    if done == 1 {
        feed::publish(
            tx,
            tenant,
            cp.event_id,
            &[Change::Checkpoint(cp.clone())],
            None,
        )
        .await?;
    }
    Ok(done == 1)
}
