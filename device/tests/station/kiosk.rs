//! A kiosk: attendees find themselves, check in, take a badge and a queue number; each visit is
//! recorded with every outcome and waits for the server beside the scans.

use gatehouse_core::{BadgeOutcome, Identification, Verdict};
use gatehouse_device::station::Source;
use gatehouse_sync::test_support::{participant, ticket};

use crate::*;

#[test]
fn a_kiosk_check_in_goes_through_the_same_decision_as_a_scan() {
    let d = device(GATE);
    let station = open(&d);
    at_the_entrance(&station);
    let id = d.people[1].id.to_string();
    assert_eq!(
        station.kiosk_check_in(&id).unwrap().verdict(),
        Verdict::Valid
    );
    assert_eq!(
        station.kiosk_check_in(&id).unwrap().verdict(),
        Verdict::AlreadyScanned
    );
    assert_eq!(
        station.kiosk_check_in("nobody").unwrap_err().code(),
        "bad_participant_id"
    );
    let stranger = participant(99, "Not Synced").id.to_string();
    assert_eq!(
        station.kiosk_check_in(&stranger).unwrap_err().code(),
        "unknown_participant"
    );
    assert!(!station.print_badge(&id).unwrap().printed);
}

#[test]
fn a_kiosk_badge_is_saved_without_a_printer_and_sent_to_the_queue_with_one() {
    let d = device(GATE);
    let station = open(&d);
    at_the_entrance(&station);
    let id = d.people[1].id.to_string();
    let saved = station.print_badge(&id).unwrap();
    assert!(!saved.printed);
    assert!(saved.file.starts_with(d.config.data.join("badges")));
    assert!(std::fs::read(&saved.file).unwrap().starts_with(b"%PDF-1.4"));

    let queued = device(&format!("{GATE}[printer]\nqueue = \"badges\"\n"));
    let id = queued.people[1].id.to_string();
    // `true` and `false` stand in for CUPS's lp (no print server here).
    let accepting = open_printing_with(&queued, "true");
    assert!(accepting.print_badge(&id).unwrap().printed);
    let first = accepting.queue_ticket("registration").unwrap();
    drop(accepting);
    let refusing = open_printing_with(&queued, "false");
    let refused = refusing.print_badge(&id).unwrap_err();
    assert_eq!(refused.code(), "printer_failed");

    // A queue ticket is printed beside the badges; a printer fault never costs the number.
    let second = refusing.queue_ticket("registration").unwrap();
    assert_eq!((first.number, second.number), (1, 2));
    assert_eq!(
        (first.label.as_str(), second.label.as_str()),
        ("R-001", "R-002")
    );
    // Each printed ticket is filed under the label the desk calls out.
    let mut tickets: Vec<String> = std::fs::read_dir(queued.config.data.join("badges"))
        .unwrap()
        .map(|f| f.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with("queue-"))
        .collect();
    tickets.sort();
    assert_eq!(tickets.len(), 2, "{tickets:?}");
    assert!(tickets[0].starts_with("queue-R-001-"), "{tickets:?}");
    assert!(tickets[1].starts_with("queue-R-002-"), "{tickets:?}");
}

#[test]
fn queue_numbers_count_up_per_desk() {
    let d = device(GATE);
    let station = open(&d);
    assert_eq!(station.queue_ticket("registration").unwrap().number, 1);
    assert_eq!(station.queue_ticket("registration").unwrap().number, 2);
    let help = station.queue_ticket("help").unwrap();
    assert_eq!((help.number, help.desk.as_str()), (1, "Help desk"));
    assert_eq!(
        station.queue_ticket("bar").unwrap_err().code(),
        "unknown_desk"
    );
}

#[test]
fn two_kiosks_at_one_desk_hand_out_labels_of_their_own_series() {
    let first = device(GATE);
    let second = device(&GATE.replacen("[sound]", "queue_series = \"B\"\n[sound]", 1));
    let a = open(&first).queue_ticket("registration").unwrap();
    let b = open(&second).queue_ticket("registration").unwrap();
    assert_eq!((a.number, b.number), (1, 1));
    assert_eq!((a.label.as_str(), b.label.as_str()), ("R-001", "RB-001"));
}

#[test]
fn kiosk_find_rejects_a_malformed_date_of_birth() {
    let dir = tempfile::tempdir().unwrap();
    let station = unpaired(dir.path());
    assert_eq!(
        station.kiosk_find("Zoe", "25/04/1990").unwrap_err().code(),
        "bad_date_of_birth"
    );
}

#[test]
fn a_kiosk_finds_an_attendee_by_name_and_date_of_birth_only_when_both_agree() {
    let d = device(KIOSK);
    let station = open(&d);
    let find = |name: &str, born: &str| {
        station
            .kiosk_find(name, born)
            .unwrap()
            .into_iter()
            .map(|h| h.name)
            .collect::<Vec<_>>()
    };
    assert_eq!(find("amina", AMINA_BORN), ["Amina Tesfaye"]);
    assert_eq!(find("Tesfaye", AMINA_BORN), ["Amina Tesfaye"]);
    assert!(
        find("Amina", "1990-04-26").is_empty(),
        "a wrong date lists nobody"
    );
    assert!(find("Zoe", AMINA_BORN).is_empty(), "another person's date");
    assert!(find("a", AMINA_BORN).is_empty(), "too short a name");
    // The one found checks in from the list like any kiosk attendee.
    let hit = station.kiosk_find("Amina", AMINA_BORN).unwrap();
    at_the_entrance(&station);
    assert_eq!(
        station
            .kiosk_check_in(&hit[0].id.to_string())
            .unwrap()
            .verdict(),
        Verdict::Valid
    );
}

