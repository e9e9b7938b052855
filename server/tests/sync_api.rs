//! The device sync API against the real binary: pairing, the change feed, uploads (idempotent,
//! reordered, clock-corrected, offline duplicates), revocation, online scans and bad input.

mod common;

use common::fixtures::{checkpoint, now_ms, ticket};
use common::{Backend, Server};
use gatehouse_core::protocol::{
    Change, DeviceReport, FeedPage, OccupancyCounter, OnlineScanRequest, OnlineScanResponse,
    PairResponse, Presented, ScanUpload, SyncRefusal, UploadAck,
};
use gatehouse_core::{
    AccessLog, CheckpointId, EventId, Movement, ParticipantId, Reason, ScanId, Verdict, ZoneId,
};
use serde_json::{json, Value};

on_both_backends!(
    a_first_sync_brings_the_whole_event_in_pages,
    the_feed_is_gzip_compressed_when_asked,
    a_spent_or_expired_pairing_code_is_refused,
    uploading_the_same_scans_twice_reordered_keeps_one_log_each_and_the_same_occupancy,
    two_gates_admitting_one_badge_offline_keeps_both_and_flags_the_later,
    scans_are_stored_in_server_time_when_the_device_clock_is_wrong,
    one_gates_scans_reach_the_other_gates_feed,
    a_revoked_device_is_told_to_wipe,
    online_scans_decide_like_the_gate_and_record_once,
    a_reissued_badge_decides_revoked_online,
    a_removed_participant_leaves_the_devices_caches,
    online_check_ins_keep_the_record_a_gate_keeps,
    two_gates_asking_online_at_once_admit_a_badge_only_once,
    bad_input_gets_a_clear_error_and_changes_nothing,
);

async fn feed(s: &Server, token: &str, after: i64, limit: i64) -> FeedPage {
    let res = s
        .http
        .get(s.at(&format!("/sync/v1/feed?after={after}&limit={limit}")))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

async fn feed_all(s: &Server, token: &str, mut after: i64) -> (Vec<Change>, i64) {
    let mut changes = Vec::new();
    loop {
        let page = feed(s, token, after, 10_000).await;
        changes.extend(page.entries.into_iter().map(|e| e.change));
        after = page.cursor;
        if !page.more {
            return (changes, after);
        }
    }
}

fn event_id(demo: &Value) -> EventId {
    demo["event_id"].as_str().unwrap().parse().unwrap()
}

fn pid(t: &Value) -> ParticipantId {
    t["participant_id"].as_str().unwrap().parse().unwrap()
}

/// A scan a gate made offline.
fn scan(
    demo: &Value,
    cp: &str,
    participant: ParticipantId,
    movement: Movement,
    verdict: Verdict,
    device_time: i64,
) -> AccessLog {
    let (cp_id, zone) = checkpoint(demo, cp);
    AccessLog {
        id: ScanId(uuid::Uuid::now_v7()),
        event_id: event_id(demo),
        checkpoint_id: cp_id.parse::<CheckpointId>().unwrap(),
        zone_id: zone.parse::<ZoneId>().unwrap(),
        device_id: None,
        participant_id: Some(participant),
        credential_seq: Some(0),
        movement: Some(movement),
        verdict,
        reason: if verdict == Verdict::Valid {
            if movement == Movement::In {
                Reason::Admitted
            } else {
                Reason::ExitRecorded
            }
        } else {
            Reason::AlreadyInside
        },
        override_reason: None,
        device_time,
        corrected_time: device_time,
    }
}

fn report(device_time: i64) -> DeviceReport {
    DeviceReport {
        app_version: "test-1.0".into(),
        profile: Some("gate-laptop".into()),
        cursor: 0,
        outbox_depth: 0,
        device_time,
    }
}

async fn upload(s: &Server, token: &str, body: &ScanUpload) -> UploadAck {
    let res = s
        .http
        .post(s.at("/sync/v1/scans"))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "upload accepted");
    res.json().await.unwrap()
}

async fn admin_get(s: &Server, session: &str, path: &str) -> Value {
    let res = s
        .http
        .get(s.at(path))
        .bearer_auth(session)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "GET {path}");
    res.json().await.unwrap()
}

async fn access_logs(s: &Server, session: &str, demo: &Value, query: &str) -> Vec<Value> {
    let v = admin_get(
        s,
        session,
        &format!(
            "/admin/v1/events/{}/access-logs?limit=1000{query}",
            demo["event_id"].as_str().unwrap()
        ),
    )
    .await;
    v["access_logs"].as_array().unwrap().clone()
}

