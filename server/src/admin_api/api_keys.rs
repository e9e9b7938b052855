//! API keys for integrators: create (the key is in this one answer and nowhere else), list,
//! rotate (a new secret; the old one keeps working for a grace period), revoke. See [`crate::api_keys`] for the format, scopes and tiers.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::api_keys::{self, Tier};
use crate::auth::AdminCaller;
use crate::crypto::digest;
use crate::db::{self, audit, now_ms};
use crate::error::{ApiError, ApiResult};
use crate::extract::{path_id, JsonBody};
use crate::permissions::Permission;
use crate::state::AppState;

/// Longest key name accepted.
const MAX_NAME_LEN: usize = 120;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewKey {
    pub name: String,
    pub scopes: Vec<String>,
    #[serde(default = "standard")]
    pub tier: String,
    pub rate_limit_per_minute: Option<u32>,
    /// Unix ms after which the key is refused.
    pub expires_at: Option<i64>,
    /// CIDR blocks (`203.0.113.0/24`, `2001:db8::/32`, or one address) the key may be used
    /// from; absent or empty: anywhere.
    #[serde(default)]
    pub allowed_ips: Vec<String>,
}

fn standard() -> String {
    "STANDARD".to_owned()
}

pub async fn create(
    State(state): State<AppState>,
    caller: AdminCaller,
    JsonBody(new): JsonBody<NewKey>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let (stored, key) = create_key(&state, &caller, &new).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "api_key": stored,
            "key": key,
            "note": "This is the only time the key is shown: store it now.",
        })),
    ))
}

/// Checks and stores a new key; answers it with its secret (the only time anyone sees it).
/// The admin API and the dashboard both create keys here.
pub async fn create_key(
    state: &AppState,
    caller: &AdminCaller,
    new: &NewKey,
) -> ApiResult<(db::api_keys::ApiKey, String)> {
    caller.require(Permission::ApiKeysManage)?;
    let name = new.name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_LEN {
        return Err(ApiError::unprocessable(
            "invalid_name",
            format!("name must be 1 to {MAX_NAME_LEN} characters"),
        ));
    }
    if new.scopes.is_empty() {
        return Err(ApiError::unprocessable(
            "invalid_scope",
            "give at least one scope, e.g. \"events:read\"",
        ));
    }
    for scope in &new.scopes {
        api_keys::validate_scope(scope).map_err(|m| ApiError::unprocessable("invalid_scope", m))?;
    }
    let tier = Tier::parse(&new.tier, new.rate_limit_per_minute)
        .map_err(|m| ApiError::unprocessable("invalid_tier", m))?;
    let now = now_ms();
    if new.expires_at.is_some_and(|t| t <= now) {
        return Err(ApiError::unprocessable(
            "invalid_expiry",
            "expires_at must be in the future (Unix ms)",
        ));
    }

    let mut allowed_ips = Vec::new();
    for block in &new.allowed_ips {
        let (addr, bits) = api_keys::parse_cidr(block)
            .map_err(|m| ApiError::unprocessable("invalid_allowed_ips", m))?;
        allowed_ips.push(format!("{addr}/{bits}"));
    }
    let key = api_keys::generate();
    let id = uuid::Uuid::now_v7();
    let prefix = &key[..api_keys::DISPLAY_LEN];
    let mut tx = state.db().begin().await?;
    db::api_keys::insert(
        &mut tx,
        &db::api_keys::NewApiKey {
            id,
            tenant_id: caller.tenant_id,
            name,
            prefix,
            digest: &digest(&key),
            scopes: &new.scopes,
            tier: tier.name(),
            rate_limit_per_minute: i64::from(tier.per_minute()),
            expires_at: new.expires_at,
            created_by: &caller.email,
            created_at: now,
            allowed_ips: &allowed_ips,
        },
    )
    .await?;
    audit::record(
        &mut tx,
        caller.tenant_id,
        &caller.actor(),
        "api_key.created",
        "api_key",
        &id.to_string(),
        None::<&()>,
        Some(&json!({ "name": name, "prefix": prefix, "scopes": new.scopes, "tier": tier.name() })),
    )
    .await?;
    tx.commit().await?;
    let stored = db::api_keys::find(state.db(), caller.tenant_id, id)
        .await?
        .ok_or_else(|| ApiError::internal("read back a new API key", id))?;
    Ok((stored, key))
}

pub async fn list(State(state): State<AppState>, caller: AdminCaller) -> ApiResult<Json<Value>> {
    caller.require(Permission::ApiKeysManage)?;
    // Uses counted in memory first, so the list shows every request made until now.
    state.api_key_usage().flush(state.db()).await?;
    let keys = db::api_keys::list(state.db(), caller.tenant_id).await?;
    Ok(Json(json!({ "api_keys": keys })))
}

pub async fn revoke(
    State(state): State<AppState>,
    caller: AdminCaller,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    caller.require(Permission::ApiKeysManage)?;
    let id: uuid::Uuid = path_id(&id, "API key")?;
    let after = revoke_key(&state, &caller, id).await?;
    Ok(Json(json!({ "api_key": after })))
}

