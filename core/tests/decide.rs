//! Every verdict and every entry/exit transition, as a gate supervisor would describe them.

use gatehouse_core::decide::{
    decide, is_inside, Credential, PastScan, Reason, ScanInput, Signal, Verdict, Warning,
};
use gatehouse_core::*;
use uuid::Uuid;

const NOW: Millis = 1_790_000_000_000;
const HOUR: Millis = 3_600_000;

struct Venue {
    event: EventId,
    hall: Zone,
    expo: Zone,
    entry: Checkpoint,
    exit: Checkpoint,
    door: Checkpoint,
    expo_gate: Checkpoint,
}

fn venue() -> Venue {
    let event = EventId(Uuid::from_u128(1));
    let hall = Zone {
        id: ZoneId(Uuid::from_u128(10)),
        event_id: event,
        name: "Plenary hall".into(),
        capacity: Some(2),
        multiple_entry: false,
    };
    let expo = Zone {
        id: ZoneId(Uuid::from_u128(11)),
        event_id: event,
        name: "Exhibition".into(),
        capacity: None,
        multiple_entry: true,
    };
    let cp = |n: u128, zone: &Zone, direction| Checkpoint {
        id: CheckpointId(Uuid::from_u128(n)),
        event_id: event,
        zone_id: zone.id,
        name: format!("checkpoint {n}"),
        direction,
        active: true,
    };
    Venue {
        event,
        entry: cp(20, &hall, Direction::Entry),
        exit: cp(21, &hall, Direction::Exit),
        door: cp(22, &hall, Direction::Both),
        expo_gate: cp(23, &expo, Direction::Entry),
        hall,
        expo,
    }
}

fn delegate(v: &Venue) -> Participant {
    Participant {
        id: ParticipantId(Uuid::from_u128(100)),
        event_id: v.event,
        full_name: "Selam Tesfaye".into(),
        organisation: Some("African Union".into()),
        category: "Delegate".into(),
        status: ParticipantStatus::Approved,
        zones: vec![v.hall.id, v.expo.id],
        valid_from: Some(NOW - 24 * HOUR),
        valid_until: Some(NOW + 24 * HOUR),
        credential_seq: 1,
        blocked: false,
        registration_code: "K7M4QX9PT".into(),
        birth_check: None,
    }
}

fn ticket(p: &Participant, seq: u16) -> Credential {
    Credential::Ticket(TicketClaims {
        participant_id: p.id,
        issued_at: NOW - HOUR,
        credential_seq: seq,
    })
}

fn passed(zone: &Zone, movement: Movement, verdict: Verdict, at: Millis) -> PastScan {
    PastScan {
        zone_id: zone.id,
        movement,
        verdict,
        at,
    }
}

/// A scan with sensible defaults that each test changes one thing of.
struct Scan<'a> {
    credential: Credential,
    participant: Option<&'a Participant>,
    checkpoint: &'a Checkpoint,
    zone: &'a Zone,
    history: Vec<PastScan>,
    requested: Option<Movement>,
    override_reason: Option<&'a str>,
    occupancy: Option<u32>,
}

impl<'a> Scan<'a> {
    fn at(checkpoint: &'a Checkpoint, zone: &'a Zone, p: &'a Participant) -> Self {
        Scan {
            credential: ticket(p, p.credential_seq),
            participant: Some(p),
            checkpoint,
            zone,
            history: vec![],
            requested: None,
            override_reason: None,
            occupancy: None,
        }
    }

    fn decide(&self) -> Decision {
        decide(&ScanInput {
            credential: &self.credential,
            participant: self.participant,
            checkpoint: self.checkpoint,
            zone: self.zone,
            history: &self.history,
            requested: self.requested,
            override_reason: self.override_reason,
            occupancy: self.occupancy,
            now: NOW,
        })
    }
}

#[test]
fn an_approved_delegate_with_access_is_valid_on_entry() {
    let v = venue();
    let p = delegate(&v);
    let d = Scan::at(&v.entry, &v.hall, &p).decide();
    assert_eq!(d.verdict, Verdict::Valid);
    assert_eq!(d.reason, Reason::Admitted);
    assert_eq!(d.movement, Some(Movement::In));
    assert_eq!(d.verdict.signal(), Signal::Go);
}

