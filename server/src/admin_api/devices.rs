//! Devices: create one for an event (answering with its one-time pairing code), list, show,
//! rotate (forget the token, hand out a new pairing code) and revoke (the device wipes itself at
//! its next contact). The rules are the domain's [`gatehouse_domain::devices`].

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use gatehouse_domain::{devices, Permission};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::auth::AdminCaller;
use crate::error::{ApiError, ApiResult};
use crate::extract::{path_id, JsonBody};
use crate::state::AppState;

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
    let devices = devices::list(state.db(), caller.tenant_id, event.id).await?;
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
    let (device, pairing) =
        devices::create(state.domain(), &caller.author(), event.id, &body.name).await?;
    Ok((
        StatusCode::CREATED,
        Json(
            json!({ "device": device, "pairing_code": pairing.code, "pairing_expires_at": pairing.expires_at }),
        ),
    ))
}

pub async fn show(
    State(state): State<AppState>,
    caller: AdminCaller,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    caller.require(Permission::DevicesManage)?;
    let device_id = path_id(&id, "device")?;
    let device = devices::find(state.db(), caller.tenant_id, device_id)
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
    let pairing = devices::repair(state.domain(), &caller.author(), device_id).await?;
    Ok(Json(
        json!({ "device_id": device_id, "pairing_code": pairing.code, "pairing_expires_at": pairing.expires_at }),
    ))
}

pub async fn revoke(
    State(state): State<AppState>,
    caller: AdminCaller,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    caller.require(Permission::DevicesManage)?;
    let device_id = path_id(&id, "device")?;
    let device = devices::revoke(state.domain(), &caller.author(), device_id).await?;
    Ok(Json(json!({ "device": device })))
}
