//! Rate limits per API key: a token bucket in memory per key, holding the key's per-minute limit
//! and refilled continuously (a key of 100/min may burst 100, then gets one request every 0.6 s).
//! The HTTP side (the IETF `RateLimit-*` headers, 429 and `Retry-After`) is the server's.
//!
//! Buckets live in each server process: behind a load balancer with N nodes a key may reach up to
//! N × its limit. That bounds abuse without a shared store; a PostgreSQL-backed bucket can replace
//! this one where exact limits across nodes matter.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use uuid::Uuid;

/// The length of the window limits are stated in.
pub const WINDOW_SECONDS: u64 = 60;

/// The outcome of one request against its key's bucket.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Decision {
    pub allowed: bool,
    /// Requests per window.
    pub limit: u32,
    /// Requests that could be made right now.
    pub remaining: u32,
    /// Seconds until the bucket is full again.
    pub reset_seconds: u64,
    /// Seconds until the next request would be allowed (0 when one is allowed now).
    pub retry_after_seconds: u64,
}

#[derive(Debug)]
struct Bucket {
    per_minute: u32,
    tokens: f64,
    at: Instant,
}

/// Every key's bucket.
#[derive(Debug, Default)]
pub struct RateLimiter {
    buckets: Mutex<HashMap<Uuid, Bucket>>,
}

impl RateLimiter {
    /// Takes one token from `key`'s bucket if it has one. A changed limit starts a full bucket.
    pub fn check(&self, key: Uuid, per_minute: u32, now: Instant) -> Decision {
        let per_minute = per_minute.max(1);
        let capacity = f64::from(per_minute);
        let per_second = capacity / WINDOW_SECONDS as f64;
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        let bucket = buckets.entry(key).or_insert(Bucket {
            per_minute,
            tokens: capacity,
            at: now,
        });
        if bucket.per_minute != per_minute {
            *bucket = Bucket {
                per_minute,
                tokens: capacity,
                at: now,
            };
        }
        let elapsed = now.saturating_duration_since(bucket.at).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * per_second).min(capacity);
        bucket.at = now;
        let allowed = bucket.tokens >= 1.0;
        if allowed {
            bucket.tokens -= 1.0;
        }
        let seconds = |tokens: f64| (tokens / per_second).ceil().max(0.0) as u64;
        Decision {
            allowed,
            limit: per_minute,
            remaining: bucket.tokens.floor() as u32,
            reset_seconds: seconds(capacity - bucket.tokens),
            retry_after_seconds: if allowed {
                0
            } else {
                seconds(1.0 - bucket.tokens).max(1)
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_key_may_burst_its_limit_then_waits_for_the_refill() {
        let limiter = RateLimiter::default();
        let key = Uuid::now_v7();
        let t0 = Instant::now();
        for i in 0..3 {
            let d = limiter.check(key, 3, t0);
            assert!(d.allowed, "request {i}");
            assert_eq!(d.remaining, 2 - i);
        }
        let refused = limiter.check(key, 3, t0);
        assert!(!refused.allowed);
        assert_eq!(refused.retry_after_seconds, 20, "3/min is one every 20 s");
        assert_eq!(refused.reset_seconds, 60);
        // 20 s later one token is back.
        assert!(limiter.check(key, 3, t0 + Duration::from_secs(20)).allowed);
        assert!(!limiter.check(key, 3, t0 + Duration::from_secs(20)).allowed);
    }

    #[test]
    fn keys_have_buckets_of_their_own() {
        let limiter = RateLimiter::default();
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        let t0 = Instant::now();
        assert!(limiter.check(a, 1, t0).allowed);
        assert!(!limiter.check(a, 1, t0).allowed);
        assert!(limiter.check(b, 1, t0).allowed);
    }
}
