//! Webhooks against the real binary and a real receiver on 127.0.0.1: subscriptions through the
//! API, events written with the change that caused them, signatures checked by an independent
//! implementation (the `standardwebhooks` crate), retries, `Retry-After`, `410 Gone`, secret
//! rotation, restarts and the SSRF guard.

mod common;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use common::fixtures::{checkpoint, now_ms, ticket};
use common::{Backend, Server};
use gatehouse_core::protocol::{
    DeviceReport, OccupancyCounter, OnlineScanRequest, Presented, ScanUpload,
};
use gatehouse_core::{AccessLog, CheckpointId, Movement, Reason, ScanId, Verdict, ZoneId};
use serde_json::{json, Value};

on_both_backends!(
    a_scan_uploaded_by_a_gate_reaches_the_subscriber_signed,
    a_failing_receiver_is_retried_until_it_answers,
    retry_after_is_honoured,
    an_endpoint_that_is_gone_disables_its_subscription,
    scopes_private_urls_and_bad_input_are_refused_clearly,
    during_a_secret_rotation_both_secrets_verify,
    a_delivery_cut_off_by_a_restart_is_sent_after_it_with_the_same_id,
    a_receiver_that_was_down_gets_every_event_when_it_is_up,
    status_changes_and_silent_devices_are_announced,
    a_delivery_can_be_sent_again_by_hand,
    online_scans_are_announced_with_their_verdict,
    a_participant_registered_through_the_api_is_announced,
    a_zone_filling_up_announces_each_threshold_once,
    an_offline_duplicate_is_announced,
    two_nodes_on_one_database_deliver_each_event_once,
    a_graceful_shutdown_records_what_is_in_flight,
    a_recovered_endpoint_gets_its_backlog_at_once,
    deleting_a_subscription_mid_delivery_is_harmless,
);

/// What the receiver answers to the next request.
#[derive(Debug, Clone)]
enum Plan {
    Status(u16),
    RetryAfter(u16, &'static str),
    /// Never answers (the server's timeout or death ends the request).
    Hang,
}

/// One request the receiver got.
#[derive(Debug, Clone)]
struct Received {
    headers: HeaderMap,
    body: String,
}

impl Received {
    fn id(&self) -> String {
        self.header("webhook-id")
    }

    fn header(&self, name: &str) -> String {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.body).expect("the body is JSON")
    }
}

#[derive(Default)]
struct Inbox {
    plans: Mutex<VecDeque<Plan>>,
    got: Mutex<Vec<Received>>,
    /// How long each answer takes, in ms.
    delay_ms: std::sync::atomic::AtomicU64,
}

/// A webhook endpoint on 127.0.0.1 that records what it gets and answers as planned (200 when
/// nothing is planned).
#[derive(Clone)]
struct Receiver {
    url: String,
    inbox: Arc<Inbox>,
}

impl Receiver {
    async fn start() -> Receiver {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        Self::serve(listener).await
    }

    async fn serve(listener: tokio::net::TcpListener) -> Receiver {
        let url = format!("http://{}/hooks", listener.local_addr().unwrap());
        let inbox = Arc::new(Inbox::default());
        let shared = inbox.clone();
        let app = axum::Router::new().route(
            "/hooks",
            axum::routing::post(move |headers: HeaderMap, body: String| {
                let inbox = shared.clone();
                async move {
                    let plan = inbox.plans.lock().unwrap().pop_front();
                    inbox.got.lock().unwrap().push(Received { headers, body });
                    let delay = inbox.delay_ms.load(std::sync::atomic::Ordering::Relaxed);
                    tokio::time::sleep(Duration::from_millis(delay)).await;
                    match plan.unwrap_or(Plan::Status(200)) {
                        Plan::Status(code) => StatusCode::from_u16(code).unwrap().into_response(),
                        Plan::RetryAfter(code, after) => (
                            StatusCode::from_u16(code).unwrap(),
                            [("retry-after", after)],
                            "slow down",
                        )
                            .into_response(),
                        Plan::Hang => {
                            std::future::pending::<()>().await;
                            StatusCode::OK.into_response()
                        }
                    }
                }
            }),
        );
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Receiver { url, inbox }
    }

    fn plan(&self, plans: &[Plan]) {
        self.inbox
            .plans
            .lock()
            .unwrap()
            .extend(plans.iter().cloned());
    }

    fn got(&self) -> Vec<Received> {
        self.inbox.got.lock().unwrap().clone()
    }

