//! The kiosk's admin PIN: the only way out of kiosk mode.
//!
//! States: **locked in** (kiosk mode) → a right PIN **unlocks** the door once → leaving kiosk
//! mode closes the visit in progress and makes the device a gate until restart. A kiosk stands
//! in a public hall, so guessing must be slow: after [`FREE_TRIES`] wrong PINs in a row, each
//! further try waits for a lock that doubles per failure (capped at [`MAX_LOCK_MS`]), during
//! which even the right PIN is not checked; a right PIN clears the count. A profile without a
//! PIN hash accepts no PIN. Times are the station's clock.

use std::sync::atomic::Ordering;

use gatehouse_core::Millis;

use super::{lock, Station, StationError};
use crate::profile::Mode;

/// Wrong PINs allowed before the lock starts.
pub const FREE_TRIES: u32 = 3;
/// The first lock, in ms.
pub const FIRST_LOCK_MS: Millis = 30_000;
/// The longest lock, in ms.
pub const MAX_LOCK_MS: Millis = 15 * 60_000;

/// The answer to one PIN try.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PinAnswer {
    Accepted,
    Refused,
    /// Too many wrong PINs: not even checked until this time (Unix ms).
    LockedUntil(Millis),
}

/// Counts wrong PINs and locks the door after too many.
#[derive(Debug, Default, Clone)]
pub struct PinGuard {
    failures: u32,
    locked_until: Millis,
}

impl PinGuard {
    /// Checks `pin` with `verify` at `now`, unless the guard is locked.
    pub fn attempt(&mut self, now: Millis, verify: impl FnOnce() -> bool) -> PinAnswer {
        if now < self.locked_until {
            return PinAnswer::LockedUntil(self.locked_until);
        }
        if verify() {
            self.failures = 0;
            self.locked_until = 0;
            return PinAnswer::Accepted;
        }
        self.failures = self.failures.saturating_add(1);
        if self.failures > FREE_TRIES {
            let doublings = (self.failures - FREE_TRIES - 1).min(16);
            let lock = FIRST_LOCK_MS
                .saturating_mul(1 << doublings)
                .min(MAX_LOCK_MS);
            self.locked_until = now + lock;
        }
        PinAnswer::Refused
    }
}

impl Station {
    /// Whether `pin` opens the kiosk's admin door (slowly: argon2 takes tens of ms, call it off
    /// a UI thread). Too many wrong PINs lock the door for a while: `pin_locked`.
    pub fn verify_admin_pin(&self, pin: &str) -> Result<bool, StationError> {
        let profile = self.profile();
        let now = self.clock.now();
        match lock(&self.pins).attempt(now, || profile.verify_pin(pin)) {
            PinAnswer::Accepted => {
                self.kiosk_unlocked.store(true, Ordering::SeqCst);
                Ok(true)
            }
            PinAnswer::Refused => Ok(false),
            PinAnswer::LockedUntil(until) => {
                Err(StationError::PinLocked(((until - now) / 1000).max(1)))
            }
        }
    }

    /// Leaves kiosk mode after a verified PIN (once per PIN): the last visit ends and the
    /// device is a gate from now on. A window unlocks itself after this.
    pub fn exit_kiosk(&self) -> Result<(), StationError> {
        if !self.kiosk_unlocked.swap(false, Ordering::SeqCst) {
            return Err(StationError::PinRequired);
        }
        self.close_visits();
        self.post().mode = Mode::Gate;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_right_pin_opens_the_door() {
        let mut guard = PinGuard::default();
        assert_eq!(guard.attempt(0, || true), PinAnswer::Accepted);
    }

    #[test]
    fn a_few_wrong_pins_are_forgiven() {
        let mut guard = PinGuard::default();
        for _ in 0..FREE_TRIES {
            assert_eq!(guard.attempt(0, || false), PinAnswer::Refused);
        }
        assert_eq!(guard.attempt(1, || true), PinAnswer::Accepted);
    }

    #[test]
    fn guessing_locks_the_door_even_for_the_right_pin() {
        let mut guard = PinGuard::default();
        for _ in 0..=FREE_TRIES {
            guard.attempt(1_000, || false);
        }
        assert_eq!(
            guard.attempt(2_000, || true),
            PinAnswer::LockedUntil(1_000 + FIRST_LOCK_MS)
        );
        assert_eq!(
            guard.attempt(1_000 + FIRST_LOCK_MS, || true),
            PinAnswer::Accepted
        );
    }

    #[test]
    fn each_wrong_pin_after_the_lock_doubles_it() {
        let mut guard = PinGuard::default();
        for _ in 0..=FREE_TRIES {
            guard.attempt(0, || false);
        }
        let t = FIRST_LOCK_MS;
        assert_eq!(guard.attempt(t, || false), PinAnswer::Refused);
        assert_eq!(
            guard.attempt(t + 1, || true),
            PinAnswer::LockedUntil(t + 2 * FIRST_LOCK_MS)
        );
    }
}
