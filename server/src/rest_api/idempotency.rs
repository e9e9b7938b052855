//! `Idempotency-Key` on POST (draft-ietf-httpapi-idempotency-key-header): the first answer to a
//! key is stored with the work it reports, in one transaction, and kept 24 hours
//! ([`gatehouse_domain::idempotency`]); a retry with the same key and the same request gets that answer again
//! (marked `Idempotent-Replayed: true`) and changes nothing. The same key with a different request
//! is refused with 422. Concurrent requests with one key run one after the other (the transaction
//! is serialised on the key), so the second sees the first's answer.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use gatehouse_domain::{idempotency, UnitOfWork};

use crate::auth::ApiCaller;
use crate::error::{ApiError, ApiResult};

/// The request header.
pub const HEADER: &str = "idempotency-key";
/// Longest key accepted.
pub const MAX_KEY_LEN: usize = 255;

/// The request's `Idempotency-Key`, when it has one.
#[derive(Debug, Clone)]
pub struct IdempotencyKey(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for IdempotencyKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let Some(value) = parts.headers.get(HEADER) else {
            return Ok(IdempotencyKey(None));
        };
        let text = value.to_str().unwrap_or_default().trim();
        // The draft sends the key as a structured-field string; accept it quoted or bare.
        let text = text
            .strip_prefix('"')
            .and_then(|t| t.strip_suffix('"'))
            .unwrap_or(text);
        if text.is_empty() || text.len() > MAX_KEY_LEN {
            return Err(ApiError::bad_request(
                "invalid_idempotency_key",
                format!("Idempotency-Key must be 1 to {MAX_KEY_LEN} visible ASCII characters"),
            ));
        }
        Ok(IdempotencyKey(Some(text.to_owned())))
    }
}

pub use gatehouse_domain::idempotency::request_hash;

/// Inside the request's unit of work: the earlier answer to `key`, as it was sent, if there is
/// one (marked `Idempotent-Replayed: true`). Refuses with 422 when `key` was used for a different
/// request.
pub async fn replay(
    unit: &mut UnitOfWork<'_>,
    caller: &ApiCaller,
    key: &str,
    request_hash: &str,
) -> ApiResult<Option<Response>> {
    let Some(answer) = idempotency::replay(unit, caller.key.id, key, request_hash).await? else {
        return Ok(None);
    };
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::OK);
    let mut response = (status, answer.body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert("idempotent-replayed", HeaderValue::from_static("true"));
    Ok(Some(response))
}

/// Inside the request's unit of work: keeps `body` as the answer to `key`.
pub async fn remember(
    unit: &mut UnitOfWork<'_>,
    caller: &ApiCaller,
    key: &str,
    request_hash: &str,
    status: StatusCode,
    body: &impl Serialize,
) -> ApiResult<()> {
    Ok(idempotency::remember(
        unit,
        caller.key.id,
        key,
        request_hash,
        status.as_u16(),
        body,
    )
    .await?)
}
