//! Check-ins: an event's access log (`access-logs:read`), newest first, with filters and cursor
//! pagination. Each scan appears once, whichever gate decided it and however often it was
//! uploaded.

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::Json;
use gatehouse_core::{ParticipantId, Verdict};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use super::layout::CheckpointView;
use super::shape::{Resource, Shape};
use super::{ErrorBody, Page, ParticipantSummaryView};
use crate::auth::ApiCaller;
use crate::error::{ApiError, ApiResult};
use crate::extract::QueryParams;
use crate::state::AppState;
use gatehouse_domain::access_log::{LogFilter, LogKey, StoredScan};
use gatehouse_domain::{access_log, layout, participants};

/// One scan and its verdict.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AccessLogView {
    pub id: uuid::Uuid,
    pub event_id: uuid::Uuid,
    pub checkpoint_id: uuid::Uuid,
    pub zone_id: uuid::Uuid,
    /// The gate that decided it; `null` for scans decided by the server.
    pub device_id: Option<uuid::Uuid>,
    /// `null` when the badge named nobody known.
    pub participant_id: Option<uuid::Uuid>,
    pub credential_seq: Option<u16>,
    /// `in` or `out` for an admitted pass; `null` for a refusal.
    pub movement: Option<String>,
    /// `VALID`, `INVALID`, `UNKNOWN`, `REVOKED`, `EXPIRED`, `NOT_YET_VALID`, `WRONG_ZONE`,
    /// `ALREADY_SCANNED`, `MANUAL_OVERRIDE`, `BLOCKED` or `PENDING`.
    pub verdict: String,
    /// A stable reason code.
    pub reason: String,
    pub override_reason: Option<String>,
    /// Unix ms by the device's clock.
    pub device_time: i64,
    /// Unix ms, the device's clock corrected by its offset at the time.
    pub corrected_time: i64,
    /// Unix ms in the server's order of events.
    pub server_time: i64,
    /// `device` (decided on a gate) or `online` (decided by the server).
    pub source: String,
    /// A second admission of the same badge into the same zone by another gate while offline.
    pub offline_duplicate: bool,
}

