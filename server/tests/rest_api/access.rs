//! What a key may reach: its scopes (a refusal names the one missing), its rate limit, its own
//! tenant only, and nothing once the tenant has switched the REST API off.

use reqwest::Method;
use serde_json::json;

use super::{create_key, new_key, new_participant};
use crate::common::{Backend, Server};

on_both_backends!(
    a_key_reaches_only_what_its_scopes_allow,
    a_refusal_for_scope_names_the_scope_that_is_missing,
    a_key_over_its_rate_limit_gets_429_with_retry_after,
    a_key_of_one_tenant_cannot_see_or_change_another_tenants_data,
    the_rest_api_is_refused_when_the_tenant_switched_it_off,
);

async fn a_key_reaches_only_what_its_scopes_allow(backend: Backend) {
    let s = Server::demo(backend).await;
    let session = s.admin_session().await;
    let (participants_only, _) = new_key(&s, &session, &["participants:*"]).await;
    s.as_integrator(&participants_only)
        .get("/api/v1/events")
        .await
        .expect_error(403, "insufficient_scope");
    let (events_any, _) = new_key(&s, &session, &["events:*"]).await;
    s.as_integrator(&events_any)
        .get("/api/v1/events")
        .await
        .expect(200);
    // A device token or an admin session is not an API key.
    s.as_integrator(&session)
        .get("/api/v1/events")
        .await
        .expect_error(401, "invalid_api_key");
}

async fn a_refusal_for_scope_names_the_scope_that_is_missing(backend: Backend) {
    let s = Server::demo(backend).await;
    let session = s.admin_session().await;
    let (reader, _) = new_key(&s, &session, &["participants:read"]).await;
    let reader = s.as_integrator(&reader);
    let body = reader
        .post_json("/api/v1/participants", &new_participant(&s, "Not Allowed"))
        .await
        .expect(403)
        .json();
    assert_eq!(body["error"]["code"], "insufficient_scope");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("participants:write"),
        "{body}"
    );
    let event = s.event_id();
    for (path, scope) in [
        (format!("/api/v1/events/{event}/zones"), "zones:read"),
        (
            format!("/api/v1/events/{event}/checkpoints"),
            "checkpoints:read",
        ),
        (
            format!("/api/v1/events/{event}/occupancy"),
            "occupancy:read",
        ),
        (
            format!("/api/v1/events/{event}/access-logs"),
            "access-logs:read",
        ),
        (format!("/api/v1/events/{event}/devices"), "devices:read"),
    ] {
        let r = reader.get(&path).await;
        assert_eq!(r.status, 403, "{path}");
        assert!(r.error_message().contains(scope));
    }
    reader.get("/api/v1/participants?limit=1").await.expect(200);
}

async fn a_key_over_its_rate_limit_gets_429_with_retry_after(backend: Backend) {
    let s = Server::demo(backend).await;
    let session = s.admin_session().await;
    let made = create_key(
        &s,
        &session,
        json!({"name": "Tiny", "scopes": ["events:read"], "tier": "CUSTOM", "rate_limit_per_minute": 3}),
    )
    .await;
    let key = made.json()["key"].as_str().unwrap().to_owned();
    let tiny = s.as_integrator(&key);
    for remaining in ["2", "1", "0"] {
        let r = tiny.get("/api/v1/events").await.expect(200);
        assert_eq!(r.header("ratelimit-limit"), "3");
        assert_eq!(r.header("ratelimit-remaining"), remaining);
        assert!(r.header("ratelimit-reset").parse::<u64>().is_ok());
    }
    let refused = tiny.get("/api/v1/events").await.expect(429);
    let retry_after: u64 = refused.header("retry-after").parse().unwrap();
    assert!((1..=20).contains(&retry_after), "{retry_after}");
    assert_eq!(refused.header("ratelimit-remaining"), "0");
    refused.expect_error(429, "rate_limited");
    // Another key of the tenant has a bucket of its own.
    s.as_integrator(&s.demo_api_key())
        .get("/api/v1/events")
        .await
        .expect(200);
}

