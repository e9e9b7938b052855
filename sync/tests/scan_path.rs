//! The scan path on its own, network down: every verdict a gate gives is decided and recorded
//! from the local store.

use gatehouse_core::protocol::{Change, Presented};
use gatehouse_core::{AccessLog, DeviceId, Movement, ParticipantStatus, Reason, ScanId, Verdict};
use gatehouse_sync::engine::apply_page;
use gatehouse_sync::test_support::*;
use gatehouse_sync::{read_scanner_line, Outbox, ScanOptions, Store};
use uuid::Uuid;

/// The scans waiting for upload, oldest first.
fn queued_scans(store: &Store) -> Vec<AccessLog> {
    let batch = Outbox::batch::<AccessLog>(store, 0, 10).unwrap();
    batch.records().cloned().collect()
}

#[test]
fn a_valid_badge_is_admitted_and_queued_for_upload() {
    let dir = tempfile::tempdir().unwrap();
    let p = participant(1, "Amina Yusuf");
    let store = paired_store(dir.path(), std::slice::from_ref(&p));
    let mut gate = station(dir.path());
    let entrance = gate.checkpoint("Main entrance").unwrap();

    let outcome = gate
        .scan(&payload(&p), &entrance, &ScanOptions::default())
        .unwrap();
    assert_eq!(outcome.verdict(), Verdict::Valid);
    assert_eq!(outcome.participant.as_ref().unwrap().name, "Amina Yusuf");
    assert_eq!(outcome.scan_id().0.get_version_num(), 7);

    let queued = queued_scans(&store);
    assert_eq!(queued.len(), 1);
    assert_eq!(queued[0].id, outcome.scan_id());
    assert_eq!(queued[0].participant_id, Some(p.id));
    let counters = gatehouse_sync::engine::occupancy_counters(&store).unwrap();
    assert_eq!((counters[0].ins, counters[0].outs), (1, 0));
}

