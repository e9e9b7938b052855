//! Attacks played against the real binary, one file per defence: guessing admin passwords,
//! formulas smuggled into the CSV export, a cross-site page posting with the admin's cookie, a
//! live stream that outlives its session, and an API key minted beyond its maker's permissions.
//! (The webhook SSRF guard is played in the webhooks tests, next to their receiver.)
//!
//! Each test makes the attack and asserts what the attacker gets: a refusal, and nothing changed.

#[macro_use]
#[path = "../common/mod.rs"]
mod common;

mod api_key_scopes;
mod cross_site;
mod csv_injection;
mod login;
mod streams;
