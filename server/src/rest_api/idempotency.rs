//! `Idempotency-Key` on POST (draft-ietf-httpapi-idempotency-key-header): the first answer to a
//! key is stored with the work it reports, in one transaction, and kept
//! [`KEEP_FOR_MS`]; a retry with the same key and the same request gets that answer again
//! (marked `Idempotent-Replayed: true`) and changes nothing. The same key with a different request
//! is refused with 422. Concurrent requests with one key run one after the other (the transaction
//! is serialised on the key), so the second sees the first's answer.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::auth::ApiCaller;
use crate::crypto::digest;
use crate::db::idempotency::{self, StoredAnswer};
use crate::db::{now_ms, Tx};
use crate::error::{ApiError, ApiResult};

/// The request header.
pub const HEADER: &str = "idempotency-key";
/// How long an answer is kept: 24 hours.
pub const KEEP_FOR_MS: i64 = 24 * 3_600 * 1_000;
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

/// What identifies a request for replay: its method, path and JSON body (key order and spacing
/// do not matter: the body is compared as parsed).
pub fn request_hash(method: &str, path: &str, body: &serde_json::Value) -> String {
    digest(&format!("{method}\n{path}\n{body}"))
}

/// Inside the request's transaction: the earlier answer to `key`, if there is one. Refuses with
/// 422 when `key` was used for a different request.
pub async fn replay(
    tx: &mut Tx,
    caller: &ApiCaller,
    key: &str,
    request_hash: &str,
) -> ApiResult<Option<Response>> {
    tx.serialize_on(&format!("idempotency:{}:{key}", caller.key.id))
        .await?;
    let Some(answer) = idempotency::find(tx, caller.key.id, key, now_ms() - KEEP_FOR_MS).await?
    else {
        return Ok(None);
    };
    if answer.request_hash != request_hash {
        return Err(ApiError::unprocessable(
            "idempotency_key_reused",
            format!(
                "Idempotency-Key {key:?} was used for a different request in the last 24 hours; \
                 use a new key for a new request"
            ),
        ));
    }
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

/// Inside the request's transaction: keeps `body` as the answer to `key`.
pub async fn remember(
    tx: &mut Tx,
    caller: &ApiCaller,
    key: &str,
    request_hash: &str,
    status: StatusCode,
    body: &impl Serialize,
) -> ApiResult<()> {
    let now = now_ms();
    idempotency::purge(tx, now - KEEP_FOR_MS).await?;
    let answer = StoredAnswer {
        request_hash: request_hash.to_owned(),
        status: status.as_u16(),
        body: serde_json::to_string(body)
            .map_err(|e| ApiError::internal("keep an idempotent answer", e))?,
    };
    idempotency::store(tx, caller.tenant_id(), caller.key.id, key, &answer, now).await?;
    Ok(())
}
