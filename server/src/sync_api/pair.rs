//! `POST /sync/v1/pair` and `POST /sync/v1/token`: a device trades its pairing code for a token,
//! and later swaps its token for a fresh one.

use axum::extract::State;
use axum::Json;
use gatehouse_core::protocol::{PairRequest, PairResponse};

use crate::auth::DeviceCaller;
use crate::crypto::{digest, new_token, normalize_pairing_code};
use crate::db::audit::{self, Actor};
use crate::db::devices::PairingLookup;
use crate::db::{self, now_ms};
use crate::error::{ApiError, ApiResult};
use crate::extract::JsonBody;
use crate::state::AppState;

/// Device tokens start with this, so a leaked one is recognisable.
pub const DEVICE_TOKEN_PREFIX: &str = "ghd_";

pub async fn pair(
    State(state): State<AppState>,
    JsonBody(req): JsonBody<PairRequest>,
) -> ApiResult<Json<PairResponse>> {
    let code = normalize_pairing_code(&req.pairing_code);
    if code.is_empty() {
        return Err(ApiError::unprocessable(
            "pairing_code_missing",
            "pairing_code is empty",
        ));
    }
    if req.app_version.trim().is_empty() {
        return Err(ApiError::unprocessable(
            "app_version_missing",
            "app_version is empty",
        ));
    }
    let now = now_ms();
    let mut tx = state.db().begin().await?;
    let device = match db::devices::find_by_pairing_code(&mut tx, &digest(&code), now).await? {
        PairingLookup::Unknown => {
            return Err(ApiError::forbidden(
                "pairing_code_invalid",
                "this pairing code is unknown or was already used; ask an admin for a new one",
            ))
        }
        PairingLookup::Expired => {
            return Err(ApiError::forbidden(
                "pairing_code_expired",
                "this pairing code has expired; ask an admin for a new one",
            ))
        }
        PairingLookup::Ready(device) => *device,
    };
    let event = db::events::find_event(state.db(), device.tenant_id, device.event_id)
        .await?
        .ok_or_else(|| ApiError::not_found("the device's event"))?;
    let token = new_token(DEVICE_TOKEN_PREFIX);
    db::devices::complete_pairing(
        &mut tx,
        device.tenant_id,
        device.id,
        &digest(&token),
        req.app_version.trim(),
        req.profile.as_deref(),
        now,
    )
    .await?;
    audit::record(
        &mut tx,
        device.tenant_id,
        &Actor::Device(device.id),
        "device.paired",
        "device",
        &device.id.to_string(),
        None::<&()>,
        Some(&serde_json::json!({"app_version": req.app_version, "profile": req.profile})),
    )
    .await?;
    tx.commit().await?;
    tracing::info!(device = %device.id, event = %event.id, "device paired");
    Ok(Json(PairResponse {
        device_id: device.id,
        device_name: device.name,
        device_token: token,
        tenant_id: device.tenant_id,
        event_id: event.id,
        event_name: event.name,
        server_time: now,
    }))
}

/// Swaps the caller's token for a fresh one; the old token stops working at once.
pub async fn rotate_token(
    State(state): State<AppState>,
    DeviceCaller(device): DeviceCaller,
) -> ApiResult<Json<PairResponse>> {
    let event = db::events::find_event(state.db(), device.tenant_id, device.event_id)
        .await?
        .ok_or_else(|| ApiError::not_found("the device's event"))?;
    let token = new_token(DEVICE_TOKEN_PREFIX);
    let mut tx = state.db().begin().await?;
    db::devices::replace_token(&mut tx, device.tenant_id, device.id, &digest(&token)).await?;
    audit::record(
        &mut tx,
        device.tenant_id,
        &Actor::Device(device.id),
        "device.token_rotated",
        "device",
        &device.id.to_string(),
        None::<&()>,
        None::<&()>,
    )
    .await?;
    tx.commit().await?;
    Ok(Json(PairResponse {
        device_id: device.id,
        device_name: device.name,
        device_token: token,
        tenant_id: device.tenant_id,
        event_id: event.id,
        event_name: event.name,
        server_time: now_ms(),
    }))
}
