//! A gate whose scans the server will not take: paired again, revoked, or refused. Its scans are
//! never stranded in silence and it never stops receiving its feed. The real `gatehouse-server
//! demo` and `gatehouse-gate` over 127.0.0.1.

use gatehouse_e2e::{Gate, Server};
use serde_json::Value;

const ENTRY: &str = "Main gate entry";

fn payload(ticket: &Value) -> &str {
    ticket["payload"].as_str().expect("payload")
}

#[test]
fn a_revoked_gate_keeps_its_waiting_scans_and_pairs_again_only_once_they_are_exported() {
    let data = tempfile::tempdir().unwrap();
    let mut server = Server::start(data.path());
    let gate = Gate::new();
    gate.pair(&server, 0);
    gate.sync();
    let device = gate.status()["device_id"].as_str().unwrap().to_owned();

    // The network goes; the gate goes on scanning.
    server.stop();
    let tickets = server.admissible_tickets(ENTRY);
    let scan_ids: Vec<String> = tickets[..2]
        .iter()
        .map(|t| {
            gate.scan(payload(t), ENTRY)["scan_id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();

    // Meanwhile the organiser revokes the laptop (it was reported stolen, then found).
    server.restart();
    server.admin().revoke_device(&device);
    let refused = gate.try_cmd(&["sync", "--once", "--server", &server.url]);
    assert_eq!(refused.unwrap_err()["error"]["code"], "revoked");
    let status = gate.status();
    assert_eq!(status["revoked"], true);
    assert_eq!(
        status["outbox_depth"], 2,
        "the waiting scans survive the wipe: {status}"
    );

    // Pairing it again as a new device would strand them: refused, and the code is not spent.
    let code = server.pairing_code(1);
    let again = gate
        .try_cmd(&["pair", "--server", &server.url, "--code", &code])
        .unwrap_err();
    assert_eq!(again["error"]["code"], "records_waiting", "{again}");
    let message = again["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("2 scan(s)") && message.contains("--export-queued"),
        "{message}"
    );

    let evidence = gate.dir.path().join("waiting.csv");
    let paired = gate.cmd(&[
        "pair",
        "--server",
        &server.url,
        "--code",
        &code,
        "--export-queued",
        evidence.to_str().unwrap(),
    ]);
    assert_eq!(paired["paired"], true, "{paired}");
    assert_eq!(paired["exported"], 2);
    let csv = std::fs::read_to_string(&evidence).unwrap();
    for id in &scan_ids {
        assert!(
            csv.contains(id.as_str()),
            "{id} missing from the export:\n{csv}"
        );
    }

    let synced = gate.sync();
    assert_eq!(synced["outbox_depth"], 0, "{synced}");
    assert!(synced["pulled"].as_u64().unwrap() > 1000, "{synced}");
    assert_ne!(gate.status()["device_id"], device.as_str());
}

#[test]
fn scans_the_server_refuses_wait_while_the_feed_still_arrives() {
    let data = tempfile::tempdir().unwrap();
    let server = Server::start(data.path());
    // A gate whose clock reads past the year 9999: the server refuses its scans as badly timed.
    let gate = Gate::new().with_env("GATEHOUSE_GATE_CLOCK_SKEW_MS", "253402300800000");
    gate.pair(&server, 0);
    gate.sync();
    let ticket = &server.admissible_tickets(ENTRY)[3];
    gate.scan(payload(ticket), ENTRY);

    // A badge is reissued on the server: the gate learns it only through its feed.
    let participant = ticket["participant_id"].as_str().unwrap();
    server.admin().reissue(participant);
    let before = gate.status()["cursor"].as_i64().unwrap();
    let synced = gate.sync();
    let why = synced["scans_refused"].as_str().unwrap_or_default();
    assert!(why.starts_with("bad_time"), "{synced}");
    assert_eq!(synced["outbox_depth"], 1, "the refused scan stays queued");
    assert!(synced["pulled"].as_u64().unwrap() >= 1, "{synced}");

    let status = gate.status();
    assert!(status["cursor"].as_i64().unwrap() > before, "{status}");
    assert_eq!(status["scans_refused"], synced["scans_refused"]);
    let old = gate.scan(payload(ticket), ENTRY);
    assert_eq!(old["verdict"], "REVOKED", "{old}");
}
