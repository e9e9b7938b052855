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
use gatehouse_domain::webhooks::events;
use gatehouse_domain::webhooks::subscriptions::{self as subs, Change, Subscribe, Subscription};
use gatehouse_domain::{Author, Permission};
use serde::Deserialize;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::auth::{AdminCaller, ApiCaller};
use crate::error::{ApiError, ApiResult};
use crate::extract::{path_id, JsonBody, QueryParams};
use crate::state::AppState;

const MAX_DELIVERY_PAGE: i64 = 200;

/// The routes for integrators (merged into `/api/v1`).
pub fn for_integrators() -> Router<AppState> {
    routes::<ApiCaller>()
}

/// The same routes for admins and the dashboard (merged into `/admin/v1`).
pub fn for_admins() -> Router<AppState> {
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
    /// The caller as the author of a change.
    fn author(&self) -> Author;
    /// `scope` is `webhooks:read` or `webhooks:write`.
    fn allow(&self, scope: &str) -> ApiResult<()>;
}

impl WebhookCaller for ApiCaller {
    fn tenant(&self) -> gatehouse_core::TenantId {
        self.tenant_id()
    }

    fn author(&self) -> Author {
        ApiCaller::author(self)
    }

    fn allow(&self, scope: &str) -> ApiResult<()> {
        self.require(scope)
    }
}

impl WebhookCaller for AdminCaller {
    fn tenant(&self) -> gatehouse_core::TenantId {
        self.tenant_id
    }

    fn author(&self) -> Author {
        AdminCaller::author(self)
    }

    fn allow(&self, _scope: &str) -> ApiResult<()> {
        self.require(Permission::WebhooksManage)
    }
}

/// Checks the scope, then that the tenant has webhooks switched on.
async fn authorize(state: &AppState, caller: &impl WebhookCaller, scope: &str) -> ApiResult<()> {
    caller.allow(scope)?;
    Ok(subs::require_feature(state.domain(), caller.tenant()).await?)
}

/// The subscription a path names, among the caller's.
async fn subscription_of(
    state: &AppState,
    caller: &impl WebhookCaller,
    id: &str,
) -> ApiResult<Subscription> {
    let id: Uuid = path_id(id, "webhook subscription")?;
    Ok(subs::find(state.domain(), caller.tenant(), id).await?)
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
    let list = subs::list(state.db(), caller.tenant()).await?;
    Ok(Json(json!({ "data": list })))
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
    let (sub, secret) = subs::subscribe(
        state.domain(),
        &caller.author(),
        &Subscribe {
            url: body.url,
            event_types: body.event_types,
            description: body.description,
            enabled: body.enabled,
        },
    )
    .await?;
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
    let sub = subs::change(
        state.domain(),
        &caller.author(),
        sub.id,
        Change {
            url: body.url,
            event_types: body.event_types,
            description: body.description,
            enabled: body.enabled,
        },
    )
    .await?;
    Ok(Json(json!({ "data": sub })))
}

async fn remove<C: WebhookCaller>(
    State(state): State<AppState>,
    caller: C,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    authorize(&state, &caller, "webhooks:write").await?;
    let sub = subscription_of(&state, &caller, &id).await?;
    subs::delete(state.domain(), &caller.author(), sub.id).await?;
    Ok(Json(json!({ "data": {"deleted": sub.id} })))
}

async fn test<C: WebhookCaller>(
    State(state): State<AppState>,
    caller: C,
    Path(id): Path<String>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    authorize(&state, &caller, "webhooks:write").await?;
    let sub = subscription_of(&state, &caller, &id).await?;
    let (message_id, delivery_id) = subs::test(state.domain(), &caller.author(), sub.id).await?;
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
    let (secret, until) = subs::rotate_secret(state.domain(), &caller.author(), sub.id).await?;
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
    let rows = subs::deliveries(state.db(), caller.tenant(), sub.id, status, before, limit).await?;
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
    let delivery = subs::find_delivery(state.db(), caller.tenant(), sub.id, delivery_id)
        .await?
        .ok_or_else(|| ApiError::not_found(&format!("delivery {delivery_id}")))?;
    let attempts = subs::attempts(state.db(), caller.tenant(), delivery_id).await?;
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
    let (new_id, message_id) =
        subs::redeliver(state.domain(), &caller.author(), sub.id, delivery_id).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({ "data": {"delivery_id": new_id, "message_id": message_id} })),
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
    let requeued = subs::replay(
        state.domain(),
        &caller.author(),
        sub.id,
        body.since,
        body.until,
        body.only_failed,
    )
    .await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({ "data": {"requeued": requeued, "limit": subs::MAX_REPLAY} })),
    ))
}
