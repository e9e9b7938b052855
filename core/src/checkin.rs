//! One check-in, around the one decision: reading what was presented, and the access log kept for
//! it. The gate's scan station and the server's online check-in both come through here, so a scan
//! is recorded the same way wherever it was decided; they only look rows up and store the result.
//!
//! ```text
//! presented ─► read (credential + who to look up) ─► [caller: participant, history, occupancy]
//!           ─► check_in: decide + the access log ─► [caller: store it]
//! ```
//!
//! What the record keeps, whoever decided:
//!
//! - `participant_id`: the participant found; failing that, the participant an authenticated
//!   ticket names (a genuine badge of someone this side does not hold is evidence worth keeping:
//!   not yet synced, or removed). A typed code that matched nobody names no one.
//! - `movement`: the pass the person *made* — only when the verdict let them through. A refusal
//!   at an entry is not an entry; occupancy, anti-passback and the evidence export read it so.
//! - `override_reason`: only on `MANUAL_OVERRIDE`, trimmed. A reason given where none was needed
//!   (the person was not inside) changed nothing and is not kept.

use crate::decide::{decide, Credential, Decision, PastScan, ScanInput};
use crate::domain::{
    AccessLog, Checkpoint, DeviceId, Millis, Movement, Participant, ParticipantId, ScanId, Zone,
};
use crate::protocol::Presented;
use crate::{EventKeys, RegistrationCode, Verdict};

/// Who to look up for a credential that was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// The participant an authenticated ticket names.
    Id(ParticipantId),
    /// The holder of a registration code that passed its check character.
    Code(RegistrationCode),
}

/// Reads what was presented against the event's keys: the credential, and who to look up (none
/// when nothing readable was presented).
pub fn read(keys: &EventKeys, presented: &Presented) -> (Credential, Option<Lookup>) {
    match presented {
        Presented::Payload(text) => {
            let credential = Credential::from_ticket_text(keys, text);
            let lookup = match &credential {
                Credential::Ticket(claims) => Some(Lookup::Id(claims.participant_id)),
                _ => None,
            };
            (credential, lookup)
        }
        Presented::RegistrationCode(typed) => {
            let (credential, code) = Credential::from_typed_code(typed);
            (credential, code.map(Lookup::Code))
        }
    }
}

/// Everything one check-in needs besides the decision's own input.
#[derive(Debug, Clone)]
pub struct CheckIn<'a> {
    /// The scan's id: made by the device (UUIDv7), or sent by the client asking online.
    pub scan_id: ScanId,
    pub credential: &'a Credential,
    /// The participant the credential names, as the deciding side holds them.
    pub participant: Option<&'a Participant>,
    pub checkpoint: &'a Checkpoint,
    pub zone: &'a Zone,
    /// The participant's earlier scans at this event.
    pub history: &'a [PastScan],
    pub requested: Option<Movement>,
    pub override_reason: Option<&'a str>,
    pub occupancy: Option<u32>,
    /// The scanning device, if a device scanned.
    pub device_id: Option<DeviceId>,
    /// The device's own clock when it scanned.
    pub device_time: Millis,
    /// The best known time of the scan (the server's clock, or the device's corrected by its
    /// offset): the decision's `now` and the record's `corrected_time`.
    pub corrected_time: Millis,
}

/// The decision and the access log to keep for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    pub decision: Decision,
    pub log: AccessLog,
}

/// Decides the check-in with [`decide`] and builds its access log (rules in the module
/// documentation). Pure: the caller stores the log.
pub fn check_in(input: &CheckIn<'_>) -> Recorded {
    let override_reason = input
        .override_reason
        .map(str::trim)
        .filter(|r| !r.is_empty());
    let decision = decide(&ScanInput {
        credential: input.credential,
        participant: input.participant,
        checkpoint: input.checkpoint,
        zone: input.zone,
        history: input.history,
        requested: input.requested,
        override_reason,
        occupancy: input.occupancy,
        now: input.corrected_time,
    });
    let claims = match input.credential {
        Credential::Ticket(claims) => Some(claims),
        _ => None,
    };
    let log = AccessLog {
        id: input.scan_id,
        event_id: input.checkpoint.event_id,
        checkpoint_id: input.checkpoint.id,
        zone_id: input.checkpoint.zone_id,
        device_id: input.device_id,
        participant_id: input
            .participant
            .map(|p| p.id)
            .or(claims.map(|c| c.participant_id)),
        credential_seq: claims.map(|c| c.credential_seq),
        movement: decision.movement.filter(|_| decision.verdict.admits()),
        verdict: decision.verdict,
        reason: decision.reason,
        override_reason: override_reason
            .filter(|_| decision.verdict == Verdict::ManualOverride)
            .map(str::to_owned),
        device_time: input.device_time,
        corrected_time: input.corrected_time,
    };
    Recorded { decision, log }
}
