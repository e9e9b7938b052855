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
//! - [`api`]: `/api/v1/webhooks`, the subscriptions and their delivery log.
//! - [`store`]: the tables.

pub mod api;
pub mod events;
pub mod outbox;
pub mod schedule;
pub mod signing;
pub mod ssrf;
pub mod store;
pub mod worker;
