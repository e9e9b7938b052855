//! The things a gate supervisor talks about: events, zones, checkpoints, participants, scans.
//!
//! Times are [`Millis`], milliseconds since the Unix epoch (UTC): the same integer in SQLite,
//! PostgreSQL, JSON and on every device, with no time-zone guessing on the scan path. Events keep
//! their IANA time zone for display only.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Milliseconds since 1970-01-01T00:00:00Z.
pub type Millis = i64;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map($name)
            }
        }
    };
}

id_type!(
    /// An organisation using Gatehouse; every row belongs to one.
    TenantId
);
id_type!(
    /// One event (a summit, a congress) of a tenant.
    EventId
);
id_type!(
    /// An area with its own access rule and occupancy: a hall, a lounge.
    ZoneId
);
id_type!(
    /// A place where badges are scanned: a gate, a door, a kiosk.
    CheckpointId
);
id_type!(
    /// One registered person at one event.
    ParticipantId
);
id_type!(
    /// A paired gate laptop, turnstile PC or kiosk.
    DeviceId
);
id_type!(
    /// One scan, named by the device that made it (UUIDv7), so uploads can be retried safely.
    ScanId
);
id_type!(
    /// One attendee's visit at a kiosk, named by the kiosk (UUIDv7).
    KioskSessionId
);
id_type!(
    /// A numbered ticket for a service desk, named by the kiosk that printed it (UUIDv7).
    QueueTicketId
);

/// An organisation using Gatehouse.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tenant {
    pub id: TenantId,
    pub name: String,
    pub slug: String,
}

/// One event of a tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    pub id: EventId,
    pub tenant_id: TenantId,
    pub name: String,
    pub starts_at: Millis,
    pub ends_at: Millis,
    /// IANA zone name (`Africa/Addis_Ababa`), for showing local times.
    pub time_zone: String,
}

/// An area with an access rule and a head count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Zone {
    pub id: ZoneId,
    pub event_id: EventId,
    pub name: String,
    /// Seats or standing places. Informational: a full zone warns, it never jams a gate.
    pub capacity: Option<u32>,
    /// Whether a second entry without an exit is allowed (an open exhibition floor) or is
    /// `ALREADY_SCANNED` (anti-passback, the default).
    pub multiple_entry: bool,
}

/// Which way people pass a checkpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    Entry,
    Exit,
    /// One gate for both ways; the scan names the way, or it is inferred from whether the
    /// participant is inside.
    Both,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Entry => "entry",
            Direction::Exit => "exit",
            Direction::Both => "both",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "entry" => Some(Direction::Entry),
            "exit" => Some(Direction::Exit),
            "both" => Some(Direction::Both),
            _ => None,
        }
    }
}

/// One pass through a checkpoint: in or out of its zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Movement {
    In,
    Out,
}

impl Movement {
    pub fn as_str(self) -> &'static str {
        match self {
            Movement::In => "in",
            Movement::Out => "out",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "in" => Some(Movement::In),
            "out" => Some(Movement::Out),
            _ => None,
        }
    }
}

/// A place where badges are scanned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    pub id: CheckpointId,
    pub event_id: EventId,
    pub zone_id: ZoneId,
    pub name: String,
    pub direction: Direction,
    /// A closed checkpoint answers every scan with `INVALID` (`checkpoint_closed`).
    pub active: bool,
}

/// Where a registration stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ParticipantStatus {
    Pending,
    Approved,
    Rejected,
    Cancelled,
}

