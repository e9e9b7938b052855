//! Events (`events:read`): the tenant's events, and one of them.

use axum::extract::{Path, State};
use axum::Json;
use gatehouse_core::Event;
use serde::Serialize;
use utoipa::ToSchema;

use super::shape::{FieldsQuery, Resource, Shape};
use super::{Data, ErrorBody, List};
use crate::auth::ApiCaller;
use crate::error::ApiResult;
use crate::extract::QueryParams;
use crate::state::AppState;
use gatehouse_domain::events;

/// An event.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EventView {
    pub id: uuid::Uuid,
    pub name: String,
    /// Unix ms.
    pub starts_at: i64,
    /// Unix ms.
    pub ends_at: i64,
    /// IANA time zone name, for showing local times.
    pub time_zone: String,
}

impl From<Event> for EventView {
    fn from(e: Event) -> Self {
        EventView {
            id: e.id.0,
            name: e.name,
            starts_at: e.starts_at,
            ends_at: e.ends_at,
            time_zone: e.time_zone,
        }
    }
}

/// What `fields` may name for events.
pub const RESOURCE: Resource = Resource {
    schema: "EventView",
    plural: "events",
    expansions: &[],
};

/// The tenant's events, earliest first.
#[utoipa::path(get, path = "/events", tag = "events",
    params(FieldsQuery),
    responses(
        (status = 200, body = List<EventView>),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 429, body = ErrorBody),
    ),
    security(("api_key" = ["events:read"]))
)]
pub async fn list(
    State(state): State<AppState>,
    caller: ApiCaller,
    QueryParams(q): QueryParams<FieldsQuery>,
) -> ApiResult<Json<List<serde_json::Value>>> {
    caller.require("events:read")?;
    let shape = Shape::parse(&RESOURCE, q.fields.as_deref(), None)?;
    let events = events::list_events(state.db(), caller.tenant_id()).await?;
    let views: Vec<EventView> = events.into_iter().map(EventView::from).collect();
    Ok(Json(List {
        data: shape.apply_all(&views)?,
    }))
}

/// One event.
#[utoipa::path(get, path = "/events/{event_id}", tag = "events",
    params(("event_id" = uuid::Uuid, Path), FieldsQuery),
    responses(
        (status = 200, body = Data<EventView>),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 429, body = ErrorBody),
    ),
    security(("api_key" = ["events:read"]))
)]
pub async fn show(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(event_id): Path<String>,
    QueryParams(q): QueryParams<FieldsQuery>,
) -> ApiResult<Json<Data<serde_json::Value>>> {
    caller.require("events:read")?;
    let shape = Shape::parse(&RESOURCE, q.fields.as_deref(), None)?;
    let event = super::event_of(&state, &caller, &event_id).await?;
    let view = EventView::from(event);
    Ok(Json(Data {
        data: shape.apply(&view, |_| serde_json::Value::Null)?,
    }))
}
