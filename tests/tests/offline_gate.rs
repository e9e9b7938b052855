//! A gate and the platform server, end to end: the real `gatehouse-server demo` and the real
//! `gatehouse-gate` over 127.0.0.1. See the crate documentation for building the binaries.

use std::collections::HashSet;
use std::time::Duration;

use gatehouse_e2e::{count_by_id, FlakyLink, Gate, Server};
use serde_json::Value;

const ENTRY: &str = "Main gate entry";
const EXIT: &str = "Main gate exit";

fn paired_gate(server: &Server, code: usize) -> Gate {
    let gate = Gate::new();
    gate.pair(server, code);
    gate.sync();
    gate
}

fn payload(ticket: &Value) -> &str {
    ticket["payload"].as_str().expect("payload")
}

#[test]
fn a_paired_gate_admits_refuses_a_second_entry_and_readmits_after_exit() {
    let data = tempfile::tempdir().unwrap();
    let server = Server::start(data.path());
    let gate = Gate::new();
    let paired = gate.pair(&server, 0);
    assert_eq!(paired["paired"], true);
    let synced = gate.sync();
    assert!(synced["pulled"].as_u64().unwrap() > 1000, "{synced}");
    let status = gate.status();
    assert_eq!(status["online"], true);
    assert!(status["participants"].as_u64().unwrap() >= 1000, "{status}");

    let ticket = &server.admissible_tickets(ENTRY)[0];
    let first = gate.scan(payload(ticket), ENTRY);
    assert_eq!(first["verdict"], "VALID", "{first}");
    assert_eq!(first["participant"]["name"], ticket["name"]);
    assert_eq!(first["reason_code"], "admitted");

    let again = gate.scan(payload(ticket), ENTRY);
    assert_eq!(again["verdict"], "ALREADY_SCANNED", "{again}");

    assert_eq!(gate.scan(payload(ticket), EXIT)["verdict"], "VALID");
    assert_eq!(gate.scan(payload(ticket), ENTRY)["verdict"], "VALID");

    let typed = gate.cmd(&[
        "scan",
        "--code",
        ticket["registration_code"].as_str().unwrap(),
        "--checkpoint",
        EXIT,
    ]);
    assert_eq!(typed["verdict"], "VALID", "{typed}");

    let pushed = gate.sync();
    assert_eq!(pushed["pushed"], 5, "{pushed}");
    assert_eq!(pushed["outbox_depth"], 0);
    let on_server = count_by_id(&server.admin().access_logs(&server.event_id()));
    for scan in [&first, &again, &typed] {
        assert_eq!(on_server.get(scan["scan_id"].as_str().unwrap()), Some(&1));
    }
}

#[test]
fn offline_scans_reach_the_server_exactly_once_after_reconnect() {
    let data = tempfile::tempdir().unwrap();
    let mut server = Server::start(data.path());
    let gate = paired_gate(&server, 0);
    let tickets = server.admissible_tickets(ENTRY);

    server.stop();
    let mut scan_ids = Vec::new();
    for ticket in &tickets {
        let answer = gate.scan(payload(ticket), ENTRY);
        assert_eq!(answer["verdict"], "VALID", "{answer}");
        scan_ids.push(answer["scan_id"].as_str().unwrap().to_owned());
    }
    let refused = gate.try_cmd(&["sync", "--once"]).unwrap_err();
    assert_eq!(refused["error"]["code"], "offline", "{refused}");
    let status = gate.status();
    assert_eq!(status["online"], false);
    assert_eq!(status["outbox_depth"], tickets.len());

    server.restart();
    let pushed = gate.sync_with(&server);
    assert_eq!(pushed["pushed"], tickets.len(), "{pushed}");
    // A second round (as after a lost acknowledgement) must not duplicate anything.
    gate.sync();
    let on_server = count_by_id(&server.admin().access_logs(&server.event_id()));
    for id in &scan_ids {
        assert_eq!(on_server.get(id), Some(&1), "scan {id} on the server");
    }
    assert_eq!(gate.status()["outbox_depth"], 0);
}

