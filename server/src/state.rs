//! What every handler can reach: the database, the master key, the configuration and the channel
//! that tells live views (occupancy over Server-Sent Events) that an event changed.

use std::sync::Arc;

use gatehouse_core::EventId;
use tokio::sync::broadcast;

use crate::config::Config;
use crate::crypto::MasterKey;
use crate::db::Db;
use crate::layout_cache::LayoutCache;
use crate::rest_api::rate_limit::RateLimiter;
use crate::rest_api::usage::UsageCounter;

/// How many change notices a slow live view may fall behind before it re-reads from scratch.
const LIVE_BACKLOG: usize = 1024;

#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    db: Db,
    master: MasterKey,
    config: Config,
    live: broadcast::Sender<EventId>,
    layouts: LayoutCache,
    /// Wakes this node's webhook worker when a transaction enqueued deliveries.
    webhooks: tokio::sync::Notify,
    rate_limits: RateLimiter,
    api_key_usage: Arc<UsageCounter>,
}

impl AppState {
    pub fn new(db: Db, master: MasterKey, config: Config) -> Self {
        let (live, _) = broadcast::channel(LIVE_BACKLOG);
        let api_key_usage = Arc::new(UsageCounter::default());
        crate::rest_api::usage::flush_in_background(api_key_usage.clone(), db.clone());
        AppState {
            inner: Arc::new(Inner {
                db,
                master,
                config,
                live,
                layouts: LayoutCache::default(),
                webhooks: tokio::sync::Notify::new(),
                rate_limits: RateLimiter::default(),
                api_key_usage,
            }),
        }
    }

    pub fn db(&self) -> &Db {
        &self.inner.db
    }

    pub fn master(&self) -> &MasterKey {
        &self.inner.master
    }

    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// Key rings, checkpoints and zones per event, for the scan paths.
    pub fn layouts(&self) -> &LayoutCache {
        &self.inner.layouts
    }

    /// The REST API's per-key token buckets.
    pub fn rate_limits(&self) -> &RateLimiter {
        &self.inner.rate_limits
    }

    /// API key uses counted since the last write.
    pub fn api_key_usage(&self) -> &UsageCounter {
        &self.inner.api_key_usage
    }

    /// Tells live views that the event's scans or occupancy changed.
    pub fn notify(&self, event: EventId) {
        let _ = self.inner.live.send(event);
    }

    pub fn subscribe(&self) -> broadcast::Receiver<EventId> {
        self.inner.live.subscribe()
    }

    /// Tells the webhook worker that deliveries are due (call after the enqueuing commit).
    pub fn wake_webhooks(&self) {
        self.inner.webhooks.notify_one();
    }

    /// What the webhook worker waits on between polls.
    pub fn webhook_wakeups(&self) -> &tokio::sync::Notify {
        &self.inner.webhooks
    }
}