#[test]
fn second_entry_without_exit_is_already_scanned() {
    let dir = tempfile::tempdir().unwrap();
    let p = participant(1, "Amina Yusuf");
    let _store = paired_store(dir.path(), std::slice::from_ref(&p));
    let mut gate = station(dir.path());
    let entrance = gate.checkpoint("Main entrance").unwrap();
    let none = ScanOptions::default();

    assert_eq!(
        gate.scan(&payload(&p), &entrance, &none).unwrap().verdict(),
        Verdict::Valid
    );
    let again = gate.scan(&payload(&p), &entrance, &none).unwrap();
    assert_eq!(again.verdict(), Verdict::AlreadyScanned);
    assert_eq!(again.decision.reason, Reason::AlreadyInside);

    let overridden = gate
        .scan(
            &payload(&p),
            &entrance,
            &ScanOptions {
                override_reason: Some("lost in the cloakroom".into()),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(overridden.verdict(), Verdict::ManualOverride);
    assert_eq!(
        overridden.log.override_reason.as_deref(),
        Some("lost in the cloakroom")
    );
}

#[test]
fn after_an_exit_the_same_badge_enters_again() {
    let dir = tempfile::tempdir().unwrap();
    let p = participant(1, "Amina Yusuf");
    let _store = paired_store(dir.path(), std::slice::from_ref(&p));
    let mut gate = station(dir.path());
    let entrance = gate.checkpoint("Main entrance").unwrap();
    let exit = gate.checkpoint("Main exit").unwrap();
    let none = ScanOptions::default();

    assert_eq!(
        gate.scan(&payload(&p), &entrance, &none).unwrap().verdict(),
        Verdict::Valid
    );
    let out = gate.scan(&payload(&p), &exit, &none).unwrap();
    assert_eq!(
        (out.verdict(), out.decision.movement),
        (Verdict::Valid, Some(Movement::Out))
    );
    assert_eq!(
        gate.scan(&payload(&p), &entrance, &none).unwrap().verdict(),
        Verdict::Valid
    );
}

#[test]
fn a_both_ways_door_follows_the_requested_direction() {
    let dir = tempfile::tempdir().unwrap();
    let p = participant(1, "Amina Yusuf");
    let _store = paired_store(dir.path(), std::slice::from_ref(&p));
    let mut gate = station(dir.path());
    let door = gate.checkpoint(&DOOR.to_string()).unwrap();
    let going = |m| ScanOptions {
        requested: Some(m),
        ..Default::default()
    };
    let first = gate
        .scan(&payload(&p), &door, &going(Movement::In))
        .unwrap();
    assert_eq!(first.decision.movement, Some(Movement::In));
    let out = gate
        .scan(&payload(&p), &door, &going(Movement::Out))
        .unwrap();
    assert_eq!(
        (out.verdict(), out.decision.movement),
        (Verdict::Valid, Some(Movement::Out))
    );
}

#[test]
fn a_typed_registration_code_finds_the_person() {
    let dir = tempfile::tempdir().unwrap();
    let p = participant(3, "Tesfaye Bekele");
    let _store = paired_store(dir.path(), std::slice::from_ref(&p));
    let mut gate = station(dir.path());
    let entrance = gate.checkpoint("Main entrance").unwrap();

    let typed = p.registration_code.to_lowercase().replace('-', " ");
    let presented = read_scanner_line(&format!("{typed}\r\n"));
    assert!(matches!(presented, Presented::RegistrationCode(_)));
    let outcome = gate
        .scan(&presented, &entrance, &Default::default())
        .unwrap();
    assert_eq!(outcome.verdict(), Verdict::Valid);
    assert_eq!(outcome.participant.unwrap().id, p.id);
}

#[test]
fn unreadable_unknown_and_mistyped_codes_are_answered_and_still_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let known = participant(1, "Known");
    let stranger = participant(2, "Not Synced");
    let store = paired_store(dir.path(), std::slice::from_ref(&known));
    let mut gate = station(dir.path());
    let entrance = gate.checkpoint("Main entrance").unwrap();
    let none = ScanOptions::default();

    let garbage = gate
        .scan(&read_scanner_line("hello world"), &entrance, &none)
        .unwrap();
    assert_eq!(garbage.verdict(), Verdict::Invalid);
    let unknown = gate.scan(&payload(&stranger), &entrance, &none).unwrap();
    assert_eq!(unknown.verdict(), Verdict::Unknown);
    let typo = gate
        .scan(
            &Presented::RegistrationCode("K7M-4QX-9P0".into()),
            &entrance,
            &none,
        )
        .unwrap();
    assert_eq!(
        (typo.verdict(), typo.decision.reason),
        (Verdict::Invalid, Reason::BadRegistrationCode)
    );
    assert_eq!(Outbox::Scans.depth(&store).unwrap(), 3);
}

#[test]
fn a_reissued_badge_revokes_the_old_qr_after_the_change_arrives() {
    let dir = tempfile::tempdir().unwrap();
    let p = participant(1, "Amina Yusuf");
    let old_ticket = payload(&p);
    let mut store = paired_store(dir.path(), std::slice::from_ref(&p));
    let mut gate = station(dir.path());
    let exit = gate.checkpoint("Main exit").unwrap();

    let mut reissued = p.clone();
    reissued.credential_seq = 2;
    apply_page(
        &mut store,
        &page(6, vec![Change::Participant(reissued.clone())]),
        0,
    )
    .unwrap();

    let old = gate.scan(&old_ticket, &exit, &Default::default()).unwrap();
    assert_eq!(
        (old.verdict(), old.decision.reason),
        (Verdict::Revoked, Reason::Reissued)
    );
    let new = gate
        .scan(&payload(&reissued), &exit, &Default::default())
        .unwrap();
    assert_eq!(new.verdict(), Verdict::Valid);
}

#[test]
fn another_gates_admission_from_the_feed_counts_for_anti_passback() {
    let dir = tempfile::tempdir().unwrap();
    let p = participant(1, "Amina Yusuf");
    let mut store = paired_store(dir.path(), std::slice::from_ref(&p));
    let elsewhere = AccessLog {
        id: ScanId(Uuid::now_v7()),
        event_id: EVENT,
        checkpoint_id: DOOR,
        zone_id: HALL,
        device_id: Some(DeviceId(Uuid::from_u128(0xde2))),
        participant_id: Some(p.id),
        credential_seq: Some(1),
        movement: Some(Movement::In),
        verdict: Verdict::Valid,
        reason: Reason::Admitted,
        override_reason: None,
        device_time: NOW,
        corrected_time: NOW,
    };
    apply_page(
        &mut store,
        &page(6, vec![Change::Scan(elsewhere.clone())]),
        0,
    )
    .unwrap();
    // The same change twice (a re-sent page) must not count twice.
    apply_page(&mut store, &page(7, vec![Change::Scan(elsewhere)]), 0).unwrap();

    let mut gate = station(dir.path());
    let entrance = gate.checkpoint("Main entrance").unwrap();
    let outcome = gate
        .scan(&payload(&p), &entrance, &Default::default())
        .unwrap();
    assert_eq!(outcome.verdict(), Verdict::AlreadyScanned);
    assert_eq!(
        Outbox::Scans.depth(&store).unwrap(),
        1,
        "other gates' scans are not re-uploaded"
    );
}

#[test]
fn cancelled_and_removed_participants_are_turned_away() {
    let dir = tempfile::tempdir().unwrap();
    let cancelled = participant(1, "Cancelled");
    let removed = participant(2, "Removed");
    let mut store = paired_store(dir.path(), &[cancelled.clone(), removed.clone()]);
    let mut now_cancelled = cancelled.clone();
    now_cancelled.status = ParticipantStatus::Cancelled;
    apply_page(
        &mut store,
        &page(
            7,
            vec![
                Change::Participant(now_cancelled),
                Change::ParticipantRemoved { id: removed.id },
            ],
        ),
        0,
    )
    .unwrap();
    let mut gate = station(dir.path());
    let entrance = gate.checkpoint("Main entrance").unwrap();
    let c = gate
        .scan(&payload(&cancelled), &entrance, &Default::default())
        .unwrap();
    assert_eq!(
        (c.verdict(), c.decision.reason),
        (Verdict::Revoked, Reason::Cancelled)
    );
    let r = gate
        .scan(&payload(&removed), &entrance, &Default::default())
        .unwrap();
    assert_eq!(r.verdict(), Verdict::Unknown);
}

#[test]
fn the_corrected_time_adds_the_known_offset_to_the_device_clock() {
    let dir = tempfile::tempdir().unwrap();
    let p = participant(1, "Amina Yusuf");
    let mut store = paired_store(dir.path(), std::slice::from_ref(&p));
    apply_page(&mut store, &page(6, vec![]), -3_600_000).unwrap();
    let mut gate = station(dir.path());
    let entrance = gate.checkpoint("Main entrance").unwrap();
    let outcome = gate
        .scan_at(
            &payload(&p),
            &entrance,
            &Default::default(),
            NOW + 3_600_000,
        )
        .unwrap();
    assert_eq!(outcome.log.device_time, NOW + 3_600_000);
    assert_eq!(outcome.log.corrected_time, NOW);
}

#[test]
fn an_unknown_checkpoint_name_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let _store = paired_store(dir.path(), &[]);
    let gate = station(dir.path());
    let err = gate.checkpoint("Back door").unwrap_err();
    assert_eq!(err.code(), "unknown_checkpoint");
    assert!(err.to_string().contains("Back door"));
}