#[test]
fn a_common_first_name_still_finds_the_one_born_that_day() {
    // 400 other Aminas, whose names sort before Amina Tesfaye's.
    let others = (0..400)
        .map(|n| participant(100 + n, &format!("Amina Abebe {n:03}")))
        .collect();
    let d = device_with(KIOSK, others);
    let station = open(&d);
    let found = station.kiosk_find("Amina", AMINA_BORN).unwrap();
    let names: Vec<&str> = found.iter().map(|h| h.name.as_str()).collect();
    assert_eq!(names, ["Amina Tesfaye"]);
}

#[test]
fn a_kiosk_check_in_badge_and_queue_ticket_make_one_visit_with_every_outcome() {
    let d = device(KIOSK);
    let station = open(&d);
    at_the_entrance(&station);
    let amina = d.people[1].id.to_string();
    assert_eq!(
        station.kiosk_check_in(&amina).unwrap().verdict(),
        Verdict::Valid
    );
    assert!(!station.print_badge(&amina).unwrap().printed);
    let number = station.queue_ticket("registration").unwrap();
    assert_eq!((number.number, number.label.as_str()), (1, "R-001"));
    station.kiosk_session_end(Some("fr")).unwrap();
    station.kiosk_session_end(Some("en")).unwrap(); // nothing open: nothing changes

    let visits = visits(&d);
    assert_eq!(visits.len(), 1);
    let visit = &visits[0];
    assert_eq!(visit.participant_id, Some(d.people[1].id));
    assert_eq!(visit.identified_by, Some(Identification::Search));
    assert_eq!(visit.verdict, Some(Verdict::Valid));
    assert_eq!(visit.outcome(), "checked_in");
    assert_eq!(visit.badge, Some(BadgeOutcome::Saved));
    assert_eq!(visit.queue_ticket_id, Some(number.id));
    assert_eq!(visit.language.as_deref(), Some("fr"));
    assert!(visit.ended_at.is_some_and(|end| end >= visit.started_at));
    let tickets = gatehouse_sync::kiosk::tickets(&store(&d)).unwrap();
    assert_eq!(tickets.len(), 1);
    assert_eq!(tickets[0].session_id, Some(visit.id));
    assert_eq!(tickets[0].desk, "Registration");
    // One visit and one ticket wait for the server beside the scan.
    let status = station.status().unwrap();
    assert_eq!((status.outbox_depth, status.kiosk_outbox_depth), (1, 2));
}

#[test]
fn the_next_attendee_ends_the_last_ones_visit_and_a_misread_opens_none() {
    let d = device(KIOSK);
    let station = open(&d);
    at_the_entrance(&station);
    let typed = d.people[0].registration_code.clone();
    assert_eq!(
        station.scan(&typed, Source::Manual).unwrap().verdict(),
        Verdict::Valid
    );
    assert_eq!(
        station.scan("hello", Source::Manual).unwrap().verdict(),
        Verdict::Invalid
    );
    assert_eq!(visits(&d).len(), 1, "a misread identifies nobody");
    let next = station.scan(&ticket(&d.people[1]), Source::Camera).unwrap();
    assert_eq!(next.verdict(), Verdict::Valid);

    let visits = visits(&d);
    assert_eq!(visits.len(), 2);
    let (first, second) = (&visits[0], &visits[1]);
    assert_eq!(first.participant_id, Some(d.people[0].id));
    assert_eq!(first.identified_by, Some(Identification::Code));
    assert!(first.ended_at.is_some(), "ended by the next attendee");
    assert_eq!(second.participant_id, Some(d.people[1].id));
    assert_eq!(second.identified_by, Some(Identification::Scan));
    assert_eq!(second.scan_id, Some(next.scan_id()));
    assert_eq!(second.ended_at, None, "still at the kiosk");
}

#[test]
fn a_visit_keeps_the_language_it_was_made_in_when_the_next_attendee_ends_it() {
    let d = device(KIOSK);
    let station = open(&d);
    at_the_entrance(&station);
    station.kiosk_language("fr");
    let typed = d.people[0].registration_code.clone();
    assert_eq!(
        station.scan(&typed, Source::Manual).unwrap().verdict(),
        Verdict::Valid
    );
    // The next attendee switches to Arabic before showing their badge to the camera.
    station.kiosk_language("ar");
    station.kiosk_language("<script>"); // not a language: ignored
    station.scan(&ticket(&d.people[1]), Source::Camera).unwrap();
    let visits = visits(&d);
    assert_eq!(visits.len(), 2);
    assert_eq!(visits[0].language.as_deref(), Some("fr"));
    assert!(visits[0].ended_at.is_some());
    assert_eq!(visits[1].language.as_deref(), Some("ar"));
}

#[test]
fn someone_nobody_could_identify_still_gets_a_visit_with_a_help_desk_number() {
    let d = device(KIOSK);
    let station = open(&d);
    let help = station.queue_ticket("help").unwrap();
    assert_eq!(help.label, "H-001");
    station.kiosk_session_end(Some("ar")).unwrap();
    let visits = visits(&d);
    assert_eq!(visits.len(), 1);
    assert_eq!(visits[0].outcome(), "help");
    assert_eq!(visits[0].language.as_deref(), Some("ar"));
}

#[test]
fn a_gate_records_no_visits_but_queues_its_tickets() {
    let d = device(GATE);
    let station = open(&d);
    at_the_entrance(&station);
    station.scan(&ticket(&d.people[0]), Source::Camera).unwrap();
    station.queue_ticket("registration").unwrap();
    station.kiosk_session_end(Some("en")).unwrap();
    assert!(visits(&d).is_empty());
    assert_eq!(station.status().unwrap().kiosk_outbox_depth, 1);
}
