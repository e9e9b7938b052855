//! What survives trouble: a delivery cut off by a restart or a graceful shutdown, a receiver that
//! was down, a circuit that recovers, and two nodes on one database delivering each event once.

use std::time::Duration;

use gatehouse_core::AccessLog;

use super::receiver::{verify, Plan, Received, Receiver};
use super::{
    approved_participant, deliveries, first_subscription, ping, scan, settled, subscribe, upload,
    FAST,
};
use crate::common::{Backend, Server};

on_both_backends!(
    a_delivery_cut_off_by_a_restart_is_sent_after_it_with_the_same_id,
    a_receiver_that_was_down_gets_every_event_when_it_is_up,
    a_graceful_shutdown_records_what_is_in_flight,
    a_recovered_endpoint_gets_its_backlog_at_once,
    two_nodes_on_one_database_deliver_each_event_once,
);

/// An address on 127.0.0.1 where nothing listens (yet).
fn unused_address() -> std::net::SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap()
}

async fn a_delivery_cut_off_by_a_restart_is_sent_after_it_with_the_same_id(backend: Backend) {
    let s = Server::demo_with_env(backend, FAST).await;
    let hook = Receiver::start().await;
    hook.plan(&[Plan::Hang]);
    let (id, secret) = subscribe(&s, &hook.url, &["*"]).await;
    let message = ping(&s, &id).await;
    hook.wait_for(1).await;
    // Killed while the receiver holds the request: the outcome was never recorded.
    let s = s.restart_with_env("demo", FAST).await;
    let got = hook.wait_for(2).await;
    assert_eq!(
        got[1].id(),
        message,
        "the same webhook-id after the restart"
    );
    assert!(verify(&secret, &got[1]));
    let d = settled(&s, &id).await;
    assert_eq!(d["status"], "delivered", "{d}");
}

async fn a_receiver_that_was_down_gets_every_event_when_it_is_up(backend: Backend) {
    let s = Server::demo_with_env(backend, FAST).await;
    let addr = unused_address();
    let (id, _) = subscribe(&s, &format!("http://{addr}/hooks"), &["*"]).await;
    let mut sent = Vec::new();
    for _ in 0..5 {
        sent.push(ping(&s, &id).await);
    }
    // Wait until the server has seen the endpoint fail.
    for _ in 0..1_200 {
        if deliveries(&s, &id)
            .await
            .iter()
            .any(|d| d["last_error"].is_string())
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let failed = deliveries(&s, &id).await;
    let error = failed
        .iter()
        .find_map(|d| d["last_error"].as_str())
        .unwrap();
    assert!(error.contains("connect"), "{error}");

    let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
    let hook = Receiver::serve(listener).await;
    hook.wait_for(5).await;
    let mut got: Vec<String> = hook.got().iter().map(Received::id).collect();
    got.sort();
    got.dedup();
    sent.sort();
    assert_eq!(got, sent, "every event arrived");
    for _ in 0..1_200 {
        if deliveries(&s, &id)
            .await
            .iter()
            .all(|d| d["status"] == "delivered")
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("not all delivered: {:?}", deliveries(&s, &id).await);
}

async fn a_graceful_shutdown_records_what_is_in_flight(backend: Backend) {
    let s = Server::demo_with_env(backend, FAST).await;
    let hook = Receiver::start().await;
    hook.answer_after(1_500);
    let (id, _) = subscribe(&s, &hook.url, &["*"]).await;
    ping(&s, &id).await;
    hook.wait_for(1).await;
    // SIGTERM while the receiver is still answering: the answer is waited for and recorded.
    s.terminate();
    let mut s = s;
    for _ in 0..1_200 {
        if s.exited() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(s.exited(), "the server stopped");
    let s = s.restart_with_env("demo", FAST).await;
    let d = deliveries(&s, &id).await;
    assert_eq!(d[0]["status"], "delivered", "{d:?}");
    assert_eq!(d[0]["attempts"], 1);
    assert_eq!(hook.got().len(), 1, "not sent again after the restart");
}

async fn a_recovered_endpoint_gets_its_backlog_at_once(backend: Backend) {
    // Retries after 2 s, then 2 min: the backlog must not wait for that second retry.
    let env = [
        ("GATEHOUSE_WEBHOOKS_ALLOW_PRIVATE", "true"),
        ("GATEHOUSE_WEBHOOKS_RETRY_BASE_MS", "2000"),
    ];
    let s = Server::demo_with_env(backend, &env).await;
    let addr = unused_address();
    let (id, _) = subscribe(&s, &format!("http://{addr}/hooks"), &["*"]).await;
    let early = [ping(&s, &id).await, ping(&s, &id).await];
    // Wait until both are in their long backoff (two failed attempts each).
    for _ in 0..1_200 {
        let list = deliveries(&s, &id).await;
        if list
            .iter()
            .all(|d| d["attempts"].as_i64().unwrap_or(0) >= 2)
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let list = deliveries(&s, &id).await;
    assert!(
        list.iter().all(|d| d["attempts"].as_i64().unwrap() >= 2),
        "{list:?}"
    );

    let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
    let hook = Receiver::serve(listener).await;
    // A new event probes the endpoint when its circuit cools down; its success releases the rest.
    let late = ping(&s, &id).await;
    let got = hook.wait_for(3).await;
    let mut ids: Vec<String> = got.iter().map(Received::id).collect();
    ids.sort();
    let mut sent = vec![early[0].clone(), early[1].clone(), late];
    sent.sort();
    assert_eq!(ids, sent);
}

async fn two_nodes_on_one_database_deliver_each_event_once(backend: Backend) {
    if matches!(backend, Backend::Sqlite) {
        return; // several nodes share one database only on PostgreSQL
    }
    let master = "ab".repeat(32);
    let mut env = FAST.to_vec();
    env.push(("GATEHOUSE_MASTER_KEY", &master));
    let a = Server::demo_with_env(backend, &env).await;
    let b_dir = tempfile::tempdir().unwrap();
    let b = Server::start("serve", b_dir.path(), a.database_url.clone(), &env);
    let hook = Receiver::start().await;
    // Slow answers keep node B's requests in flight long enough for node A to claim too.
    hook.answer_after(100);
    subscribe(&a, &hook.url, &["checkin.scanned"]).await;
    let demo = a.demo_json();
    let (gate, _) = a.pair_demo_devices().await;
    let person = approved_participant(&demo);
    const SCANS: usize = 300;
    let scans: Vec<AccessLog> = (0..SCANS).map(|_| scan(&demo, person)).collect();
    upload(&b, &gate.device_token, scans.clone()).await;
    let got = hook.wait_for(SCANS).await;
    // Both workers have had time to claim anything twice; then count.
    let mut ids: Vec<String> = got.iter().map(Received::id).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), SCANS, "every event arrived");
    let id = first_subscription(&a).await;
    // Node B takes node A's key: the same tenant on the same database.
    let key = a.demo_api_key();
    b.as_integrator(&key)
        .post(&format!("/api/v1/webhooks/{id}/test"))
        .await
        .expect(202);
    hook.wait_for_type("webhook.test").await;
    assert_eq!(hook.got().len(), SCANS + 1, "no event was delivered twice");
    drop(b);
}
