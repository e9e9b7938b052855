//! The access log of an event: a filtered JSON page (newest first) and a CSV export streamed page
//! by page, so exporting a million scans holds one page in memory at a time. The export's cells
//! never start a spreadsheet formula (see [`gatehouse_core::export::inert_cell`]).

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use gatehouse_core::export::inert_cell;
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

const CSV_HEADER: [&str; 15] = [
    "id",
    "server_time",
    "device_time",
    "corrected_time",
    "checkpoint_id",
    "zone_id",
    "device_id",
    "participant_id",
    "credential_seq",
    "movement",
    "verdict",
    "reason",
    "override_reason",
    "offline_duplicate",
    "source",
];

fn csv_row(s: &StoredScan) -> [String; 15] {
    let l = &s.log;
    let opt = |v: Option<String>| v.unwrap_or_default();
    [
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
    ]
}

/// One chunk of the export: the header first, then the rows of one page, quoted by the `csv`
/// crate and every cell made inert.
fn csv_chunk(header: bool, rows: &[StoredScan]) -> Result<Bytes, csv::Error> {
    let mut out = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    if header {
        out.write_record(CSV_HEADER)?;
    }
    for r in rows {
        out.write_record(csv_row(r).iter().map(|cell| inert_cell(cell).into_owned()))?;
    }
    let bytes = out
        .into_inner()
        .map_err(|e| csv::Error::from(e.into_error()))?;
    Ok(Bytes::from(bytes))
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
        let header = !c.started;
        c.started = true;
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
                match csv_chunk(header, &rows) {
                    Ok(bytes) => Some((Ok(bytes), c)),
                    Err(e) => {
                        tracing::error!(error = %e, "access log export failed mid-stream");
                        c.done = true;
                        Some((Err(std::io::Error::other(e.to_string())), c))
                    }
                }
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
