//! An event's layout: its zones and the checkpoints into them.
//!
//! Every change here is audited, published to the event's device feed (gates learn it at their
//! next sync) and, after commit, drops this node's cached layout ([`cache`]) so the server's own
//! check-ins see it at once — the unit of work does that for every operation, so no caller has to
//! remember. Disabling a zone turns off every checkpoint into it, in one transaction.

pub mod cache;

use gatehouse_core::{Checkpoint, CheckpointId, Direction, EventId, Zone, ZoneId};
use gatehouse_db::events as rows;

use crate::unit::UnitOfWork;
use crate::{Author, Domain, DomainError, DomainResult};

pub use gatehouse_db::events::{checkpoints, find_checkpoint, find_zone, zones};

/// Longest zone or checkpoint name.
pub const MAX_NAME_LEN: usize = 120;
/// Largest capacity a zone may have.
pub const MAX_CAPACITY: u32 = 10_000_000;

/// A zone to create.
#[derive(Debug, Clone)]
pub struct NewZone {
    pub name: String,
    pub capacity: Option<u32>,
    pub multiple_entry: bool,
}

/// A checkpoint to create (it starts active).
#[derive(Debug, Clone)]
pub struct NewCheckpoint {
    pub name: String,
    pub zone: ZoneId,
    pub direction: Direction,
}

fn valid_name(name: &str) -> DomainResult<String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_LEN {
        return Err(DomainError::invalid(
            "invalid_name",
            format!("Give it a name of 1 to {MAX_NAME_LEN} characters."),
        ));
    }
    Ok(name.to_string())
}

fn valid_capacity(capacity: Option<u32>) -> DomainResult<Option<u32>> {
    match capacity {
        Some(c) if c > MAX_CAPACITY => Err(DomainError::invalid(
            "invalid_capacity",
            format!("Capacity must be a whole number from 0 to {MAX_CAPACITY}, or empty for none."),
        )),
        c => Ok(c),
    }
}

async fn zone_of(
    domain: &Domain,
    author: &Author,
    event: EventId,
    id: ZoneId,
) -> DomainResult<Zone> {
    rows::find_zone(domain.db(), author.tenant, event, id)
        .await?
        .ok_or_else(|| DomainError::not_found(&format!("Zone {:?}", id.to_string())))
}

/// Creates a zone of `event`.
pub async fn create_zone(
    domain: &Domain,
    author: &Author,
    event: EventId,
    new: NewZone,
) -> DomainResult<Zone> {
    let zone = Zone {
        id: ZoneId(uuid::Uuid::now_v7()),
        event_id: event,
        name: valid_name(&new.name)?,
        capacity: valid_capacity(new.capacity)?,
        multiple_entry: new.multiple_entry,
    };
    let mut unit = UnitOfWork::begin(domain, author.tenant).await?;
    rows::create_zone(unit.tx(), author.tenant, &zone).await?;
    unit.audit(
        &author.actor,
        "zone.created",
        ("zone", &zone.id.to_string()),
        None::<&()>,
        Some(&zone),
    )
    .await?;
    unit.layout_changed(event);
    unit.commit().await?;
    Ok(zone)
}

/// Sets a zone's capacity (`None`: no limit).
pub async fn set_zone_capacity(
    domain: &Domain,
    author: &Author,
    event: EventId,
    id: ZoneId,
    capacity: Option<u32>,
) -> DomainResult<Zone> {
    let before = zone_of(domain, author, event, id).await?;
    let after = Zone {
        capacity: valid_capacity(capacity)?,
        ..before.clone()
    };
    let mut unit = UnitOfWork::begin(domain, author.tenant).await?;
    rows::update_zone(unit.tx(), author.tenant, &after).await?;
    unit.audit(
        &author.actor,
        "zone.updated",
        ("zone", &id.to_string()),
        Some(&before),
        Some(&after),
    )
    .await?;
    unit.layout_changed(event);
    unit.commit().await?;
    Ok(after)
}

/// Creates a checkpoint into one of the event's zones.
pub async fn create_checkpoint(
    domain: &Domain,
    author: &Author,
    event: EventId,
    new: NewCheckpoint,
) -> DomainResult<Checkpoint> {
    rows::find_zone(domain.db(), author.tenant, event, new.zone)
        .await?
        .ok_or_else(|| DomainError::invalid("unknown_zone", "Choose a zone of this event."))?;
    let cp = Checkpoint {
        id: CheckpointId(uuid::Uuid::now_v7()),
        event_id: event,
        zone_id: new.zone,
        name: valid_name(&new.name)?,
        direction: new.direction,
        active: true,
    };
    let mut unit = UnitOfWork::begin(domain, author.tenant).await?;
    rows::create_checkpoint(unit.tx(), author.tenant, &cp).await?;
    unit.audit(
        &author.actor,
        "checkpoint.created",
        ("checkpoint", &cp.id.to_string()),
        None::<&()>,
        Some(&cp),
    )
    .await?;
    unit.layout_changed(event);
    unit.commit().await?;
    Ok(cp)
}

/// Turns one checkpoint on or off (a disabled checkpoint refuses every scan). Nothing happens
/// when it is already so.
pub async fn set_checkpoint_active(
    domain: &Domain,
    author: &Author,
    event: EventId,
    id: CheckpointId,
    active: bool,
) -> DomainResult<Checkpoint> {
    let before = rows::find_checkpoint(domain.db(), author.tenant, event, id)
        .await?
        .ok_or_else(|| DomainError::not_found(&format!("Checkpoint {:?}", id.to_string())))?;
    let mut unit = UnitOfWork::begin(domain, author.tenant).await?;
    let after = set_active_in(&mut unit, author, before, active).await?;
    unit.commit().await?;
    Ok(after)
}

/// Turns every checkpoint into a zone on or off, in one transaction: the gates refuse scans at
/// all its doors (or admit again). Returns how many checkpoints changed.
pub async fn set_zone_active(
    domain: &Domain,
    author: &Author,
    event: EventId,
    id: ZoneId,
    active: bool,
) -> DomainResult<usize> {
    zone_of(domain, author, event, id).await?;
    let checkpoints = rows::checkpoints(domain.db(), author.tenant, event).await?;
    let mut unit = UnitOfWork::begin(domain, author.tenant).await?;
    let mut changed = 0;
    for c in checkpoints.into_iter().filter(|c| c.zone_id == id) {
        if c.active != active {
            set_active_in(&mut unit, author, c, active).await?;
            changed += 1;
        }
    }
    unit.commit().await?;
    Ok(changed)
}

async fn set_active_in(
    unit: &mut UnitOfWork<'_>,
    author: &Author,
    before: Checkpoint,
    active: bool,
) -> DomainResult<Checkpoint> {
    if before.active == active {
        return Ok(before);
    }
    let after = Checkpoint {
        active,
        ..before.clone()
    };
    rows::update_checkpoint(unit.tx(), author.tenant, &after).await?;
    unit.audit(
        &author.actor,
        if active {
            "checkpoint.enabled"
        } else {
            "checkpoint.disabled"
        },
        ("checkpoint", &after.id.to_string()),
        Some(&before),
        Some(&after),
    )
    .await?;
    unit.layout_changed(after.event_id);
    Ok(after)
}
