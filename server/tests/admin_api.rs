//! The admin API against the real binary: signing in, devices, the access log and its CSV export,
//! live occupancy over Server-Sent Events, and the audit log.

mod common;

use std::time::Duration;

use common::fixtures::{approved, badge, checkpoint, now_ms, online_scan, scan_upload, ticket};
use common::live::EventStream;
use common::{Backend, Server};
use gatehouse_core::protocol::OccupancyCounter;
use serde_json::{json, Value};

on_both_backends!(
    signing_in_needs_the_right_password_and_a_session,
    an_admin_creates_rotates_and_pairs_a_device,
    the_access_log_filters_and_exports_csv,
    live_occupancy_streams_a_new_snapshot_after_an_upload,
);

async fn signing_in_needs_the_right_password_and_a_session(backend: Backend) {
    let s = Server::demo(backend).await;
    let demo = s.demo_json();
    s.anonymous()
        .post_json(
            "/admin/v1/login",
            &json!({"email": demo["admin"]["email"], "password": "guess"}),
        )
        .await
        .expect_error(401, "invalid_credentials");
    s.anonymous()
        .get("/admin/v1/events")
        .await
        .expect_error(401, "missing_session");
    s.as_admin("ghs_forged")
        .get("/admin/v1/events")
        .await
        .expect(401);

    let session = s.admin_session().await;
    let me = s.as_admin(&session).get("/admin/v1/me").await.json();
    let perms: Vec<&str> = me["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    for p in [
        "api-keys:manage",
        "check-in:scan",
        "devices:manage",
        "event-clone:execute",
    ] {
        assert!(perms.contains(&p), "{p}");
    }
    // The session also works as a cookie (for the dashboard).
    s.anonymous()
        .header("cookie", &format!("gatehouse_session={session}"))
        .get("/admin/v1/events")
        .await
        .expect(200);
}

async fn an_admin_creates_rotates_and_pairs_a_device(backend: Backend) {
    let s = Server::demo(backend).await;
    let demo = s.demo_json();
    let session = s.admin_session().await;
    let admin = s.as_admin(&session);
    let event = demo["event_id"].as_str().unwrap();
    let devices = format!("/admin/v1/events/{event}/devices");
    let created = admin
        .post_json(&devices, &json!({"name": "North turnstile"}))
        .await
        .expect(201)
        .json();
    assert_eq!(created["device"]["state"], "awaiting_pairing");
    let paired = s.pair(created["pairing_code"].as_str().unwrap()).await;
    assert_eq!(paired.device_name, "North turnstile");

    // Rotating forgets the token and hands out a new code.
    let id = created["device"]["id"].as_str().unwrap();
    let rotated = admin
        .post(&format!("/admin/v1/devices/{id}/rotate"))
        .await
        .json();
    s.as_device(&paired.device_token)
        .get("/sync/v1/feed")
        .await
        .expect(401);
    let again = s.pair(rotated["pairing_code"].as_str().unwrap()).await;
    assert_eq!(again.device_id, paired.device_id);

    // The device can swap its own token.
    let swapped = s
        .as_device(&again.device_token)
        .post("/sync/v1/token")
        .await
        .json();
    let fresh = swapped["device_token"].as_str().unwrap();
    assert_ne!(fresh, again.device_token);
    s.as_device(fresh).get("/sync/v1/feed").await.expect(200);
    s.as_device(&again.device_token)
        .get("/sync/v1/feed")
        .await
        .expect(401);

    admin
        .post_json(&devices, &json!({"name": "  "}))
        .await
        .expect(422);

    let audit = admin.get("/admin/v1/audit").await.json();
    let actions: Vec<&str> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for a in [
        "device.created",
        "device.paired",
        "device.rotated",
        "device.token_rotated",
    ] {
        assert!(actions.contains(&a), "audit has {a}: {actions:?}");
    }
}

/// What a gate asks online at `cp` with this badge; the server's answer.
async fn scan_online(s: &Server, token: &str, cp: &str, t: &Value) -> Value {
    s.as_device(token)
        .post_json("/sync/v1/scan", &online_scan(cp, badge(t)))
        .await
        .json()
}

