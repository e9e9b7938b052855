//! Events (`events:read`): the tenant's events, and one of them.

use axum::extract::{Path, State};
use axum::Json;
use gatehouse_core::Event;
use serde::Serialize;
use utoipa::ToSchema;

use super::{Data, ErrorBody, List};
use crate::auth::ApiCaller;
use crate::db;
use crate::error::ApiResult;
use crate::state::AppState;

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

/// The tenant's events, earliest first.
#[utoipa::path(get, path = "/events", tag = "events",
    responses(
        (status = 200, body = List<EventView>),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 429, body = ErrorBody),
    ),
    security(("api_key" = ["events:read"]))
)]
pub async fn list(
    State(state): State<AppState>,
    caller: ApiCaller,
) -> ApiResult<Json<List<EventView>>> {
    caller.require("events:read")?;
    let events = db::events::list_events(state.db(), caller.tenant_id()).await?;
    Ok(Json(List {
        data: events.into_iter().map(EventView::from).collect(),
    }))
}

/// One event.
#[utoipa::path(get, path = "/events/{event_id}", tag = "events",
    params(("event_id" = uuid::Uuid, Path)),
    responses(
        (status = 200, body = Data<EventView>),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 429, body = ErrorBody),
    ),
    security(("api_key" = ["events:read"]))
)]
pub async fn show(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(event_id): Path<String>,
) -> ApiResult<Json<Data<EventView>>> {
    caller.require("events:read")?;
    let event = super::event_of(&state, &caller, &event_id).await?;
    Ok(Json(Data { data: event.into() }))
}
