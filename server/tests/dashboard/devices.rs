//! The Devices page: a viewer sees the gates but may not revoke one; an admin may, and the gate
//! is told at its next contact.

use crate::common::page::{csrf_of, sign_in};
use crate::common::{Backend, Server};

on_both_backends!(a_viewer_sees_devices_but_cannot_revoke_one);

async fn a_viewer_sees_devices_but_cannot_revoke_one(backend: Backend) {
    let s = Server::demo(backend).await;
    let event = s.event_id();
    let (gate, _) = s.pair_demo_devices().await;
    let gate_feed = s.as_device(&gate.device_token);
    let revoke = format!("/dashboard/devices/{}/revoke", gate.device_id);
    let viewer = sign_in(&s, "viewer").await;
    let path = format!("/dashboard/events/{event}/devices");
    let page = viewer
        .get(&path)
        .await
        .expect_because(200, "a viewer sees the devices")
        .body;
    assert!(page.contains(&gate.device_name));
    assert!(
        !page.contains("Revoke</button>"),
        "but gets no revoke button"
    );

    let csrf = csrf_of(&page);
    let refused = viewer
        .post_form(&revoke, &[("csrf", &csrf)])
        .await
        .expect(403);
    assert!(refused.header("content-type").starts_with("text/html"));
    assert!(
        refused.body.contains("Not allowed"),
        "a clear page, not a blank 403"
    );
    assert!(
        refused.body.contains("devices:manage"),
        "it names the permission"
    );

    // The gate still works.
    gate_feed.get("/sync/v1/feed").await.expect(200);

    // The admin may revoke it, and the device is told at its next contact.
    let admin = sign_in(&s, "admin").await;
    let csrf = admin.csrf(&path).await;
    admin
        .post_form(&revoke, &[("csrf", &csrf)])
        .await
        .expect(303);
    gate_feed.get("/sync/v1/feed").await.expect(403);
}