#[test]
fn the_evidence_export_lists_every_scan_with_the_name() {
    let dir = tempfile::tempdir().unwrap();
    let p = participant(1, "Amina Yusuf");
    let store = paired_store(dir.path(), std::slice::from_ref(&p));
    let mut gate = station(dir.path());
    let entrance = gate.checkpoint("Main entrance").unwrap();
    gate.scan(&payload(&p), &entrance, &Default::default())
        .unwrap();
    gate.scan(&payload(&p), &entrance, &Default::default())
        .unwrap();

    let out = dir.path().join("evidence.csv");
    assert_eq!(
        gatehouse_sync::status::export_logs(&store, &out).unwrap(),
        2
    );
    let text = std::fs::read_to_string(&out).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3);
    assert!(lines[1].contains("Amina Yusuf") && lines[1].contains("VALID"));
    assert!(lines[2].contains("ALREADY_SCANNED"));
}

#[test]
fn a_name_that_is_a_formula_stays_text_in_the_evidence_export() {
    let dir = tempfile::tempdir().unwrap();
    let p = participant(1, "=HYPERLINK(\"http://evil.example\",\"Amina\")");
    let store = paired_store(dir.path(), std::slice::from_ref(&p));
    let mut gate = station(dir.path());
    let entrance = gate.checkpoint("Main entrance").unwrap();
    gate.scan(&payload(&p), &entrance, &Default::default())
        .unwrap();

    let out = dir.path().join("evidence.csv");
    gatehouse_sync::status::export_logs(&store, &out).unwrap();
    let mut rows = csv::Reader::from_path(&out).unwrap();
    let column = rows
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == "participant_name")
        .unwrap();
    let row = rows.records().next().unwrap().unwrap();
    assert_eq!(
        &row[column], "'=HYPERLINK(\"http://evil.example\",\"Amina\")",
        "a spreadsheet shows the name, it does not follow the link"
    );
}

#[test]
fn a_refused_scan_records_no_pass_and_the_export_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let p = participant(1, "Amina Yusuf");
    let store = paired_store(dir.path(), std::slice::from_ref(&p));
    let mut gate = station(dir.path());
    let entrance = gate.checkpoint("Main entrance").unwrap();
    let none = ScanOptions::default();
    gate.scan(&payload(&p), &entrance, &none).unwrap();
    let again = gate.scan(&payload(&p), &entrance, &none).unwrap();
    assert_eq!(again.verdict(), Verdict::AlreadyScanned);
    assert_eq!(
        again.log.movement, None,
        "a refusal at the entry is not an entry"
    );

    let queued = queued_scans(&store);
    assert_eq!(queued[1].movement, None);
    let out = dir.path().join("evidence.csv");
    gatehouse_sync::status::export_logs(&store, &out).unwrap();
    let text = std::fs::read_to_string(&out).unwrap();
    let header: Vec<&str> = text.lines().next().unwrap().split(',').collect();
    let column = header.iter().position(|h| *h == "movement").unwrap();
    let movements: Vec<String> = text
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(column).unwrap_or_default().to_owned())
        .collect();
    assert_eq!(movements, ["in", ""]);
}

