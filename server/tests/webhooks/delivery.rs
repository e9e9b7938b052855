//! Delivering one event: signed, retried until the receiver answers (honouring `Retry-After`),
//! given up on with `410 Gone`, verified by either secret during a rotation, sent again by hand,
//! and harmless when its subscription is deleted mid-flight.

use std::time::Duration;

use serde_json::{json, Value};

use super::receiver::{verify, Plan, Receiver};
use super::{
    approved_participant, deliveries, integrator, ping, scan, settled, subscribe, upload, FAST,
};
use crate::common::{Backend, Server};

on_both_backends!(
    a_scan_uploaded_by_a_gate_reaches_the_subscriber_signed,
    a_failing_receiver_is_retried_until_it_answers,
    retry_after_is_honoured,
    an_endpoint_that_is_gone_disables_its_subscription,
    during_a_secret_rotation_both_secrets_verify,
    a_delivery_can_be_sent_again_by_hand,
    deleting_a_subscription_mid_delivery_is_harmless,
);

async fn a_scan_uploaded_by_a_gate_reaches_the_subscriber_signed(backend: Backend) {
    let s = Server::demo_with_env(backend, FAST).await;
    let hook = Receiver::start().await;
    let (id, secret) = subscribe(&s, &hook.url, &["checkin.*"]).await;
    assert!(secret.starts_with("whsec_"), "{secret}");
    let demo = s.demo_json();
    let (gate, _) = s.pair_demo_devices().await;
    let first = scan(&demo, approved_participant(&demo));
    upload(&s, &gate.device_token, vec![first.clone()]).await;

    let got = hook.wait_for(1).await;
    assert!(verify(&secret, &got[0]), "signature verifies: {:?}", got[0]);
    assert!(!verify("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", &got[0]));
    let body = got[0].json();
    assert_eq!(body["type"], "checkin.scanned");
    assert_eq!(body["data"]["id"], first.id.to_string());
    assert_eq!(body["data"]["verdict"], json!(first.verdict));
    assert_eq!(body["data"]["movement"], json!(first.movement));
    assert_eq!(body["data"]["source"], "device");
    assert!(got[0].id().starts_with("msg_"));

    // The same scan again is not news; a new one is.
    upload(&s, &gate.device_token, vec![first.clone()]).await;
    let second = scan(&demo, approved_participant(&demo));
    upload(&s, &gate.device_token, vec![second.clone()]).await;
    let got = hook.wait_for(2).await;
    let d = settled(&s, &id).await;
    assert_eq!(d["status"], "delivered");
    assert_eq!(d["last_status_code"], 200);
    assert_eq!(d["attempts"], 1);
    assert_eq!(got[1].json()["data"]["id"], second.id.to_string());
    assert_eq!(
        deliveries(&s, &id).await.len(),
        2,
        "one delivery per new scan"
    );
    assert_eq!(hook.got().len(), 2);
}

