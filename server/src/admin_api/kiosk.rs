//! The tenant's kiosks, read: `GET /admin/v1/kiosk/devices` (each kiosk with today's visits and
//! outcomes), `GET /admin/v1/kiosk/sessions` (the latest visits, newest first) and
//! `GET /admin/v1/kiosk/queue` (the waiting tickets of every desk, in the order they were taken).
//! They need `occupancy:read` and the tenant's `KIOSK_MODE`.

use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::auth::AdminCaller;
use crate::error::{ApiError, ApiResult};
use crate::extract::QueryParams;
use crate::state::AppState;
use gatehouse_domain::{kiosk, now_ms, tenants, FeatureFlag, Permission};

const DAY_MS: i64 = 86_400_000;

async fn authorize(state: &AppState, caller: &AdminCaller) -> ApiResult<()> {
    caller.require(Permission::OccupancyRead)?;
    let features = tenants::features(state.domain(), caller.tenant_id).await?;
    if !features.contains(&FeatureFlag::KioskMode) {
        return Err(ApiError::forbidden(
            "feature_disabled",
            "kiosk mode is not switched on for this tenant (feature KIOSK_MODE)",
        ));
    }
    Ok(())
}

pub async fn devices(State(state): State<AppState>, caller: AdminCaller) -> ApiResult<Json<Value>> {
    authorize(&state, &caller).await?;
    let now = now_ms();
    let today = now - now.rem_euclid(DAY_MS);
    let kiosks = kiosk::devices(state.db(), caller.tenant_id, today).await?;
    Ok(Json(json!({ "kiosks": kiosks, "since": today })))
}

#[derive(Debug, Deserialize)]
pub struct SessionsQuery {
    limit: Option<i64>,
}

pub async fn sessions(
    State(state): State<AppState>,
    caller: AdminCaller,
    QueryParams(q): QueryParams<SessionsQuery>,
) -> ApiResult<Json<Value>> {
    authorize(&state, &caller).await?;
    let sessions = kiosk::recent_sessions(
        state.db(),
        caller.tenant_id,
        q.limit.unwrap_or(100).clamp(1, 1000),
    )
    .await?;
    Ok(Json(json!({ "sessions": sessions })))
}

pub async fn queue(State(state): State<AppState>, caller: AdminCaller) -> ApiResult<Json<Value>> {
    authorize(&state, &caller).await?;
    let waiting = kiosk::waiting_tickets(state.db(), caller.tenant_id).await?;
    Ok(Json(json!({ "waiting": waiting })))
}
