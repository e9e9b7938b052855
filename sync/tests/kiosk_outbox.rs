//! A kiosk's visits and queue tickets in the store: their own outbox beside the scans', revisions
//! that keep a change made during an upload, and queue numbers that count per desk.

use gatehouse_core::protocol::KioskAck;
use gatehouse_core::{BadgeOutcome, Identification};
use gatehouse_sync::kiosk::{self, KioskRecord};
use gatehouse_sync::outbox::Batch;
use gatehouse_sync::test_support::*;
use gatehouse_sync::{Outbox, ScanOptions, Store};

fn kiosk_batch(store: &Store, limit: usize) -> Batch<KioskRecord> {
    Outbox::batch(store, 0, limit).unwrap()
}

#[test]
fn a_visit_changed_during_its_upload_stays_queued_at_the_new_revision() {
    let dir = tempfile::tempdir().unwrap();
    let amina = participant(1, "Amina Tesfaye");
    let mut store = paired_store(dir.path(), std::slice::from_ref(&amina));
    let pairing = store.require_pairing().unwrap();
    let mut visit = kiosk::new_session(&pairing, Some(amina.id), Some(Identification::Code), NOW);
    kiosk::save_session(&mut store, &mut visit).unwrap();
    let ticket = kiosk::issue_queue_ticket(
        &mut store,
        &pairing,
        Some(visit.id),
        "Registration",
        "",
        NOW,
    )
    .unwrap();
    assert_eq!((ticket.number, ticket.label.as_str()), (1, "R-001"));
    assert_eq!(Outbox::Kiosk.depth(&store).unwrap(), 2);

    let sent = kiosk_batch(&store, 100);
    let (sessions, tickets) = kiosk::split(&sent);
    assert_eq!((sessions.len(), tickets.len()), (1, 1));
    assert_eq!(sessions[0].revision, 1);
    // The attendee prints a badge while the upload is on its way.
    visit.badge = Some(BadgeOutcome::Printed);
    kiosk::save_session(&mut store, &mut visit).unwrap();
    let ack = KioskAck {
        sessions: vec![visit.id],
        tickets: vec![ticket.id],
        server_time: NOW,
    };
    Outbox::acknowledge(&mut store, &sent, kiosk::acknowledged(&ack)).unwrap();
    assert!(!Outbox::Kiosk
        .is_queued(&store, &ticket.id.to_string())
        .unwrap());
    assert!(Outbox::Kiosk
        .is_queued(&store, &visit.id.to_string())
        .unwrap());

    let next = kiosk_batch(&store, 100);
    let (sessions, tickets) = kiosk::split(&next);
    assert_eq!(sessions.len(), 1);
    assert_eq!(sessions[0].revision, 2);
    assert_eq!(sessions[0].badge, Some(BadgeOutcome::Printed));
    assert!(tickets.is_empty());
    Outbox::acknowledge(&mut store, &next, kiosk::acknowledged(&ack)).unwrap();
    assert_eq!(Outbox::Kiosk.depth(&store).unwrap(), 0);
    assert_eq!(kiosk::sessions(&store).unwrap(), vec![visit]);
}

#[test]
fn an_unacknowledged_record_stays_queued() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = paired_store(dir.path(), &[]);
    let pairing = store.require_pairing().unwrap();
    let mut visit = kiosk::new_session(&pairing, None, None, NOW);
    kiosk::save_session(&mut store, &mut visit).unwrap();
    let sent = kiosk_batch(&store, 100);
    let nothing = KioskAck {
        sessions: vec![],
        tickets: vec![],
        server_time: NOW,
    };
    Outbox::acknowledge(&mut store, &sent, kiosk::acknowledged(&nothing)).unwrap();
    assert!(Outbox::Kiosk
        .is_queued(&store, &visit.id.to_string())
        .unwrap());
}

#[test]
fn queue_numbers_count_per_desk_and_carry_on_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let pairing = {
        let mut store = paired_store(dir.path(), &[]);
        let pairing = store.require_pairing().unwrap();
        for expected in 1..=3 {
            let t = kiosk::issue_queue_ticket(&mut store, &pairing, None, "Registration", "", NOW)
                .unwrap();
            assert_eq!(t.number, expected);
        }
        // A kiosk of series B: its labels say so, the numbers still count per desk.
        let help =
            kiosk::issue_queue_ticket(&mut store, &pairing, None, "Help desk", "B", NOW).unwrap();
        assert_eq!((help.number, help.label.as_str()), (1, "HB-001"));
        pairing
    };
    let mut store = Store::open(dir.path(), gatehouse_sync::Durability::Normal).unwrap();
    let fourth =
        kiosk::issue_queue_ticket(&mut store, &pairing, None, "registration", "", NOW).unwrap();
    assert_eq!(fourth.number, 4);
    assert_eq!(kiosk::tickets(&store).unwrap().len(), 5);
}

#[test]
fn kiosk_records_stay_out_of_the_scan_outbox() {
    let dir = tempfile::tempdir().unwrap();
    let amina = participant(1, "Amina Tesfaye");
    drop(paired_store(dir.path(), std::slice::from_ref(&amina)));
    let mut station = station(dir.path());
    let entry = station.checkpoint("Main entrance").unwrap();
    let scan = station
        .scan(&payload(&amina), &entry, &ScanOptions::default())
        .unwrap();
    let pairing = station.store().require_pairing().unwrap();
    let mut visit = kiosk::new_session(&pairing, Some(amina.id), Some(Identification::Scan), NOW);
    visit.scan_id = Some(scan.scan_id());
    visit.verdict = Some(scan.verdict());
    kiosk::save_session(station.store_mut(), &mut visit).unwrap();
    assert_eq!(Outbox::Scans.depth(station.store()).unwrap(), 1);
    assert_eq!(Outbox::Kiosk.depth(station.store()).unwrap(), 1);
    let (sessions, _) = kiosk::split(&kiosk_batch(station.store(), 10));
    assert_eq!(sessions[0].scan_id, Some(scan.scan_id()));
    assert_eq!(sessions[0].outcome(), "checked_in");
}
