//! The integrators' REST API against the real binary: API keys created by an admin, sent either
//! way, refused when mistyped, unknown, revoked, expired or short of a scope; participants with
//! ETags, idempotent creates and pages; the event's layout, occupancy and access log; check-ins
//! decided like at a gate; and the OpenAPI description of it all.
//!
//! One file per resource; one test binary for the surface.

#[macro_use]
#[path = "../common/mod.rs"]
mod common;

mod access;
mod api_keys;
mod check_ins;
mod events;
mod openapi;
mod participants;

use common::http::Reply;
use common::Server;
use serde_json::{json, Value};

/// `POST /admin/v1/api-keys` as the admin signed in with `session`.
async fn create_key(s: &Server, session: &str, body: Value) -> Reply {
    s.as_admin(session)
        .post_json("/admin/v1/api-keys", &body)
        .await
}

/// A new key with these scopes: (the secret, its description).
async fn new_key(s: &Server, session: &str, scopes: &[&str]) -> (String, Value) {
    let made = create_key(
        s,
        session,
        json!({"name": "Registration portal", "scopes": scopes}),
    )
    .await
    .expect(201)
    .json();
    (
        made["key"].as_str().unwrap().to_owned(),
        made["api_key"].clone(),
    )
}

/// A participant of the demo event, as an integrator registers one.
fn new_participant(s: &Server, name: &str) -> Value {
    let demo = s.demo_json();
    let plenary = demo["zones"][0]["id"].clone();
    json!({
        "event_id": demo["event_id"],
        "full_name": name,
        "category": "Delegate",
        "status": "approved",
        "zone_ids": [plenary],
        "email": "amina@example.org",
        "organisation": "African Union",
    })
}
