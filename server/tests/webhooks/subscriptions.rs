//! Subscribing: the scopes a key needs, the SSRF guard on private URLs, bad input refused with a
//! message that names the field, and admins managing the same subscriptions with a session.

use serde_json::{json, Value};

use super::integrator;
use crate::common::{Backend, Server};

on_both_backends!(scopes_private_urls_and_bad_input_are_refused_clearly);

async fn scopes_private_urls_and_bad_input_are_refused_clearly(backend: Backend) {
    // No allow flag: 127.0.0.1 is off limits.
    let s = Server::demo(backend).await;
    let session = s.admin_session().await;
    let admin = s.as_admin(&session);
    let key_with = |scopes: Value| {
        let admin = &admin;
        async move {
            let body = admin
                .post_json(
                    "/admin/v1/api-keys",
                    &json!({"name": "scoped", "scopes": scopes}),
                )
                .await
                .expect(201)
                .json();
            body["key"].as_str().unwrap().to_owned()
        }
    };
    let events_only = key_with(json!(["events:read"])).await;
    let read_only = key_with(json!(["webhooks:read"])).await;

    let body = s
        .as_integrator(&events_only)
        .get("/api/v1/webhooks")
        .await
        .expect(403)
        .json();
    assert_eq!(body["error"]["code"], "insufficient_scope");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("webhooks:read"),
        "{body}"
    );
    let reader = s.as_integrator(&read_only);
    reader.get("/api/v1/webhooks").await.expect(200);
    let new = json!({"url": "https://hooks.example.com/in", "event_types": ["*"]});
    let body = reader
        .post_json("/api/v1/webhooks", &new)
        .await
        .expect(403)
        .json();
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("webhooks:write"),
        "{body}"
    );
    s.anonymous()
        .get("/api/v1/webhooks")
        .await
        .expect_error(401, "missing_api_key");

    let refused = |url: &'static str, types: Value| {
        let integrator = integrator(&s);
        async move {
            let r = integrator
                .post_json(
                    "/api/v1/webhooks",
                    &json!({"url": url, "event_types": types}),
                )
                .await
                .expect(422);
            (r.error().1, r.error_message())
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
    let list = integrator(&s).get("/api/v1/webhooks").await.json();
    assert_eq!(list["data"], json!([]), "nothing was created");

    // Admins (the dashboard) manage the same subscriptions with a session; a session is no
    // API key, and an API key opens no admin route.
    let url = json!({"url": "https://93.184.216.34/in", "event_types": ["*"]});
    let made = admin
        .post_json("/admin/v1/webhooks", &url)
        .await
        .expect(201)
        .json();
    assert!(made["data"]["secret"]
        .as_str()
        .unwrap()
        .starts_with("whsec_"));
    let list = integrator(&s).get_json("/api/v1/webhooks").await;
    assert_eq!(list["data"][0]["id"], made["data"]["id"]);
    s.as_integrator(&session)
        .get("/api/v1/webhooks")
        .await
        .expect(401);
    s.as_admin(&s.demo_api_key())
        .get("/admin/v1/webhooks")
        .await
        .expect(401);
}