#[test]
fn a_registration_code_is_decided_like_a_ticket() {
    let v = venue();
    let p = delegate(&v);
    let mut s = Scan::at(&v.entry, &v.hall, &p);
    s.credential = Credential::RegistrationCode;
    assert_eq!(s.decide().verdict, Verdict::Valid);
}

#[test]
fn second_entry_without_exit_is_already_scanned() {
    let v = venue();
    let p = delegate(&v);
    let mut s = Scan::at(&v.entry, &v.hall, &p);
    s.history = vec![passed(&v.hall, Movement::In, Verdict::Valid, NOW - 60_000)];
    let d = s.decide();
    assert_eq!(d.verdict, Verdict::AlreadyScanned);
    assert_eq!(d.reason, Reason::AlreadyInside);
    assert_eq!(d.verdict.signal(), Signal::Caution);
}

#[test]
fn re_entry_after_exit_is_valid() {
    let v = venue();
    let p = delegate(&v);
    let mut s = Scan::at(&v.entry, &v.hall, &p);
    s.history = vec![
        passed(&v.hall, Movement::In, Verdict::Valid, NOW - 120_000),
        passed(&v.hall, Movement::Out, Verdict::Valid, NOW - 60_000),
    ];
    assert_eq!(s.decide().verdict, Verdict::Valid);
}

#[test]
fn history_order_in_the_slice_does_not_matter_only_time_does() {
    let v = venue();
    let p = delegate(&v);
    let mut s = Scan::at(&v.entry, &v.hall, &p);
    s.history = vec![
        passed(&v.hall, Movement::Out, Verdict::Valid, NOW - 60_000),
        passed(&v.hall, Movement::In, Verdict::Valid, NOW - 120_000),
    ];
    assert_eq!(s.decide().verdict, Verdict::Valid, "left after entering");
    s.history.reverse();
    s.history[0].at = NOW - 10_000; // the entry is now the latest pass
    assert_eq!(s.decide().verdict, Verdict::AlreadyScanned);
}

#[test]
fn refused_scans_do_not_count_as_being_inside() {
    let v = venue();
    let p = delegate(&v);
    let mut s = Scan::at(&v.entry, &v.hall, &p);
    s.history = vec![passed(
        &v.hall,
        Movement::In,
        Verdict::AlreadyScanned,
        NOW - 60_000,
    )];
    assert_eq!(s.decide().verdict, Verdict::Valid);
}

#[test]
fn being_inside_another_zone_does_not_block_this_one() {
    let v = venue();
    let p = delegate(&v);
    let mut s = Scan::at(&v.entry, &v.hall, &p);
    s.history = vec![passed(&v.expo, Movement::In, Verdict::Valid, NOW - 60_000)];
    assert_eq!(s.decide().verdict, Verdict::Valid);
}

#[test]
fn a_zone_with_multiple_entry_admits_again_without_exit() {
    let v = venue();
    let p = delegate(&v);
    let mut s = Scan::at(&v.expo_gate, &v.expo, &p);
    s.history = vec![passed(&v.expo, Movement::In, Verdict::Valid, NOW - 60_000)];
    assert_eq!(s.decide().verdict, Verdict::Valid);
}

#[test]
fn an_override_with_a_reason_admits_an_already_scanned_badge() {
    let v = venue();
    let p = delegate(&v);
    let mut s = Scan::at(&v.entry, &v.hall, &p);
    s.history = vec![passed(&v.hall, Movement::In, Verdict::Valid, NOW - 60_000)];
    s.override_reason = Some("left by the fire exit");
    let d = s.decide();
    assert_eq!(d.verdict, Verdict::ManualOverride);
    assert_eq!(d.reason, Reason::AdmittedOnOverride);
    assert!(d.verdict.admits());
    assert_eq!(d.movement, Some(Movement::In));
}

#[test]
fn an_override_without_a_real_reason_is_not_an_override() {
    let v = venue();
    let p = delegate(&v);
    let mut s = Scan::at(&v.entry, &v.hall, &p);
    s.history = vec![passed(&v.hall, Movement::In, Verdict::Valid, NOW - 60_000)];
    s.override_reason = Some("   ");
    assert_eq!(s.decide().verdict, Verdict::AlreadyScanned);
}

