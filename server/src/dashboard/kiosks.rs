//! The tenant's self-service kiosks: each kiosk with its last contact and today's visits and
//! outcomes, the queue of every desk (waiting tickets in the order they were taken, with "mark
//! served" and "cancel"; a label two kiosks both handed out is flagged), and the latest visits.
//! The page stays live: a kiosk's upload or a marked ticket redraws it within a second. Anyone who may see occupancy sees the page;
//! changing a ticket needs `kiosk:manage`. The whole page needs the tenant's `KIOSK_MODE`.

use std::collections::HashSet;
use std::convert::Infallible;
use std::fmt::Write as _;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::sse::{Event as SseEvent, Sse};
use axum::response::{IntoResponse, Redirect, Response};
use futures::Stream;
use gatehouse_core::{EventId, QueueTicketId, TenantId};
use serde::Serialize;

use super::html::{ago, csrf_field, esc, page, utc, Html, Nav, PageError, PageResult};
use super::overview::{fragment, live_stream, OFFLINE_AFTER_MS};
use super::session::{CsrfForm, DashboardUser, Empty};
use gatehouse_domain::kiosk::{self, KioskDevice, SessionView, TicketStatus, TicketView};
use gatehouse_domain::{events, now_ms, Db, ErrorKind, Permission};

use crate::state::AppState;

/// Visits listed on the page.
const RECENT_SESSIONS: i64 = 50;
const DAY_MS: i64 = 86_400_000;

/// The tenant must have kiosk mode switched on.
async fn require_kiosk_mode(state: &AppState, user: &DashboardUser) -> PageResult<()> {
    if kiosk::require_kiosk_mode(state.domain(), user.caller.tenant_id)
        .await
        .is_err()
    {
        return Err(PageError::new(
            StatusCode::FORBIDDEN,
            "Kiosk mode is off",
            "Kiosk mode is not switched on for this organisation (feature KIOSK_MODE). Kiosks \
             keep their visits and queue tickets until it is.",
        ));
    }
    Ok(())
}

fn dash(v: Option<&str>) -> String {
    v.map(esc).unwrap_or_else(|| "–".into())
}

pub async fn list(State(state): State<AppState>, user: DashboardUser) -> PageResult<Html> {
    user.require(Permission::OccupancyRead, "see the kiosks")?;
    require_kiosk_mode(&state, &user).await?;
    let manage = user.can(Permission::KioskManage);
    let f = fragments(state.db(), user.caller.tenant_id, &user.csrf, manage).await?;
    let part = |id: &str| fragment(&f.html, id);
    let mut content = String::new();
    if !manage {
        content.push_str(
            "<p class=\"muted\">You can see the kiosks and queues; marking tickets served or \
             cancelled needs the permission kiosk:manage.</p>",
        );
    }
    let _ = write!(
        content,
        "<p class=\"live-line\"><span id=\"live-status\" class=\"live-status\">connecting…</span> \
         <span id=\"live-updated\" class=\"muted\">{updated}</span></p>\
         <div data-live=\"/dashboard/kiosks/live\"></div>\
         <section class=\"kiosks\"><h2>Kiosks</h2><div id=\"kiosk-devices\">{devices}</div></section>\
         <section class=\"queues\"><h2>Queues</h2><div id=\"kiosk-queues\">{queues}</div></section>\
         <section class=\"kiosk-sessions\"><h2>Latest visits</h2>\
         <div id=\"kiosk-sessions\">{sessions}</div></section>",
        updated = part("live-updated"),
        devices = part("kiosk-devices"),
        queues = part("kiosk-queues"),
        sessions = part("kiosk-sessions"),
    );
    Ok(Html::ok(page(
        &user.frame("Kiosks", None, Nav::Kiosks),
        &content,
    )))
}

/// `GET /dashboard/kiosks/live`: `fragments` events carrying the page's parts, sent again when a
/// kiosk uploads or a ticket is marked, so the desk sees a new ticket without reloading.
pub async fn live(
    State(state): State<AppState>,
    user: DashboardUser,
) -> PageResult<Sse<impl Stream<Item = Result<SseEvent, Infallible>>>> {
    user.require(Permission::OccupancyRead, "see the kiosks")?;
    require_kiosk_mode(&state, &user).await?;
    let tenant = user.caller.tenant_id;
    let events: HashSet<EventId> = events::list_events(state.db(), tenant)
        .await?
        .into_iter()
        .map(|e| e.id)
        .collect();
    let manage = user.can(Permission::KioskManage);
    let csrf = user.csrf.clone();
    Ok(live_stream(
        state,
        user,
        "fragments",
        move |changed| events.contains(&changed),
        move |state| {
            let csrf = csrf.clone();
            async move { fragments(state.db(), tenant, &csrf, manage).await }
        },
    ))
}

