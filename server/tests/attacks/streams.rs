//! A live stream outliving its session: the admin API's occupancy stream ends soon after the
//! session that opened it signs out, or expires, instead of streaming on.

use std::time::Duration;

use crate::common::fixtures::now_ms;
use crate::common::library::token_digest;
use crate::common::live::EventStream;
use crate::common::{Backend, Server};

on_both_backends!(
    an_occupancy_stream_ends_when_its_session_signs_out,
    an_occupancy_stream_ends_when_its_session_expires,
);

/// Far below the stream's 15-second refresh: the end is not a refresh that happened to re-check.
const SOON: Duration = Duration::from_secs(10);

async fn open(s: &Server, session: &str) -> EventStream {
    let path = format!("/admin/v1/events/{}/occupancy/stream", s.event_id());
    let mut live = EventStream::open(s.as_admin(session).open_stream(&path).await);
    assert!(live.next("occupancy").await.is_some(), "a first snapshot");
    live
}

async fn an_occupancy_stream_ends_when_its_session_signs_out(backend: Backend) {
    let s = Server::demo(backend).await;
    let session = s.admin_session().await;
    let other = s.admin_session().await;
    let mut live = open(&s, &session).await;
    let mut others = open(&s, &other).await;

    s.as_admin(&session)
        .post("/admin/v1/logout")
        .await
        .expect(204);
    assert!(
        live.closes_within(SOON).await,
        "the stream ended with its session"
    );
    s.as_admin(&session)
        .get("/admin/v1/me")
        .await
        .expect_error(401, "invalid_session");
    assert!(
        !others.closes_within(Duration::from_secs(1)).await,
        "another session's stream goes on"
    );
}

async fn an_occupancy_stream_ends_when_its_session_expires(backend: Backend) {
    let s = Server::demo(backend).await;
    let session = s.admin_session().await;
    // The session has two seconds left (as if it was signed in a day ago).
    s.operator_sql(&format!(
        "UPDATE sessions SET expires_at = {} WHERE token_hash = '{}'",
        now_ms() + 2_000,
        token_digest(&session)
    ))
    .await;
    let mut live = open(&s, &session).await;
    assert!(live.closes_within(SOON).await, "the stream ended at expiry");
}
