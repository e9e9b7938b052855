//! Events and their ticket keys. An event's keys are sealed at rest under the master key; a
//! rotation adds a key with the next id, new badges are sealed with it, and the older keys stay
//! in the ring so printed badges keep working. Keys reach devices through the change feed.

use gatehouse_core::{EventId, EventKeys, TenantId};
use serde_json::json;

use crate::unit::UnitOfWork;
use crate::{Author, Domain, DomainResult};

pub use gatehouse_db::events::{categories, find_event, list_events};
pub use gatehouse_db::feed::{head as feed_head, page as feed_page};

/// The ring tickets are sealed and read with (retired keys left out).
pub async fn ring(domain: &Domain, tenant: TenantId, event: EventId) -> DomainResult<EventKeys> {
    Ok(gatehouse_db::keys::ring(domain.db(), domain.master(), tenant, event).await?)
}

/// Adds a fresh ticket key to the event's ring; returns its id.
pub async fn rotate_key(domain: &Domain, author: &Author, event: EventId) -> DomainResult<u16> {
    let mut unit = UnitOfWork::begin(domain, author.tenant).await?;
    let key_id =
        gatehouse_db::keys::rotate(unit.tx(), domain.master(), author.tenant, event).await?;
    unit.audit(
        &author.actor,
        "ticket_key.rotated",
        ("event", &event.to_string()),
        None::<&()>,
        Some(&json!({ "key_id": key_id })),
    )
    .await?;
    unit.layout_changed(event);
    unit.commit().await?;
    Ok(key_id)
}
