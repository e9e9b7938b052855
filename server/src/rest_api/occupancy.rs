//! Live occupancy of an event (`occupancy:read`): the same snapshot the admin dashboard shows.

use axum::extract::{Path, State};
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

use super::{Data, ErrorBody};
use crate::auth::ApiCaller;
use crate::error::ApiResult;
use crate::state::AppState;
use gatehouse_domain::occupancy::{snapshot as occupancy_snapshot, OccupancySnapshot};

/// Who is inside each zone now.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OccupancyView {
    pub event_id: uuid::Uuid,
    pub zones: Vec<ZoneOccupancyView>,
    /// Unix ms when the snapshot was taken.
    pub server_time: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ZoneOccupancyView {
    pub zone_id: uuid::Uuid,
    pub name: String,
    pub capacity: Option<u32>,
    /// People inside now (never below zero).
    pub inside: i64,
    pub ins: i64,
    pub outs: i64,
    /// At or over capacity (informational: gates never refuse for it).
    pub full: bool,
}

impl From<OccupancySnapshot> for OccupancyView {
    fn from(s: OccupancySnapshot) -> Self {
        OccupancyView {
            event_id: s.event_id.0,
            zones: s
                .zones
                .into_iter()
                .map(|z| ZoneOccupancyView {
                    zone_id: z.zone_id.0,
                    name: z.name,
                    capacity: z.capacity,
                    inside: z.inside,
                    ins: z.ins,
                    outs: z.outs,
                    full: z.full,
                })
                .collect(),
            server_time: s.server_time,
        }
    }
}

/// The event's occupancy now.
#[utoipa::path(get, path = "/events/{event_id}/occupancy", tag = "occupancy",
    params(("event_id" = uuid::Uuid, Path)),
    responses(
        (status = 200, body = Data<OccupancyView>),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 429, body = ErrorBody),
    ),
    security(("api_key" = ["occupancy:read"]))
)]
pub async fn show(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(event_id): Path<String>,
) -> ApiResult<Json<Data<OccupancyView>>> {
    caller.require("occupancy:read")?;
    let event = super::event_of(&state, &caller, &event_id).await?;
    let snapshot = occupancy_snapshot(state.db(), caller.tenant_id(), event.id).await?;
    Ok(Json(Data {
        data: snapshot.into(),
    }))
}
