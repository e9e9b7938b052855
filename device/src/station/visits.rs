//! Kiosk visits: in kiosk mode, each attendee the kiosk identifies (a scanned QR, a typed code,
//! or a name and date of birth search) opens a visit ([`KioskSession`]) that gathers what
//! happened: the check-in and its verdict, the badge, the queue ticket.
//!
//! - A visit opens with the first thing done for someone (a check-in, a badge, a queue number);
//!   what is done for nobody in particular (a help-desk number) opens one for nobody, which the
//!   next identified attendee takes over.
//! - It ends at the idle reset or "Done" ([`Station::kiosk_session_end`], with the language
//!   shown), or when another attendee is identified: their visit starts, the last one ends.
//! - Every change is stored at once and queued for the server in the kiosk outbox
//!   (`gatehouse_sync::kiosk`), in a transaction of its own after the scan's: a visit that cannot
//!   be written never costs the scan.
//! - A visit is saved in the language the kiosk shows at that moment; one ended by the next
//!   attendee keeps the language of its last save (the next attendee may have switched first).
//!
//! A gate records no visits.

use gatehouse_core::{
    BadgeOutcome, Identification, KioskSession, KioskSessionId, Millis, ParticipantId,
    QueueTicketId,
};
use gatehouse_sync::kiosk;

use super::scanning::RecordedScan;
use super::{Post, Station, StationError};
use crate::profile::Mode;

/// Longest language tag a visit keeps.
const MAX_LANGUAGE_LEN: usize = 35;

/// The visit in progress and the language the kiosk shows now.
#[derive(Debug, Default)]
pub(super) struct Visits {
    open: Option<KioskSession>,
    /// Written into the visit in progress each time it is saved.
    language: Option<String>,
}

/// A language tag as a visit keeps it (`en`, `fr`, `pt-BR`), or `None` for anything else.
fn language_tag(language: Option<&str>) -> Option<&str> {
    language.map(str::trim).filter(|l| {
        !l.is_empty()
            && l.len() <= MAX_LANGUAGE_LEN
            && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    })
}

impl Post {
    /// Makes the visit in progress the one of `who`: the open visit if it is theirs or nobody's
    /// yet (or `who` is not known), else a new one, after ending the previous attendee's.
    pub(super) fn visit_of(
        &mut self,
        who: Option<ParticipantId>,
        how: Option<Identification>,
        now: Millis,
    ) -> Result<&mut KioskSession, StationError> {
        let scanner = self.scanner.as_mut().ok_or(StationError::NotPaired)?;
        let slot = &mut self.visits.open;
        let theirs = |v: &KioskSession| {
            who.is_none() || v.participant_id.is_none() || v.participant_id == who
        };
        let visit = match slot.take() {
            Some(visit) if theirs(&visit) => slot.insert(visit),
            previous => {
                if let Some(mut previous) = previous {
                    previous.ended_at = Some(now);
                    kiosk::save_session(scanner.store_mut(), &mut previous)?;
                }
                let pairing = scanner.store().require_pairing()?;
                slot.insert(kiosk::new_session(&pairing, who, how, now))
            }
        };
        if visit.participant_id.is_none() && who.is_some() {
            visit.participant_id = who;
            visit.identified_by = how;
        }
        Ok(visit)
    }

    /// Stores the visit in progress as it is now, in the language shown now, and queues it.
    pub(super) fn save_visit(&mut self) -> Result<(), StationError> {
        let scanner = self.scanner.as_mut().ok_or(StationError::NotPaired)?;
        if let Some(visit) = self.visits.open.as_mut() {
            if let Some(language) = &self.visits.language {
                visit.language = Some(language.clone());
            }
            kiosk::save_session(scanner.store_mut(), visit)?;
        }
        Ok(())
    }

    /// Records a kiosk check-in in the visit of the person it identified (a misread identifies
    /// nobody and opens no visit).
    pub(super) fn record_check_in(
        &mut self,
        how: Identification,
        scan: &RecordedScan,
    ) -> Result<(), StationError> {
        let Some(who) = scan.participant_id() else {
            return Ok(());
        };
        let visit = self.visit_of(Some(who), Some(how), scan.log.device_time)?;
        visit.scan_id = Some(scan.scan_id());
        visit.verdict = Some(scan.verdict());
        self.save_visit()
    }

    /// The visit in progress, for a kiosk (`None` on a gate).
    pub(super) fn kiosk_visit(
        &mut self,
        now: Millis,
    ) -> Result<Option<KioskSessionId>, StationError> {
        Ok(match self.mode {
            Mode::Kiosk => Some(self.visit_of(None, None, now)?.id),
            Mode::Gate => None,
        })
    }

    /// Puts a queue ticket in the visit it was issued in.
    pub(super) fn record_ticket(
        &mut self,
        visit: Option<KioskSessionId>,
        ticket: QueueTicketId,
    ) -> Result<(), StationError> {
        let Some(open) = self.visits.open.as_mut().filter(|v| Some(v.id) == visit) else {
            return Ok(());
        };
        open.queue_ticket_id = Some(ticket);
        self.save_visit()
    }
}

impl Station {
    /// Ends the kiosk visit in progress (the idle reset, "Done"), keeping the language the kiosk
    /// showed. Nothing happens when no visit is open.
    pub fn kiosk_session_end(&self, language: Option<&str>) -> Result<(), StationError> {
        let mut guard = self.post();
        let post = &mut *guard;
        let Some(mut visit) = post.visits.open.take() else {
            return Ok(());
        };
        visit.ended_at = Some(self.clock.now());
        if let Some(language) = language_tag(language).or(post.visits.language.as_deref()) {
            visit.language = Some(language.to_owned());
        }
        let scanner = post.scanner_mut()?;
        kiosk::save_session(scanner.store_mut(), &mut visit)?;
        drop(guard);
        self.nudge_sync();
        Ok(())
    }

    /// The kiosk's UI switched language: the visit in progress is saved in it from now on (a
    /// check-in made by the camera included). A tag that is not one is ignored.
    pub fn kiosk_language(&self, language: &str) {
        if let Some(language) = language_tag(Some(language)) {
            self.post().visits.language = Some(language.to_owned());
        }
    }

    /// Puts a badge in the visit of the person it was made for (kiosk mode only).
    pub(super) fn record_badge(&self, who: ParticipantId, printed: bool) {
        let mut guard = self.post();
        let post = &mut *guard;
        if post.mode != Mode::Kiosk {
            return;
        }
        let recorded = post
            .visit_of(Some(who), None, self.clock.now())
            .map(|visit| {
                visit.badge = Some(if printed {
                    BadgeOutcome::Printed
                } else {
                    BadgeOutcome::Saved
                });
            })
            .and_then(|()| post.save_visit());
        drop(guard);
        match recorded {
            Ok(()) => self.nudge_sync(),
            Err(e) => {
                tracing::warn!(code = e.code(), error = %e, "the badge was not recorded in the visit")
            }
        }
    }

    /// Ends the visit of the last attendee as the kiosk becomes a gate (the admin PIN).
    pub(super) fn close_visits(&self) {
        if let Err(e) = self.kiosk_session_end(None) {
            tracing::warn!(code = e.code(), error = %e, "the last kiosk visit was not closed");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_visit_keeps_only_what_looks_like_a_language_tag() {
        assert_eq!(language_tag(Some(" pt-BR ")), Some("pt-BR"));
        assert_eq!(language_tag(Some("<script>")), None);
        assert_eq!(language_tag(Some("")), None);
        assert_eq!(language_tag(None), None);
    }
}
