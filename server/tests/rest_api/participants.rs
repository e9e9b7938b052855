//! Participants through the REST API: created, read and changed with ETags (412 when stale),
//! revoked by DELETE, created once per idempotency key, shaped by `fields` and `expand`, and
//! walked page by page.

use std::collections::HashSet;

use serde_json::{json, Value};

use super::new_participant;
use crate::common::http::Caller;
use crate::common::{Backend, Server};

on_both_backends!(
    a_participant_is_created_read_and_changed_with_etags,
    a_retried_create_with_the_same_idempotency_key_creates_one_participant,
    fields_and_expand_shape_participants_and_their_etags,
    pagination_walks_every_demo_participant_exactly_once,
);

async fn a_participant_is_created_read_and_changed_with_etags(backend: Backend) {
    let s = Server::demo(backend).await;
    let key = s.demo_api_key();
    let integrator = s.as_integrator(&key);
    let created = integrator
        .post_json(
            "/api/v1/participants",
            &new_participant(&s, "Amina Tadesse"),
        )
        .await
        .expect(201);
    let first_tag = created.header("etag").to_owned();
    let body = created.json();
    let p = &body["data"];
    let id = p["id"].as_str().unwrap().to_owned();
    assert_eq!(created.location(), format!("/api/v1/participants/{id}"));
    assert_eq!(p["full_name"], "Amina Tadesse");
    assert_eq!(p["status"], "approved");
    assert_eq!(p["credential_seq"], 0);
    assert_eq!(p["registration_code"].as_str().unwrap().len(), 9);

    let path = format!("/api/v1/participants/{id}");
    let read = integrator.get(&path).await.expect(200);
    assert_eq!(
        read.header("etag"),
        first_tag,
        "an unchanged participant keeps its ETag"
    );
    integrator
        .clone()
        .header("If-None-Match", &first_tag)
        .get(&path)
        .await
        .expect(304);

    let patch = |tag: &str, body: Value| {
        let (caller, path) = (integrator.clone().header("If-Match", tag), &path);
        async move { caller.patch_json(path, &body).await }
    };
    let changed = patch(
        &first_tag,
        json!({"organisation": "IGAD", "email": null, "category": "Speaker"}),
    )
    .await
    .expect(200);
    let second_tag = changed.header("etag").to_owned();
    assert_ne!(second_tag, first_tag);
    let after = changed.json();
    assert_eq!(after["data"]["organisation"], "IGAD");
    assert_eq!(after["data"]["email"], Value::Null);
    assert_eq!(after["data"]["category"], "Speaker");
    assert_eq!(after["data"]["full_name"], "Amina Tadesse", "untouched");

    // A client still holding the first ETag is told, and changes nothing.
    patch(&first_tag, json!({"organisation": "Lost update"}))
        .await
        .expect_error(412, "precondition_failed");
    let now = integrator.get(&path).await.json();
    assert_eq!(now["data"]["organisation"], "IGAD");

    patch(&second_tag, json!({"category": "Astronaut"}))
        .await
        .expect_error(422, "invalid_participant");

    // DELETE revokes: the record stays, cancelled.
    integrator
        .clone()
        .header("If-Match", &second_tag)
        .delete(&path)
        .await
        .expect(200);
    let gone = integrator.get(&path).await.json();
    assert_eq!(gone["data"]["status"], "cancelled");

    // The audit log names the API key as the author of each change.
    let session = s.admin_session().await;
    let audit = s.as_admin(&session).get("/admin/v1/audit").await.json();
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
    let key = s.demo_api_key();
    let integrator = s.as_integrator(&key);
    let body = new_participant(&s, "Idempotent Ibrahim");
    let post = |body: Value, idem: &'static str| {
        let caller = integrator.clone().header("Idempotency-Key", idem);
        async move { caller.post_json("/api/v1/participants", &body).await }
    };
    let first = post(body.clone(), "order-7781").await.expect(201);
    assert!(!first.has_header("idempotent-replayed"));
    let retry = post(body.clone(), "order-7781").await.expect(201);
    assert_eq!(retry.header("idempotent-replayed"), "true");
    let first = first.json();
    assert_eq!(retry.json(), first, "the retry gets the first answer");

    let found = integrator
        .get("/api/v1/participants?q=Idempotent%20Ibrahim")
        .await
        .json();
    assert_eq!(found["data"].as_array().unwrap().len(), 1, "{found}");

    // Retries racing each other (a client that timed out twice) still make one participant.
    let racing = new_participant(&s, "Racing Rahel");
    let answers =
        futures::future::join_all((0..6).map(|_| post(racing.clone(), "order-7790"))).await;
    let mut ids = HashSet::new();
    for a in answers {
        let a = a.expect(201);
        ids.insert(a.json()["data"]["id"].clone().to_string());
    }
    assert_eq!(ids.len(), 1, "{ids:?}");
    let found = integrator
        .get("/api/v1/participants?q=Racing%20Rahel")
        .await
        .json();
    assert_eq!(found["data"].as_array().unwrap().len(), 1, "{found}");

    let mut other = body.clone();
    other["full_name"] = json!("Someone Else");
    post(other, "order-7781")
        .await
        .expect_error(422, "idempotency_key_reused");
    // A new key is a new request.
    let second = post(body, "order-7782").await.expect(201).json();
    assert_ne!(second["data"]["id"], first["data"]["id"]);
}

