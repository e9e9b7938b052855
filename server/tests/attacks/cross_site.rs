//! A cross-site page makes the admin's browser post to the admin API: the browser adds the
//! session cookie, but cannot add the Bearer header. A change made with the cookie alone is
//! refused, and nothing changes; reading with the cookie (the dashboard's CSV link) still works.

use crate::common::{Backend, Server};

on_both_backends!(a_cross_site_post_carrying_only_the_cookie_changes_nothing);

async fn a_cross_site_post_carrying_only_the_cookie_changes_nothing(backend: Backend) {
    let s = Server::demo(backend).await;
    let (gate, _) = s.pair_demo_devices().await;
    let session = s.admin_session().await;
    let device = gate.device_id.to_string();
    let browser = s
        .anonymous()
        .header("cookie", &format!("gatehouse_session={session}"))
        .header("origin", "https://evil.example");

    for path in [
        format!("/admin/v1/devices/{device}/revoke"),
        format!("/admin/v1/events/{}/keys/rotate", s.event_id()),
    ] {
        browser
            .post(&path)
            .await
            .expect_error(401, "bearer_required");
    }

    let admin = s.as_admin(&session);
    let shown = admin.get_json(&format!("/admin/v1/devices/{device}")).await;
    assert_eq!(shown["device"]["state"], "paired", "not revoked: {shown}");
    s.as_device(&gate.device_token)
        .get("/sync/v1/feed")
        .await
        .expect_because(200, "the gate still syncs");
    let audit = admin.get_json("/admin/v1/audit").await.to_string();
    assert!(!audit.contains("device.revoked"), "{audit}");
    assert!(!audit.contains("ticket_key.rotated"), "{audit}");

    // Reads with the cookie still work: the dashboard links to the CSV export.
    browser.get("/admin/v1/me").await.expect(200);
    // The same change with the Bearer header is the admin's own.
    admin
        .post(&format!("/admin/v1/devices/{device}/revoke"))
        .await
        .expect(200);
}
