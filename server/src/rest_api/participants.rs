//! Participants (`participants:read`, `participants:write`): list the tenant's participants with
//! filters and cursor pagination, show one (with an `ETag`), create one (honouring
//! `Idempotency-Key`), change one (`PATCH`, honouring `If-Match`) and revoke one (`DELETE` is a
//! soft delete: the status becomes `cancelled`, so the badge decides `REVOKED` at every gate, and
//! the row and its history stay).
//!
//! Every change goes to the event's change feed (devices learn it at their next sync) and to the
//! audit log with the API key as its author, in the transaction that makes it.

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use gatehouse_core::{EventId, Participant, ParticipantId, ParticipantStatus, RegistrationCode};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::events::EventView;
use super::idempotency::{self, IdempotencyKey};
use super::layout::ZoneView;
use super::shape::{Resource, Shape};
use super::{check_if_match, etag_of, shaped_etag, Data, ErrorBody, Page};
use gatehouse_domain::participants::{
    self, Action, PageFilter, PageFrom, ParticipantRecord, Stamped,
};
use gatehouse_domain::{crypto, events, layout, DomainError, ErrorKind, UnitOfWork};

use crate::auth::ApiCaller;
use crate::error::{ApiError, ApiResult};
use crate::extract::{path_id, JsonBody, QueryParams};
use crate::state::AppState;

/// Where a participant stands in registration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pending,
    Approved,
    Rejected,
    Cancelled,
}

impl From<ParticipantStatus> for Status {
    fn from(s: ParticipantStatus) -> Self {
        match s {
            ParticipantStatus::Pending => Status::Pending,
            ParticipantStatus::Approved => Status::Approved,
            ParticipantStatus::Rejected => Status::Rejected,
            ParticipantStatus::Cancelled => Status::Cancelled,
        }
    }
}

impl From<Status> for ParticipantStatus {
    fn from(s: Status) -> Self {
        match s {
            Status::Pending => ParticipantStatus::Pending,
            Status::Approved => ParticipantStatus::Approved,
            Status::Rejected => ParticipantStatus::Rejected,
            Status::Cancelled => ParticipantStatus::Cancelled,
        }
    }
}

/// A participant.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ParticipantView {
    pub id: uuid::Uuid,
    pub event_id: uuid::Uuid,
    pub full_name: String,
    pub organisation: Option<String>,
    pub category: String,
    pub status: Status,
    /// The zones this person may enter.
    pub zone_ids: Vec<uuid::Uuid>,
    /// Unix ms; scans before it are `NOT_YET_VALID`.
    pub valid_from: Option<i64>,
    /// Unix ms; scans after it are `EXPIRED`.
    pub valid_until: Option<i64>,
    /// Raised when a badge is reissued; older badges are `REVOKED`.
    pub credential_seq: u16,
    /// On the blacklist: every scan is `BLOCKED`.
    pub blocked: bool,
    /// The code printed under the QR, typed at a gate when the QR will not scan.
    pub registration_code: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub nationality: Option<String>,
    pub passport_number: Option<String>,
    /// ISO date, `1984-03-09`.
    pub date_of_birth: Option<String>,
    /// Unix ms.
    pub created_at: i64,
    /// Unix ms of the last change.
    pub updated_at: i64,
}

impl From<Stamped> for ParticipantView {
    fn from(s: Stamped) -> Self {
        let ParticipantRecord {
            gate: p,
            email,
            phone,
            nationality,
            passport_number,
            date_of_birth,
        } = s.record;
        ParticipantView {
            id: p.id.0,
            event_id: p.event_id.0,
            full_name: p.full_name,
            organisation: p.organisation,
            category: p.category,
            status: p.status.into(),
            zone_ids: p.zones.into_iter().map(|z| z.0).collect(),
            valid_from: p.valid_from,
            valid_until: p.valid_until,
            credential_seq: p.credential_seq,
            blocked: p.blocked,
            registration_code: p.registration_code,
            email,
            phone,
            nationality,
            passport_number,
            date_of_birth,
            created_at: s.created_at,
            updated_at: s.updated_at,
        }
    }
}

/// What `fields` and `expand` may name for participants.
pub const RESOURCE: Resource = Resource {
    schema: "ParticipantView",
    plural: "participants",
    expansions: &["event", "zones"],
};