async fn the_access_log_filters_and_exports_csv(backend: Backend) {
    let s = Server::demo(backend).await;
    let demo = s.demo_json();
    let (gate, _) = s.pair_demo_devices().await;
    let session = s.admin_session().await;
    let (entry, _) = checkpoint(&demo, "Main gate entry");
    let (vip_door, _) = checkpoint(&demo, "VIP door");
    let a = ticket(&demo, |t| approved(t) && t["category"] == "Delegate");
    let vip = ticket(&demo, |t| approved(t) && t["category"] == "VIP");
    let blocked = ticket(&demo, |t| t["blocked"] == true);
    let token = &gate.device_token;
    scan_online(&s, token, &entry, a).await;
    scan_online(&s, token, &entry, a).await;
    scan_online(&s, token, &vip_door, vip).await;
    scan_online(&s, token, &entry, blocked).await;

    let admin = s.as_admin(&session);
    let event = demo["event_id"].as_str().unwrap();
    let list = |q: String| {
        let admin = &admin;
        async move {
            let v = admin
                .get(&format!("/admin/v1/events/{event}/access-logs?{q}"))
                .await
                .json();
            v["access_logs"].as_array().unwrap().len()
        }
    };
    assert_eq!(list(String::new()).await, 4);
    assert_eq!(list(format!("checkpoint={vip_door}")).await, 1);
    assert_eq!(list("verdict=BLOCKED".into()).await, 1);
    assert_eq!(
        list(format!(
            "participant={}",
            a["participant_id"].as_str().unwrap()
        ))
        .await,
        2
    );
    assert_eq!(list(format!("from={}", now_ms() + 60_000)).await, 0);
    admin
        .get(&format!(
            "/admin/v1/events/{event}/access-logs?verdict=MAYBE"
        ))
        .await
        .expect(400);

    let csv = admin
        .get(&format!("/admin/v1/events/{event}/access-logs.csv"))
        .await
        .expect(200);
    assert!(csv.header("content-type").starts_with("text/csv"));
    let text = csv.body;
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 5, "a header and four scans");
    assert!(lines[0].starts_with("id,server_time"));
    assert!(text.contains("ALREADY_SCANNED"));
}

async fn live_occupancy_streams_a_new_snapshot_after_an_upload(backend: Backend) {
    let s = Server::demo(backend).await;
    let demo = s.demo_json();
    let (gate, _) = s.pair_demo_devices().await;
    let session = s.admin_session().await;
    let (_, plenary) = checkpoint(&demo, "Main gate entry");
    let event = demo["event_id"].as_str().unwrap();
    let mut live = EventStream::open(
        s.as_admin(&session)
            .open_stream(&format!("/admin/v1/events/{event}/occupancy/stream"))
            .await,
    );
    let mut snapshots = Vec::new();
    let mut uploaded = false;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while snapshots.len() < 2 && tokio::time::Instant::now() < deadline {
        let Some(snapshot) = live.next_any().await else {
            break;
        };
        snapshots.push(snapshot);
        if !uploaded {
            uploaded = true;
            let counter = OccupancyCounter {
                zone_id: plenary.parse().unwrap(),
                ins: 7,
                outs: 2,
            };
            let upload = scan_upload(vec![], vec![counter]);
            s.as_device(&gate.device_token)
                .post_json("/sync/v1/scans", &upload)
                .await
                .expect(200);
        }
    }
    assert!(
        snapshots.len() >= 2,
        "a snapshot at once and one after the upload"
    );
    let inside = |snap: &Value| {
        snap["zones"]
            .as_array()
            .unwrap()
            .iter()
            .find(|z| z["zone_id"] == plenary.as_str())
            .unwrap()["inside"]
            .as_i64()
            .unwrap()
    };
    assert_eq!(inside(&snapshots[0]), 0);
    assert_eq!(inside(snapshots.last().unwrap()), 5);
}
