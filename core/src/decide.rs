//! The scan decision: one pure function from what was presented, who it belongs to, where, the
//! person's recent history and the time, to a verdict with a reason. The device, the server's
//! online scan endpoint and the REST API's check-in all call [`decide`]; no other code makes a
//! verdict.
//!
//! Order of the checks (the first that applies wins):
//!
//! 1. checkpoint closed → `INVALID` (`checkpoint_closed`)
//! 2. unreadable, misread, forged or other-event credential → `INVALID`
//! 3. nobody at this event holds it → `UNKNOWN`
//! 4. on the block list → `BLOCKED` (before anything else about the person: security first)
//! 5. reissued badge, cancelled or rejected registration → `REVOKED`
//! 6. leaving (`out`): recorded as `VALID`; nobody is kept inside by the rules below
//! 7. not yet approved → `PENDING`
//! 8. outside the validity window → `NOT_YET_VALID` / `EXPIRED`
//! 9. no access to the checkpoint's zone → `WRONG_ZONE`
//! 10. already inside (last admitted pass into this zone was `in`) and the zone forbids multiple
//!     entry → `ALREADY_SCANNED`, or `MANUAL_OVERRIDE` when staff give a reason
//! 11. otherwise `VALID`; a full zone adds a warning, it never refuses.

use serde::{Deserialize, Serialize};

use crate::domain::{
    Checkpoint, Direction, Millis, Movement, Participant, ParticipantStatus, Zone, ZoneId,
};
use crate::ticket::{TicketClaims, TicketError};
use crate::RegistrationCodeError;

/// What the gate answers. Serialised as `VALID`, `ALREADY_SCANNED`, ...
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Verdict {
    Valid,
    Invalid,
    Unknown,
    Revoked,
    Expired,
    NotYetValid,
    WrongZone,
    AlreadyScanned,
    ManualOverride,
    Blocked,
    Pending,
}

/// How a verdict looks and sounds at the gate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Signal {
    /// Green, rising tone: let them through.
    Go,
    /// Amber, double beep: a person should look (expired, already inside, pending).
    Caution,
    /// Red, low buzz: do not let them through.
    Stop,
}

impl Verdict {
    pub const ALL: [Verdict; 11] = [
        Verdict::Valid,
        Verdict::Invalid,
        Verdict::Unknown,
        Verdict::Revoked,
        Verdict::Expired,
        Verdict::NotYetValid,
        Verdict::WrongZone,
        Verdict::AlreadyScanned,
        Verdict::ManualOverride,
        Verdict::Blocked,
        Verdict::Pending,
    ];

    /// Whether the person was let through (counts for occupancy and anti-passback).
    pub fn admits(self) -> bool {
        matches!(self, Verdict::Valid | Verdict::ManualOverride)
    }