/// One participant with its `ETag` header.
fn one(status: StatusCode, stamped: Stamped) -> Response {
    let view = ParticipantView::from(stamped);
    let etag = etag_of(&view);
    let location = format!("/api/v1/participants/{}", view.id);
    with_etag(status, &etag, Some(&location), Json(Data { data: view }))
}

/// An answer with `ETag` and, for a creation, `Location`.
fn with_etag(
    status: StatusCode,
    etag: &str,
    location: Option<&str>,
    body: impl IntoResponse,
) -> Response {
    let mut response = (status, body).into_response();
    if let Ok(v) = HeaderValue::from_str(etag) {
        response.headers_mut().insert(header::ETAG, v);
    }
    if status == StatusCode::CREATED {
        if let Some(Ok(v)) = location.map(HeaderValue::from_str) {
            response.headers_mut().insert(header::LOCATION, v);
        }
    }
    response
}

/// Participants in the asked shape, with their expanded relations loaded once for the page.
async fn shaped(
    state: &AppState,
    caller: &ApiCaller,
    shape: &Shape,
    views: &[ParticipantView],
) -> ApiResult<Vec<serde_json::Value>> {
    let tenant = caller.tenant_id();
    let mut event_ids: Vec<uuid::Uuid> = views.iter().map(|v| v.event_id).collect();
    event_ids.sort_unstable();
    event_ids.dedup();
    let mut events = HashMap::new();
    let mut zones = HashMap::new();
    for id in event_ids {
        if shape.expands("event") {
            if let Some(e) = events::find_event(state.db(), tenant, EventId(id)).await? {
                events.insert(
                    id,
                    serde_json::to_value(EventView::from(e)).unwrap_or_default(),
                );
            }
        }
        if shape.expands("zones") {
            for z in layout::zones(state.db(), tenant, EventId(id)).await? {
                zones.insert(
                    z.id.0,
                    serde_json::to_value(ZoneView::from(z)).unwrap_or_default(),
                );
            }
        }
    }
    views
        .iter()
        .map(|v| {
            shape.apply(v, |relation| match relation {
                "event" => events.get(&v.event_id).cloned().unwrap_or_default(),
                _ => serde_json::Value::Array(
                    v.zone_ids
                        .iter()
                        .filter_map(|z| zones.get(z).cloned())
                        .collect(),
                ),
            })
        })
        .collect()
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only participants of this event.
    event_id: Option<String>,
    /// Only participants with this status.
    status: Option<Status>,
    /// Only participants of this category (exact name, e.g. `Delegate`).
    category: Option<String>,
    /// Only participants changed at or after this time (Unix ms): for incremental sync.
    updated_since: Option<i64>,
    /// Part of the name or email, or a whole registration code.
    q: Option<String>,
    /// `id` (default: a stable order) or `updated_at` (oldest change first: walk to the end
    /// to have seen every change; with `updated_since`, an incremental sync).
    sort: Option<Sort>,
    /// Items per page, 1 to 1000 (default 100).
    limit: Option<i64>,
    /// `next_cursor` of the previous page (of the same `sort`).
    cursor: Option<String>,
    /// Comma-separated properties to return (e.g. `full_name,status`); `id` is always there.
    fields: Option<String>,
    /// Comma-separated relations to include: `event` (the event object), `zones` (the zones
    /// this person may enter, as objects).
    expand: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ShowQuery {
    /// Comma-separated properties to return (e.g. `full_name,status`); `id` is always there.
    fields: Option<String>,
    /// Comma-separated relations to include: `event`, `zones`.
    expand: Option<String>,
}

/// The order of the participants list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Sort {
    Id,
    UpdatedAt,
}

fn bad_cursor() -> ApiError {
    ApiError::bad_request(
        "invalid_cursor",
        "cursor is not one this API handed out for this sort; pass next_cursor unchanged",
    )
}

