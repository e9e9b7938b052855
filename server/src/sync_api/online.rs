//! `POST /sync/v1/scan`: a device in online mode asks the server to decide. The decision and
//! its record are the domain's ([`gatehouse_domain::check_in::online`]), the same path the REST
//! API's check-ins take.

use axum::extract::State;
use axum::Json;
use gatehouse_core::protocol::{OnlineScanRequest, OnlineScanResponse};
use gatehouse_domain::check_in::{self, Asker, Source};

use crate::auth::DeviceCaller;
use crate::error::ApiResult;
use crate::extract::JsonBody;
use crate::state::AppState;

pub async fn scan(
    State(state): State<AppState>,
    DeviceCaller(device): DeviceCaller,
    JsonBody(req): JsonBody<OnlineScanRequest>,
) -> ApiResult<Json<OnlineScanResponse>> {
    let asker = Asker {
        tenant: device.tenant_id,
        event: device.event_id,
        device: Some(device.id),
        source: Source::Online,
    };
    Ok(Json(check_in::online(state.domain(), &asker, &req).await?))
}
