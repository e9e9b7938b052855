//! The integrators' REST API, `/api/v1/`, authenticated by API key ([`ApiCaller`]): every route
//! names the scope it needs and every query is scoped to the key's tenant. The tenant needs the
//! `REST_API` feature; each key has a rate limit, may be limited to client
//! addresses, and counts its uses (the rules are `gatehouse_domain::api_keys`). Errors use the platform envelope
//! `{"error": {"code", "message"}}`.
//!
//! Resources: events, zones and checkpoints, occupancy, devices, the access log (check-ins) and
//! participants (read, create, change, revoke), and `POST /events/{id}/checkins`, which decides a
//! badge through the same path as a gate's online scan.
//!
//! - Lists page with an opaque `cursor` (`next_cursor` in each page; `null` on the last).
//! - A single resource's GET carries an `ETag`; `PATCH` honours `If-Match` (412 when stale).
//! - `POST` honours `Idempotency-Key` ([`idempotency`]): a retry gets the first answer.
//! - The OpenAPI 3.1 description is at `/api/v1/openapi.json`, a page of it at `/api/v1/docs`
//!   ([`openapi`]); both are public and built from the same code as the routes.
//!
//! This file puts the routers together; each resource has a module of its own.
//!
//! [`ApiCaller`]: crate::auth::ApiCaller

mod access_logs;
mod check_ins;
mod devices;
mod events;
pub mod idempotency;
mod layout;
mod occupancy;
pub mod openapi;
mod participants;
pub mod shape;

use axum::http::HeaderMap;
use axum::Router;
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::ApiCaller;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// Declares the API's routes once: the router is built from this table and [`ROUTES`] lists it,
/// so a test can hold the OpenAPI description to every route that is served.
macro_rules! api_routes {
    ($($method:ident $path:literal => $handler:path;)+) => {
        /// Every route of `/api/v1` as (method, path), paths relative to `/api/v1`.
        pub const ROUTES: &[(&str, &str)] = &[$((stringify!($method), $path)),+];

        fn resources() -> Router<AppState> {
            Router::new()$(.route($path, axum::routing::$method($handler)))+
        }
    };
}

api_routes! {
    get "/openapi.json" => openapi::spec;
    get "/docs" => openapi::docs;
    get "/events" => events::list;
    get "/events/{event_id}" => events::show;
    get "/events/{event_id}/zones" => layout::zones;
    get "/events/{event_id}/checkpoints" => layout::checkpoints;
    get "/events/{event_id}/occupancy" => occupancy::show;
    get "/events/{event_id}/access-logs" => access_logs::list;
    post "/events/{event_id}/checkins" => check_ins::create;
    get "/events/{event_id}/devices" => devices::list;
    get "/participants" => participants::list;
    post "/participants" => participants::create;
    get "/participants/{participant_id}" => participants::show;
    patch "/participants/{participant_id}" => participants::update;
    delete "/participants/{participant_id}" => participants::revoke;
}

/// The REST API's routes. `webhooks` (the subscription routes, a surface of their own) is merged
/// here, before the layer, so that its answers carry the rate-limit headers too.
pub fn router(webhooks: Router<AppState>) -> Router<AppState> {
    Router::new()
        .merge(resources())
        .merge(webhooks)
        .fallback(|| async { ApiError::not_found("this API route") })
        .layer(axum::middleware::from_fn(crate::rate_limit::headers))
}

/// Most items a list returns per page.
pub const MAX_PAGE: i64 = 1_000;
/// Items per page when the client does not say.
pub const DEFAULT_PAGE: i64 = 100;

/// Reads `limit`, or answers 400.
fn page_limit(limit: Option<i64>) -> ApiResult<i64> {
    match limit {
        None => Ok(DEFAULT_PAGE),
        Some(n) if (1..=MAX_PAGE).contains(&n) => Ok(n),
        Some(n) => Err(ApiError::bad_request(
            "invalid_limit",
            format!("limit {n} is not between 1 and {MAX_PAGE}"),
        )),
    }
}

/// The error envelope every failure uses.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable, machine-readable (`insufficient_scope`, `rate_limited`, `not_found`, ...).
    pub code: String,
    /// For people.
    pub message: String,
}

/// One resource.
#[derive(Debug, Serialize, ToSchema)]
pub struct Data<T> {
    pub data: T,
}

/// A page of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    pub data: Vec<T>,
    /// Pass as `cursor` for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// Who a verdict is about, as the gate shows them.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ParticipantSummaryView {
    pub id: uuid::Uuid,
    pub full_name: String,
    pub category: String,
    pub organisation: Option<String>,
}