#[test]
fn kill_9_during_a_burst_loses_no_answered_scan() {
    let data = tempfile::tempdir().unwrap();
    let server = Server::start(data.path());
    let gate = paired_gate(&server, 0);
    let tickets = server.admissible_tickets(ENTRY);

    let mut running = gate.run(ENTRY);
    // The demo's few admissible badges, again and again: VALID, then ALREADY_SCANNED.
    for ticket in tickets.iter().cycle().take(300) {
        running.type_line(payload(ticket));
    }
    // Wait for some answers, then pull the plug in the middle of the burst.
    let mut answered: Vec<Value> = Vec::new();
    while answered.len() < 50 {
        match running.answer(Duration::from_secs(30)) {
            Some(a) => answered.push(a),
            None => panic!("the gate stopped answering after {}", answered.len()),
        }
    }
    running.kill_9();
    answered.extend(running.answers_so_far());
    assert!(
        answered.iter().all(|a| a["scan_id"].is_string()),
        "{answered:?}"
    );

    let export = gate.dir.path().join("evidence.csv");
    gate.cmd(&["export-logs", "--out", export.to_str().unwrap()]);
    let csv = std::fs::read_to_string(&export).unwrap();
    let recorded: HashSet<&str> = csv
        .lines()
        .skip(1)
        .filter_map(|l| l.split(',').next())
        .collect();
    for a in &answered {
        let id = a["scan_id"].as_str().unwrap();
        assert!(recorded.contains(id), "answered scan {id} was lost");
    }

    gate.sync();
    let on_server = count_by_id(&server.admin().access_logs(&server.event_id()));
    for a in &answered {
        assert_eq!(on_server.get(a["scan_id"].as_str().unwrap()), Some(&1));
    }
}

#[test]
fn two_gates_admitting_one_badge_offline_both_keep_their_scan_and_the_later_is_flagged() {
    let data = tempfile::tempdir().unwrap();
    let mut server = Server::start(data.path());
    let gate_a = paired_gate(&server, 0);
    let gate_b = paired_gate(&server, 1);
    let ticket = server.admissible_tickets(ENTRY)[3].clone();

    server.stop();
    let at_a = gate_a.scan(payload(&ticket), ENTRY);
    std::thread::sleep(Duration::from_millis(20));
    let at_b = gate_b.scan(payload(&ticket), ENTRY);
    assert_eq!(at_a["verdict"], "VALID");
    assert_eq!(
        at_b["verdict"], "VALID",
        "gate B could not know about gate A"
    );

    server.restart();
    gate_a.sync_with(&server);
    let b = gate_b.sync_with(&server);
    assert_eq!(b["offline_duplicates"], 1, "{b}");

    let logs = server.admin().access_logs(&server.event_id());
    let find = |id: &Value| {
        logs.iter()
            .find(|l| &l["id"] == id)
            .unwrap_or_else(|| panic!("scan {id} missing on the server"))
            .clone()
    };
    assert_eq!(find(&at_a["scan_id"])["offline_duplicate"], false);
    assert_eq!(find(&at_b["scan_id"])["offline_duplicate"], true);

    // Once both are synced, anti-passback holds across the two gates.
    gate_a.sync();
    assert_eq!(
        gate_a.scan(payload(&ticket), ENTRY)["verdict"],
        "ALREADY_SCANNED"
    );
}

#[test]
fn a_gate_clock_an_hour_fast_is_corrected_on_the_server() {
    let data = tempfile::tempdir().unwrap();
    let server = Server::start(data.path());
    let gate = Gate::new().with_env("GATEHOUSE_GATE_CLOCK_SKEW_MS", "3600000");
    gate.pair(&server, 0);
    let synced = gate.sync();
    let offset = synced["clock_offset_ms"].as_i64().unwrap();
    assert!((offset + 3_600_000).abs() < 60_000, "offset {offset}");

    let ticket = &server.admissible_tickets(ENTRY)[5];
    let answer = gate.scan(payload(ticket), ENTRY);
    assert_eq!(answer["verdict"], "VALID");
    gate.sync();

    let logs = server.admin().access_logs(&server.event_id());
    let log = logs
        .iter()
        .find(|l| l["id"] == answer["scan_id"])
        .expect("scan on the server");
    let device = log["device_time"].as_i64().unwrap();
    let corrected = log["corrected_time"].as_i64().unwrap();
    let server_time = log["server_time"].as_i64().unwrap();
    let hour = 3_600_000;
    assert!((device - corrected - hour).abs() < 60_000, "{log}");
    assert!((server_time - corrected).abs() < 60_000, "{log}");
}

