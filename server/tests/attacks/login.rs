//! Guessing an admin's password: the sixth wrong guess within the window is not even checked,
//! the right password included, and both the admin API and the dashboard say when to retry.

use serde_json::json;

use crate::common::page::try_sign_in;
use crate::common::{Backend, Server};

on_both_backends!(guessing_a_password_is_throttled_even_when_the_guess_is_right);

async fn guessing_a_password_is_throttled_even_when_the_guess_is_right(backend: Backend) {
    let s = Server::demo(backend).await;
    let demo = s.demo_json();
    let email = demo["admin"]["email"].as_str().unwrap();
    let password = demo["admin"]["password"].as_str().unwrap();
    let login = |password: &str| {
        let body = json!({"email": email, "password": password});
        let s = &s;
        async move { s.anonymous().post_json("/admin/v1/login", &body).await }
    };
    for guess in 1..=5 {
        login(&format!("guess-{guess}"))
            .await
            .expect_error(401, "invalid_credentials");
    }

    let refused = login(password).await.expect_error(429, "login_throttled");
    let retry_after: u64 = refused.header("retry-after").parse().expect("seconds");
    assert!(
        (1..=600).contains(&retry_after),
        "within the 10-minute window: {retry_after}"
    );
    assert!(
        refused.error_message().contains("try again in"),
        "{}",
        refused.body
    );
    // The same email in another spelling is the same account.
    login(password).await.expect_because(429, "still throttled");
    let shouted = json!({"email": email.to_uppercase(), "password": password});
    s.anonymous()
        .post_json("/admin/v1/login", &shouted)
        .await
        .expect_error(429, "login_throttled");

    // The dashboard's form says so in a sentence.
    let page = try_sign_in(&s, email, password).await.expect(429);
    assert!(page.has_header("retry-after"));
    assert!(
        page.body.contains("Too many failed sign-ins") && page.body.contains("Try again in"),
        "{}",
        page.body
    );
    assert!(page.cookie("gatehouse_session").is_none(), "no session");

    // Another account is not throttled by this one's failures.
    let viewer = json!({"email": demo["viewer"]["email"], "password": demo["viewer"]["password"]});
    s.anonymous()
        .post_json("/admin/v1/login", &viewer)
        .await
        .expect_because(200, "the viewer's account has no failures");
}
