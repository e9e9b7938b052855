//! Stored answers to POST requests that carried an `Idempotency-Key`, per API key. Both helpers
//! run inside the transaction that does the request's work, so an answer is stored exactly when
//! what it reports committed.

use gatehouse_core::TenantId;
use uuid::Uuid;

use super::{exec_tx, on_tx, Tx};

/// An answer given earlier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAnswer {
    pub request_hash: String,
    pub status: u16,
    pub body: String,
}

/// The answer stored for `key` since `not_before` (older ones have expired and count as absent).
pub async fn find(
    tx: &mut Tx,
    api_key: Uuid,
    key: &str,
    not_before: i64,
) -> Result<Option<StoredAnswer>, sqlx::Error> {
    let row: Option<(String, i64, String)> = on_tx!(tx, c => sqlx::query_as(
        "SELECT request_hash, status, response_body FROM idempotency_keys \
         WHERE api_key_id = $1 AND idempotency_key = $2 AND created_at >= $3",
    )
    .bind(api_key.to_string())
    .bind(key)
    .bind(not_before)
    .fetch_optional(c)
    .await)?;
    Ok(row.map(|(request_hash, status, body)| StoredAnswer {
        request_hash,
        status: u16::try_from(status).unwrap_or(500),
        body,
    }))
}

/// Stores the answer to `key`, replacing an expired one.
pub async fn store(
    tx: &mut Tx,
    tenant: TenantId,
    api_key: Uuid,
    key: &str,
    answer: &StoredAnswer,
    now: i64,
) -> Result<(), sqlx::Error> {
    exec_tx!(tx, c => sqlx::query(
        "INSERT INTO idempotency_keys (api_key_id, idempotency_key, tenant_id, request_hash, status, response_body, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (api_key_id, idempotency_key) DO UPDATE SET request_hash = excluded.request_hash, \
         status = excluded.status, response_body = excluded.response_body, created_at = excluded.created_at",
    )
    .bind(api_key.to_string())
    .bind(key)
    .bind(tenant.to_string())
    .bind(&answer.request_hash)
    .bind(i64::from(answer.status))
    .bind(&answer.body)
    .bind(now)
    .execute(c)
    .await)?;
    Ok(())
}

/// Forgets answers stored before `before`. Returns how many went.
pub async fn purge(tx: &mut Tx, before: i64) -> Result<u64, sqlx::Error> {
    exec_tx!(tx, c => sqlx::query("DELETE FROM idempotency_keys WHERE created_at < $1")
        .bind(before)
        .execute(c)
        .await)
}
