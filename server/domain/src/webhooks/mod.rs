//! Webhooks: outside systems (badge printers' middleware, security operations, a CRM) learn of
//! every check-in, status change and silent gate within a second, and never miss one.
//!
//! - [`events`]: the catalogue of event types and the JSON each one carries.
//! - [`outbox`]: event sources write events in the same transaction as the change; each is
//!   fanned out to one delivery per interested subscription.
//! - [`worker`]: one per node; claims due deliveries (`SKIP LOCKED` on PostgreSQL), sends them
//!   signed per the Standard Webhooks spec ([`signing`]), retries on the [`schedule`], and
//!   announces devices that went silent.
//! - [`ssrf`]: no deliveries to the server's own network unless configured.
//! - [`subscriptions`]: subscribe, change, pause, delete, test, redeliver, replay — what the REST
//!   API, the admin API and the dashboard all do through here.
//! - The tables are `gatehouse_db::webhooks`.

pub mod events;
pub mod outbox;
pub mod schedule;
pub mod signing;
pub mod ssrf;
pub mod subscriptions;
pub mod worker;

/// How the delivery worker behaves (from the server's configuration).
#[derive(Debug, Clone)]
pub struct Settings {
    /// Deliver to private and loopback addresses too (tests, a site's own network).
    pub allow_private: bool,
    /// First retry after this long; later ones back off from it.
    pub retry_base_ms: u64,
    /// How long one delivery may take.
    pub timeout_ms: u64,
    /// A device silent this long is announced as offline.
    pub device_offline_seconds: i64,
}
