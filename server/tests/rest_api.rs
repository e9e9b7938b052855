//! The integrators' REST API against the real binary: API keys created by an admin, sent either
//! way, refused when mistyped, unknown, revoked, expired or short of a scope.

mod common;

use common::{now_ms, Backend, Server};
use serde_json::{json, Value};

on_both_backends!(
    an_api_key_is_shown_once_and_works_in_either_header,
    bad_unknown_revoked_and_expired_keys_are_refused_with_a_reason,
    a_key_reaches_only_what_its_scopes_allow,
    bad_key_requests_are_refused_and_create_nothing,
    the_demo_hands_out_a_working_key_and_revokes_it_at_the_next_start,
);

async fn the_demo_hands_out_a_working_key_and_revokes_it_at_the_next_start(backend: Backend) {
    let s = Server::demo(backend).await;
    let first = s.demo_json()["api_key"].as_str().unwrap().to_owned();
    let ok = s
        .http
        .get(s.at("/api/v1/events"))
        .bearer_auth(&first)
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    let s = s.restart("demo").await;
    let second = s.demo_json()["api_key"].as_str().unwrap().to_owned();
    assert_ne!(first, second);
    let old = s
        .http
        .get(s.at("/api/v1/events"))
        .bearer_auth(&first)
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(old).await, (401, "api_key_revoked".to_owned()));
    let new = s
        .http
        .get(s.at("/api/v1/events"))
        .bearer_auth(&second)
        .send()
        .await
        .unwrap();
    assert_eq!(new.status(), 200);
}

