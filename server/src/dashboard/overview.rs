//! The dashboard's home (the tenant's events) and an event's overview: occupancy per zone coloured
//! by how full it is, the gates that are offline now, and entries per 5 minutes. The page is
//! rendered whole on the server; a live stream (Server-Sent Events) then sends the same fragments
//! again whenever a scan or an upload changes the event, and every few seconds so that a gate
//! that stops calling turns red without anyone reloading.

use std::convert::Infallible;
use std::fmt::Write as _;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Redirect, Response};
use futures::Stream;
use gatehouse_core::{Event, EventId, TenantId};
use serde::Serialize;
use tokio::sync::broadcast::error::{RecvError, TryRecvError};
use tokio::time::Instant;

use super::html::{ago, esc, page, utc, Fill, Html, Nav, PageError, PageResult};
use super::session::DashboardUser;
use gatehouse_domain::devices::{self, Device};
use gatehouse_domain::occupancy::{snapshot as occupancy_snapshot, OccupancySnapshot};
use gatehouse_domain::{access_log, events, now_ms, Db, Permission};

use crate::state::AppState;

/// A paired device that has not called for this long is shown offline (devices sync every few
/// seconds while they have a network).
pub const OFFLINE_AFTER_MS: i64 = 60_000;
/// Width of one bar of the entries chart.
const BUCKET_MS: i64 = 5 * 60_000;
/// Bars in the entries chart (two hours).
const BUCKETS: i64 = 24;
/// How often the live stream sends fresh fragments when nothing changed.
const REFRESH_EVERY: Duration = Duration::from_secs(5);
/// Least time between two updates of one live view: a busy event changes many times a second,
/// and one update then carries them all (well within the second the room may wait).
const MIN_GAP: Duration = Duration::from_millis(400);

/// Finds one of the user's events, or a clear 404 page.
pub async fn event_of(state: &AppState, user: &DashboardUser, id: &str) -> PageResult<Event> {
    let not_found = || PageError::not_found(&format!("Event {id:?}"));
    let event_id: EventId = id.parse().map_err(|_| not_found())?;
    events::find_event(state.db(), user.caller.tenant_id, event_id)
        .await?
        .ok_or_else(not_found)
}

/// `/dashboard`: straight to the overview when there is one event, else a list.
pub async fn home(State(state): State<AppState>, user: DashboardUser) -> PageResult<Response> {
    let events = events::list_events(state.db(), user.caller.tenant_id).await?;
    if let [only] = events.as_slice() {
        return Ok(Redirect::to(&format!("/dashboard/events/{}", only.id)).into_response());
    }
    let mut content = String::new();
    if events.is_empty() {
        content.push_str(
            "<p class=\"empty\">Your organisation has no events yet. Create one through the \
             admin API or the REST API; it appears here at once.</p>",
        );
    } else {
        content.push_str("<ul class=\"events\">");
        for e in &events {
            let _ = write!(
                content,
                "<li><a href=\"/dashboard/events/{}\">{}</a> <span class=\"muted\">{} – {} UTC</span></li>",
                e.id,
                esc(&e.name),
                utc(e.starts_at),
                utc(e.ends_at)
            );
        }
        content.push_str("</ul>");
    }
    Ok(Html::ok(page(&user.frame("Events", None, Nav::None), &content)).into_response())
}

/// How a device is doing, as the operations room needs to see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceStatus {
    Online,
    Offline,
    AwaitingPairing,
    Revoked,
}

impl DeviceStatus {
    pub fn of(d: &Device, now: i64) -> DeviceStatus {
        match d.state {
            "revoked" => DeviceStatus::Revoked,
            "awaiting_pairing" => DeviceStatus::AwaitingPairing,
            _ if d.last_seen_at.is_some_and(|t| now - t <= OFFLINE_AFTER_MS) => {
                DeviceStatus::Online
            }
            _ => DeviceStatus::Offline,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            DeviceStatus::Online => "online",
            DeviceStatus::Offline => "OFFLINE",
            DeviceStatus::AwaitingPairing => "awaiting pairing",
            DeviceStatus::Revoked => "revoked",
        }
    }

    pub fn class(self) -> &'static str {
        match self {
            DeviceStatus::Online => "status-online",
            DeviceStatus::Offline => "status-offline",
            DeviceStatus::AwaitingPairing => "status-waiting",
            DeviceStatus::Revoked => "status-revoked",
        }
    }
}

