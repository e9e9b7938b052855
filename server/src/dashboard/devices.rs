//! Devices of an event: status (online/offline, last contact, sync lag, outbox depth, app version,
//! profile), pairing a new one (the one-time code as text and QR), revoking one. Anyone who may
//! see occupancy sees the list; creating and revoking need `devices:manage`.

use std::fmt::Write as _;

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use gatehouse_core::DeviceId;
use gatehouse_domain::devices::{self, MAX_NAME_LEN};
use gatehouse_domain::{now_ms, Permission};
use serde::Deserialize;

use super::html::{ago, csrf_field, esc, page, qr_svg, utc, Html, Nav, PageError, PageResult};
use super::overview::{event_of, DeviceStatus};
use super::session::{CsrfForm, DashboardUser};
use crate::state::AppState;

pub async fn list(
    State(state): State<AppState>,
    user: DashboardUser,
    Path(id): Path<String>,
) -> PageResult<Html> {
    user.require(Permission::OccupancyRead, "see the devices")?;
    let event = event_of(&state, &user, &id).await?;
    let devices = devices::list(state.db(), user.caller.tenant_id, event.id).await?;
    let now = now_ms();
    let manage = user.can(Permission::DevicesManage);
    let mut content = String::new();
    if manage {
        let _ = write!(
            content,
            "<form method=\"post\" action=\"/dashboard/events/{}/devices\" class=\"inline card\">{}\
             <label>New device name <input name=\"name\" required maxlength=\"{MAX_NAME_LEN}\" \
             placeholder=\"North gate laptop\"></label><button type=\"submit\">Create and show pairing code</button></form>",
            event.id,
            csrf_field(&user.csrf)
        );
    } else {
        content.push_str(
            "<p class=\"muted\">You can see the devices; pairing and revoking need the \
             permission devices:manage.</p>",
        );
    }
    if devices.is_empty() {
        content.push_str(
            "<p class=\"empty\">No devices yet. Create one above, then type its pairing code \
             (or scan its QR) on the gate laptop.</p>",
        );
    } else {
        content.push_str(
            "<table class=\"devices\"><thead><tr><th>Name</th><th>Status</th><th>Last contact</th>\
             <th>Sync lag</th><th>Outbox</th><th>App</th><th>Profile</th><th>Clock offset</th><th></th></tr></thead><tbody>",
        );
        for d in &devices {
            let status = DeviceStatus::of(d, now);
            let action = if d.state != "revoked" && manage {
                format!(
                    "<form method=\"post\" action=\"/dashboard/devices/{}/revoke\" class=\"confirm\" \
                     data-confirm=\"Revoke {}? It wipes its participant cache at its next contact.\">{}\
                     <button type=\"submit\" class=\"danger\">Revoke</button></form>",
                    d.id,
                    esc(&d.name),
                    csrf_field(&user.csrf)
                )
            } else if let Some(at) = d.revoked_at {
                format!("<span class=\"muted\">since {}</span>", utc(at))
            } else {
                String::new()
            };
            let _ = write!(
                content,
                "<tr class=\"{class}\" data-device=\"{id}\"><td>{name}</td><td class=\"status\">{label}</td>\
                 <td>{seen}</td><td>{lag}</td><td>{outbox}</td><td>{app}</td><td>{profile}</td>\
                 <td>{offset}</td><td>{action}</td></tr>",
                class = status.class(),
                id = d.id,
                name = esc(&d.name),
                label = status.label(),
                seen = ago(d.last_seen_at, now),
                lag = d.sync_lag.map(|l| l.to_string()).unwrap_or_else(|| "–".into()),
                outbox = d.outbox_depth.map(|o| o.to_string()).unwrap_or_else(|| "–".into()),
                app = esc(d.app_version.as_deref().unwrap_or("–")),
                profile = match &d.mode {
                    Some(mode) => format!(
                        "{} <span class=\"mode\">({})</span>",
                        esc(d.profile.as_deref().unwrap_or("–")),
                        esc(mode)
                    ),
                    None => esc(d.profile.as_deref().unwrap_or("–")),
                },
                offset = d
                    .clock_offset_ms
                    .map(|o| format!("{:+.1} s", o as f64 / 1000.0))
                    .unwrap_or_else(|| "–".into()),
            );
        }
        content.push_str("</tbody></table>");
    }
    let eid = event.id.to_string();
    Ok(Html::ok(page(
        &user.frame("Devices", Some((&eid, &event.name)), Nav::Devices),
        &content,
    )))
}

#[derive(Deserialize)]
pub struct NewDevice {
    name: String,
}

pub async fn create(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(user, form): CsrfForm<NewDevice>,
) -> PageResult<Html> {
    user.require(Permission::DevicesManage, "pair devices")?;
    let event = event_of(&state, &user, &id).await?;
    let (device, pairing) =
        devices::create(state.domain(), &user.caller.author(), event.id, &form.name)
            .await
            .map_err(|e| match e.code {
                "invalid_name" => PageError::bad_input(format!(
                    "Give the device a name of 1 to {MAX_NAME_LEN} characters."
                )),
                _ => e.into(),
            })?;
    let (name, code, expires_at) = (&device.name, &pairing.code, pairing.expires_at);
    let content = format!(
        "<section class=\"pairing card\"><p>Device <strong>{name}</strong> was created. On the gate, \
         choose <em>Pair</em> and type this code or scan the QR. The code works once and expires \
         {expires} UTC; it is not shown again.</p>\
         <p class=\"pairing-code\" data-pairing-code>{code}</p>{qr}\
         <p><a href=\"/dashboard/events/{eid}/devices\">Back to the devices</a></p></section>",
        name = esc(name),
        expires = utc(expires_at),
        code = esc(code),
        qr = qr_svg(code, "pairing code QR"),
        eid = event.id,
    );
    let eid = event.id.to_string();
    Ok(Html::ok(page(
        &user.frame("Pair a device", Some((&eid, &event.name)), Nav::Devices),
        &content,
    )))
}

pub async fn revoke(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(user, super::session::Empty {}): CsrfForm<super::session::Empty>,
) -> PageResult<Response> {
    user.require(Permission::DevicesManage, "revoke devices")?;
    let not_found = || PageError::not_found(&format!("Device {id:?}"));
    let device_id: DeviceId = id.parse().map_err(|_| not_found())?;
    let after = devices::revoke(state.domain(), &user.caller.author(), device_id)
        .await
        .map_err(|e| match e.kind {
            gatehouse_domain::ErrorKind::NotFound => not_found(),
            _ => e.into(),
        })?;
    Ok(Redirect::to(&format!("/dashboard/events/{}/devices", after.event_id)).into_response())
}
