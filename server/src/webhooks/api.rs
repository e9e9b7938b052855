//! `/api/v1/webhooks`: subscriptions and their delivery log, for integrators with an API key
//! (`webhooks:read` to look, `webhooks:write` to change). The same routes serve admins (and the
//! dashboard) under `/admin/v1/webhooks` with a session and the `webhooks:manage` permission
//! ([`WebhookCaller`]). Everything is scoped to the caller's tenant, and the tenant needs the
//! `WEBHOOKS` feature.
//!
//! | route | what |
//! | --- | --- |
//! | `GET /webhooks` | the subscriptions |
//! | `POST /webhooks` | subscribe: `{"url", "event_types", "description"?, "enabled"?}`; answers with the `secret`, once |
//! | `GET /webhooks/event-types` | the catalogue |
//! | `GET, PATCH, DELETE /webhooks/{id}` | show, change (pause and resume with `enabled`), delete |
//! | `POST /webhooks/{id}/test` | queue a `webhook.test` ping |
//! | `POST /webhooks/{id}/rotate-secret` | a new secret; the old one still signs for 24 h |
//! | `GET /webhooks/{id}/deliveries` | the delivery log (`?status=`, `?before=`, `?limit=`) |
//! | `GET /webhooks/{id}/deliveries/{delivery_id}` | one delivery with every attempt |
//! | `POST /webhooks/{id}/deliveries/{delivery_id}/redeliver` | send that message again |
//! | `POST /webhooks/{id}/replay` | send again what was sent in a time range: `{"since", "until"?, "only_failed"?}` (ms) |

