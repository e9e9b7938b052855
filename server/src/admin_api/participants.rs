//! Participants: list and search an event's participants, show one, and reissue a badge (the
//! credential sequence goes up, a new ticket is sealed, and the old QR decides `REVOKED` online
//! at once and on devices after their next sync).

use axum::extract::{Path, State};
use axum::Json;
use gatehouse_core::ParticipantStatus;
use serde::Deserialize;
use serde_json::{json, Value};

use gatehouse_domain::participants::{self, ListFilter};
use gatehouse_domain::Permission;

use crate::auth::AdminCaller;
use crate::error::{ApiError, ApiResult};
use crate::extract::{path_id, JsonBody, QueryParams};
use crate::state::AppState;

/// Largest page of the participant list.
const MAX_LIST: i64 = 1_000;

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    status: Option<String>,
    q: Option<String>,
    limit: Option<i64>,
    offset: Option<i64>,
}

pub async fn list(
    State(state): State<AppState>,
    caller: AdminCaller,
    Path(id): Path<String>,
    QueryParams(q): QueryParams<ListQuery>,
) -> ApiResult<Json<Value>> {
    caller.require(Permission::ParticipantsRead)?;
    let event = super::event_of(&state, &caller, &id).await?;
    let status = match q.status.as_deref() {
        None | Some("") => None,
        Some(s) => Some(ParticipantStatus::parse(s).ok_or_else(|| {
            ApiError::bad_request(
                "invalid_status",
                format!("status {s:?} is not one of pending, approved, rejected, cancelled"),
            )
        })?),
    };
    let filter = ListFilter {
        status,
        search: q.q.filter(|s| !s.trim().is_empty()),
        limit: q.limit.unwrap_or(100).clamp(1, MAX_LIST),
        offset: q.offset.unwrap_or(0).max(0),
    };
    let participants = participants::list(state.db(), caller.tenant_id, event.id, &filter).await?;
    let total = participants::count(state.db(), caller.tenant_id, event.id).await?;
    Ok(Json(
        json!({ "participants": participants, "total": total }),
    ))
}

pub async fn show(
    State(state): State<AppState>,
    caller: AdminCaller,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    caller.require(Permission::ParticipantsRead)?;
    let pid = path_id(&id, "participant")?;
    let participant = participants::find_any_event(state.db(), caller.tenant_id, pid)
        .await?
        .ok_or_else(|| ApiError::not_found(&format!("participant {id:?}")))?;
    Ok(Json(json!({ "participant": participant })))
}

pub async fn reissue(
    State(state): State<AppState>,
    caller: AdminCaller,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    caller.require(Permission::ParticipantsManage)?;
    let pid = path_id(&id, "participant")?;
    let next = participants::reissue(state.domain(), &caller.author(), pid)
        .await?
        .after
        .record;
    let payload = participants::ticket(state.domain(), caller.tenant_id, &next.gate).await?;
    Ok(Json(json!({
        "participant": next,
        "payload": payload,
        "registration_code": next.gate.registration_code,
    })))
}

/// Deletes a participant; devices drop them at their next sync (a later scan is `UNKNOWN`).
pub async fn remove(
    State(state): State<AppState>,
    caller: AdminCaller,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    caller.require(Permission::ParticipantsManage)?;
    let pid = path_id(&id, "participant")?;
    participants::remove(state.domain(), &caller.author(), pid).await?;
    Ok(Json(json!({ "removed": pid })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusBody {
    status: String,
}

/// Sets a participant's status (pending, approved, rejected, cancelled) through the same path as
/// every other change of a participant: devices learn it at their next sync, webhooks announce
/// `participant.status_changed` (and `participant.approved` or `participant.rejected`), and
/// `updated_since` readers of the REST API see it.
pub async fn set_status(
    State(state): State<AppState>,
    caller: AdminCaller,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<StatusBody>,
) -> ApiResult<Json<Value>> {
    caller.require(Permission::ParticipantsManage)?;
    let pid = path_id(&id, "participant")?;
    let status = ParticipantStatus::parse(&body.status).ok_or_else(|| {
        ApiError::unprocessable(
            "invalid_status",
            format!(
                "`status`: {:?} is not one of pending, approved, rejected, cancelled",
                body.status
            ),
        )
    })?;
    let change = participants::set_status(state.domain(), &caller.author(), pid, status).await?;
    Ok(Json(
        json!({ "participant": change.after.record, "changed": change.changed() }),
    ))
}
