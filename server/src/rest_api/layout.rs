//! An event's layout: its zones (`zones:read`) and checkpoints (`checkpoints:read`).

use axum::extract::{Path, State};
use axum::Json;
use gatehouse_core::{Checkpoint, Zone};
use serde::Serialize;
use utoipa::ToSchema;

use super::{ErrorBody, List};
use crate::auth::ApiCaller;
use crate::db;
use crate::error::ApiResult;
use crate::state::AppState;

/// An area with an access rule and a head count.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ZoneView {
    pub id: uuid::Uuid,
    pub event_id: uuid::Uuid,
    pub name: String,
    /// Informational: a full zone warns, it never jams a gate.
    pub capacity: Option<u32>,
    /// A second entry without an exit is allowed (otherwise it is `ALREADY_SCANNED`).
    pub multiple_entry: bool,
}

impl From<Zone> for ZoneView {
    fn from(z: Zone) -> Self {
        ZoneView {
            id: z.id.0,
            event_id: z.event_id.0,
            name: z.name,
            capacity: z.capacity,
            multiple_entry: z.multiple_entry,
        }
    }
}

/// Where badges are scanned: a door into (or out of) one zone.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CheckpointView {
    pub id: uuid::Uuid,
    pub event_id: uuid::Uuid,
    pub zone_id: uuid::Uuid,
    pub name: String,
    /// `entry`, `exit` or `both`.
    pub direction: String,
    pub active: bool,
}

impl From<Checkpoint> for CheckpointView {
    fn from(c: Checkpoint) -> Self {
        CheckpointView {
            id: c.id.0,
            event_id: c.event_id.0,
            zone_id: c.zone_id.0,
            name: c.name,
            direction: c.direction.as_str().to_owned(),
            active: c.active,
        }
    }
}

/// The event's zones, by name.
#[utoipa::path(get, path = "/events/{event_id}/zones", tag = "layout",
    params(("event_id" = uuid::Uuid, Path)),
    responses(
        (status = 200, body = List<ZoneView>),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 429, body = ErrorBody),
    ),
    security(("api_key" = ["zones:read"]))
)]
pub async fn zones(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(event_id): Path<String>,
) -> ApiResult<Json<List<ZoneView>>> {
    caller.require("zones:read")?;
    let event = super::event_of(&state, &caller, &event_id).await?;
    let zones = db::events::zones(state.db(), caller.tenant_id(), event.id).await?;
    Ok(Json(List {
        data: zones.into_iter().map(ZoneView::from).collect(),
    }))
}

/// The event's checkpoints, by name.
#[utoipa::path(get, path = "/events/{event_id}/checkpoints", tag = "layout",
    params(("event_id" = uuid::Uuid, Path)),
    responses(
        (status = 200, body = List<CheckpointView>),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 429, body = ErrorBody),
    ),
    security(("api_key" = ["checkpoints:read"]))
)]
pub async fn checkpoints(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(event_id): Path<String>,
) -> ApiResult<Json<List<CheckpointView>>> {
    caller.require("checkpoints:read")?;
    let event = super::event_of(&state, &caller, &event_id).await?;
    let checkpoints = db::events::checkpoints(state.db(), caller.tenant_id(), event.id).await?;
    Ok(Json(List {
        data: checkpoints.into_iter().map(CheckpointView::from).collect(),
    }))
}
