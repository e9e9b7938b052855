//! Properties of the ticket codec that must hold for every ticket, not just the examples.

use gatehouse_core::base45;
use gatehouse_core::ticket::{TICKET_LEN, TICKET_TEXT_LEN};
use gatehouse_core::*;
use proptest::prelude::*;
use qrcode::{EcLevel, QrCode, Version};
use uuid::Uuid;

fn ring(tenant: u128, event: u128, secret: [u8; 32]) -> EventKeys {
    let mut r = EventKeys::new(
        TenantId(Uuid::from_u128(tenant)),
        EventId(Uuid::from_u128(event)),
    );
    r.insert(TicketKey::new(1, secret));
    r
}

fn claims_strategy() -> impl Strategy<Value = TicketClaims> {
    (any::<u128>(), 0u32..=u32::MAX, any::<u16>()).prop_map(|(pid, secs, seq)| TicketClaims {
        participant_id: ParticipantId(Uuid::from_u128(pid)),
        issued_at: secs as Millis * 1000,
        credential_seq: seq,
    })
}

#[test]
fn a_ticket_fits_a_qr_code_of_version_5_at_error_correction_m() {
    let r = ring(7, 8, [3; 32]);
    let claims = TicketClaims {
        participant_id: ParticipantId(Uuid::from_u128(u128::MAX)),
        issued_at: u32::MAX as Millis * 1000,
        credential_seq: u16::MAX,
    };
    let text = r.issue(&claims, [0xff; 12]).unwrap();
    assert_eq!(text.len(), TICKET_TEXT_LEN);
    // Every ticket has the same length, so one check covers them all. The text must stay in the
    // alphanumeric alphabet for the QR encoder to choose alphanumeric mode.
    assert!(text.bytes().all(|b| base45::ALPHABET.contains(&b)));
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M).unwrap();
    match code.version() {
        Version::Normal(v) => assert!(v <= 5, "needs version {v}"),
        Version::Micro(_) => unreachable!(),
    }
    // And a version 5-M symbol accepts it when asked for explicitly.
    QrCode::with_version(text.as_bytes(), Version::Normal(5), EcLevel::M).unwrap();
}

proptest! {
    #[test]
    fn encode_then_decode_gives_back_the_claims(
        claims in claims_strategy(),
        secret in any::<[u8; 32]>(),
        nonce in any::<[u8; 12]>(),
        tenant in any::<u128>(),
        event in any::<u128>(),
    ) {
        let r = ring(tenant, event, secret);
        let text = r.issue(&claims, nonce).unwrap();
        prop_assert_eq!(text.len(), TICKET_TEXT_LEN);
        prop_assert_eq!(r.decode(&text).unwrap(), claims);
    }

    #[test]
    fn any_single_bit_change_is_rejected(
        claims in claims_strategy(),
        nonce in any::<[u8; 12]>(),
        bit in 0usize..TICKET_LEN * 8,
    ) {
        let r = ring(1, 2, [9; 32]);
        let mut bytes = base45::decode(&r.issue(&claims, nonce).unwrap()).unwrap();
        bytes[bit / 8] ^= 1 << (bit % 8);
        prop_assert!(r.decode_bytes(&bytes).is_err());
        prop_assert!(r.decode(&base45::encode(&bytes)).is_err());
    }

    #[test]
    fn a_ticket_of_event_a_never_validates_for_event_b(
        claims in claims_strategy(),
        nonce in any::<[u8; 12]>(),
        event_a in any::<u128>(),
        event_b in any::<u128>(),
        tenant_b in any::<u128>(),
    ) {
        prop_assume!(event_a != event_b);
        let secret = [5; 32]; // even with the very same key
        let a = ring(1, event_a, secret);
        let b = ring(tenant_b, event_b, secret);
        let text = a.issue(&claims, nonce).unwrap();
        prop_assert!(b.decode(&text).is_err());
    }

    #[test]
    fn decoding_arbitrary_text_never_panics(text in "\\PC{0,200}") {
        let r = ring(1, 2, [9; 32]);
        let _ = r.decode(&text);
    }

    #[test]
    fn decoding_arbitrary_alphabet_text_never_panics(text in "[0-9A-Z $%*+./:-]{0,140}") {
        let r = ring(1, 2, [9; 32]);
        prop_assert!(r.decode(&text).is_err());
    }
}
