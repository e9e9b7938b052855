//! The rate-limit answer of a request, in HTTP: the API key extractor leaves the bucket's
//! [`Decision`] in a [`DecisionSlot`], and the [`headers`] middleware writes the IETF
//! `RateLimit-*` headers (draft-ietf-httpapi-ratelimit-headers) and, on a refusal, `Retry-After`.
//! The buckets themselves are the domain's (`gatehouse_domain::api_keys::rate_limit`).

use std::sync::{Arc, Mutex};

use axum::extract::Request;
use axum::http::{HeaderMap, HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use gatehouse_domain::api_keys::rate_limit::{Decision, WINDOW_SECONDS};

/// Where the API key extractor leaves its decision for [`headers`] to report.
#[derive(Debug, Clone, Default)]
pub struct DecisionSlot(Arc<Mutex<Option<Decision>>>);

impl DecisionSlot {
    pub fn put(&self, decision: Decision) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = Some(decision);
    }

    fn take(&self) -> Option<Decision> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).take()
    }
}

/// Middleware: gives the request a [`DecisionSlot`] and its answer the `RateLimit-*` headers
/// (and `Retry-After` when refused) if a key was checked.
pub async fn headers(mut request: Request, next: Next) -> Response {
    let slot = DecisionSlot::default();
    request.extensions_mut().insert(slot.clone());
    let mut response = next.run(request).await;
    if let Some(decision) = slot.take() {
        write_headers(response.headers_mut(), &decision);
    }
    response
}

fn write_headers(headers: &mut HeaderMap, d: &Decision) {
    let mut set = |name: &'static str, value: String| {
        if let Ok(v) = HeaderValue::from_str(&value) {
            headers.insert(HeaderName::from_static(name), v);
        }
    };
    set("ratelimit-limit", d.limit.to_string());
    set("ratelimit-remaining", d.remaining.to_string());
    set("ratelimit-reset", d.reset_seconds.to_string());
    set(
        "ratelimit-policy",
        format!("{};w={WINDOW_SECONDS}", d.limit),
    );
    if !d.allowed {
        set("retry-after", d.retry_after_seconds.to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_follow_the_ietf_draft_and_a_refusal_says_when_to_retry() {
        let mut h = HeaderMap::new();
        write_headers(
            &mut h,
            &Decision {
                allowed: false,
                limit: 100,
                remaining: 0,
                reset_seconds: 60,
                retry_after_seconds: 1,
            },
        );
        assert_eq!(h["ratelimit-limit"], "100");
        assert_eq!(h["ratelimit-remaining"], "0");
        assert_eq!(h["ratelimit-reset"], "60");
        assert_eq!(h["ratelimit-policy"], "100;w=60");
        assert_eq!(h["retry-after"], "1");
    }
}
