//! # gatehouse-domain
//!
//! The platform's domain layer: every change to a tenant's events, participants, layout, devices,
//! keys, kiosk records and webhooks is one function here, and every surface (the admin API, the
//! REST API, the dashboard, the device sync API) calls it instead of writing tables itself.
//!
//! What one operation does, in order (see [`unit::UnitOfWork`]):
//!
//! 1. validate the input and read what it depends on;
//! 2. write in **one transaction**: the rows (through `gatehouse-db`), the audit entry, the device
//!    feed, the webhook events (fanned out to deliveries by [`webhooks::outbox`]);
//! 3. **after commit**: wake this node's webhook worker, tell live views ([`live`]) and drop
//!    cached layouts ([`layout::cache`]) — never before, so nobody hears of a change that was
//!    rolled back.
//!
//! Reads that only look are re-exported queries of `gatehouse-db` (each aggregate module
//! re-exports its own); nothing that writes is re-exported. Errors are [`DomainError`]s with a
//! stable code and a sentence for people, which the surfaces map to their formats unchanged.
//!
//! Aggregates: [`participants`], [`check_in`] (online check-ins and device uploads),
//! [`layout`] (zones and checkpoints), [`events`] (ticket keys), [`devices`], [`kiosk`],
//! [`occupancy`], [`api_keys`] (with rate limits and usage), [`sessions`] (admin sign-in),
//! [`webhooks`] (subscriptions, the outbox and the delivery worker), [`idempotency`] (stored
//! answers of idempotent requests). [`demo`] seeds a demo
//! tenant. [`access_log`], [`tenants`] and [`audit`] are read-only.

pub mod access_log;
pub mod api_keys;
pub mod check_in;
pub mod demo;
pub mod devices;
pub mod error;
pub mod events;
pub mod idempotency;
pub mod kiosk;
pub mod layout;
pub mod live;
pub mod occupancy;
pub mod participants;
pub mod sessions;
pub mod tenants;
pub mod tickets;
pub mod unit;
pub mod webhooks;

use std::sync::Arc;

pub use error::{DomainError, DomainResult, ErrorKind};
pub use gatehouse_db::audit::Actor;
/// The audit log as admins read it (written by every [`UnitOfWork`]).
pub mod audit {
    pub use gatehouse_db::audit::{recent, Actor, AuditEntry};
}
pub use gatehouse_db::crypto::{self, MasterKey};
pub use gatehouse_db::permissions::{self, FeatureFlag, Permission};
pub use gatehouse_db::{now_ms, Db, DbError};
pub use unit::UnitOfWork;

use api_keys::rate_limit::RateLimiter;
use api_keys::usage::UsageCounter;
use gatehouse_core::TenantId;
use layout::cache::LayoutCache;
use live::Live;

/// What the domain needs to know of the server's configuration.
#[derive(Debug, Clone)]
pub struct Settings {
    /// How long a device's pairing code may be used.
    pub pairing_code_ttl_seconds: i64,
    /// How long an admin stays signed in.
    pub session_ttl_hours: i64,
    pub webhooks: webhooks::Settings,
}

/// Who makes a change: the tenant it happens in and the author the audit log names.
#[derive(Debug, Clone)]
pub struct Author {
    pub tenant: TenantId,
    pub actor: Actor,
}

impl Author {
    pub fn new(tenant: TenantId, actor: Actor) -> Self {
        Author { tenant, actor }
    }
}

/// The domain's handle: the database, the master key, and what one server node keeps in memory
/// (live views, cached layouts, rate-limit buckets, counted API key uses, failed sign-ins).
/// Cheap to clone.
#[derive(Clone)]
pub struct Domain {
    inner: Arc<Inner>,
}

struct Inner {
    db: Db,
    master: MasterKey,
    settings: Settings,
    live: Live,
    layouts: LayoutCache,
    /// Wakes this node's webhook worker when a transaction queued deliveries.
    webhooks: tokio::sync::Notify,
    rate_limits: RateLimiter,
    api_key_usage: Arc<UsageCounter>,
    sign_ins: sessions::SignIns,
}

impl Domain {
    /// Starts the domain on an opened database. Needs a Tokio runtime: API key uses are written
    /// in the background ([`api_keys::usage`]).
    pub fn new(db: Db, master: MasterKey, settings: Settings) -> Self {
        let api_key_usage = Arc::new(UsageCounter::default());
        api_keys::usage::flush_in_background(api_key_usage.clone(), db.clone());
        Domain {
            inner: Arc::new(Inner {
                db,
                master,
                settings,
                live: Live::default(),
                layouts: LayoutCache::default(),
                webhooks: tokio::sync::Notify::new(),
                rate_limits: RateLimiter::default(),
                api_key_usage,
                sign_ins: sessions::SignIns::default(),
            }),
        }
    }

    /// The database, for the queries each aggregate module re-exports.
    pub fn db(&self) -> &Db {
        &self.inner.db
    }

    pub fn master(&self) -> &MasterKey {
        &self.inner.master
    }

    pub fn settings(&self) -> &Settings {
        &self.inner.settings
    }

    /// Live views' change notices.
    pub fn live(&self) -> &Live {
        &self.inner.live
    }

    /// Key rings, checkpoints and zones per event, for the check-in paths.
    pub fn layouts(&self) -> &LayoutCache {
        &self.inner.layouts
    }

    /// The REST API's per-key token buckets.
    pub fn rate_limits(&self) -> &RateLimiter {
        &self.inner.rate_limits
    }

    /// Admin sign-ins: throttle, bounded password checks, sign-out notices.
    pub fn sign_ins(&self) -> &sessions::SignIns {
        &self.inner.sign_ins
    }

    /// API key uses counted since the last write.
    pub fn api_key_usage(&self) -> &UsageCounter {
        &self.inner.api_key_usage
    }

    /// Tells this node's webhook worker that deliveries are due. [`UnitOfWork::commit`] calls it;
    /// code outside a unit of work (the worker itself) may too.
    pub fn wake_webhooks(&self) {
        self.inner.webhooks.notify_one();
    }

    /// What the webhook worker waits on between polls.
    pub fn webhook_wakeups(&self) -> &tokio::sync::Notify {
        &self.inner.webhooks
    }

    /// Writes counted API key uses now (at shutdown, before an admin reads the keys).
    pub async fn flush_usage(&self) -> DomainResult<()> {
        Ok(self.inner.api_key_usage.flush(&self.inner.db).await?)
    }
}