    /// Waits until `n` requests arrived (a generous bound: a failure, not a measurement).
    async fn wait_for(&self, n: usize) -> Vec<Received> {
        for _ in 0..1_200 {
            let got = self.got();
            if got.len() >= n {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!(
            "the receiver got {} requests, expected {n}",
            self.got().len()
        );
    }

    /// Waits for a request whose body has this `type`.
    async fn wait_for_type(&self, kind: &str) -> Received {
        self.wait_for_event(kind, |_| true).await
    }

    /// Waits for a request of this `type` whose `data` passes `pred`.
    async fn wait_for_event(&self, kind: &str, pred: impl Fn(&Value) -> bool) -> Received {
        for _ in 0..1_200 {
            let found = self.got().into_iter().find(|r| {
                let body = r.json();
                body["type"] == kind && pred(&body["data"])
            });
            if let Some(r) = found {
                return r;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("no {kind} arrived; got {:?}", self.got());
    }
}

/// The environment of a server whose webhooks may reach 127.0.0.1 and retry quickly.
const FAST: &[(&str, &str)] = &[
    ("GATEHOUSE_WEBHOOKS_ALLOW_PRIVATE", "true"),
    ("GATEHOUSE_WEBHOOKS_RETRY_BASE_MS", "100"),
    ("GATEHOUSE_WEBHOOKS_TIMEOUT_MS", "2000"),
];

fn api_key(s: &Server) -> String {
    s.demo_json()["api_key"].as_str().unwrap().to_owned()
}

async fn call(
    s: &Server,
    method: reqwest::Method,
    path: &str,
    key: Option<&str>,
    body: Option<Value>,
) -> (u16, Value) {
    let mut req = s.http.request(method, s.at(path));
    if let Some(key) = key {
        req = req.bearer_auth(key);
    }
    if let Some(body) = body {
        req = req.json(&body);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    let body = res.json().await.unwrap_or(Value::Null);
    (status, body)
}

/// Subscribes `url` to `types`; returns (id, secret).
async fn subscribe(s: &Server, url: &str, types: &[&str]) -> (String, String) {
    let (status, body) = call(
        s,
        reqwest::Method::POST,
        "/api/v1/webhooks",
        Some(&api_key(s)),
        Some(json!({"url": url, "event_types": types, "description": "test receiver"})),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    (
        body["data"]["id"].as_str().unwrap().to_owned(),
        body["data"]["secret"].as_str().unwrap().to_owned(),
    )
}

async fn ping(s: &Server, id: &str) -> String {
    let (status, body) = call(
        s,
        reqwest::Method::POST,
        &format!("/api/v1/webhooks/{id}/test"),
        Some(&api_key(s)),
        None,
    )
    .await;
    assert_eq!(status, 202, "{body}");
    body["data"]["message_id"].as_str().unwrap().to_owned()
}

async fn deliveries(s: &Server, id: &str) -> Vec<Value> {
    let (status, body) = call(
        s,
        reqwest::Method::GET,
        &format!("/api/v1/webhooks/{id}/deliveries"),
        Some(&api_key(s)),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
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

/// Checks a request with the `standardwebhooks` crate (an implementation that is not ours).
fn verify(secret: &str, r: &Received) -> bool {
    standardwebhooks::Webhook::new(secret)
        .unwrap()
        .verify(r.body.as_bytes(), &r.headers)
        .is_ok()
}

fn scan(demo: &Value, participant: &str) -> AccessLog {
    let (cp, zone) = checkpoint(demo, "Main gate entry");
    let now = now_ms();
    AccessLog {
        id: ScanId(uuid::Uuid::now_v7()),
        event_id: demo["event_id"].as_str().unwrap().parse().unwrap(),
        checkpoint_id: cp.parse::<CheckpointId>().unwrap(),
        zone_id: zone.parse::<ZoneId>().unwrap(),
        device_id: None,
        participant_id: Some(participant.parse().unwrap()),
        credential_seq: Some(0),
        movement: Some(Movement::In),
        verdict: Verdict::Valid,
        reason: Reason::Admitted,
        override_reason: None,
        device_time: now,
        corrected_time: now,
    }
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
    let res = s
        .http
        .post(s.at("/sync/v1/scans"))
        .bearer_auth(token)
        .json(&ScanUpload {
            scans,
            occupancy,
            report: DeviceReport {
                app_version: "test-1.0".into(),
                profile: Some("gate-laptop".into()),
                cursor: 0,
                outbox_depth: 0,
                device_time: now_ms(),
            },
        })
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "upload accepted");
}

fn approved_participant(demo: &Value) -> String {
    ticket(demo, |t| t["status"] == "approved" && t["blocked"] == false)["participant_id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn a_scan_uploaded_by_a_gate_reaches_the_subscriber_signed(backend: Backend) {
    let s = Server::demo_with_env(backend, FAST).await;
    let hook = Receiver::start().await;
    let (id, secret) = subscribe(&s, &hook.url, &["checkin.*"]).await;
    assert!(secret.starts_with("whsec_"), "{secret}");
    let demo = s.demo_json();
    let (gate, _) = s.pair_demo_devices().await;
    let first = scan(&demo, &approved_participant(&demo));
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
    let second = scan(&demo, &approved_participant(&demo));
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
    let (status, detail) = call(
        &s,
        reqwest::Method::GET,
        &format!(
            "/api/v1/webhooks/{id}/deliveries/{}",
            d["id"].as_str().unwrap()
        ),
        Some(&api_key(&s)),
        None,
    )
    .await;
    assert_eq!(status, 200, "{detail}");
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
    let (_, sub) = call(
        &s,
        reqwest::Method::GET,
        &format!("/api/v1/webhooks/{id}"),
        Some(&api_key(&s)),
        None,
    )
    .await;
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
    let (_, sub) = call(
        &s,
        reqwest::Method::GET,
        &format!("/api/v1/webhooks/{id}"),
        Some(&api_key(&s)),
        None,
    )
    .await;
    assert_eq!(sub["data"]["enabled"], false);
    let reason = sub["data"]["disabled_reason"].as_str().unwrap();
    assert!(reason.contains("410"), "{reason}");

    // Nothing more is sent while it is disabled; enabling it again resumes.
    ping(&s, &id).await;
    let (status, body) = call(
        &s,
        reqwest::Method::PATCH,
        &format!("/api/v1/webhooks/{id}"),
        Some(&api_key(&s)),
        Some(json!({"enabled": true})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["disabled_reason"], Value::Null);
    hook.wait_for(2).await;
    assert_eq!(settled(&s, &id).await["status"], "delivered");
}

async fn scopes_private_urls_and_bad_input_are_refused_clearly(backend: Backend) {
    // No allow flag: 127.0.0.1 is off limits.
    let s = Server::demo(backend).await;
    let session = s.admin_session().await;
    let key_with = |scopes: Value| {
        let s = &s;
        let session = session.clone();
        async move {
            let res = s
                .http
                .post(s.at("/admin/v1/api-keys"))
                .bearer_auth(&session)
                .json(&json!({"name": "scoped", "scopes": scopes}))
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 201);
            let body: Value = res.json().await.unwrap();
            body["key"].as_str().unwrap().to_owned()
        }
    };
    let events_only = key_with(json!(["events:read"])).await;
    let read_only = key_with(json!(["webhooks:read"])).await;
    let get = reqwest::Method::GET;
    let post = reqwest::Method::POST;

    let (status, body) = call(
        &s,
        get.clone(),
        "/api/v1/webhooks",
        Some(&events_only),
        None,
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(body["error"]["code"], "insufficient_scope");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("webhooks:read"),
        "{body}"
    );
    let (status, _) = call(&s, get.clone(), "/api/v1/webhooks", Some(&read_only), None).await;
    assert_eq!(status, 200);
    let new = json!({"url": "https://hooks.example.com/in", "event_types": ["*"]});
    let (status, body) = call(
        &s,
        post.clone(),
        "/api/v1/webhooks",
        Some(&read_only),
        Some(new),
    )
    .await;
    assert_eq!(status, 403);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("webhooks:write"),
        "{body}"
    );
    let (status, body) = call(&s, get.clone(), "/api/v1/webhooks", None, None).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (401, Some("missing_api_key"))
    );

    let key = api_key(&s);
    let refused = |url: &'static str, types: Value| {
        let (s, key, post) = (&s, key.clone(), post.clone());
        async move {
            let (status, body) = call(
                s,
                post,
                "/api/v1/webhooks",
                Some(&key),
                Some(json!({"url": url, "event_types": types})),
            )
            .await;
            assert_eq!(status, 422, "{body}");
            (
                body["error"]["code"].as_str().unwrap().to_owned(),
                body["error"]["message"].as_str().unwrap().to_owned(),
            )
        }
    };
    let (code, message) = refused("https://127.0.0.1:9/hooks", json!(["*"])).await;
    assert_eq!(code, "private_url");
    assert!(message.starts_with("`url`"), "{message}");
    let (code, _) = refused("https://169.254.169.254/latest", json!(["*"])).await;
    assert_eq!(code, "private_url");
    let (code, message) = refused("http://hooks.example.com/in", json!(["*"])).await;
    assert_eq!(code, "invalid_url");
    assert!(message.contains("https"), "{message}");
    let (code, message) = refused("https://93.184.216.34/in", json!(["scan.accepted"])).await;
    assert_eq!(code, "invalid_event_types");
    assert!(message.contains("checkin.scanned"), "{message}");
    let (code, _) = refused("https://93.184.216.34/in", json!([])).await;
    assert_eq!(code, "invalid_event_types");
    let (_, list) = call(&s, get, "/api/v1/webhooks", Some(&key), None).await;
    assert_eq!(list["data"], json!([]), "nothing was created");

    // Admins (the dashboard) manage the same subscriptions with a session; a session is no
    // API key, and an API key opens no admin route.
    let url = json!({"url": "https://93.184.216.34/in", "event_types": ["*"]});
    let (status, made) = call(
        &s,
        post.clone(),
        "/admin/v1/webhooks",
        Some(&session),
        Some(url),
    )
    .await;
    assert_eq!(status, 201, "{made}");
    assert!(made["data"]["secret"]
        .as_str()
        .unwrap()
        .starts_with("whsec_"));
    let (status, list) = call(
        &s,
        reqwest::Method::GET,
        "/api/v1/webhooks",
        Some(&key),
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(list["data"][0]["id"], made["data"]["id"]);
    let (status, _) = call(
        &s,
        reqwest::Method::GET,
        "/api/v1/webhooks",
        Some(&session),
        None,
    )
    .await;
    assert_eq!(status, 401);
    let (status, _) = call(
        &s,
        reqwest::Method::GET,
        "/admin/v1/webhooks",
        Some(&key),
        None,
    )
    .await;
    assert_eq!(status, 401);
}

async fn during_a_secret_rotation_both_secrets_verify(backend: Backend) {
    let s = Server::demo_with_env(backend, FAST).await;
    let hook = Receiver::start().await;
    let (id, old) = subscribe(&s, &hook.url, &["*"]).await;
    let (status, body) = call(
        &s,
        reqwest::Method::POST,
        &format!("/api/v1/webhooks/{id}/rotate-secret"),
        Some(&api_key(&s)),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
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
    // A port where nothing listens yet.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
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
    let res = s
        .http
        .post(s.at(&format!("/admin/v1/participants/{person}/status")))
        .bearer_auth(&session)
        .json(&json!({"status": "approved"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
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
    let res = s
        .http
        .delete(s.at(&format!("/api/v1/participants/{person}")))
        .bearer_auth(demo["api_key"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let cancelled = hook
        .wait_for_event("participant.status_changed", |d| d["status"] == "cancelled")
        .await;
    assert!(verify(&secret, &cancelled));
    assert_eq!(cancelled.json()["data"]["previous_status"], "approved");
    let bad = s
        .http
        .post(s.at(&format!("/admin/v1/participants/{person}/status")))
        .bearer_auth(&session)
        .json(&json!({"status": "maybe"}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 422);

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

async fn a_delivery_can_be_sent_again_by_hand(backend: Backend) {
    let s = Server::demo_with_env(backend, FAST).await;
    let hook = Receiver::start().await;
    let (id, _) = subscribe(&s, &hook.url, &["*"]).await;
    let message = ping(&s, &id).await;
    hook.wait_for(1).await;
    let first = settled(&s, &id).await;
    let (status, body) = call(
        &s,
        reqwest::Method::POST,
        &format!(
            "/api/v1/webhooks/{id}/deliveries/{}/redeliver",
            first["id"].as_str().unwrap()
        ),
        Some(&api_key(&s)),
        None,
    )
    .await;
    assert_eq!(status, 202, "{body}");
    let got = hook.wait_for(2).await;
    assert_eq!(got[1].id(), message, "a redelivery keeps the webhook-id");
    let list = deliveries(&s, &id).await;
    assert_eq!(list.len(), 2);

    // A time range: nothing failed, so by default nothing is replayed; everything on request.
    let replay = |body: Value| {
        let (s, key, path) = (&s, api_key(&s), format!("/api/v1/webhooks/{id}/replay"));
        async move {
            let (status, body) =
                call(s, reqwest::Method::POST, &path, Some(&key), Some(body)).await;
            assert_eq!(status, 202, "{body}");
            body["data"]["requeued"].as_i64().unwrap()
        }
    };
    assert_eq!(replay(json!({"since": 0})).await, 0);
    assert_eq!(replay(json!({"since": 0, "only_failed": false})).await, 1);
    let got = hook.wait_for(3).await;
    assert_eq!(got[2].id(), message);
    let (status, body) = call(
        &s,
        reqwest::Method::POST,
        &format!(
            "/api/v1/webhooks/{id}/deliveries/{}/redeliver",
            uuid::Uuid::now_v7()
        ),
        Some(&api_key(&s)),
        None,
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (404, Some("not_found"))
    );
}

async fn online_scans_are_announced_with_their_verdict(backend: Backend) {
    let s = Server::demo_with_env(backend, FAST).await;
    let hook = Receiver::start().await;
    // One event type for every scan, the verdict in `data`.
    let (_, secret) = subscribe(&s, &hook.url, &["checkin.scanned"]).await;
    let demo = s.demo_json();
    let (gate, _) = s.pair_demo_devices().await;
    let (cp, _) = checkpoint(&demo, "Main gate entry");
    let scan_online = |t: &Value| {
        let (s, token, cp) = (&s, gate.device_token.clone(), cp.clone());
        let presented = Presented::Payload(t["payload"].as_str().unwrap().to_owned());
        async move {
            let id = ScanId(uuid::Uuid::now_v7());
            let res = s
                .http
                .post(s.at("/sync/v1/scan"))
                .bearer_auth(token)
                .json(&OnlineScanRequest {
                    scan_id: id,
                    presented,
                    checkpoint_id: cp.parse().unwrap(),
                    requested: None,
                    override_reason: None,
                    device_time: now_ms(),
                })
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 200);
            id
        }
    };
    let admitted = scan_online(ticket(&demo, |t| {
        t["status"] == "approved" && t["blocked"] == false
    }))
    .await;
    let blocked = scan_online(ticket(&demo, |t| t["blocked"] == true)).await;
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
    let (status, made) = call(
        &s,
        reqwest::Method::POST,
        "/api/v1/participants",
        Some(&api_key(&s)),
        Some(json!({
            "event_id": demo["event_id"],
            "full_name": "Registered Rahel",
            "category": "Delegate",
            "organisation": "African Union",
        })),
    )
    .await;
    assert_eq!(status, 201, "{made}");
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
    let demo = s.demo_json();
    let event = demo["event_id"].as_str().unwrap();
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let cookie = |res: &reqwest::Response, name: &str| {
        res.headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok()?.split(';').next())
            .find_map(|pair| {
                pair.split_once('=')
                    .filter(|(k, _)| *k == name)
                    .map(|(_, v)| v.to_owned())
            })
            .unwrap_or_else(|| panic!("cookie {name}"))
    };
    let csrf = |page: &str| {
        let mark = "name=\"csrf\" value=\"";
        let start = page.find(mark).expect("a CSRF field") + mark.len();
        page[start..start + page[start..].find('"').unwrap()].to_owned()
    };
    let form = browser.get(s.at("/dashboard/login")).send().await.unwrap();
    let login = cookie(&form, "gatehouse_login");
    let page = form.text().await.unwrap();
    let res = browser
        .post(s.at("/dashboard/login"))
        .header("cookie", format!("gatehouse_login={login}"))
        .form(&[
            ("email", demo["admin"]["email"].as_str().unwrap()),
            ("password", demo["admin"]["password"].as_str().unwrap()),
            ("csrf", &csrf(&page)),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303, "the demo admin signs in");
    let session = format!("gatehouse_session={}", cookie(&res, "gatehouse_session"));
    let page = browser
        .get(s.at(&format!("/dashboard/events/{event}/layout")))
        .header("cookie", &session)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let res = browser
        .post(s.at(&format!("/dashboard/events/{event}/zones/{zone}")))
        .header("cookie", &session)
        .form(&[("capacity", capacity), ("csrf", &csrf(&page))])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303, "the capacity is saved");
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
    let people: Vec<&Value> = demo["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["status"] == "approved" && t["blocked"] == false)
        .take(4)
        .collect();
    let scan_at = |cp: &str, t: &Value| {
        let presented = Presented::Payload(t["payload"].as_str().unwrap().to_owned());
        let (s, token, cp) = (&s, gate.device_token.clone(), cp.to_owned());
        async move {
            let res = s
                .http
                .post(s.at("/sync/v1/scan"))
                .bearer_auth(token)
                .json(&OnlineScanRequest {
                    scan_id: ScanId(uuid::Uuid::now_v7()),
                    presented,
                    checkpoint_id: cp.parse().unwrap(),
                    requested: None,
                    override_reason: None,
                    device_time: now_ms(),
                })
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 200);
            let body: Value = res.json().await.unwrap();
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
    let mut first = scan(&demo, &person);
    first.device_time -= 60_000;
    first.corrected_time = first.device_time;
    let mut second = scan(&demo, &person);
    second.device_time = first.device_time + 30_000;
    second.corrected_time = second.device_time;
    upload(&s, &a.device_token, vec![first]).await;
    upload(&s, &b.device_token, vec![second.clone()]).await;
    let flagged = hook.wait_for_type("checkin.offline_duplicate").await;
    assert!(verify(&secret, &flagged));
    assert_eq!(flagged.json()["data"]["scan_id"], second.id.to_string());
    // Uploading it again flags nothing new (the ping after it marks the end of what was sent).
    upload(&s, &b.device_token, vec![second]).await;
    let id = subscribe_id(&s).await;
    ping(&s, &id).await;
    hook.wait_for_type("webhook.test").await;
    let flags = hook
        .got()
        .iter()
        .filter(|r| r.json()["type"] == "checkin.offline_duplicate")
        .count();
    assert_eq!(flags, 1);
}

async fn subscribe_id(s: &Server) -> String {
    let (_, list) = call(
        s,
        reqwest::Method::GET,
        "/api/v1/webhooks",
        Some(&api_key(s)),
        None,
    )
    .await;
    list["data"][0]["id"].as_str().unwrap().to_owned()
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
    hook.inbox
        .delay_ms
        .store(100, std::sync::atomic::Ordering::Relaxed);
    subscribe(&a, &hook.url, &["checkin.scanned"]).await;
    let demo = a.demo_json();
    let (gate, _) = a.pair_demo_devices().await;
    let person = approved_participant(&demo);
    const SCANS: usize = 300;
    let scans: Vec<AccessLog> = (0..SCANS).map(|_| scan(&demo, &person)).collect();
    upload(&b, &gate.device_token, scans.clone()).await;
    let got = hook.wait_for(SCANS).await;
    // Both workers have had time to claim anything twice; then count.
    let mut ids: Vec<String> = got.iter().map(Received::id).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), SCANS, "every event arrived");
    let id = subscribe_id(&a).await;
    let (status, _) = call(
        &b,
        reqwest::Method::POST,
        &format!("/api/v1/webhooks/{id}/test"),
        Some(&api_key(&a)),
        None,
    )
    .await;
    assert_eq!(status, 202);
    hook.wait_for_type("webhook.test").await;
    assert_eq!(hook.got().len(), SCANS + 1, "no event was delivered twice");
    drop(b);
}

async fn a_graceful_shutdown_records_what_is_in_flight(backend: Backend) {
    let s = Server::demo_with_env(backend, FAST).await;
    let hook = Receiver::start().await;
    hook.inbox
        .delay_ms
        .store(1_500, std::sync::atomic::Ordering::Relaxed);
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
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
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

async fn deleting_a_subscription_mid_delivery_is_harmless(backend: Backend) {
    let s = Server::demo_with_env(backend, FAST).await;
    let hook = Receiver::start().await;
    hook.inbox
        .delay_ms
        .store(1_000, std::sync::atomic::Ordering::Relaxed);
    let (id, _) = subscribe(&s, &hook.url, &["*"]).await;
    ping(&s, &id).await;
    hook.wait_for(1).await;
    let (status, _) = call(
        &s,
        reqwest::Method::DELETE,
        &format!("/api/v1/webhooks/{id}"),
        Some(&api_key(&s)),
        None,
    )
    .await;
    assert_eq!(status, 200);
    let (status, _) = call(
        &s,
        reqwest::Method::GET,
        &format!("/api/v1/webhooks/{id}"),
        Some(&api_key(&s)),
        None,
    )
    .await;
    assert_eq!(status, 404);
    // The answer to the deleted subscription's request arrives; the next one is recorded.
    hook.inbox
        .delay_ms
        .store(0, std::sync::atomic::Ordering::Relaxed);
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