    pub fn signal(self) -> Signal {
        match self {
            Verdict::Valid | Verdict::ManualOverride => Signal::Go,
            Verdict::Expired
            | Verdict::NotYetValid
            | Verdict::AlreadyScanned
            | Verdict::Pending => Signal::Caution,
            Verdict::Invalid
            | Verdict::Unknown
            | Verdict::Revoked
            | Verdict::WrongZone
            | Verdict::Blocked => Signal::Stop,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Valid => "VALID",
            Verdict::Invalid => "INVALID",
            Verdict::Unknown => "UNKNOWN",
            Verdict::Revoked => "REVOKED",
            Verdict::Expired => "EXPIRED",
            Verdict::NotYetValid => "NOT_YET_VALID",
            Verdict::WrongZone => "WRONG_ZONE",
            Verdict::AlreadyScanned => "ALREADY_SCANNED",
            Verdict::ManualOverride => "MANUAL_OVERRIDE",
            Verdict::Blocked => "BLOCKED",
            Verdict::Pending => "PENDING",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// Why: a closed list of stable codes, each with a sentence for the person at the gate. The UI
/// translates by code; the sentence is the English text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    Admitted,
    ExitRecorded,
    AdmittedOnOverride,
    CheckpointClosed,
    Unreadable,
    Misread,
    UnsupportedFormat,
    WrongEvent,
    UnknownKey,
    Forged,
    BadRegistrationCode,
    NotRegistered,
    Blocked,
    Reissued,
    Cancelled,
    Rejected,
    PendingApproval,
    NotYetValid,
    Expired,
    NoZoneAccess,
    AlreadyInside,
}

impl Reason {
    pub const ALL: [Reason; 21] = [
        Reason::Admitted,
        Reason::ExitRecorded,
        Reason::AdmittedOnOverride,
        Reason::CheckpointClosed,
        Reason::Unreadable,
        Reason::Misread,
        Reason::UnsupportedFormat,
        Reason::WrongEvent,
        Reason::UnknownKey,
        Reason::Forged,
        Reason::BadRegistrationCode,
        Reason::NotRegistered,
        Reason::Blocked,
        Reason::Reissued,
        Reason::Cancelled,
        Reason::Rejected,
        Reason::PendingApproval,
        Reason::NotYetValid,
        Reason::Expired,
        Reason::NoZoneAccess,
        Reason::AlreadyInside,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Reason::Admitted => "admitted",
            Reason::ExitRecorded => "exit_recorded",
            Reason::AdmittedOnOverride => "admitted_on_override",
            Reason::CheckpointClosed => "checkpoint_closed",
            Reason::Unreadable => "unreadable",
            Reason::Misread => "misread",
            Reason::UnsupportedFormat => "unsupported_format",
            Reason::WrongEvent => "wrong_event",
            Reason::UnknownKey => "unknown_key",
            Reason::Forged => "forged",
            Reason::BadRegistrationCode => "bad_registration_code",
            Reason::NotRegistered => "not_registered",
            Reason::Blocked => "blocked",
            Reason::Reissued => "reissued",
            Reason::Cancelled => "cancelled",
            Reason::Rejected => "rejected",
            Reason::PendingApproval => "pending_approval",
            Reason::NotYetValid => "not_yet_valid",
            Reason::Expired => "expired",
            Reason::NoZoneAccess => "no_zone_access",
            Reason::AlreadyInside => "already_inside",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.code() == code)
    }

    /// The sentence shown at the gate, in English.
    pub fn sentence(self) -> &'static str {
        match self {
            Reason::Admitted => "Access granted.",
            Reason::ExitRecorded => "Exit recorded.",
            Reason::AdmittedOnOverride => "Admitted on a staff override.",
            Reason::CheckpointClosed => "This checkpoint is closed.",
            Reason::Unreadable => {
                "This code is not a Gatehouse ticket. Ask for the registration code."
            }
            Reason::Misread => "The code was misread. Hold it steady and scan again.",
            Reason::UnsupportedFormat => "This ticket format is not supported by this gate.",
            Reason::WrongEvent => "This ticket is for another event.",
            Reason::UnknownKey => {
                "This gate does not have the key for this ticket yet. Sync the gate and scan again."
            }
            Reason::Forged => "The ticket failed its authenticity check. Call the supervisor.",
            Reason::BadRegistrationCode => {
                "That registration code has a typo. Check it and type it again."
            }
            Reason::NotRegistered => "Nobody is registered at this event with this ticket.",
            Reason::Blocked => {
                "Access denied: this person is on the block list. Call the supervisor."
            }
            Reason::Reissued => "This badge was replaced by a newer one. Ask for the new badge.",
            Reason::Cancelled => "This registration was cancelled.",
            Reason::Rejected => "This registration was rejected.",
            Reason::PendingApproval => {
                "This registration is not approved yet. Send the person to the help desk."
            }
            Reason::NotYetValid => "This badge is not valid yet.",
            Reason::Expired => "This badge is no longer valid.",
            Reason::NoZoneAccess => "This badge does not give access to this area.",
            Reason::AlreadyInside => {
                "Already entered and not yet left. A supervisor may override with a reason."
            }
        }
    }
}

impl From<&TicketError> for Reason {
    fn from(e: &TicketError) -> Self {
        match e {
            TicketError::BadText(_) | TicketError::WrongLength { .. } => Reason::Unreadable,
            TicketError::BadCrc => Reason::Misread,
            TicketError::UnsupportedVersion(_) => Reason::UnsupportedFormat,
            TicketError::WrongEvent => Reason::WrongEvent,
            TicketError::UnknownKey(_) => Reason::UnknownKey,
            TicketError::AuthenticationFailed | TicketError::IssueTimeOutOfRange => Reason::Forged,
        }
    }
}

/// What was presented at the gate, after reading it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// A ticket that authenticated for this event.
    Ticket(TicketClaims),
    /// A registration code that passed its check character.
    RegistrationCode,
    /// A code that did not read as a ticket of this event.
    Unreadable(TicketError),
    /// Typed text that is not a registration code.
    BadRegistrationCode(RegistrationCodeError),
}

impl Credential {
    /// Reads the text of a scanned QR code as a ticket of the event whose keys are given.
    pub fn from_ticket_text(keys: &crate::EventKeys, text: &str) -> Self {
        match keys.decode(text) {
            Ok(claims) => Credential::Ticket(claims),
            Err(e) => Credential::Unreadable(e),
        }
    }

    /// Reads typed text as a registration code; on success the caller looks the code up.
    pub fn from_typed_code(typed: &str) -> (Self, Option<crate::RegistrationCode>) {
        match crate::RegistrationCode::parse(typed) {
            Ok(code) => (Credential::RegistrationCode, Some(code)),
            Err(e) => (Credential::BadRegistrationCode(e), None),
        }
    }
}

/// One earlier scan of the same participant at this event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PastScan {
    pub zone_id: ZoneId,
    pub movement: Movement,
    pub verdict: Verdict,
    pub at: Millis,
}