/// Revokes a key at once (it answers 401 `revoked_key` from now on) and says how it stands.
pub async fn revoke_key(
    state: &AppState,
    caller: &AdminCaller,
    id: uuid::Uuid,
) -> ApiResult<db::api_keys::ApiKey> {
    caller.require(Permission::ApiKeysManage)?;
    let mut tx = state.db().begin().await?;
    let before = db::api_keys::find(state.db(), caller.tenant_id, id)
        .await?
        .ok_or_else(|| ApiError::not_found(&format!("API key {id}")))?;
    if !db::api_keys::revoke(&mut tx, caller.tenant_id, id, now_ms()).await? {
        return Err(ApiError::conflict(
            "already_revoked",
            format!("API key {id} was already revoked"),
        ));
    }
    audit::record(
        &mut tx,
        caller.tenant_id,
        &caller.actor(),
        "api_key.revoked",
        "api_key",
        &id.to_string(),
        Some(&before),
        None::<&()>,
    )
    .await?;
    tx.commit().await?;
    state.api_key_usage().flush(state.db()).await?;
    db::api_keys::find(state.db(), caller.tenant_id, id)
        .await?
        .ok_or_else(|| ApiError::internal("read back a revoked API key", id))
}

/// How long a rotated key keeps working unless the admin says otherwise: a day, time to deploy
/// the new secret everywhere.
pub const DEFAULT_GRACE_SECONDS: i64 = 86_400;
/// Longest grace period.
pub const MAX_GRACE_SECONDS: i64 = 30 * 86_400;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rotation {
    /// How long the old key keeps working; 0 ends it now.
    grace_seconds: Option<i64>,
}

/// Issues a new secret with the key's name, scopes, tier and expiry; the old secret keeps
/// working for the grace period, then expires.
pub async fn rotate(
    State(state): State<AppState>,
    caller: AdminCaller,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> ApiResult<(StatusCode, Json<Value>)> {
    caller.require(Permission::ApiKeysManage)?;
    let id: uuid::Uuid = path_id(&id, "API key")?;
    // The body is optional: none means the default grace period.
    let rotation: Rotation = if body.iter().all(u8::is_ascii_whitespace) {
        Rotation::default()
    } else {
        serde_json::from_slice(&body)
            .map_err(|e| ApiError::unprocessable("invalid_body", e.to_string()))?
    };
    let grace = rotation.grace_seconds.unwrap_or(DEFAULT_GRACE_SECONDS);
    let (fresh, key, previous) = rotate_key(&state, &caller, id, grace).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "api_key": fresh,
            "key": key,
            "previous": previous,
            "note": "This is the only time the new key is shown: store it now. The previous key works until previous.expires_at.",
        })),
    ))
}

/// Issues a new secret in place of key `id`, which keeps working for `grace` seconds; answers
/// (the new key, its secret, the old key as it now stands).
pub async fn rotate_key(
    state: &AppState,
    caller: &AdminCaller,
    id: uuid::Uuid,
    grace: i64,
) -> ApiResult<(db::api_keys::ApiKey, String, db::api_keys::ApiKey)> {
    caller.require(Permission::ApiKeysManage)?;
    if !(0..=MAX_GRACE_SECONDS).contains(&grace) {
        return Err(ApiError::unprocessable(
            "invalid_grace",
            format!("grace_seconds must be between 0 and {MAX_GRACE_SECONDS}"),
        ));
    }
    let old = db::api_keys::find(state.db(), caller.tenant_id, id)
        .await?
        .ok_or_else(|| ApiError::not_found(&format!("API key {id}")))?;
    let now = now_ms();
    if old.revoked_at.is_some() {
        return Err(ApiError::conflict(
            "already_revoked",
            format!("API key {id} was revoked; create a new one instead"),
        ));
    }
    if old.expires_at.is_some_and(|t| t <= now) {
        return Err(ApiError::conflict(
            "already_expired",
            format!("API key {id} has expired; create a new one instead"),
        ));
    }
    let old_ends = old
        .expires_at
        .map_or(now + grace * 1000, |t| t.min(now + grace * 1000));
    let key = api_keys::generate();
    let new_id = uuid::Uuid::now_v7();
    let prefix = &key[..api_keys::DISPLAY_LEN];
    let mut tx = state.db().begin().await?;
    db::api_keys::insert(
        &mut tx,
        &db::api_keys::NewApiKey {
            id: new_id,
            tenant_id: caller.tenant_id,
            name: &old.name,
            prefix,
            digest: &digest(&key),
            scopes: &old.scopes,
            tier: &old.tier,
            rate_limit_per_minute: old.rate_limit_per_minute,
            expires_at: old.expires_at,
            created_by: &caller.email,
            created_at: now,
            allowed_ips: &old.allowed_ips,
        },
    )
    .await?;
    db::api_keys::set_expiry(&mut tx, caller.tenant_id, id, old_ends).await?;
    audit::record(
        &mut tx,
        caller.tenant_id,
        &caller.actor(),
        "api_key.rotated",
        "api_key",
        &id.to_string(),
        Some(&old),
        Some(&json!({ "replaced_by": new_id, "prefix": prefix, "old_key_expires_at": old_ends })),
    )
    .await?;
    tx.commit().await?;
    state.api_key_usage().flush(state.db()).await?;
    let fresh = db::api_keys::find(state.db(), caller.tenant_id, new_id)
        .await?
        .ok_or_else(|| ApiError::internal("read back a rotated API key", new_id))?;
    let previous = db::api_keys::find(state.db(), caller.tenant_id, id)
        .await?
        .ok_or_else(|| ApiError::internal("read back a rotated API key", id))?;
    Ok((fresh, key, previous))
}
