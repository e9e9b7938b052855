//! The change feed: a first sync in pages (no date of birth, only its check), gzip on request,
//! one gate's scans reaching the others, and a removed participant leaving every cache.

use gatehouse_core::protocol::Change;
use gatehouse_core::{AccessLog, Movement, Verdict};

use super::{feed, feed_all, new_id, online, upload};
use crate::common::fixtures::{
    approved, badge, now_ms, offline_scan, participant_of, scan_upload, ticket,
};
use crate::common::{Backend, Server};

on_both_backends!(
    a_first_sync_brings_the_whole_event_in_pages,
    the_feed_is_gzip_compressed_when_asked,
    one_gates_scans_reach_the_other_gates_feed,
    a_removed_participant_leaves_the_devices_caches,
);

async fn a_first_sync_brings_the_whole_event_in_pages(backend: Backend) {
    let s = Server::demo(backend).await;
    let (gate, _) = s.pair_demo_devices().await;
    let first = feed(&s, &gate.device_token, 0, 1_000).await;
    assert_eq!(first.entries.len(), 1_000);
    assert!(first.more);
    assert_eq!(first.event_id, gate.event_id);
    assert!(first.server_time > 0);
    let (rest, cursor) = feed_all(&s, &gate.device_token, first.cursor).await;
    let all: Vec<Change> = first
        .entries
        .into_iter()
        .map(|e| e.change)
        .chain(rest)
        .collect();
    let count = |f: fn(&Change) -> bool| all.iter().filter(|c| f(c)).count();
    assert_eq!(count(|c| matches!(c, Change::Zone(_))), 2);
    assert_eq!(count(|c| matches!(c, Change::Checkpoint(_))), 3);
    assert_eq!(count(|c| matches!(c, Change::Key(_))), 1);
    assert_eq!(count(|c| matches!(c, Change::Participant(_))), 5_000);
    // A date of birth reaches devices only as its check, which a kiosk can confirm a search with.
    let demo = s.demo_json();
    let t = &demo["tickets"][0];
    let born = t["date_of_birth"].as_str().unwrap();
    let person = all
        .iter()
        .find_map(|c| match c {
            Change::Participant(p) if p.id == participant_of(t) => Some(p),
            _ => None,
        })
        .unwrap();
    assert_eq!(
        person.birth_check,
        gatehouse_core::birth_check(person.id, born)
    );
    assert!(person.birth_check.is_some());
    let raw = serde_json::to_string(&all).unwrap();
    assert!(!raw.contains(born), "no date of birth in the feed");
    // Nothing new: the cursor stays and nothing more is waiting.
    let again = feed(&s, &gate.device_token, cursor, 1_000).await;
    assert!(again.entries.is_empty());
    assert_eq!(again.cursor, cursor);
    assert!(!again.more);
}

async fn the_feed_is_gzip_compressed_when_asked(backend: Backend) {
    let s = Server::demo(backend).await;
    let (gate, _) = s.pair_demo_devices().await;
    let raw = reqwest::Client::builder().no_gzip().build().unwrap();
    let res = raw
        .get(s.at("/sync/v1/feed?after=0&limit=5000"))
        .bearer_auth(&gate.device_token)
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-encoding"], "gzip");
    // reqwest with gzip on decodes it back to the page.
    let page = feed(&s, &gate.device_token, 0, 5_000).await;
    assert_eq!(page.entries.len(), 5_000);
}

async fn one_gates_scans_reach_the_other_gates_feed(backend: Backend) {
    let s = Server::demo(backend).await;
    let demo = s.demo_json();
    let (a, b) = s.pair_demo_devices().await;
    let (_, cursor_b) = feed_all(&s, &b.device_token, 0).await;
    let (_, cursor_a) = feed_all(&s, &a.device_token, 0).await;
    let person = participant_of(ticket(&demo, approved));
    let sc = offline_scan(
        &demo,
        "Main gate entry",
        person,
        Movement::In,
        Verdict::Valid,
        now_ms(),
    );
    upload(&s, &a.device_token, &scan_upload(vec![sc.clone()], vec![])).await;
    let (changes, _) = feed_all(&s, &b.device_token, cursor_b).await;
    let scans: Vec<&AccessLog> = changes
        .iter()
        .filter_map(|c| match c {
            Change::Scan(l) => Some(l),
            _ => None,
        })
        .collect();
    assert_eq!(scans.len(), 1);
    assert_eq!(scans[0].id, sc.id);
    assert_eq!(scans[0].device_id, Some(a.device_id));
    // The gate that made it is not sent its own scan back.
    let (own, _) = feed_all(&s, &a.device_token, cursor_a).await;
    assert!(own.iter().all(|c| !matches!(c, Change::Scan(_))));
}

async fn a_removed_participant_leaves_the_devices_caches(backend: Backend) {
    let s = Server::demo(backend).await;
    let demo = s.demo_json();
    let (gate, _) = s.pair_demo_devices().await;
    let session = s.admin_session().await;
    let (_, cursor) = feed_all(&s, &gate.device_token, 0).await;
    let person = ticket(&demo, approved);
    s.as_admin(&session)
        .delete(&format!(
            "/admin/v1/participants/{}",
            person["participant_id"].as_str().unwrap()
        ))
        .await
        .expect(200);
    let (changes, _) = feed_all(&s, &gate.device_token, cursor).await;
    assert_eq!(
        changes,
        vec![Change::ParticipantRemoved {
            id: participant_of(person)
        }]
    );
    // A first sync after the removal does not bring them back either.
    let (all, _) = feed_all(&s, &gate.device_token, 0).await;
    assert!(!all
        .iter()
        .any(|c| matches!(c, Change::Participant(p) if p.id == participant_of(person))));
    let scan = online(
        &s,
        &gate.device_token,
        "Main gate entry",
        badge(person),
        new_id(),
    )
    .await;
    assert_eq!(scan.verdict, Verdict::Unknown);
}
