//! Participants: search by name, email or registration code; one person's status, zones and
//! latest scans; their ticket QR (to show or print); reissuing their badge (the credential
//! sequence goes up, so the old QR is `REVOKED` online at once and on devices after their next
//! sync). Seeing needs `participants:read`; the QR and reissuing need `participants:manage`.

use std::fmt::Write as _;

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use gatehouse_core::{ParticipantId, ParticipantStatus};
use serde::Deserialize;

use super::html::{csrf_field, esc, page, qr_svg, utc, Html, Nav, PageError, PageResult};
use super::overview::event_of;
use super::session::{CsrfForm, DashboardUser, Empty};
use gatehouse_domain::access_log::{self, LogFilter};
use gatehouse_domain::participants::{self, ListFilter, ParticipantRecord};
use gatehouse_domain::{layout, Db, Permission};

use crate::extract::QueryParams;
use crate::state::AppState;

/// Rows of a search.
const PAGE_SIZE: i64 = 50;

#[derive(Debug, Default, Deserialize)]
pub struct SearchQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    offset: i64,
}

pub async fn search(
    State(state): State<AppState>,
    user: DashboardUser,
    Path(id): Path<String>,
    QueryParams(q): QueryParams<SearchQuery>,
) -> PageResult<Html> {
    user.require(Permission::ParticipantsRead, "see participants")?;
    let event = event_of(&state, &user, &id).await?;
    let tenant = user.caller.tenant_id;
    let status = match q.status.as_str() {
        "" => None,
        s => Some(ParticipantStatus::parse(s).ok_or_else(|| {
            PageError::bad_input("That status does not exist. Choose one from the list.")
        })?),
    };
    let offset = q.offset.max(0);
    let found = match by_code(state.db(), tenant, event.id, &q.q).await? {
        Some(p) if status.is_none_or(|s| s == p.gate.status) => vec![p],
        _ => {
            participants::list(
                state.db(),
                tenant,
                event.id,
                &ListFilter {
                    status,
                    search: Some(q.q.trim().to_string()).filter(|s| !s.is_empty()),
                    limit: PAGE_SIZE + 1,
                    offset,
                },
            )
            .await?
        }
    };
    let mut statuses = String::from("<option value=\"\">Any status</option>");
    for s in ParticipantStatus::ALL {
        let _ = write!(
            statuses,
            "<option value=\"{v}\"{sel}>{v}</option>",
            v = s.as_str(),
            sel = if s.as_str() == q.status {
                " selected"
            } else {
                ""
            }
        );
    }
    let mut content = format!(
        "<form method=\"get\" class=\"filters card\"><label>Search <input type=\"search\" name=\"q\" \
         value=\"{}\" placeholder=\"name, email or registration code\" autofocus></label>\
         <label>Status <select name=\"status\">{statuses}</select></label>\
         <button type=\"submit\">Search</button></form>",
        esc(&q.q)
    );
    if found.is_empty() {
        content.push_str(if q.q.trim().is_empty() && status.is_none() {
            "<p class=\"empty\">This event has no participants yet. Import them through the REST \
             API or the admin API.</p>"
        } else {
            "<p class=\"empty\">Nobody matches. Search by part of the name or email, or the full \
             registration code (as printed under the QR).</p>"
        });
    } else {
        content.push_str(
            "<table class=\"people\"><thead><tr><th>Name</th><th>Organisation</th><th>Category</th>\
             <th>Status</th><th>Code</th></tr></thead><tbody>",
        );
        for p in found.iter().take(PAGE_SIZE as usize) {
            let g = &p.gate;
            let _ = write!(
                content,
                "<tr><td><a href=\"/dashboard/participants/{}\">{}</a></td><td>{}</td><td>{}</td>\
                 <td class=\"pstatus-{st}\">{st}{blocked}</td><td><code>{}</code></td></tr>",
                g.id,
                esc(&g.full_name),
                esc(g.organisation.as_deref().unwrap_or("")),
                esc(&g.category),
                esc(&g.registration_code),
                st = g.status.as_str(),
                blocked = if g.blocked { " · BLOCKED" } else { "" },
            );
        }
        content.push_str("</tbody></table><p class=\"pager\">");
        let base = format!("?q={}&status={}", super::html::url_enc(&q.q), q.status);
        if offset > 0 {
            let _ = write!(
                content,
                "<a href=\"{base}&offset={}\">← Previous</a> ",
                (offset - PAGE_SIZE).max(0)
            );
        }
        if found.len() as i64 > PAGE_SIZE {
            let _ = write!(
                content,
                "<a href=\"{base}&offset={}\" rel=\"next\">Next →</a>",
                offset + PAGE_SIZE
            );
        }
        content.push_str("</p>");
    }
    let eid = event.id.to_string();
    Ok(Html::ok(page(
        &user.frame("Participants", Some((&eid, &event.name)), Nav::Participants),
        &content,
    )))
}

/// A search that looks like a registration code is first tried as one: an indexed lookup, where
/// the name and email search reads every participant of the event.
pub async fn by_code(
    db: &Db,
    tenant: gatehouse_core::TenantId,
    event: gatehouse_core::EventId,
    search: &str,
) -> Result<Option<ParticipantRecord>, gatehouse_domain::DbError> {
    let code = search.trim().to_uppercase();
    if code.len() < 6 || !code.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Ok(None);
    }
    participants::find_by_registration_code(db, tenant, event, &code).await
}

