//! Issuing a participant's ticket payload (the QR text) with the event's current key.

use gatehouse_core::{EventKeys, Participant, TicketClaims, TicketError};

use gatehouse_db::crypto;

/// Seals a ticket for the participant's current credential sequence.
pub fn issue(ring: &EventKeys, participant: &Participant, now: i64) -> Result<String, TicketError> {
    ring.issue(
        &TicketClaims {
            participant_id: participant.id,
            issued_at: now,
            credential_seq: participant.credential_seq,
        },
        crypto::random_bytes::<12>(),
    )
}