async fn fields_and_expand_shape_participants_and_their_etags(backend: Backend) {
    let s = Server::demo(backend).await;
    let key = s.demo_api_key();
    let integrator = s.as_integrator(&key);
    let demo = s.demo_json();

    // fields keeps the named properties and the id; expand adds the event and the zones.
    let page = integrator
        .get("/api/v1/participants?limit=5&fields=full_name,status&expand=event,zones")
        .await
        .json();
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
    let full = integrator.get("/api/v1/participants?limit=5").await.json();
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
        let r = integrator
            .get(&format!("/api/v1/participants?{query}"))
            .await;
        let body = r.json();
        assert_eq!(r.status, 400, "{query}");
        assert_eq!(body["error"]["code"], code, "{body}");
        assert!(
            body["error"]["message"].as_str().unwrap().contains(names),
            "{body}"
        );
    }

    // One participant: a shaped read has its own ETag (caches keep shapes apart)...
    let id = full["data"][0]["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/participants/{id}");
    let shaped_path = format!("{path}?fields=email&expand=event");
    let whole_tag = integrator.get(&path).await.header("etag").to_owned();
    let shaped = integrator.get(&shaped_path).await.expect(200);
    let shaped_tag = shaped.header("etag").to_owned();
    assert_ne!(shaped_tag, whole_tag);
    let body = shaped.json();
    assert_eq!(body["data"].as_object().unwrap().len(), 3, "{body}");
    let revalidated = integrator
        .clone()
        .header("If-None-Match", &whole_tag)
        .get(&shaped_path)
        .await;
    assert_eq!(
        revalidated.status, 200,
        "another shape's tag is not this one"
    );
    // ... and it still names the version: If-Match takes it until the participant changes.
    let patch = |tag: &str, name: &str| {
        let caller = integrator.clone().header("If-Match", tag);
        let (path, body) = (&path, json!({ "organisation": name }));
        async move { caller.patch_json(path, &body).await.status }
    };
    assert_eq!(patch(&shaped_tag, "IGAD").await, 200);
    assert_eq!(
        patch(&shaped_tag, "ECOWAS").await,
        412,
        "the shaped tag went stale with the change"
    );
}

/// Every participant a query lists, page by page: (the participants, how many pages).
async fn walk(integrator: &Caller<'_>, query: &str) -> (Vec<Value>, usize) {
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/participants?{query}&cursor={c}"),
            None => format!("/api/v1/participants?{query}"),
        };
        let page = integrator.get(&path).await.json();
        pages += 1;
        seen.extend(page["data"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    (seen, pages)
}

async fn pagination_walks_every_demo_participant_exactly_once(backend: Backend) {
    let s = Server::demo(backend).await;
    let key = s.demo_api_key();
    let integrator = s.as_integrator(&key);
    let (everyone, pages) = walk(&integrator, "limit=1000").await;
    let ids: HashSet<&str> = everyone.iter().map(|p| p["id"].as_str().unwrap()).collect();
    assert_eq!(everyone.len(), 5_000);
    assert_eq!(ids.len(), 5_000, "no participant twice");
    assert!((5..=6).contains(&pages), "{pages} pages");

    let (approved, _) = walk(&integrator, "limit=500&status=approved").await;
    let expected = everyone
        .iter()
        .filter(|p| p["status"] == "approved")
        .count();
    assert_eq!(approved.len(), expected);
    assert!(approved.iter().all(|p| p["status"] == "approved"));

    let (vips, _) = walk(&integrator, "limit=1000&category=VIP").await;
    assert!(!vips.is_empty() && vips.iter().all(|p| p["category"] == "VIP"));

    let (none_newer, _) = walk(&integrator, "updated_since=99999999999999").await;
    assert!(none_newer.is_empty());

    // In order of change: a changed participant comes last, and updated_since finds only them.
    let changed_id = everyone[0]["id"].as_str().unwrap().to_owned();
    let changed = integrator
        .patch_json(
            &format!("/api/v1/participants/{changed_id}"),
            &json!({"organisation": "Changed Ltd"}),
        )
        .await
        .json();
    let (by_change, _) = walk(&integrator, "limit=1000&sort=updated_at").await;
    assert_eq!(by_change.len(), 5_000);
    let unique: HashSet<&str> = by_change
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(unique.len(), 5_000);
    assert_eq!(by_change.last().unwrap()["id"], changed_id.as_str());
    let since = changed["data"]["updated_at"].as_i64().unwrap();
    let recent = integrator
        .get(&format!(
            "/api/v1/participants?sort=updated_at&updated_since={since}"
        ))
        .await
        .json();
    let recent = recent["data"].as_array().unwrap();
    assert_eq!(recent.len(), 1);
    assert_eq!(recent[0]["organisation"], "Changed Ltd");
    integrator
        .get("/api/v1/participants?cursor=nope")
        .await
        .expect_error(400, "invalid_cursor");
    integrator
        .get("/api/v1/participants?limit=0")
        .await
        .expect_error(400, "invalid_limit");
}
