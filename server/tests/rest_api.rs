//! The integrators' REST API against the real binary: API keys created by an admin, sent either
//! way, refused when mistyped, unknown, revoked, expired or short of a scope.

mod common;

use std::collections::HashSet;

use common::{checkpoint, now_ms, ticket, Backend, Server};
use gatehouse_core::protocol::{OnlineScanRequest, Presented};
use serde_json::{json, Value};

on_both_backends!(
    fields_and_expand_shape_participants_and_their_etags,
    an_api_key_is_shown_once_and_works_in_either_header,
    bad_unknown_revoked_and_expired_keys_are_refused_with_a_reason,
    a_key_reaches_only_what_its_scopes_allow,
    bad_key_requests_are_refused_and_create_nothing,
    the_demo_hands_out_a_working_key_and_revokes_it_at_the_next_start,
    a_participant_is_created_read_and_changed_with_etags,
    a_retried_create_with_the_same_idempotency_key_creates_one_participant,
    pagination_walks_every_demo_participant_exactly_once,
    a_key_of_one_tenant_cannot_see_or_change_another_tenants_data,
    a_refusal_for_scope_names_the_scope_that_is_missing,
    a_key_over_its_rate_limit_gets_429_with_retry_after,
    the_rest_api_is_refused_when_the_tenant_switched_it_off,
    the_openapi_description_lists_every_route_and_the_docs_need_no_cdn,
    layout_occupancy_and_check_ins_are_readable,
    a_check_in_is_decided_like_at_a_gate_and_a_retry_records_once,
    a_rotated_key_keeps_working_for_its_grace_period_beside_the_new_one,
    a_key_with_an_ip_allow_list_works_only_from_those_addresses,
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

// ---- resources, limits, idempotency, preconditions, OpenAPI ----

fn demo_key(s: &Server) -> String {
    s.demo_json()["api_key"].as_str().unwrap().to_owned()
}

async fn api(
    s: &Server,
    method: reqwest::Method,
    key: &str,
    path: &str,
    body: Option<Value>,
) -> reqwest::Response {
    let mut req = s
        .http
        .request(method, s.at(&format!("/api/v1{path}")))
        .bearer_auth(key);
    if let Some(b) = body {
        req = req.json(&b);
    }
    req.send().await.unwrap()
}

fn new_participant(s: &Server, name: &str) -> Value {
    let demo = s.demo_json();
    let plenary = demo["zones"][0]["id"].clone();
    json!({
        "event_id": demo["event_id"],
        "full_name": name,
        "category": "Delegate",
        "status": "approved",
        "zone_ids": [plenary],
        "email": "amina@example.org",
        "organisation": "African Union",
    })
}

fn etag(r: &reqwest::Response) -> String {
    r.headers()["etag"].to_str().unwrap().to_owned()
}

async fn a_participant_is_created_read_and_changed_with_etags(backend: Backend) {
    let s = Server::demo(backend).await;
    let key = demo_key(&s);
    let created = api(
        &s,
        reqwest::Method::POST,
        &key,
        "/participants",
        Some(new_participant(&s, "Amina Tadesse")),
    )
    .await;
    assert_eq!(created.status(), 201);
    let first_tag = etag(&created);
    let location = created.headers()["location"].to_str().unwrap().to_owned();
    let body: Value = created.json().await.unwrap();
    let p = &body["data"];
    let id = p["id"].as_str().unwrap().to_owned();
    assert_eq!(location, format!("/api/v1/participants/{id}"));
    assert_eq!(p["full_name"], "Amina Tadesse");
    assert_eq!(p["status"], "approved");
    assert_eq!(p["credential_seq"], 0);
    assert_eq!(p["registration_code"].as_str().unwrap().len(), 9);

    let read = api(
        &s,
        reqwest::Method::GET,
        &key,
        &format!("/participants/{id}"),
        None,
    )
    .await;
    assert_eq!(read.status(), 200);
    assert_eq!(
        etag(&read),
        first_tag,
        "an unchanged participant keeps its ETag"
    );
    let not_modified = s
        .http
        .get(s.at(&format!("/api/v1/participants/{id}")))
        .bearer_auth(&key)
        .header("If-None-Match", &first_tag)
        .send()
        .await
        .unwrap();
    assert_eq!(not_modified.status(), 304);

    let patch = |tag: String, body: Value| {
        s.http
            .patch(s.at(&format!("/api/v1/participants/{id}")))
            .bearer_auth(&key)
            .header("If-Match", tag)
            .json(&body)
            .send()
    };
    let changed = patch(
        first_tag.clone(),
        json!({"organisation": "IGAD", "email": null, "category": "Speaker"}),
    )
    .await
    .unwrap();
    assert_eq!(changed.status(), 200);
    let second_tag = etag(&changed);
    assert_ne!(second_tag, first_tag);
    let after: Value = changed.json().await.unwrap();
    assert_eq!(after["data"]["organisation"], "IGAD");
    assert_eq!(after["data"]["email"], Value::Null);
    assert_eq!(after["data"]["category"], "Speaker");
    assert_eq!(after["data"]["full_name"], "Amina Tadesse", "untouched");

    // A client still holding the first ETag is told, and changes nothing.
    let stale = patch(first_tag, json!({"organisation": "Lost update"}))
        .await
        .unwrap();
    assert_eq!(
        error_code(stale).await,
        (412, "precondition_failed".to_owned())
    );
    let now: Value = api(
        &s,
        reqwest::Method::GET,
        &key,
        &format!("/participants/{id}"),
        None,
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(now["data"]["organisation"], "IGAD");

    let bad = patch(second_tag.clone(), json!({"category": "Astronaut"}))
        .await
        .unwrap();
    assert_eq!(
        error_code(bad).await,
        (422, "invalid_participant".to_owned())
    );

    // DELETE revokes: the record stays, cancelled.
    let revoked = s
        .http
        .delete(s.at(&format!("/api/v1/participants/{id}")))
        .bearer_auth(&key)
        .header("If-Match", &second_tag)
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 200);
    let gone: Value = api(
        &s,
        reqwest::Method::GET,
        &key,
        &format!("/participants/{id}"),
        None,
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(gone["data"]["status"], "cancelled");

    // The audit log names the API key as the author of each change.
    let session = s.admin_session().await;
    let audit: Value = s
        .http
        .get(s.at("/admin/v1/audit"))
        .bearer_auth(&session)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mine: Vec<&Value> = audit["entries"]
        .as_array()
        .expect("audit entries")
        .iter()
        .filter(|e| e["entity_id"] == id.as_str())
        .collect();
    let actions: HashSet<&str> = mine.iter().filter_map(|e| e["action"].as_str()).collect();
    assert_eq!(
        actions,
        HashSet::from([
            "participant.created",
            "participant.updated",
            "participant.revoked"
        ]),
        "{audit}"
    );
    assert!(mine
        .iter()
        .all(|e| e["actor"].as_str().unwrap().starts_with("api_key:")));
}

async fn a_retried_create_with_the_same_idempotency_key_creates_one_participant(backend: Backend) {
    let s = Server::demo(backend).await;
    let key = demo_key(&s);
    let body = new_participant(&s, "Idempotent Ibrahim");
    let post = |body: Value, idem: &'static str| {
        s.http
            .post(s.at("/api/v1/participants"))
            .bearer_auth(&key)
            .header("Idempotency-Key", idem)
            .json(&body)
            .send()
    };
    let first = post(body.clone(), "order-7781").await.unwrap();
    assert_eq!(first.status(), 201);
    assert!(first.headers().get("idempotent-replayed").is_none());
    let first: Value = first.json().await.unwrap();
    let retry = post(body.clone(), "order-7781").await.unwrap();
    assert_eq!(retry.status(), 201);
    assert_eq!(retry.headers()["idempotent-replayed"], "true");
    let retry: Value = retry.json().await.unwrap();
    assert_eq!(retry, first, "the retry gets the first answer");

    let found: Value = api(
        &s,
        reqwest::Method::GET,
        &key,
        "/participants?q=Idempotent%20Ibrahim",
        None,
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(found["data"].as_array().unwrap().len(), 1, "{found}");

    // Retries racing each other (a client that timed out twice) still make one participant.
    let racing = new_participant(&s, "Racing Rahel");
    let answers =
        futures::future::join_all((0..6).map(|_| post(racing.clone(), "order-7790"))).await;
    let mut ids = HashSet::new();
    for a in answers {
        let a = a.unwrap();
        assert_eq!(a.status(), 201);
        ids.insert(
            a.json::<Value>().await.unwrap()["data"]["id"]
                .clone()
                .to_string(),
        );
    }
    assert_eq!(ids.len(), 1, "{ids:?}");
    let found: Value = api(
        &s,
        reqwest::Method::GET,
        &key,
        "/participants?q=Racing%20Rahel",
        None,
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(found["data"].as_array().unwrap().len(), 1, "{found}");

    let mut other = body.clone();
    other["full_name"] = json!("Someone Else");
    let reused = post(other, "order-7781").await.unwrap();
    assert_eq!(
        error_code(reused).await,
        (422, "idempotency_key_reused".to_owned())
    );
    // A new key is a new request.
    let second = post(body, "order-7782").await.unwrap();
    assert_eq!(second.status(), 201);
    let second: Value = second.json().await.unwrap();
    assert_ne!(second["data"]["id"], first["data"]["id"]);
}

async fn pagination_walks_every_demo_participant_exactly_once(backend: Backend) {
    let s = Server::demo(backend).await;
    let key = demo_key(&s);
    let walk = |query: &'static str| {
        let s = &s;
        let key = key.clone();
        async move {
            let mut seen = Vec::new();
            let mut cursor: Option<String> = None;
            let mut pages = 0;
            loop {
                let path = match &cursor {
                    Some(c) => format!("/participants?{query}&cursor={c}"),
                    None => format!("/participants?{query}"),
                };
                let page: Value = api(s, reqwest::Method::GET, &key, &path, None)
                    .await
                    .json()
                    .await
                    .unwrap();
                pages += 1;
                seen.extend(page["data"].as_array().unwrap().iter().cloned());
                match page["next_cursor"].as_str() {
                    Some(c) => cursor = Some(c.to_owned()),
                    None => break,
                }
            }
            (seen, pages)
        }
    };
    let (everyone, pages) = walk("limit=1000").await;
    let ids: HashSet<&str> = everyone.iter().map(|p| p["id"].as_str().unwrap()).collect();
    assert_eq!(everyone.len(), 5_000);
    assert_eq!(ids.len(), 5_000, "no participant twice");
    assert!((5..=6).contains(&pages), "{pages} pages");

    let (approved, _) = walk("limit=500&status=approved").await;
    let expected = everyone
        .iter()
        .filter(|p| p["status"] == "approved")
        .count();
    assert_eq!(approved.len(), expected);
    assert!(approved.iter().all(|p| p["status"] == "approved"));

    let (vips, _) = walk("limit=1000&category=VIP").await;
    assert!(!vips.is_empty() && vips.iter().all(|p| p["category"] == "VIP"));

    let (none_newer, _) = walk("updated_since=99999999999999").await;
    assert!(none_newer.is_empty());

    // In order of change: a changed participant comes last, and updated_since finds only them.
    let changed_id = everyone[0]["id"].as_str().unwrap().to_owned();
    let changed: Value = api(
        &s,
        reqwest::Method::PATCH,
        &key,
        &format!("/participants/{changed_id}"),
        Some(json!({"organisation": "Changed Ltd"})),
    )
    .await
    .json()
    .await
    .unwrap();
    let (by_change, _) = walk("limit=1000&sort=updated_at").await;
    assert_eq!(by_change.len(), 5_000);
    let unique: HashSet<&str> = by_change
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(unique.len(), 5_000);
    assert_eq!(by_change.last().unwrap()["id"], changed_id.as_str());
    let since = changed["data"]["updated_at"].as_i64().unwrap();
    let path = format!("/participants?sort=updated_at&updated_since={since}");
    let recent: Value = api(&s, reqwest::Method::GET, &key, &path, None)
        .await
        .json()
        .await
        .unwrap();
    let recent = recent["data"].as_array().unwrap();
    assert_eq!(recent.len(), 1);
    assert_eq!(recent[0]["organisation"], "Changed Ltd");
    let bad = api(
        &s,
        reqwest::Method::GET,
        &key,
        "/participants?cursor=nope",
        None,
    )
    .await;
    assert_eq!(error_code(bad).await, (400, "invalid_cursor".to_owned()));
    let bad = api(
        &s,
        reqwest::Method::GET,
        &key,
        "/participants?limit=0",
        None,
    )
    .await;
    assert_eq!(error_code(bad).await, (400, "invalid_limit".to_owned()));
}

async fn a_key_of_one_tenant_cannot_see_or_change_another_tenants_data(backend: Backend) {
    let s = Server::demo(backend).await;
    let key = demo_key(&s);
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
    use reqwest::Method;
    for (method, path) in [
        (Method::GET, format!("/participants/{person}")),
        (Method::PATCH, format!("/participants/{person}")),
        (Method::DELETE, format!("/participants/{person}")),
        (Method::GET, format!("/events/{event}")),
        (Method::GET, format!("/events/{event}/zones")),
        (Method::GET, format!("/events/{event}/checkpoints")),
        (Method::GET, format!("/events/{event}/occupancy")),
        (Method::GET, format!("/events/{event}/access-logs")),
        (Method::GET, format!("/events/{event}/devices")),
        (Method::POST, format!("/events/{event}/checkins")),
    ] {
        let body = match method {
            Method::PATCH => Some(json!({"full_name": "Hijacked"})),
            Method::POST => Some(
                json!({"checkpoint_id": uuid::Uuid::now_v7(), "registration_code": "ABCDEFGHJ"}),
            ),
            _ => None,
        };
        let r = api(&s, method.clone(), &key, &path, body).await;
        assert_eq!(
            error_code(r).await,
            (404, "not_found".to_owned()),
            "{method} {path}"
        );
    }
    let mut foreign = new_participant(&s, "Smuggled In");
    foreign["event_id"] = json!(event);
    foreign["zone_ids"] = json!([]);
    let r = api(&s, Method::POST, &key, "/participants", Some(foreign)).await;
    assert_eq!(error_code(r).await, (422, "unknown_event".to_owned()));
    let listed: Value = api(
        &s,
        Method::GET,
        &key,
        &format!("/participants?event_id={event}"),
        None,
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(listed["data"], json!([]));
    let events: Value = api(&s, Method::GET, &key, "/events", None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(events["data"].as_array().unwrap().len(), 1);
    let after = s
        .operator_value::<String>(&format!(
            "SELECT full_name || '/' || status FROM participants WHERE id = '{person}'"
        ))
        .await;
    assert_eq!(after, "Other Person/approved", "untouched");
}

async fn a_refusal_for_scope_names_the_scope_that_is_missing(backend: Backend) {
    let s = Server::demo(backend).await;
    let session = s.admin_session().await;
    let (reader, _) = new_key(&s, &session, &["participants:read"]).await;
    let refused = api(
        &s,
        reqwest::Method::POST,
        &reader,
        "/participants",
        Some(new_participant(&s, "Not Allowed")),
    )
    .await;
    assert_eq!(refused.status(), 403);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error"]["code"], "insufficient_scope");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("participants:write"),
        "{body}"
    );
    let event = s.demo_json()["event_id"].as_str().unwrap().to_owned();
    for (path, scope) in [
        (format!("/events/{event}/zones"), "zones:read"),
        (format!("/events/{event}/checkpoints"), "checkpoints:read"),
        (format!("/events/{event}/occupancy"), "occupancy:read"),
        (format!("/events/{event}/access-logs"), "access-logs:read"),
        (format!("/events/{event}/devices"), "devices:read"),
    ] {
        let r = api(&s, reqwest::Method::GET, &reader, &path, None).await;
        assert_eq!(r.status(), 403, "{path}");
        let body: Value = r.json().await.unwrap();
        assert!(body["error"]["message"].as_str().unwrap().contains(scope));
    }
    let allowed = api(
        &s,
        reqwest::Method::GET,
        &reader,
        "/participants?limit=1",
        None,
    )
    .await;
    assert_eq!(allowed.status(), 200);
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
    let key = made.json::<Value>().await.unwrap()["key"]
        .as_str()
        .unwrap()
        .to_owned();
    for remaining in ["2", "1", "0"] {
        let r = api(&s, reqwest::Method::GET, &key, "/events", None).await;
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["ratelimit-limit"], "3");
        assert_eq!(r.headers()["ratelimit-remaining"], remaining);
        assert!(r.headers()["ratelimit-reset"]
            .to_str()
            .unwrap()
            .parse::<u64>()
            .is_ok());
    }
    let refused = api(&s, reqwest::Method::GET, &key, "/events", None).await;
    assert_eq!(refused.status(), 429);
    let retry_after: u64 = refused.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=20).contains(&retry_after), "{retry_after}");
    assert_eq!(refused.headers()["ratelimit-remaining"], "0");
    assert_eq!(error_code(refused).await, (429, "rate_limited".to_owned()));
    // Another key of the tenant has a bucket of its own.
    let other = api(&s, reqwest::Method::GET, &demo_key(&s), "/events", None).await;
    assert_eq!(other.status(), 200);
}

