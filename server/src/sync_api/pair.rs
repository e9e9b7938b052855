//! `POST /sync/v1/pair` (a pairing code for a device token) and `POST /sync/v1/token` (a fresh
//! token for the caller's). The rules are the domain's [`gatehouse_domain::devices`].

use axum::extract::State;
use axum::Json;
use gatehouse_core::protocol::{PairRequest, PairResponse};
use gatehouse_domain::devices;

use crate::auth::DeviceCaller;
use crate::error::ApiResult;
use crate::extract::JsonBody;
use crate::state::AppState;

pub async fn pair(
    State(state): State<AppState>,
    JsonBody(req): JsonBody<PairRequest>,
) -> ApiResult<Json<PairResponse>> {
    Ok(Json(devices::pair(state.domain(), &req).await?))
}

/// Swaps the caller's token for a fresh one; the old token stops working at once.
pub async fn rotate_token(
    State(state): State<AppState>,
    DeviceCaller(device): DeviceCaller,
) -> ApiResult<Json<PairResponse>> {
    Ok(Json(devices::rotate_token(state.domain(), &device).await?))
}
