//! A webhook endpoint on 127.0.0.1 that records what it gets and answers as a test plans, and
//! the signature check of an implementation that is not ours.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use serde_json::Value;

/// What the receiver answers to the next request.
#[derive(Debug, Clone)]
pub enum Plan {
    Status(u16),
    RetryAfter(u16, &'static str),
    /// Never answers (the server's timeout or death ends the request).
    Hang,
}

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct Received {
    pub headers: HeaderMap,
    pub body: String,
}

impl Received {
    pub fn id(&self) -> String {
        self.header("webhook-id")
    }

    pub fn header(&self, name: &str) -> String {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).expect("the body is JSON")
    }
}

#[derive(Default)]
struct Inbox {
    plans: Mutex<VecDeque<Plan>>,
    got: Mutex<Vec<Received>>,
    /// How long each answer takes, in ms.
    delay_ms: AtomicU64,
}

/// A webhook endpoint on 127.0.0.1 that records what it gets and answers as planned (200 when
/// nothing is planned).
#[derive(Clone)]
pub struct Receiver {
    pub url: String,
    inbox: Arc<Inbox>,
}

impl Receiver {
    pub async fn start() -> Receiver {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        Self::serve(listener).await
    }

    pub async fn serve(listener: tokio::net::TcpListener) -> Receiver {
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
                    let delay = inbox.delay_ms.load(Ordering::Relaxed);
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

    pub fn plan(&self, plans: &[Plan]) {
        self.inbox
            .plans
            .lock()
            .unwrap()
            .extend(plans.iter().cloned());
    }

    /// Takes `ms` to answer each request from now on.
    pub fn answer_after(&self, ms: u64) {
        self.inbox.delay_ms.store(ms, Ordering::Relaxed);
    }

    pub fn got(&self) -> Vec<Received> {
        self.inbox.got.lock().unwrap().clone()
    }

    /// Waits until `n` requests arrived (a generous bound: a failure, not a measurement).
    pub async fn wait_for(&self, n: usize) -> Vec<Received> {
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
    pub async fn wait_for_type(&self, kind: &str) -> Received {
        self.wait_for_event(kind, |_| true).await
    }

    /// Waits for a request of this `type` whose `data` passes `pred`.
    pub async fn wait_for_event(&self, kind: &str, pred: impl Fn(&Value) -> bool) -> Received {
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

/// Checks a request with the `standardwebhooks` crate (an implementation that is not ours).
pub fn verify(secret: &str, r: &Received) -> bool {
    standardwebhooks::Webhook::new(secret)
        .unwrap()
        .verify(r.body.as_bytes(), &r.headers)
        .is_ok()
}
