//! An event's layout: its zones (`zones:read`) and checkpoints (`checkpoints:read`).

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::Json;
use gatehouse_core::{Checkpoint, Zone};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use super::shape::{FieldsQuery, Resource, Shape};
use super::{ErrorBody, List};
use crate::auth::ApiCaller;
use crate::error::ApiResult;
use crate::extract::QueryParams;
use crate::state::AppState;
use gatehouse_domain::layout;

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

/// What `fields` may name for zones.
pub const ZONES: Resource = Resource {
    schema: "ZoneView",
    plural: "zones",
    expansions: &[],
};

/// What `fields` and `expand` may name for checkpoints.
pub const CHECKPOINTS: Resource = Resource {
    schema: "CheckpointView",
    plural: "checkpoints",
    expansions: &["zone"],
};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CheckpointsQuery {
    /// Comma-separated properties to return; `id` is always there.
    fields: Option<String>,
    /// `zone`: the zone each checkpoint leads into, as an object.
    expand: Option<String>,
}

/// The event's zones, by name.
#[utoipa::path(get, path = "/events/{event_id}/zones", tag = "layout",
    params(("event_id" = uuid::Uuid, Path), FieldsQuery),
    responses(
        (status = 200, body = List<ZoneView>),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 429, body = ErrorBody),
    ),
    security(("api_key" = ["zones:read"]))
)]
pub async fn zones(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(event_id): Path<String>,
    QueryParams(q): QueryParams<FieldsQuery>,
) -> ApiResult<Json<List<Value>>> {
    caller.require("zones:read")?;
    let shape = Shape::parse(&ZONES, q.fields.as_deref(), None)?;
    let event = super::event_of(&state, &caller, &event_id).await?;
    let zones = layout::zones(state.db(), caller.tenant_id(), event.id).await?;
    let views: Vec<ZoneView> = zones.into_iter().map(ZoneView::from).collect();
    Ok(Json(List {
        data: shape.apply_all(&views)?,
    }))
}

/// The event's checkpoints, by name.
#[utoipa::path(get, path = "/events/{event_id}/checkpoints", tag = "layout",
    params(("event_id" = uuid::Uuid, Path), CheckpointsQuery),
    responses(
        (status = 200, body = List<CheckpointView>),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 429, body = ErrorBody),
    ),
    security(("api_key" = ["checkpoints:read"]))
)]
pub async fn checkpoints(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(event_id): Path<String>,
    QueryParams(q): QueryParams<CheckpointsQuery>,
) -> ApiResult<Json<List<Value>>> {
    caller.require("checkpoints:read")?;
    let shape = Shape::parse(&CHECKPOINTS, q.fields.as_deref(), q.expand.as_deref())?;
    let event = super::event_of(&state, &caller, &event_id).await?;
    let checkpoints = layout::checkpoints(state.db(), caller.tenant_id(), event.id).await?;
    let mut zones = HashMap::new();
    if shape.expands("zone") {
        for z in layout::zones(state.db(), caller.tenant_id(), event.id).await? {
            zones.insert(
                z.id.0,
                serde_json::to_value(ZoneView::from(z)).unwrap_or_default(),
            );
        }
    }
    let data = checkpoints
        .into_iter()
        .map(CheckpointView::from)
        .map(|c| {
            shape.apply(&c, |_| {
                zones.get(&c.zone_id).cloned().unwrap_or(Value::Null)
            })
        })
        .collect::<ApiResult<Vec<Value>>>()?;
    Ok(Json(List { data }))
}
