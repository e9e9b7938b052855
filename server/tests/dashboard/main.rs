//! The dashboard against the real binary, as a browser would use it (forms, cookies, redirects,
//! the live stream): signing in and out, CSRF, what a read-only viewer may not do, the overview's
//! zones and offline gates, the access log's filters, keyset pages and CSV export, live
//! occupancy after a scan, participants, the layout, webhooks, API keys and kiosks.
//!
//! One file per page; one test binary for the surface.

#[macro_use]
#[path = "../common/mod.rs"]
mod common;

mod access_log;
mod api_keys;
mod devices;
mod kiosks;
mod layout;
mod overview;
mod participants;
mod sessions;
mod webhooks;

use common::fixtures::{badge, online_scan};
use common::Server;
use serde_json::Value;

/// A gate asks the server online whether the badge of ticket `t` passes `cp`; the answer.
async fn scan_at_gate(s: &Server, device_token: &str, cp: &str, t: &Value) -> Value {
    s.as_device(device_token)
        .post_json("/sync/v1/scan", &online_scan(cp, badge(t)))
        .await
        .expect(200)
        .json()
}
