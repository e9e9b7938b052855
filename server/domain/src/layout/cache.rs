//! What an online scan needs about its event besides the participant: the ticket key ring and the
//! checkpoints and zones. These change a few times per event, while a gate asks hundreds of times
//! a minute, so each node keeps them in memory.
//!
//! Freshness: a change made through this node drops the event's entry at once (every layout and
//! key change goes through a [`UnitOfWork`](crate::UnitOfWork), whose commit does it);
//! a change made through another node of a PostgreSQL deployment is picked up within [`TTL`].
//! A ticket sealed with a key this node has not loaded yet is not refused on that account: the
//! scan path reloads once when the ring does not know a ticket's key ([`LayoutCache::reload`]).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use gatehouse_core::{Checkpoint, CheckpointId, EventId, EventKeys, TenantId, Zone, ZoneId};

use gatehouse_db::crypto::MasterKey;
use gatehouse_db::{self as db, Db};

/// How long an entry is trusted before it is read again.
pub const TTL: Duration = Duration::from_secs(5);

/// One event's layout as loaded at one moment.
pub struct EventLayout {
    pub ring: EventKeys,
    pub checkpoints: HashMap<CheckpointId, Checkpoint>,
    pub zones: HashMap<ZoneId, Zone>,
    loaded: Instant,
}

impl EventLayout {
    /// Whether this copy is old enough that reading again may find something new. Bounds how
    /// often unknown key ids or checkpoint ids (a forged badge, a stale gate) reach the database.
    pub fn may_be_stale(&self) -> bool {
        self.loaded.elapsed() >= Duration::from_secs(1)
    }
}

#[derive(Default)]
pub struct LayoutCache {
    entries: Mutex<HashMap<(TenantId, EventId), Arc<EventLayout>>>,
}

impl LayoutCache {
    /// The event's layout, from memory when fresh, else from the database.
    pub async fn get(
        &self,
        db: &Db,
        master: &MasterKey,
        tenant: TenantId,
        event: EventId,
    ) -> Result<Arc<EventLayout>, gatehouse_db::DbError> {
        if let Some(hit) = self.fresh(tenant, event) {
            return Ok(hit);
        }
        self.reload(db, master, tenant, event).await
    }

    /// Reads the event's layout from the database and keeps it.
    pub async fn reload(
        &self,
        db: &Db,
        master: &MasterKey,
        tenant: TenantId,
        event: EventId,
    ) -> Result<Arc<EventLayout>, gatehouse_db::DbError> {
        let ring = db::keys::ring(db, master, tenant, event).await?;
        let checkpoints = db::events::checkpoints(db, tenant, event)
            .await?
            .into_iter()
            .map(|c| (c.id, c))
            .collect();
        let zones = db::events::zones(db, tenant, event)
            .await?
            .into_iter()
            .map(|z| (z.id, z))
            .collect();
        let layout = Arc::new(EventLayout {
            ring,
            checkpoints,
            zones,
            loaded: Instant::now(),
        });
        self.lock().insert((tenant, event), layout.clone());
        Ok(layout)
    }

    /// Forgets the event's layout: the next scan reads it again.
    pub fn invalidate(&self, tenant: TenantId, event: EventId) {
        self.lock().remove(&(tenant, event));
    }

    fn fresh(&self, tenant: TenantId, event: EventId) -> Option<Arc<EventLayout>> {
        self.lock()
            .get(&(tenant, event))
            .filter(|l| l.loaded.elapsed() < TTL)
            .cloned()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(TenantId, EventId), Arc<EventLayout>>> {
        // The map holds only clones of immutable data: a panic elsewhere cannot leave it half
        // written, so a poisoned lock is still safe to use.
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }
}