impl ParticipantStatus {
    pub const ALL: [ParticipantStatus; 4] = [
        ParticipantStatus::Pending,
        ParticipantStatus::Approved,
        ParticipantStatus::Rejected,
        ParticipantStatus::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ParticipantStatus::Pending => "pending",
            ParticipantStatus::Approved => "approved",
            ParticipantStatus::Rejected => "rejected",
            ParticipantStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// What a gate needs to know about a person to decide a scan. The server holds more (email,
/// passport, date of birth); devices cache only this and the name shown on screen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Participant {
    pub id: ParticipantId,
    pub event_id: EventId,
    pub full_name: String,
    pub organisation: Option<String>,
    pub category: String,
    pub status: ParticipantStatus,
    /// The zones this person may enter.
    pub zones: Vec<ZoneId>,
    pub valid_from: Option<Millis>,
    pub valid_until: Option<Millis>,
    /// Raised each time a badge is reissued; a ticket with a lower sequence is `REVOKED`.
    pub credential_seq: u16,
    /// On the blacklist: every scan is `BLOCKED`.
    pub blocked: bool,
    pub registration_code: String,
    /// The [`birth_check`] of the person's date of birth, when the server knows it: a kiosk
    /// confirms a name search with it without holding the date itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birth_check: Option<String>,
}

impl Participant {
    pub fn may_enter(&self, zone: ZoneId) -> bool {
        self.zones.contains(&zone)
    }
}

/// Whether `text` has the shape of an ISO date, `1990-04-25`.
pub fn is_iso_date(text: &str) -> bool {
    text.len() == 10
        && text.char_indices().all(|(i, c)| {
            if i == 4 || i == 7 {
                c == '-'
            } else {
                c.is_ascii_digit()
            }
        })
}

/// What devices keep of a date of birth (`1990-04-25`): the first 8 bytes of SHA-256 over a
/// label, the participant's id and the date, in hex. A kiosk hashes the date the attendee types
/// and compares, so the date is not stored readable on the device. It is a check, not a secret:
/// dates of birth are few enough to try them all. `None` for a date not in ISO form.
pub fn birth_check(participant: ParticipantId, date_of_birth: &str) -> Option<String> {
    use sha2::{Digest, Sha256};
    let date = date_of_birth.trim();
    if !is_iso_date(date) {
        return None;
    }
    let mut hash = Sha256::new();
    hash.update(b"gatehouse birth check v1\0");
    hash.update(participant.0.as_bytes());
    hash.update(date.as_bytes());
    let digest = hash.finalize();
    Some(digest[..8].iter().map(|b| format!("{b:02x}")).collect())
}

/// One scan as it is kept and synced: what was presented, where, when, and the verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessLog {
    pub id: ScanId,
    pub event_id: EventId,
    pub checkpoint_id: CheckpointId,
    pub zone_id: ZoneId,
    pub device_id: Option<DeviceId>,
    pub participant_id: Option<ParticipantId>,
    /// The credential sequence printed on the ticket presented, when a ticket was read.
    pub credential_seq: Option<u16>,
    /// The pass made: `None` when the scan let nobody through (see [`crate::checkin`]).
    pub movement: Option<Movement>,
    pub verdict: crate::Verdict,
    pub reason: crate::Reason,
    pub override_reason: Option<String>,
    /// The device's own clock when it scanned.
    pub device_time: Millis,
    /// The device's clock corrected by its last known offset to the server.
    pub corrected_time: Millis,
}

impl AccessLog {
    /// Whether this scan let the person through (counts for anti-passback and occupancy).
    pub fn admitted(&self) -> bool {
        self.verdict.admits()
    }

    /// This scan as history for later decisions (scans that were not read carry no movement).
    pub fn as_past_scan(&self) -> Option<crate::decide::PastScan> {
        Some(crate::decide::PastScan {
            zone_id: self.zone_id,
            movement: self.movement?,
            verdict: self.verdict,
            at: self.corrected_time,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_birth_check_confirms_the_right_date_for_the_right_person_only() {
        let amina = ParticipantId(uuid::Uuid::from_u128(1));
        let zoe = ParticipantId(uuid::Uuid::from_u128(2));
        let check = birth_check(amina, "1990-04-25").unwrap();
        assert_eq!(check.len(), 16);
        assert_eq!(birth_check(amina, " 1990-04-25 "), Some(check.clone()));
        assert_ne!(birth_check(amina, "1990-04-26"), Some(check.clone()));
        assert_ne!(birth_check(zoe, "1990-04-25"), Some(check));
        assert_eq!(birth_check(amina, "25/04/1990"), None);
        assert!(is_iso_date("1990-04-25") && !is_iso_date("1990-4-25"));
    }
}