/// Everything [`decide`] looks at.
#[derive(Debug, Clone)]
pub struct ScanInput<'a> {
    pub credential: &'a Credential,
    /// The participant the credential names, as this gate knows them; `None` if not found.
    pub participant: Option<&'a Participant>,
    pub checkpoint: &'a Checkpoint,
    /// The checkpoint's zone.
    pub zone: &'a Zone,
    /// The participant's earlier scans at this event, from this gate and others, any order.
    pub history: &'a [PastScan],
    /// The way the person is going, when the gate says so (a `both` checkpoint's toggle).
    pub requested: Option<Movement>,
    /// A supervisor's reason to let an `ALREADY_SCANNED` person in.
    pub override_reason: Option<&'a str>,
    /// People in the zone now, as far as this gate knows.
    pub occupancy: Option<u32>,
    pub now: Millis,
}

/// Something the gate should show next to the verdict without changing it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum Warning {
    /// The zone is at or over capacity (informational: nobody is turned away for it).
    ZoneFull { occupancy: u32, capacity: u32 },
}

/// The answer to a scan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    pub verdict: Verdict,
    pub reason: Reason,
    /// The pass this scan stands for; `None` when the credential was not read.
    pub movement: Option<Movement>,
    pub warnings: Vec<Warning>,
}

impl Decision {
    fn new(verdict: Verdict, reason: Reason, movement: Option<Movement>) -> Self {
        Decision {
            verdict,
            reason,
            movement,
            warnings: Vec::new(),
        }
    }
}

/// Whether the participant's last admitted pass through `zone` was into it.
pub fn is_inside(history: &[PastScan], zone: ZoneId) -> bool {
    history
        .iter()
        .enumerate()
        .filter(|(_, s)| s.zone_id == zone && s.verdict.admits())
        .max_by_key(|(i, s)| (s.at, *i))
        .is_some_and(|(_, s)| s.movement == Movement::In)
}

/// Decides a scan. See the module documentation for the order of the rules.
pub fn decide(input: &ScanInput<'_>) -> Decision {
    let cp = input.checkpoint;
    if !cp.active {
        return Decision::new(Verdict::Invalid, Reason::CheckpointClosed, None);
    }
    let claims = match input.credential {
        Credential::Ticket(claims) => Some(claims),
        Credential::RegistrationCode => None,
        Credential::Unreadable(e) => return Decision::new(Verdict::Invalid, e.into(), None),
        Credential::BadRegistrationCode(_) => {
            return Decision::new(Verdict::Invalid, Reason::BadRegistrationCode, None)
        }
    };
    let Some(p) = input.participant else {
        return Decision::new(Verdict::Unknown, Reason::NotRegistered, None);
    };
    if p.event_id != cp.event_id {
        return Decision::new(Verdict::Invalid, Reason::WrongEvent, None);
    }

    let inside = is_inside(input.history, cp.zone_id);
    let movement = match cp.direction {
        Direction::Entry => Movement::In,
        Direction::Exit => Movement::Out,
        Direction::Both => {
            input
                .requested
                .unwrap_or(if inside { Movement::Out } else { Movement::In })
        }
    };
    let answer = |verdict, reason| Decision::new(verdict, reason, Some(movement));

    if p.blocked {
        return answer(Verdict::Blocked, Reason::Blocked);
    }
    // A ticket newer than this gate's copy is a reissue the gate has not synced yet: accept it.
    if claims.is_some_and(|c| c.credential_seq < p.credential_seq) {
        return answer(Verdict::Revoked, Reason::Reissued);
    }
    match p.status {
        ParticipantStatus::Cancelled => return answer(Verdict::Revoked, Reason::Cancelled),
        ParticipantStatus::Rejected => return answer(Verdict::Revoked, Reason::Rejected),
        ParticipantStatus::Pending | ParticipantStatus::Approved => {}
    }
    if movement == Movement::Out {
        return answer(Verdict::Valid, Reason::ExitRecorded);
    }
    if p.status == ParticipantStatus::Pending {
        return answer(Verdict::Pending, Reason::PendingApproval);
    }
    if p.valid_from.is_some_and(|from| input.now < from) {
        return answer(Verdict::NotYetValid, Reason::NotYetValid);
    }
    if p.valid_until.is_some_and(|until| input.now > until) {
        return answer(Verdict::Expired, Reason::Expired);
    }
    if !p.may_enter(cp.zone_id) {
        return answer(Verdict::WrongZone, Reason::NoZoneAccess);
    }

    let mut decision = if inside && !input.zone.multiple_entry {
        match input.override_reason.map(str::trim) {
            Some(reason) if !reason.is_empty() => {
                answer(Verdict::ManualOverride, Reason::AdmittedOnOverride)
            }
            _ => answer(Verdict::AlreadyScanned, Reason::AlreadyInside),
        }
    } else {
        answer(Verdict::Valid, Reason::Admitted)
    };
    if let (Some(occupancy), Some(capacity)) = (input.occupancy, input.zone.capacity) {
        if occupancy >= capacity {
            decision.warnings.push(Warning::ZoneFull {
                occupancy,
                capacity,
            });
        }
    }
    decision
}
