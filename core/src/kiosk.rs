//! What a self-service kiosk records besides scans: one [`KioskSession`] per attendee's visit
//! (attract → identified → checked in, badge, queue ticket → idle reset) and the
//! [`QueueTicket`]s it hands out. Both are named by the kiosk (UUIDv7) and travel to the server
//! through the device's outbox like scans, so an upload can be retried safely.

use serde::{Deserialize, Serialize};

use crate::domain::{
    DeviceId, EventId, KioskSessionId, Millis, ParticipantId, QueueTicketId, ScanId,
};
use crate::Verdict;

/// How the attendee told the kiosk who they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Identification {
    /// A QR shown to the camera or read by a hand scanner.
    Scan,
    /// The registration code typed on the keypad.
    Code,
    /// Found by name and date of birth, then picked from the list.
    Search,
}

impl Identification {
    pub const ALL: [Identification; 3] = [
        Identification::Scan,
        Identification::Code,
        Identification::Search,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Identification::Scan => "scan",
            Identification::Code => "code",
            Identification::Search => "search",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// What became of the badge the attendee asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BadgeOutcome {
    /// The printer queue took the job.
    Printed,
    /// No printer is set: the PDF was saved on the kiosk.
    Saved,
}

impl BadgeOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            BadgeOutcome::Printed => "printed",
            BadgeOutcome::Saved => "saved",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "printed" => Some(BadgeOutcome::Printed),
            "saved" => Some(BadgeOutcome::Saved),
            _ => None,
        }
    }
}

/// One attendee's visit at a kiosk. It starts when the kiosk knows who is in front of it (or
/// when someone nobody could identify takes a help-desk number) and ends at the idle reset or
/// when the next attendee is identified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KioskSession {
    pub id: KioskSessionId,
    pub event_id: EventId,
    pub device_id: Option<DeviceId>,
    pub participant_id: Option<ParticipantId>,
    pub identified_by: Option<Identification>,
    /// The language the kiosk showed when the visit ended (`en`, `fr`, `am`, `ar`, ...).
    pub language: Option<String>,
    pub started_at: Millis,
    /// `None` while the attendee is still at the kiosk.
    pub ended_at: Option<Millis>,
    /// The check-in the kiosk made, with its verdict.
    pub scan_id: Option<ScanId>,
    pub verdict: Option<Verdict>,
    pub badge: Option<BadgeOutcome>,
    /// The last queue ticket taken during the visit.
    pub queue_ticket_id: Option<QueueTicketId>,
    /// Counts the kiosk's changes to this visit; the server keeps the highest it has seen, so a
    /// late retry of an older state never overwrites a newer one.
    pub revision: u32,
}

impl KioskSession {
    /// The visit in one word, for lists: `checked_in`, `already_checked_in`, `refused` (a
    /// check-in was tried and the verdict did not admit), `identified` (no check-in) or `help`
    /// (nobody was identified).
    pub fn outcome(&self) -> &'static str {
        match (self.verdict, self.participant_id) {
            (Some(v), _) if v.admits() => "checked_in",
            (Some(Verdict::AlreadyScanned), _) => "already_checked_in",
            (Some(_), _) => "refused",
            (None, Some(_)) => "identified",
            (None, None) => "help",
        }
    }
}

/// A numbered ticket for a service desk. Numbers count up per desk on each kiosk; kiosks that
/// serve the same desk tell their tickets apart by their profile's queue series (see
/// [`queue_label`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueTicket {
    pub id: QueueTicketId,
    pub event_id: EventId,
    pub device_id: Option<DeviceId>,
    /// The visit it was taken in.
    pub session_id: Option<KioskSessionId>,
    pub desk: String,
    pub number: u32,
    /// What the ticket and the desk's screen show: see [`queue_label`].
    pub label: String,
    pub issued_at: Millis,
}

/// The ticket text a desk calls out: the desk's initial, the kiosk's series and the number:
/// `R-007` for the 7th ticket of "Registration" on a kiosk without a series, `RB-007` on the
/// kiosk of series `B`. Kiosks number offline, each on its own, so two kiosks serving one desk
/// need different series for their tickets to differ. A desk name without a letter gives `Q`.
pub fn queue_label(desk: &str, series: &str, number: u32) -> String {
    let initial = desk
        .chars()
        .find(|c| c.is_alphabetic())
        .map(|c| c.to_uppercase().collect::<String>())
        .unwrap_or_else(|| "Q".to_owned());
    format!("{initial}{series}-{number:03}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queue_labels_carry_the_desks_initial_and_a_padded_number() {
        assert_eq!(queue_label("Registration", "", 7), "R-007");
        assert_eq!(queue_label("help desk", "", 12), "H-012");
        assert_eq!(queue_label("42", "", 1234), "Q-1234");
        // Two kiosks serving one desk: the series keeps their tickets apart.
        assert_eq!(queue_label("Registration", "B", 7), "RB-007");
        assert_ne!(
            queue_label("Registration", "A", 1),
            queue_label("Registration", "B", 1)
        );
    }

    #[test]
    fn a_visit_is_summed_up_by_its_check_in() {
        let mut s = KioskSession {
            id: KioskSessionId(uuid::Uuid::nil()),
            event_id: EventId(uuid::Uuid::nil()),
            device_id: None,
            participant_id: None,
            identified_by: None,
            language: None,
            started_at: 0,
            ended_at: None,
            scan_id: None,
            verdict: None,
            badge: None,
            queue_ticket_id: None,
            revision: 1,
        };
        assert_eq!(s.outcome(), "help");
        s.participant_id = Some(ParticipantId(uuid::Uuid::nil()));
        assert_eq!(s.outcome(), "identified");
        s.verdict = Some(Verdict::Valid);
        assert_eq!(s.outcome(), "checked_in");
        s.verdict = Some(Verdict::AlreadyScanned);
        assert_eq!(s.outcome(), "already_checked_in");
        s.verdict = Some(Verdict::Pending);
        assert_eq!(s.outcome(), "refused");
        assert_eq!(
            Identification::parse("search"),
            Some(Identification::Search)
        );
        assert_eq!(BadgeOutcome::parse("saved"), Some(BadgeOutcome::Saved));
    }
}
