//! The access log of an event: who was let in or turned away, where and why. Filters by
//! checkpoint, verdict, time range (UTC), participant (searched by name, email or registration
//! code) and offline duplicates to review; pages by keyset on (server time, id) so the
//! thousandth page costs what the first does; exports the filtered view as CSV through the admin
//! API's streamed export.

use std::collections::HashMap;
use std::fmt::Write as _;

use axum::extract::{Path, State};
use gatehouse_core::{CheckpointId, ParticipantId, Verdict};
use serde::Deserialize;

use super::html::{
    esc, page, parse_utc, url_enc, utc, utc_input, Html, Nav, PageError, PageResult,
};
use super::overview::event_of;
use super::session::DashboardUser;
use gatehouse_domain::access_log::{self, LogFilter, LogKey};
use gatehouse_domain::participants::{self, ListFilter};
use gatehouse_domain::{devices, layout, Permission};

use crate::extract::QueryParams;
use crate::state::AppState;

/// Rows per page.
pub const PAGE_SIZE: i64 = 50;
/// Participants listed when a search matches several.
const MAX_CHOICES: i64 = 20;

/// The page's query string; every field may be empty (a GET form sends them all).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct LogQuery {
    #[serde(default)]
    checkpoint: String,
    #[serde(default)]
    verdict: String,
    /// UTC, `YYYY-MM-DDTHH:MM`.
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    /// Name, email or registration code.
    #[serde(default)]
    q: String,
    /// A participant id (chosen from the search's matches).
    #[serde(default)]
    participant: String,
    #[serde(default)]
    dups: String,
    /// `<server_time>_<id>` of the last row of the previous page.
    #[serde(default)]
    after: String,
}

impl LogQuery {
    /// The query string of this view without the page position.
    fn filters(&self) -> String {
        [
            ("checkpoint", &self.checkpoint),
            ("verdict", &self.verdict),
            ("from", &self.from),
            ("to", &self.to),
            ("q", &self.q),
            ("participant", &self.participant),
            ("dups", &self.dups),
        ]
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", url_enc(v)))
        .collect::<Vec<_>>()
        .join("&")
    }
}

fn parse_key(text: &str) -> Option<LogKey> {
    let (t, id) = text.split_once('_')?;
    Some((t.parse().ok()?, id.to_string()))
}

/// What the search box resolved to.
enum Who {
    Anyone,
    One(ParticipantId, String),
    Several(Vec<(ParticipantId, String, String)>),
    Nobody,
}

