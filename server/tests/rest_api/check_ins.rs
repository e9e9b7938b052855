//! `POST /events/{id}/checkins`: a turnstile or kiosk asks for a verdict by QR payload or
//! registration code; it is decided like at a gate, and a retry with its idempotency key is
//! recorded once.

use serde_json::{json, Value};

use super::new_key;
use crate::common::fixtures::{approved, checkpoint, tickets};
use crate::common::{Backend, Server};

on_both_backends!(
    a_check_in_is_decided_like_at_a_gate_and_a_retry_records_once,
    a_key_or_scan_id_reused_for_another_badge_is_refused_not_answered,
);

async fn a_check_in_is_decided_like_at_a_gate_and_a_retry_records_once(backend: Backend) {
    let s = Server::demo(backend).await;
    let key = s.demo_api_key();
    let integrator = s.as_integrator(&key);
    let demo = s.demo_json();
    let event = s.event_id();
    let (entry, _) = checkpoint(&demo, "Main gate entry");
    let delegates = tickets(&demo, |t| approved(t) && t["category"] == "Delegate");
    let (first, second) = (delegates[0], delegates[1]);
    let path = format!("/api/v1/events/{event}/checkins");
    let check_in = |body: Value, idem: Option<&'static str>| {
        let caller = match idem {
            Some(k) => integrator.clone().header("Idempotency-Key", k),
            None => integrator.clone(),
        };
        let path = &path;
        async move { caller.post_json(path, &body).await }
    };
    let by_qr = json!({"checkpoint_id": entry, "payload": first["payload"]});
    let admitted = check_in(by_qr.clone(), Some("turnstile-3-0001"))
        .await
        .expect(200)
        .json();
    assert_eq!(admitted["verdict"], "VALID", "{admitted}");
    assert_eq!(admitted["admitted"], true);
    assert_eq!(admitted["movement"], "in");
    assert_eq!(admitted["participant"]["id"], first["participant_id"]);

    // The turnstile retries after a timeout: the same answer, no second scan.
    let retried = check_in(by_qr.clone(), Some("turnstile-3-0001"))
        .await
        .json();
    assert_eq!(retried["scan_id"], admitted["scan_id"]);
    assert_eq!(retried["verdict"], "VALID");
    // A new presentation of the same badge without an exit is anti-passback.
    let again = check_in(by_qr, None).await.json();
    assert_eq!(again["verdict"], "ALREADY_SCANNED", "{again}");
    assert_eq!(again["admitted"], false);

    let by_code = check_in(
        json!({"checkpoint_id": entry, "registration_code": second["registration_code"].as_str().unwrap().to_lowercase()}),
        None,
    )
    .await
    .json();
    assert_eq!(by_code["verdict"], "VALID", "{by_code}");

    let logs = integrator
        .get(&format!(
            "/api/v1/events/{event}/access-logs?participant_id={}",
            first["participant_id"].as_str().unwrap()
        ))
        .await
        .json();
    let logs = logs["data"].as_array().unwrap();
    assert_eq!(logs.len(), 2, "one admitted scan and one refusal: {logs:?}");
    assert!(logs
        .iter()
        .all(|l| l["source"] == "api" && l["device_id"].is_null()));

    check_in(
        json!({"checkpoint_id": entry, "payload": first["payload"], "registration_code": "X"}),
        None,
    )
    .await
    .expect_error(422, "invalid_body");
    check_in(
        json!({"checkpoint_id": uuid::Uuid::now_v7(), "payload": first["payload"]}),
        None,
    )
    .await
    .expect_error(422, "unknown_checkpoint");

    let session = s.admin_session().await;
    let (reader, _) = new_key(&s, &session, &["access-logs:read"]).await;
    let refused = s
        .as_integrator(&reader)
        .post_json(
            &path,
            &json!({"checkpoint_id": entry, "payload": second["payload"]}),
        )
        .await
        .expect(403);
    assert!(refused.body.contains("check-ins:write"));
}

async fn a_key_or_scan_id_reused_for_another_badge_is_refused_not_answered(backend: Backend) {
    let s = Server::demo(backend).await;
    let integrator = s.as_integrator(&s.demo_api_key());
    let demo = s.demo_json();
    let event = s.event_id();
    let (entry, _) = checkpoint(&demo, "Main gate entry");
    let (exit, _) = checkpoint(&demo, "Main gate exit");
    let delegates = tickets(&demo, |t| approved(t) && t["category"] == "Delegate");
    let (first, second) = (delegates[0], delegates[1]);
    let path = format!("/api/v1/events/{event}/checkins");
    let with_key = |key: &str| integrator.clone().header("Idempotency-Key", key);

    let by_qr = json!({"checkpoint_id": entry, "payload": first["payload"]});
    let admitted = with_key("turnstile-7-0001")
        .post_json(&path, &by_qr)
        .await
        .expect(200)
        .json();
    assert_eq!(admitted["participant"]["id"], first["participant_id"]);
    // The same key for someone else, or elsewhere: refused, not answered with the first person.
    for other in [
        json!({"checkpoint_id": entry, "payload": second["payload"]}),
        json!({"checkpoint_id": exit, "payload": first["payload"]}),
        json!({"checkpoint_id": entry, "registration_code": second["registration_code"]}),
    ] {
        let refused = with_key("turnstile-7-0001")
            .post_json(&path, &other)
            .await
            .expect_error(422, "idempotency_key_reused");
        assert!(!refused
            .json()
            .to_string()
            .contains(second["name"].as_str().unwrap()));
    }
    let retried = with_key("turnstile-7-0001")
        .post_json(&path, &by_qr)
        .await
        .expect(200)
        .json();
    assert_eq!(retried["scan_id"], admitted["scan_id"]);
    assert_eq!(retried["participant"]["id"], first["participant_id"]);

    // The same with a scan_id of the integrator's own.
    let scan_id = uuid::Uuid::now_v7();
    let by_code = json!({"checkpoint_id": entry, "registration_code": second["registration_code"], "scan_id": scan_id});
    let second_in = integrator
        .post_json(&path, &by_code)
        .await
        .expect(200)
        .json();
    assert_eq!(second_in["participant"]["id"], second["participant_id"]);
    integrator
        .post_json(
            &path,
            &json!({"checkpoint_id": entry, "payload": first["payload"], "scan_id": scan_id}),
        )
        .await
        .expect_error(422, "scan_id_in_use");
    let again = integrator
        .post_json(&path, &by_code)
        .await
        .expect(200)
        .json();
    assert_eq!(again["verdict"], "VALID");
    assert_eq!(again["participant"]["id"], second["participant_id"]);

    let logs = integrator
        .get(&format!("/api/v1/events/{event}/access-logs"))
        .await
        .json();
    assert_eq!(
        logs["data"].as_array().unwrap().len(),
        2,
        "one scan per person: {logs}"
    );
}
