//! The integrators' REST API, `/api/v1/`, authenticated by API key ([`ApiCaller`]): every route
//! names the scope it needs and every query is scoped to the key's tenant. Errors use the
//! platform envelope `{"error": {"code", "message"}}`.
//!
//! This first slice serves events (`events:read`); the other resources, OpenAPI, rate limits,
//! idempotency and ETags follow.

use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

use crate::auth::ApiCaller;
use crate::db;
use crate::error::{ApiError, ApiResult};
use crate::extract::path_id;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/events", get(list_events))
        .route("/events/{id}", get(show_event))
        .merge(crate::webhooks::api::router())
        .fallback(|| async { ApiError::not_found("this API route") })
}

async fn list_events(State(state): State<AppState>, caller: ApiCaller) -> ApiResult<Json<Value>> {
    caller.require("events:read")?;
    let events = db::events::list_events(state.db(), caller.tenant_id()).await?;
    Ok(Json(json!({ "data": events })))
}

async fn show_event(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    caller.require("events:read")?;
    let event_id = path_id(&id, "event")?;
    let event = db::events::find_event(state.db(), caller.tenant_id(), event_id)
        .await?
        .ok_or_else(|| ApiError::not_found(&format!("event {id:?}")))?;
    Ok(Json(json!({ "data": event })))
}
