//! The outbox: event sources call [`enqueue`] inside the transaction that makes the change, so
//! an event is stored if and only if the change is (a crash between the two loses neither). The
//! fan-out happens here too: one delivery row per subscription that wants the event, so the
//! worker only has to claim rows. A tenant without subscriptions pays one indexed read.
//!
//! After the commit, call [`AppState::wake_webhooks`](crate::state::AppState::wake_webhooks) so
//! this node's worker sends at once instead of at its next poll.

use gatehouse_core::TenantId;
use uuid::Uuid;

use super::events::{self, Event};
use super::store;
use crate::db::Tx;

/// A message id, the `webhook-id` header: `msg_` + a UUIDv7.
pub fn new_message_id() -> String {
    format!("msg_{}", Uuid::now_v7().simple())
}

/// Stores `events` for every enabled subscription of `tenant` that wants them. Returns how many
/// deliveries were queued.
pub async fn enqueue(
    tx: &mut Tx,
    tenant: TenantId,
    events: &[Event],
    now: i64,
) -> Result<usize, sqlx::Error> {
    if events.is_empty() {
        return Ok(0);
    }
    Subscribers::of(tx, tenant)
        .await?
        .enqueue(tx, tenant, events, now)
        .await
}

/// A tenant's enabled subscriptions and their filters, read once per transaction, so that a
/// busy path (a scan upload) builds only the events someone wants.
pub struct Subscribers(Vec<(String, Vec<String>)>);

impl Subscribers {
    pub async fn of(tx: &mut Tx, tenant: TenantId) -> Result<Subscribers, sqlx::Error> {
        Ok(Subscribers(store::enabled_filters(tx, tenant).await?))
    }

    /// Whether any subscription wants events of this type.
    pub fn want(&self, event_type: &str) -> bool {
        self.0.iter().any(|(_, f)| events::wanted(f, event_type))
    }

    /// Stores `events` for the subscriptions that want them. Returns how many deliveries were
    /// queued.
    pub async fn enqueue(
        &self,
        tx: &mut Tx,
        tenant: TenantId,
        events: &[Event],
        now: i64,
    ) -> Result<usize, sqlx::Error> {
        let mut messages = Vec::new();
        let mut deliveries = Vec::new();
        for event in events {
            let targets: Vec<&String> = self
                .0
                .iter()
                .filter(|(_, filters)| events::wanted(filters, event.event_type))
                .map(|(id, _)| id)
                .collect();
            if targets.is_empty() {
                continue;
            }
            let id = new_message_id();
            for target in targets {
                deliveries.push((target.clone(), id.clone()));
            }
            messages.push((id, event.event_type, event.body(now)));
        }
        if messages.is_empty() {
            return Ok(0);
        }
        store::insert_messages(tx, tenant, &messages, now).await?;
        store::insert_deliveries(tx, tenant, &deliveries, now).await?;
        Ok(deliveries.len())
    }
}

/// Stores one event for one subscription whatever its filter (the test ping). Returns the
/// message id and the delivery id.
pub async fn enqueue_to(
    tx: &mut Tx,
    tenant: TenantId,
    subscription: Uuid,
    event: &Event,
    now: i64,
) -> Result<(String, Uuid), sqlx::Error> {
    let id = new_message_id();
    store::insert_messages(
        tx,
        tenant,
        &[(id.clone(), event.event_type, event.body(now))],
        now,
    )
    .await?;
    let delivery =
        store::insert_deliveries(tx, tenant, &[(subscription.to_string(), id.clone())], now)
            .await?;
    Ok((id, delivery[0]))
}

/// Queues the same message again for one subscription (a redelivery): same `webhook-id`, a
/// fresh schedule. Returns the new delivery's id.
pub async fn requeue(
    tx: &mut Tx,
    tenant: TenantId,
    subscription: Uuid,
    message_id: &str,
    now: i64,
) -> Result<Uuid, sqlx::Error> {
    let ids = store::insert_deliveries(
        tx,
        tenant,
        &[(subscription.to_string(), message_id.to_owned())],
        now,
    )
    .await?;
    Ok(ids[0])
}