async fn a_failing_receiver_is_retried_until_it_answers(backend: Backend) {
    let s = Server::demo_with_env(backend, FAST).await;
    let hook = Receiver::start().await;
    hook.plan(&[Plan::Status(500), Plan::Status(503)]);
    let (id, secret) = subscribe(&s, &hook.url, &["*"]).await;
    let message = ping(&s, &id).await;
    let got = hook.wait_for(3).await;
    assert!(
        got.iter().all(|r| r.id() == message),
        "one webhook-id on every attempt"
    );
    assert!(got.iter().all(|r| verify(&secret, r)));
    let d = settled(&s, &id).await;
    assert_eq!(d["status"], "delivered", "{d}");
    assert_eq!(d["attempts"], 3);
    assert_eq!(d["message_id"], message);
    let detail = integrator(&s)
        .get_json(&format!(
            "/api/v1/webhooks/{id}/deliveries/{}",
            d["id"].as_str().unwrap()
        ))
        .await;
    let codes: Vec<i64> = detail["data"]["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["status_code"].as_i64().unwrap())
        .collect();
    assert_eq!(codes, vec![500, 503, 200], "every attempt is in the log");
    assert!(detail["data"]["attempts"][0]["error"]
        .as_str()
        .unwrap()
        .contains("500"));
    let sub = integrator(&s)
        .get(&format!("/api/v1/webhooks/{id}"))
        .await
        .json();
    assert_eq!(sub["data"]["enabled"], true);
    assert_eq!(
        sub["data"]["failing_since"],
        Value::Null,
        "a success ends the streak"
    );
    assert_eq!(sub["data"]["circuit_open_until"], Value::Null);
}

async fn retry_after_is_honoured(backend: Backend) {
    // A schedule whose first retry is 10 minutes away: only Retry-After brings it back sooner.
    let env = [
        ("GATEHOUSE_WEBHOOKS_ALLOW_PRIVATE", "true"),
        ("GATEHOUSE_WEBHOOKS_RETRY_BASE_MS", "600000"),
    ];
    let s = Server::demo_with_env(backend, &env).await;
    let hook = Receiver::start().await;
    hook.plan(&[Plan::RetryAfter(429, "1")]);
    let (id, _) = subscribe(&s, &hook.url, &["*"]).await;
    ping(&s, &id).await;
    hook.wait_for(1).await;
    let pending = loop {
        let list = deliveries(&s, &id).await;
        if list[0]["attempts"] == 1 || list[0]["status"] != "pending" {
            break list[0].clone();
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    if pending["status"] == "pending" {
        let wait = pending["next_attempt_at"].as_i64().unwrap()
            - pending["last_attempt_at"].as_i64().unwrap();
        assert_eq!(
            wait, 1_000,
            "the retry is due when the endpoint asked: {pending}"
        );
        assert_eq!(pending["last_status_code"], 429);
    }
    hook.wait_for(2).await;
    let d = settled(&s, &id).await;
    assert_eq!(d["status"], "delivered", "{d}");
    assert_eq!(d["attempts"], 2);
}

async fn an_endpoint_that_is_gone_disables_its_subscription(backend: Backend) {
    let s = Server::demo_with_env(backend, FAST).await;
    let hook = Receiver::start().await;
    hook.plan(&[Plan::Status(410)]);
    let (id, _) = subscribe(&s, &hook.url, &["*"]).await;
    ping(&s, &id).await;
    let d = settled(&s, &id).await;
    assert_eq!(d["status"], "failed");
    assert_eq!(d["last_status_code"], 410);
    let subscription = format!("/api/v1/webhooks/{id}");
    let sub = integrator(&s).get(&subscription).await.json();
    assert_eq!(sub["data"]["enabled"], false);
    let reason = sub["data"]["disabled_reason"].as_str().unwrap();
    assert!(reason.contains("410"), "{reason}");

    // Nothing more is sent while it is disabled; enabling it again resumes.
    ping(&s, &id).await;
    let body = integrator(&s)
        .patch_json(&subscription, &json!({"enabled": true}))
        .await
        .expect(200)
        .json();
    assert_eq!(body["data"]["disabled_reason"], Value::Null);
    hook.wait_for(2).await;
    assert_eq!(settled(&s, &id).await["status"], "delivered");
}

async fn during_a_secret_rotation_both_secrets_verify(backend: Backend) {
    let s = Server::demo_with_env(backend, FAST).await;
    let hook = Receiver::start().await;
    let (id, old) = subscribe(&s, &hook.url, &["*"]).await;
    let body = integrator(&s)
        .post(&format!("/api/v1/webhooks/{id}/rotate-secret"))
        .await
        .expect(200)
        .json();
    let new = body["data"]["secret"].as_str().unwrap().to_owned();
    assert_ne!(new, old);
    ping(&s, &id).await;
    let got = hook.wait_for(1).await;
    let signatures = got[0].header("webhook-signature");
    assert_eq!(signatures.split(' ').count(), 2, "{signatures}");
    assert!(verify(&new, &got[0]), "the new secret verifies");
    assert!(
        verify(&old, &got[0]),
        "the old secret verifies during the overlap"
    );
    // Each signature on its own: one per secret.
    let only = |i: usize| {
        let mut r = got[0].clone();
        let one = signatures.split(' ').nth(i).unwrap().to_owned();
        r.headers.insert("webhook-signature", one.parse().unwrap());
        r
    };
    assert!(verify(&new, &only(0)) && !verify(&old, &only(0)));
    assert!(verify(&old, &only(1)) && !verify(&new, &only(1)));
}

async fn a_delivery_can_be_sent_again_by_hand(backend: Backend) {
    let s = Server::demo_with_env(backend, FAST).await;
    let hook = Receiver::start().await;
    let (id, _) = subscribe(&s, &hook.url, &["*"]).await;
    let message = ping(&s, &id).await;
    hook.wait_for(1).await;
    let first = settled(&s, &id).await;
    integrator(&s)
        .post(&format!(
            "/api/v1/webhooks/{id}/deliveries/{}/redeliver",
            first["id"].as_str().unwrap()
        ))
        .await
        .expect(202);
    let got = hook.wait_for(2).await;
    assert_eq!(got[1].id(), message, "a redelivery keeps the webhook-id");
    let list = deliveries(&s, &id).await;
    assert_eq!(list.len(), 2);

    // A time range: nothing failed, so by default nothing is replayed; everything on request.
    let replay = |body: Value| {
        let (caller, path) = (integrator(&s), format!("/api/v1/webhooks/{id}/replay"));
        async move {
            let body = caller.post_json(&path, &body).await.expect(202).json();
            body["data"]["requeued"].as_i64().unwrap()
        }
    };
    assert_eq!(replay(json!({"since": 0})).await, 0);
    assert_eq!(replay(json!({"since": 0, "only_failed": false})).await, 1);
    let got = hook.wait_for(3).await;
    assert_eq!(got[2].id(), message);
    integrator(&s)
        .post(&format!(
            "/api/v1/webhooks/{id}/deliveries/{}/redeliver",
            uuid::Uuid::now_v7()
        ))
        .await
        .expect_error(404, "not_found");
}

async fn deleting_a_subscription_mid_delivery_is_harmless(backend: Backend) {
    let s = Server::demo_with_env(backend, FAST).await;
    let hook = Receiver::start().await;
    hook.answer_after(1_000);
    let (id, _) = subscribe(&s, &hook.url, &["*"]).await;
    ping(&s, &id).await;
    hook.wait_for(1).await;
    let subscription = format!("/api/v1/webhooks/{id}");
    integrator(&s).delete(&subscription).await.expect(200);
    integrator(&s).get(&subscription).await.expect(404);
    // The answer to the deleted subscription's request arrives; the next one is recorded.
    hook.answer_after(0);
    let (next, _) = subscribe(&s, &hook.url, &["*"]).await;
    ping(&s, &next).await;
    hook.wait_for(2).await;
    assert_eq!(settled(&s, &next).await["status"], "delivered");
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    assert!(
        !s.log().contains("recording webhook attempts failed"),
        "{}",
        s.log()
    );
}
