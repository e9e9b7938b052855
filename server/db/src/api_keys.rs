//! API keys, stored by the SHA-256 of the key (the format is the domain's `api_keys` module).

use gatehouse_core::TenantId;
use serde::Serialize;
use sqlx::{Decode, Row, Type};
use uuid::Uuid;

use super::{exec_tx, on_pool, parse_id, Db, Tx};

/// An API key as admins see it: never the secret, only its display prefix.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ApiKey {
    pub id: Uuid,
    #[serde(skip)]
    pub tenant_id: TenantId,
    pub name: String,
    pub prefix: String,
    pub scopes: Vec<String>,
    pub tier: String,
    pub rate_limit_per_minute: i64,
    pub expires_at: Option<i64>,
    pub revoked_at: Option<i64>,
    pub last_used_at: Option<i64>,
    pub use_count: i64,
    pub created_at: i64,
    /// CIDR blocks the key may be used from; empty: anywhere.
    pub allowed_ips: Vec<String>,
}

/// A key about to be stored.
pub struct NewApiKey<'a> {
    pub id: Uuid,
    pub tenant_id: TenantId,
    pub name: &'a str,
    pub prefix: &'a str,
    pub digest: &'a str,
    pub scopes: &'a [String],
    pub tier: &'a str,
    pub rate_limit_per_minute: i64,
    pub expires_at: Option<i64>,
    pub created_by: &'a str,
    pub created_at: i64,
    /// CIDR blocks the key may be used from; empty: anywhere.
    pub allowed_ips: &'a [String],
}

const COLUMNS: &str = "id, tenant_id, name, prefix, scopes, tier, rate_limit_per_minute, \
                       expires_at, revoked_at, last_used_at, use_count, created_at, allowed_ips";

fn from_row<'r, R>(r: &'r R) -> Result<ApiKey, sqlx::Error>
where
    R: Row,
    usize: sqlx::ColumnIndex<R>,
    String: Decode<'r, R::Database> + Type<R::Database>,
    Option<String>: Decode<'r, R::Database> + Type<R::Database>,
    i64: Decode<'r, R::Database> + Type<R::Database>,
    Option<i64>: Decode<'r, R::Database> + Type<R::Database>,
{
    let id: String = r.try_get(0)?;
    let tenant: String = r.try_get(1)?;
    let scopes: String = r.try_get(4)?;
    let allowed_ips: Option<String> = r.try_get(12)?;
    Ok(ApiKey {
        id: parse_id(&id)?,
        tenant_id: parse_id(&tenant)?,
        name: r.try_get(2)?,
        prefix: r.try_get(3)?,
        scopes: serde_json::from_str(&scopes)
            .map_err(|e| sqlx::Error::Decode(format!("api key scopes: {e}").into()))?,
        tier: r.try_get(5)?,
        rate_limit_per_minute: r.try_get(6)?,
        expires_at: r.try_get(7)?,
        revoked_at: r.try_get(8)?,
        last_used_at: r.try_get(9)?,
        use_count: r.try_get(10)?,
        created_at: r.try_get(11)?,
        allowed_ips: match allowed_ips {
            Some(json) => serde_json::from_str(&json)
                .map_err(|e| sqlx::Error::Decode(format!("api key allowed_ips: {e}").into()))?,
            None => Vec::new(),
        },
    })
}

pub async fn insert(tx: &mut Tx, key: &NewApiKey<'_>) -> Result<(), sqlx::Error> {
    let scopes = serde_json::to_string(key.scopes).unwrap_or_else(|_| "[]".to_owned());
    let allowed_ips = (!key.allowed_ips.is_empty())
        .then(|| serde_json::to_string(key.allowed_ips).unwrap_or_else(|_| "[]".to_owned()));
    exec_tx!(tx, c => sqlx::query(
        "INSERT INTO api_keys (id, tenant_id, name, prefix, digest, scopes, tier, \
         rate_limit_per_minute, expires_at, created_by, created_at, allowed_ips) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(key.id.to_string())
    .bind(key.tenant_id.to_string())
    .bind(key.name)
    .bind(key.prefix)
    .bind(key.digest)
    .bind(&scopes)
    .bind(key.tier)
    .bind(key.rate_limit_per_minute)
    .bind(key.expires_at)
    .bind(key.created_by)
    .bind(key.created_at)
    .bind(allowed_ips)
    .execute(c)
    .await)?;
    Ok(())
}

/// The key with this digest, in whichever tenant: the digest is how a request finds its tenant.
pub async fn find_by_digest(db: &Db, digest: &str) -> Result<Option<ApiKey>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM api_keys WHERE digest = $1");
    on_pool!(db, p => {
        let row = sqlx::query(&sql).bind(digest).fetch_optional(p).await?;
        row.as_ref().map(from_row).transpose()
    })
}

