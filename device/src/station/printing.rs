//! Badges and printed queue tickets.
//!
//! A badge carries a fresh ticket sealed on this device with the event's newest key (the gates
//! accept it like any other), rendered as an A6 PDF and saved in the profile's `badge_dir`
//! (relative paths inside the data folder; `badges` by default). With a printer queue in the
//! profile it then goes to CUPS (`lp -d QUEUE FILE`): `printed` is true only when `lp` took the
//! job, and a refusal is an error (the attendee is sent to the help desk). Without a queue the
//! file is all there is. A queue ticket is printed the same way, filed under its label, but a
//! fault there is only logged (see [`super::queue`]).

use std::path::{Path, PathBuf};

use gatehouse_core::{Millis, Participant, QueueTicket, TicketClaims};
use gatehouse_sync::{Pairing, Store};

use super::{Station, StationError};
use crate::badge;
use crate::profile::PrinterSettings;

/// The command that hands a file to CUPS.
pub const LP: &str = "lp";
/// Where badges go when the profile does not say, inside the data folder.
const DEFAULT_BADGE_DIR: &str = "badges";

/// What became of a badge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Printed {
    /// Whether the printer took it (false: saved as a file only).
    pub printed: bool,
    /// The PDF written.
    pub file: PathBuf,
}

/// `HH:MM` of `at` in `zone`: what a printed queue ticket says, in the time of the venue's
/// clocks (the kiosk's time zone), not UTC.
pub fn clock_time<Z: chrono::TimeZone>(at: Millis, zone: &Z) -> String
where
    Z::Offset: std::fmt::Display,
{
    chrono::DateTime::from_timestamp_millis(at)
        .map(|t| t.with_timezone(zone).format("%H:%M").to_string())
        .unwrap_or_default()
}

/// A fresh ticket for `who`, sealed with the event's newest key: what a badge's QR carries.
pub fn badge_ticket(
    store: &Store,
    pairing: &Pairing,
    who: &Participant,
    now: Millis,
) -> Result<String, StationError> {
    store
        .event_keys(pairing.tenant_id, pairing.event_id)?
        .issue(
            &TicketClaims {
                participant_id: who.id,
                issued_at: now,
                credential_seq: who.credential_seq,
            },
            rand::random(),
        )
        .map_err(|e| StationError::CannotIssueTicket(e.to_string()))
}

impl Station {
    /// Makes the participant's badge and prints it where the profile has a printer queue; in
    /// kiosk mode the badge joins their visit.
    pub fn print_badge(&self, participant_id: &str) -> Result<Printed, StationError> {
        let who = self.participant(participant_id)?;
        let now = self.clock.now();
        let post = self.post();
        let store = post.scanner()?.store();
        let pairing = store.require_pairing()?;
        let ticket = badge_ticket(store, &pairing, &who, now)?;
        let printer = post.profile.printer.clone();
        drop(post);
        let rendered = badge::render(&badge::Badge {
            event: &pairing.event_name,
            name: &who.full_name,
            organisation: who.organisation.as_deref(),
            category: &who.category,
            registration_code: &who.registration_code,
            qr_text: &ticket,
        })?;
        let file = badge::save(
            &rendered.pdf,
            &self.badge_dir(&printer),
            &who.registration_code,
            now,
        )?;
        let printed = match &printer.queue {
            Some(queue) => {
                let job = badge::print_file(&self.config.print_command, queue, &file)?;
                tracing::info!(participant = %who.id, queue, job, "badge sent to the printer");
                true
            }
            None => {
                tracing::info!(participant = %who.id, file = %file.display(), "badge saved");
                false
            }
        };
        self.record_badge(who.id, printed);
        Ok(Printed { printed, file })
    }

    /// Prints a queue ticket when the profile names a printer queue; a fault is logged only.
    pub(super) fn print_queue_ticket(
        &self,
        printer: &PrinterSettings,
        event: &str,
        ticket: &QueueTicket,
    ) {
        let Some(queue) = &printer.queue else {
            return;
        };
        let taken_at = clock_time(ticket.issued_at, &chrono::Local);
        let pdf = badge::render_queue_ticket(event, &ticket.desk, &ticket.label, &taken_at);
        let printed = badge::save(
            &pdf,
            &self.badge_dir(printer),
            &format!("queue-{}", ticket.label),
            ticket.issued_at,
        )
        .and_then(|file| badge::print_file(&self.config.print_command, queue, &file));
        if let Err(e) = printed {
            tracing::warn!(code = e.code(), error = %e, "the queue ticket was not printed");
        }
    }

    /// Where badges and queue tickets are written: the profile's `badge_dir`, relative paths
    /// inside the data folder.
    fn badge_dir(&self, printer: &PrinterSettings) -> PathBuf {
        self.config.data.join(
            printer
                .badge_dir
                .as_deref()
                .unwrap_or(Path::new(DEFAULT_BADGE_DIR)),
        )
    }
}

#[cfg(test)]
mod tests {
    use gatehouse_core::protocol::Presented;
    use gatehouse_core::Verdict;
    use gatehouse_sync::test_support::{paired_store, participant, station};
    use gatehouse_sync::ScanOptions;

    use super::*;
    use crate::station::scanning::{presented, Source};

    #[test]
    fn a_printed_queue_ticket_shows_the_venues_time() {
        // 2026-12-02 07:05 UTC is 10:05 in Addis Ababa (UTC+3).
        let at = 1_796_195_100_000;
        let addis = chrono::FixedOffset::east_opt(3 * 3600).unwrap();
        assert_eq!(clock_time(at, &addis), "10:05");
        assert_eq!(clock_time(at, &chrono::Utc), "07:05");
    }

    #[test]
    fn the_ticket_on_a_kiosk_badge_is_admitted_at_the_gate() {
        let dir = tempfile::tempdir().unwrap();
        let zoe = participant(1, "Zoë Ndlovu");
        let store = paired_store(dir.path(), std::slice::from_ref(&zoe));
        let pairing = store.require_pairing().unwrap();
        let ticket = badge_ticket(
            &store,
            &pairing,
            &zoe,
            gatehouse_sync::Clock::system().now(),
        )
        .unwrap();
        let mut gate = station(dir.path());
        let entrance = gate.checkpoint("Main entrance").unwrap();
        let read = presented(&ticket, Source::Camera);
        assert!(matches!(read, Presented::Payload(_)));
        let scan = gate
            .scan(&read, &entrance, &ScanOptions::default())
            .unwrap();
        assert_eq!(scan.verdict(), Verdict::Valid);
        assert_eq!(scan.participant.unwrap().name, zoe.full_name);
    }
}
