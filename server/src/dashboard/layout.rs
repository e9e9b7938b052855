//! Checkpoints and zones of an event: list them, create them, edit a zone's capacity, disable or
//! enable a checkpoint or a whole zone (all the checkpoints into it). Every change is the
//! domain's ([`gatehouse_domain::layout`]): it reaches the gates through the change feed and the
//! server's own check-ins through the layout cache. Seeing needs `participants:read`; changing
//! needs `events:manage`.

use std::fmt::Write as _;

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use gatehouse_core::{CheckpointId, Direction, Event, ZoneId};
use gatehouse_domain::layout::{self, MAX_CAPACITY, MAX_NAME_LEN};
use gatehouse_domain::Permission;
use serde::Deserialize;

use super::html::{csrf_field, esc, page, Html, Nav, PageError, PageResult};
use super::overview::event_of;
use super::session::{CsrfForm, DashboardUser};
use crate::state::AppState;

const DIRECTIONS: [Direction; 3] = [Direction::Entry, Direction::Exit, Direction::Both];

pub async fn show(
    State(state): State<AppState>,
    user: DashboardUser,
    Path(id): Path<String>,
) -> PageResult<Html> {
    user.require(Permission::ParticipantsRead, "see the event's layout")?;
    let event = event_of(&state, &user, &id).await?;
    let tenant = user.caller.tenant_id;
    let zones = layout::zones(state.db(), tenant, event.id).await?;
    let checkpoints = layout::checkpoints(state.db(), tenant, event.id).await?;
    let manage = user.can(Permission::EventsManage);
    let csrf = csrf_field(&user.csrf);
    let eid = event.id;
    let mut content = String::new();
    if !manage {
        content.push_str(
            "<p class=\"muted\">You can see the layout; changing it needs the permission \
             events:manage.</p>",
        );
    }
    content.push_str("<section><h2>Zones</h2>");
    if zones.is_empty() {
        content.push_str("<p class=\"empty\">No zones yet: create the first below.</p>");
    } else {
        content.push_str(
            "<table><thead><tr><th>Zone</th><th>Capacity</th><th>Re-entry without exit</th><th>State</th><th></th></tr></thead><tbody>",
        );
        for z in &zones {
            let cap = if manage {
                format!(
                    "<form method=\"post\" action=\"/dashboard/events/{eid}/zones/{zid}\" class=\"inline\">{csrf}\
                     <input type=\"number\" name=\"capacity\" min=\"0\" max=\"{MAX_CAPACITY}\" value=\"{cap}\" \
                     aria-label=\"Capacity of {name}\" placeholder=\"none\"><button type=\"submit\">Save</button></form>",
                    zid = z.id,
                    cap = z.capacity.map(|c| c.to_string()).unwrap_or_default(),
                    name = esc(&z.name),
                )
            } else {
                z.capacity
                    .map(|c| c.to_string())
                    .unwrap_or_else(|| "none".into())
            };
            // A zone is disabled when it has checkpoints and every one of them is off.
            let doors: Vec<_> = checkpoints.iter().filter(|c| c.zone_id == z.id).collect();
            let disabled = !doors.is_empty() && doors.iter().all(|c| !c.active);
            let state = if doors.is_empty() {
                "no checkpoints"
            } else if disabled {
                "disabled (all its checkpoints off)"
            } else {
                "active"
            };
            let toggle = if manage && !doors.is_empty() {
                format!(
                    "<form method=\"post\" action=\"/dashboard/events/{eid}/zones/{zid}/active\" class=\"inline{confirm}\"{ask}>{csrf}\
                     <input type=\"hidden\" name=\"active\" value=\"{to}\"><button type=\"submit\">{label}</button></form>",
                    zid = z.id,
                    confirm = if disabled { "" } else { " confirm" },
                    ask = if disabled {
                        String::new()
                    } else {
                        format!(
                            " data-confirm=\"Disable {}? Every checkpoint into it refuses scans.\"",
                            esc(&z.name)
                        )
                    },
                    to = if disabled { "1" } else { "0" },
                    label = if disabled { "Enable zone" } else { "Disable zone" },
                )
            } else {
                String::new()
            };
            let _ = write!(
                content,
                "<tr data-zone=\"{}\" class=\"{}\"><td>{}</td><td>{cap}</td><td>{}</td><td>{state}</td><td>{toggle}</td></tr>",
                z.id,
                if disabled { "disabled" } else { "" },
                esc(&z.name),
                if z.multiple_entry { "allowed" } else { "no" }
            );
        }
        content.push_str("</tbody></table>");
    }
    if manage {
        let _ = write!(
            content,
            "<form method=\"post\" action=\"/dashboard/events/{eid}/zones\" class=\"inline card\">{csrf}\
             <label>New zone <input name=\"name\" required maxlength=\"{MAX_NAME_LEN}\"></label>\
             <label>Capacity <input type=\"number\" name=\"capacity\" min=\"0\" max=\"{MAX_CAPACITY}\"></label>\
             <label class=\"check\"><input type=\"checkbox\" name=\"multiple_entry\" value=\"1\"> Re-entry without exit</label>\
             <button type=\"submit\">Create zone</button></form>"
        );
    }
    content.push_str("</section><section><h2>Checkpoints</h2>");
    if checkpoints.is_empty() {
        content.push_str(
            "<p class=\"empty\">No checkpoints yet. A gate scans at a checkpoint: create one for \
             each door below.</p>",
        );
    } else {
        content.push_str(
            "<table><thead><tr><th>Checkpoint</th><th>Zone</th><th>Direction</th><th>State</th><th></th></tr></thead><tbody>",
        );
        for c in &checkpoints {
            let zone = zones
                .iter()
                .find(|z| z.id == c.zone_id)
                .map(|z| esc(&z.name))
                .unwrap_or_default();
            let toggle = if manage {
                format!(
                    "<form method=\"post\" action=\"/dashboard/events/{eid}/checkpoints/{cid}/active\" class=\"inline\">{csrf}\
                     <input type=\"hidden\" name=\"active\" value=\"{to}\"><button type=\"submit\">{label}</button></form>",
                    cid = c.id,
                    to = if c.active { "0" } else { "1" },
                    label = if c.active { "Disable" } else { "Enable" },
                )
            } else {
                String::new()
            };
            let _ = write!(
                content,
                "<tr data-checkpoint=\"{}\" class=\"{}\"><td>{}</td><td>{zone}</td><td>{}</td><td>{}</td><td>{toggle}</td></tr>",
                c.id,
                if c.active { "" } else { "disabled" },
                esc(&c.name),
                c.direction.as_str(),
                if c.active { "active" } else { "disabled (refuses scans)" },
            );
        }
        content.push_str("</tbody></table>");
    }
    if manage && !zones.is_empty() {
        let mut zone_opts = String::new();
        for z in &zones {
            let _ = write!(
                zone_opts,
                "<option value=\"{}\">{}</option>",
                z.id,
                esc(&z.name)
            );
        }
        let mut dir_opts = String::new();
        for d in DIRECTIONS {
            let _ = write!(dir_opts, "<option value=\"{0}\">{0}</option>", d.as_str());
        }
        let _ = write!(
            content,
            "<form method=\"post\" action=\"/dashboard/events/{eid}/checkpoints\" class=\"inline card\">{csrf}\
             <label>New checkpoint <input name=\"name\" required maxlength=\"{MAX_NAME_LEN}\"></label>\
             <label>Zone <select name=\"zone\">{zone_opts}</select></label>\
             <label>Direction <select name=\"direction\">{dir_opts}</select></label>\
             <button type=\"submit\">Create checkpoint</button></form>"
        );
    }
    content.push_str("</section>");
    let eid = event.id.to_string();
    Ok(Html::ok(page(
        &user.frame(
            "Checkpoints & zones",
            Some((&eid, &event.name)),
            Nav::Layout,
        ),
        &content,
    )))
}

