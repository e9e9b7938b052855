//! Live occupancy of an event: who is inside each zone, as Σ over devices of the highest in/out
//! counters seen plus the scans decided online. As JSON, and as Server-Sent Events that send a
//! fresh snapshot whenever an upload or an online scan changes the event, until the session that
//! opened the stream signs out or expires.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::Json;
use futures::{Stream, StreamExt};
use tokio::sync::broadcast::error::RecvError;

use gatehouse_domain::occupancy::{snapshot, OccupancySnapshot};
use gatehouse_domain::Permission;

use crate::auth::AdminCaller;
use crate::error::ApiResult;
use crate::state::AppState;

pub async fn show(
    State(state): State<AppState>,
    caller: AdminCaller,
    Path(id): Path<String>,
) -> ApiResult<Json<OccupancySnapshot>> {
    caller.require(Permission::OccupancyRead)?;
    let event = super::event_of(&state, &caller, &id).await?;
    Ok(Json(
        snapshot(state.db(), caller.tenant_id, event.id).await?,
    ))
}

/// How long a live view waits for a change before it sends a snapshot anyway.
const REFRESH_EVERY: Duration = Duration::from_secs(15);

pub async fn stream(
    State(state): State<AppState>,
    caller: AdminCaller,
    Path(id): Path<String>,
) -> ApiResult<Sse<impl Stream<Item = Result<SseEvent, Infallible>>>> {
    caller.require(Permission::OccupancyRead)?;
    let event = super::event_of(&state, &caller, &id).await?;
    let rx = state.domain().live().subscribe();
    let session_ended = caller.session_ended(&state);
    let tenant = caller.tenant_id;
    let event_id = event.id;
    let stream = futures::stream::unfold(
        (state, rx, true),
        move |(state, mut rx, first)| async move {
            if !first {
                // Wait for a change of this event (or the periodic refresh).
                let _ = tokio::time::timeout(REFRESH_EVERY, async {
                    loop {
                        match rx.recv().await {
                            Ok(changed) if changed == event_id => return,
                            Ok(_) => continue,
                            Err(RecvError::Lagged(_)) => return,
                            Err(RecvError::Closed) => {
                                std::future::pending::<()>().await;
                            }
                        }
                    }
                })
                .await;
            }
            let sse = match snapshot(state.db(), tenant, event_id).await {
                Ok(s) => SseEvent::default()
                    .event("occupancy")
                    .json_data(&s)
                    .unwrap_or_else(|_| SseEvent::default().comment("unserialisable snapshot")),
                Err(e) => {
                    tracing::error!(error = %e, "occupancy snapshot failed");
                    SseEvent::default()
                        .event("error")
                        .data("occupancy is unavailable")
                }
            };
            Some((Ok(sse), (state, rx, false)))
        },
    )
    .take_until(session_ended);
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}