/// A list that is never paged (an event's zones, its checkpoints).
#[derive(Debug, Serialize, ToSchema)]
pub struct List<T> {
    pub data: Vec<T>,
}

/// Reads a JSON body that must be an object (serde would also take a struct as an array of its
/// fields, which no client means).
fn from_object<T: serde::de::DeserializeOwned>(body: serde_json::Value) -> ApiResult<T> {
    if !body.is_object() {
        return Err(ApiError::unprocessable(
            "invalid_body",
            "the body must be a JSON object",
        ));
    }
    serde_json::from_value(body).map_err(|e| ApiError::unprocessable("invalid_body", e.to_string()))
}

/// Finds one of the caller's events or answers 404.
async fn event_of(
    state: &AppState,
    caller: &ApiCaller,
    id: &str,
) -> ApiResult<gatehouse_core::Event> {
    let event_id = crate::extract::path_id(id, "event")?;
    gatehouse_domain::events::find_event(state.db(), caller.tenant_id(), event_id)
        .await?
        .ok_or_else(|| ApiError::not_found(&format!("event {id:?}")))
}

/// A strong entity tag of a representation: a digest of its JSON.
pub fn etag_of(value: &impl Serialize) -> String {
    let json = serde_json::to_string(value).unwrap_or_default();
    format!("\"{}\"", &gatehouse_domain::crypto::digest(&json)[..32])
}

/// The entity tag of a representation shaped by `fields` or `expand`: the resource's own tag
/// (`version`) with a digest of the shape appended, `"<version>.<shape>"`. Caches tell shapes
/// apart (`If-None-Match` compares whole tags), and `If-Match` accepts any shape of the current
/// version ([`check_if_match`]).
pub fn shaped_etag(version: &str, shaped: &serde_json::Value) -> String {
    let json = serde_json::to_string(shaped).unwrap_or_default();
    format!(
        "{}.{}\"",
        version.trim_end_matches('"'),
        &gatehouse_domain::crypto::digest(&json)[..8]
    )
}

/// Whether `tag` names the version `current`, as is or in a shape ([`shaped_etag`]).
fn names_version(tag: &str, current: &str) -> bool {
    tag == current
        || tag
            .strip_prefix(current.trim_end_matches('"'))
            .is_some_and(|rest| rest.starts_with('.') && rest.ends_with('"'))
}

/// Refuses with 412 when the request's `If-Match` names neither `current` (in any shape) nor
/// `*`. No `If-Match` means the client takes the risk of overwriting (RFC 9110 §13.1.1).
pub fn check_if_match(headers: &HeaderMap, current: &str) -> ApiResult<()> {
    let Some(value) = headers.get(axum::http::header::IF_MATCH) else {
        return Ok(());
    };
    let value = value.to_str().unwrap_or_default();
    let matches = value
        .split(',')
        .map(str::trim)
        .any(|tag| tag == "*" || names_version(tag, current));
    if matches {
        Ok(())
    } else {
        Err(ApiError::new(
            axum::http::StatusCode::PRECONDITION_FAILED,
            "precondition_failed",
            format!(
                "If-Match {value} does not match the current ETag {current}: the resource \
                 changed since you read it; GET it again and reapply your change"
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_match_accepts_the_current_tag_a_list_or_star_and_refuses_a_stale_one() {
        let mut h = HeaderMap::new();
        assert!(check_if_match(&h, "\"a\"").is_ok(), "absent");
        for ok in ["\"a\"", "\"b\", \"a\"", "*"] {
            h.insert(axum::http::header::IF_MATCH, ok.parse().unwrap());
            assert!(check_if_match(&h, "\"a\"").is_ok(), "{ok}");
        }
        // A tag read with fields or expand names the same version.
        h.insert(
            axum::http::header::IF_MATCH,
            "\"a.1f2e3d4c\"".parse().unwrap(),
        );
        assert!(check_if_match(&h, "\"a\"").is_ok(), "shaped");
        for stale in ["\"b\"", "W/\"a\"", "\"ab\"", "\"b.a\""] {
            h.insert(axum::http::header::IF_MATCH, stale.parse().unwrap());
            let e = check_if_match(&h, "\"a\"").unwrap_err();
            assert_eq!((e.status.as_u16(), e.code), (412, "precondition_failed"));
        }
    }

    #[test]
    fn every_route_is_in_the_openapi_description() {
        let spec = serde_json::to_value(openapi::description()).unwrap();
        for (method, path) in ROUTES {
            assert!(
                spec["paths"][path][method].is_object(),
                "{method} {path} is served but not described"
            );
        }
    }
}
