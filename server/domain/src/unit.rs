//! A unit of work: one change to one tenant, made in one transaction, announced after it commits.
//!
//! ```text
//! begin ─► rows (gatehouse-db) + audit + device feed + webhook events ─► COMMIT
//!       ─► wake the webhook worker, tell live views, drop cached layouts
//! ```
//!
//! Everything a change must tell others is collected while the transaction runs and acted on only
//! by [`UnitOfWork::commit`]: a rolled-back change (an error, a dropped unit) announces nothing,
//! and no operation can forget a step another surface remembered.
//!
//! Outside this crate a unit can only be begun, handed to the domain's `*_in` functions (to put
//! several changes, or a change and an idempotent answer, in one transaction) and committed: what
//! it writes is always the domain's.

use gatehouse_core::protocol::Change;
use gatehouse_core::{DeviceId, EventId, TenantId};
use gatehouse_db::{audit, feed, Tx};
use serde::Serialize;

use crate::webhooks::events::Event as WebhookEvent;
use crate::webhooks::outbox::Subscribers;
use crate::{Actor, Domain, DomainResult};

/// One change in progress. Dropping it without [`commit`](UnitOfWork::commit) rolls it back.
pub struct UnitOfWork<'d> {
    domain: &'d Domain,
    tenant: TenantId,
    tx: Tx,
    subscribers: Option<Subscribers>,
    deliveries_queued: usize,
    live: Vec<EventId>,
    layouts: Vec<EventId>,
}

impl<'d> UnitOfWork<'d> {
    /// Begins a change in `tenant`.
    pub async fn begin(domain: &'d Domain, tenant: TenantId) -> DomainResult<UnitOfWork<'d>> {
        Ok(UnitOfWork {
            tx: domain.db().begin().await?,
            domain,
            tenant,
            subscribers: None,
            deliveries_queued: 0,
            live: Vec::new(),
            layouts: Vec::new(),
        })
    }

    pub fn domain(&self) -> &'d Domain {
        self.domain
    }

    pub fn tenant(&self) -> TenantId {
        self.tenant
    }

    /// The transaction, for the rows of the change.
    pub(crate) fn tx(&mut self) -> &mut Tx {
        &mut self.tx
    }

    /// Makes concurrent units that name the same `key` run one after another until commit.
    pub(crate) async fn serialize_on(&mut self, key: &str) -> DomainResult<()> {
        Ok(self.tx.serialize_on(key).await?)
    }

    /// Records the change in the audit log, in this transaction.
    pub(crate) async fn audit(
        &mut self,
        actor: &Actor,
        action: &str,
        entity: (&str, &str),
        before: Option<&impl Serialize>,
        after: Option<&impl Serialize>,
    ) -> DomainResult<()> {
        let (kind, id) = entity;
        audit::record(
            &mut self.tx,
            self.tenant,
            actor,
            action,
            kind,
            id,
            before,
            after,
        )
        .await?;
        Ok(())
    }

    /// Publishes changes to the event's device feed (devices learn them at their next sync).
    /// `origin` is the device whose own scans these are, if any.
    pub(crate) async fn publish(
        &mut self,
        event: EventId,
        changes: &[Change],
        origin: Option<DeviceId>,
    ) -> DomainResult<()> {
        feed::publish(&mut self.tx, self.tenant, event, changes, origin).await?;
        Ok(())
    }

    /// The tenant's webhook subscriptions, read once per unit. A busy path calls this early, so
    /// the read does not happen while it holds rows other changes wait for.
    pub(crate) async fn subscribers(&mut self) -> DomainResult<&Subscribers> {
        if self.subscribers.is_none() {
            self.subscribers = Some(Subscribers::of(&mut self.tx, self.tenant).await?);
        }
        Ok(self.subscribers.as_ref().expect("read just above"))
    }

    /// Queues webhook events for the subscriptions that want them, in this transaction.
    pub(crate) async fn webhooks(&mut self, events: &[WebhookEvent], now: i64) -> DomainResult<()> {
        if events.is_empty() {
            return Ok(());
        }
        self.subscribers().await?;
        let subscribers = self.subscribers.as_ref().expect("read just above");
        self.deliveries_queued += subscribers
            .enqueue(&mut self.tx, self.tenant, events, now)
            .await?;
        Ok(())
    }

    /// Counts deliveries queued by other means (a test ping, a redelivery), so that commit wakes
    /// the worker for them.
    pub(crate) fn queued_deliveries(&mut self, n: usize) {
        self.deliveries_queued += n;
    }

    /// Live views of `event` re-read after commit.
    pub(crate) fn notify_live(&mut self, event: EventId) {
        if !self.live.contains(&event) {
            self.live.push(event);
        }
    }

    /// The event's zones, checkpoints or keys changed: cached layouts are dropped after commit,
    /// and live views told.
    pub(crate) fn layout_changed(&mut self, event: EventId) {
        if !self.layouts.contains(&event) {
            self.layouts.push(event);
        }
        self.notify_live(event);
    }

    /// Commits, then announces: wakes the webhook worker if deliveries were queued, drops cached
    /// layouts, tells live views.
    pub async fn commit(self) -> DomainResult<()> {
        let UnitOfWork {
            domain,
            tenant,
            tx,
            deliveries_queued,
            live,
            layouts,
            ..
        } = self;
        tx.commit().await?;
        if deliveries_queued > 0 {
            domain.wake_webhooks();
        }
        for event in layouts {
            domain.layouts().invalidate(tenant, event);
        }
        for event in live {
            domain.live().notify(event);
        }
        Ok(())
    }
}
