//! The API keys page: an admin creates a key (the secret shown once), sees its use, rotates it
//! and revokes it; a viewer may not.

use crate::common::page::{csrf_of, last_attr_of, row_of, sign_in, text_after};
use crate::common::{Backend, Server};

on_both_backends!(an_admin_creates_rotates_and_revokes_an_api_key);

/// The status of a REST API call with `key`.
async fn api_status(s: &Server, key: &str, path: &str) -> u16 {
    s.as_integrator(key)
        .get(&format!("/api/v1{path}"))
        .await
        .status
}

async fn an_admin_creates_rotates_and_revokes_an_api_key(backend: Backend) {
    let s = Server::demo(backend).await;
    let viewer = sign_in(&s, "viewer").await;
    let page = viewer.get("/dashboard/api-keys").await.expect(403).body;
    assert!(page.contains("api-keys:manage"), "{page}");

    let admin = sign_in(&s, "admin").await;
    let page = admin.page("/dashboard/api-keys").await;
    assert!(
        page.contains("aria-current=\"page\">API keys"),
        "in the navigation"
    );
    let csrf = csrf_of(&page);

    // A form that names no scope says so and creates nothing.
    let refused = admin
        .post_form(
            "/dashboard/api-keys",
            &[("name", "Portal"), ("csrf", &csrf)],
        )
        .await
        .expect(422);
    assert!(refused.body.contains("at least one scope"));

    let shown = admin
        .post_form(
            "/dashboard/api-keys",
            &[
                ("name", "Registration <portal>"),
                ("scope", "participants:read"),
                ("scope", "events:read"),
                ("tier", "CUSTOM"),
                ("rate_limit_per_minute", "250"),
                ("expires_at", ""),
                ("allowed_ips", "127.0.0.1, ::1"),
                ("csrf", &csrf),
            ],
        )
        .await
        .expect(200)
        .body;
    assert!(
        shown.contains("Registration &lt;portal&gt;"),
        "escaped: {shown}"
    );
    let key = text_after(&shown, "data-secret>");
    assert!(key.starts_with("ghk_"), "{key}");

    // The key works within its scopes and nowhere else.
    assert_eq!(api_status(&s, &key, "/participants?limit=1").await, 200);
    assert_eq!(api_status(&s, &key, "/events").await, 200);
    let event = s.event_id();
    assert_eq!(
        api_status(&s, &key, &format!("/events/{event}/access-logs")).await,
        403,
        "no access-logs:read"
    );

    let page = admin.get("/dashboard/api-keys").await.body;
    assert!(!page.contains(&key), "the secret is never shown again");
    // The demo's own key comes first; the new one is the newest, last.
    let id = last_attr_of(&page, "data-api-key");
    let row = row_of(&page, &format!("data-api-key=\"{id}\""));
    assert!(row.contains("participants:read, events:read"), "{row}");
    assert!(row.contains("CUSTOM · 250/min"), "{row}");
    assert!(row.contains("127.0.0.1/32, ::1/128"), "{row}");
    assert!(
        row.contains("<td class=\"uses\">3</td>"),
        "every use counted: {row}"
    );

    // Rotating with no grace: the old secret stops now, the new one works.
    let shown = admin
        .post_form(
            &format!("/dashboard/api-keys/{id}/rotate"),
            &[("grace_seconds", "0"), ("csrf", &csrf)],
        )
        .await
        .expect(200)
        .body;
    let fresh = text_after(&shown, "data-secret>");
    assert_ne!(fresh, key);
    assert!(shown.contains("keeps working until"), "{shown}");
    assert_eq!(api_status(&s, &key, "/events").await, 401);
    assert_eq!(api_status(&s, &fresh, "/events").await, 200);

    let page = admin.get("/dashboard/api-keys").await.body;
    assert!(
        page.contains("expired"),
        "the old key shows as expired: {page}"
    );
    let fresh_id = last_attr_of(&page, "data-api-key");
    assert_ne!(fresh_id, id);
    let revoke = format!("/dashboard/api-keys/{fresh_id}/revoke");
    let revoked = admin
        .post_form(&revoke, &[("csrf", &csrf)])
        .await
        .expect(303);
    assert_eq!(revoked.location(), "/dashboard/api-keys");
    assert_eq!(api_status(&s, &fresh, "/events").await, 401);
    let page = admin.get("/dashboard/api-keys").await.body;
    let row = row_of(&page, &format!("data-api-key=\"{fresh_id}\""));
    assert!(row.contains("revoked"), "{row}");
    assert!(!row.contains("Rotate"), "nothing left to rotate: {row}");
    admin
        .post_form(&revoke, &[("csrf", &csrf)])
        .await
        .expect_because(409, "revoking twice says so");
}
