//! The device sync API, `/sync/v1/`. Its types are exactly those of
//! [`gatehouse_core::protocol`], shared with the device so neither side can drift.
//!
//! # Protocol
//!
//! **Pairing.** An admin creates a device (bound to one event) and receives a one-time pairing
//! code that expires. `POST /sync/v1/pair` with [`PairRequest`] trades it for a device token in
//! [`PairResponse`]. The server keeps only SHA-256 digests of codes and tokens. A spent code is
//! forgotten, so a reused code is as unknown as a wrong one (`403 pairing_code_invalid`); an
//! expired one is `403 pairing_code_expired`. `POST /sync/v1/token` (authenticated) swaps the
//! device's token for a fresh one.
//!
//! **Down: the change feed.** `GET /sync/v1/feed?after=CURSOR&limit=N` (Bearer device token)
//! returns a [`FeedPage`] of the device's event: zones, checkpoints, participants, participant
//! removals, ticket keys, and the scans other gates made (so anti-passback holds across gates).
//! Entries are ordered by a server-side sequence, never by clocks; only the latest change of each
//! entity is kept, so a first sync (`after=0`) of 100,000 participants is about 100,000 entries.
//! `limit` defaults to [`DEFAULT_PAGE`] and is capped at [`MAX_PAGE`]; `more` says whether to ask
//! again from `cursor`. Responses are gzip-compressed when the client sends
//! `Accept-Encoding: gzip`.
//!
//! **Up: scans.** `POST /sync/v1/scans` with a [`ScanUpload`]. Each scan is upserted by its
//! client-made UUID (unique within the tenant), so retries, repeats and reordering leave one
//! access log per scan. The server
//! measures the device's clock offset (`server now − report.device_time`) and stores for each scan
//! a server time `device_time + offset` besides the device's own `device_time` and
//! `corrected_time`. Occupancy counters per (device, zone) are merged by maximum. When two gates
//! both admit one badge into a zone (an admitted `in` with no admitted `out` between, in server
//! time, from different devices), both scans are kept and the later one is flagged
//! `offline_duplicate` and listed in [`UploadAck::offline_duplicates`]. No scan is ever dropped.
//! The [`UploadAck`] lists every id of the upload that the server now holds as this device's scan;
//! the device deletes exactly those from its outbox (an id another device or an integrator of
//! the tenant already used is left out: it was not stored). An upload is all or nothing: if any
//! scan names another event, an unknown checkpoint or zone, or another device, or has a time
//! outside 0 ..= year 9999 (`bad_time`), or the report's cursor is below 0 (`bad_report`), or a
//! counter is above ten million (`counter_out_of_range`), nothing is stored and the answer is 422.
//!
//! **Online scans.** `POST /sync/v1/scan` with [`OnlineScanRequest`]: the server decides with the
//! same [`gatehouse_core::checkin::check_in`] as the gates, the participant's history coming from the access log, and
//! records the scan exactly once per `scan_id` (the same request again returns the first answer;
//! another badge, checkpoint, direction, override or device under that id is
//! `422 scan_id_in_use`). Online
//! scans count towards occupancy under their own source, so a device must not add them to its
//! own counters.
//!
//! **Up: kiosk records.** `POST /sync/v1/kiosk` with a [`KioskUpload`] of visits (kiosk
//! sessions) and queue tickets. Visits are upserted by id and keep the highest `revision` sent;
//! tickets are inserted once and start `waiting` (admins mark them served or cancelled). The
//! [`KioskAck`] lists every id the server now holds as this kiosk's. It is all or nothing: a record of another
//! event or device makes it 422. A tenant without the `KIOSK_MODE` feature gets
//! `403 feature_disabled`, and the kiosk keeps its records for a later round.
//!
//! **Time.** Every response body carries `server_time` (ms since the epoch).
//!
//! **Refusals.** Every error on this API is a [`SyncRefusal`] (`code`, `message`, `wipe`,
//! `server_time`) that also carries the platform's envelope `{"error": {"code", "message"}}`. A
//! revoked device gets `403` with `code: "device_revoked"` and `wipe: true`: it must erase its
//! participant cache and keys. An unknown token is `401 unknown_token` (`wipe: false`).
//!
//! [`PairRequest`]: gatehouse_core::protocol::PairRequest
//! [`PairResponse`]: gatehouse_core::protocol::PairResponse
//! [`FeedPage`]: gatehouse_core::protocol::FeedPage
//! [`ScanUpload`]: gatehouse_core::protocol::ScanUpload
//! [`UploadAck`]: gatehouse_core::protocol::UploadAck
//! [`UploadAck::offline_duplicates`]: gatehouse_core::protocol::UploadAck::offline_duplicates
//! [`OnlineScanRequest`]: gatehouse_core::protocol::OnlineScanRequest
//! [`KioskUpload`]: gatehouse_core::protocol::KioskUpload
//! [`KioskAck`]: gatehouse_core::protocol::KioskAck
//! [`SyncRefusal`]: gatehouse_core::protocol::SyncRefusal

mod feed;
mod kiosk;
mod online;
mod pair;
mod scans;

use axum::body::Body;
use axum::http::{header, HeaderValue};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use gatehouse_core::protocol::SyncRefusal;

use gatehouse_domain::now_ms;

use crate::state::AppState;

pub use feed::{DEFAULT_PAGE, MAX_PAGE};
pub use kiosk::MAX_KIOSK_RECORDS_PER_UPLOAD;
pub use scans::MAX_SCANS_PER_UPLOAD;

/// Error bodies read back by the refusal layer are small; anything larger is not ours.
const MAX_ERROR_BODY: usize = 64 * 1024;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/pair", post(pair::pair))
        .route("/token", post(pair::rotate_token))
        .route("/feed", get(feed::feed))
        .route("/scans", post(scans::upload))
        .route("/scan", post(online::scan))
        .route("/kiosk", post(kiosk::upload))
        .fallback(|| async { crate::error::ApiError::not_found("this sync API route") })
        .layer(axum::middleware::map_response(as_sync_refusal))
}

/// Rewrites every error response of the sync API as a [`SyncRefusal`] carrying the envelope too.
async fn as_sync_refusal(response: Response) -> Response {
    let status = response.status();
    if status.is_success() || status.is_informational() || status.is_redirection() {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, MAX_ERROR_BODY)
        .await
        .unwrap_or_default();
    let parsed: Option<serde_json::Value> = serde_json::from_slice(&bytes).ok();
    let field = |name: &str| {
        parsed
            .as_ref()
            .and_then(|v| v["error"][name].as_str())
            .map(str::to_string)
    };
    let code = field("code").unwrap_or_else(|| crate::error::code_for_status(status).to_string());
    let message = field("message").unwrap_or_else(|| {
        String::from_utf8_lossy(&bytes)
            .trim()
            .to_string()
            .chars()
            .take(500)
            .collect()
    });
    let refusal = SyncRefusal {
        wipe: code == "device_revoked",
        code: code.clone(),
        message: message.clone(),
        server_time: now_ms(),
    };
    let mut value = serde_json::to_value(&refusal).unwrap_or_default();
    value["error"] = serde_json::json!({"code": code, "message": message});
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Response::from_parts(parts, Body::from(value.to_string()))
}
