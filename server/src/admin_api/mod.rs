//! The admin API, `/admin/v1/`: sign in, then manage devices, participants and keys, and read
//! the access log and live occupancy of an event, and the kiosks' visits and queues. Every route
//! but login takes an [`AdminCaller`](crate::auth::AdminCaller) (Bearer session token; the
//! session cookie for reads only) and checks a permission; every query is scoped to the caller's
//! tenant. Errors use the platform envelope
//! `{"error": {"code", "message"}}`.

mod access_logs;
mod api_keys;
mod audit;
mod devices;
mod events;
mod kiosk;
mod occupancy;
mod participants;
mod session;

use axum::routing::{get, post};
use axum::Router;

use crate::state::AppState;

/// The admin API's routes; `webhooks` (the subscription routes, a surface of their own) is
/// merged in.
pub fn router(webhooks: Router<AppState>) -> Router<AppState> {
    Router::new()
        .route("/login", post(session::login))
        .route("/logout", post(session::logout))
        .route("/me", get(session::me))
        .route("/events", get(events::list))
        .route("/events/{id}", get(events::show))
        .route("/events/{id}/keys/rotate", post(events::rotate_key))
        .route(
            "/events/{id}/devices",
            get(devices::list).post(devices::create),
        )
        .route("/devices/{id}", get(devices::show))
        .route("/devices/{id}/rotate", post(devices::rotate))
        .route("/devices/{id}/revoke", post(devices::revoke))
        .route("/events/{id}/participants", get(participants::list))
        .route(
            "/participants/{id}",
            get(participants::show).delete(participants::remove),
        )
        .route("/participants/{id}/reissue", post(participants::reissue))
        .route("/participants/{id}/status", post(participants::set_status))
        .route("/events/{id}/access-logs", get(access_logs::list))
        .route("/events/{id}/access-logs.csv", get(access_logs::csv))
        .route("/events/{id}/occupancy", get(occupancy::show))
        .route("/events/{id}/occupancy/stream", get(occupancy::stream))
        .route("/audit", get(audit::recent))
        .route("/kiosk/devices", get(kiosk::devices))
        .route("/kiosk/sessions", get(kiosk::sessions))
        .route("/kiosk/queue", get(kiosk::queue))
        .route("/api-keys", get(api_keys::list).post(api_keys::create))
        .route("/api-keys/{id}/rotate", post(api_keys::rotate))
        .route("/api-keys/{id}/revoke", post(api_keys::revoke))
        .merge(webhooks)
        .fallback(|| async { crate::error::ApiError::not_found("this admin API route") })
}

/// Finds one of the caller's events or answers 404.
pub(crate) async fn event_of(
    state: &AppState,
    caller: &crate::auth::AdminCaller,
    id: &str,
) -> crate::error::ApiResult<gatehouse_core::Event> {
    let event_id = crate::extract::path_id(id, "event")?;
    gatehouse_domain::events::find_event(state.db(), caller.tenant_id, event_id)
        .await?
        .ok_or_else(|| crate::error::ApiError::not_found(&format!("event {id:?}")))
}
