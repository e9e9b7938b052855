//! The record kept for a check-in, the same wherever it was decided (gate or server).

use gatehouse_core::checkin::{check_in, read, CheckIn, Lookup, Recorded};
use gatehouse_core::decide::{Credential, PastScan};
use gatehouse_core::protocol::Presented;
use gatehouse_core::*;
use uuid::Uuid;

const NOW: Millis = 1_790_000_000_000;

fn hall(event: EventId) -> Zone {
    Zone {
        id: ZoneId(Uuid::from_u128(10)),
        event_id: event,
        name: "Plenary hall".into(),
        capacity: None,
        multiple_entry: false,
    }
}

fn entry(zone: &Zone) -> Checkpoint {
    Checkpoint {
        id: CheckpointId(Uuid::from_u128(20)),
        event_id: zone.event_id,
        zone_id: zone.id,
        name: "Main gate entry".into(),
        direction: Direction::Entry,
        active: true,
    }
}

fn delegate(zone: &Zone) -> Participant {
    Participant {
        id: ParticipantId(Uuid::from_u128(100)),
        event_id: zone.event_id,
        full_name: "Selam Tesfaye".into(),
        organisation: None,
        category: "Delegate".into(),
        status: ParticipantStatus::Approved,
        zones: vec![zone.id],
        valid_from: None,
        valid_until: None,
        credential_seq: 0,
        blocked: false,
        registration_code: "K7M4QX9PT".into(),
        birth_check: None,
    }
}

fn ticket_of(id: ParticipantId) -> Credential {
    Credential::Ticket(TicketClaims {
        participant_id: id,
        issued_at: NOW - 1_000,
        credential_seq: 0,
    })
}

fn inside(zone: &Zone) -> Vec<PastScan> {
    vec![PastScan {
        zone_id: zone.id,
        movement: Movement::In,
        verdict: Verdict::Valid,
        at: NOW - 60_000,
    }]
}

fn record(
    credential: &Credential,
    participant: Option<&Participant>,
    history: &[PastScan],
    override_reason: Option<&str>,
) -> Recorded {
    let zone = hall(EventId(Uuid::from_u128(1)));
    let checkpoint = entry(&zone);
    check_in(&CheckIn {
        scan_id: ScanId(Uuid::from_u128(7)),
        credential,
        participant,
        checkpoint: &checkpoint,
        zone: &zone,
        history,
        requested: None,
        override_reason,
        occupancy: None,
        device_id: Some(DeviceId(Uuid::from_u128(3))),
        device_time: NOW - 250,
        corrected_time: NOW,
    })
}

#[test]
fn an_admitted_entry_is_recorded_as_a_pass_in_with_both_times() {
    let zone = hall(EventId(Uuid::from_u128(1)));
    let p = delegate(&zone);
    let r = record(&ticket_of(p.id), Some(&p), &[], None);
    assert_eq!(r.decision.verdict, Verdict::Valid);
    assert_eq!(r.log.movement, Some(Movement::In));
    assert_eq!(r.log.participant_id, Some(p.id));
    assert_eq!(r.log.credential_seq, Some(0));
    assert_eq!((r.log.device_time, r.log.corrected_time), (NOW - 250, NOW));
    assert_eq!(r.log.zone_id, zone.id);
    assert_eq!(r.log.override_reason, None);
}

#[test]
fn a_refusal_at_an_entry_records_no_pass() {
    let zone = hall(EventId(Uuid::from_u128(1)));
    let p = delegate(&zone);
    let r = record(&ticket_of(p.id), Some(&p), &inside(&zone), None);
    assert_eq!(r.decision.verdict, Verdict::AlreadyScanned);
    assert_eq!(r.log.verdict, Verdict::AlreadyScanned);
    assert_eq!(r.log.movement, None, "nobody went in");

    let mut elsewhere = delegate(&zone);
    elsewhere.zones.clear();
    let r = record(&ticket_of(p.id), Some(&elsewhere), &[], None);
    assert_eq!(r.log.verdict, Verdict::WrongZone);
    assert_eq!(r.log.movement, None);
}

#[test]
fn an_override_reason_is_kept_only_when_it_admitted_someone() {
    let zone = hall(EventId(Uuid::from_u128(1)));
    let p = delegate(&zone);
    let r = record(
        &ticket_of(p.id),
        Some(&p),
        &inside(&zone),
        Some("  lost in the crowd "),
    );
    assert_eq!(r.log.verdict, Verdict::ManualOverride);
    assert_eq!(r.log.override_reason.as_deref(), Some("lost in the crowd"));
    assert_eq!(r.log.movement, Some(Movement::In));

    // Not inside: the reason changed nothing and is not kept.
    let r = record(&ticket_of(p.id), Some(&p), &[], Some("lost in the crowd"));
    assert_eq!(r.log.verdict, Verdict::Valid);
    assert_eq!(r.log.override_reason, None);

    // Blank reasons override nothing.
    let r = record(&ticket_of(p.id), Some(&p), &inside(&zone), Some("   "));
    assert_eq!(r.log.verdict, Verdict::AlreadyScanned);
    assert_eq!(r.log.override_reason, None);
}

#[test]
fn a_genuine_ticket_of_someone_not_held_keeps_the_participant_it_names() {
    let stranger = ParticipantId(Uuid::from_u128(555));
    let r = record(&ticket_of(stranger), None, &[], None);
    assert_eq!(r.decision.verdict, Verdict::Unknown);
    assert_eq!(r.log.participant_id, Some(stranger));
    assert_eq!(r.log.movement, None);
}

#[test]
fn a_typed_code_that_matches_nobody_names_no_one() {
    let code = RegistrationCode::generate([3, 200, 17, 99, 250, 0, 42, 128]);
    let (credential, lookup) = read(
        &EventKeys::new(TenantId(Uuid::from_u128(9)), EventId(Uuid::from_u128(1))),
        &Presented::RegistrationCode(code.display().to_lowercase()),
    );
    assert_eq!(lookup, Some(Lookup::Code(code)));
    let r = record(&credential, None, &[], None);
    assert_eq!(r.decision.verdict, Verdict::Unknown);
    assert_eq!(r.log.participant_id, None);
    assert_eq!(r.log.credential_seq, None);
}

#[test]
fn unreadable_text_is_recorded_as_invalid_with_nobody_to_look_up() {
    let (credential, lookup) = read(
        &EventKeys::new(TenantId(Uuid::from_u128(9)), EventId(Uuid::from_u128(1))),
        &Presented::Payload("https://example.org/not-a-ticket".into()),
    );
    assert_eq!(lookup, None);
    let r = record(&credential, None, &[], None);
    assert_eq!(r.log.verdict, Verdict::Invalid);
    assert_eq!((r.log.participant_id, r.log.movement), (None, None));
}
