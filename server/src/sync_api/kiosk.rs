//! `POST /sync/v1/kiosk`: a kiosk's outbox of visits and queue tickets arrives; the domain's
//! [`gatehouse_domain::kiosk::upload`] stores it (all or nothing, behind `KIOSK_MODE`).

use axum::extract::State;
use axum::Json;
use gatehouse_core::protocol::{KioskAck, KioskUpload};
use gatehouse_domain::kiosk;

use crate::auth::DeviceCaller;
use crate::error::ApiResult;
use crate::extract::JsonBody;
use crate::state::AppState;

pub use gatehouse_domain::kiosk::MAX_KIOSK_RECORDS_PER_UPLOAD;

pub async fn upload(
    State(state): State<AppState>,
    DeviceCaller(device): DeviceCaller,
    JsonBody(upload): JsonBody<KioskUpload>,
) -> ApiResult<Json<KioskAck>> {
    Ok(Json(kiosk::upload(state.domain(), &device, &upload).await?))
}
