//! Webhooks against the real binary and a real receiver on 127.0.0.1: subscriptions through the
//! API, events written with the change that caused them, signatures checked by an independent
//! implementation (the `standardwebhooks` crate), retries, `Retry-After`, `410 Gone`, secret
//! rotation, restarts and the SSRF guard (on saving and at delivery).
//!
//! One file per concern; one test binary for the surface.

#[macro_use]
#[path = "../common/mod.rs"]
mod common;

mod announcements;
mod delivery;
mod receiver;
mod recovery;
mod ssrf;
mod subscriptions;

use std::time::Duration;

use common::fixtures::{approved, now_ms, offline_admission, participant_of, scan_upload, ticket};
use common::http::Caller;
use common::Server;
use gatehouse_core::protocol::OccupancyCounter;
use gatehouse_core::{AccessLog, ParticipantId};
use serde_json::{json, Value};

/// The environment of a server whose webhooks may reach 127.0.0.1 and retry quickly.
const FAST: &[(&str, &str)] = &[
    ("GATEHOUSE_WEBHOOKS_ALLOW_PRIVATE", "true"),
    ("GATEHOUSE_WEBHOOKS_RETRY_BASE_MS", "100"),
    ("GATEHOUSE_WEBHOOKS_TIMEOUT_MS", "2000"),
];

/// The integrator who subscribes: the demo's API key.
fn integrator(s: &Server) -> Caller<'_> {
    s.as_integrator(&s.demo_api_key())
}

/// Subscribes `url` to `types`; returns (id, secret).
async fn subscribe(s: &Server, url: &str, types: &[&str]) -> (String, String) {
    let body = integrator(s)
        .post_json(
            "/api/v1/webhooks",
            &json!({"url": url, "event_types": types, "description": "test receiver"}),
        )
        .await
        .expect(201)
        .json();
    (
        body["data"]["id"].as_str().unwrap().to_owned(),
        body["data"]["secret"].as_str().unwrap().to_owned(),
    )
}

/// The id of the first subscription listed.
async fn first_subscription(s: &Server) -> String {
    let list = integrator(s).get("/api/v1/webhooks").await.json();
    list["data"][0]["id"].as_str().unwrap().to_owned()
}

/// Sends a test event to the subscription; returns its message id.
async fn ping(s: &Server, id: &str) -> String {
    let body = integrator(s)
        .post(&format!("/api/v1/webhooks/{id}/test"))
        .await
        .expect(202)
        .json();
    body["data"]["message_id"].as_str().unwrap().to_owned()
}

/// The subscription's deliveries, newest first.
async fn deliveries(s: &Server, id: &str) -> Vec<Value> {
    let body = integrator(s)
        .get_json(&format!("/api/v1/webhooks/{id}/deliveries"))
        .await;
    body["data"].as_array().unwrap().clone()
}

/// Waits until the subscription's newest delivery is no longer pending; returns it.
async fn settled(s: &Server, id: &str) -> Value {
    for _ in 0..1_200 {
        let list = deliveries(s, id).await;
        if let Some(d) = list.first().filter(|d| d["status"] != "pending") {
            return d.clone();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the delivery stayed pending: {:?}", deliveries(s, id).await);
}

/// Someone approved in demo.json.
fn approved_participant(demo: &Value) -> ParticipantId {
    participant_of(ticket(demo, approved))
}

/// An admission at the main gate, made offline just now.
fn scan(demo: &Value, participant: ParticipantId) -> AccessLog {
    offline_admission(demo, participant, now_ms())
}

async fn upload(s: &Server, token: &str, scans: Vec<AccessLog>) {
    upload_with(s, token, scans, vec![]).await;
}

async fn upload_with(
    s: &Server,
    token: &str,
    scans: Vec<AccessLog>,
    occupancy: Vec<OccupancyCounter>,
) {
    s.as_device(token)
        .post_json("/sync/v1/scans", &scan_upload(scans, occupancy))
        .await
        .expect_because(200, "upload accepted");
}
