//! The SSRF guard at delivery time, with private targets not allowed: a subscription whose host
//! now resolves to a private address (saved while it pointed elsewhere: DNS rebinding) is refused
//! when the webhook is sent, and the refusal is in the delivery log. A proxy in the server's
//! environment changes nothing: the delivery client ignores `HTTP(S)_PROXY`, which would
//! otherwise resolve the name itself, past the guard.

use std::time::Duration;

use super::receiver::Receiver;
use super::{deliveries, integrator, ping, subscribe};
use crate::common::{Backend, Server};

on_both_backends!(a_host_that_turned_private_is_refused_at_delivery_even_with_a_proxy_set);

async fn a_host_that_turned_private_is_refused_at_delivery_even_with_a_proxy_set(backend: Backend) {
    // Would take the request if the server went through a proxy: the attacker's way in.
    let proxy = Receiver::start().await;
    let proxy_url = proxy.url.trim_end_matches("/hooks").to_owned();
    let env = [
        ("HTTP_PROXY", proxy_url.as_str()),
        ("HTTPS_PROXY", proxy_url.as_str()),
        ("ALL_PROXY", proxy_url.as_str()),
        ("http_proxy", proxy_url.as_str()),
        ("https_proxy", proxy_url.as_str()),
        ("NO_PROXY", ""),
        ("no_proxy", ""),
        ("GATEHOUSE_WEBHOOKS_ALLOW_PRIVATE", "false"),
        ("GATEHOUSE_WEBHOOKS_RETRY_BASE_MS", "100"),
        ("GATEHOUSE_WEBHOOKS_TIMEOUT_MS", "2000"),
    ];
    let s = Server::demo_with_env(backend, &env).await;
    // Saved while the host was public.
    let (id, _) = subscribe(&s, "https://93.184.216.34/hooks", &["*"]).await;
    // The name now answers with a loopback address (an operator's edit stands in for DNS).
    let port = proxy_url.rsplit(':').next().unwrap();
    s.operator_sql(&format!(
        "UPDATE webhook_subscriptions SET url = 'http://localhost:{port}/hooks' WHERE id = '{id}'"
    ))
    .await;
    ping(&s, &id).await;

    let mut tried = None;
    for _ in 0..600 {
        if let Some(d) = deliveries(&s, &id)
            .await
            .into_iter()
            .find(|d| d["attempts"] != 0)
        {
            tried = Some(d);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let delivery = tried.expect("the delivery was attempted");
    assert_ne!(delivery["status"], "delivered", "{delivery}");
    let error = delivery["last_error"].as_str().unwrap_or_default();
    assert!(
        error.contains("no public address"),
        "refused by the guard, and logged: {delivery}"
    );
    assert!(
        proxy.got().is_empty(),
        "nothing reached the proxy: {:?}",
        proxy.got()
    );
    let sub = integrator(&s)
        .get_json(&format!("/api/v1/webhooks/{id}"))
        .await;
    assert_eq!(sub["data"]["url"], format!("http://localhost:{port}/hooks"));
}