async fn occupancy(s: &Server, session: &str, demo: &Value, zone: &str) -> i64 {
    let v = admin_get(
        s,
        session,
        &format!(
            "/admin/v1/events/{}/occupancy",
            demo["event_id"].as_str().unwrap()
        ),
    )
    .await;
    v["zones"]
        .as_array()
        .unwrap()
        .iter()
        .find(|z| z["zone_id"] == zone)
        .unwrap()["inside"]
        .as_i64()
        .unwrap()
}

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
            Change::Participant(p) if p.id == pid(t) => Some(p),
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

async fn a_spent_or_expired_pairing_code_is_refused(backend: Backend) {
    let s = Server::demo_with_env(backend, &[("GATEHOUSE_PAIRING_CODE_TTL_SECONDS", "2")]).await;
    let demo = s.demo_json();
    let code = demo["pairing_codes"][0].as_str().unwrap().to_string();
    s.pair(&code).await;

    let again = s
        .http
        .post(s.at("/sync/v1/pair"))
        .json(&json!({"pairing_code": code, "app_version": "1", "profile": null}))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 403);
    let refusal: SyncRefusal = again.json().await.unwrap();
    assert_eq!(refusal.code, "pairing_code_invalid");
    assert!(!refusal.wipe);

    tokio::time::sleep(std::time::Duration::from_millis(2_500)).await;
    let late = s
        .http
        .post(s.at("/sync/v1/pair"))
        .json(
            &json!({"pairing_code": demo["pairing_codes"][1], "app_version": "1", "profile": null}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(late.status(), 403);
    let body: Value = late.json().await.unwrap();
    assert_eq!(body["code"], "pairing_code_expired");
    assert_eq!(body["error"]["code"], "pairing_code_expired");
}

async fn uploading_the_same_scans_twice_reordered_keeps_one_log_each_and_the_same_occupancy(
    backend: Backend,
) {
    let s = Server::demo(backend).await;
    let demo = s.demo_json();
    let (gate, _) = s.pair_demo_devices().await;
    let session = s.admin_session().await;
    let (_, plenary) = checkpoint(&demo, "Main gate entry");
    let t0 = now_ms() - 60_000;
    let people: Vec<ParticipantId> = demo["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["status"] == "approved" && t["blocked"] == false)
        .take(3)
        .map(pid)
        .collect();
    let mut scans = Vec::new();
    for (i, p) in people.iter().enumerate() {
        scans.push(scan(
            &demo,
            "Main gate entry",
            *p,
            Movement::In,
            Verdict::Valid,
            t0 + i as i64,
        ));
    }
    scans.push(scan(
        &demo,
        "Main gate exit",
        people[0],
        Movement::Out,
        Verdict::Valid,
        t0 + 10,
    ));
    let counters = vec![OccupancyCounter {
        zone_id: plenary.parse().unwrap(),
        ins: 3,
        outs: 1,
    }];
    let body = ScanUpload {
        scans: scans.clone(),
        occupancy: counters.clone(),
        report: report(now_ms()),
    };
    let ack = upload(&s, &gate.device_token, &body).await;
    assert_eq!(ack.stored.len(), 4);
    assert!(ack.offline_duplicates.is_empty());
    assert_eq!(occupancy(&s, &session, &demo, &plenary).await, 2);

    // The same outbox again, reversed, with an older counter snapshot in between.
    let mut reversed = scans.clone();
    reversed.reverse();
    let stale = ScanUpload {
        scans: reversed,
        occupancy: vec![OccupancyCounter {
            zone_id: plenary.parse().unwrap(),
            ins: 2,
            outs: 0,
        }],
        report: report(now_ms()),
    };
    let ack = upload(&s, &gate.device_token, &stale).await;
    let mut stored = ack.stored.clone();
    stored.sort();
    let mut expected: Vec<ScanId> = scans.iter().map(|s| s.id).collect();
    expected.sort();
    assert_eq!(stored, expected, "every id is acknowledged again");
    upload(&s, &gate.device_token, &body).await;

    let logs = access_logs(&s, &session, &demo, "").await;
    assert_eq!(logs.len(), 4, "one access log per scan");
    assert_eq!(
        occupancy(&s, &session, &demo, &plenary).await,
        2,
        "counters merge by maximum"
    );
}

async fn two_gates_admitting_one_badge_offline_keeps_both_and_flags_the_later(backend: Backend) {
    let s = Server::demo(backend).await;
    let demo = s.demo_json();
    let (a, b) = s.pair_demo_devices().await;
    let session = s.admin_session().await;
    let person = pid(ticket(&demo, |t| {
        t["status"] == "approved" && t["blocked"] == false
    }));
    let t0 = now_ms() - 120_000;
    let first = scan(
        &demo,
        "Main gate entry",
        person,
        Movement::In,
        Verdict::Valid,
        t0,
    );
    let second = scan(
        &demo,
        "Main gate entry",
        person,
        Movement::In,
        Verdict::Valid,
        t0 + 30_000,
    );
    // The later scan arrives first: the flag still lands on the later one.
    let ack_b = upload(
        &s,
        &b.device_token,
        &ScanUpload {
            scans: vec![second.clone()],
            occupancy: vec![],
            report: report(now_ms()),
        },
    )
    .await;
    assert!(ack_b.offline_duplicates.is_empty());
    let ack_a = upload(
        &s,
        &a.device_token,
        &ScanUpload {
            scans: vec![first.clone()],
            occupancy: vec![],
            report: report(now_ms()),
        },
    )
    .await;
    assert_eq!(ack_a.stored, vec![first.id]);
    assert!(
        ack_a.offline_duplicates.is_empty(),
        "the earlier admission is not the duplicate"
    );

    let logs = access_logs(&s, &session, &demo, "").await;
    assert_eq!(logs.len(), 2, "no scan is dropped");
    let flagged: Vec<&Value> = logs
        .iter()
        .filter(|l| l["offline_duplicate"] == true)
        .collect();
    assert_eq!(flagged.len(), 1);
    assert_eq!(flagged[0]["id"], second.id.to_string());

    // Uploading the later one again names it in the acknowledgement.
    let again = upload(
        &s,
        &b.device_token,
        &ScanUpload {
            scans: vec![second.clone()],
            occupancy: vec![],
            report: report(now_ms()),
        },
    )
    .await;
    assert_eq!(again.offline_duplicates, vec![second.id]);
    let only = access_logs(&s, &session, &demo, "&offline_duplicates=true").await;
    assert_eq!(only.len(), 1);
}

async fn scans_are_stored_in_server_time_when_the_device_clock_is_wrong(backend: Backend) {
    let s = Server::demo(backend).await;
    let demo = s.demo_json();
    let (gate, _) = s.pair_demo_devices().await;
    let session = s.admin_session().await;
    let person = pid(ticket(&demo, |t| {
        t["status"] == "approved" && t["blocked"] == false
    }));
    // The device's clock runs one hour behind.
    let skew = 3_600_000;
    let device_now = now_ms() - skew;
    let sc = scan(
        &demo,
        "Main gate entry",
        person,
        Movement::In,
        Verdict::Valid,
        device_now - 5_000,
    );
    upload(
        &s,
        &gate.device_token,
        &ScanUpload {
            scans: vec![sc.clone()],
            occupancy: vec![],
            report: report(device_now),
        },
    )
    .await;
    let logs = access_logs(&s, &session, &demo, "").await;
    let log = &logs[0];
    assert_eq!(log["device_time"], sc.device_time);
    assert_eq!(log["corrected_time"], sc.corrected_time);
    let server_time = log["server_time"].as_i64().unwrap();
    let expected = sc.device_time + skew;
    assert!(
        (server_time - expected).abs() < 60_000,
        "server time {server_time} ≈ {expected}"
    );
    let devices = admin_get(
        &s,
        &session,
        &format!(
            "/admin/v1/events/{}/devices",
            demo["event_id"].as_str().unwrap()
        ),
    )
    .await;
    let me = devices["devices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["id"] == gate.device_id.to_string())
        .unwrap();
    assert_eq!(me["app_version"], "test-1.0");
    assert!(me["clock_offset_ms"].as_i64().unwrap() > skew - 60_000);
    assert!(
        me["sync_lag"].as_i64().unwrap() > 5_000,
        "the device reported cursor 0"
    );
}

async fn one_gates_scans_reach_the_other_gates_feed(backend: Backend) {
    let s = Server::demo(backend).await;
    let demo = s.demo_json();
    let (a, b) = s.pair_demo_devices().await;
    let (_, cursor_b) = feed_all(&s, &b.device_token, 0).await;
    let (_, cursor_a) = feed_all(&s, &a.device_token, 0).await;
    let person = pid(ticket(&demo, |t| {
        t["status"] == "approved" && t["blocked"] == false
    }));
    let sc = scan(
        &demo,
        "Main gate entry",
        person,
        Movement::In,
        Verdict::Valid,
        now_ms(),
    );
    upload(
        &s,
        &a.device_token,
        &ScanUpload {
            scans: vec![sc.clone()],
            occupancy: vec![],
            report: report(now_ms()),
        },
    )
    .await;
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

async fn a_revoked_device_is_told_to_wipe(backend: Backend) {
    let s = Server::demo(backend).await;
    let (gate, other) = s.pair_demo_devices().await;
    let session = s.admin_session().await;
    let res = s
        .http
        .post(s.at(&format!("/admin/v1/devices/{}/revoke", gate.device_id)))
        .bearer_auth(&session)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    for path in ["/sync/v1/feed?after=0", "/sync/v1/feed"] {
        let res = s
            .http
            .get(s.at(path))
            .bearer_auth(&gate.device_token)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 403);
        let refusal: SyncRefusal = res.json().await.unwrap();
        assert_eq!(refusal.code, "device_revoked");
        assert!(refusal.wipe);
        assert!(refusal.server_time > 0);
    }
    let res = s
        .http
        .post(s.at("/sync/v1/scans"))
        .bearer_auth(&gate.device_token)
        .json(&ScanUpload {
            scans: vec![],
            occupancy: vec![],
            report: report(now_ms()),
        })
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    // The other gate is untouched; an unknown token is refused without a wipe.
    assert_eq!(feed(&s, &other.device_token, 0, 1).await.entries.len(), 1);
    let res = s
        .http
        .get(s.at("/sync/v1/feed"))
        .bearer_auth("ghd_nope")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    let refusal: SyncRefusal = res.json().await.unwrap();
    assert!(!refusal.wipe);
}

async fn online(
    s: &Server,
    token: &str,
    cp: &str,
    presented: Presented,
    scan_id: ScanId,
) -> OnlineScanResponse {
    online_overriding(s, token, cp, presented, scan_id, None).await
}

/// [`online`] with a supervisor's override reason.
async fn online_overriding(
    s: &Server,
    token: &str,
    cp: &str,
    presented: Presented,
    scan_id: ScanId,
    override_reason: Option<&str>,
) -> OnlineScanResponse {
    let demo = s.demo_json();
    let (cp_id, _) = checkpoint(&demo, cp);
    let res = s
        .http
        .post(s.at("/sync/v1/scan"))
        .bearer_auth(token)
        .json(&OnlineScanRequest {
            scan_id,
            presented,
            checkpoint_id: cp_id.parse().unwrap(),
            requested: None,
            override_reason: override_reason.map(str::to_owned),
            device_time: now_ms(),
        })
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

fn payload(t: &Value) -> Presented {
    Presented::Payload(t["payload"].as_str().unwrap().to_string())
}

fn new_id() -> ScanId {
    ScanId(uuid::Uuid::now_v7())
}

async fn online_scans_decide_like_the_gate_and_record_once(backend: Backend) {
    let s = Server::demo(backend).await;
    let demo = s.demo_json();
    let (gate, _) = s.pair_demo_devices().await;
    let session = s.admin_session().await;
    let tok = &gate.device_token;
    let delegate = ticket(&demo, |t| {
        t["status"] == "approved" && t["blocked"] == false && t["category"] == "Delegate"
    });

    let first_id = new_id();
    let first = online(&s, tok, "Main gate entry", payload(delegate), first_id).await;
    assert_eq!(first.verdict, Verdict::Valid);
    assert_eq!(first.movement, Some(Movement::In));
    assert_eq!(
        first.participant.as_ref().unwrap().name,
        delegate["name"].as_str().unwrap()
    );
    // A retry of the same scan gets the same answer and records nothing new.
    let retry = online(&s, tok, "Main gate entry", payload(delegate), first_id).await;
    assert_eq!(retry.verdict, Verdict::Valid);
    let second = online(&s, tok, "Main gate entry", payload(delegate), new_id()).await;
    assert_eq!(second.verdict, Verdict::AlreadyScanned);
    let out = online(&s, tok, "Main gate exit", payload(delegate), new_id()).await;
    assert_eq!(
        (out.verdict, out.movement),
        (Verdict::Valid, Some(Movement::Out))
    );
    let typed = Presented::RegistrationCode(
        delegate["registration_code"]
            .as_str()
            .unwrap()
            .to_lowercase(),
    );
    assert_eq!(
        online(&s, tok, "Main gate entry", typed, new_id())
            .await
            .verdict,
        Verdict::Valid
    );

    let pending = ticket(&demo, |t| t["status"] == "pending" && t["blocked"] == false);
    assert_eq!(
        online(&s, tok, "Main gate entry", payload(pending), new_id())
            .await
            .verdict,
        Verdict::Pending
    );
    let cancelled = ticket(&demo, |t| {
        t["status"] == "cancelled" && t["blocked"] == false
    });
    assert_eq!(
        online(&s, tok, "Main gate entry", payload(cancelled), new_id())
            .await
            .verdict,
        Verdict::Revoked
    );
    let blocked = ticket(&demo, |t| t["blocked"] == true);
    assert_eq!(
        online(&s, tok, "Main gate entry", payload(blocked), new_id())
            .await
            .verdict,
        Verdict::Blocked
    );
    assert_eq!(
        online(&s, tok, "VIP door", payload(delegate), new_id())
            .await
            .verdict,
        Verdict::WrongZone
    );
    let vip = ticket(&demo, |t| {
        t["status"] == "approved" && t["blocked"] == false && t["category"] == "VIP"
    });
    assert_eq!(
        online(&s, tok, "VIP door", payload(vip), new_id())
            .await
            .verdict,
        Verdict::Valid
    );
    assert_eq!(
        online(
            &s,
            tok,
            "Main gate entry",
            Presented::Payload("HELLO".into()),
            new_id()
        )
        .await
        .verdict,
        Verdict::Invalid
    );
    assert_eq!(
        online(
            &s,
            tok,
            "Main gate entry",
            Presented::RegistrationCode("222-222-22Z".into()),
            new_id()
        )
        .await
        .verdict,
        Verdict::Invalid
    );

    let logs = access_logs(&s, &session, &demo, "").await;
    assert_eq!(logs.len(), 11, "one access log per scan id");
    let (_, plenary) = checkpoint(&demo, "Main gate entry");
    assert_eq!(
        occupancy(&s, &session, &demo, &plenary).await,
        1,
        "in, out, in again"
    );
    let denied = access_logs(&s, &session, &demo, "&verdict=ALREADY_SCANNED").await;
    assert_eq!(denied.len(), 1);
}

async fn a_reissued_badge_decides_revoked_online(backend: Backend) {
    let s = Server::demo(backend).await;
    let demo = s.demo_json();
    let (gate, _) = s.pair_demo_devices().await;
    let session = s.admin_session().await;
    let person = ticket(&demo, |t| {
        t["status"] == "approved" && t["blocked"] == false && t["category"] == "Delegate"
    });
    let res = s
        .http
        .post(s.at(&format!(
            "/admin/v1/participants/{}/reissue",
            person["participant_id"].as_str().unwrap()
        )))
        .bearer_auth(&session)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let reissued: Value = res.json().await.unwrap();
    assert_eq!(reissued["participant"]["credential_seq"], 1);
    let old = online(
        &s,
        &gate.device_token,
        "Main gate entry",
        payload(person),
        new_id(),
    )
    .await;
    assert_eq!(
        (old.verdict, old.reason),
        (Verdict::Revoked, Reason::Reissued)
    );
    let new = online(
        &s,
        &gate.device_token,
        "Main gate entry",
        payload(&reissued),
        new_id(),
    )
    .await;
    assert_eq!(new.verdict, Verdict::Valid);
    // Devices learn the new sequence from the feed.
    let (changes, _) = feed_all(&s, &gate.device_token, 0).await;
    let seq = changes.iter().find_map(|c| match c {
        Change::Participant(p) if p.id == pid(person) => Some(p.credential_seq),
        _ => None,
    });
    assert_eq!(seq, Some(1));
}

async fn bad_input_gets_a_clear_error_and_changes_nothing(backend: Backend) {
    let s = Server::demo_with_env(backend, &[("GATEHOUSE_MAX_BODY_BYTES", "1048576")]).await;
    let demo = s.demo_json();
    let (gate, _) = s.pair_demo_devices().await;
    let session = s.admin_session().await;
    let tok = &gate.device_token;

    let malformed = s
        .http
        .post(s.at("/sync/v1/scans"))
        .bearer_auth(tok)
        .header("content-type", "application/json")
        .body("{\"scans\": [oops")
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status(), 400);
    let body: Value = malformed.json().await.unwrap();
    assert_eq!(body["error"]["code"], "malformed_json");
    assert!(!body["error"]["message"].as_str().unwrap().is_empty());

    let wrong_shape = s
        .http
        .post(s.at("/sync/v1/scans"))
        .bearer_auth(tok)
        .json(&json!({"scans": "many"}))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_shape.status(), 422);
    assert_eq!(
        wrong_shape.json::<Value>().await.unwrap()["error"]["code"],
        "invalid_body"
    );

    let huge = "x".repeat(2 * 1024 * 1024);
    let oversized = s
        .http
        .post(s.at("/sync/v1/scans"))
        .bearer_auth(tok)
        .header("content-type", "application/json")
        .body(format!("{{\"pad\": \"{huge}\"}}"))
        .send()
        .await
        .unwrap();
    assert_eq!(oversized.status(), 413);
    assert_eq!(
        oversized.json::<Value>().await.unwrap()["error"]["code"],
        "body_too_large"
    );

    // One good scan and one of another event: the whole upload is refused.
    let person = pid(ticket(&demo, |t| {
        t["status"] == "approved" && t["blocked"] == false
    }));
    let good = scan(
        &demo,
        "Main gate entry",
        person,
        Movement::In,
        Verdict::Valid,
        now_ms(),
    );
    let mut foreign = scan(
        &demo,
        "Main gate entry",
        person,
        Movement::In,
        Verdict::Valid,
        now_ms(),
    );
    foreign.event_id = EventId(uuid::Uuid::now_v7());
    let res = s
        .http
        .post(s.at("/sync/v1/scans"))
        .bearer_auth(tok)
        .json(&ScanUpload {
            scans: vec![good, foreign.clone()],
            occupancy: vec![],
            report: report(now_ms()),
        })
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "wrong_event");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains(&foreign.id.to_string()));

    let unknown_event = s
        .http
        .get(s.at(&format!(
            "/admin/v1/events/{}/participants",
            uuid::Uuid::now_v7()
        )))
        .bearer_auth(&session)
        .send()
        .await
        .unwrap();
    assert_eq!(unknown_event.status(), 404);
    assert_eq!(
        unknown_event.json::<Value>().await.unwrap()["error"]["code"],
        "not_found"
    );
    let not_an_id = s
        .http
        .get(s.at("/admin/v1/events/not-an-id/occupancy"))
        .bearer_auth(&session)
        .send()
        .await
        .unwrap();
    assert_eq!(not_an_id.status(), 404);

    let unknown_checkpoint = s
        .http
        .post(s.at("/sync/v1/scan"))
        .bearer_auth(tok)
        .json(&OnlineScanRequest {
            scan_id: new_id(),
            presented: Presented::Payload("x".into()),
            checkpoint_id: CheckpointId(uuid::Uuid::now_v7()),
            requested: None,
            override_reason: None,
            device_time: now_ms(),
        })
        .send()
        .await
        .unwrap();
    assert_eq!(unknown_checkpoint.status(), 422);
    assert_eq!(
        unknown_checkpoint.json::<Value>().await.unwrap()["error"]["code"],
        "unknown_checkpoint"
    );

    assert!(
        access_logs(&s, &session, &demo, "").await.is_empty(),
        "nothing was stored"
    );
    let _unused: Option<PairResponse> = None;
}

