//! Queue tickets: the next number at a service desk, counted on this device (offline too), with
//! the label the desk calls out (`R-007`; a kiosk's `queue_series` makes `RB-007`).
//!
//! A number is taken in one transaction with its place in the kiosk outbox, so it is never given
//! twice nor lost; in kiosk mode it joins the visit in progress (or opens one for nobody yet). It
//! is printed beside the badges when the profile names a printer queue, and a printer fault is
//! only logged: the number is on screen whatever the printer does.

use gatehouse_core::QueueTicket;
use gatehouse_sync::kiosk;

use super::{Station, StationError};

/// The desk's display name for what a kiosk asks (`registration`, `help`, or a desk's own name):
/// the profile's desk whose name says so, or a plain name when the profile lists none.
pub fn desk_name(desks: &[String], asked: &str) -> Result<String, StationError> {
    let asked = asked.trim();
    if let Some(d) = desks.iter().find(|d| d.eq_ignore_ascii_case(asked)) {
        return Ok(d.clone());
    }
    let lower = asked.to_ascii_lowercase();
    let pick = |words: &[&str], fallback: &str| {
        desks
            .iter()
            .find(|d| {
                let d = d.to_ascii_lowercase();
                words.iter().any(|w| d.contains(w))
            })
            .cloned()
            .unwrap_or_else(|| fallback.to_owned())
    };
    match lower.as_str() {
        "registration" => Ok(pick(&["registr", "accredit"], "Registration")),
        "help" => Ok(pick(&["help", "info"], "Help desk")),
        _ => Err(StationError::UnknownDesk {
            asked: asked.to_owned(),
            known: desks.join(", "),
        }),
    }
}

impl Station {
    /// Hands out the next number at a desk and queues it for the server's desk queue; printed
    /// too when the profile names a printer queue.
    pub fn queue_ticket(&self, desk: &str) -> Result<QueueTicket, StationError> {
        let mut guard = self.post();
        let post = &mut *guard;
        let desk = desk_name(&post.profile.queue_desks, desk)?;
        let now = self.clock.now();
        let visit = post.kiosk_visit(now)?;
        let scanner = post.scanner.as_mut().ok_or(StationError::NotPaired)?;
        let pairing = scanner.store().require_pairing()?;
        let series = post.profile.queue_series.as_deref().unwrap_or("");
        let ticket =
            kiosk::issue_queue_ticket(scanner.store_mut(), &pairing, visit, &desk, series, now)?;
        post.record_ticket(visit, ticket.id)?;
        let printer = post.profile.printer.clone();
        drop(guard);
        self.nudge_sync();
        self.print_queue_ticket(&printer, &pairing.event_name, &ticket);
        Ok(ticket)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kiosk_asks_for_registration_and_help_and_gets_the_profiles_desk_names() {
        let desks = vec!["Accreditation".to_owned(), "Help desk".to_owned()];
        assert_eq!(desk_name(&desks, "registration").unwrap(), "Accreditation");
        assert_eq!(desk_name(&desks, "help").unwrap(), "Help desk");
        assert_eq!(desk_name(&desks, "help desk").unwrap(), "Help desk");
        assert_eq!(desk_name(&[], "registration").unwrap(), "Registration");
        assert_eq!(desk_name(&desks, "bar").unwrap_err().code(), "unknown_desk");
    }
}
