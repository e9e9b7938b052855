//! # gatehouse-server
//!
//! The platform server's HTTP side, over the domain layer (`gatehouse-domain`) and its
//! persistence (`gatehouse-db`, which this crate cannot reach: Cargo refuses the import). Four
//! surfaces, each an adapter that extracts the caller and the input, calls the domain and maps
//! the result to its format:
//!
//! - [`sync_api`]: the devices (`/sync/v1`; its module documentation is the protocol's reference);
//! - [`admin_api`]: admins and the dashboard's scripts (`/admin/v1`);
//! - [`rest_api`]: integrators (`/api/v1`, OpenAPI 3.1 at `/api/v1/openapi.json`);
//! - [`dashboard`]: admins in a browser (server-rendered pages, live through Server-Sent Events);
//!
//! and [`webhooks_api`], the webhook subscription routes mounted under both `/api/v1` and
//! `/admin/v1`. No surface imports another (a test over the module tree fails the build if one
//! does); what they share is HTTP plumbing: [`auth`] (callers as extractors), [`error`] (one
//! envelope), [`extract`], [`rate_limit`] (the `RateLimit-*` headers).
//!
//! The binary (`src/main.rs`) is thin: it parses the command line and calls [`cli::run`].

pub mod admin_api;
pub mod app;
pub mod auth;
pub mod cli;
pub mod config;
pub mod dashboard;
pub mod error;
pub mod extract;
pub mod rate_limit;
pub mod rest_api;
pub mod state;
pub mod sync_api;
pub mod webhooks_api;