fn valid_capacity(text: &str) -> PageResult<Option<u32>> {
    match text.trim() {
        "" => Ok(None),
        t => t.parse::<u32>().ok().map(Some).ok_or_else(|| {
            PageError::bad_input(format!(
                "Capacity must be a whole number from 0 to {MAX_CAPACITY}, or empty for none."
            ))
        }),
    }
}

fn back(event: &Event) -> Response {
    Redirect::to(&format!("/dashboard/events/{}/layout", event.id)).into_response()
}

#[derive(Deserialize)]
pub struct NewZone {
    name: String,
    #[serde(default)]
    capacity: String,
    #[serde(default)]
    multiple_entry: String,
}

pub async fn create_zone(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(user, form): CsrfForm<NewZone>,
) -> PageResult<Response> {
    user.require(Permission::EventsManage, "change the event's layout")?;
    let event = event_of(&state, &user, &id).await?;
    let new = layout::NewZone {
        name: form.name,
        capacity: valid_capacity(&form.capacity)?,
        multiple_entry: form.multiple_entry == "1",
    };
    layout::create_zone(state.domain(), &user.caller.author(), event.id, new).await?;
    Ok(back(&event))
}

#[derive(Deserialize)]
pub struct ZoneCapacity {
    #[serde(default)]
    capacity: String,
}

