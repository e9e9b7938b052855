//! Uploads of what gates scanned offline: idempotent and order-free (counters merge by
//! maximum), a badge admitted at two gates kept twice with the later flagged, and times put on
//! the server's clock when the device's is wrong.

use gatehouse_core::protocol::{OccupancyCounter, ScanUpload};
use gatehouse_core::{Movement, ParticipantId, ScanId, Verdict};
use serde_json::Value;

use super::{access_logs, occupancy, upload};
use crate::common::fixtures::{
    approved, checkpoint, device_report, now_ms, offline_admission, offline_scan, participant_of,
    scan_upload, ticket, tickets,
};
use crate::common::{Backend, Server};

on_both_backends!(
    uploading_the_same_scans_twice_reordered_keeps_one_log_each_and_the_same_occupancy,
    two_gates_admitting_one_badge_offline_keeps_both_and_flags_the_later,
    scans_are_stored_in_server_time_when_the_device_clock_is_wrong,
);

async fn uploading_the_same_scans_twice_reordered_keeps_one_log_each_and_the_same_occupancy(
    backend: Backend,
) {
    let s = Server::demo(backend).await;
    let demo = s.demo_json();
    let (gate, _) = s.pair_demo_devices().await;
    let session = s.admin_session().await;
    let (_, plenary) = checkpoint(&demo, "Main gate entry");
    let t0 = now_ms() - 60_000;
    let people: Vec<ParticipantId> = tickets(&demo, approved)
        .into_iter()
        .take(3)
        .map(participant_of)
        .collect();
    let mut scans = Vec::new();
    for (i, p) in people.iter().enumerate() {
        scans.push(offline_admission(&demo, *p, t0 + i as i64));
    }
    scans.push(offline_scan(
        &demo,
        "Main gate exit",
        people[0],
        Movement::Out,
        Verdict::Valid,
        t0 + 10,
    ));
    let counter = |ins, outs| OccupancyCounter {
        zone_id: plenary.parse().unwrap(),
        ins,
        outs,
    };
    let body = scan_upload(scans.clone(), vec![counter(3, 1)]);
    let ack = upload(&s, &gate.device_token, &body).await;
    assert_eq!(ack.stored.len(), 4);
    assert!(ack.offline_duplicates.is_empty());
    assert_eq!(occupancy(&s, &session, &demo, &plenary).await, 2);

    // The same outbox again, reversed, with an older counter snapshot in between.
    let mut reversed = scans.clone();
    reversed.reverse();
    let stale = scan_upload(reversed, vec![counter(2, 0)]);
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
    let person = participant_of(ticket(&demo, approved));
    let t0 = now_ms() - 120_000;
    let first = offline_admission(&demo, person, t0);
    let second = offline_admission(&demo, person, t0 + 30_000);
    // The later scan arrives first: the flag still lands on the later one.
    let ack_b = upload(
        &s,
        &b.device_token,
        &scan_upload(vec![second.clone()], vec![]),
    )
    .await;
    assert!(ack_b.offline_duplicates.is_empty());
    let ack_a = upload(
        &s,
        &a.device_token,
        &scan_upload(vec![first.clone()], vec![]),
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
        &scan_upload(vec![second.clone()], vec![]),
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
    let person = participant_of(ticket(&demo, approved));
    // The device's clock runs one hour behind.
    let skew = 3_600_000;
    let device_now = now_ms() - skew;
    let sc = offline_admission(&demo, person, device_now - 5_000);
    let body = ScanUpload {
        scans: vec![sc.clone()],
        occupancy: vec![],
        report: device_report(device_now),
    };
    upload(&s, &gate.device_token, &body).await;
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
    let devices = s
        .as_admin(&session)
        .get_json(&format!("/admin/v1/events/{}/devices", s.event_id()))
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
