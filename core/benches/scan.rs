//! Decode + decide, the part of a scan that is pure computation. Target: under 20 µs.
//!
//! `cargo bench -p gatehouse-core`

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use gatehouse_core::decide::{Credential, PastScan};
use gatehouse_core::*;
use uuid::Uuid;

fn bench(c: &mut Criterion) {
    let tenant = TenantId(Uuid::from_u128(1));
    let event = EventId(Uuid::from_u128(2));
    let mut keys = EventKeys::new(tenant, event);
    keys.insert(TicketKey::new(1, [7; 32]));
    keys.insert(TicketKey::new(2, [8; 32]));
    let zone = Zone {
        id: ZoneId(Uuid::from_u128(3)),
        event_id: event,
        name: "Plenary hall".into(),
        capacity: Some(2000),
        multiple_entry: false,
    };
    let checkpoint = Checkpoint {
        id: CheckpointId(Uuid::from_u128(4)),
        event_id: event,
        zone_id: zone.id,
        name: "Main gate".into(),
        direction: Direction::Entry,
        active: true,
    };
    let participant = Participant {
        id: ParticipantId(Uuid::from_u128(5)),
        event_id: event,
        full_name: "Amina Yusuf".into(),
        organisation: None,
        category: "Delegate".into(),
        status: ParticipantStatus::Approved,
        zones: vec![zone.id],
        valid_from: None,
        valid_until: None,
        credential_seq: 1,
        blocked: false,
        registration_code: "K7M4QX9PT".into(),
        birth_check: None,
    };
    let claims = TicketClaims {
        participant_id: participant.id,
        issued_at: 1_790_000_000_000,
        credential_seq: 1,
    };
    let text = keys.issue(&claims, [1; 12]).unwrap();
    let history = [
        PastScan {
            zone_id: zone.id,
            movement: Movement::In,
            verdict: Verdict::Valid,
            at: 1_790_000_100_000,
        },
        PastScan {
            zone_id: zone.id,
            movement: Movement::Out,
            verdict: Verdict::Valid,
            at: 1_790_000_200_000,
        },
    ];

    c.bench_function("ticket_decode", |b| {
        b.iter(|| keys.decode(black_box(&text)))
    });
    c.bench_function("decode_and_decide", |b| {
        b.iter(|| {
            let credential = Credential::from_ticket_text(&keys, black_box(&text));
            decide(&ScanInput {
                credential: &credential,
                participant: Some(&participant),
                checkpoint: &checkpoint,
                zone: &zone,
                history: &history,
                requested: None,
                override_reason: None,
                occupancy: Some(100),
                now: 1_790_000_300_000,
            })
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