async fn a_removed_participant_leaves_the_devices_caches(backend: Backend) {
    let s = Server::demo(backend).await;
    let demo = s.demo_json();
    let (gate, _) = s.pair_demo_devices().await;
    let session = s.admin_session().await;
    let (_, cursor) = feed_all(&s, &gate.device_token, 0).await;
    let person = ticket(&demo, |t| {
        t["status"] == "approved" && t["blocked"] == false
    });
    let res = s
        .http
        .delete(s.at(&format!(
            "/admin/v1/participants/{}",
            person["participant_id"].as_str().unwrap()
        )))
        .bearer_auth(&session)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let (changes, _) = feed_all(&s, &gate.device_token, cursor).await;
    assert_eq!(
        changes,
        vec![Change::ParticipantRemoved { id: pid(person) }]
    );
    // A first sync after the removal does not bring them back either.
    let (all, _) = feed_all(&s, &gate.device_token, 0).await;
    assert!(!all
        .iter()
        .any(|c| matches!(c, Change::Participant(p) if p.id == pid(person))));
    let scan = online(
        &s,
        &gate.device_token,
        "Main gate entry",
        payload(person),
        new_id(),
    )
    .await;
    assert_eq!(scan.verdict, Verdict::Unknown);
}

/// The record rules of `gatehouse_core::checkin`, seen from the server's access log: the same
/// three the gate's store keeps (`sync/tests/scan_path.rs`).
async fn online_check_ins_keep_the_record_a_gate_keeps(backend: Backend) {
    let s = Server::demo(backend).await;
    let demo = s.demo_json();
    let (gate, _) = s.pair_demo_devices().await;
    let session = s.admin_session().await;
    let tok = &gate.device_token;
    let delegate = ticket(&demo, |t| {
        t["status"] == "approved" && t["blocked"] == false && t["category"] == "Delegate"
    });
    let log_of = |logs: &[Value], id: ScanId| {
        logs.iter()
            .find(|l| l["id"] == id.to_string())
            .cloned()
            .expect("the scan is in the access log")
    };

    // A reason given when nobody was inside changed nothing and is not kept.
    let first = new_id();
    let admitted = online_overriding(
        &s,
        tok,
        "Main gate entry",
        payload(delegate),
        first,
        Some("x"),
    )
    .await;
    assert_eq!(admitted.verdict, Verdict::Valid);
    // A refusal at the entry is not an entry.
    let refused_id = new_id();
    let refused = online(&s, tok, "Main gate entry", payload(delegate), refused_id).await;
    assert_eq!(
        (refused.verdict, refused.movement),
        (Verdict::AlreadyScanned, None)
    );
    let overridden_id = new_id();
    let overridden = online_overriding(
        &s,
        tok,
        "Main gate entry",
        payload(delegate),
        overridden_id,
        Some("  badge printer jammed "),
    )
    .await;
    assert_eq!(
        (overridden.verdict, overridden.movement),
        (Verdict::ManualOverride, Some(Movement::In))
    );

    let logs = access_logs(&s, &session, &demo, "").await;
    let admitted = log_of(&logs, first);
    assert_eq!(
        (
            admitted["movement"].as_str(),
            admitted["override_reason"].as_str()
        ),
        (Some("in"), None)
    );
    let refused = log_of(&logs, refused_id);
    assert!(refused["movement"].is_null(), "{refused}");
    let overridden = log_of(&logs, overridden_id);
    assert_eq!(overridden["override_reason"], "badge printer jammed");

    // A genuine badge of someone the server no longer holds keeps the participant it names.
    let person = ticket(&demo, |t| {
        t["status"] == "approved"
            && t["blocked"] == false
            && t["participant_id"] != delegate["participant_id"]
    });
    let res = s
        .http
        .delete(s.at(&format!(
            "/admin/v1/participants/{}",
            person["participant_id"].as_str().unwrap()
        )))
        .bearer_auth(&session)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let stranger_id = new_id();
    let stranger = online(&s, tok, "Main gate entry", payload(person), stranger_id).await;
    assert_eq!(stranger.verdict, Verdict::Unknown);
    let logs = access_logs(&s, &session, &demo, "").await;
    assert_eq!(
        log_of(&logs, stranger_id)["participant_id"],
        person["participant_id"]
    );
}

async fn two_gates_asking_online_at_once_admit_a_badge_only_once(backend: Backend) {
    let s = Server::demo(backend).await;
    let demo = s.demo_json();
    let (a, b) = s.pair_demo_devices().await;
    let session = s.admin_session().await;
    let person = ticket(&demo, |t| {
        t["status"] == "approved" && t["blocked"] == false
    });
    let (first, second) = tokio::join!(
        online(
            &s,
            &a.device_token,
            "Main gate entry",
            payload(person),
            new_id()
        ),
        online(
            &s,
            &b.device_token,
            "Main gate entry",
            payload(person),
            new_id()
        ),
    );
    let mut verdicts = vec![first.verdict, second.verdict];
    verdicts.sort_by_key(|v| v.as_str());
    assert_eq!(verdicts, vec![Verdict::AlreadyScanned, Verdict::Valid]);
    let (_, plenary) = checkpoint(&demo, "Main gate entry");
    assert_eq!(occupancy(&s, &session, &demo, &plenary).await, 1);
}