#[test]
fn a_reissued_badge_revokes_the_old_qr_after_the_next_sync() {
    let data = tempfile::tempdir().unwrap();
    let server = Server::start(data.path());
    let gate = paired_gate(&server, 0);
    let ticket = &server.admissible_tickets(ENTRY)[7];
    let participant = ticket["participant_id"].as_str().unwrap();

    let new_payload = server.admin().reissue(participant);
    gate.sync();
    let old = gate.scan(payload(ticket), ENTRY);
    assert_eq!(old["verdict"], "REVOKED", "{old}");
    assert_eq!(old["reason_code"], "reissued");
    let new = gate.scan(&new_payload, ENTRY);
    assert_eq!(new["verdict"], "VALID", "{new}");
}

#[test]
fn a_revoked_gate_wipes_its_participant_cache() {
    let data = tempfile::tempdir().unwrap();
    let server = Server::start(data.path());
    let gate = paired_gate(&server, 0);
    assert!(gate.status()["participants"].as_u64().unwrap() > 0);
    let device = gate.status()["device_id"].as_str().unwrap().to_owned();

    server.admin().revoke_device(&device);
    let refused = gate.try_cmd(&["sync", "--once"]).unwrap_err();
    assert_eq!(refused["error"]["code"], "revoked", "{refused}");
    let status = gate.status();
    assert_eq!(status["participants"], 0);
    assert_eq!(status["revoked"], true);
    let ticket = &server.admissible_tickets(ENTRY)[0];
    let scan = gate.try_cmd(&["scan", "--payload", payload(ticket), "--checkpoint", ENTRY]);
    assert_eq!(scan.unwrap_err()["error"]["code"], "revoked");
}

#[test]
fn a_first_sync_cut_off_midway_resumes_where_it_stopped() {
    const PAGE: &str = "250";
    let data = tempfile::tempdir().unwrap();
    let server = Server::start(data.path());

    // A reference gate syncs everything through an unbroken relay: how many entries and bytes a
    // whole first sync is, in pages of 250.
    let reference = Gate::new();
    reference.pair(&server, 0);
    let whole = FlakyLink::start(&server.url, u64::MAX);
    let full = reference.cmd(&[
        "sync",
        "--once",
        "--server",
        &whole.url,
        "--page-limit",
        PAGE,
    ]);
    let total_entries = full["pulled"].as_u64().unwrap();
    let total_participants = reference.status()["participants"].as_u64().unwrap();
    assert!(total_participants >= 1000, "{full}");

    // The second gate's link drops when half of those bytes have arrived.
    let gate = Gate::new();
    gate.pair(&server, 1);
    let flaky = FlakyLink::start(&server.url, whole.delivered() / 2);
    let cut = gate
        .try_cmd(&[
            "sync",
            "--once",
            "--server",
            &flaky.url,
            "--page-limit",
            PAGE,
        ])
        .expect_err("a sync whose link dropped midway cannot succeed");
    assert!(cut["error"]["code"].is_string(), "{cut}");
    let partial = gate.status();
    assert_eq!(partial["online"], false, "{partial}");
    let kept = partial["participants"].as_u64().unwrap();
    assert!(
        kept > 0 && kept < total_participants,
        "the pages that arrived before the cut stay applied: {partial}"
    );
    assert!(partial["cursor"].as_i64().unwrap() > 0, "{partial}");

    // Back online: the gate asks only for what it is missing.
    let resumed = gate.sync_with(&server);
    let fetched = resumed["pulled"].as_u64().unwrap();
    assert!(
        fetched < total_entries,
        "resumed at its cursor: {fetched} entries fetched again, a whole sync is {total_entries}"
    );
    let done = gate.status();
    assert_eq!(done["participants"], total_participants, "{done}");
    assert_eq!(done["cursor"], reference.status()["cursor"], "{done}");

    // And the cache is whole: a badge decides as on the reference gate.
    let ticket = &server.admissible_tickets(ENTRY)[0];
    assert_eq!(gate.scan(payload(ticket), ENTRY)["verdict"], "VALID");
}
