//! One scan per badge presentation, not thirty.
//!
//! A camera sees a badge held up in every frame, and a hand scanner may be triggered twice. The
//! same text seen again within the window is dropped; every sighting restarts the window, so a
//! badge held in front of the camera for ten seconds still gives one scan, and the badge counts
//! again once it has been out of sight for a full window. `now` is an argument so tests need no
//! sleeping.

use std::collections::HashMap;

use gatehouse_core::Millis;

/// The default window: long enough for a person to lower their badge.
pub const DEFAULT_WINDOW_MS: Millis = 3_000;

/// Above this many remembered texts, old ones are forgotten on the next call.
const PRUNE_ABOVE: usize = 256;

/// Drops repeated reads of the same text within a time window.
#[derive(Debug, Clone)]
pub struct Debounce {
    window_ms: Millis,
    last_seen: HashMap<String, Millis>,
}

impl Default for Debounce {
    fn default() -> Self {
        Debounce::new(DEFAULT_WINDOW_MS)
    }
}

impl Debounce {
    /// A window of `window_ms` milliseconds; zero or less lets every read through.
    pub fn new(window_ms: Millis) -> Debounce {
        Debounce {
            window_ms,
            last_seen: HashMap::new(),
        }
    }

    pub fn window_ms(&self) -> Millis {
        self.window_ms
    }

    /// Whether a read of `text` at `now` is a new scan (`true`) or a repeat to drop (`false`).
    pub fn accept(&mut self, text: &str, now: Millis) -> bool {
        if self.last_seen.len() > PRUNE_ABOVE {
            let window = self.window_ms;
            self.last_seen.retain(|_, seen| now - *seen < window);
        }
        let previous = self.last_seen.insert(text.to_string(), now);
        match previous {
            Some(seen) => now - seen >= self.window_ms || now < seen,
            None => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_badge_held_up_for_thirty_frames_scans_once() {
        let mut debounce = Debounce::default();
        let accepted = (0..30)
            .filter(|frame| debounce.accept("BADGE-A", 1_000 + frame * 33))
            .count();
        assert_eq!(accepted, 1);
    }

    #[test]
    fn a_badge_held_up_for_ten_seconds_still_scans_once() {
        let mut debounce = Debounce::default();
        let accepted = (0..300)
            .filter(|frame| debounce.accept("BADGE-A", frame * 33))
            .count();
        assert_eq!(accepted, 1);
    }

    #[test]
    fn the_same_badge_counts_again_after_being_away_for_the_window() {
        let mut debounce = Debounce::new(3_000);
        assert!(debounce.accept("BADGE-A", 0));
        assert!(!debounce.accept("BADGE-A", 2_999));
        assert!(debounce.accept("BADGE-A", 2_999 + 3_000));
    }

    #[test]
    fn two_people_in_a_row_both_scan() {
        let mut debounce = Debounce::default();
        assert!(debounce.accept("BADGE-A", 0));
        assert!(debounce.accept("BADGE-B", 500));
        assert!(!debounce.accept("BADGE-A", 900));
    }

    #[test]
    fn a_zero_window_lets_every_read_through() {
        let mut debounce = Debounce::new(0);
        assert!(debounce.accept("BADGE-A", 0));
        assert!(debounce.accept("BADGE-A", 0));
    }

    #[test]
    fn a_clock_stepping_back_does_not_swallow_scans() {
        let mut debounce = Debounce::default();
        assert!(debounce.accept("BADGE-A", 10_000));
        assert!(debounce.accept("BADGE-A", 5_000));
    }

    #[test]
    fn memory_stays_bounded_over_a_long_day() {
        let mut debounce = Debounce::new(1_000);
        for i in 0..10_000 {
            assert!(debounce.accept(&format!("BADGE-{i}"), i * 2_000));
        }
        assert!(debounce.last_seen.len() <= PRUNE_ABOVE + 1);
    }
}
