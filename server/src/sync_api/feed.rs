//! `GET /sync/v1/feed`: one page of the device's event feed. The stored changes are already JSON,
//! so the page is assembled as text around them instead of parsed and serialised again: a first
//! sync of 100,000 participants costs a scan of an index and a string join.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::auth::DeviceCaller;
use gatehouse_domain::{events, now_ms};

use crate::error::{ApiError, ApiResult};
use crate::extract::QueryParams;
use crate::state::AppState;

/// Entries per page when the device does not say.
pub const DEFAULT_PAGE: i64 = 1_000;
/// The most entries one page holds.
pub const MAX_PAGE: i64 = 10_000;

#[derive(Debug, Deserialize)]
pub struct FeedQuery {
    after: Option<i64>,
    limit: Option<i64>,
}

pub async fn feed(
    State(state): State<AppState>,
    DeviceCaller(device): DeviceCaller,
    QueryParams(q): QueryParams<FeedQuery>,
) -> ApiResult<Response> {
    let after = q.after.unwrap_or(0);
    if after < 0 {
        return Err(ApiError::bad_request(
            "invalid_cursor",
            "after must be 0 or a cursor this server gave",
        ));
    }
    let limit = q.limit.unwrap_or(DEFAULT_PAGE);
    if limit < 1 {
        return Err(ApiError::bad_request(
            "invalid_limit",
            format!("limit must be between 1 and {MAX_PAGE}"),
        ));
    }
    let limit = limit.min(MAX_PAGE);
    let mut rows = events::feed_page(
        state.db(),
        device.tenant_id,
        device.event_id,
        after,
        limit,
        Some(device.id),
    )
    .await?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let cursor = rows.last().map(|(seq, _)| *seq).unwrap_or(after);

    let mut body =
        String::with_capacity(256 + rows.iter().map(|(_, p)| p.len() + 24).sum::<usize>());
    body.push_str(&format!(
        "{{\"event_id\":\"{}\",\"tenant_id\":\"{}\",\"entries\":[",
        device.event_id, device.tenant_id
    ));
    let mut first = true;
    for (seq, payload) in &rows {
        // A stored change is a JSON object `{"kind":...,"data":...}`; the entry adds its seq.
        let Some(rest) = payload.strip_prefix('{') else {
            continue;
        };
        if !first {
            body.push(',');
        }
        first = false;
        body.push_str(&format!("{{\"seq\":{seq},"));
        body.push_str(rest);
    }
    body.push_str(&format!(
        "],\"cursor\":{cursor},\"more\":{more},\"server_time\":{}}}",
        now_ms()
    ));
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}
