//! A kiosk's visits and queue tickets reach the real `gatehouse-server` through the same outbox
//! discipline as scans: recorded with the network down, kept through a failed upload and through
//! the server's refusal while the tenant has no `KIOSK_MODE`, gone from the outbox only once the
//! server acknowledged them. The kiosk side is `gatehouse-sync` itself (the store, the scan
//! station and the sync engine the app runs).

use gatehouse_core::protocol::Presented;
use gatehouse_core::Identification;
use gatehouse_e2e::Server;
use gatehouse_sync::status::gate_status;
use gatehouse_sync::store::meta;
use gatehouse_sync::{
    kiosk, Clock, Durability, EngineConfig, Outbox, ScanOptions, ScanStation, Store,
};
use gatehouse_sync::{SyncEngine, SyncError};

const ENTRY: &str = "Main gate entry";

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
}

/// Switches the demo tenant's KIOSK_MODE in the server's database, as an operator would.
fn set_kiosk_mode(server: &Server, on: bool) {
    let db = rusqlite::Connection::open(server.data.join("gatehouse.db")).expect("server db");
    db.busy_timeout(std::time::Duration::from_secs(10)).unwrap();
    let changed = db
        .execute(
            "UPDATE tenant_features SET enabled = ?1 WHERE flag = 'KIOSK_MODE'",
            [i64::from(on)],
        )
        .expect("update the flag");
    assert_eq!(changed, 1, "the demo tenant has a KIOSK_MODE flag");
}

fn quick() -> EngineConfig {
    EngineConfig {
        request_timeout: std::time::Duration::from_secs(10),
        ..EngineConfig::default()
    }
}

