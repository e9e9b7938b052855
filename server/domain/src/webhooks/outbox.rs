//! The outbox: event sources call [`enqueue`] inside the transaction that makes the change, so
//! an event is stored if and only if the change is (a crash between the two loses neither). The
//! fan-out happens here too: one delivery row per subscription that wants the event, so the
//! worker only has to claim rows. A tenant without subscriptions pays one indexed read.
//!
//! After the commit, call [`Domain::wake_webhooks`](crate::Domain::wake_webhooks) so
//! this node's worker sends at once instead of at its next poll.

use gatehouse_core::TenantId;
use uuid::Uuid;

use super::events::{self, Event};
use gatehouse_db::webhooks as store;
use gatehouse_db::Tx;

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
) -> Result<usize, gatehouse_db::DbError> {
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
    pub async fn of(tx: &mut Tx, tenant: TenantId) -> Result<Subscribers, gatehouse_db::DbError> {
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
    ) -> Result<usize, gatehouse_db::DbError> {
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
) -> Result<(String, Uuid), gatehouse_db::DbError> {
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
) -> Result<Uuid, gatehouse_db::DbError> {
    let ids = store::insert_deliveries(
        tx,
        tenant,
        &[(subscription.to_string(), message_id.to_owned())],
        now,
    )
    .await?;
    Ok(ids[0])
}

#[cfg(test)]
mod tests {
    use gatehouse_core::TenantId;
    use gatehouse_db::permissions::FeatureFlag;
    use gatehouse_db::webhooks::*;
    use gatehouse_db::Db;
    use uuid::Uuid;

    use crate::webhooks::{events, outbox};

    async fn tenant_with_webhooks(db: &Db) -> TenantId {
        let tenant = TenantId(Uuid::now_v7());
        let mut tx = db.begin().await.unwrap();
        gatehouse_db::tenants::create(
            &mut tx,
            &gatehouse_core::Tenant {
                id: tenant,
                name: "T".into(),
                slug: "t".into(),
            },
        )
        .await
        .unwrap();
        gatehouse_db::tenants::set_feature(&mut tx, tenant, FeatureFlag::Webhooks, true)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        tenant
    }

    #[tokio::test]
    async fn events_fan_out_by_filter_and_old_settled_deliveries_are_pruned() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::connect(None, dir.path()).await.unwrap();
        db.migrate().await.unwrap();
        let tenant = tenant_with_webhooks(&db).await;
        let mut tx = db.begin().await.unwrap();
        for types in [vec!["*".to_owned()], vec!["device.*".to_owned()]] {
            insert(
                &mut tx,
                tenant,
                &NewSubscription {
                    url: "https://example.com/",
                    description: "",
                    event_types: &types,
                    sealed_secret: "x",
                    enabled: true,
                },
                1,
            )
            .await
            .unwrap();
        }
        // Long ago: one event only the catch-all wants, one both want.
        let scan = events::Event {
            event_type: events::CHECKIN_SCANNED,
            data: serde_json::json!({}),
        };
        let device = events::Event {
            event_type: events::DEVICE_OFFLINE,
            data: serde_json::json!({}),
        };
        let queued = outbox::enqueue(&mut tx, tenant, &[scan, device], 1_000)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        assert_eq!(queued, 3);
        assert_eq!(count_by_status(&db, "pending").await.unwrap(), 3);

        let claimed = claim_due(&db, 2_000, 60_000, 10).await.unwrap();
        assert_eq!(claimed.len(), 3);
        assert!(
            claim_due(&db, 2_000, 60_000, 10).await.unwrap().is_empty(),
            "leased"
        );
        let mut tx = db.begin().await.unwrap();
        for c in &claimed[..2] {
            record_attempt(
                &mut tx,
                &AttemptRecord {
                    tenant_id: c.tenant_id.clone(),
                    delivery_id: c.id.clone(),
                    duration_ms: 1,
                    subscription_id: c.subscription_id.clone(),
                    status: "delivered",
                    attempts: 1,
                    next_attempt_at: None,
                    attempted_at: 2_000,
                    status_code: Some(200),
                    error: None,
                    response: None,
                },
            )
            .await
            .unwrap();
        }
        tx.commit().await.unwrap();
        // Settled deliveries go; the pending one and its message stay.
        let pruned = prune(&db, 10_000).await.unwrap();
        assert!(pruned >= 2, "{pruned}");
        assert_eq!(count_by_status(&db, "delivered").await.unwrap(), 0);
        assert_eq!(count_by_status(&db, "pending").await.unwrap(), 1);
        let after_lease = claim_due(&db, 70_000, 200_000, 10).await.unwrap();
        assert_eq!(after_lease.len(), 1, "the lease ran out: taken again");
        assert_eq!(after_lease[0].id, claimed[2].id);
        db.close().await;
    }
}
