//! The webhooks pages: an admin subscribes (the secret shown once), pings, reads the delivery
//! log, sends again, pauses and deletes; private URLs and viewers are refused.

use crate::common::page::{attr_of, csrf_of, sign_in};
use crate::common::{Backend, Server};

on_both_backends!(
    an_admin_subscribes_a_webhook_and_sees_its_test_ping,
    webhooks_refuse_private_urls_and_viewers,
);

async fn an_admin_subscribes_a_webhook_and_sees_its_test_ping(backend: Backend) {
    let s = Server::demo_with_env(backend, &[("GATEHOUSE_WEBHOOKS_ALLOW_PRIVATE", "true")]).await;
    let admin = sign_in(&s, "admin").await;
    let page = admin.page("/dashboard/webhooks").await;
    assert!(page.contains("No webhook subscriptions yet"));
    let csrf = csrf_of(&page);
    // Nothing listens there: the ping is logged (and retried) all the same.
    let url = "http://127.0.0.1:9/hooks";
    let shown = admin
        .post_form(
            "/dashboard/webhooks",
            &[("url", url), ("event_types", "*"), ("csrf", &csrf)],
        )
        .await
        .expect(200)
        .body;
    assert!(
        shown.contains("whsec_"),
        "the secret is shown once: {shown}"
    );

    let page = admin.get("/dashboard/webhooks").await.body;
    assert!(page.contains(url), "{page}");
    assert!(!page.contains("whsec_"), "the secret is never shown again");
    assert!(page.contains("enabled"));
    let id = attr_of(&page, "data-webhook");
    let hook = format!("/dashboard/webhooks/{id}");

    let ping = admin
        .post_form(&format!("{hook}/test"), &[("csrf", &csrf)])
        .await
        .expect(303);
    assert_eq!(ping.location(), hook);
    let log = admin.page(&hook).await;
    assert!(log.contains("webhook.test"), "{log}");
    assert!(log.contains("Send again"));
    assert!(log.contains("http://"), "the log names the endpoint: {log}");
    let delivery = attr_of(&log, "data-delivery");
    admin
        .post_form(
            &format!("{hook}/deliveries/{delivery}/redeliver"),
            &[("csrf", &csrf)],
        )
        .await
        .expect(303);
    let log = admin.get(&hook).await.body;
    assert_eq!(log.matches("data-delivery=").count(), 2, "{log}");

    admin
        .post_form(
            &format!("{hook}/enabled"),
            &[("enabled", "0"), ("csrf", &csrf)],
        )
        .await
        .expect(303);
    let page = admin.get("/dashboard/webhooks").await.body;
    assert!(page.contains("paused") && page.contains("Resume"), "{page}");

    admin
        .post_form(&format!("{hook}/delete"), &[("csrf", &csrf)])
        .await
        .expect(303);
    let page = admin.get("/dashboard/webhooks").await.body;
    assert!(!page.contains(url));
}

async fn webhooks_refuse_private_urls_and_viewers(backend: Backend) {
    let s = Server::demo(backend).await;
    let admin = sign_in(&s, "admin").await;
    let csrf = admin.csrf("/dashboard/webhooks").await;
    let refused = admin
        .post_form(
            "/dashboard/webhooks",
            &[
                ("url", "http://127.0.0.1:8080/hook"),
                ("event_types", "*"),
                ("csrf", &csrf),
            ],
        )
        .await
        .expect(400);
    assert!(refused.body.contains("This URL was refused"));

    let viewer = sign_in(&s, "viewer").await;
    let page = viewer.get("/dashboard/webhooks").await.expect(403).body;
    assert!(page.contains("webhooks:manage"), "{page}");
}