async fn create_key(s: &Server, session: &str, body: Value) -> reqwest::Response {
    s.http
        .post(s.at("/admin/v1/api-keys"))
        .bearer_auth(session)
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn new_key(s: &Server, session: &str, scopes: &[&str]) -> (String, Value) {
    let made = create_key(
        s,
        session,
        json!({"name": "Registration portal", "scopes": scopes}),
    )
    .await;
    assert_eq!(made.status(), 201);
    let body: Value = made.json().await.unwrap();
    (
        body["key"].as_str().unwrap().to_owned(),
        body["api_key"].clone(),
    )
}

async fn error_code(response: reqwest::Response) -> (u16, String) {
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap();
    (
        status,
        body["error"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    )
}

async fn an_api_key_is_shown_once_and_works_in_either_header(backend: Backend) {
    let s = Server::demo(backend).await;
    let session = s.admin_session().await;
    let (key, meta) = new_key(&s, &session, &["events:read"]).await;
    assert!(key.starts_with("ghk_") && key.len() == 42, "{key}");
    assert_eq!(meta["prefix"], &key[..12]);
    assert_eq!(meta["tier"], "STANDARD");
    assert_eq!(meta["rate_limit_per_minute"], 100);

    let bearer: Value = s
        .http
        .get(s.at("/api/v1/events"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let events = bearer["data"].as_array().unwrap();
    assert_eq!(events.len(), 1, "{bearer}");
    assert_eq!(events[0]["id"], s.demo_json()["event_id"]);

    let header = s
        .http
        .get(s.at(&format!(
            "/api/v1/events/{}",
            s.demo_json()["event_id"].as_str().unwrap()
        )))
        .header("X-API-Key", &key)
        .send()
        .await
        .unwrap();
    assert_eq!(header.status(), 200);

    // The list shows the key's prefix and its use, never the key.
    let listed = s
        .http
        .get(s.at("/admin/v1/api-keys"))
        .bearer_auth(&session)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!listed.contains(&key), "the secret must not be listed");
    let listed: Value = serde_json::from_str(&listed).unwrap();
    let mine = listed["api_keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["id"] == meta["id"])
        .expect("the new key is listed");
    assert_eq!(mine["use_count"], 2, "{listed}");
    assert!(mine["last_used_at"].as_i64().is_some());
}

async fn bad_unknown_revoked_and_expired_keys_are_refused_with_a_reason(backend: Backend) {
    let s = Server::demo(backend).await;
    let session = s.admin_session().await;
    let get = |key: String| {
        let s = &s;
        async move {
            error_code(
                s.http
                    .get(s.at("/api/v1/events"))
                    .header("X-API-Key", key)
                    .send()
                    .await
                    .unwrap(),
            )
            .await
        }
    };
    let anonymous = error_code(s.http.get(s.at("/api/v1/events")).send().await.unwrap()).await;
    assert_eq!(anonymous, (401, "missing_api_key".to_owned()));

    let (key, meta) = new_key(&s, &session, &["*"]).await;
    let mut typo = key.clone().into_bytes();
    typo[20] = if typo[20] == b'x' { b'y' } else { b'x' };
    assert_eq!(
        get(String::from_utf8(typo).unwrap()).await,
        (401, "invalid_api_key".to_owned())
    );
    // Well formed but never issued: a fresh key from another server.
    let foreign = {
        let other = Server::demo(Backend::Sqlite).await;
        let other_session = other.admin_session().await;
        new_key(&other, &other_session, &["*"]).await.0
    };
    assert_eq!(get(foreign).await, (401, "unknown_api_key".to_owned()));

    let revoked = s
        .http
        .post(s.at(&format!(
            "/admin/v1/api-keys/{}/revoke",
            meta["id"].as_str().unwrap()
        )))
        .bearer_auth(&session)
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 200);
    assert_eq!(get(key).await, (401, "api_key_revoked".to_owned()));

    let soon = now_ms() + 1_500;
    let made = create_key(
        &s,
        &session,
        json!({"name": "short-lived", "scopes": ["*"], "expires_at": soon}),
    )
    .await;
    let expiring = made.json::<Value>().await.unwrap()["key"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        s.http
            .get(s.at("/api/v1/events"))
            .bearer_auth(&expiring)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    tokio::time::sleep(std::time::Duration::from_millis(
        (soon - now_ms()).max(0) as u64 + 50,
    ))
    .await;
    assert_eq!(get(expiring).await, (401, "api_key_expired".to_owned()));
}

async fn a_key_reaches_only_what_its_scopes_allow(backend: Backend) {
    let s = Server::demo(backend).await;
    let session = s.admin_session().await;
    let (participants_only, _) = new_key(&s, &session, &["participants:*"]).await;
    let refused = s
        .http
        .get(s.at("/api/v1/events"))
        .bearer_auth(&participants_only)
        .send()
        .await
        .unwrap();
    assert_eq!(
        error_code(refused).await,
        (403, "insufficient_scope".to_owned())
    );
    let (events_any, _) = new_key(&s, &session, &["events:*"]).await;
    let allowed = s
        .http
        .get(s.at("/api/v1/events"))
        .bearer_auth(&events_any)
        .send()
        .await
        .unwrap();
    assert_eq!(allowed.status(), 200);
    // A device token or an admin session is not an API key.
    let session_as_key = s
        .http
        .get(s.at("/api/v1/events"))
        .bearer_auth(&session)
        .send()
        .await
        .unwrap();
    assert_eq!(
        error_code(session_as_key).await,
        (401, "invalid_api_key".to_owned())
    );
}

async fn bad_key_requests_are_refused_and_create_nothing(backend: Backend) {
    let s = Server::demo(backend).await;
    let session = s.admin_session().await;
    for (body, code) in [
        (
            json!({"name": "x", "scopes": ["tickets:read"]}),
            "invalid_scope",
        ),
        (json!({"name": "x", "scopes": []}), "invalid_scope"),
        (json!({"name": "", "scopes": ["*"]}), "invalid_name"),
        (
            json!({"name": "x", "scopes": ["*"], "tier": "GOLD"}),
            "invalid_tier",
        ),
        (
            json!({"name": "x", "scopes": ["*"], "tier": "CUSTOM"}),
            "invalid_tier",
        ),
        (
            json!({"name": "x", "scopes": ["*"], "expires_at": 1}),
            "invalid_expiry",
        ),
    ] {
        let (status, got) = error_code(create_key(&s, &session, body.clone()).await).await;
        assert_eq!((status, got.as_str()), (422, code), "{body}");
    }
    let custom = create_key(
        &s,
        &session,
        json!({"name": "BI export", "scopes": ["access-logs:read"], "tier": "CUSTOM", "rate_limit_per_minute": 42}),
    )
    .await;
    assert_eq!(custom.status(), 201);
    let listed: Value = s
        .http
        .get(s.at("/admin/v1/api-keys"))
        .bearer_auth(&session)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    // Besides the demo's own key, only the valid request made one.
    let keys: Vec<&Value> = listed["api_keys"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|k| k["name"] != "Demo integration (all scopes)")
        .collect();
    assert_eq!(keys.len(), 1, "{listed}");
    assert_eq!(keys[0]["rate_limit_per_minute"], 42);
}