#[test]
fn an_override_reason_given_when_nobody_was_inside_is_not_kept() {
    let dir = tempfile::tempdir().unwrap();
    let p = participant(1, "Amina Yusuf");
    let _store = paired_store(dir.path(), std::slice::from_ref(&p));
    let mut gate = station(dir.path());
    let entrance = gate.checkpoint("Main entrance").unwrap();
    let first = gate
        .scan(
            &payload(&p),
            &entrance,
            &ScanOptions {
                override_reason: Some("lost in the cloakroom".into()),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(first.verdict(), Verdict::Valid);
    assert_eq!(first.log.override_reason, None);
}

#[test]
fn a_genuine_badge_of_someone_not_synced_is_recorded_under_their_id() {
    let dir = tempfile::tempdir().unwrap();
    let known = participant(1, "Known");
    let stranger = participant(2, "Not Synced");
    let store = paired_store(dir.path(), std::slice::from_ref(&known));
    let mut gate = station(dir.path());
    let entrance = gate.checkpoint("Main entrance").unwrap();
    let unknown = gate
        .scan(&payload(&stranger), &entrance, &ScanOptions::default())
        .unwrap();
    assert_eq!(unknown.verdict(), Verdict::Unknown);
    assert_eq!(unknown.log.participant_id, Some(stranger.id));
    let queued = queued_scans(&store);
    assert_eq!(queued[0].participant_id, Some(stranger.id));
}

#[test]
fn scans_reach_the_database_file_itself_without_another_scan_paying_for_it() {
    // A scanning store folds its WAL into gate.db in the background: a copy of the database file
    // alone (no -wal beside it) soon holds every scan, although no later commit checkpointed.
    let dir = tempfile::tempdir().unwrap();
    let people: Vec<_> = (1..=40)
        .map(|n| participant(n, &format!("Delegate {n}")))
        .collect();
    drop(paired_store(dir.path(), &people));
    let mut gate = station(dir.path());
    let entrance = gate.checkpoint("Main entrance").unwrap();
    for p in &people {
        let outcome = gate
            .scan(&payload(p), &entrance, &ScanOptions::default())
            .unwrap();
        assert_eq!(outcome.verdict(), Verdict::Valid);
    }

    let key = std::fs::read_to_string(dir.path().join(gatehouse_sync::store::KEY_FILE)).unwrap();
    let key: Vec<u8> = (0..32)
        .map(|i| u8::from_str_radix(&key.trim()[2 * i..2 * i + 2], 16).unwrap())
        .collect();
    let key: [u8; 32] = key.try_into().unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let recorded = loop {
        let copy = tempfile::tempdir().unwrap();
        let file = copy.path().join("gate.db");
        std::fs::copy(dir.path().join(gatehouse_sync::store::DB_FILE), &file).unwrap();
        let store =
            gatehouse_sync::Store::open_file(&file, &key, gatehouse_sync::Durability::Normal)
                .unwrap();
        let recorded = store.local_scans().unwrap().len();
        if recorded == 40 || std::time::Instant::now() > deadline {
            break recorded;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    assert_eq!(recorded, 40, "scans still only in the WAL after 30 s");
}

#[test]
fn a_scan_leaves_the_outbox_only_once_the_server_acknowledged_it() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (participant(1, "Amina Yusuf"), participant(2, "Zoë Ndlovu"));
    let mut store = paired_store(dir.path(), &[a.clone(), b.clone()]);
    let mut gate = station(dir.path());
    let entrance = gate.checkpoint("Main entrance").unwrap();
    let none = ScanOptions::default();
    let first = gate.scan(&payload(&a), &entrance, &none).unwrap();
    let second = gate.scan(&payload(&b), &entrance, &none).unwrap();

    let sent = Outbox::batch::<AccessLog>(&store, 0, 10).unwrap();
    assert_eq!(sent.len(), 2);
    // The answer names only the first scan (the second was lost on the way, say).
    Outbox::acknowledge(&mut store, &sent, [first.scan_id()]).unwrap();
    let id = |s: &gatehouse_sync::ScanOutcome| s.scan_id().to_string();
    assert!(!Outbox::Scans.is_queued(&store, &id(&first)).unwrap());
    assert!(Outbox::Scans.is_queued(&store, &id(&second)).unwrap());
    assert_eq!(queued_scans(&store)[0].id, second.scan_id());
    // Nothing acknowledged: nothing leaves.
    let again = Outbox::batch::<AccessLog>(&store, 0, 10).unwrap();
    Outbox::acknowledge(&mut store, &again, []).unwrap();
    assert_eq!(Outbox::Scans.depth(&store).unwrap(), 1);
}