#[test]
fn an_override_never_turns_another_refusal_into_an_admission() {
    let v = venue();
    let mut p = delegate(&v);
    p.blocked = true;
    let mut s = Scan::at(&v.entry, &v.hall, &p);
    s.override_reason = Some("VIP insisted");
    assert_eq!(s.decide().verdict, Verdict::Blocked);
    // And where nothing needs overriding, the scan is simply valid.
    let q = delegate(&v);
    let mut s = Scan::at(&v.entry, &v.hall, &q);
    s.override_reason = Some("just in case");
    assert_eq!(s.decide().verdict, Verdict::Valid);
}

#[test]
fn exit_is_recorded_even_without_a_known_entry() {
    let v = venue();
    let p = delegate(&v);
    let d = Scan::at(&v.exit, &v.hall, &p).decide();
    assert_eq!(d.verdict, Verdict::Valid);
    assert_eq!(d.reason, Reason::ExitRecorded);
    assert_eq!(d.movement, Some(Movement::Out));
}

#[test]
fn leaving_is_never_refused_for_zone_validity_or_approval() {
    let v = venue();
    let mut p = delegate(&v);
    p.zones.clear();
    p.status = ParticipantStatus::Pending;
    p.valid_until = Some(NOW - HOUR);
    let d = Scan::at(&v.exit, &v.hall, &p).decide();
    assert_eq!(d.verdict, Verdict::Valid);
    assert_eq!(d.movement, Some(Movement::Out));
}

#[test]
fn a_two_way_door_infers_the_way_from_whether_the_person_is_inside() {
    let v = venue();
    let p = delegate(&v);
    let mut s = Scan::at(&v.door, &v.hall, &p);
    let d = s.decide();
    assert_eq!(
        (d.verdict, d.movement),
        (Verdict::Valid, Some(Movement::In))
    );
    s.history = vec![passed(&v.hall, Movement::In, Verdict::Valid, NOW - 60_000)];
    let d = s.decide();
    assert_eq!(
        (d.verdict, d.movement),
        (Verdict::Valid, Some(Movement::Out))
    );
    assert_eq!(d.reason, Reason::ExitRecorded);
}

#[test]
fn a_two_way_door_set_to_entry_applies_anti_passback() {
    let v = venue();
    let p = delegate(&v);
    let mut s = Scan::at(&v.door, &v.hall, &p);
    s.history = vec![passed(&v.hall, Movement::In, Verdict::Valid, NOW - 60_000)];
    s.requested = Some(Movement::In);
    assert_eq!(s.decide().verdict, Verdict::AlreadyScanned);
}

#[test]
fn the_requested_way_is_ignored_at_one_way_checkpoints() {
    let v = venue();
    let p = delegate(&v);
    let mut s = Scan::at(&v.exit, &v.hall, &p);
    s.requested = Some(Movement::In);
    assert_eq!(s.decide().movement, Some(Movement::Out));
}

#[test]
fn a_closed_checkpoint_refuses_everyone() {
    let v = venue();
    let p = delegate(&v);
    let mut closed = v.entry.clone();
    closed.active = false;
    let d = Scan::at(&closed, &v.hall, &p).decide();
    assert_eq!(
        (d.verdict, d.reason),
        (Verdict::Invalid, Reason::CheckpointClosed)
    );
    assert_eq!(d.movement, None);
}

#[test]
fn unreadable_codes_are_invalid_with_the_reason_of_the_failure() {
    let v = venue();
    let p = delegate(&v);
    let cases = [
        (TicketError::BadCrc, Reason::Misread),
        (TicketError::WrongEvent, Reason::WrongEvent),
        (TicketError::UnknownKey(3), Reason::UnknownKey),
        (TicketError::AuthenticationFailed, Reason::Forged),
        (
            TicketError::UnsupportedVersion(9),
            Reason::UnsupportedFormat,
        ),
        (
            TicketError::WrongLength {
                expected: 61,
                actual: 2,
            },
            Reason::Unreadable,
        ),
    ];
    for (error, reason) in cases {
        let mut s = Scan::at(&v.entry, &v.hall, &p);
        s.credential = Credential::Unreadable(error.clone());
        let d = s.decide();
        assert_eq!((d.verdict, d.reason), (Verdict::Invalid, reason), "{error}");
        assert_eq!(d.verdict.signal(), Signal::Stop);
    }
}