async fn a_key_of_one_tenant_cannot_see_or_change_another_tenants_data(backend: Backend) {
    let s = Server::demo(backend).await;
    let integrator = s.as_integrator(&s.demo_api_key());
    let (tenant, event, person) = (
        uuid::Uuid::now_v7(),
        uuid::Uuid::now_v7(),
        uuid::Uuid::now_v7(),
    );
    s.operator_sql(&format!(
            "INSERT INTO tenants (id, name, slug, created_at) VALUES ('{tenant}', 'Other', 'other', 0);
             INSERT INTO tenant_features (tenant_id, flag, enabled) VALUES ('{tenant}', 'REST_API', 1);
             INSERT INTO events (id, tenant_id, name, starts_at, ends_at, time_zone, created_at)
               VALUES ('{event}', '{tenant}', 'Other summit', 0, 1, 'UTC', 0);
             INSERT INTO participants (id, tenant_id, event_id, full_name, category, status, zone_ids,
               credential_seq, blocked, registration_code, created_at, updated_at)
               VALUES ('{person}', '{tenant}', '{event}', 'Other Person', 'Delegate', 'approved', '[]', 0, 0,
               'ABCDEFGHJ', 0, 0);"
        ),
    )
    .await;
    for (method, path) in [
        (Method::GET, format!("/api/v1/participants/{person}")),
        (Method::PATCH, format!("/api/v1/participants/{person}")),
        (Method::DELETE, format!("/api/v1/participants/{person}")),
        (Method::GET, format!("/api/v1/events/{event}")),
        (Method::GET, format!("/api/v1/events/{event}/zones")),
        (Method::GET, format!("/api/v1/events/{event}/checkpoints")),
        (Method::GET, format!("/api/v1/events/{event}/occupancy")),
        (Method::GET, format!("/api/v1/events/{event}/access-logs")),
        (Method::GET, format!("/api/v1/events/{event}/devices")),
        (Method::POST, format!("/api/v1/events/{event}/checkins")),
    ] {
        let body = match method {
            Method::PATCH => Some(json!({"full_name": "Hijacked"})),
            Method::POST => Some(
                json!({"checkpoint_id": uuid::Uuid::now_v7(), "registration_code": "ABCDEFGHJ"}),
            ),
            _ => None,
        };
        let r = integrator.send(method.clone(), &path, body.as_ref()).await;
        assert_eq!(r.error(), (404, "not_found".to_owned()), "{method} {path}");
    }
    let mut foreign = new_participant(&s, "Smuggled In");
    foreign["event_id"] = json!(event);
    foreign["zone_ids"] = json!([]);
    integrator
        .post_json("/api/v1/participants", &foreign)
        .await
        .expect_error(422, "unknown_event");
    let listed = integrator
        .get(&format!("/api/v1/participants?event_id={event}"))
        .await
        .json();
    assert_eq!(listed["data"], json!([]));
    let events = integrator.get("/api/v1/events").await.json();
    assert_eq!(events["data"].as_array().unwrap().len(), 1);
    let after = s
        .operator_value::<String>(&format!(
            "SELECT full_name || '/' || status FROM participants WHERE id = '{person}'"
        ))
        .await;
    assert_eq!(after, "Other Person/approved", "untouched");
}

async fn the_rest_api_is_refused_when_the_tenant_switched_it_off(backend: Backend) {
    let s = Server::demo(backend).await;
    let key = s.demo_api_key();
    let integrator = s.as_integrator(&key);
    integrator.get("/api/v1/events").await.expect(200);
    s.operator_sql("UPDATE tenant_features SET enabled = 0 WHERE flag = 'REST_API'")
        .await;
    let body = integrator.get("/api/v1/events").await.expect(403).json();
    assert_eq!(body["error"]["code"], "feature_disabled");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("REST_API"));
}
