//! An event's devices (`devices:read`): the gates and kiosks, their state and their last report
//! (sync lag, outbox depth, clock offset), for monitoring from outside. Never their tokens.

use axum::extract::{Path, State};
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

use super::shape::{FieldsQuery, Resource, Shape};
use super::{ErrorBody, List};
use crate::auth::ApiCaller;
use crate::error::ApiResult;
use crate::extract::QueryParams;
use crate::state::AppState;
use gatehouse_domain::devices;
use gatehouse_domain::devices::Device;

/// A gate laptop, turnstile PC or kiosk paired to the event.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DeviceView {
    pub id: uuid::Uuid,
    pub event_id: uuid::Uuid,
    pub name: String,
    /// `awaiting_pairing`, `paired` or `revoked`.
    pub state: String,
    /// Unix ms.
    pub paired_at: Option<i64>,
    /// Unix ms.
    pub revoked_at: Option<i64>,
    pub app_version: Option<String>,
    /// The kiosk profile it runs under (e.g. `gate-laptop`).
    pub profile: Option<String>,
    /// Unix ms of its last contact.
    pub last_seen_at: Option<i64>,
    /// Change-feed entries it had not yet synced at its last upload.
    pub sync_lag: Option<i64>,
    /// Scans waiting on it to be uploaded, at its last upload.
    pub outbox_depth: Option<i64>,
    /// Server clock minus device clock at its last upload, ms.
    pub clock_offset_ms: Option<i64>,
    /// Unix ms.
    pub created_at: i64,
    /// `gate` or `kiosk`, as the device last said; `null` until it has said.
    pub mode: Option<String>,
}

impl From<Device> for DeviceView {
    fn from(d: Device) -> Self {
        DeviceView {
            id: d.id.0,
            event_id: d.event_id.0,
            name: d.name,
            state: d.state.to_owned(),
            paired_at: d.paired_at,
            revoked_at: d.revoked_at,
            app_version: d.app_version,
            profile: d.profile,
            last_seen_at: d.last_seen_at,
            sync_lag: d.sync_lag,
            outbox_depth: d.outbox_depth,
            clock_offset_ms: d.clock_offset_ms,
            created_at: d.created_at,
            mode: d.mode,
        }
    }
}

/// What `fields` may name for devices.
pub const RESOURCE: Resource = Resource {
    schema: "DeviceView",
    plural: "devices",
    expansions: &[],
};

/// The event's devices, oldest first.
#[utoipa::path(get, path = "/events/{event_id}/devices", tag = "devices",
    params(("event_id" = uuid::Uuid, Path), FieldsQuery),
    responses(
        (status = 200, body = List<DeviceView>),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 429, body = ErrorBody),
    ),
    security(("api_key" = ["devices:read"]))
)]
pub async fn list(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(event_id): Path<String>,
    QueryParams(q): QueryParams<FieldsQuery>,
) -> ApiResult<Json<List<serde_json::Value>>> {
    caller.require("devices:read")?;
    let shape = Shape::parse(&RESOURCE, q.fields.as_deref(), None)?;
    let event = super::event_of(&state, &caller, &event_id).await?;
    let devices = devices::list(state.db(), caller.tenant_id(), event.id).await?;
    let views: Vec<DeviceView> = devices.into_iter().map(DeviceView::from).collect();
    Ok(Json(List {
        data: shape.apply_all(&views)?,
    }))
}
