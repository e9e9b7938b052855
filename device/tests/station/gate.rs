//! A gate: scans decided and recorded, the supervisor's override, codes typed by hand, search.

use gatehouse_core::{Reason, Verdict};
use gatehouse_device::station::Source;
use gatehouse_sync::test_support::ticket;

use crate::*;

#[test]
fn second_entry_is_already_scanned_and_a_supervisor_can_override_it_with_a_reason() {
    let d = device(GATE);
    let station = open(&d);
    at_the_entrance(&station);
    let first = station.scan(&ticket(&d.people[0]), Source::Camera).unwrap();
    assert_eq!(first.participant.as_ref().unwrap().name, "Zoë Ndlovu");
    let again = station.scan(&ticket(&d.people[0]), Source::Wedge).unwrap();
    assert_eq!(
        (again.verdict(), again.reason()),
        (Verdict::AlreadyScanned, Reason::AlreadyInside)
    );
    let again_id = again.scan_id().to_string();

    let no_reason = station.override_scan(&again_id, "  ").unwrap_err();
    assert_eq!(no_reason.code(), "reason_required");
    let not_refused = station
        .override_scan(&first.scan_id().to_string(), "x")
        .unwrap_err();
    assert_eq!(not_refused.code(), "not_overridable");
    let unknown = station.override_scan("not-a-scan", "x").unwrap_err();
    assert_eq!(unknown.code(), "unknown_scan");

    let over = station.override_scan(&again_id, "Lost wristband").unwrap();
    assert_eq!(
        (over.verdict(), over.reason()),
        (Verdict::ManualOverride, Reason::AdmittedOnOverride)
    );
    assert_eq!(over.log.override_reason.as_deref(), Some("Lost wristband"));
    let recent: Vec<_> = station
        .recent_scans(10)
        .into_iter()
        .map(|r| r.verdict())
        .collect();
    assert_eq!(
        recent,
        [
            Verdict::ManualOverride,
            Verdict::AlreadyScanned,
            Verdict::Valid
        ]
    );
    assert_eq!(station.status().unwrap().outbox_depth, 3);
}

#[test]
fn a_refusal_records_no_pass() {
    let d = device(GATE);
    let station = open(&d);
    at_the_entrance(&station);
    let first = station.scan(&ticket(&d.people[0]), Source::Camera).unwrap();
    let again = station.scan(&ticket(&d.people[0]), Source::Camera).unwrap();
    assert_eq!(first.movement(), Some(gatehouse_core::Movement::In));
    assert_eq!(again.verdict(), Verdict::AlreadyScanned);
    assert_eq!(again.movement(), None, "a refused entry is not an entry");
    let occupancy = station.status().unwrap().occupancy.unwrap();
    assert_eq!(
        (occupancy.zone.as_str(), occupancy.inside),
        ("Plenary hall", 1)
    );
}

#[test]
fn a_profile_without_overrides_refuses_them() {
    let d = device(&GATE.replace("override = true", "override = false"));
    let station = open(&d);
    at_the_entrance(&station);
    station.scan(&ticket(&d.people[0]), Source::Camera).unwrap();
    let again = station.scan(&ticket(&d.people[0]), Source::Camera).unwrap();
    assert_eq!(
        station
            .override_scan(&again.scan_id().to_string(), "VIP")
            .unwrap_err()
            .code(),
        "override_forbidden"
    );
}

#[test]
fn a_scan_made_before_a_restart_cannot_be_overridden() {
    let d = device(GATE);
    let again = {
        let station = open(&d);
        at_the_entrance(&station);
        station.scan(&ticket(&d.people[0]), Source::Camera).unwrap();
        station.scan(&ticket(&d.people[0]), Source::Camera).unwrap()
    };
    let station = open(&d);
    let listed = station.recent_scans(1);
    assert_eq!(listed[0].verdict(), Verdict::AlreadyScanned);
    assert_eq!(
        station
            .override_scan(&again.scan_id().to_string(), "VIP")
            .unwrap_err()
            .code(),
        "unknown_scan"
    );
}

#[test]
fn a_typed_registration_code_admits_and_garbage_is_answered_not_failed() {
    let d = device(GATE);
    let station = open(&d);
    at_the_entrance(&station);
    let code = d.people[1].registration_code.to_lowercase();
    let typed = station.scan(&code, Source::Manual).unwrap();
    assert_eq!(typed.verdict(), Verdict::Valid);
    assert_eq!(typed.participant.unwrap().name, "Amina Tesfaye");
    let garbage = station.scan("hello", Source::Manual).unwrap();
    assert_eq!(
        (garbage.verdict(), garbage.reason().code()),
        (Verdict::Invalid, "bad_registration_code")
    );
}

#[test]
fn search_finds_people_by_name_without_accents() {
    let d = device(GATE);
    let station = open(&d);
    let hits = station.search("zoe", 21).unwrap();
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].name, "Zoë Ndlovu");
    assert_eq!(hits[0].status.as_str(), "approved");
}

#[test]
fn search_sees_a_participant_the_feed_brought_after_the_first_search() {
    let d = device(GATE);
    let station = open(&d);
    assert!(station.search("Abebech", 21).unwrap().is_empty());
    let newcomer = gatehouse_sync::test_support::participant(3, "Abebech Gobena");
    let mut store = store(&d);
    let page = gatehouse_sync::test_support::page(
        store.cursor().unwrap(),
        vec![gatehouse_core::protocol::Change::Participant(newcomer)],
    );
    gatehouse_sync::engine::apply_page(&mut store, &page, 0).unwrap();
    let hits = station.search("Abebech", 21).unwrap();
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].name, "Abebech Gobena");
}