#[test]
fn a_mistyped_registration_code_is_invalid() {
    let v = venue();
    let p = delegate(&v);
    let mut s = Scan::at(&v.entry, &v.hall, &p);
    let (credential, code) = Credential::from_typed_code("K7M-4QX-9P0");
    assert!(code.is_none());
    s.credential = credential;
    s.participant = None;
    let d = s.decide();
    assert_eq!(
        (d.verdict, d.reason),
        (Verdict::Invalid, Reason::BadRegistrationCode)
    );
}

#[test]
fn a_ticket_nobody_holds_is_unknown() {
    let v = venue();
    let p = delegate(&v);
    let mut s = Scan::at(&v.entry, &v.hall, &p);
    s.participant = None;
    let d = s.decide();
    assert_eq!(
        (d.verdict, d.reason),
        (Verdict::Unknown, Reason::NotRegistered)
    );
}

#[test]
fn a_participant_of_another_event_is_invalid() {
    let v = venue();
    let mut p = delegate(&v);
    p.event_id = EventId(Uuid::from_u128(999));
    let d = Scan::at(&v.entry, &v.hall, &p).decide();
    assert_eq!(
        (d.verdict, d.reason),
        (Verdict::Invalid, Reason::WrongEvent)
    );
}

#[test]
fn a_blocked_person_is_blocked_even_with_an_old_badge_and_on_exit() {
    let v = venue();
    let mut p = delegate(&v);
    p.blocked = true;
    p.credential_seq = 5;
    let mut s = Scan::at(&v.entry, &v.hall, &p);
    s.credential = ticket(&p, 1);
    assert_eq!(s.decide().verdict, Verdict::Blocked);
    let d = Scan::at(&v.exit, &v.hall, &p).decide();
    assert_eq!((d.verdict, d.reason), (Verdict::Blocked, Reason::Blocked));
    assert_eq!(d.verdict.signal(), Signal::Stop);
}

#[test]
fn a_reissued_badge_revokes_the_old_one_but_not_the_new_one() {
    let v = venue();
    let mut p = delegate(&v);
    p.credential_seq = 2;
    let mut s = Scan::at(&v.entry, &v.hall, &p);
    s.credential = ticket(&p, 1);
    let d = s.decide();
    assert_eq!((d.verdict, d.reason), (Verdict::Revoked, Reason::Reissued));
    s.credential = ticket(&p, 2);
    assert_eq!(s.decide().verdict, Verdict::Valid);
}

#[test]
fn a_badge_newer_than_the_gates_copy_is_accepted() {
    // Reissued on the server, gate not synced yet: the new badge is authentic and must work.
    let v = venue();
    let p = delegate(&v);
    let mut s = Scan::at(&v.entry, &v.hall, &p);
    s.credential = ticket(&p, p.credential_seq + 1);
    assert_eq!(s.decide().verdict, Verdict::Valid);
}

#[test]
fn cancelled_and_rejected_registrations_are_revoked() {
    let v = venue();
    for (status, reason) in [
        (ParticipantStatus::Cancelled, Reason::Cancelled),
        (ParticipantStatus::Rejected, Reason::Rejected),
    ] {
        let mut p = delegate(&v);
        p.status = status;
        let d = Scan::at(&v.entry, &v.hall, &p).decide();
        assert_eq!((d.verdict, d.reason), (Verdict::Revoked, reason));
        assert_eq!(d.verdict.signal(), Signal::Stop);
    }
}

#[test]
fn a_pending_registration_is_pending() {
    let v = venue();
    let mut p = delegate(&v);
    p.status = ParticipantStatus::Pending;
    let d = Scan::at(&v.entry, &v.hall, &p).decide();
    assert_eq!(
        (d.verdict, d.reason),
        (Verdict::Pending, Reason::PendingApproval)
    );
    assert_eq!(d.verdict.signal(), Signal::Caution);
}