/// The tenant's participants in a stable order, page by page.
#[utoipa::path(get, path = "/participants", tag = "participants",
    params(ListQuery),
    responses(
        (status = 200, body = Page<ParticipantView>, description = "With `fields`, each item has only the named properties and `id`; with `expand`, the named relations too."),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 429, body = ErrorBody),
    ),
    security(("api_key" = ["participants:read"]))
)]
pub async fn list(
    State(state): State<AppState>,
    caller: ApiCaller,
    QueryParams(q): QueryParams<ListQuery>,
) -> ApiResult<Json<Page<serde_json::Value>>> {
    caller.require("participants:read")?;
    let shape = Shape::parse(&RESOURCE, q.fields.as_deref(), q.expand.as_deref())?;
    let limit = super::page_limit(q.limit)?;
    let event = match q.event_id.as_deref().filter(|s| !s.is_empty()) {
        Some(e) => Some(e.parse::<EventId>().map_err(|_| {
            ApiError::bad_request("invalid_filter", format!("event_id {e:?} is not an id"))
        })?),
        None => None,
    };
    let cursor = q.cursor.as_deref().filter(|s| !s.is_empty());
    let sort = q.sort.unwrap_or(Sort::Id);
    let from = match sort {
        Sort::Id => PageFrom::Id(
            cursor
                .map(|c| c.parse::<ParticipantId>().map_err(|_| bad_cursor()))
                .transpose()?,
        ),
        Sort::UpdatedAt => PageFrom::Updated(
            cursor
                .map(|c| {
                    c.split_once('.')
                        .and_then(|(t, id)| Some((t.parse().ok()?, id.parse().ok()?)))
                        .ok_or_else(bad_cursor)
                })
                .transpose()?,
        ),
    };
    let filter = PageFilter {
        event,
        status: q.status.map(Into::into),
        category: q.category.filter(|s| !s.is_empty()),
        updated_since: q.updated_since,
        search: q.q.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()),
    };
    let mut rows =
        participants::page(state.db(), caller.tenant_id(), &filter, from, limit + 1).await?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let next_cursor = more
        .then(|| {
            rows.last().map(|r| match sort {
                Sort::Id => r.record.gate.id.to_string(),
                Sort::UpdatedAt => format!("{}.{}", r.updated_at, r.record.gate.id),
            })
        })
        .flatten();
    let views: Vec<ParticipantView> = rows.into_iter().map(ParticipantView::from).collect();
    Ok(Json(Page {
        data: shaped(&state, &caller, &shape, &views).await?,
        next_cursor,
    }))
}

/// One participant. Its `ETag` goes back in `If-Match` to change it safely (a tag read with
/// `fields` or `expand` does too: it names the same version of the participant).
#[utoipa::path(get, path = "/participants/{participant_id}", tag = "participants",
    params(("participant_id" = uuid::Uuid, Path), ShowQuery),
    responses(
        (status = 200, body = Data<ParticipantView>, headers(("ETag" = String)), description = "With `fields`, only the named properties and `id`; with `expand`, the named relations too."),
        (status = 304, description = "If-None-Match named the current ETag"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 429, body = ErrorBody),
    ),
    security(("api_key" = ["participants:read"]))
)]
pub async fn show(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(participant_id): Path<String>,
    QueryParams(q): QueryParams<ShowQuery>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    caller.require("participants:read")?;
    let shape = Shape::parse(&RESOURCE, q.fields.as_deref(), q.expand.as_deref())?;
    let pid = path_id(&participant_id, "participant")?;
    let found = participants::find_stamped(state.db(), caller.tenant_id(), pid)
        .await?
        .ok_or_else(|| ApiError::not_found(&format!("participant {participant_id:?}")))?;
    let response = if shape == Shape::default() {
        one(StatusCode::OK, found)
    } else {
        let view = ParticipantView::from(found);
        let mut data = shaped(&state, &caller, &shape, std::slice::from_ref(&view)).await?;
        let data = data.pop().unwrap_or_default();
        let etag = shaped_etag(&etag_of(&view), &data);
        with_etag(StatusCode::OK, &etag, None, Json(Data { data }))
    };
    let unchanged = headers
        .get(header::IF_NONE_MATCH)
        .zip(response.headers().get(header::ETAG))
        .is_some_and(|(sent, current)| {
            sent.to_str()
                .unwrap_or_default()
                .split(',')
                .any(|t| t.trim().trim_start_matches("W/") == current)
        });
    if unchanged {
        let mut not_modified = StatusCode::NOT_MODIFIED.into_response();
        if let Some(etag) = response.headers().get(header::ETAG) {
            not_modified
                .headers_mut()
                .insert(header::ETAG, etag.clone());
        }
        return Ok(not_modified);
    }
    Ok(response)
}

