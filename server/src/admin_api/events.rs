//! Events: list, show with their layout, and rotate the ticket key.

use axum::extract::{Path, State};
use axum::Json;
use serde_json::{json, Value};

use gatehouse_domain::{events, layout, participants, Permission};

use crate::auth::AdminCaller;
use crate::error::ApiResult;
use crate::state::AppState;

pub async fn list(State(state): State<AppState>, caller: AdminCaller) -> ApiResult<Json<Value>> {
    caller.require(Permission::ParticipantsRead)?;
    let events = events::list_events(state.db(), caller.tenant_id).await?;
    Ok(Json(json!({ "events": events })))
}

pub async fn show(
    State(state): State<AppState>,
    caller: AdminCaller,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    caller.require(Permission::ParticipantsRead)?;
    let event = super::event_of(&state, &caller, &id).await?;
    let zones = layout::zones(state.db(), caller.tenant_id, event.id).await?;
    let checkpoints = layout::checkpoints(state.db(), caller.tenant_id, event.id).await?;
    let categories = events::categories(state.db(), caller.tenant_id, event.id).await?;
    let participants = participants::count(state.db(), caller.tenant_id, event.id).await?;
    let feed_head = events::feed_head(state.db(), caller.tenant_id, event.id).await?;
    Ok(Json(json!({
        "event": event,
        "zones": zones,
        "checkpoints": checkpoints,
        "categories": categories,
        "participant_count": participants,
        "feed_head": feed_head,
    })))
}

/// Adds a new ticket key: badges issued from now on are sealed with it; older badges keep
/// working because their keys stay in the ring. Devices receive the key through the feed.
pub async fn rotate_key(
    State(state): State<AppState>,
    caller: AdminCaller,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    caller.require(Permission::EventsManage)?;
    let event = super::event_of(&state, &caller, &id).await?;
    let key_id = events::rotate_key(state.domain(), &caller.author(), event.id).await?;
    Ok(Json(json!({ "event_id": event.id, "key_id": key_id })))
}
