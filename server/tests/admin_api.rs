//! The admin API against the real binary: signing in, devices, the access log and its CSV export,
//! live occupancy over Server-Sent Events, and the audit log.

mod common;

use std::time::Duration;

use common::{checkpoint, now_ms, ticket, Backend, Server};
use futures::StreamExt;
use gatehouse_core::protocol::{DeviceReport, OccupancyCounter, ScanUpload};
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
    let wrong = s
        .http
        .post(s.at("/admin/v1/login"))
        .json(&json!({"email": demo["admin"]["email"], "password": "guess"}))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    assert_eq!(
        wrong.json::<Value>().await.unwrap()["error"]["code"],
        "invalid_credentials"
    );
    let anonymous = s.http.get(s.at("/admin/v1/events")).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
    assert_eq!(
        anonymous.json::<Value>().await.unwrap()["error"]["code"],
        "missing_session"
    );
    let forged = s
        .http
        .get(s.at("/admin/v1/events"))
        .bearer_auth("ghs_forged")
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 401);

    let session = s.admin_session().await;
    let me: Value = s
        .http
        .get(s.at("/admin/v1/me"))
        .bearer_auth(&session)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
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
    let by_cookie = s
        .http
        .get(s.at("/admin/v1/events"))
        .header("cookie", format!("gatehouse_session={session}"))
        .send()
        .await
        .unwrap();
    assert_eq!(by_cookie.status(), 200);
}

async fn an_admin_creates_rotates_and_pairs_a_device(backend: Backend) {
    let s = Server::demo(backend).await;
    let demo = s.demo_json();
    let session = s.admin_session().await;
    let event = demo["event_id"].as_str().unwrap();
    let created = s
        .http
        .post(s.at(&format!("/admin/v1/events/{event}/devices")))
        .bearer_auth(&session)
        .json(&json!({"name": "North turnstile"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let created: Value = created.json().await.unwrap();
    assert_eq!(created["device"]["state"], "awaiting_pairing");
    let paired = s.pair(created["pairing_code"].as_str().unwrap()).await;
    assert_eq!(paired.device_name, "North turnstile");

    // Rotating forgets the token and hands out a new code.
    let id = created["device"]["id"].as_str().unwrap();
    let rotated: Value = s
        .http
        .post(s.at(&format!("/admin/v1/devices/{id}/rotate")))
        .bearer_auth(&session)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let old = s
        .http
        .get(s.at("/sync/v1/feed"))
        .bearer_auth(&paired.device_token)
        .send()
        .await
        .unwrap();
    assert_eq!(old.status(), 401);
    let again = s.pair(rotated["pairing_code"].as_str().unwrap()).await;
    assert_eq!(again.device_id, paired.device_id);

    // The device can swap its own token.
    let swapped: Value = s
        .http
        .post(s.at("/sync/v1/token"))
        .bearer_auth(&again.device_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let fresh = swapped["device_token"].as_str().unwrap();
    assert_ne!(fresh, again.device_token);
    assert_eq!(
        s.http
            .get(s.at("/sync/v1/feed"))
            .bearer_auth(fresh)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        s.http
            .get(s.at("/sync/v1/feed"))
            .bearer_auth(&again.device_token)
            .send()
            .await
            .unwrap()
            .status(),
        401
    );

    let bad_name = s
        .http
        .post(s.at(&format!("/admin/v1/events/{event}/devices")))
        .bearer_auth(&session)
        .json(&json!({"name": "  "}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad_name.status(), 422);

    let audit: Value = s
        .http
        .get(s.at("/admin/v1/audit"))
        .bearer_auth(&session)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
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

fn report() -> DeviceReport {
    DeviceReport {
        app_version: "test".into(),
        profile: None,
        cursor: 0,
        outbox_depth: 0,
        device_time: now_ms(),
    }
}

async fn online_scan(s: &Server, token: &str, cp: &str, payload: &Value) -> Value {
    s.http
        .post(s.at("/sync/v1/scan"))
        .bearer_auth(token)
        .json(&json!({
            "scan_id": uuid::Uuid::now_v7(),
            "presented": {"payload": payload},
            "checkpoint_id": cp,
            "requested": null,
            "override_reason": null,
            "device_time": now_ms(),
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn the_access_log_filters_and_exports_csv(backend: Backend) {
    let s = Server::demo(backend).await;
    let demo = s.demo_json();
    let (gate, _) = s.pair_demo_devices().await;
    let session = s.admin_session().await;
    let (entry, _) = checkpoint(&demo, "Main gate entry");
    let (vip_door, _) = checkpoint(&demo, "VIP door");
    let a = ticket(&demo, |t| {
        t["status"] == "approved" && t["blocked"] == false && t["category"] == "Delegate"
    });
    let vip = ticket(&demo, |t| {
        t["status"] == "approved" && t["blocked"] == false && t["category"] == "VIP"
    });
    let blocked = ticket(&demo, |t| t["blocked"] == true);
    online_scan(&s, &gate.device_token, &entry, &a["payload"]).await;
    online_scan(&s, &gate.device_token, &entry, &a["payload"]).await;
    online_scan(&s, &gate.device_token, &vip_door, &vip["payload"]).await;
    online_scan(&s, &gate.device_token, &entry, &blocked["payload"]).await;

    let event = demo["event_id"].as_str().unwrap();
    let list = |q: String| {
        let s = &s;
        let session = session.clone();
        async move {
            let v: Value = s
                .http
                .get(s.at(&format!("/admin/v1/events/{event}/access-logs?{q}")))
                .bearer_auth(&session)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
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
    let bad = s
        .http
        .get(s.at(&format!(
            "/admin/v1/events/{event}/access-logs?verdict=MAYBE"
        )))
        .bearer_auth(&session)
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);

    let csv = s
        .http
        .get(s.at(&format!("/admin/v1/events/{event}/access-logs.csv")))
        .bearer_auth(&session)
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), 200);
    assert!(csv.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let text = csv.text().await.unwrap();
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
    let res = s
        .http
        .get(s.at(&format!("/admin/v1/events/{event}/occupancy/stream")))
        .bearer_auth(&session)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/event-stream"));
    let mut body = res.bytes_stream();
    let mut seen = String::new();
    let mut snapshots = Vec::new();
    let mut uploaded = false;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while snapshots.len() < 2 && tokio::time::Instant::now() < deadline {
        let chunk = match tokio::time::timeout(Duration::from_secs(10), body.next()).await {
            Ok(Some(Ok(chunk))) => chunk,
            _ => break,
        };
        seen.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = seen.find("\n\n") {
            let frame: String = seen.drain(..end + 2).collect();
            if let Some(data) = frame.lines().find_map(|l| l.strip_prefix("data: ")) {
                snapshots.push(serde_json::from_str::<Value>(data).unwrap());
            }
        }
        if !snapshots.is_empty() && !uploaded {
            uploaded = true;
            let upload = ScanUpload {
                scans: vec![],
                occupancy: vec![OccupancyCounter {
                    zone_id: plenary.parse().unwrap(),
                    ins: 7,
                    outs: 2,
                }],
                report: report(),
            };
            let res = s
                .http
                .post(s.at("/sync/v1/scans"))
                .bearer_auth(&gate.device_token)
                .json(&upload)
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 200);
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
