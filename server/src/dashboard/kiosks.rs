//! The tenant's self-service kiosks: each kiosk with its last contact and today's visits and
//! outcomes, the queue of every desk (waiting tickets in the order they were taken, with "mark
//! served" and "cancel"), and the latest visits. Anyone who may see occupancy sees the page;
//! changing a ticket needs `kiosk:manage`. The whole page needs the tenant's `KIOSK_MODE`.

use std::fmt::Write as _;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use gatehouse_core::QueueTicketId;

use super::html::{ago, csrf_field, esc, page, utc, Html, Nav, PageError, PageResult};
use super::overview::OFFLINE_AFTER_MS;
use super::session::{CsrfForm, DashboardUser, Empty};
use crate::db::kiosk::{TicketStatus, TicketView};
use crate::db::{self, audit, now_ms};
use crate::permissions::{FeatureFlag, Permission};
use crate::state::AppState;

/// Visits listed on the page.
const RECENT_SESSIONS: i64 = 50;
const DAY_MS: i64 = 86_400_000;

/// The tenant must have kiosk mode switched on.
async fn require_kiosk_mode(state: &AppState, user: &DashboardUser) -> PageResult<()> {
    let features = db::tenants::features(state.db(), user.caller.tenant_id).await?;
    if !features.contains(&FeatureFlag::KioskMode) {
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
    let tenant = user.caller.tenant_id;
    let now = now_ms();
    let today = now - now.rem_euclid(DAY_MS);
    let kiosks = db::kiosk::devices(state.db(), tenant, today).await?;
    let waiting = db::kiosk::waiting_tickets(state.db(), tenant).await?;
    let sessions = db::kiosk::recent_sessions(state.db(), tenant, RECENT_SESSIONS).await?;
    let manage = user.can(Permission::KioskManage);
    let csrf = csrf_field(&user.csrf);

    let mut content = String::new();
    if !manage {
        content.push_str(
            "<p class=\"muted\">You can see the kiosks and queues; marking tickets served or \
             cancelled needs the permission kiosk:manage.</p>",
        );
    }

    content.push_str("<section class=\"kiosks\"><h2>Kiosks</h2>");
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
        for k in &kiosks {
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
    content.push_str("</section>");

    content.push_str("<section class=\"queues\"><h2>Queues</h2>");
    if waiting.is_empty() {
        content.push_str("<p class=\"empty\">Nobody is waiting at any desk.</p>");
    }
    let mut desks: Vec<&str> = waiting.iter().map(|t| t.desk.as_str()).collect();
    desks.dedup();
    for desk in desks {
        let at_desk: Vec<&TicketView> = waiting.iter().filter(|t| t.desk == desk).collect();
        let _ = write!(
            content,
            "<div class=\"queue card\" data-desk=\"{d}\"><h3>{d} <span class=\"muted\">({n} waiting)</span></h3><ol>",
            d = esc(desk),
            n = at_desk.len(),
        );
        for t in at_desk {
            let actions = if manage {
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
                "<li data-ticket=\"{id}\"><strong class=\"ticket-label\">{label}</strong> \
                 <span class=\"muted\">taken {issued} UTC at {kiosk}</span> {actions}</li>",
                id = esc(&t.id),
                label = esc(&t.label),
                issued = utc(t.issued_at),
                kiosk = dash(t.device_name.as_deref()),
            );
        }
        content.push_str("</ol></div>");
    }
    content.push_str("</section>");

    content.push_str("<section class=\"kiosk-sessions\"><h2>Latest visits</h2>");
    if sessions.is_empty() {
        content.push_str("<p class=\"empty\">No visits yet.</p>");
    } else {
        content.push_str(
            "<table class=\"sessions\"><thead><tr><th>Started (UTC)</th><th>Ended</th><th>Kiosk</th>\
             <th>Attendee</th><th>Identified by</th><th>Language</th><th>Outcome</th>\
             <th>Verdict</th><th>Badge</th><th>Queue ticket</th></tr></thead><tbody>",
        );
        for s in &sessions {
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
    content.push_str("</section>");

    Ok(Html::ok(page(
        &user.frame("Kiosks", None, Nav::Kiosks),
        &content,
    )))
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
    let tenant = user.caller.tenant_id;
    let not_found = || PageError::not_found(&format!("Queue ticket {id:?}"));
    let ticket_id: QueueTicketId = id.parse().map_err(|_| not_found())?;
    let before = db::kiosk::find_ticket(state.db(), tenant, ticket_id)
        .await?
        .ok_or_else(not_found)?;
    let mut tx = state.db().begin().await?;
    if !db::kiosk::set_ticket_status(&mut tx, tenant, ticket_id, status, now_ms()).await? {
        return Err(PageError::new(
            StatusCode::CONFLICT,
            "Ticket already dealt with",
            format!(
                "Ticket {} is {} already: only a waiting ticket can be marked served or cancelled.",
                before.label, before.status
            ),
        ));
    }
    audit::record(
        &mut tx,
        tenant,
        &user.caller.actor(),
        &format!("queue_ticket.{}", status.as_str()),
        "queue_ticket",
        id,
        Some(&before),
        Some(&serde_json::json!({ "status": status.as_str() })),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to("/dashboard/kiosks").into_response())
}
