//! Uploads of what gates scanned offline: idempotent and order-free (counters merge by
//! maximum), a badge admitted at two gates kept twice with the later flagged, and times put on
//! the server's clock when the device's is wrong.

use gatehouse_core::protocol::{OccupancyCounter, ScanUpload};
use gatehouse_core::{Movement, ParticipantId, ScanId, Verdict};
use serde_json::Value;

use super::{access_logs, new_id, occupancy, online, upload};
use crate::common::fixtures::{
    approved, badge, checkpoint, device_report, now_ms, offline_admission, offline_scan,
    participant_of, scan_upload, ticket, tickets,
};
use crate::common::{Backend, Server};

on_both_backends!(
    uploading_the_same_scans_twice_reordered_keeps_one_log_each_and_the_same_occupancy,
    two_gates_admitting_one_badge_offline_keeps_both_and_flags_the_later,
    scans_are_stored_in_server_time_when_the_device_clock_is_wrong,
    a_counter_no_gate_could_reach_is_refused_and_occupancy_keeps_working,
    a_report_with_an_impossible_cursor_or_clock_is_refused_whole,
    a_scan_id_another_gate_already_used_is_not_acknowledged,
    a_scan_id_another_tenant_used_is_still_stored_for_us,
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

async fn a_counter_no_gate_could_reach_is_refused_and_occupancy_keeps_working(backend: Backend) {
    let s = Server::demo(backend).await;
    let demo = s.demo_json();
    let (gate, other) = s.pair_demo_devices().await;
    let session = s.admin_session().await;
    let (_, plenary) = checkpoint(&demo, "Main gate entry");
    let counter = |ins, outs| OccupancyCounter {
        zone_id: plenary.parse().unwrap(),
        ins,
        outs,
    };

    // A broken (or hostile) gate reports more passes than any gate makes: refused whole.
    for poisoned in [counter(u64::MAX, 0), counter(0, i64::MAX as u64)] {
        let refused = s
            .as_device(&gate.device_token)
            .post_json("/sync/v1/scans", &scan_upload(vec![], vec![poisoned]))
            .await
            .expect_error(422, "counter_out_of_range");
        let message = refused.error_message();
        assert!(message.contains(&plenary), "names the zone: {message}");
        let value = poisoned.ins.max(poisoned.outs).to_string();
        assert!(message.contains(&value), "names the value: {message}");
    }
    // The other gate's upload and the online check-ins go on as before.
    let person = participant_of(ticket(&demo, approved));
    upload(
        &s,
        &other.device_token,
        &scan_upload(
            vec![offline_admission(&demo, person, now_ms() - 1_000)],
            vec![counter(1, 0)],
        ),
    )
    .await;
    let delegate = ticket(&demo, |t| {
        approved(t) && t["category"] == "Delegate" && participant_of(t) != person
    });
    let answer = online(
        &s,
        &other.device_token,
        "Main gate entry",
        badge(delegate),
        new_id(),
    )
    .await;
    assert_eq!(answer.verdict, Verdict::Valid);
    assert_eq!(occupancy(&s, &session, &demo, &plenary).await, 2);

    // A counter stored before the bound (the largest a database holds) cannot make the sums
    // overflow: occupancy, online check-ins and uploads still answer.
    s.operator_sql(&format!(
        "UPDATE occupancy_counters SET ins = {} WHERE zone_id = '{plenary}' AND source = '{}'",
        i64::MAX,
        other.device_id
    ))
    .await;
    let answer = online(
        &s,
        &other.device_token,
        "Main gate exit",
        badge(delegate),
        new_id(),
    )
    .await;
    assert_eq!(answer.verdict, Verdict::Valid);
    upload(
        &s,
        &gate.device_token,
        &scan_upload(vec![], vec![counter(3, 1)]),
    )
    .await;
    let inside = occupancy(&s, &session, &demo, &plenary).await;
    assert!(inside > 0, "occupancy still reads: {inside}");
}

async fn a_report_with_an_impossible_cursor_or_clock_is_refused_whole(backend: Backend) {
    let s = Server::demo(backend).await;
    let demo = s.demo_json();
    let (gate, _) = s.pair_demo_devices().await;
    let session = s.admin_session().await;
    let person = participant_of(ticket(&demo, approved));
    let device = s.as_device(&gate.device_token);
    let scan = offline_admission(&demo, person, now_ms() - 1_000);

    let mut body = scan_upload(vec![scan.clone()], vec![]);
    body.report.cursor = i64::MIN;
    let refused = device
        .post_json("/sync/v1/scans", &body)
        .await
        .expect_error(422, "bad_report");
    assert!(refused.error_message().contains(&i64::MIN.to_string()));

    let mut body = scan_upload(vec![scan.clone()], vec![]);
    body.report.device_time = i64::MIN;
    device
        .post_json("/sync/v1/scans", &body)
        .await
        .expect_error(422, "bad_time");

    let mut late = scan.clone();
    late.device_time = i64::MAX;
    let refused = device
        .post_json("/sync/v1/scans", &scan_upload(vec![late], vec![]))
        .await
        .expect_error(422, "bad_time");
    assert!(refused.error_message().contains(&scan.id.to_string()));
    assert!(
        access_logs(&s, &session, &demo, "").await.is_empty(),
        "nothing was stored"
    );

    // The same scans with a sane report are taken.
    let ack = upload(
        &s,
        &gate.device_token,
        &scan_upload(vec![scan.clone()], vec![]),
    )
    .await;
    assert_eq!(ack.stored, vec![scan.id]);
}

async fn a_scan_id_another_gate_already_used_is_not_acknowledged(backend: Backend) {
    let s = Server::demo(backend).await;
    let demo = s.demo_json();
    let (a, b) = s.pair_demo_devices().await;
    let session = s.admin_session().await;
    let people: Vec<ParticipantId> = tickets(&demo, approved)
        .into_iter()
        .take(2)
        .map(participant_of)
        .collect();
    let theirs = offline_admission(&demo, people[0], now_ms() - 2_000);
    upload(
        &s,
        &a.device_token,
        &scan_upload(vec![theirs.clone()], vec![]),
    )
    .await;

    // Gate b sends a scan of its own under the id gate a's scan holds: it is not stored, so it
    // is not acknowledged (b keeps it), and gate a's scan is untouched.
    let mut clash = offline_admission(&demo, people[1], now_ms() - 1_000);
    clash.id = theirs.id;
    let own = offline_admission(&demo, people[1], now_ms() - 500);
    let ack = upload(
        &s,
        &b.device_token,
        &scan_upload(vec![clash, own.clone()], vec![]),
    )
    .await;
    assert_eq!(
        ack.stored,
        vec![own.id],
        "only what was stored is acknowledged"
    );
    let logs = access_logs(&s, &session, &demo, "").await;
    let held = logs
        .iter()
        .find(|l| l["id"] == theirs.id.to_string())
        .unwrap();
    assert_eq!(held["device_id"], a.device_id.to_string());
    assert_eq!(held["participant_id"], people[0].to_string());
    // Gate a uploading its own scan again is still acknowledged.
    let again = upload(
        &s,
        &a.device_token,
        &scan_upload(vec![theirs.clone()], vec![]),
    )
    .await;
    assert_eq!(again.stored, vec![theirs.id]);
}

async fn a_scan_id_another_tenant_used_is_still_stored_for_us(backend: Backend) {
    let s = Server::demo(backend).await;
    let demo = s.demo_json();
    let (gate, _) = s.pair_demo_devices().await;
    let session = s.admin_session().await;
    let person = participant_of(ticket(&demo, approved));
    let ours = offline_admission(&demo, person, now_ms() - 2_000);
    let online_id = new_id();

    // Another organisation already holds scans under both ids.
    let (tenant, event) = (uuid::Uuid::now_v7(), uuid::Uuid::now_v7());
    let mut sql = format!(
        "INSERT INTO tenants (id, name, slug, created_at) VALUES ('{tenant}', 'Other', 'other', 0);
         INSERT INTO events (id, tenant_id, name, starts_at, ends_at, time_zone, created_at)
           VALUES ('{event}', '{tenant}', 'Other summit', 0, 1, 'UTC', 0);"
    );
    for id in [ours.id, online_id] {
        sql.push_str(&format!(
            "INSERT INTO access_logs (id, tenant_id, event_id, checkpoint_id, zone_id, verdict,
               reason, device_time, corrected_time, server_time, received_at, source,
               offline_duplicate)
             VALUES ('{id}', '{tenant}', '{event}', '{c}', '{z}', 'INVALID', 'invalid', 0, 0, 0, 0,
               'api', 0);",
            c = uuid::Uuid::now_v7(),
            z = uuid::Uuid::now_v7(),
        ));
    }
    s.operator_sql(&sql).await;

    let ack = upload(
        &s,
        &gate.device_token,
        &scan_upload(vec![ours.clone()], vec![]),
    )
    .await;
    assert_eq!(ack.stored, vec![ours.id]);
    let delegate = ticket(&demo, |t| {
        approved(t) && t["category"] == "Delegate" && participant_of(t) != person
    });
    let answer = online(
        &s,
        &gate.device_token,
        "Main gate entry",
        badge(delegate),
        online_id,
    )
    .await;
    assert_eq!(answer.verdict, Verdict::Valid);

    let logs = access_logs(&s, &session, &demo, "").await;
    let ids: Vec<&str> = logs.iter().map(|l| l["id"].as_str().unwrap()).collect();
    assert!(ids.contains(&ours.id.to_string().as_str()), "{ids:?}");
    assert!(ids.contains(&online_id.to_string().as_str()), "{ids:?}");
    assert_eq!(
        s.operator_value::<i64>(&format!(
            "SELECT count(*) FROM access_logs WHERE tenant_id = '{tenant}'"
        ))
        .await,
        2,
        "theirs are untouched"
    );
}