#[test]
fn the_validity_window_gives_not_yet_valid_and_expired() {
    let v = venue();
    let mut p = delegate(&v);
    p.valid_from = Some(NOW + 1);
    let d = Scan::at(&v.entry, &v.hall, &p).decide();
    assert_eq!(
        (d.verdict, d.reason),
        (Verdict::NotYetValid, Reason::NotYetValid)
    );

    let mut p = delegate(&v);
    p.valid_until = Some(NOW - 1);
    let d = Scan::at(&v.entry, &v.hall, &p).decide();
    assert_eq!((d.verdict, d.reason), (Verdict::Expired, Reason::Expired));

    // The edges themselves are inside the window.
    let mut p = delegate(&v);
    p.valid_from = Some(NOW);
    p.valid_until = Some(NOW);
    assert_eq!(
        Scan::at(&v.entry, &v.hall, &p).decide().verdict,
        Verdict::Valid
    );

    // No window: always valid.
    let mut p = delegate(&v);
    p.valid_from = None;
    p.valid_until = None;
    assert_eq!(
        Scan::at(&v.entry, &v.hall, &p).decide().verdict,
        Verdict::Valid
    );
}

#[test]
fn no_access_to_the_zone_is_wrong_zone() {
    let v = venue();
    let mut p = delegate(&v);
    p.zones = vec![v.expo.id];
    let d = Scan::at(&v.entry, &v.hall, &p).decide();
    assert_eq!(
        (d.verdict, d.reason),
        (Verdict::WrongZone, Reason::NoZoneAccess)
    );
    assert_eq!(d.verdict.signal(), Signal::Stop);
}

#[test]
fn a_full_zone_warns_but_admits() {
    let v = venue();
    let p = delegate(&v);
    let mut s = Scan::at(&v.entry, &v.hall, &p);
    s.occupancy = Some(2);
    let d = s.decide();
    assert_eq!(d.verdict, Verdict::Valid);
    assert_eq!(
        d.warnings,
        vec![Warning::ZoneFull {
            occupancy: 2,
            capacity: 2
        }]
    );
    s.occupancy = Some(1);
    assert!(s.decide().warnings.is_empty());
}

#[test]
fn checks_apply_in_the_documented_order() {
    // Everything wrong at once: the closed checkpoint speaks first, then the person.
    let v = venue();
    let mut p = delegate(&v);
    p.status = ParticipantStatus::Pending;
    p.zones.clear();
    p.valid_until = Some(NOW - 1);
    assert_eq!(
        Scan::at(&v.entry, &v.hall, &p).decide().verdict,
        Verdict::Pending
    );
    p.status = ParticipantStatus::Approved;
    assert_eq!(
        Scan::at(&v.entry, &v.hall, &p).decide().verdict,
        Verdict::Expired
    );
    p.valid_until = None;
    assert_eq!(
        Scan::at(&v.entry, &v.hall, &p).decide().verdict,
        Verdict::WrongZone
    );
    p.status = ParticipantStatus::Cancelled;
    assert_eq!(
        Scan::at(&v.entry, &v.hall, &p).decide().verdict,
        Verdict::Revoked
    );
}

#[test]
fn is_inside_follows_the_latest_admitted_pass() {
    let v = venue();
    assert!(!is_inside(&[], v.hall.id));
    let h = [
        passed(&v.hall, Movement::In, Verdict::Valid, 1),
        passed(&v.hall, Movement::Out, Verdict::Valid, 2),
        passed(&v.hall, Movement::In, Verdict::ManualOverride, 3),
    ];
    assert!(is_inside(&h, v.hall.id));
    assert!(!is_inside(&h[..2], v.hall.id));
}

#[test]
fn verdicts_and_reasons_have_stable_codes_and_sentences() {
    for v in Verdict::ALL {
        assert_eq!(Verdict::parse(v.as_str()), Some(v));
        let json = serde_json::to_string(&v).unwrap();
        assert_eq!(json, format!("\"{}\"", v.as_str()));
    }
    for r in Reason::ALL {
        assert_eq!(Reason::parse(r.code()), Some(r));
        assert!(r.sentence().ends_with('.'), "{}", r.code());
        let json = serde_json::to_string(&r).unwrap();
        assert_eq!(json, format!("\"{}\"", r.code()));
    }
    assert_eq!(Verdict::parse("NOT_YET_VALID"), Some(Verdict::NotYetValid));
}
