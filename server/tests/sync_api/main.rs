//! The device sync API against the real binary: pairing, the change feed, uploads (idempotent,
//! reordered, clock-corrected, offline duplicates), revocation, online scans and bad input.
//!
//! One file per concern; one test binary for the surface.

#[macro_use]
#[path = "../common/mod.rs"]
mod common;

mod bad_input;
mod devices;
mod feed;
mod online;
mod uploads;

use common::fixtures::{checkpoint, online_scan};
use common::Server;
use gatehouse_core::protocol::{
    Change, FeedPage, OnlineScanRequest, OnlineScanResponse, Presented, ScanUpload, UploadAck,
};
use gatehouse_core::ScanId;
use serde_json::Value;

/// One page of a device's change feed.
async fn feed(s: &Server, token: &str, after: i64, limit: i64) -> FeedPage {
    s.as_device(token)
        .get(&format!("/sync/v1/feed?after={after}&limit={limit}"))
        .await
        .expect(200)
        .parse()
}

/// Every change after `after`, page by page; and the cursor to ask from next.
async fn feed_all(s: &Server, token: &str, mut after: i64) -> (Vec<Change>, i64) {
    let mut changes = Vec::new();
    loop {
        let page = feed(s, token, after, 10_000).await;
        changes.extend(page.entries.into_iter().map(|e| e.change));
        after = page.cursor;
        if !page.more {
            return (changes, after);
        }
    }
}

async fn upload(s: &Server, token: &str, body: &ScanUpload) -> UploadAck {
    s.as_device(token)
        .post_json("/sync/v1/scans", body)
        .await
        .expect_because(200, "upload accepted")
        .parse()
}

/// The demo event's access log as the admin API lists it (`query` adds filters).
async fn access_logs(s: &Server, session: &str, demo: &Value, query: &str) -> Vec<Value> {
    let v = s
        .as_admin(session)
        .get_json(&format!(
            "/admin/v1/events/{}/access-logs?limit=1000{query}",
            demo["event_id"].as_str().unwrap()
        ))
        .await;
    v["access_logs"].as_array().unwrap().clone()
}

/// How many are inside `zone`, as the admin API counts them.
async fn occupancy(s: &Server, session: &str, demo: &Value, zone: &str) -> i64 {
    let v = s
        .as_admin(session)
        .get_json(&format!(
            "/admin/v1/events/{}/occupancy",
            demo["event_id"].as_str().unwrap()
        ))
        .await;
    v["zones"]
        .as_array()
        .unwrap()
        .iter()
        .find(|z| z["zone_id"] == zone)
        .unwrap()["inside"]
        .as_i64()
        .unwrap()
}

fn new_id() -> ScanId {
    ScanId(uuid::Uuid::now_v7())
}

/// A gate asks the server to decide what was presented at checkpoint `cp` (by name).
async fn online(
    s: &Server,
    token: &str,
    cp: &str,
    presented: Presented,
    scan_id: ScanId,
) -> OnlineScanResponse {
    online_overriding(s, token, cp, presented, scan_id, None).await
}

/// [`online`] with a supervisor's override reason.
async fn online_overriding(
    s: &Server,
    token: &str,
    cp: &str,
    presented: Presented,
    scan_id: ScanId,
    override_reason: Option<&str>,
) -> OnlineScanResponse {
    let (cp_id, _) = checkpoint(&s.demo_json(), cp);
    let request = OnlineScanRequest {
        scan_id,
        override_reason: override_reason.map(str::to_owned),
        ..online_scan(&cp_id, presented)
    };
    s.as_device(token)
        .post_json("/sync/v1/scan", &request)
        .await
        .expect(200)
        .parse()
}