#[test]
fn kiosk_visits_and_tickets_wait_out_an_outage_and_a_refusal_then_reach_the_server_once() {
    let data = tempfile::tempdir().unwrap();
    let mut server = Server::start(data.path());
    let device = tempfile::tempdir().unwrap();
    let rt = runtime();
    let clock = Clock::system();

    let mut store = Store::open(device.path(), Durability::Normal).unwrap();
    rt.block_on(gatehouse_sync::pair(
        &mut store,
        &server.url,
        &server.pairing_code(0),
        Some("self-service-kiosk".to_owned()),
        clock,
    ))
    .expect("pairing");
    store.set_meta(meta::MODE, "kiosk").unwrap();
    let mut engine = SyncEngine::new(
        Store::open(device.path(), Durability::Normal).unwrap(),
        clock,
        quick(),
    )
    .unwrap();
    let first = rt.block_on(engine.sync_once()).expect("first sync");
    assert!(first.pulled > 1000, "{first:?}");
    let kiosks = server.admin().kiosk("devices");
    assert_eq!(
        kiosks["kiosks"].as_array().map(Vec::len),
        Some(1),
        "the kiosk announced itself: {kiosks}"
    );

    // The network goes; an attendee checks in by QR and takes a queue number.
    server.stop();
    let mut station = ScanStation::new(store, clock).unwrap();
    let entry = station.checkpoint(ENTRY).unwrap();
    let attendee = server.admissible_tickets(ENTRY)[0].clone();
    let scan = station
        .scan(
            &Presented::Payload(attendee["payload"].as_str().unwrap().to_owned()),
            &entry,
            &ScanOptions::default(),
        )
        .unwrap();
    assert_eq!(scan.verdict().as_str(), "VALID");
    let pairing = station.store().require_pairing().unwrap();
    let mut visit = kiosk::new_session(
        &pairing,
        scan.participant.as_ref().map(|p| p.id),
        Some(Identification::Scan),
        scan.log.device_time,
    );
    visit.scan_id = Some(scan.scan_id());
    visit.verdict = Some(scan.verdict());
    kiosk::save_session(station.store_mut(), &mut visit).unwrap();
    let ticket = kiosk::issue_queue_ticket(
        station.store_mut(),
        &pairing,
        Some(visit.id),
        "Accreditation",
        "",
        scan.log.device_time,
    )
    .unwrap();
    visit.queue_ticket_id = Some(ticket.id);
    visit.ended_at = Some(scan.log.device_time + 30_000);
    visit.language = Some("am".to_owned());
    kiosk::save_session(station.store_mut(), &mut visit).unwrap();

    let (visit_id, ticket_id) = (visit.id.to_string(), ticket.id.to_string());
    let queued = |store: &Store| {
        (
            Outbox::Kiosk.is_queued(store, &visit_id).unwrap(),
            Outbox::Kiosk.is_queued(store, &ticket_id).unwrap(),
        )
    };
    let failed = rt.block_on(engine.sync_once());
    assert!(matches!(failed, Err(SyncError::Offline(_))), "{failed:?}");
    assert_eq!(
        queued(engine.store()),
        (true, true),
        "an outage loses nothing"
    );

    // Back online, but the tenant has kiosk mode off: scans go, kiosk records wait.
    server.restart();
    engine.store().set_server_url(&server.url).unwrap();
    set_kiosk_mode(&server, false);
    let refused = rt
        .block_on(engine.sync_once())
        .expect("the round itself succeeds");
    assert_eq!(
        (refused.pushed, refused.outbox_depth),
        (1, 0),
        "{refused:?}"
    );
    assert!(
        refused
            .kiosk_refused
            .as_deref()
            .is_some_and(|why| why.starts_with("feature_disabled")),
        "{refused:?}"
    );
    assert_eq!(refused.kiosk_outbox_depth, 2);
    assert_eq!(
        queued(engine.store()),
        (true, true),
        "a refusal loses nothing"
    );
    let status = gate_status(engine.store()).unwrap();
    assert_eq!(status.kiosk_outbox_depth, 2);
    assert!(status.online, "scans still sync: {status:?}");

    // Switched on: both leave the outbox, and the server holds each once.
    set_kiosk_mode(&server, true);
    let accepted = rt.block_on(engine.sync_once()).expect("sync");
    assert_eq!(
        (accepted.kiosk_pushed, accepted.kiosk_outbox_depth),
        (2, 0),
        "{accepted:?}"
    );
    assert_eq!(accepted.kiosk_refused, None);
    assert_eq!(queued(engine.store()), (false, false));
    assert_eq!(gate_status(engine.store()).unwrap().kiosk_refused, None);
    let again = rt.block_on(engine.sync_once()).expect("sync");
    assert_eq!(again.kiosk_pushed, 0, "nothing left to send: {again:?}");

    let admin = server.admin();
    let sessions = admin.kiosk("sessions");
    let listed: Vec<_> = sessions["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["id"] == visit_id.as_str())
        .collect();
    assert_eq!(listed.len(), 1, "{sessions}");
    let on_server = listed[0];
    assert_eq!(on_server["outcome"], "checked_in");
    assert_eq!(on_server["identified_by"], "scan");
    assert_eq!(on_server["language"], "am");
    assert_eq!(on_server["participant_name"], attendee["name"]);
    assert_eq!(on_server["queue_ticket"], "A-001");
    let queue = admin.kiosk("queue");
    let waiting = queue["waiting"].as_array().unwrap();
    assert_eq!(waiting.len(), 1, "{queue}");
    assert_eq!(
        (
            &waiting[0]["id"],
            &waiting[0]["desk"],
            &waiting[0]["status"]
        ),
        (
            &serde_json::json!(ticket_id),
            &serde_json::json!("Accreditation"),
            &serde_json::json!("waiting")
        )
    );
    let kiosks = admin.kiosk("devices");
    assert_eq!(kiosks["kiosks"][0]["sessions"], 1, "{kiosks}");
    assert_eq!(kiosks["kiosks"][0]["checked_in"], 1, "{kiosks}");
    assert_eq!(kiosks["kiosks"][0]["kiosk_outbox_depth"], 0, "{kiosks}");
}