async fn participant_of(
    state: &AppState,
    user: &DashboardUser,
    id: &str,
) -> PageResult<ParticipantRecord> {
    let not_found = || PageError::not_found(&format!("Participant {id:?}"));
    let pid: ParticipantId = id.parse().map_err(|_| not_found())?;
    participants::find_any_event(state.db(), user.caller.tenant_id, pid)
        .await?
        .ok_or_else(not_found)
}

pub async fn show(
    State(state): State<AppState>,
    user: DashboardUser,
    Path(id): Path<String>,
) -> PageResult<Html> {
    user.require(Permission::ParticipantsRead, "see participants")?;
    let p = participant_of(&state, &user, &id).await?;
    let g = &p.gate;
    let tenant = user.caller.tenant_id;
    let event = event_of(&state, &user, &g.event_id.to_string()).await?;
    let zones = layout::zones(state.db(), tenant, event.id).await?;
    let zone_names: Vec<String> = g
        .zones
        .iter()
        .filter_map(|z| zones.iter().find(|x| x.id == *z).map(|x| esc(&x.name)))
        .collect();
    let manage = user.can(Permission::ParticipantsManage);
    let mut content = format!(
        "<section class=\"card person\"><dl>\
         <dt>Status</dt><dd class=\"pstatus-{st}\">{st}{blocked}</dd>\
         <dt>Category</dt><dd>{cat}</dd><dt>Organisation</dt><dd>{org}</dd>\
         <dt>Email</dt><dd>{email}</dd><dt>Zones</dt><dd>{zones}</dd>\
         <dt>Registration code</dt><dd><code>{code}</code></dd>\
         <dt>Badge</dt><dd>credential {seq} (each reissue raises it; older badges are REVOKED)</dd>\
         <dt>Valid</dt><dd>{valid}</dd></dl></section>",
        st = g.status.as_str(),
        blocked = if g.blocked {
            " · BLOCKED (blacklist)"
        } else {
            ""
        },
        cat = esc(&g.category),
        org = esc(g.organisation.as_deref().unwrap_or("–")),
        email = esc(p.email.as_deref().unwrap_or("–")),
        zones = if zone_names.is_empty() {
            "none".into()
        } else {
            zone_names.join(", ")
        },
        code = esc(&g.registration_code),
        seq = g.credential_seq,
        valid = match (g.valid_from, g.valid_until) {
            (None, None) => "the whole event".to_string(),
            (f, u) => format!(
                "{} – {} UTC",
                f.map(utc).unwrap_or_else(|| "…".into()),
                u.map(utc).unwrap_or_else(|| "…".into())
            ),
        },
    );
    if manage {
        let payload = participants::ticket(state.domain(), tenant, g).await?;
        let _ = write!(
            content,
            "<section class=\"card ticket\"><h2>Ticket</h2>{qr}<p class=\"ticket-code\"><code>{code}</code></p>\
             <p class=\"muted\">Print this page for a replacement badge (the QR carries credential {seq}).</p>\
             <form method=\"post\" action=\"/dashboard/participants/{id}/reissue\" class=\"confirm\" \
             data-confirm=\"Reissue the badge of {name}? Their current QR stops working.\">{csrf}\
             <button type=\"submit\" class=\"danger\">Reissue badge</button></form></section>",
            qr = qr_svg(&payload, "ticket QR"),
            code = esc(&g.registration_code),
            seq = g.credential_seq,
            id = g.id,
            name = esc(&g.full_name),
            csrf = csrf_field(&user.csrf),
        );
    } else {
        content.push_str(
            "<p class=\"muted\">Showing the ticket QR and reissuing badges need the permission \
             participants:manage.</p>",
        );
    }
    if user.can(Permission::AccessLogsRead) {
        let scans = access_log::page_before(
            state.db(),
            tenant,
            event.id,
            &LogFilter {
                participant: Some(g.id),
                ..LogFilter::default()
            },
            None,
            10,
        )
        .await?;
        content.push_str("<section><h2>Latest scans</h2>");
        if scans.is_empty() {
            content.push_str("<p class=\"empty\">No scans yet.</p>");
        } else {
            content.push_str("<ul class=\"scans\">");
            for s in &scans {
                let _ = write!(
                    content,
                    "<li>{} UTC · {} · {}</li>",
                    utc(s.server_time),
                    s.log.verdict.as_str(),
                    esc(s.log.reason.sentence())
                );
            }
            let _ = write!(
                content,
                "</ul><p><a href=\"/dashboard/events/{}/access-log?participant={}\">All scans of this person</a></p>",
                event.id, g.id
            );
        }
        content.push_str("</section>");
    }
    let eid = event.id.to_string();
    Ok(Html::ok(page(
        &user.frame(&g.full_name, Some((&eid, &event.name)), Nav::Participants),
        &content,
    )))
}

pub async fn reissue(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(user, Empty {}): CsrfForm<Empty>,
) -> PageResult<Response> {
    user.require(Permission::ParticipantsManage, "reissue badges")?;
    let current = participant_of(&state, &user, &id).await?;
    let next = participants::reissue(state.domain(), &user.caller.author(), current.gate.id)
        .await
        .map_err(|e| match e.code {
            "reissue_limit" => PageError::bad_input(
                "This badge has been reissued as often as the ticket format allows.",
            ),
            _ => e.into(),
        })?
        .after
        .record;
    Ok(Redirect::to(&format!("/dashboard/participants/{}", next.gate.id)).into_response())
}
