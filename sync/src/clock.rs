//! The device's clock. Gate laptops drift and some are set to the wrong zone or day; scans keep
//! the device's own reading and a corrected one (device time + the offset the last sync measured
//! against the server's `server_time`).

use std::time::{SystemTime, UNIX_EPOCH};

use gatehouse_core::Millis;

/// Environment variable that shifts the gate's clock by this many ms (tests of clock skew).
pub const CLOCK_SKEW_ENV: &str = "GATEHOUSE_GATE_CLOCK_SKEW_MS";

/// The device's wall clock, optionally shifted to play a gate whose clock is wrong.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Clock {
    pub skew_ms: i64,
}

impl Clock {
    pub fn system() -> Self {
        Clock { skew_ms: 0 }
    }

    /// A clock shifted by `skew_ms`.
    pub fn skewed(skew_ms: i64) -> Self {
        Clock { skew_ms }
    }

    /// Reads [`CLOCK_SKEW_ENV`]; absent means no skew, unreadable is an error naming the value.
    pub fn from_env() -> Result<Self, String> {
        match std::env::var(CLOCK_SKEW_ENV) {
            Ok(v) => v.trim().parse().map(Clock::skewed).map_err(|_| {
                format!("{CLOCK_SKEW_ENV}={v:?} is not a whole number of milliseconds")
            }),
            Err(_) => Ok(Clock::system()),
        }
    }

    /// Milliseconds since the Unix epoch, as this device believes.
    pub fn now(&self) -> Millis {
        let real = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as Millis)
            .unwrap_or(0);
        real + self.skew_ms
    }
}

/// The offset to add to device time to get server time, from one round trip: the server's
/// reading is taken to belong to the middle of the round trip.
pub fn offset_from_round_trip(sent: Millis, received: Millis, server_time: Millis) -> i64 {
    server_time - (sent + (received - sent) / 2)
}
