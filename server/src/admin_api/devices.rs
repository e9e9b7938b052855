//! Devices: create one for an event (answering with its one-time pairing code), list, show,
//! rotate (forget the token, hand out a new pairing code) and revoke (the device wipes itself at
//! its next contact).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::auth::AdminCaller;
use crate::crypto::{digest, new_pairing_code, normalize_pairing_code};
use crate::db::{self, audit, now_ms};
use crate::error::{ApiError, ApiResult};
use crate::extract::{path_id, JsonBody};
use crate::permissions::Permission;
use crate::state::AppState;

/// Longest device name accepted.
const MAX_NAME_LEN: usize = 120;

#[derive(Debug, Deserialize)]
pub struct NewDevice {
    name: String,
}

pub async fn list(
    State(state): State<AppState>,
    caller: AdminCaller,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    caller.require(Permission::DevicesManage)?;
    let event = super::event_of(&state, &caller, &id).await?;
    let devices = db::devices::list(state.db(), caller.tenant_id, event.id).await?;
    Ok(Json(json!({ "devices": devices })))
}

pub async fn create(
    State(state): State<AppState>,
    caller: AdminCaller,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<NewDevice>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    caller.require(Permission::DevicesManage)?;
    let event = super::event_of(&state, &caller, &id).await?;
    let name = body.name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_LEN {
        return Err(ApiError::unprocessable(
            "invalid_name",
            format!("name must be 1 to {MAX_NAME_LEN} characters"),
        ));
    }
    let code = new_pairing_code();
    let expires_at = now_ms() + state.config().pairing_code_ttl_seconds * 1000;
    let mut tx = state.db().begin().await?;
    let device_id = db::devices::create(
        &mut tx,
        caller.tenant_id,
        event.id,
        name,
        &digest(&normalize_pairing_code(&code)),
        expires_at,
    )
    .await?;
    audit::record(
        &mut tx,
        caller.tenant_id,
        &caller.actor(),
        "device.created",
        "device",
        &device_id.to_string(),
        None::<&()>,
        Some(&json!({ "name": name, "event_id": event.id })),
    )
    .await?;
    tx.commit().await?;
    let device = db::devices::find(state.db(), caller.tenant_id, device_id)
        .await?
        .ok_or_else(|| ApiError::internal("read back a device", device_id))?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "device": device, "pairing_code": code, "pairing_expires_at": expires_at })),
    ))
}

pub async fn show(
    State(state): State<AppState>,
    caller: AdminCaller,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    caller.require(Permission::DevicesManage)?;
    let device_id = path_id(&id, "device")?;
    let device = db::devices::find(state.db(), caller.tenant_id, device_id)
        .await?
        .ok_or_else(|| ApiError::not_found(&format!("device {id:?}")))?;
    Ok(Json(json!({ "device": device })))
}

pub async fn rotate(
    State(state): State<AppState>,
    caller: AdminCaller,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    caller.require(Permission::DevicesManage)?;
    let device_id = path_id(&id, "device")?;
    let before = db::devices::find(state.db(), caller.tenant_id, device_id)
        .await?
        .ok_or_else(|| ApiError::not_found(&format!("device {id:?}")))?;
    let code = new_pairing_code();
    let expires_at = now_ms() + state.config().pairing_code_ttl_seconds * 1000;
    let mut tx = state.db().begin().await?;
    if !db::devices::reset_pairing(
        &mut tx,
        caller.tenant_id,
        device_id,
        &digest(&normalize_pairing_code(&code)),
        expires_at,
    )
    .await?
    {
        return Err(ApiError::conflict(
            "device_revoked",
            "a revoked device cannot be paired again; create a new one",
        ));
    }
    audit::record(
        &mut tx,
        caller.tenant_id,
        &caller.actor(),
        "device.rotated",
        "device",
        &id,
        Some(&before),
        None::<&()>,
    )
    .await?;
    tx.commit().await?;
    Ok(Json(
        json!({ "device_id": device_id, "pairing_code": code, "pairing_expires_at": expires_at }),
    ))
}

pub async fn revoke(
    State(state): State<AppState>,
    caller: AdminCaller,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    caller.require(Permission::DevicesManage)?;
    let device_id = path_id(&id, "device")?;
    let before = db::devices::find(state.db(), caller.tenant_id, device_id)
        .await?
        .ok_or_else(|| ApiError::not_found(&format!("device {id:?}")))?;
    let mut tx = state.db().begin().await?;
    let changed = db::devices::revoke(&mut tx, caller.tenant_id, device_id, now_ms()).await?;
    if changed {
        audit::record(
            &mut tx,
            caller.tenant_id,
            &caller.actor(),
            "device.revoked",
            "device",
            &id,
            Some(&before),
            None::<&()>,
        )
        .await?;
    }
    tx.commit().await?;
    let device = db::devices::find(state.db(), caller.tenant_id, device_id).await?;
    Ok(Json(json!({ "device": device })))
}
