//! When a failed delivery is tried again, and when a failing endpoint is given up on.
//!
//! The schedule after the first attempt, at the default base of 5 s: 5 s, 5 min, 30 min, 2 h,
//! 5 h, 10 h, 10 h, 10 h (about 37.6 hours in all, nine attempts), each delay stretched or
//! shrunk by up to 10 % of jitter so that a recovering endpoint is not hit by every retry at
//! once. A `Retry-After` from the endpoint replaces the scheduled delay (within
//! [`MIN_RETRY_AFTER_MS`] and [`MAX_RETRY_AFTER_MS`]). The configured base scales the whole
//! schedule: tests run it in milliseconds.

/// Delays after attempts 1, 2, ..., in units of the base delay (5 s by default).
const SCHEDULE_IN_BASES: &[u64] = &[1, 60, 360, 1_440, 3_600, 7_200, 7_200, 7_200];
/// The base the schedule's units are written for.
pub const DEFAULT_BASE_MS: u64 = 5_000;
/// A `Retry-After` shorter than this is stretched to it.
pub const MIN_RETRY_AFTER_MS: u64 = 1_000;
/// A `Retry-After` longer than this is cut to it.
pub const MAX_RETRY_AFTER_MS: u64 = 24 * 3_600 * 1_000;
/// An endpoint that has not accepted a single delivery for this long (at the default base) is
/// disabled, with a reason the admin sees.
const DISABLE_AFTER_DEFAULT_MS: u64 = 5 * 24 * 3_600 * 1_000;
/// Jitter: each delay is multiplied by a factor in `1 ± JITTER`.
const JITTER: f64 = 0.1;

/// How many attempts a delivery gets in all.
pub fn max_attempts() -> u32 {
    SCHEDULE_IN_BASES.len() as u32 + 1
}

/// The delay before the next attempt after `attempts_made` failed ones (1 after the first), or
/// `None` when the schedule is spent. `jitter` is a number in `[0, 1)`.
pub fn retry_delay_ms(
    attempts_made: u32,
    base_ms: u64,
    retry_after_ms: Option<u64>,
    jitter: f64,
) -> Option<u64> {
    let units = *SCHEDULE_IN_BASES.get((attempts_made.max(1) - 1) as usize)?;
    if let Some(asked) = retry_after_ms {
        return Some(asked.clamp(MIN_RETRY_AFTER_MS, MAX_RETRY_AFTER_MS));
    }
    let planned = units.saturating_mul(base_ms) as f64;
    let factor = 1.0 - JITTER + 2.0 * JITTER * jitter.clamp(0.0, 1.0);
    Some((planned * factor).round() as u64)
}

/// An endpoint's circuit stays open at most this many base delays after a failure (30 s at
/// the default base); then the next due delivery probes it, and a success releases the backlog.
const CIRCUIT_COOLDOWN_IN_BASES: u64 = 6;
/// However long an endpoint asks to be left alone (`Retry-After`), its circuit closes after this.
const MAX_CIRCUIT_MS: u64 = 3_600_000;

/// How long a failure holds back the endpoint's other deliveries: the retry delay, cut to a
/// short cool-down unless the endpoint itself asked (`Retry-After`).
pub fn circuit_open_ms(delay_ms: u64, base_ms: u64, endpoint_asked: bool) -> i64 {
    let cap = if endpoint_asked {
        MAX_CIRCUIT_MS
    } else {
        (CIRCUIT_COOLDOWN_IN_BASES.saturating_mul(base_ms)).min(MAX_CIRCUIT_MS)
    };
    delay_ms.min(cap) as i64
}

/// How long an endpoint may fail without one success before it is disabled.
pub fn disable_after_ms(base_ms: u64) -> i64 {
    let scaled = DISABLE_AFTER_DEFAULT_MS as u128 * base_ms as u128 / DEFAULT_BASE_MS as u128;
    i64::try_from(scaled).unwrap_or(i64::MAX)
}