/// The live parts of the Kiosks page, by element id.
#[derive(Debug, Serialize)]
pub struct Fragments {
    pub html: Vec<(&'static str, String)>,
}

async fn fragments(
    db: &Db,
    tenant: TenantId,
    csrf: &str,
    manage: bool,
) -> Result<Fragments, gatehouse_domain::DbError> {
    let now = now_ms();
    let today = now - now.rem_euclid(DAY_MS);
    let kiosks = kiosk::devices(db, tenant, today).await?;
    let waiting = kiosk::waiting_tickets(db, tenant).await?;
    let sessions = kiosk::recent_sessions(db, tenant, RECENT_SESSIONS).await?;
    let csrf = manage.then(|| csrf_field(csrf));
    Ok(Fragments {
        html: vec![
            ("kiosk-devices", devices_html(&kiosks, now)),
            ("kiosk-queues", queues_html(&waiting, csrf.as_deref())),
            ("kiosk-sessions", sessions_html(&sessions)),
            ("live-updated", format!("updated {} UTC", utc(now))),
        ],
    })
}

fn devices_html(kiosks: &[KioskDevice], now: i64) -> String {
    let mut content = String::new();
    if kiosks.is_empty() {
        content.push_str(
            "<p class=\"empty\">No kiosks yet. Pair a device with a kiosk profile: it appears \
             here after its first sync.</p>",
        );
    } else {
        content.push_str(
            "<table class=\"kiosk-devices\"><thead><tr><th>Kiosk</th><th>Status</th>\
             <th>Last contact</th><th>Visits today</th><th>Checked in</th><th>Badges</th>\
             <th>Queue tickets</th><th>Kiosk outbox</th><th>Profile</th></tr></thead><tbody>",
        );
        for k in kiosks {
            let (class, label) = if k.revoked {
                ("status-revoked", "revoked")
            } else if k.last_seen_at.is_some_and(|t| now - t <= OFFLINE_AFTER_MS) {
                ("status-online", "online")
            } else {
                ("status-offline", "offline")
            };
            let _ = write!(
                content,
                "<tr class=\"{class}\" data-kiosk=\"{id}\"><td>{name}</td><td class=\"status\">{label}</td>\
                 <td>{seen}</td><td>{sessions}</td><td>{checked}</td><td>{badges}</td>\
                 <td>{tickets}</td><td>{outbox}</td><td>{profile}</td></tr>",
                id = k.id,
                name = esc(&k.name),
                seen = ago(k.last_seen_at, now),
                sessions = k.sessions,
                checked = k.checked_in,
                badges = k.badges,
                tickets = k.tickets,
                outbox = k
                    .kiosk_outbox_depth
                    .map(|o| o.to_string())
                    .unwrap_or_else(|| "–".into()),
                profile = dash(k.profile.as_deref()),
            );
        }
        content.push_str("</tbody></table>");
    }
    content
}

/// Each desk's waiting tickets; `csrf` (the form field) when the user may mark them.
fn queues_html(waiting: &[TicketView], csrf: Option<&str>) -> String {
    let mut content = String::new();
    if waiting.is_empty() {
        content.push_str("<p class=\"empty\">Nobody is waiting at any desk.</p>");
    }
    let mut desks: Vec<&str> = waiting.iter().map(|t| t.desk.as_str()).collect();
    desks.dedup();
    for desk in desks {
        let at_desk: Vec<&TicketView> = waiting.iter().filter(|t| t.desk == desk).collect();
        let held_twice = |label: &str| at_desk.iter().filter(|t| t.label == label).count() > 1;
        let _ = write!(
            content,
            "<div class=\"queue card\" data-desk=\"{d}\"><h3>{d} <span class=\"muted\">({n} waiting)</span></h3>",
            d = esc(desk),
            n = at_desk.len(),
        );
        if at_desk.iter().any(|t| held_twice(&t.label)) {
            content.push_str(
                "<p class=\"alert duplicate-labels\" role=\"alert\">Several kiosks hand out the same numbers \
                 here: call the ticket with its kiosk, and give each kiosk serving this desk a \
                 <code>queue_series</code> of its own in its profile.</p>",
            );
        }
        content.push_str("<ol>");
        for t in at_desk.iter().copied() {
            let actions = if let Some(csrf) = csrf {
                format!(
                    "<form method=\"post\" action=\"/dashboard/queue-tickets/{id}/served\" class=\"inline\">{csrf}\
                     <button type=\"submit\">Mark served</button></form>\
                     <form method=\"post\" action=\"/dashboard/queue-tickets/{id}/cancel\" class=\"inline\" \
                     data-confirm=\"Cancel ticket {label}?\">{csrf}\
                     <button type=\"submit\" class=\"danger\">Cancel</button></form>",
                    id = esc(&t.id),
                    label = esc(&t.label),
                )
            } else {
                String::new()
            };
            let _ = write!(
                content,
                "<li data-ticket=\"{id}\"{twice}><strong class=\"ticket-label\">{label}</strong> \
                 <span class=\"muted\">taken {issued} UTC at {kiosk}</span> {actions}</li>",
                twice = if held_twice(&t.label) {
                    " class=\"label-held-twice\""
                } else {
                    ""
                },
                id = esc(&t.id),
                label = esc(&t.label),
                issued = utc(t.issued_at),
                kiosk = dash(t.device_name.as_deref()),
            );
        }
        content.push_str("</ol></div>");
    }
    content
}

fn sessions_html(sessions: &[SessionView]) -> String {
    let mut content = String::new();
    if sessions.is_empty() {
        content.push_str("<p class=\"empty\">No visits yet.</p>");
    } else {
        content.push_str(
            "<table class=\"sessions\"><thead><tr><th>Started (UTC)</th><th>Ended</th><th>Kiosk</th>\
             <th>Attendee</th><th>Identified by</th><th>Language</th><th>Outcome</th>\
             <th>Verdict</th><th>Badge</th><th>Queue ticket</th></tr></thead><tbody>",
        );
        for s in sessions {
            let ticket = match (&s.queue_ticket, &s.queue_desk) {
                (Some(label), Some(desk)) => format!("{} ({})", esc(label), esc(desk)),
                _ => "–".into(),
            };
            let _ = write!(
                content,
                "<tr data-session=\"{id}\" class=\"outcome-{outcome_class}\"><td>{started}</td><td>{ended}</td>\
                 <td>{kiosk}</td><td>{who}</td><td>{by}</td><td>{lang}</td><td>{outcome}</td>\
                 <td>{verdict}</td><td>{badge}</td><td>{ticket}</td></tr>",
                id = esc(&s.id),
                outcome_class = esc(&s.outcome),
                started = utc(s.started_at),
                ended = s
                    .ended_at
                    .map(utc)
                    .unwrap_or_else(|| "still at the kiosk".into()),
                kiosk = dash(s.device_name.as_deref()),
                who = dash(s.participant_name.as_deref()),
                by = dash(s.identified_by.as_deref()),
                lang = dash(s.language.as_deref()),
                outcome = esc(&s.outcome.replace('_', " ")),
                verdict = dash(s.verdict.as_deref()),
                badge = dash(s.badge.as_deref()),
            );
        }
        content.push_str("</tbody></table>");
    }
    content
}

pub async fn mark_served(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(user, Empty {}): CsrfForm<Empty>,
) -> PageResult<Response> {
    set_status(&state, &user, &id, TicketStatus::Served).await
}

pub async fn cancel(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(user, Empty {}): CsrfForm<Empty>,
) -> PageResult<Response> {
    set_status(&state, &user, &id, TicketStatus::Cancelled).await
}

async fn set_status(
    state: &AppState,
    user: &DashboardUser,
    id: &str,
    status: TicketStatus,
) -> PageResult<Response> {
    user.require(Permission::KioskManage, "change queue tickets")?;
    require_kiosk_mode(state, user).await?;
    let not_found = || PageError::not_found(&format!("Queue ticket {id:?}"));
    let ticket_id: QueueTicketId = id.parse().map_err(|_| not_found())?;
    kiosk::set_ticket_status(state.domain(), &user.caller.author(), ticket_id, status)
        .await
        .map_err(|e| match e.kind {
            ErrorKind::NotFound => not_found(),
            ErrorKind::Conflict => {
                PageError::new(StatusCode::CONFLICT, "Ticket already dealt with", e.message)
            }
            _ => e.into(),
        })?;
    Ok(Redirect::to("/dashboard/kiosks").into_response())
}