pub async fn show(
    State(state): State<AppState>,
    user: DashboardUser,
    Path(id): Path<String>,
    QueryParams(q): QueryParams<LogQuery>,
) -> PageResult<Html> {
    user.require(Permission::AccessLogsRead, "read the access log")?;
    let event = event_of(&state, &user, &id).await?;
    let tenant = user.caller.tenant_id;
    let db = state.db();
    let checkpoints = layout::checkpoints(db, tenant, event.id).await?;
    let zones = layout::zones(db, tenant, event.id).await?;
    let devices = devices::list(db, tenant, event.id).await?;

    let bad = |what: &str| PageError::bad_input(format!("{what} Change the filter and try again."));
    let checkpoint: Option<CheckpointId> = match q.checkpoint.as_str() {
        "" => None,
        c => Some(
            c.parse()
                .map_err(|_| bad("That checkpoint does not exist."))?,
        ),
    };
    let verdict = match q.verdict.as_str() {
        "" => None,
        v => Some(Verdict::parse(v).ok_or_else(|| bad("That verdict does not exist."))?),
    };
    let from = match q.from.trim() {
        "" => None,
        t => Some(parse_utc(t).ok_or_else(|| bad("The start time is not a date and time."))?),
    };
    let to = match q.to.trim() {
        "" => None,
        t => Some(parse_utc(t).ok_or_else(|| bad("The end time is not a date and time."))?),
    };
    let after = match q.after.as_str() {
        "" => None,
        a => Some(parse_key(a).ok_or_else(|| bad("That page position is not valid."))?),
    };
    let who = if !q.participant.is_empty() {
        let pid: ParticipantId = q
            .participant
            .parse()
            .map_err(|_| bad("That participant does not exist."))?;
        let p = participants::find(db, tenant, event.id, pid)
            .await?
            .ok_or_else(|| bad("That participant does not exist."))?;
        Who::One(pid, p.gate.full_name)
    } else if let Some(p) = super::participants::by_code(db, tenant, event.id, &q.q).await? {
        Who::One(p.gate.id, p.gate.full_name)
    } else if !q.q.trim().is_empty() {
        let found = participants::list(
            db,
            tenant,
            event.id,
            &ListFilter {
                search: Some(q.q.trim().to_string()),
                limit: MAX_CHOICES + 1,
                ..ListFilter::default()
            },
        )
        .await?;
        match found.as_slice() {
            [] => Who::Nobody,
            [one] => Who::One(one.gate.id, one.gate.full_name.clone()),
            many => Who::Several(
                many.iter()
                    .map(|p| {
                        (
                            p.gate.id,
                            p.gate.full_name.clone(),
                            p.gate.registration_code.clone(),
                        )
                    })
                    .collect(),
            ),
        }
    } else {
        Who::Anyone
    };

    let mut content = filter_form(&event.id.to_string(), &q, &checkpoints);
    let filter = LogFilter {
        checkpoint,
        verdict,
        participant: match &who {
            Who::One(pid, _) => Some(*pid),
            _ => None,
        },
        from,
        to,
        offline_duplicates_only: q.dups == "1",
    };
    let filters = q.filters();
    match &who {
        Who::Nobody => {
            let _ = write!(
                content,
                "<p class=\"empty\">No participant matches “{}”. Search by part of the name or \
                 email, or the full registration code.</p>",
                esc(q.q.trim())
            );
        }
        Who::Several(list) => {
            let _ = write!(
                content,
                "<p>Several participants match “{}”; choose one:</p><ul class=\"choices\">",
                esc(q.q.trim())
            );
            let rest = LogQuery {
                q: String::new(),
                after: String::new(),
                ..q.clone()
            }
            .filters();
            for (pid, name, code) in list.iter().take(MAX_CHOICES as usize) {
                let _ = write!(
                    content,
                    "<li><a href=\"?{rest}{sep}participant={pid}\">{}</a> <code>{}</code></li>",
                    esc(name),
                    esc(code),
                    sep = if rest.is_empty() { "" } else { "&" },
                );
            }
            if list.len() > MAX_CHOICES as usize {
                content.push_str("<li class=\"muted\">… and more: type more of the name</li>");
            }
            content.push_str("</ul>");
        }
        Who::Anyone | Who::One(..) => {
            if let Who::One(_, name) = &who {
                let _ = write!(content, "<p>Scans of <strong>{}</strong>.</p>", esc(name));
            }
            let rows =
                access_log::page_before(db, tenant, event.id, &filter, after.as_ref(), PAGE_SIZE)
                    .await?;
            let ids: Vec<ParticipantId> =
                rows.iter().filter_map(|r| r.log.participant_id).collect();
            let names = participants::names(db, tenant, &ids).await?;
            let cp_names: HashMap<_, _> = checkpoints
                .iter()
                .map(|c| (c.id, c.name.as_str()))
                .collect();
            let zone_names: HashMap<_, _> = zones.iter().map(|z| (z.id, z.name.as_str())).collect();
            let dev_names: HashMap<_, _> =
                devices.iter().map(|d| (d.id, d.name.as_str())).collect();
            let mut csv = format!(
                "/admin/v1/events/{}/access-logs.csv?checkpoint={}&verdict={}",
                event.id,
                url_enc(&q.checkpoint),
                url_enc(&q.verdict),
            );
            if let Some(p) = filter.participant {
                let _ = write!(csv, "&participant={p}");
            }
            if let Some(f) = from {
                let _ = write!(csv, "&from={f}");
            }
            if let Some(t) = to {
                let _ = write!(csv, "&to={t}");
            }
            if filter.offline_duplicates_only {
                csv.push_str("&offline_duplicates=true");
            }
            let _ = write!(
                content,
                "<p class=\"actions\"><a class=\"button\" href=\"{}\" download>Export this view as CSV</a></p>",
                esc(&csv)
            );
            if rows.is_empty() {
                content.push_str(if after.is_some() {
                    "<p class=\"empty\">No more scans: this is the end of the log for these filters.</p>"
                } else if filters.is_empty() {
                    "<p class=\"empty\">No scans yet. They appear here as soon as a gate uploads or \
                     scans online.</p>"
                } else {
                    "<p class=\"empty\">No scans match these filters. Widen the time range or \
                     clear a filter.</p>"
                });
            } else {
                content.push_str(
                    "<table class=\"log\"><thead><tr><th>Time (UTC)</th><th>Checkpoint</th><th>Zone</th>\
                     <th>Move</th><th>Verdict</th><th>Reason</th><th>Participant</th><th>Device</th>\
                     <th>Source</th></tr></thead><tbody>",
                );
                for r in &rows {
                    let l = &r.log;
                    let person = match l.participant_id {
                        Some(pid) => format!(
                            "<a href=\"/dashboard/participants/{pid}\">{}</a>",
                            esc(names.get(&pid).map(String::as_str).unwrap_or("(removed)"))
                        ),
                        None => "<span class=\"muted\">unreadable</span>".into(),
                    };
                    let _ = write!(
                        content,
                        "<tr class=\"verdict-{vclass}{dup}\" data-scan=\"{id}\"><td>{time}</td><td>{cp}</td><td>{zone}</td>\
                         <td>{mv}</td><td class=\"verdict\">{verdict}</td><td>{reason}{dupnote}</td><td>{person}</td>\
                         <td>{dev}</td><td>{source}</td></tr>",
                        vclass = if l.verdict.admits() { "ok" } else { "refused" },
                        dup = if r.offline_duplicate { " offline-dup" } else { "" },
                        id = l.id,
                        time = utc(r.server_time),
                        cp = esc(cp_names.get(&l.checkpoint_id).copied().unwrap_or("?")),
                        zone = esc(zone_names.get(&l.zone_id).copied().unwrap_or("?")),
                        mv = l.movement.map(|m| m.as_str()).unwrap_or("–"),
                        verdict = l.verdict.as_str(),
                        reason = esc(l.reason.sentence()),
                        dupnote = if r.offline_duplicate {
                            " <strong>(offline duplicate: review)</strong>"
                        } else {
                            ""
                        },
                        dev = esc(l
                            .device_id
                            .and_then(|d| dev_names.get(&d).copied())
                            .unwrap_or("server")),
                        source = esc(&r.source),
                    );
                }
                content.push_str("</tbody></table><p class=\"pager\">");
                let sep = if filters.is_empty() { "" } else { "&" };
                if after.is_some() {
                    let _ = write!(content, "<a href=\"?{filters}\">First page</a> ");
                }
                if rows.len() as i64 == PAGE_SIZE {
                    if let Some(last) = rows.last() {
                        let _ = write!(
                            content,
                            "<a href=\"?{filters}{sep}after={}_{}\" rel=\"next\">Older scans →</a>",
                            last.server_time, last.log.id
                        );
                    }
                }
                content.push_str("</p>");
            }
        }
    }
    let eid = event.id.to_string();
    Ok(Html::ok(page(
        &user.frame("Access log", Some((&eid, &event.name)), Nav::AccessLog),
        &content,
    )))
}

