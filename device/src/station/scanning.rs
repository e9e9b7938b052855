//! Gate scanning and the supervisor's override.
//!
//! A presented text is a ticket payload or a registration code ([`presented`]): staff typing a
//! short text by hand meant a code, anything a scanner or camera read is what it says. Every scan
//! goes through the store's [`ScanStation`] (`gatehouse_core::checkin` decides it, one
//! transaction records it) and comes back as a [`RecordedScan`]. Then, in this order and never
//! undoing it: the tone, the recent-scans list, the kiosk visit of the person identified, a nudge
//! to the sync task.
//!
//! An override re-presents an `ALREADY_SCANNED` scan of this run with a supervisor's reason:
//! core turns it into `MANUAL_OVERRIDE`, a new scan of its own.

use std::time::{Duration, Instant};

use gatehouse_core::protocol::{ParticipantSummary, Presented};
use gatehouse_core::{
    AccessLog, Checkpoint, Identification, Movement, ParticipantId, Reason, RegistrationCode,
    ScanId, Verdict, Warning,
};
use gatehouse_sync::{read_scanner_line, ScanOptions, ScanOutcome, ScanStation, StoreError};

use super::{lock, Station, StationError};
use crate::frames::Origin;
use crate::profile::Mode;

/// Where a scan came from: a camera, a hand scanner, or typed in.
pub type Source = Origin;

/// A typed text shorter than this is a registration code, never a ticket (92 characters).
const LONGEST_TYPED_CODE: usize = 40;

/// One scan as recorded, with what its answer needs.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedScan {
    /// The access log written (and queued for upload): verdict, reason, movement, times.
    pub log: AccessLog,
    pub participant: Option<ParticipantSummary>,
    /// Warnings of the decision (a full zone); none for a scan read back from the store.
    pub warnings: Vec<Warning>,
    /// From the presented text to the committed record, in milliseconds (0 when read back).
    pub ms: f64,
}

impl RecordedScan {
    pub fn from_outcome(outcome: ScanOutcome, ms: f64) -> RecordedScan {
        RecordedScan {
            warnings: outcome.decision.warnings,
            log: outcome.log,
            participant: outcome.participant,
            ms,
        }
    }

    /// A scan read back from the store (the recent scans after a restart).
    pub fn from_log(log: AccessLog, participant: Option<ParticipantSummary>) -> RecordedScan {
        RecordedScan {
            log,
            participant,
            warnings: Vec::new(),
            ms: 0.0,
        }
    }

    pub fn scan_id(&self) -> ScanId {
        self.log.id
    }

    pub fn verdict(&self) -> Verdict {
        self.log.verdict
    }

    pub fn reason(&self) -> Reason {
        self.log.reason
    }

    /// The pass made: only when the verdict let the person through.
    pub fn movement(&self) -> Option<Movement> {
        self.log.movement
    }

    pub fn participant_id(&self) -> Option<ParticipantId> {
        self.participant.as_ref().map(|p| p.id)
    }
}

/// What a presented text is: a ticket payload or a registration code. Staff typing a short
/// text by hand meant a registration code (so garbage reads `bad_registration_code`); anything
/// else is what a scanner read.
pub fn presented(text: &str, source: Source) -> Presented {
    let line = text.trim_end_matches(['\r', '\n']);
    if source == Origin::Manual && line.trim().chars().count() < LONGEST_TYPED_CODE {
        let typed = line.trim();
        return match RegistrationCode::parse(typed) {
            Ok(code) => Presented::RegistrationCode(code.as_str().to_owned()),
            Err(_) => Presented::RegistrationCode(typed.to_owned()),
        };
    }
    read_scanner_line(line)
}

/// How a kiosk attendee identified themselves with a scan from this source.
fn identification(source: Source) -> Identification {
    match source {
        Origin::Camera | Origin::Wedge => Identification::Scan,
        Origin::Manual => Identification::Code,
    }
}

/// Reads `in`/`out` (and `entry`/`exit`) as the way through a both-ways checkpoint.
pub fn parse_direction(s: &str) -> Result<Movement, String> {
    match s.trim().to_ascii_lowercase().as_str() {
        "in" | "entry" => Ok(Movement::In),
        "out" | "exit" => Ok(Movement::Out),
        other => Err(format!("direction {other:?}: expected \"in\" or \"out\"")),
    }
}

/// Decides and records one scan and times it, from the presented text to the committed record:
/// the scanning step every station (the app's, the headless gate's) takes.
pub fn timed_scan(
    scanner: &mut ScanStation,
    presented: &Presented,
    checkpoint: &Checkpoint,
    options: &ScanOptions,
) -> Result<RecordedScan, StoreError> {
    let started = Instant::now();
    let outcome = scanner.scan(presented, checkpoint, options)?;
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    Ok(RecordedScan::from_outcome(outcome, ms))
}

