//! Signing in and out, and the CSRF token every form carries.

use crate::common::page::{csrf_of, sign_in, text_after, try_sign_in, Browser};
use crate::common::{Backend, Server};

on_both_backends!(
    signing_in_needs_the_right_password_and_a_fresh_form,
    forms_without_the_csrf_token_are_refused,
);

async fn signing_in_needs_the_right_password_and_a_fresh_form(backend: Backend) {
    let s = Server::demo(backend).await;
    let event = s.event_id();
    let stranger = Browser::anonymous(&s);

    let anonymous = stranger
        .get(&format!("/dashboard/events/{event}"))
        .await
        .expect_because(303, "a stranger is sent to sign in");
    assert_eq!(anonymous.location(), "/dashboard/login");
    let root = stranger.get("/").await;
    assert_eq!(root.location(), "/dashboard");

    let wrong = try_sign_in(&s, "admin@demo.gatehouse.test", "guess")
        .await
        .expect(401);
    assert!(wrong.cookie("gatehouse_session").is_none());
    assert!(wrong.body.contains("Wrong email or password"));

    // A login form posted from elsewhere (no matching double-submit cookie) is refused.
    let forged = stranger
        .post_form(
            "/dashboard/login",
            &[
                ("email", "admin@demo.gatehouse.test"),
                ("password", "gatehouse-demo"),
                ("csrf", "made-up"),
            ],
        )
        .await
        .expect(403);
    assert!(forged.cookie("gatehouse_session").is_none());

    let admin = sign_in(&s, "admin").await;
    let home = admin
        .get("/dashboard")
        .await
        .expect_because(303, "one event: straight to its overview");
    assert_eq!(home.location(), format!("/dashboard/events/{event}"));
    let page = admin.page(&format!("/dashboard/events/{event}")).await;
    assert!(page.contains("admin@demo.gatehouse.test"));

    // Signing out ends the session on the server, not only in the browser.
    let csrf = csrf_of(&page);
    let out = admin
        .post_form("/dashboard/logout", &[("csrf", &csrf)])
        .await
        .expect(303);
    assert_eq!(out.location(), "/dashboard/login");
    admin
        .get(&format!("/dashboard/events/{event}"))
        .await
        .expect_because(303, "the old cookie no longer works");
}

async fn forms_without_the_csrf_token_are_refused(backend: Backend) {
    let s = Server::demo(backend).await;
    let event = s.event_id();
    let admin = sign_in(&s, "admin").await;
    let path = format!("/dashboard/events/{event}/devices");

    let missing = admin
        .post_form(&path, &[("name", "Forged gate")])
        .await
        .expect(403);
    assert!(missing.body.contains("Reload the page"));
    admin
        .post_form(&path, &[("name", "Forged gate"), ("csrf", "0123")])
        .await
        .expect(403);
    let page = admin.get(&path).await.body;
    assert!(!page.contains("Forged gate"), "nothing was created");

    let csrf = admin.csrf(&path).await;
    let page = admin
        .post_form(&path, &[("name", "North <gate>"), ("csrf", &csrf)])
        .await
        .expect(200)
        .body;
    assert!(page.contains("North &lt;gate&gt;"), "names are escaped");
    assert!(page.contains("<svg"), "the pairing code comes with a QR");
    let code = text_after(&page, "data-pairing-code>");
    let paired = s.pair(&code).await;
    assert_eq!(paired.device_name, "North <gate>");
}