/// Reads a `Retry-After` header: delay-seconds, or an HTTP date relative to `now_ms`.
pub fn parse_retry_after(value: &str, now_ms: i64) -> Option<u64> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(seconds.saturating_mul(1_000));
    }
    let at = parse_http_date(value)?;
    Some(at.saturating_sub(now_ms).max(0) as u64)
}

/// `Sun, 06 Nov 1994 08:49:37 GMT` (the IMF-fixdate of RFC 9110) as Unix milliseconds.
fn parse_http_date(text: &str) -> Option<i64> {
    let rest = text.split_once(", ")?.1;
    let parts: Vec<&str> = rest.split(' ').collect();
    if parts.len() != 5 || parts[4] != "GMT" {
        return None;
    }
    let day: i64 = parts[0].parse().ok()?;
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let month = MONTHS.iter().position(|m| *m == parts[1])? as i64 + 1;
    let year: i64 = parts[2].parse().ok()?;
    let time: Vec<i64> = parts[3]
        .split(':')
        .map(|p| p.parse().ok())
        .collect::<Option<_>>()?;
    if time.len() != 3 {
        return None;
    }
    let days = days_from_civil(year, month, day);
    Some(((days * 86_400) + time[0] * 3_600 + time[1] * 60 + time[2]) * 1_000)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_schedule_runs_from_five_seconds_to_ten_hours() {
        let plain: Vec<u64> = (1..=8)
            .map(|n| retry_delay_ms(n, DEFAULT_BASE_MS, None, 0.5).unwrap())
            .collect();
        assert_eq!(
            plain,
            vec![
                5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000,
                36_000_000
            ]
        );
        assert_eq!(retry_delay_ms(9, DEFAULT_BASE_MS, None, 0.5), None);
        assert_eq!(max_attempts(), 9);
    }

    #[test]
    fn jitter_stays_within_ten_percent() {
        assert_eq!(retry_delay_ms(1, 5_000, None, 0.0), Some(4_500));
        assert_eq!(retry_delay_ms(1, 5_000, None, 0.999_999), Some(5_500));
    }

    #[test]
    fn retry_after_replaces_the_schedule_within_bounds() {
        assert_eq!(retry_delay_ms(1, 5_000, Some(120_000), 0.3), Some(120_000));
        assert_eq!(
            retry_delay_ms(1, 5_000, Some(0), 0.3),
            Some(MIN_RETRY_AFTER_MS)
        );
        assert_eq!(
            retry_delay_ms(2, 5_000, Some(u64::MAX), 0.3),
            Some(MAX_RETRY_AFTER_MS)
        );
        // A spent schedule stays spent whatever the endpoint asks.
        assert_eq!(retry_delay_ms(9, 5_000, Some(1_000), 0.3), None);
    }

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        assert_eq!(parse_retry_after("120", 0), Some(120_000));
        let now = 784_111_777_000 - 10_000; // 10 s before Sun, 06 Nov 1994 08:49:37 GMT
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now),
            Some(10_000)
        );
        assert_eq!(parse_retry_after("soon", 0), None);
    }

    #[test]
    fn the_circuit_cools_down_in_thirty_seconds_unless_the_endpoint_asked_for_longer() {
        assert_eq!(circuit_open_ms(5_000, 5_000, false), 5_000);
        assert_eq!(circuit_open_ms(36_000_000, 5_000, false), 30_000);
        assert_eq!(circuit_open_ms(600_000, 5_000, true), 600_000);
        assert_eq!(circuit_open_ms(u64::MAX, 5_000, true), 3_600_000);
    }

    #[test]
    fn failing_endpoints_are_disabled_after_five_days_by_default() {
        assert_eq!(disable_after_ms(5_000), 5 * 24 * 3_600 * 1_000);
        assert_eq!(disable_after_ms(50), 5 * 24 * 36 * 1_000);
    }
}