/// What the overview shows and the live stream resends.
#[derive(Debug, Serialize)]
pub struct Fragments {
    pub occupancy: OccupancySnapshot,
    /// Names of the paired devices that are offline now.
    pub offline_devices: Vec<String>,
    /// Element id → inner HTML (escaped on the server).
    pub html: Vec<(&'static str, String)>,
}

fn zones_html(snap: &OccupancySnapshot) -> String {
    if snap.zones.is_empty() {
        return "<p class=\"empty\">This event has no zones yet. Add them under \
                <em>Checkpoints &amp; zones</em>.</p>"
            .into();
    }
    let mut out = String::from("<div class=\"zones\">");
    for z in &snap.zones {
        let fill = Fill::of(z.inside, z.capacity);
        let (pct, cap) = match z.capacity.filter(|c| *c > 0) {
            Some(c) => {
                let pct = (z.inside as f64 * 100.0 / f64::from(c)).round();
                (pct, format!("of {c} ({pct:.0} %)"))
            }
            None => (0.0, "no capacity set".into()),
        };
        let _ = write!(
            out,
            "<article class=\"zone {class}\" data-zone=\"{id}\" data-inside=\"{inside}\">\
             <h3>{name}</h3><p class=\"count\"><span class=\"inside\">{inside}</span> inside</p>\
             <p class=\"muted\">{cap}</p>\
             <svg class=\"bar\" viewBox=\"0 0 100 6\" preserveAspectRatio=\"none\" aria-hidden=\"true\">\
             <rect width=\"100\" height=\"6\" class=\"bar-bg\"/><rect width=\"{w:.1}\" height=\"6\" class=\"bar-fg\"/></svg>\
             <p class=\"muted\">{ins} in · {outs} out</p></article>",
            class = fill.class(),
            id = z.zone_id,
            inside = z.inside,
            name = esc(&z.name),
            w = pct.min(100.0),
            ins = z.ins,
            outs = z.outs,
        );
    }
    out.push_str("</div>");
    out
}

fn devices_html(event: EventId, devices: &[Device], now: i64) -> String {
    let paired: Vec<&Device> = devices.iter().filter(|d| d.state == "paired").collect();
    if paired.is_empty() {
        return format!(
            "<p class=\"empty\">No gate is paired yet. Pair one under \
             <a href=\"/dashboard/events/{event}/devices\">Devices</a>.</p>"
        );
    }
    let offline: Vec<&&Device> = paired
        .iter()
        .filter(|d| DeviceStatus::of(d, now) == DeviceStatus::Offline)
        .collect();
    let mut out = if offline.is_empty() {
        format!(
            "<p class=\"all-online\">All {} paired gates are online.</p>",
            paired.len()
        )
    } else {
        format!(
            "<p class=\"alert\" role=\"alert\">{} of {} gates OFFLINE: {}</p>",
            offline.len(),
            paired.len(),
            offline
                .iter()
                .map(|d| esc(&d.name))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    out.push_str(
        "<table class=\"devices\"><thead><tr><th>Gate</th><th>Status</th><th>Last contact</th>\
         <th>Sync lag</th><th>Outbox</th></tr></thead><tbody>",
    );
    // Offline gates first: they are what the room must act on.
    let mut sorted = paired.clone();
    sorted.sort_by_key(|d| {
        (
            DeviceStatus::of(d, now) != DeviceStatus::Offline,
            d.name.clone(),
        )
    });
    for d in sorted {
        let status = DeviceStatus::of(d, now);
        let _ = write!(
            out,
            "<tr class=\"{class}\" data-device=\"{id}\"><td>{name}</td><td class=\"status\">{label}</td>\
             <td>{seen}</td><td>{lag}</td><td>{outbox}</td></tr>",
            class = status.class(),
            id = d.id,
            name = esc(&d.name),
            label = status.label(),
            seen = ago(d.last_seen_at, now),
            lag = d
                .sync_lag
                .map(|l| format!("{l} changes"))
                .unwrap_or_else(|| "–".into()),
            outbox = d
                .outbox_depth
                .map(|o| format!("{o} scans"))
                .unwrap_or_else(|| "–".into()),
        );
    }
    out.push_str("</tbody></table>");
    out
}

/// Entries (admitted, in) and refusals per 5 minutes over the last two hours, as an SVG bar chart.
fn chart_html(buckets: &[(i64, i64, i64)], now: i64) -> String {
    let first = (now / BUCKET_MS - (BUCKETS - 1)) * BUCKET_MS;
    let series: Vec<(i64, i64, i64)> = (0..BUCKETS)
        .map(|i| {
            let start = first + i * BUCKET_MS;
            let (a, r) = buckets
                .iter()
                .find(|(b, _, _)| *b == start)
                .map(|(_, a, r)| (*a, *r))
                .unwrap_or((0, 0));
            (start, a, r)
        })
        .collect();
    let max = series
        .iter()
        .map(|(_, a, r)| a + r)
        .max()
        .unwrap_or(0)
        .max(1);
    let total: i64 = series.iter().map(|(_, a, _)| a).sum();
    let refused: i64 = series.iter().map(|(_, _, r)| r).sum();
    let (w, h, bar) = (480.0, 120.0, 480.0 / BUCKETS as f64);
    let mut svg = format!(
        "<svg class=\"chart\" viewBox=\"0 0 {w} {h2}\" role=\"img\" \
         aria-label=\"Entries per 5 minutes, last 2 hours: {total} admitted, {refused} refused\">",
        h2 = h + 16.0
    );
    for (i, (start, a, r)) in series.iter().enumerate() {
        let x = i as f64 * bar;
        let ha = *a as f64 / max as f64 * h;
        let hr = *r as f64 / max as f64 * h;
        let _ = write!(
            svg,
            "<g><title>{} UTC: {a} admitted, {r} refused</title>\
             <rect class=\"admitted\" x=\"{x:.1}\" y=\"{ya:.1}\" width=\"{bw:.1}\" height=\"{ha:.1}\"/>\
             <rect class=\"refused\" x=\"{x:.1}\" y=\"{yr:.1}\" width=\"{bw:.1}\" height=\"{hr:.1}\"/></g>",
            &utc(*start)[11..16],
            ya = h - ha,
            yr = h - ha - hr,
            bw = bar - 2.0,
        );
        if i % 6 == 0 {
            let _ = write!(
                svg,
                "<text x=\"{x:.1}\" y=\"{ty}\" class=\"axis\">{}</text>",
                &utc(*start)[11..16],
                ty = h + 13.0
            );
        }
    }
    svg.push_str("</svg>");
    format!(
        "{svg}<p class=\"muted\">{total} admitted entries and {refused} refused scans in the last \
         2 hours (UTC; busiest 5 minutes: {max} scans).</p>"
    )
}

fn review_html(event: EventId, duplicates: i64) -> String {
    match duplicates {
        0 => "<p class=\"muted\">No offline duplicates to review.</p>".into(),
        n => format!(
            "<p class=\"review\"><a href=\"/dashboard/events/{event}/access-log?dups=1\">{n} offline \
             duplicate{s} to review</a>: one badge admitted into a zone by two gates while offline.</p>",
            s = if n == 1 { "" } else { "s" }
        ),
    }
}

/// Reads everything the overview shows.
pub async fn fragments(
    db: &Db,
    tenant: TenantId,
    event: EventId,
) -> Result<Fragments, gatehouse_domain::DbError> {
    let now = now_ms();
    let occupancy = occupancy_snapshot(db, tenant, event).await?;
    let devices = devices::list(db, tenant, event).await?;
    let since = (now / BUCKET_MS - (BUCKETS - 1)) * BUCKET_MS;
    let buckets = access_log::entries_per_bucket(db, tenant, event, since, BUCKET_MS).await?;
    let duplicates = access_log::offline_duplicates(db, tenant, event).await?;
    let offline_devices = devices
        .iter()
        .filter(|d| DeviceStatus::of(d, now) == DeviceStatus::Offline)
        .map(|d| d.name.clone())
        .collect();
    let html = vec![
        ("live-zones", zones_html(&occupancy)),
        ("live-devices", devices_html(event, &devices, now)),
        ("live-chart", chart_html(&buckets, now)),
        ("live-review", review_html(event, duplicates)),
        ("live-updated", format!("updated {} UTC", utc(now))),
    ];
    Ok(Fragments {
        occupancy,
        offline_devices,
        html,
    })
}

pub async fn show(
    State(state): State<AppState>,
    user: DashboardUser,
    Path(id): Path<String>,
) -> PageResult<Html> {
    user.require(Permission::OccupancyRead, "see live occupancy")?;
    let event = event_of(&state, &user, &id).await?;
    let f = fragments(state.db(), user.caller.tenant_id, event.id).await?;
    let part = |id: &str| fragment(&f.html, id);
    let content = format!(
        "<p class=\"live-line\"><span id=\"live-status\" class=\"live-status\">connecting…</span> \
         <span id=\"live-updated\" class=\"muted\">{updated}</span></p>\
         <div data-live=\"/dashboard/events/{id}/live\"></div>\
         <section><h2>Gates</h2><div id=\"live-devices\">{devices}</div></section>\
         <section><h2>Occupancy</h2><div id=\"live-zones\">{zones}</div>\
         <div id=\"live-review\">{review}</div></section>\
         <section><h2>Entries per 5 minutes</h2><div id=\"live-chart\">{chart}</div></section>",
        id = event.id,
        updated = part("live-updated"),
        devices = part("live-devices"),
        zones = part("live-zones"),
        chart = part("live-chart"),
        review = part("live-review"),
    );
    let eid = event.id.to_string();
    Ok(Html::ok(page(
        &user.frame(&event.name, Some((&eid, &event.name)), Nav::Overview),
        &content,
    )))
}

/// `GET /dashboard/events/{id}/live`: `overview` events carrying [`Fragments`] as JSON.
pub async fn live(
    State(state): State<AppState>,
    user: DashboardUser,
    Path(id): Path<String>,
) -> PageResult<Sse<impl Stream<Item = Result<SseEvent, Infallible>>>> {
    user.require(Permission::OccupancyRead, "see live occupancy")?;
    let event = event_of(&state, &user, &id).await?;
    let tenant = user.caller.tenant_id;
    let event_id = event.id;
    Ok(live_stream(
        state,
        user,
        "overview",
        move |changed| changed == event_id,
        move |state| async move { fragments(state.db(), tenant, event_id).await },
    ))
}

/// The fragment of a live update for element `id` (empty when there is none).
pub(super) fn fragment<'a>(html: &'a [(&'static str, String)], id: &str) -> &'a str {
    html.iter()
        .find(|(k, _)| *k == id)
        .map_or("", |(_, v)| v.as_str())
}

/// A live view's Server-Sent Events: `name` events carrying what `read` returns, as JSON (the
/// dashboard script swaps in its `html` fragments by element id). One at once, then one after
/// each change of an event `wants` (at most one per [`MIN_GAP`], a burst of changes in one), and
/// one every [`REFRESH_EVERY`] regardless, so ages and "offline" stay true. A failed read sends
/// `trouble` and the stream goes on; signing out ends it.
pub(super) fn live_stream<T, Fut>(
    state: AppState,
    user: DashboardUser,
    name: &'static str,
    wants: impl Fn(EventId) -> bool + Send + Sync + 'static,
    read: impl Fn(AppState) -> Fut + Send + Sync + 'static,
) -> Sse<impl Stream<Item = Result<SseEvent, Infallible>>>
where
    T: Serialize,
    Fut: std::future::Future<Output = Result<T, gatehouse_domain::DbError>> + Send,
{
    let rx = state.domain().live().subscribe();
    let stream = futures::stream::unfold(
        (state, rx, None::<Instant>, user, wants, read),
        move |(state, mut rx, last, user, wants, read)| async move {
            if let Some(last) = last {
                let _ = tokio::time::timeout(REFRESH_EVERY, async {
                    loop {
                        match rx.recv().await {
                            Ok(changed) if wants(changed) => return,
                            Ok(_) => continue,
                            Err(RecvError::Lagged(_)) => return,
                            Err(RecvError::Closed) => std::future::pending::<()>().await,
                        }
                    }
                })
                .await;
                tokio::time::sleep(MIN_GAP.saturating_sub(last.elapsed())).await;
                // Whatever arrived meanwhile is in the update about to be read.
                while !matches!(
                    rx.try_recv(),
                    Err(TryRecvError::Empty | TryRecvError::Closed)
                ) {}
                // Signing out (or the session expiring) ends the stream too.
                if !user.still_signed_in(&state).await.unwrap_or(true) {
                    return None;
                }
            }
            let sse = match read(state.clone()).await {
                Ok(f) => SseEvent::default()
                    .event(name)
                    .json_data(&f)
                    .unwrap_or_else(|_| SseEvent::default().comment("unserialisable")),
                Err(e) => {
                    tracing::error!(error = %e, view = name, "dashboard live update failed");
                    SseEvent::default()
                        .event("trouble")
                        .data("the server could not read the data; retrying")
                }
            };
            Some((
                Ok(sse),
                (state, rx, Some(Instant::now()), user, wants, read),
            ))
        },
    );
    Sse::new(stream).keep_alive(KeepAlive::default())
}