impl Station {
    /// Whether a scan can be decided now: paired, a checkpoint chosen.
    pub fn ready_to_scan(&self) -> bool {
        let post = self.post();
        post.scanner.is_some() && post.checkpoint.is_some()
    }

    /// Waits until the station can scan, checking every `step`; `false` if `give_up` says so.
    pub fn wait_ready(&self, step: Duration, give_up: impl Fn() -> bool) -> bool {
        while !self.ready_to_scan() {
            if give_up() {
                return false;
            }
            std::thread::sleep(step);
        }
        true
    }

    /// Decides and records one presented text at the chosen checkpoint.
    pub fn scan(&self, text: &str, source: Source) -> Result<RecordedScan, StationError> {
        self.decide(presented(text, source), None, Some(identification(source)))
    }

    /// Checks in the participant a kiosk attendee picked from a search, through the same
    /// decision as a scan (their registration code, typed for them).
    pub fn kiosk_check_in(&self, participant_id: &str) -> Result<RecordedScan, StationError> {
        let code = self.participant(participant_id)?.registration_code;
        self.decide(
            Presented::RegistrationCode(code),
            None,
            Some(Identification::Search),
        )
    }

    /// Re-decides an `ALREADY_SCANNED` scan of this run with a supervisor's reason.
    pub fn override_scan(&self, scan_id: &str, reason: &str) -> Result<RecordedScan, StationError> {
        let reason = reason.trim().to_owned();
        let presented = {
            let post = self.post();
            if !post.profile.actions.r#override {
                return Err(StationError::OverrideForbidden(post.profile.name.clone()));
            }
            let unknown = || StationError::UnknownScan(scan_id.to_owned());
            let id = scan_id.trim().parse().map(ScanId).map_err(|_| unknown())?;
            let earlier = post.recent.get(id).ok_or_else(unknown)?;
            if earlier.verdict() != Verdict::AlreadyScanned {
                return Err(StationError::NotOverridable(earlier.verdict().as_str()));
            }
            post.recent
                .presented(id)
                .cloned()
                .ok_or(StationError::ScanBeforeStart)?
        };
        if reason.is_empty() {
            return Err(StationError::ReasonRequired);
        }
        self.decide(presented, Some(reason), None)
    }

    /// Decides and records a scan; in kiosk mode, `identified_by` also puts the check-in in the
    /// visit of the person identified.
    fn decide(
        &self,
        presented: Presented,
        override_reason: Option<String>,
        identified_by: Option<Identification>,
    ) -> Result<RecordedScan, StationError> {
        let mut guard = self.post();
        let post = &mut *guard;
        let scanner = post.scanner.as_mut().ok_or(StationError::NotPaired)?;
        let checkpoint = post.checkpoint.as_ref().ok_or(StationError::NoCheckpoint)?;
        let options = ScanOptions {
            requested: post.direction,
            override_reason,
        };
        let scan = timed_scan(scanner, &presented, checkpoint, &options)?;
        if let Some(speaker) = lock(&self.speaker).as_ref() {
            speaker.play_signal(scan.verdict().signal());
        }
        post.recent.push(scan.clone(), presented);
        if let (Mode::Kiosk, Some(how)) = (post.mode, identified_by) {
            // The scan is recorded and answered whatever becomes of its visit.
            if let Err(e) = post.record_check_in(how, &scan) {
                tracing::warn!(code = e.code(), error = %e, "the kiosk visit was not recorded");
            }
        }
        drop(guard);
        self.nudge_sync();
        Ok(scan)
    }

    /// The cached participant with this id (as a UI names them).
    pub fn participant(
        &self,
        participant_id: &str,
    ) -> Result<gatehouse_core::Participant, StationError> {
        let id: ParticipantId = participant_id
            .trim()
            .parse()
            .map_err(|_| StationError::BadParticipantId(participant_id.to_owned()))?;
        let post = self.post();
        post.scanner()?
            .store()
            .participant(id)?
            .ok_or_else(|| StationError::UnknownParticipant(participant_id.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_text_typed_by_staff_is_a_registration_code_even_when_garbage() {
        assert!(matches!(
            presented("hello", Origin::Manual),
            Presented::RegistrationCode(t) if t == "hello"
        ));
    }

    #[test]
    fn a_long_text_from_a_scanner_is_a_ticket_payload() {
        let text = "A".repeat(92);
        assert!(matches!(
            presented(&format!("{text}\r\n"), Origin::Wedge),
            Presented::Payload(t) if t == text
        ));
    }

    #[test]
    fn a_direction_is_in_or_out_in_either_spelling() {
        assert_eq!(parse_direction(" Entry "), Ok(Movement::In));
        assert_eq!(parse_direction("out"), Ok(Movement::Out));
        assert!(parse_direction("sideways").is_err());
    }
}