/// [`find_by_digest`] plus whether the key's tenant has the `REST_API` feature on: what every
/// API request needs to know, in one round trip.
pub async fn find_for_request(
    db: &Db,
    digest: &str,
) -> Result<Option<(ApiKey, bool)>, sqlx::Error> {
    let sql = format!(
        "SELECT {COLUMNS}, (SELECT COUNT(*) FROM tenant_features f WHERE f.tenant_id = api_keys.tenant_id \
         AND f.flag = $2 AND f.enabled = 1) FROM api_keys WHERE digest = $1"
    );
    on_pool!(db, p => {
        let row = sqlx::query(&sql)
            .bind(digest)
            .bind(crate::permissions::FeatureFlag::RestApi.as_str())
            .fetch_optional(p)
            .await?;
        row.as_ref()
            .map(|r| {
                let on: i64 = r.try_get(13)?;
                Ok((from_row(r)?, on > 0))
            })
            .transpose()
    })
}

pub async fn find(db: &Db, tenant: TenantId, id: Uuid) -> Result<Option<ApiKey>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM api_keys WHERE tenant_id = $1 AND id = $2");
    on_pool!(db, p => {
        let row = sqlx::query(&sql)
            .bind(tenant.to_string())
            .bind(id.to_string())
            .fetch_optional(p)
            .await?;
        row.as_ref().map(from_row).transpose()
    })
}

pub async fn list(db: &Db, tenant: TenantId) -> Result<Vec<ApiKey>, sqlx::Error> {
    let sql =
        format!("SELECT {COLUMNS} FROM api_keys WHERE tenant_id = $1 ORDER BY created_at, id");
    on_pool!(db, p => {
        let rows = sqlx::query(&sql).bind(tenant.to_string()).fetch_all(p).await?;
        rows.iter().map(from_row).collect()
    })
}

/// Marks the key revoked; returns false when it was unknown or already revoked.
pub async fn revoke(
    tx: &mut Tx,
    tenant: TenantId,
    id: Uuid,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let affected = exec_tx!(tx, c => sqlx::query(
        "UPDATE api_keys SET revoked_at = $1 WHERE tenant_id = $2 AND id = $3 AND revoked_at IS NULL",
    )
    .bind(now)
    .bind(tenant.to_string())
    .bind(id.to_string())
    .execute(c)
    .await)?;
    Ok(affected == 1)
}

/// Counts one use of the key (usage statistics).
pub async fn touch(tx: &mut Tx, tenant: TenantId, id: Uuid, now: i64) -> Result<(), sqlx::Error> {
    exec_tx!(tx, c => sqlx::query(
        "UPDATE api_keys SET last_used_at = $1, use_count = use_count + 1 WHERE tenant_id = $2 AND id = $3",
    )
    .bind(now)
    .bind(tenant.to_string())
    .bind(id.to_string())
    .execute(c)
    .await)?;
    Ok(())
}

/// Adds `uses` uses of the key, the latest at `last_used_at` (usage statistics arrive in batches,
/// possibly from several server nodes, so the count adds up and the time only moves forward).
pub async fn add_usage(
    tx: &mut Tx,
    tenant: TenantId,
    id: Uuid,
    uses: i64,
    last_used_at: i64,
) -> Result<(), sqlx::Error> {
    exec_tx!(tx, c => sqlx::query(
        "UPDATE api_keys SET use_count = use_count + $1, \
         last_used_at = CASE WHEN last_used_at IS NULL OR last_used_at < $2 THEN $2 ELSE last_used_at END \
         WHERE tenant_id = $3 AND id = $4",
    )
    .bind(uses)
    .bind(last_used_at)
    .bind(tenant.to_string())
    .bind(id.to_string())
    .execute(c)
    .await)?;
    Ok(())
}

/// Sets when the key stops working (rotation gives the old key a grace period).
pub async fn set_expiry(
    tx: &mut Tx,
    tenant: TenantId,
    id: Uuid,
    expires_at: i64,
) -> Result<(), sqlx::Error> {
    exec_tx!(tx, c => sqlx::query(
        "UPDATE api_keys SET expires_at = $1 WHERE tenant_id = $2 AND id = $3",
    )
    .bind(expires_at)
    .bind(tenant.to_string())
    .bind(id.to_string())
    .execute(c)
    .await)?;
    Ok(())
}
