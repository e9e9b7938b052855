//! What is announced, written with the change that caused it: status changes, devices going
//! silent and coming back, online scans with their verdict, registrations, occupancy thresholds
//! (each crossing once) and offline duplicates.

use gatehouse_core::protocol::OccupancyCounter;
use gatehouse_core::ScanId;
use serde_json::{json, Value};

use super::receiver::{verify, Receiver};
use super::{
    approved_participant, first_subscription, integrator, ping, scan, subscribe, upload,
    upload_with, FAST,
};
use crate::common::fixtures::{approved, badge, checkpoint, online_scan, ticket, tickets};
use crate::common::page::sign_in;
use crate::common::{Backend, Server};

on_both_backends!(
    status_changes_and_silent_devices_are_announced,
    online_scans_are_announced_with_their_verdict,
    a_participant_registered_through_the_api_is_announced,
    a_zone_filling_up_announces_each_threshold_once,
    an_offline_duplicate_is_announced,
);

async fn status_changes_and_silent_devices_are_announced(backend: Backend) {
    let mut env = FAST.to_vec();
    env.push(("GATEHOUSE_WEBHOOKS_DEVICE_OFFLINE_SECONDS", "1"));
    let s = Server::demo_with_env(backend, &env).await;
    let hook = Receiver::start().await;
    let (_, secret) = subscribe(&s, &hook.url, &["participant.*", "device.*"]).await;
    let demo = s.demo_json();
    let person = ticket(&demo, |t| t["status"] == "pending")["participant_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let session = s.admin_session().await;
    let admin = s.as_admin(&session);
    let status = format!("/admin/v1/participants/{person}/status");
    admin
        .post_json(&status, &json!({"status": "approved"}))
        .await
        .expect(200);
    let changed = hook.wait_for_type("participant.status_changed").await;
    assert!(verify(&secret, &changed));
    let data = &changed.json()["data"];
    assert_eq!(data["participant_id"], person.as_str());
    assert_eq!(
        (data["previous_status"].as_str(), data["status"].as_str()),
        (Some("pending"), Some("approved"))
    );
    hook.wait_for_type("participant.approved").await;
    // Through the REST API too: a DELETE cancels the participant and says so.
    integrator(&s)
        .delete(&format!("/api/v1/participants/{person}"))
        .await
        .expect(200);
    let cancelled = hook
        .wait_for_event("participant.status_changed", |d| d["status"] == "cancelled")
        .await;
    assert!(verify(&secret, &cancelled));
    assert_eq!(cancelled.json()["data"]["previous_status"], "approved");
    admin
        .post_json(&status, &json!({"status": "maybe"}))
        .await
        .expect(422);

    let (gate, _) = s.pair_demo_devices().await;
    let gate_id = gate.device_id.to_string();
    let offline = hook
        .wait_for_event("device.offline", |d| d["device_id"] == gate_id.as_str())
        .await;
    assert!(verify(&secret, &offline));
    // Calling in again is announced too.
    upload(&s, &gate.device_token, vec![]).await;
    hook.wait_for_event("device.online", |d| d["device_id"] == gate_id.as_str())
        .await;
}

/// A gate asks online at `cp` whether ticket `t` passes; the answer.
async fn scan_at_gate(s: &Server, device_token: &str, cp: &str, t: &Value) -> (ScanId, Value) {
    let request = online_scan(cp, badge(t));
    let answer = s
        .as_device(device_token)
        .post_json("/sync/v1/scan", &request)
        .await
        .expect(200)
        .json();
    (request.scan_id, answer)
}

async fn online_scans_are_announced_with_their_verdict(backend: Backend) {
    let s = Server::demo_with_env(backend, FAST).await;
    let hook = Receiver::start().await;
    // One event type for every scan, the verdict in `data`.
    let (_, secret) = subscribe(&s, &hook.url, &["checkin.scanned"]).await;
    let demo = s.demo_json();
    let (gate, _) = s.pair_demo_devices().await;
    let (cp, _) = checkpoint(&demo, "Main gate entry");
    let (admitted, _) = scan_at_gate(&s, &gate.device_token, &cp, ticket(&demo, approved)).await;
    let blocked = ticket(&demo, |t| t["blocked"] == true);
    let (blocked, _) = scan_at_gate(&s, &gate.device_token, &cp, blocked).await;
    let got = hook.wait_for(2).await;
    assert!(got.iter().all(|r| verify(&secret, r)));
    assert!(got.iter().all(|r| r.json()["type"] == "checkin.scanned"));
    let of = |id: ScanId| {
        got.iter()
            .map(|r| r.json()["data"].clone())
            .find(|d| d["id"] == id.to_string())
            .unwrap_or_else(|| panic!("scan {id} announced: {got:?}"))
    };
    let denied = of(blocked);
    assert_eq!(denied["source"], "online");
    assert_eq!(denied["verdict"], "BLOCKED");
    assert!(denied["reason"].is_string());
    assert!(denied["reason_text"].is_string());
    let accepted = of(admitted);
    assert_ne!(accepted["verdict"], "BLOCKED");
    assert_eq!(accepted["movement"], "in");
}

async fn a_participant_registered_through_the_api_is_announced(backend: Backend) {
    let s = Server::demo_with_env(backend, FAST).await;
    let hook = Receiver::start().await;
    let (_, secret) = subscribe(&s, &hook.url, &["participant.registered"]).await;
    let demo = s.demo_json();
    let made = integrator(&s)
        .post_json(
            "/api/v1/participants",
            &json!({
                "event_id": demo["event_id"],
                "full_name": "Registered Rahel",
                "category": "Delegate",
                "organisation": "African Union",
            }),
        )
        .await
        .expect(201)
        .json();
    let got = hook.wait_for_type("participant.registered").await;
    assert!(verify(&secret, &got), "signature verifies: {got:?}");
    let data = &got.json()["data"];
    assert_eq!(data["participant_id"], made["data"]["id"]);
    assert_eq!(data["event_id"], demo["event_id"]);
    assert_eq!(data["full_name"], "Registered Rahel");
    assert_eq!(data["category"], "Delegate");
    assert_eq!(data["status"], "pending");
    assert_eq!(
        hook.got().len(),
        1,
        "one registration, one event: {:?}",
        hook.got()
    );
}

/// Sets a zone's capacity the way an admin does: signed in to the dashboard, through its form.
async fn set_capacity(s: &Server, zone: &str, capacity: &str) {
    let event = s.event_id();
    let admin = sign_in(s, "admin").await;
    let csrf = admin
        .csrf(&format!("/dashboard/events/{event}/layout"))
        .await;
    admin
        .post_form(
            &format!("/dashboard/events/{event}/zones/{zone}"),
            &[("capacity", capacity), ("csrf", &csrf)],
        )
        .await
        .expect_because(303, "the capacity is saved");
}

async fn a_zone_filling_up_announces_each_threshold_once(backend: Backend) {
    let s = Server::demo_with_env(backend, FAST).await;
    let hook = Receiver::start().await;
    let (_, secret) = subscribe(&s, &hook.url, &["occupancy.*"]).await;
    let demo = s.demo_json();
    let (gate, other) = s.pair_demo_devices().await;
    let (entry, plenary) = checkpoint(&demo, "Main gate entry");
    let (exit, _) = checkpoint(&demo, "Main gate exit");
    set_capacity(&s, &plenary, "4").await;
    let people = tickets(&demo, approved);
    let scan_at = |cp: &str, t: &Value| {
        let (s, token, cp, t) = (&s, &gate.device_token, cp.to_owned(), t.clone());
        async move {
            let (_, body) = scan_at_gate(s, token, &cp, &t).await;
            assert_eq!(body["verdict"], "VALID", "{body}");
        }
    };
    let crossings = |n: usize| {
        let (hook, secret, plenary) = (&hook, &secret, &plenary);
        async move {
            hook.wait_for(n)
                .await
                .iter()
                .map(|r| {
                    assert!(verify(secret, r), "signature verifies: {r:?}");
                    let body = r.json();
                    assert_eq!(body["type"], "occupancy.threshold_crossed");
                    let d = &body["data"];
                    assert_eq!(d["zone_id"], plenary.as_str());
                    assert_eq!(d["zone_name"], "Plenary hall");
                    assert_eq!(d["capacity"], 4);
                    (
                        d["threshold"].as_i64().unwrap(),
                        d["direction"].as_str().unwrap().to_owned(),
                        d["occupancy"].as_i64().unwrap(),
                    )
                })
                .collect::<Vec<_>>()
        }
    };
    // 1 and 2 of 4 inside cross nothing; the third reaches 75 %.
    for t in &people[..3] {
        scan_at(&entry, t).await;
    }
    assert_eq!(crossings(1).await, vec![(75, "up".to_owned(), 3)]);
    // The fourth reaches 90 % and 100 % at once: one event for each.
    scan_at(&entry, people[3]).await;
    let mut got = crossings(3).await;
    got.sort();
    assert_eq!(
        got,
        vec![
            (75, "up".to_owned(), 3),
            (90, "up".to_owned(), 4),
            (100, "up".to_owned(), 4)
        ]
    );
    // One leaves: below 100 % and 90 % again.
    scan_at(&exit, people[0]).await;
    let mut down: Vec<_> = crossings(5)
        .await
        .into_iter()
        .filter(|(_, direction, _)| direction == "down")
        .collect();
    down.sort();
    assert_eq!(
        down,
        vec![(90, "down".to_owned(), 3), (100, "down".to_owned(), 3)]
    );
    assert_eq!(hook.got().len(), 5, "each crossing once");

    // A gate that counted offline uploads its counter: 3 + 1 inside is 100 % again. The same
    // counter again changes nothing; then it counts two out (2 of 4: below 75 %).
    let counter = |ins, outs| OccupancyCounter {
        zone_id: plenary.parse().unwrap(),
        ins,
        outs,
    };
    upload_with(&s, &other.device_token, vec![], vec![counter(1, 0)]).await;
    let mut got = crossings(7).await.split_off(5);
    got.sort();
    assert_eq!(
        got,
        vec![(90, "up".to_owned(), 4), (100, "up".to_owned(), 4)]
    );
    upload_with(&s, &other.device_token, vec![], vec![counter(1, 0)]).await;
    upload_with(&s, &other.device_token, vec![], vec![counter(1, 2)]).await;
    let mut got = crossings(10).await.split_off(7);
    got.sort();
    assert_eq!(
        got,
        vec![
            (75, "down".to_owned(), 2),
            (90, "down".to_owned(), 2),
            (100, "down".to_owned(), 2)
        ]
    );
    assert_eq!(hook.got().len(), 10, "a repeated counter is no crossing");
}

async fn an_offline_duplicate_is_announced(backend: Backend) {
    let s = Server::demo_with_env(backend, FAST).await;
    let hook = Receiver::start().await;
    let (_, secret) = subscribe(&s, &hook.url, &["checkin.offline_duplicate"]).await;
    let demo = s.demo_json();
    let (a, b) = s.pair_demo_devices().await;
    let person = approved_participant(&demo);
    // Two gates, both offline, let one badge in half a minute apart.
    let mut first = scan(&demo, person);
    first.device_time -= 60_000;
    first.corrected_time = first.device_time;
    let mut second = scan(&demo, person);
    second.device_time = first.device_time + 30_000;
    second.corrected_time = second.device_time;
    upload(&s, &a.device_token, vec![first]).await;
    upload(&s, &b.device_token, vec![second.clone()]).await;
    let flagged = hook.wait_for_type("checkin.offline_duplicate").await;
    assert!(verify(&secret, &flagged));
    assert_eq!(flagged.json()["data"]["scan_id"], second.id.to_string());
    // Uploading it again flags nothing new (the ping after it marks the end of what was sent).
    upload(&s, &b.device_token, vec![second]).await;
    let id = first_subscription(&s).await;
    ping(&s, &id).await;
    hook.wait_for_type("webhook.test").await;
    let flags = hook
        .got()
        .iter()
        .filter(|r| r.json()["type"] == "checkin.offline_duplicate")
        .count();
    assert_eq!(flags, 1);
}
