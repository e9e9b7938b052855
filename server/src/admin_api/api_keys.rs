//! API keys for integrators: create (the key is in this one answer and nowhere else), list,
//! rotate (a new secret; the old one keeps working for a grace period), revoke. The rules are the
//! domain's [`gatehouse_domain::api_keys`].

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use gatehouse_domain::api_keys::{self, NewKey, DEFAULT_GRACE_SECONDS};
use gatehouse_domain::Permission;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::auth::AdminCaller;
use crate::error::{ApiError, ApiResult};
use crate::extract::{path_id, JsonBody};
use crate::state::AppState;

pub async fn create(
    State(state): State<AppState>,
    caller: AdminCaller,
    JsonBody(new): JsonBody<NewKey>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    caller.require(Permission::ApiKeysManage)?;
    let (stored, key) = api_keys::create(
        state.domain(),
        &caller.author(),
        &caller.email,
        &caller.permissions,
        &new,
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "api_key": stored,
            "key": key,
            "note": "This is the only time the key is shown: store it now.",
        })),
    ))
}

pub async fn list(State(state): State<AppState>, caller: AdminCaller) -> ApiResult<Json<Value>> {
    caller.require(Permission::ApiKeysManage)?;
    // Uses counted in memory first, so the list shows every request made until now.
    state.domain().flush_usage().await?;
    let keys = api_keys::list(state.db(), caller.tenant_id).await?;
    Ok(Json(json!({ "api_keys": keys })))
}

pub async fn revoke(
    State(state): State<AppState>,
    caller: AdminCaller,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    caller.require(Permission::ApiKeysManage)?;
    let id: uuid::Uuid = path_id(&id, "API key")?;
    let after = api_keys::revoke(state.domain(), &caller.author(), id).await?;
    Ok(Json(json!({ "api_key": after })))
}

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
    let (fresh, key, previous) = api_keys::rotate(
        state.domain(),
        &caller.author(),
        &caller.email,
        &caller.permissions,
        id,
        grace,
    )
    .await?;
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