/// A participant to register.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewParticipant {
    pub event_id: uuid::Uuid,
    pub full_name: String,
    /// One of the event's categories (e.g. `Delegate`).
    pub category: String,
    /// `pending` unless given.
    #[serde(default)]
    pub status: Option<Status>,
    /// Zones of the event this person may enter.
    #[serde(default)]
    pub zone_ids: Vec<uuid::Uuid>,
    #[serde(default)]
    pub organisation: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub nationality: Option<String>,
    #[serde(default)]
    pub passport_number: Option<String>,
    /// ISO date, `1984-03-09`.
    #[serde(default)]
    pub date_of_birth: Option<String>,
    /// Unix ms.
    #[serde(default)]
    pub valid_from: Option<i64>,
    /// Unix ms.
    #[serde(default)]
    pub valid_until: Option<i64>,
    #[serde(default)]
    pub blocked: bool,
}

/// Registers a participant; they get a registration code and reach the event's gates at their
/// next sync. Send `Idempotency-Key` to retry safely.
#[utoipa::path(post, path = "/participants", tag = "participants",
    params(("Idempotency-Key" = Option<String>, Header,
        description = "Retrying with the same key and body returns the first answer and creates nothing")),
    request_body = NewParticipant,
    responses(
        (status = 201, body = Data<ParticipantView>, headers(("ETag" = String), ("Location" = String))),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 415, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody),
    ),
    security(("api_key" = ["participants:write"]))
)]
pub async fn create(
    State(state): State<AppState>,
    caller: ApiCaller,
    IdempotencyKey(idempotency_key): IdempotencyKey,
    JsonBody(body): JsonBody<serde_json::Value>,
) -> ApiResult<Response> {
    caller.require("participants:write")?;
    let new: NewParticipant = super::from_object(body.clone())?;
    let hash = idempotency::request_hash("POST", "/participants", &body);
    let tenant = caller.tenant_id();
    let mut unit = UnitOfWork::begin(state.domain(), tenant).await?;
    if let Some(key) = &idempotency_key {
        if let Some(replayed) = idempotency::replay(&mut unit, &caller, key, &hash).await? {
            return Ok(replayed);
        }
    }
    let event = events::find_event(state.db(), tenant, EventId(new.event_id))
        .await?
        .ok_or_else(|| {
            ApiError::unprocessable(
                "unknown_event",
                format!("event_id {} is not an event of this tenant", new.event_id),
            )
        })?;
    let record = ParticipantRecord {
        gate: Participant {
            id: ParticipantId(uuid::Uuid::now_v7()),
            event_id: event.id,
            full_name: new.full_name,
            organisation: new.organisation,
            category: new.category,
            status: new.status.unwrap_or(Status::Pending).into(),
            zones: new
                .zone_ids
                .into_iter()
                .map(gatehouse_core::ZoneId)
                .collect(),
            valid_from: new.valid_from,
            valid_until: new.valid_until,
            credential_seq: 0,
            blocked: new.blocked,
            registration_code: RegistrationCode::generate(crypto::random_bytes())
                .as_str()
                .to_owned(),
            birth_check: None,
        },
        email: new.email,
        phone: new.phone,
        nationality: new.nationality,
        passport_number: new.passport_number,
        date_of_birth: new.date_of_birth,
    };
    let created = participants::create_in(&mut unit, &caller.actor(), record).await?;
    if let Some(key) = &idempotency_key {
        let body = Data {
            data: ParticipantView::from(created.clone()),
        };
        idempotency::remember(&mut unit, &caller, key, &hash, StatusCode::CREATED, &body).await?;
    }
    unit.commit().await?;
    Ok(one(StatusCode::CREATED, created))
}

/// Lets a patch tell "leave as it is" (absent) from "clear" (`null`).
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// The fields to change; absent fields stay as they are, `null` clears an optional one.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ParticipantPatch {
    #[serde(default)]
    pub full_name: Option<String>,
    #[serde(default)]
    pub category: Option<String>,
    #[serde(default)]
    pub status: Option<Status>,
    #[serde(default)]
    pub zone_ids: Option<Vec<uuid::Uuid>>,
    #[serde(default)]
    pub blocked: Option<bool>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub organisation: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub email: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub phone: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub nationality: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub passport_number: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub date_of_birth: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i64>)]
    pub valid_from: Option<Option<i64>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i64>)]
    pub valid_until: Option<Option<i64>>,
}