fn filter_form(event: &str, q: &LogQuery, checkpoints: &[gatehouse_core::Checkpoint]) -> String {
    let mut cps = String::from("<option value=\"\">All checkpoints</option>");
    for c in checkpoints {
        let id = c.id.to_string();
        let _ = write!(
            cps,
            "<option value=\"{id}\"{}>{}</option>",
            if id == q.checkpoint { " selected" } else { "" },
            esc(&c.name)
        );
    }
    let mut verdicts = String::from("<option value=\"\">All verdicts</option>");
    for v in Verdict::ALL {
        let _ = write!(
            verdicts,
            "<option value=\"{v}\"{}>{v}</option>",
            if v.as_str() == q.verdict {
                " selected"
            } else {
                ""
            },
            v = v.as_str()
        );
    }
    let norm = |t: &str| parse_utc(t).map(utc_input).unwrap_or_default();
    format!(
        "<form method=\"get\" action=\"/dashboard/events/{event}/access-log\" class=\"filters card\">\
         <label>Checkpoint <select name=\"checkpoint\">{cps}</select></label>\
         <label>Verdict <select name=\"verdict\">{verdicts}</select></label>\
         <label>From (UTC) <input type=\"datetime-local\" name=\"from\" value=\"{from}\"></label>\
         <label>To (UTC) <input type=\"datetime-local\" name=\"to\" value=\"{to}\"></label>\
         <label>Participant <input type=\"search\" name=\"q\" value=\"{search}\" placeholder=\"name, email or code\"></label>\
         {participant}\
         <label class=\"check\"><input type=\"checkbox\" name=\"dups\" value=\"1\"{dups}> Offline duplicates to review</label>\
         <button type=\"submit\">Filter</button> <a href=\"/dashboard/events/{event}/access-log\">Clear</a></form>",
        from = norm(&q.from),
        to = norm(&q.to),
        search = esc(&q.q),
        participant = if q.participant.is_empty() {
            String::new()
        } else {
            format!(
                "<input type=\"hidden\" name=\"participant\" value=\"{}\">",
                esc(&q.participant)
            )
        },
        dups = if q.dups == "1" { " checked" } else { "" },
    )
}