pub async fn update_zone(
    State(state): State<AppState>,
    Path((id, zone_id)): Path<(String, String)>,
    CsrfForm(user, form): CsrfForm<ZoneCapacity>,
) -> PageResult<Response> {
    user.require(Permission::EventsManage, "change the event's layout")?;
    let event = event_of(&state, &user, &id).await?;
    let not_found = || PageError::not_found(&format!("Zone {zone_id:?}"));
    let zid: ZoneId = zone_id.parse().map_err(|_| not_found())?;
    let capacity = valid_capacity(&form.capacity)?;
    layout::set_zone_capacity(
        state.domain(),
        &user.caller.author(),
        event.id,
        zid,
        capacity,
    )
    .await?;
    Ok(back(&event))
}

#[derive(Deserialize)]
pub struct NewCheckpoint {
    name: String,
    zone: String,
    direction: String,
}

pub async fn create_checkpoint(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(user, form): CsrfForm<NewCheckpoint>,
) -> PageResult<Response> {
    user.require(Permission::EventsManage, "change the event's layout")?;
    let event = event_of(&state, &user, &id).await?;
    let zone: ZoneId = form
        .zone
        .parse()
        .map_err(|_| PageError::bad_input("Choose a zone of this event."))?;
    let direction = Direction::parse(&form.direction)
        .ok_or_else(|| PageError::bad_input("Choose entry, exit or both."))?;
    let new = layout::NewCheckpoint {
        name: form.name,
        zone,
        direction,
    };
    layout::create_checkpoint(state.domain(), &user.caller.author(), event.id, new).await?;
    Ok(back(&event))
}

#[derive(Deserialize)]
pub struct CheckpointActive {
    active: String,
}

pub async fn set_checkpoint_active(
    State(state): State<AppState>,
    Path((id, checkpoint_id)): Path<(String, String)>,
    CsrfForm(user, form): CsrfForm<CheckpointActive>,
) -> PageResult<Response> {
    user.require(Permission::EventsManage, "change the event's layout")?;
    let event = event_of(&state, &user, &id).await?;
    let not_found = || PageError::not_found(&format!("Checkpoint {checkpoint_id:?}"));
    let cid: CheckpointId = checkpoint_id.parse().map_err(|_| not_found())?;
    let active = form.active == "1";
    layout::set_checkpoint_active(state.domain(), &user.caller.author(), event.id, cid, active)
        .await?;
    Ok(back(&event))
}

#[derive(Deserialize)]
pub struct ZoneActive {
    active: String,
}

/// Disables (or enables) a zone: every checkpoint into it is turned off (or on) through the same
/// path as a single checkpoint, so the gates refuse scans at its doors.
pub async fn set_zone_active(
    State(state): State<AppState>,
    Path((id, zone_id)): Path<(String, String)>,
    CsrfForm(user, form): CsrfForm<ZoneActive>,
) -> PageResult<Response> {
    user.require(Permission::EventsManage, "change the event's layout")?;
    let event = event_of(&state, &user, &id).await?;
    let not_found = || PageError::not_found(&format!("Zone {zone_id:?}"));
    let zid: ZoneId = zone_id.parse().map_err(|_| not_found())?;
    let active = form.active == "1";
    layout::set_zone_active(state.domain(), &user.caller.author(), event.id, zid, active).await?;
    Ok(back(&event))
}