use axum::extract::{FromRequestParts, Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use uuid::Uuid;

use super::store::{self, Changes, NewSubscription, Subscription};
use super::{events, outbox, signing, ssrf};
use crate::auth::{AdminCaller, ApiCaller};
use crate::db::{self, now_ms};
use crate::error::{ApiError, ApiResult};
use crate::extract::{path_id, JsonBody, QueryParams};
use crate::permissions::{FeatureFlag, Permission};
use crate::state::AppState;

/// Subscriptions one tenant may hold.
pub const MAX_SUBSCRIPTIONS: usize = 100;
/// How long a replaced secret keeps signing after a rotation.
pub const OLD_SECRET_OVERLAP_MS: i64 = 24 * 3_600 * 1_000;
const MAX_URL_LEN: usize = 2_048;
const MAX_DESCRIPTION_LEN: usize = 500;
const MAX_DELIVERY_PAGE: i64 = 200;
/// Messages one replay may queue again.
pub const MAX_REPLAY: i64 = 10_000;

/// The routes for integrators (merged into `/api/v1`).
pub fn router() -> Router<AppState> {
    routes::<ApiCaller>()
}

/// The same routes for admins and the dashboard (merged into `/admin/v1`).
pub fn admin_router() -> Router<AppState> {
    routes::<AdminCaller>()
}

fn routes<C: WebhookCaller>() -> Router<AppState> {
    Router::new()
        .route("/webhooks", get(list::<C>).post(create::<C>))
        .route("/webhooks/event-types", get(event_types::<C>))
        .route(
            "/webhooks/{id}",
            get(show::<C>).patch(update::<C>).delete(remove::<C>),
        )
        .route("/webhooks/{id}/test", post(test::<C>))
        .route("/webhooks/{id}/rotate-secret", post(rotate_secret::<C>))
        .route("/webhooks/{id}/deliveries", get(deliveries::<C>))
        .route(
            "/webhooks/{id}/deliveries/{delivery_id}",
            get(show_delivery::<C>),
        )
        .route(
            "/webhooks/{id}/deliveries/{delivery_id}/redeliver",
            post(redeliver::<C>),
        )
        .route("/webhooks/{id}/replay", post(replay::<C>))
}

/// Who may manage webhooks: an integrator with an API key (`webhooks:read`, `webhooks:write`)
/// on `/api/v1`, or an admin with a session and `webhooks:manage` on `/admin/v1` (the
/// dashboard). The routes are the same; each mount names its caller type.
pub trait WebhookCaller:
    FromRequestParts<AppState, Rejection = ApiError> + Send + Sync + 'static
{
    fn tenant(&self) -> gatehouse_core::TenantId;
    /// `scope` is `webhooks:read` or `webhooks:write`.
    fn allow(&self, scope: &str) -> ApiResult<()>;
}

impl WebhookCaller for ApiCaller {
    fn tenant(&self) -> gatehouse_core::TenantId {
        self.tenant_id()
    }

    fn allow(&self, scope: &str) -> ApiResult<()> {
        self.require(scope)
    }
}

impl WebhookCaller for AdminCaller {
    fn tenant(&self) -> gatehouse_core::TenantId {
        self.tenant_id
    }

    fn allow(&self, _scope: &str) -> ApiResult<()> {
        self.require(Permission::WebhooksManage)
    }
}

/// Checks the scope, then that the tenant has webhooks switched on.
async fn authorize(state: &AppState, caller: &impl WebhookCaller, scope: &str) -> ApiResult<()> {
    caller.allow(scope)?;
    let features = db::tenants::features(state.db(), caller.tenant()).await?;
    if !features.contains(&FeatureFlag::Webhooks) {
        return Err(ApiError::forbidden(
            "feature_disabled",
            "webhooks are not switched on for this tenant (feature WEBHOOKS)",
        ));
    }
    Ok(())
}

async fn subscription_of(
    state: &AppState,
    caller: &impl WebhookCaller,
    id: &str,
) -> ApiResult<Subscription> {
    let id: Uuid = path_id(id, "webhook subscription")?;
    store::find(state.db(), caller.tenant(), id)
        .await?
        .ok_or_else(|| ApiError::not_found(&format!("webhook subscription {id}")))
}

fn check_event_types(types: &[String]) -> ApiResult<Vec<String>> {
    if types.is_empty() {
        return Err(ApiError::unprocessable(
            "invalid_event_types",
            "`event_types`: name at least one event type, or \"*\" for all",
        ));
    }
    if types.len() > events::MAX_FILTERS {
        return Err(ApiError::unprocessable(
            "invalid_event_types",
            format!("`event_types`: at most {} entries", events::MAX_FILTERS),
        ));
    }
    let mut out: Vec<String> = Vec::new();
    for t in types {
        events::validate_filter(t)
            .map_err(|m| ApiError::unprocessable("invalid_event_types", m))?;
        if !out.contains(t) {
            out.push(t.clone());
        }
    }
    Ok(out)
}

fn check_description(text: &str) -> ApiResult<()> {
    if text.chars().count() > MAX_DESCRIPTION_LEN {
        return Err(ApiError::unprocessable(
            "invalid_description",
            format!("`description`: at most {MAX_DESCRIPTION_LEN} characters"),
        ));
    }
    Ok(())
}

async fn check_url(state: &AppState, url: &str) -> ApiResult<String> {
    if url.len() > MAX_URL_LEN {
        return Err(ApiError::unprocessable(
            "invalid_url",
            format!("`url`: at most {MAX_URL_LEN} characters"),
        ));
    }
    ssrf::check_url(url, state.config().webhooks_allow_private)
        .await
        .map(|u| u.to_string())
        .map_err(|r| ApiError::unprocessable(r.code, r.message))
}

async fn event_types<C: WebhookCaller>(
    State(state): State<AppState>,
    caller: C,
) -> ApiResult<Json<Value>> {
    authorize(&state, &caller, "webhooks:read").await?;
    let types: Vec<Value> = events::CATALOGUE
        .iter()
        .map(|(t, d)| json!({"type": t, "description": d}))
        .collect();
    Ok(Json(json!({ "data": types })))
}

async fn list<C: WebhookCaller>(
    State(state): State<AppState>,
    caller: C,
) -> ApiResult<Json<Value>> {
    authorize(&state, &caller, "webhooks:read").await?;
    let subs = store::list(state.db(), caller.tenant()).await?;
    Ok(Json(json!({ "data": subs })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateBody {
    url: String,
    event_types: Vec<String>,
    #[serde(default)]
    description: String,
    #[serde(default = "enabled_by_default")]
    enabled: bool,
}

fn enabled_by_default() -> bool {
    true
}

async fn create<C: WebhookCaller>(
    State(state): State<AppState>,
    caller: C,
    JsonBody(body): JsonBody<CreateBody>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    authorize(&state, &caller, "webhooks:write").await?;
    let url = check_url(&state, &body.url).await?;
    let types = check_event_types(&body.event_types)?;
    check_description(&body.description)?;
    let tenant = caller.tenant();
    if store::list(state.db(), tenant).await?.len() >= MAX_SUBSCRIPTIONS {
        return Err(ApiError::conflict(
            "too_many_subscriptions",
            format!("a tenant holds at most {MAX_SUBSCRIPTIONS} webhook subscriptions"),
        ));
    }
    let secret = signing::new_secret();
    let now = now_ms();
    let mut tx = state.db().begin().await?;
    let id = store::insert(
        &mut tx,
        tenant,
        &NewSubscription {
            url: &url,
            description: &body.description,
            event_types: &types,
            sealed_secret: &state.master().seal(secret.as_bytes()),
            enabled: body.enabled,
        },
        now,
    )
    .await?;
    tx.commit().await?;
    let sub = store::find(state.db(), tenant, id)
        .await?
        .ok_or_else(|| ApiError::internal("read back a subscription", id))?;
    let mut data =
        serde_json::to_value(&sub).map_err(|e| ApiError::internal("show a subscription", e))?;
    data["secret"] = json!(secret);
    Ok((StatusCode::CREATED, Json(json!({ "data": data }))))
}

async fn show<C: WebhookCaller>(
    State(state): State<AppState>,
    caller: C,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    authorize(&state, &caller, "webhooks:read").await?;
    let sub = subscription_of(&state, &caller, &id).await?;
    Ok(Json(json!({ "data": sub })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct UpdateBody {
    url: Option<String>,
    event_types: Option<Vec<String>>,
    description: Option<String>,
    enabled: Option<bool>,
}

async fn update<C: WebhookCaller>(
    State(state): State<AppState>,
    caller: C,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<UpdateBody>,
) -> ApiResult<Json<Value>> {
    authorize(&state, &caller, "webhooks:write").await?;
    let sub = subscription_of(&state, &caller, &id).await?;
    let url = match &body.url {
        Some(u) => Some(check_url(&state, u).await?),
        None => None,
    };
    let event_types = body
        .event_types
        .as_deref()
        .map(check_event_types)
        .transpose()?;
    if let Some(d) = &body.description {
        check_description(d)?;
    }
    let mut tx = state.db().begin().await?;
    store::update(
        &mut tx,
        caller.tenant(),
        sub.id,
        &Changes {
            url,
            description: body.description,
            event_types,
            enabled: body.enabled,
        },
        now_ms(),
    )
    .await?;
    tx.commit().await?;
    if body.enabled == Some(true) {
        state.wake_webhooks();
    }
    let sub = subscription_of(&state, &caller, &id).await?;
    Ok(Json(json!({ "data": sub })))
}

async fn remove<C: WebhookCaller>(
    State(state): State<AppState>,
    caller: C,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    authorize(&state, &caller, "webhooks:write").await?;
    let sub = subscription_of(&state, &caller, &id).await?;
    let mut tx = state.db().begin().await?;
    store::delete(&mut tx, caller.tenant(), sub.id).await?;
    tx.commit().await?;
    Ok(Json(json!({ "data": {"deleted": sub.id} })))
}

async fn test<C: WebhookCaller>(
    State(state): State<AppState>,
    caller: C,
    Path(id): Path<String>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    authorize(&state, &caller, "webhooks:write").await?;
    let sub = subscription_of(&state, &caller, &id).await?;
    let mut tx = state.db().begin().await?;
    let (message_id, delivery_id) = outbox::enqueue_to(
        &mut tx,
        caller.tenant(),
        sub.id,
        &events::test_ping(&sub.id.to_string()),
        now_ms(),
    )
    .await?;
    tx.commit().await?;
    state.wake_webhooks();
    Ok((
        StatusCode::ACCEPTED,
        Json(
            json!({ "data": {"message_id": message_id, "delivery_id": delivery_id, "enabled": sub.enabled} }),
        ),
    ))
}

async fn rotate_secret<C: WebhookCaller>(
    State(state): State<AppState>,
    caller: C,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    authorize(&state, &caller, "webhooks:write").await?;
    let sub = subscription_of(&state, &caller, &id).await?;
    let secret = signing::new_secret();
    let now = now_ms();
    let until = now + OLD_SECRET_OVERLAP_MS;
    let mut tx = state.db().begin().await?;
    store::rotate_secret(
        &mut tx,
        caller.tenant(),
        sub.id,
        &state.master().seal(secret.as_bytes()),
        until,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(Json(json!({
        "data": {"secret": secret, "previous_secret_expires_at": until}
    })))
}

#[derive(Debug, Deserialize)]
struct DeliveryQuery {
    status: Option<String>,
    before: Option<String>,
    limit: Option<i64>,
}

async fn deliveries<C: WebhookCaller>(
    State(state): State<AppState>,
    caller: C,
    Path(id): Path<String>,
    QueryParams(q): QueryParams<DeliveryQuery>,
) -> ApiResult<Json<Value>> {
    authorize(&state, &caller, "webhooks:read").await?;
    let sub = subscription_of(&state, &caller, &id).await?;
    let status = match q.status.as_deref() {
        None | Some("") => None,
        Some(s @ ("pending" | "delivered" | "failed")) => Some(s),
        Some(other) => {
            return Err(ApiError::bad_request(
                "invalid_status",
                format!("`status`: {other:?} is not pending, delivered or failed"),
            ))
        }
    };
    let before = match q.before.as_deref() {
        None | Some("") => None,
        Some(b) => Some(b.parse::<Uuid>().map_err(|_| {
            ApiError::bad_request(
                "invalid_before",
                format!("`before`: {b:?} is not a delivery id"),
            )
        })?),
    };
    let limit = q.limit.unwrap_or(50).clamp(1, MAX_DELIVERY_PAGE);
    let rows =
        store::deliveries(state.db(), caller.tenant(), sub.id, status, before, limit).await?;
    let next = (rows.len() as i64 == limit)
        .then(|| rows.last().map(|d| d.id))
        .flatten();
    Ok(Json(json!({ "data": rows, "next_before": next })))
}

async fn show_delivery<C: WebhookCaller>(
    State(state): State<AppState>,
    caller: C,
    Path((id, delivery_id)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    authorize(&state, &caller, "webhooks:read").await?;
    let sub = subscription_of(&state, &caller, &id).await?;
    let delivery_id: Uuid = path_id(&delivery_id, "delivery")?;
    let delivery = store::find_delivery(state.db(), caller.tenant(), sub.id, delivery_id)
        .await?
        .ok_or_else(|| ApiError::not_found(&format!("delivery {delivery_id}")))?;
    let attempts = store::attempts(state.db(), caller.tenant(), delivery_id).await?;
    let mut data =
        serde_json::to_value(&delivery).map_err(|e| ApiError::internal("show a delivery", e))?;
    data["attempts"] = json!(attempts);
    Ok(Json(json!({ "data": data })))
}

async fn redeliver<C: WebhookCaller>(
    State(state): State<AppState>,
    caller: C,
    Path((id, delivery_id)): Path<(String, String)>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    authorize(&state, &caller, "webhooks:write").await?;
    let sub = subscription_of(&state, &caller, &id).await?;
    let delivery_id: Uuid = path_id(&delivery_id, "delivery")?;
    let delivery = store::find_delivery(state.db(), caller.tenant(), sub.id, delivery_id)
        .await?
        .ok_or_else(|| ApiError::not_found(&format!("delivery {delivery_id}")))?;
    if !sub.enabled {
        return Err(ApiError::conflict(
            "subscription_disabled",
            format!(
                "this subscription is disabled ({}); enable it with PATCH {{\"enabled\": true}} first",
                sub.disabled_reason.as_deref().unwrap_or("paused")
            ),
        ));
    }
    let mut tx = state.db().begin().await?;
    let new_id = outbox::requeue(
        &mut tx,
        caller.tenant(),
        sub.id,
        &delivery.message_id,
        now_ms(),
    )
    .await?;
    tx.commit().await?;
    state.wake_webhooks();
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({ "data": {"delivery_id": new_id, "message_id": delivery.message_id} })),
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReplayBody {
    since: i64,
    until: Option<i64>,
    #[serde(default = "enabled_by_default")]
    only_failed: bool,
}

/// Queues again the messages of a time range (by default only those that failed for good), in
/// their original order, each with its original `webhook-id`.
async fn replay<C: WebhookCaller>(
    State(state): State<AppState>,
    caller: C,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<ReplayBody>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    authorize(&state, &caller, "webhooks:write").await?;
    let sub = subscription_of(&state, &caller, &id).await?;
    let now = now_ms();
    let until = body.until.unwrap_or(now + 1);
    if body.since >= until {
        return Err(ApiError::unprocessable(
            "invalid_range",
            "`since` must be before `until` (Unix milliseconds)",
        ));
    }
    let messages = store::messages_between(
        state.db(),
        caller.tenant(),
        sub.id,
        body.since,
        until,
        body.only_failed,
        MAX_REPLAY,
    )
    .await?;
    let mut tx = state.db().begin().await?;
    let pairs: Vec<(String, String)> = messages
        .iter()
        .map(|m| (sub.id.to_string(), m.clone()))
        .collect();
    store::insert_deliveries(&mut tx, caller.tenant(), &pairs, now).await?;
    tx.commit().await?;
    if !pairs.is_empty() {
        state.wake_webhooks();
    }
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({ "data": {"requeued": pairs.len(), "limit": MAX_REPLAY} })),
    ))
}
