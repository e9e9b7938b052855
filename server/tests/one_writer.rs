//! Participants change through one writer, whichever surface asks: an admin's decision and an
//! integrator's edit are stamped, announced and seen the same way.

mod common;

use common::fixtures::{now_ms, ticket};
use common::{Backend, Server};
use serde_json::{json, Value};

on_both_backends!(
    an_admin_status_change_reaches_integrators_polling_updated_since,
    an_admin_and_an_integrator_changing_one_participant_both_count,
);

async fn set_status_as_admin(s: &Server, session: &str, id: &str, status: &str) -> Value {
    s.as_admin(session)
        .post_json(
            &format!("/admin/v1/participants/{id}/status"),
            &json!({ "status": status }),
        )
        .await
        .expect(200)
        .json()
}

/// An integrator walks `sort=updated_at&updated_since=` from the last change it saw. A server
/// whose clock was stepped back (NTP correcting a fast clock) left that participant stamped ahead
/// of the clock: an admin's change must still land after what the integrator saw.
async fn an_admin_status_change_reaches_integrators_polling_updated_since(backend: Backend) {
    let s = Server::demo(backend).await;
    let demo = s.demo_json();
    let key = demo["api_key"].as_str().unwrap().to_owned();
    let session = s.admin_session().await;
    let person = ticket(&demo, |t| t["status"] == "pending" && t["blocked"] == false);
    let id = person["participant_id"].as_str().unwrap();
    let ahead = now_ms() + 3_600_000;
    s.operator_sql(&format!(
        "UPDATE participants SET updated_at = {ahead} WHERE id = '{id}'"
    ))
    .await;
    let api = s.as_integrator(&key);
    let seen = api.get_json(&format!("/api/v1/participants/{id}")).await;
    let last_seen = seen["data"]["updated_at"].as_i64().unwrap();
    assert_eq!(last_seen, ahead);

    set_status_as_admin(&s, &session, id, "approved").await;

    let changes = api
        .get_json(&format!(
            "/api/v1/participants?sort=updated_at&updated_since={}",
            last_seen + 1
        ))
        .await;
    let changes = changes["data"].as_array().unwrap();
    assert_eq!(
        changes.len(),
        1,
        "the admin's approval is the one change since {last_seen}"
    );
    assert_eq!(changes[0]["id"], id);
    assert_eq!(changes[0]["status"], "approved");
    assert!(changes[0]["updated_at"].as_i64().unwrap() > last_seen);
}

/// An integrator's edit and an admin's status change of one participant each leave their own
/// audit entry, and the second does not undo the first.
async fn an_admin_and_an_integrator_changing_one_participant_both_count(backend: Backend) {
    let s = Server::demo(backend).await;
    let demo = s.demo_json();
    let key = demo["api_key"].as_str().unwrap().to_owned();
    let session = s.admin_session().await;
    let person = ticket(&demo, |t| t["status"] == "pending" && t["blocked"] == false);
    let id = person["participant_id"].as_str().unwrap();

    let api = s.as_integrator(&key);
    let after_patch = api
        .patch_json(
            &format!("/api/v1/participants/{id}"),
            &json!({ "organisation": "Ministry of Foreign Affairs" }),
        )
        .await
        .expect(200)
        .json();
    let answer = set_status_as_admin(&s, &session, id, "approved").await;
    assert_eq!(answer["changed"], true);
    assert_eq!(
        answer["participant"]["organisation"],
        "Ministry of Foreign Affairs"
    );

    let now = api.get_json(&format!("/api/v1/participants/{id}")).await;
    assert_eq!(now["data"]["organisation"], "Ministry of Foreign Affairs");
    assert_eq!(now["data"]["status"], "approved");
    assert!(
        now["data"]["updated_at"].as_i64().unwrap()
            > after_patch["data"]["updated_at"].as_i64().unwrap()
    );
    // The same status again changes nothing and records nothing.
    let again = set_status_as_admin(&s, &session, id, "approved").await;
    assert_eq!(again["changed"], false);

    let audit = s
        .as_admin(&session)
        .get_json("/admin/v1/audit?limit=50")
        .await;
    let actions: Vec<&str> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["entity_id"] == id)
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions
            .iter()
            .filter(|a| **a == "participant.updated")
            .count(),
        1,
        "{actions:?}"
    );
    assert_eq!(
        actions
            .iter()
            .filter(|a| **a == "participant.status_changed")
            .count(),
        1,
        "{actions:?}"
    );
}
