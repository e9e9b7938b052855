//! API keys: shown once, sent in either header, refused with a reason when mistyped, unknown,
//! revoked or expired; rotated with a grace period; limited to client addresses.

use serde_json::{json, Value};

use super::{create_key, new_key};
use crate::common::fixtures::now_ms;
use crate::common::{Backend, Server};

on_both_backends!(
    an_api_key_is_shown_once_and_works_in_either_header,
    bad_unknown_revoked_and_expired_keys_are_refused_with_a_reason,
    bad_key_requests_are_refused_and_create_nothing,
    the_demo_hands_out_a_working_key_and_revokes_it_at_the_next_start,
    a_rotated_key_keeps_working_for_its_grace_period_beside_the_new_one,
    a_key_with_an_ip_allow_list_works_only_from_those_addresses,
);

async fn the_demo_hands_out_a_working_key_and_revokes_it_at_the_next_start(backend: Backend) {
    let s = Server::demo(backend).await;
    let first = s.demo_api_key();
    s.as_integrator(&first)
        .get("/api/v1/events")
        .await
        .expect(200);
    let s = s.restart("demo").await;
    let second = s.demo_api_key();
    assert_ne!(first, second);
    s.as_integrator(&first)
        .get("/api/v1/events")
        .await
        .expect_error(401, "api_key_revoked");
    s.as_integrator(&second)
        .get("/api/v1/events")
        .await
        .expect(200);
}

async fn an_api_key_is_shown_once_and_works_in_either_header(backend: Backend) {
    let s = Server::demo(backend).await;
    let session = s.admin_session().await;
    let (key, meta) = new_key(&s, &session, &["events:read"]).await;
    assert!(key.starts_with("ghk_") && key.len() == 42, "{key}");
    assert_eq!(meta["prefix"], &key[..12]);
    assert_eq!(meta["tier"], "STANDARD");
    assert_eq!(meta["rate_limit_per_minute"], 100);

    let bearer = s.as_integrator(&key).get("/api/v1/events").await.json();
    let events = bearer["data"].as_array().unwrap();
    assert_eq!(events.len(), 1, "{bearer}");
    assert_eq!(events[0]["id"], s.demo_json()["event_id"]);

    s.anonymous()
        .header("X-API-Key", &key)
        .get(&format!("/api/v1/events/{}", s.event_id()))
        .await
        .expect(200);

    // The list shows the key's prefix and its use, never the key.
    let listed = s.as_admin(&session).get("/admin/v1/api-keys").await;
    assert!(!listed.body.contains(&key), "the secret must not be listed");
    let listed = listed.json();
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
            s.anonymous()
                .header("X-API-Key", &key)
                .get("/api/v1/events")
                .await
                .error()
        }
    };
    s.anonymous()
        .get("/api/v1/events")
        .await
        .expect_error(401, "missing_api_key");

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

    s.as_admin(&session)
        .post(&format!(
            "/admin/v1/api-keys/{}/revoke",
            meta["id"].as_str().unwrap()
        ))
        .await
        .expect(200);
    assert_eq!(get(key).await, (401, "api_key_revoked".to_owned()));

    let soon = now_ms() + 1_500;
    let made = create_key(
        &s,
        &session,
        json!({"name": "short-lived", "scopes": ["*"], "expires_at": soon}),
    )
    .await;
    let expiring = made.json()["key"].as_str().unwrap().to_owned();
    s.as_integrator(&expiring)
        .get("/api/v1/events")
        .await
        .expect(200);
    tokio::time::sleep(std::time::Duration::from_millis(
        (soon - now_ms()).max(0) as u64 + 50,
    ))
    .await;
    assert_eq!(get(expiring).await, (401, "api_key_expired".to_owned()));
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
        let (status, got) = create_key(&s, &session, body.clone()).await.error();
        assert_eq!((status, got.as_str()), (422, code), "{body}");
    }
    create_key(
        &s,
        &session,
        json!({"name": "BI export", "scopes": ["access-logs:read"], "tier": "CUSTOM", "rate_limit_per_minute": 42}),
    )
    .await
    .expect(201);
    let listed = s.as_admin(&session).get("/admin/v1/api-keys").await.json();
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

async fn a_rotated_key_keeps_working_for_its_grace_period_beside_the_new_one(backend: Backend) {
    let s = Server::demo(backend).await;
    let session = s.admin_session().await;
    let (old, meta) = new_key(&s, &session, &["events:read"]).await;
    let rotate = |id: &Value, body: Value| {
        let (admin, id) = (s.as_admin(&session), id.as_str().unwrap().to_owned());
        async move {
            admin
                .post_json(&format!("/admin/v1/api-keys/{id}/rotate"), &body)
                .await
        }
    };
    let rotated = rotate(&meta["id"], json!({"grace_seconds": 3600}))
        .await
        .expect(201)
        .json();
    let new = rotated["key"].as_str().unwrap().to_owned();
    assert_ne!(new, old);
    assert_eq!(rotated["api_key"]["scopes"], json!(["events:read"]));
    assert_eq!(rotated["api_key"]["name"], meta["name"]);
    assert!(rotated["previous"]["expires_at"].as_i64().unwrap() > now_ms());
    for key in [&old, &new] {
        let r = s.as_integrator(key).get("/api/v1/events").await;
        assert_eq!(r.status, 200, "both work during the grace period");
    }

    // Rotating the new key with no grace ends it at once; its successor works.
    let next = rotate(&rotated["api_key"]["id"], json!({"grace_seconds": 0}))
        .await
        .json();
    s.as_integrator(&new)
        .get("/api/v1/events")
        .await
        .expect_error(401, "api_key_expired");
    s.as_integrator(next["key"].as_str().unwrap())
        .get("/api/v1/events")
        .await
        .expect(200);
    rotate(&meta["id"], json!({"grace_seconds": -5}))
        .await
        .expect_error(422, "invalid_grace");
}

async fn a_key_with_an_ip_allow_list_works_only_from_those_addresses(backend: Backend) {
    let s = Server::demo(backend).await;
    let session = s.admin_session().await;
    let key_for = |ips: Value| {
        let s = &s;
        let session = session.clone();
        async move {
            let made = create_key(
                s,
                &session,
                json!({"name": "Turnstile vendor", "scopes": ["events:read"], "allowed_ips": ips}),
            )
            .await
            .expect(201)
            .json();
            (
                made["key"].as_str().unwrap().to_owned(),
                made["api_key"].clone(),
            )
        }
    };
    let (elsewhere, _) = key_for(json!(["10.0.0.0/8"])).await;
    let refused = s
        .as_integrator(&elsewhere)
        .get("/api/v1/events")
        .await
        .expect(403);
    let body = refused.json();
    assert_eq!(body["error"]["code"], "ip_not_allowed");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("127.0.0.1"),
        "{body}"
    );

    let (here, meta) = key_for(json!(["127.0.0.0/8", "::1"])).await;
    assert_eq!(meta["allowed_ips"], json!(["127.0.0.0/8", "::1/128"]));
    s.as_integrator(&here)
        .get("/api/v1/events")
        .await
        .expect(200);

    create_key(
        &s,
        &session,
        json!({"name": "x", "scopes": ["*"], "allowed_ips": ["10.0.0.0/40"]}),
    )
    .await
    .expect_error(422, "invalid_allowed_ips");
}
