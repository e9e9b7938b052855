//! # gatehouse-server
//!
//! The platform server where central admins and outside systems work: events, participants, the
//! device sync API ([`sync_api`], whose module documentation is the protocol's reference), the
//! admin API ([`admin_api`]), the integrators' REST API ([`rest_api`], OpenAPI 3.1 at
//! `/api/v1/openapi.json`), [`webhooks`], live occupancy and the admins' [`dashboard`]. SQLite
//! (WAL) by default, PostgreSQL to scale out; one set of queries for both ([`db`]).
//!
//! The binary (`src/main.rs`) is thin: it parses the command line and calls [`cli::run`].

pub mod admin_api;
pub mod api_keys;
pub mod app;
pub mod auth;
pub mod cli;
pub mod config;
pub mod crypto;
pub mod dashboard;
pub mod db;
pub mod demo;
pub mod error;
pub mod extract;
pub mod layout_cache;
pub mod permissions;
pub mod rest_api;
pub mod state;
pub mod sync_api;
pub mod tickets;
pub mod webhooks;
