//! Bad input from a device or an admin: a clear error code for each kind, and nothing stored.

use gatehouse_core::EventId;
use serde_json::json;

use super::access_logs;
use crate::common::fixtures::{
    approved, now_ms, offline_admission, online_scan, participant_of, scan_upload, ticket,
};
use crate::common::{Backend, Server};

on_both_backends!(bad_input_gets_a_clear_error_and_changes_nothing);

async fn bad_input_gets_a_clear_error_and_changes_nothing(backend: Backend) {
    let s = Server::demo_with_env(backend, &[("GATEHOUSE_MAX_BODY_BYTES", "1048576")]).await;
    let demo = s.demo_json();
    let (gate, _) = s.pair_demo_devices().await;
    let session = s.admin_session().await;
    let device = s.as_device(&gate.device_token);
    let admin = s.as_admin(&session);

    let malformed = device
        .post_raw(
            "/sync/v1/scans",
            "application/json",
            "{\"scans\": [oops".into(),
        )
        .await
        .expect_error(400, "malformed_json");
    assert!(!malformed.error_message().is_empty());

    device
        .post_json("/sync/v1/scans", &json!({"scans": "many"}))
        .await
        .expect_error(422, "invalid_body");

    let huge = "x".repeat(2 * 1024 * 1024);
    device
        .post_raw(
            "/sync/v1/scans",
            "application/json",
            format!("{{\"pad\": \"{huge}\"}}"),
        )
        .await
        .expect_error(413, "body_too_large");

    // One good scan and one of another event: the whole upload is refused.
    let person = participant_of(ticket(&demo, approved));
    let good = offline_admission(&demo, person, now_ms());
    let mut foreign = offline_admission(&demo, person, now_ms());
    foreign.event_id = EventId(uuid::Uuid::now_v7());
    let refused = device
        .post_json(
            "/sync/v1/scans",
            &scan_upload(vec![good, foreign.clone()], vec![]),
        )
        .await
        .expect_error(422, "wrong_event");
    assert!(refused.error_message().contains(&foreign.id.to_string()));

    admin
        .get(&format!(
            "/admin/v1/events/{}/participants",
            uuid::Uuid::now_v7()
        ))
        .await
        .expect_error(404, "not_found");
    admin
        .get("/admin/v1/events/not-an-id/occupancy")
        .await
        .expect(404);

    let nowhere = uuid::Uuid::now_v7().to_string();
    device
        .post_json(
            "/sync/v1/scan",
            &online_scan(
                &nowhere,
                gatehouse_core::protocol::Presented::Payload("x".into()),
            ),
        )
        .await
        .expect_error(422, "unknown_checkpoint");

    assert!(
        access_logs(&s, &session, &demo, "").await.is_empty(),
        "nothing was stored"
    );
}
