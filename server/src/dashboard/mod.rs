//! The live dashboard for central admins, served by the server itself as plain HTML (no build
//! step, no CDN: the site may be offline). Pages are rendered on the server with every value
//! escaped ([`html::esc`]); one small vendored script (`assets/live.js`) keeps the overview live
//! over Server-Sent Events and asks before destructive actions.
//!
//! - Sign-in uses the admin API's sessions (argon2 passwords, a random token kept as SHA-256) in
//!   an HttpOnly, SameSite=Strict cookie; every POST form carries a CSRF token ([`session`]).
//! - Each page checks a permission: a viewer sees but cannot change, and an action they may not
//!   take answers with a page that says which permission it needs.
//! - Pages: the event overview ([`overview`]: occupancy per zone by fill, the gates offline now,
//!   entries per 5 minutes), [`devices`], the [`access_log`], [`participants`] and the event's
//!   checkpoints and zones ([`layout`]), the tenant's [`webhooks`], its [`api_keys`] and its
//!   [`kiosks`] (visits and the queue of each desk).

pub mod access_log;
pub mod api_keys;
pub mod devices;
pub mod html;
pub mod kiosks;
pub mod layout;
pub mod overview;
pub mod participants;
pub mod session;
pub mod webhooks;

use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::Router;

use crate::state::AppState;

const CSS: &str = include_str!("assets/dashboard.css");
const JS: &str = include_str!("assets/live.js");

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(overview::home))
        .route("/login", get(session::login_form).post(session::login))
        .route("/logout", post(session::logout))
        .route("/assets/dashboard.css", get(css))
        .route("/assets/live.js", get(js))
        .route("/events/{id}", get(overview::show))
        .route("/events/{id}/live", get(overview::live))
        .route(
            "/events/{id}/devices",
            get(devices::list).post(devices::create),
        )
        .route("/devices/{id}/revoke", post(devices::revoke))
        .route("/events/{id}/access-log", get(access_log::show))
        .route("/events/{id}/participants", get(participants::search))
        .route("/participants/{id}", get(participants::show))
        .route("/participants/{id}/reissue", post(participants::reissue))
        .route("/events/{id}/layout", get(layout::show))
        .route("/events/{id}/zones", post(layout::create_zone))
        .route("/events/{id}/zones/{zone}", post(layout::update_zone))
        .route(
            "/events/{id}/zones/{zone}/active",
            post(layout::set_zone_active),
        )
        .route("/events/{id}/checkpoints", post(layout::create_checkpoint))
        .route(
            "/events/{id}/checkpoints/{checkpoint}/active",
            post(layout::set_checkpoint_active),
        )
        .route("/webhooks", get(webhooks::list).post(webhooks::create))
        .route("/webhooks/{id}", get(webhooks::show))
        .route("/webhooks/{id}/enabled", post(webhooks::set_enabled))
        .route("/webhooks/{id}/test", post(webhooks::test))
        .route("/webhooks/{id}/delete", post(webhooks::delete))
        .route(
            "/webhooks/{id}/deliveries/{delivery}/redeliver",
            post(webhooks::redeliver),
        )
        .route("/api-keys", get(api_keys::list).post(api_keys::create))
        .route("/api-keys/{id}/rotate", post(api_keys::rotate))
        .route("/api-keys/{id}/revoke", post(api_keys::revoke))
        .route("/kiosks", get(kiosks::list))
        .route("/kiosks/live", get(kiosks::live))
        .route("/queue-tickets/{id}/served", post(kiosks::mark_served))
        .route("/queue-tickets/{id}/cancel", post(kiosks::cancel))
        .fallback(|| async { html::PageError::not_found("This dashboard page") })
}

async fn css() -> impl IntoResponse {
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=300"),
        ],
        CSS,
    )
}

async fn js() -> impl IntoResponse {
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=300"),
        ],
        JS,
    )
}