async fn the_rest_api_is_refused_when_the_tenant_switched_it_off(backend: Backend) {
    let s = Server::demo(backend).await;
    let key = demo_key(&s);
    assert_eq!(
        api(&s, reqwest::Method::GET, &key, "/events", None)
            .await
            .status(),
        200
    );
    s.operator_sql("UPDATE tenant_features SET enabled = 0 WHERE flag = 'REST_API'")
        .await;
    let refused = api(&s, reqwest::Method::GET, &key, "/events", None).await;
    assert_eq!(refused.status(), 403);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error"]["code"], "feature_disabled");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("REST_API"));
}

async fn the_openapi_description_lists_every_route_and_the_docs_need_no_cdn(backend: Backend) {
    let s = Server::demo(backend).await;
    // Public: no key needed to read how to use the API.
    let spec: Value = s
        .http
        .get(s.at("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        spec["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        spec["openapi"]
    );
    // Either header carries the key, with the same scopes.
    assert_eq!(
        spec["paths"]["/participants"]["post"]["security"],
        json!([{"api_key": ["participants:write"]}, {"api_key_header": ["participants:write"]}])
    );
    for (method, path) in gatehouse_server::rest_api::ROUTES {
        assert!(
            spec["paths"][path][method].is_object(),
            "{method} {path} is served but missing from openapi.json"
        );
    }
    // And the other way: every described operation is served (the router's own 404 and 405
    // say "this API route" and method_not_allowed; a handler's 404 names what it looked for).
    let key = demo_key(&s);
    let event = s.demo_json()["event_id"].as_str().unwrap().to_owned();
    for (path, ops) in spec["paths"].as_object().unwrap() {
        let concrete = path
            .replace("{event_id}", &event)
            .replace("{participant_id}", &uuid::Uuid::now_v7().to_string());
        for method in ops.as_object().unwrap().keys() {
            let method: reqwest::Method = method.to_uppercase().parse().unwrap();
            let body =
                matches!(method, reqwest::Method::POST | reqwest::Method::PATCH).then(|| json!({}));
            let r = api(&s, method.clone(), &key, &concrete, body).await;
            let status = r.status().as_u16();
            let text = r.text().await.unwrap();
            assert!(
                status != 405 && !text.contains("this API route"),
                "{method} {path} is described but not served: {status} {text}"
            );
        }
    }

    let docs = s.http.get(s.at("/api/v1/docs")).send().await.unwrap();
    assert_eq!(docs.status(), 200);
    assert!(docs.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let html = docs.text().await.unwrap();
    for (_, path) in gatehouse_server::rest_api::ROUTES {
        assert!(html.contains(path), "the docs page shows {path}");
    }
    for external in ["src=\"http", "href=\"http", "@import", "<script"] {
        assert!(
            !html.contains(external),
            "the docs page loads nothing from elsewhere ({external})"
        );
    }
}

async fn layout_occupancy_and_check_ins_are_readable(backend: Backend) {
    let s = Server::demo(backend).await;
    let key = demo_key(&s);
    let demo = s.demo_json();
    let event = demo["event_id"].as_str().unwrap();
    let get = |path: String| {
        let s = &s;
        let key = key.clone();
        async move {
            let r = api(s, reqwest::Method::GET, &key, &path, None).await;
            assert_eq!(r.status(), 200, "{path}");
            r.json::<Value>().await.unwrap()
        }
    };
    let zones = get(format!("/events/{event}/zones")).await;
    assert_eq!(zones["data"].as_array().unwrap().len(), 2);
    let checkpoints = get(format!("/events/{event}/checkpoints")).await;
    assert_eq!(checkpoints["data"].as_array().unwrap().len(), 3);
    // Every list takes fields; checkpoints expand their zone.
    let shaped = get(format!(
        "/events/{event}/checkpoints?fields=name&expand=zone"
    ))
    .await;
    for (c, whole) in shaped["data"]
        .as_array()
        .unwrap()
        .iter()
        .zip(checkpoints["data"].as_array().unwrap())
    {
        assert_eq!(c.as_object().unwrap().len(), 3, "id, name, zone: {c}");
        assert_eq!(c["name"], whole["name"]);
        assert_eq!(c["zone"]["id"], whole["zone_id"]);
        assert!(c["zone"]["name"].is_string());
    }
    let events = get("/events?fields=name".to_owned()).await;
    assert_eq!(events["data"][0].as_object().unwrap().len(), 2, "{events}");
    let zone_names = get(format!("/events/{event}/zones?fields=name")).await;
    assert!(zone_names["data"]
        .as_array()
        .unwrap()
        .iter()
        .all(|z| z.as_object().unwrap().len() == 2));
    let devices = get(format!("/events/{event}/devices")).await;
    let devices = devices["data"].as_array().unwrap();
    assert_eq!(devices.len(), 2, "{devices:?}");
    assert!(devices.iter().all(|d| d["state"] == "awaiting_pairing"));
    assert!(!serde_json::to_string(devices).unwrap().contains("token"));

    // One check-in decided online by a paired gate.
    let (gate, _) = s.pair_demo_devices().await;
    let t = ticket(&demo, |t| {
        t["status"] == "approved" && t["blocked"] == false && t["category"] == "Delegate"
    });
    let (entry, _) = checkpoint(&demo, "Main gate entry");
    let scan = s
        .http
        .post(s.at("/sync/v1/scan"))
        .bearer_auth(&gate.device_token)
        .json(&OnlineScanRequest {
            scan_id: gatehouse_core::ScanId(uuid::Uuid::now_v7()),
            presented: Presented::Payload(t["payload"].as_str().unwrap().to_owned()),
            checkpoint_id: entry.parse().unwrap(),
            requested: None,
            override_reason: None,
            device_time: now_ms(),
        })
        .send()
        .await
        .unwrap();
    assert_eq!(scan.status(), 200);

    let logs = get(format!("/events/{event}/access-logs?verdict=VALID")).await;
    let logs = logs["data"].as_array().unwrap();
    assert_eq!(logs.len(), 1, "{logs:?}");
    assert_eq!(logs[0]["participant_id"], t["participant_id"]);
    assert_eq!(logs[0]["movement"], "in");
    // The same page, shaped: only the verdict (and the id), with who and where expanded.
    let shaped = get(format!(
        "/events/{event}/access-logs?verdict=VALID&fields=verdict&expand=participant,checkpoint"
    ))
    .await;
    let item = shaped["data"][0].as_object().unwrap();
    let mut keys: Vec<&str> = item.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        ["checkpoint", "id", "participant", "verdict"],
        "{item:?}"
    );
    assert_eq!(item["participant"]["id"], t["participant_id"]);
    assert_eq!(item["participant"]["full_name"], t["name"]);
    assert_eq!(item["checkpoint"]["name"], "Main gate entry");
    let none = get(format!("/events/{event}/access-logs?verdict=BLOCKED")).await;
    assert_eq!(none["data"], json!([]));

    let occupancy = get(format!("/events/{event}/occupancy")).await;
    let plenary = occupancy["data"]["zones"]
        .as_array()
        .unwrap()
        .iter()
        .find(|z| z["name"] == "Plenary hall")
        .unwrap()
        .clone();
    assert_eq!(plenary["inside"], 1, "{occupancy}");
}

async fn a_check_in_is_decided_like_at_a_gate_and_a_retry_records_once(backend: Backend) {
    let s = Server::demo(backend).await;
    let key = demo_key(&s);
    let demo = s.demo_json();
    let event = demo["event_id"].as_str().unwrap().to_owned();
    let (entry, _) = checkpoint(&demo, "Main gate entry");
    let delegates: Vec<&Value> = demo["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| {
            t["status"] == "approved" && t["blocked"] == false && t["category"] == "Delegate"
        })
        .collect();
    let (first, second) = (delegates[0], delegates[1]);
    let check_in = |body: Value, idem: Option<&'static str>| {
        let mut req = s
            .http
            .post(s.at(&format!("/api/v1/events/{event}/checkins")))
            .bearer_auth(&key)
            .json(&body);
        if let Some(k) = idem {
            req = req.header("Idempotency-Key", k);
        }
        req.send()
    };
    let by_qr = json!({"checkpoint_id": entry, "payload": first["payload"]});
    let admitted = check_in(by_qr.clone(), Some("turnstile-3-0001"))
        .await
        .unwrap();
    assert_eq!(admitted.status(), 200);
    let admitted: Value = admitted.json().await.unwrap();
    assert_eq!(admitted["verdict"], "VALID", "{admitted}");
    assert_eq!(admitted["admitted"], true);
    assert_eq!(admitted["movement"], "in");
    assert_eq!(admitted["participant"]["id"], first["participant_id"]);

    // The turnstile retries after a timeout: the same answer, no second scan.
    let retried: Value = check_in(by_qr.clone(), Some("turnstile-3-0001"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(retried["scan_id"], admitted["scan_id"]);
    assert_eq!(retried["verdict"], "VALID");
    // A new presentation of the same badge without an exit is anti-passback.
    let again: Value = check_in(by_qr, None).await.unwrap().json().await.unwrap();
    assert_eq!(again["verdict"], "ALREADY_SCANNED", "{again}");
    assert_eq!(again["admitted"], false);

    let by_code: Value = check_in(
        json!({"checkpoint_id": entry, "registration_code": second["registration_code"].as_str().unwrap().to_lowercase()}),
        None,
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(by_code["verdict"], "VALID", "{by_code}");

    let logs: Value = api(
        &s,
        reqwest::Method::GET,
        &key,
        &format!(
            "/events/{event}/access-logs?participant_id={}",
            first["participant_id"].as_str().unwrap()
        ),
        None,
    )
    .await
    .json()
    .await
    .unwrap();
    let logs = logs["data"].as_array().unwrap();
    assert_eq!(logs.len(), 2, "one admitted scan and one refusal: {logs:?}");
    assert!(logs
        .iter()
        .all(|l| l["source"] == "api" && l["device_id"].is_null()));

    let both = check_in(
        json!({"checkpoint_id": entry, "payload": first["payload"], "registration_code": "X"}),
        None,
    )
    .await
    .unwrap();
    assert_eq!(error_code(both).await, (422, "invalid_body".to_owned()));
    let nowhere = check_in(
        json!({"checkpoint_id": uuid::Uuid::now_v7(), "payload": first["payload"]}),
        None,
    )
    .await
    .unwrap();
    assert_eq!(
        error_code(nowhere).await,
        (422, "unknown_checkpoint".to_owned())
    );

    let session = s.admin_session().await;
    let (reader, _) = new_key(&s, &session, &["access-logs:read"]).await;
    let refused = s
        .http
        .post(s.at(&format!("/api/v1/events/{event}/checkins")))
        .bearer_auth(&reader)
        .json(&json!({"checkpoint_id": entry, "payload": second["payload"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);
    assert!(refused.text().await.unwrap().contains("check-ins:write"));
}

async fn a_rotated_key_keeps_working_for_its_grace_period_beside_the_new_one(backend: Backend) {
    let s = Server::demo(backend).await;
    let session = s.admin_session().await;
    let (old, meta) = new_key(&s, &session, &["events:read"]).await;
    let rotate = |id: String, body: Value| {
        s.http
            .post(s.at(&format!("/admin/v1/api-keys/{id}/rotate")))
            .bearer_auth(&session)
            .json(&body)
            .send()
    };
    let rotated = rotate(
        meta["id"].as_str().unwrap().to_owned(),
        json!({"grace_seconds": 3600}),
    )
    .await
    .unwrap();
    assert_eq!(rotated.status(), 201);
    let rotated: Value = rotated.json().await.unwrap();
    let new = rotated["key"].as_str().unwrap().to_owned();
    assert_ne!(new, old);
    assert_eq!(rotated["api_key"]["scopes"], json!(["events:read"]));
    assert_eq!(rotated["api_key"]["name"], meta["name"]);
    assert!(rotated["previous"]["expires_at"].as_i64().unwrap() > now_ms());
    for key in [&old, &new] {
        let r = api(&s, reqwest::Method::GET, key, "/events", None).await;
        assert_eq!(r.status(), 200, "both work during the grace period");
    }

    // Rotating the new key with no grace ends it at once; its successor works.
    let next: Value = rotate(
        rotated["api_key"]["id"].as_str().unwrap().to_owned(),
        json!({"grace_seconds": 0}),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let ended = api(&s, reqwest::Method::GET, &new, "/events", None).await;
    assert_eq!(error_code(ended).await, (401, "api_key_expired".to_owned()));
    let successor = api(
        &s,
        reqwest::Method::GET,
        next["key"].as_str().unwrap(),
        "/events",
        None,
    )
    .await;
    assert_eq!(successor.status(), 200);
    let bad = rotate(
        meta["id"].as_str().unwrap().to_owned(),
        json!({"grace_seconds": -5}),
    )
    .await
    .unwrap();
    assert_eq!(error_code(bad).await, (422, "invalid_grace".to_owned()));
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
            .await;
            assert_eq!(made.status(), 201);
            let body: Value = made.json().await.unwrap();
            (
                body["key"].as_str().unwrap().to_owned(),
                body["api_key"].clone(),
            )
        }
    };
    let (elsewhere, _) = key_for(json!(["10.0.0.0/8"])).await;
    let refused = api(&s, reqwest::Method::GET, &elsewhere, "/events", None).await;
    assert_eq!(refused.status(), 403);
    let body: Value = refused.json().await.unwrap();
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
    let ok = api(&s, reqwest::Method::GET, &here, "/events", None).await;
    assert_eq!(ok.status(), 200);

    let bad = create_key(
        &s,
        &session,
        json!({"name": "x", "scopes": ["*"], "allowed_ips": ["10.0.0.0/40"]}),
    )
    .await;
    assert_eq!(
        error_code(bad).await,
        (422, "invalid_allowed_ips".to_owned())
    );
}

async fn fields_and_expand_shape_participants_and_their_etags(backend: Backend) {
    let s = Server::demo(backend).await;
    let key = demo_key(&s);
    let demo = s.demo_json();
    let get = |path: String| {
        let s = &s;
        let key = key.clone();
        async move { api(s, reqwest::Method::GET, &key, &path, None).await }
    };

    // fields keeps the named properties and the id; expand adds the event and the zones.
    let page: Value =
        get("/participants?limit=5&fields=full_name,status&expand=event,zones".into())
            .await
            .json()
            .await
            .unwrap();
    let items = page["data"].as_array().unwrap();
    assert_eq!(items.len(), 5);
    for p in items {
        let mut keys: Vec<&str> = p.as_object().unwrap().keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(keys, ["event", "full_name", "id", "status", "zones"], "{p}");
        assert_eq!(p["event"]["id"], demo["event_id"]);
        assert!(p["event"]["name"].is_string());
        for z in p["zones"].as_array().unwrap() {
            assert!(z["name"].is_string() && z["id"].is_string(), "{z}");
        }
    }
    // The zones expanded are exactly the ones the participant may enter.
    let full: Value = get("/participants?limit=5".into())
        .await
        .json()
        .await
        .unwrap();
    for (shaped, whole) in items.iter().zip(full["data"].as_array().unwrap()) {
        let expanded: Vec<&Value> = shaped["zones"]
            .as_array()
            .unwrap()
            .iter()
            .map(|z| &z["id"])
            .collect();
        let ids: Vec<&Value> = whole["zone_ids"].as_array().unwrap().iter().collect();
        assert_eq!(expanded, ids);
        assert_eq!(shaped["full_name"], whole["full_name"]);
    }

    // Unknown names are refused, naming what exists.
    for (query, code, names) in [
        (
            "fields=full_name,shoe_size",
            "invalid_fields",
            "registration_code",
        ),
        ("expand=tenant", "invalid_expand", "event, zones"),
    ] {
        let r = get(format!("/participants?{query}")).await;
        let (status, body) = (r.status().as_u16(), r.json::<Value>().await.unwrap());
        assert_eq!(status, 400, "{query}");
        assert_eq!(body["error"]["code"], code, "{body}");
        assert!(
            body["error"]["message"].as_str().unwrap().contains(names),
            "{body}"
        );
    }

    // One participant: a shaped read has its own ETag (caches keep shapes apart)...
    let id = full["data"][0]["id"].as_str().unwrap().to_owned();
    let whole = get(format!("/participants/{id}")).await;
    let whole_tag = etag(&whole);
    let shaped = get(format!("/participants/{id}?fields=email&expand=event")).await;
    assert_eq!(shaped.status(), 200);
    let shaped_tag = etag(&shaped);
    assert_ne!(shaped_tag, whole_tag);
    let body: Value = shaped.json().await.unwrap();
    assert_eq!(body["data"].as_object().unwrap().len(), 3, "{body}");
    let revalidated = s
        .http
        .get(s.at(&format!(
            "/api/v1/participants/{id}?fields=email&expand=event"
        )))
        .bearer_auth(&key)
        .header("If-None-Match", &whole_tag)
        .send()
        .await
        .unwrap();
    assert_eq!(
        revalidated.status(),
        200,
        "another shape's tag is not this one"
    );
    // ... and it still names the version: If-Match takes it until the participant changes.
    let patch = |tag: String, name: &str| {
        s.http
            .patch(s.at(&format!("/api/v1/participants/{id}")))
            .bearer_auth(&key)
            .header("If-Match", tag)
            .json(&json!({ "organisation": name }))
            .send()
    };
    assert_eq!(
        patch(shaped_tag.clone(), "IGAD").await.unwrap().status(),
        200
    );
    assert_eq!(
        patch(shaped_tag, "ECOWAS").await.unwrap().status(),
        412,
        "the shaped tag went stale with the change"
    );
}