impl From<StoredScan> for AccessLogView {
    fn from(s: StoredScan) -> Self {
        let l = s.log;
        AccessLogView {
            id: l.id.0,
            event_id: l.event_id.0,
            checkpoint_id: l.checkpoint_id.0,
            zone_id: l.zone_id.0,
            device_id: l.device_id.map(|d| d.0),
            participant_id: l.participant_id.map(|p| p.0),
            credential_seq: l.credential_seq,
            movement: l.movement.map(|m| m.as_str().to_owned()),
            verdict: l.verdict.as_str().to_owned(),
            reason: l.reason.code().to_owned(),
            override_reason: l.override_reason,
            device_time: l.device_time,
            corrected_time: l.corrected_time,
            server_time: s.server_time,
            source: s.source,
            offline_duplicate: s.offline_duplicate,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LogQuery {
    /// Only scans at this checkpoint.
    checkpoint_id: Option<String>,
    /// Only scans with this verdict (e.g. `VALID`).
    verdict: Option<String>,
    /// Only scans of this participant.
    participant_id: Option<String>,
    /// Server time (Unix ms), inclusive.
    since: Option<i64>,
    /// Server time (Unix ms), exclusive.
    until: Option<i64>,
    /// Only scans flagged as offline duplicates.
    offline_duplicates: Option<bool>,
    /// Items per page, 1 to 1000 (default 100).
    limit: Option<i64>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
    /// Comma-separated properties to return (e.g. `verdict,server_time`); `id` is always there.
    fields: Option<String>,
    /// Comma-separated relations to include: `participant` (who, as a gate shows them; `null`
    /// for an unknown badge), `checkpoint` (the checkpoint object).
    expand: Option<String>,
}

/// What `fields` and `expand` may name for access logs.
pub const RESOURCE: Resource = Resource {
    schema: "AccessLogView",
    plural: "access logs",
    expansions: &["participant", "checkpoint"],
};

fn filter_from(q: &LogQuery) -> ApiResult<LogFilter> {
    let bad = |field: &str, value: &str| {
        ApiError::bad_request("invalid_filter", format!("{field} {value:?} is not valid"))
    };
    Ok(LogFilter {
        checkpoint: match q.checkpoint_id.as_deref().filter(|s| !s.is_empty()) {
            Some(c) => Some(c.parse().map_err(|_| bad("checkpoint_id", c))?),
            None => None,
        },
        verdict: match q.verdict.as_deref().filter(|s| !s.is_empty()) {
            Some(v) => Some(Verdict::parse(&v.to_uppercase()).ok_or_else(|| bad("verdict", v))?),
            None => None,
        },
        participant: match q.participant_id.as_deref().filter(|s| !s.is_empty()) {
            Some(p) => Some(p.parse().map_err(|_| bad("participant_id", p))?),
            None => None,
        },
        from: q.since,
        to: q.until,
        offline_duplicates_only: q.offline_duplicates.unwrap_or(false),
    })
}

/// A cursor is the last row's `server_time.id`.
fn parse_cursor(cursor: &str) -> ApiResult<LogKey> {
    cursor
        .split_once('.')
        .and_then(|(t, id)| Some((t.parse().ok()?, id.parse::<uuid::Uuid>().ok()?.to_string())))
        .ok_or_else(|| {
            ApiError::bad_request(
                "invalid_cursor",
                "cursor is not one this API handed out; pass next_cursor unchanged",
            )
        })
}

/// The event's scans, newest first.
#[utoipa::path(get, path = "/events/{event_id}/access-logs", tag = "access-logs",
    params(("event_id" = uuid::Uuid, Path), LogQuery),
    responses(
        (status = 200, body = Page<AccessLogView>, description = "With `fields`, each item has only the named properties and `id`; with `expand`, the named relations too."),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 429, body = ErrorBody),
    ),
    security(("api_key" = ["access-logs:read"]))
)]
pub async fn list(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(event_id): Path<String>,
    QueryParams(q): QueryParams<LogQuery>,
) -> ApiResult<Json<Page<Value>>> {
    caller.require("access-logs:read")?;
    let shape = Shape::parse(&RESOURCE, q.fields.as_deref(), q.expand.as_deref())?;
    let event = super::event_of(&state, &caller, &event_id).await?;
    let filter = filter_from(&q)?;
    let limit = super::page_limit(q.limit)?;
    let after = q.cursor.as_deref().map(parse_cursor).transpose()?;
    let mut rows = access_log::page(
        state.db(),
        caller.tenant_id(),
        event.id,
        &filter,
        after.as_ref(),
        limit + 1,
        true,
    )
    .await?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let next_cursor = more
        .then(|| {
            rows.last()
                .map(|r| format!("{}.{}", r.server_time, r.log.id))
        })
        .flatten();
    let views: Vec<AccessLogView> = rows.into_iter().map(AccessLogView::from).collect();
    let tenant = caller.tenant_id();
    let mut people = HashMap::new();
    if shape.expands("participant") {
        let mut ids: Vec<ParticipantId> = views
            .iter()
            .filter_map(|v| v.participant_id.map(ParticipantId))
            .collect();
        ids.sort_unstable();
        ids.dedup();
        for (id, s) in participants::summaries(state.db(), tenant, &ids).await? {
            let view = ParticipantSummaryView {
                id: id.0,
                full_name: s.full_name,
                category: s.category,
                organisation: s.organisation,
            };
            people.insert(id.0, serde_json::to_value(view).unwrap_or_default());
        }
    }
    let mut checkpoints = HashMap::new();
    if shape.expands("checkpoint") {
        for c in layout::checkpoints(state.db(), tenant, event.id).await? {
            checkpoints.insert(
                c.id.0,
                serde_json::to_value(CheckpointView::from(c)).unwrap_or_default(),
            );
        }
    }
    let data = views
        .iter()
        .map(|v| {
            shape.apply(v, |relation| {
                let found = match relation {
                    "participant" => v.participant_id.and_then(|p| people.get(&p)),
                    _ => checkpoints.get(&v.checkpoint_id),
                };
                found.cloned().unwrap_or(Value::Null)
            })
        })
        .collect::<ApiResult<Vec<Value>>>()?;
    Ok(Json(Page { data, next_cursor }))
}
