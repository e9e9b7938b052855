//! Ticket keys per event, sealed at rest under the server's master key. Rotation adds a key with
//! the next id: new badges are sealed with it, and older keys stay in the ring so printed badges
//! keep working. Keys reach devices through the change feed.

use gatehouse_core::protocol::{Change, KeyRecord};
use gatehouse_core::{EventId, EventKeys, TenantId, TicketKey};

use super::{exec_tx, feed, flag, now_ms, on_pool, on_tx, Db, Tx};
use crate::crypto::{self, MasterKey};

/// A key with its secret opened.
#[derive(Debug, Clone)]
pub struct OpenKey {
    pub key: TicketKey,
    pub retired: bool,
}

impl OpenKey {
    pub fn record(&self) -> KeyRecord {
        KeyRecord {
            key_id: self.key.id,
            secret_hex: self.key.secret_hex(),
            retired: self.retired,
        }
    }
}

/// Adds a fresh key to the event's ring and publishes it; returns its id.
pub async fn rotate(
    tx: &mut Tx,
    master: &MasterKey,
    tenant: TenantId,
    event: EventId,
) -> Result<u16, sqlx::Error> {
    let (max,): (Option<i64>,) = on_tx!(tx, c => sqlx::query_as(
        "SELECT MAX(key_id) FROM ticket_keys WHERE tenant_id = $1 AND event_id = $2",
    )
    .bind(tenant.to_string())
    .bind(event.to_string())
    .fetch_one(c)
    .await)?;
    let next = max.unwrap_or(0) + 1;
    let id = u16::try_from(next)
        .map_err(|_| sqlx::Error::Protocol("the event has used every ticket key id".into()))?;
    let secret = crypto::random_bytes::<32>();
    exec_tx!(tx, c => sqlx::query(
        "INSERT INTO ticket_keys (tenant_id, event_id, key_id, sealed_secret, retired, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(tenant.to_string())
    .bind(event.to_string())
    .bind(next)
    .bind(master.seal(&secret))
    .bind(flag(false))
    .bind(now_ms())
    .execute(c)
    .await)?;
    let open = OpenKey {
        key: TicketKey::new(id, secret),
        retired: false,
    };
    feed::publish(tx, tenant, event, &[Change::Key(open.record())], None).await?;
    Ok(id)
}

/// Every key of the event, opened.
pub async fn all(
    db: &Db,
    master: &MasterKey,
    tenant: TenantId,
    event: EventId,
) -> Result<Vec<OpenKey>, sqlx::Error> {
    let rows: Vec<(i64, String, i64)> = on_pool!(db, p => sqlx::query_as(
        "SELECT key_id, sealed_secret, retired FROM ticket_keys WHERE tenant_id = $1 AND event_id = $2 ORDER BY key_id",
    )
    .bind(tenant.to_string())
    .bind(event.to_string())
    .fetch_all(p)
    .await)?;
    rows.into_iter()
        .map(|(id, sealed, retired)| {
            let secret: [u8; 32] = master
                .open(&sealed)
                .ok()
                .and_then(|s| s.try_into().ok())
                .ok_or_else(|| {
                    sqlx::Error::Decode(
                        format!("ticket key {id} does not open under this master key").into(),
                    )
                })?;
            let id = u16::try_from(id)
                .map_err(|_| sqlx::Error::Decode(format!("ticket key id {id}").into()))?;
            Ok(OpenKey {
                key: TicketKey::new(id, secret),
                retired: retired != 0,
            })
        })
        .collect()
}

/// The ring tickets are sealed and read with (retired keys left out).
pub async fn ring(
    db: &Db,
    master: &MasterKey,
    tenant: TenantId,
    event: EventId,
) -> Result<EventKeys, sqlx::Error> {
    let mut ring = EventKeys::new(tenant, event);
    for k in all(db, master, tenant, event).await? {
        if !k.retired {
            ring.insert(k.key);
        }
    }
    Ok(ring)
}