impl ParticipantPatch {
    fn apply(self, r: &mut ParticipantRecord) {
        let p = &mut r.gate;
        if let Some(v) = self.full_name {
            p.full_name = v;
        }
        if let Some(v) = self.category {
            p.category = v;
        }
        if let Some(v) = self.status {
            p.status = v.into();
        }
        if let Some(v) = self.zone_ids {
            p.zones = v.into_iter().map(gatehouse_core::ZoneId).collect();
        }
        if let Some(v) = self.blocked {
            p.blocked = v;
        }
        if let Some(v) = self.organisation {
            p.organisation = v;
        }
        if let Some(v) = self.valid_from {
            p.valid_from = v;
        }
        if let Some(v) = self.valid_until {
            p.valid_until = v;
        }
        if let Some(v) = self.email {
            r.email = v;
        }
        if let Some(v) = self.phone {
            r.phone = v;
        }
        if let Some(v) = self.nationality {
            r.nationality = v;
        }
        if let Some(v) = self.passport_number {
            r.passport_number = v;
        }
        if let Some(v) = self.date_of_birth {
            r.date_of_birth = v;
        }
    }
}

/// Changes a participant. Send the `ETag` of your last read as `If-Match`: a change made since
/// then answers 412 instead of being overwritten.
#[utoipa::path(patch, path = "/participants/{participant_id}", tag = "participants",
    params(("participant_id" = uuid::Uuid, Path),
        ("If-Match" = Option<String>, Header, description = "The ETag this change is based on")),
    request_body = ParticipantPatch,
    responses(
        (status = 200, body = Data<ParticipantView>, headers(("ETag" = String))),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 412, body = ErrorBody), (status = 415, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 429, body = ErrorBody),
    ),
    security(("api_key" = ["participants:write"]))
)]
pub async fn update(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(participant_id): Path<String>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<serde_json::Value>,
) -> ApiResult<Response> {
    caller.require("participants:write")?;
    let patch: ParticipantPatch = super::from_object(body)?;
    change(
        &state,
        &caller,
        &participant_id,
        &headers,
        Action::Updated,
        |r| patch.apply(r),
    )
    .await
}

/// Revokes a participant (soft delete): the status becomes `cancelled`, every gate decides
/// `REVOKED` for their badge after its next sync, and the record and its scans stay.
#[utoipa::path(delete, path = "/participants/{participant_id}", tag = "participants",
    params(("participant_id" = uuid::Uuid, Path),
        ("If-Match" = Option<String>, Header, description = "The ETag this change is based on")),
    responses(
        (status = 200, body = Data<ParticipantView>, headers(("ETag" = String))),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 412, body = ErrorBody), (status = 429, body = ErrorBody),
    ),
    security(("api_key" = ["participants:write"]))
)]
pub async fn revoke(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(participant_id): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    caller.require("participants:write")?;
    change(
        &state,
        &caller,
        &participant_id,
        &headers,
        Action::Revoked,
        |r| r.gate.status = ParticipantStatus::Cancelled,
    )
    .await
}

/// Changes the participant through the domain (one change at a time per participant), with
/// `If-Match` checked against the current version inside the change.
async fn change(
    state: &AppState,
    caller: &ApiCaller,
    participant_id: &str,
    headers: &HeaderMap,
    action: Action,
    edit: impl FnOnce(&mut ParticipantRecord),
) -> ApiResult<Response> {
    let pid: ParticipantId = path_id(participant_id, "participant")?;
    let changed = participants::change(
        state.domain(),
        &caller.author(),
        pid,
        action,
        |current| {
            check_if_match(headers, &etag_of(&ParticipantView::from(current.clone())))
                .map_err(|e| DomainError::precondition_failed(e.code, e.message))
        },
        |record| {
            edit(record);
            Ok(())
        },
    )
    .await
    .map_err(|e| match e.kind {
        // The domain names a missing participant by id; the API answers with the path's text.
        ErrorKind::NotFound => ApiError::not_found(&format!("participant {participant_id:?}")),
        _ => e.into(),
    })?;
    Ok(one(StatusCode::OK, changed.after))
}
