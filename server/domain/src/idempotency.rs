//! Idempotent requests (draft-ietf-httpapi-idempotency-key-header): the first answer to a
//! client's key is stored with the change it reports, in the change's own unit of work, and kept
//! [`KEEP_FOR_MS`]; a retry with the same key and the same request gets that answer again and
//! changes nothing. The same key with a different request is refused. Concurrent requests with
//! one key run one after the other (the unit is serialised on the key), so the second sees the
//! first's answer. The HTTP side (the header, the replayed response) is the REST API's.

use gatehouse_db::crypto::digest;
use gatehouse_db::idempotency;
use serde::Serialize;
use uuid::Uuid;

use crate::unit::UnitOfWork;
use crate::{now_ms, DomainError, DomainResult};

pub use gatehouse_db::idempotency::StoredAnswer;

/// How long an answer is kept: 24 hours.
pub const KEEP_FOR_MS: i64 = 24 * 3_600 * 1_000;

/// What identifies a request for replay: its method, path and JSON body (key order and spacing
/// do not matter: the body is compared as parsed).
pub fn request_hash(method: &str, path: &str, body: &serde_json::Value) -> String {
    digest(&format!("{method}\n{path}\n{body}"))
}

/// Inside the request's unit: the earlier answer to `key` of API key `api_key`, if there is one.
/// Refuses with `idempotency_key_reused` when `key` was used for a different request.
pub async fn replay(
    unit: &mut UnitOfWork<'_>,
    api_key: Uuid,
    key: &str,
    request_hash: &str,
) -> DomainResult<Option<StoredAnswer>> {
    unit.serialize_on(&format!("idempotency:{api_key}:{key}"))
        .await?;
    let Some(answer) = idempotency::find(unit.tx(), api_key, key, now_ms() - KEEP_FOR_MS).await?
    else {
        return Ok(None);
    };
    if answer.request_hash != request_hash {
        return Err(DomainError::invalid(
            "idempotency_key_reused",
            format!(
                "Idempotency-Key {key:?} was used for a different request in the last 24 hours; \
                 use a new key for a new request"
            ),
        ));
    }
    Ok(Some(answer))
}

/// Inside the request's unit: keeps `body` (answered with `status`) as the answer to `key`.
pub async fn remember(
    unit: &mut UnitOfWork<'_>,
    api_key: Uuid,
    key: &str,
    request_hash: &str,
    status: u16,
    body: &impl Serialize,
) -> DomainResult<()> {
    let now = now_ms();
    idempotency::purge(unit.tx(), now - KEEP_FOR_MS).await?;
    let answer = StoredAnswer {
        request_hash: request_hash.to_owned(),
        status,
        body: serde_json::to_string(body)
            .map_err(|e| DomainError::internal("keep an idempotent answer", e))?,
    };
    let tenant = unit.tenant();
    idempotency::store(unit.tx(), tenant, api_key, key, &answer, now).await?;
    Ok(())
}
