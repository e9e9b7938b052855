//! Checkpoints and zones of an event: list them, create them, edit a zone's capacity, disable or
//! enable a checkpoint or a whole zone (all the checkpoints into it). Every change reaches the gates through the change feed (the `db` helpers
//! publish it) and the server's own scan path through the layout cache. Seeing needs
//! `participants:read`; changing needs `events:manage`.

use std::fmt::Write as _;

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use gatehouse_core::{Checkpoint, CheckpointId, Direction, Event, Zone, ZoneId};
use serde::Deserialize;
use serde_json::json;

use super::html::{csrf_field, esc, page, Html, Nav, PageError, PageResult};
use super::overview::event_of;
use super::session::{CsrfForm, DashboardUser};
use crate::db::{self, audit};
use crate::permissions::Permission;
use crate::state::AppState;

/// Longest zone or checkpoint name.
const MAX_NAME_LEN: usize = 120;
/// Largest capacity a zone may have.
const MAX_CAPACITY: u32 = 10_000_000;

const DIRECTIONS: [Direction; 3] = [Direction::Entry, Direction::Exit, Direction::Both];

pub async fn show(
    State(state): State<AppState>,
    user: DashboardUser,
    Path(id): Path<String>,
) -> PageResult<Html> {
    user.require(Permission::ParticipantsRead, "see the event's layout")?;
    let event = event_of(&state, &user, &id).await?;
    let tenant = user.caller.tenant_id;
    let zones = db::events::zones(state.db(), tenant, event.id).await?;
    let checkpoints = db::events::checkpoints(state.db(), tenant, event.id).await?;
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

fn valid_name(name: &str) -> PageResult<String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_LEN {
        return Err(PageError::bad_input(format!(
            "Give it a name of 1 to {MAX_NAME_LEN} characters."
        )));
    }
    Ok(name.to_string())
}

fn valid_capacity(text: &str) -> PageResult<Option<u32>> {
    match text.trim() {
        "" => Ok(None),
        t => t
            .parse::<u32>()
            .ok()
            .filter(|c| *c <= MAX_CAPACITY)
            .map(Some)
            .ok_or_else(|| {
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
    let zone = Zone {
        id: ZoneId(uuid::Uuid::now_v7()),
        event_id: event.id,
        name: valid_name(&form.name)?,
        capacity: valid_capacity(&form.capacity)?,
        multiple_entry: form.multiple_entry == "1",
    };
    let tenant = user.caller.tenant_id;
    let mut tx = state.db().begin().await?;
    db::events::create_zone(&mut tx, tenant, &zone).await?;
    audit::record(
        &mut tx,
        tenant,
        &user.caller.actor(),
        "zone.created",
        "zone",
        &zone.id.to_string(),
        None::<&()>,
        Some(&zone),
    )
    .await?;
    tx.commit().await?;
    state.layouts().invalidate(tenant, event.id);
    state.notify(event.id);
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
    let tenant = user.caller.tenant_id;
    let not_found = || PageError::not_found(&format!("Zone {zone_id:?}"));
    let zid: ZoneId = zone_id.parse().map_err(|_| not_found())?;
    let before = db::events::find_zone(state.db(), tenant, event.id, zid)
        .await?
        .ok_or_else(not_found)?;
    let after = Zone {
        capacity: valid_capacity(&form.capacity)?,
        ..before.clone()
    };
    let mut tx = state.db().begin().await?;
    db::events::update_zone(&mut tx, tenant, &after).await?;
    audit::record(
        &mut tx,
        tenant,
        &user.caller.actor(),
        "zone.updated",
        "zone",
        &zone_id,
        Some(&before),
        Some(&after),
    )
    .await?;
    tx.commit().await?;
    state.layouts().invalidate(tenant, event.id);
    state.notify(event.id);
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
    let tenant = user.caller.tenant_id;
    let zone_id: ZoneId = form
        .zone
        .parse()
        .map_err(|_| PageError::bad_input("Choose a zone of this event."))?;
    db::events::find_zone(state.db(), tenant, event.id, zone_id)
        .await?
        .ok_or_else(|| PageError::bad_input("Choose a zone of this event."))?;
    let direction = Direction::parse(&form.direction)
        .ok_or_else(|| PageError::bad_input("Choose entry, exit or both."))?;
    let cp = Checkpoint {
        id: CheckpointId(uuid::Uuid::now_v7()),
        event_id: event.id,
        zone_id,
        name: valid_name(&form.name)?,
        direction,
        active: true,
    };
    let mut tx = state.db().begin().await?;
    db::events::create_checkpoint(&mut tx, tenant, &cp).await?;
    audit::record(
        &mut tx,
        tenant,
        &user.caller.actor(),
        "checkpoint.created",
        "checkpoint",
        &cp.id.to_string(),
        None::<&()>,
        Some(&json!(cp)),
    )
    .await?;
    tx.commit().await?;
    state.layouts().invalidate(tenant, event.id);
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
    let tenant = user.caller.tenant_id;
    let not_found = || PageError::not_found(&format!("Checkpoint {checkpoint_id:?}"));
    let cid: CheckpointId = checkpoint_id.parse().map_err(|_| not_found())?;
    let before = db::events::find_checkpoint(state.db(), tenant, event.id, cid)
        .await?
        .ok_or_else(not_found)?;
    set_active(&state, &user, &event, before, form.active == "1").await?;
    Ok(back(&event))
}

/// Turns one checkpoint on or off (audited, published to the gates' feed by the `db` helper) and
/// drops the event's cached layout. Does nothing when it is already so.
async fn set_active(
    state: &AppState,
    user: &DashboardUser,
    event: &Event,
    before: Checkpoint,
    active: bool,
) -> PageResult<()> {
    if before.active == active {
        return Ok(());
    }
    let tenant = user.caller.tenant_id;
    let after = Checkpoint {
        active,
        ..before.clone()
    };
    let mut tx = state.db().begin().await?;
    db::events::update_checkpoint(&mut tx, tenant, &after).await?;
    audit::record(
        &mut tx,
        tenant,
        &user.caller.actor(),
        if after.active {
            "checkpoint.enabled"
        } else {
            "checkpoint.disabled"
        },
        "checkpoint",
        &after.id.to_string(),
        Some(&before),
        Some(&after),
    )
    .await?;
    tx.commit().await?;
    state.layouts().invalidate(tenant, event.id);
    Ok(())
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
    let tenant = user.caller.tenant_id;
    let not_found = || PageError::not_found(&format!("Zone {zone_id:?}"));
    let zid: ZoneId = zone_id.parse().map_err(|_| not_found())?;
    db::events::find_zone(state.db(), tenant, event.id, zid)
        .await?
        .ok_or_else(not_found)?;
    let active = form.active == "1";
    let checkpoints = db::events::checkpoints(state.db(), tenant, event.id).await?;
    for c in checkpoints.into_iter().filter(|c| c.zone_id == zid) {
        set_active(&state, &user, &event, c, active).await?;
    }
    Ok(back(&event))
}
