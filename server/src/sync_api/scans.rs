//! `POST /sync/v1/scans`: a device's outbox arrives. What is stored and how (upserted by id,
//! server time, offline duplicates, occupancy by maximum, one transaction) is the domain's
//! [`gatehouse_domain::check_in::upload`].

use axum::extract::State;
use axum::Json;
use gatehouse_core::protocol::{ScanUpload, UploadAck};
use gatehouse_domain::check_in;

use crate::auth::DeviceCaller;
use crate::error::ApiResult;
use crate::extract::JsonBody;
use crate::state::AppState;

pub use gatehouse_domain::check_in::MAX_SCANS_PER_UPLOAD;

pub async fn upload(
    State(state): State<AppState>,
    DeviceCaller(device): DeviceCaller,
    JsonBody(upload): JsonBody<ScanUpload>,
) -> ApiResult<Json<UploadAck>> {
    Ok(Json(
        check_in::upload(state.domain(), &device, &upload).await?,
    ))
}
