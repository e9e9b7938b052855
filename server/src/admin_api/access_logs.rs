//! The access log of an event: a filtered JSON page (newest first) and a CSV export streamed page
//! by page, so exporting a million scans holds one page in memory at a time.

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use gatehouse_core::{EventId, TenantId, Verdict};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::auth::AdminCaller;
use crate::error::{ApiError, ApiResult};
use crate::extract::QueryParams;
use crate::state::AppState;
use gatehouse_domain::access_log::{self, LogFilter, LogKey, StoredScan};
use gatehouse_domain::{Db, Permission};

/// Largest JSON page.
const MAX_LIST: i64 = 1_000;
/// Rows the CSV export reads per query.
const CSV_PAGE: i64 = 2_000;

#[derive(Debug, Deserialize)]
pub struct LogQuery {
    checkpoint: Option<String>,
    verdict: Option<String>,
    participant: Option<String>,
    /// Server time, ms, inclusive.
    from: Option<i64>,
    /// Server time, ms, exclusive.
    to: Option<i64>,
    offline_duplicates: Option<bool>,
    limit: Option<i64>,
}

fn filter_from(q: &LogQuery) -> ApiResult<LogFilter> {
    let bad = |field: &str, value: &str| {
        ApiError::bad_request("invalid_filter", format!("{field} {value:?} is not valid"))
    };
    Ok(LogFilter {
        checkpoint: match q.checkpoint.as_deref().filter(|s| !s.is_empty()) {
            Some(c) => Some(c.parse().map_err(|_| bad("checkpoint", c))?),
            None => None,
        },
        verdict: match q.verdict.as_deref().filter(|s| !s.is_empty()) {
            Some(v) => Some(Verdict::parse(&v.to_uppercase()).ok_or_else(|| bad("verdict", v))?),
            None => None,
        },
        participant: match q.participant.as_deref().filter(|s| !s.is_empty()) {
            Some(p) => Some(p.parse().map_err(|_| bad("participant", p))?),
            None => None,
        },
        from: q.from,
        to: q.to,
        offline_duplicates_only: q.offline_duplicates.unwrap_or(false),
    })
}

pub async fn list(
    State(state): State<AppState>,
    caller: AdminCaller,
    Path(id): Path<String>,
    QueryParams(q): QueryParams<LogQuery>,
) -> ApiResult<Json<Value>> {
    caller.require(Permission::AccessLogsRead)?;
    let event = super::event_of(&state, &caller, &id).await?;
    let filter = filter_from(&q)?;
    let limit = q.limit.unwrap_or(100).clamp(1, MAX_LIST);
    let scans = access_log::page(
        state.db(),
        caller.tenant_id,
        event.id,
        &filter,
        None,
        limit,
        true,
    )
    .await?;
    Ok(Json(json!({ "access_logs": scans })))
}

const CSV_HEADER: &str = "id,server_time,device_time,corrected_time,checkpoint_id,zone_id,device_id,participant_id,credential_seq,movement,verdict,reason,override_reason,offline_duplicate,source\n";

fn csv_field(out: &mut String, value: &str) {
    if value.contains([',', '"', '\n', '\r']) {
        out.push('"');
        out.push_str(&value.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(value);
    }
}

fn csv_row(out: &mut String, s: &StoredScan) {
    let l = &s.log;
    let opt = |v: Option<String>| v.unwrap_or_default();
    let fields = [
        l.id.to_string(),
        s.server_time.to_string(),
        l.device_time.to_string(),
        l.corrected_time.to_string(),
        l.checkpoint_id.to_string(),
        l.zone_id.to_string(),
        opt(l.device_id.map(|d| d.to_string())),
        opt(l.participant_id.map(|p| p.to_string())),
        opt(l.credential_seq.map(|c| c.to_string())),
        opt(l.movement.map(|m| m.as_str().to_string())),
        l.verdict.as_str().to_string(),
        l.reason.code().to_string(),
        opt(l.override_reason.clone()),
        s.offline_duplicate.to_string(),
        s.source.clone(),
    ];
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        csv_field(out, f);
    }
    out.push('\n');
}

struct CsvCursor {
    db: Db,
    tenant: TenantId,
    event: EventId,
    filter: LogFilter,
    after: Option<LogKey>,
    started: bool,
    done: bool,
}

pub async fn csv(
    State(state): State<AppState>,
    caller: AdminCaller,
    Path(id): Path<String>,
    QueryParams(q): QueryParams<LogQuery>,
) -> ApiResult<Response> {
    caller.require(Permission::AccessLogsRead)?;
    let event = super::event_of(&state, &caller, &id).await?;
    let cursor = CsvCursor {
        db: state.db().clone(),
        tenant: caller.tenant_id,
        event: event.id,
        filter: filter_from(&q)?,
        after: None,
        started: false,
        done: false,
    };
    let stream = futures::stream::unfold(cursor, |mut c| async move {
        if c.done {
            return None;
        }
        let mut out = String::new();
        if !c.started {
            c.started = true;
            out.push_str(CSV_HEADER);
        }
        match access_log::page(
            &c.db,
            c.tenant,
            c.event,
            &c.filter,
            c.after.as_ref(),
            CSV_PAGE,
            false,
        )
        .await
        {
            Ok(rows) => {
                if (rows.len() as i64) < CSV_PAGE {
                    c.done = true;
                }
                if let Some(last) = rows.last() {
                    c.after = Some((last.server_time, last.log.id.to_string()));
                }
                for r in &rows {
                    csv_row(&mut out, r);
                }
                Some((Ok::<Bytes, std::io::Error>(Bytes::from(out)), c))
            }
            Err(e) => {
                tracing::error!(error = %e, "access log export failed mid-stream");
                c.done = true;
                Some((Err(std::io::Error::other(e.to_string())), c))
            }
        }
    });
    let filename = format!("access-log-{}.csv", event.id);
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
        ],
        // Fused: the compression layer may poll once more after the end.
        Body::from_stream(futures::StreamExt::fuse(stream)),
    )
        .into_response())
}
