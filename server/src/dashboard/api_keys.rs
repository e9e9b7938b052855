//! The organisation's API keys for integrators: each key's scopes, rate limit, where it may be
//! used from, expiry, state and use (count and last use); create one (the secret is shown on
//! that page only), rotate one with a grace period for the old secret, revoke one. Everything
//! goes through the domain's key functions, as the admin API does, so the checks, the audit log
//! and the answers are the same; every page and action needs `api-keys:manage`.

use std::fmt::Write as _;

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::html::{ago, csrf_field, esc, page, parse_utc, utc, Html, Nav, PageError, PageResult};
use super::session::{CsrfForm, DashboardUser};
use gatehouse_domain::api_keys::format::{ACTIONS, RESOURCES};
use gatehouse_domain::api_keys::{self as keys, ApiKey, NewKey};
use gatehouse_domain::{now_ms, tenants, DomainError, FeatureFlag, Permission};

use crate::state::AppState;

const ACTION: &str = "manage API keys";

/// Grace periods offered when rotating, (seconds, label).
const GRACES: &[(i64, &str)] = &[
    (0, "none: the old key stops now"),
    (3_600, "1 hour"),
    (86_400, "1 day"),
    (7 * 86_400, "7 days"),
    (30 * 86_400, "30 days"),
];

/// A refusal from the key functions as a page that says what to change.
fn refused(what: &str, e: DomainError) -> PageError {
    PageError::new(crate::error::status_of(e.kind), what, e.message)
}

/// Where a key stands, as a word for the table and a class for its row.
fn state_of(k: &ApiKey, now: i64) -> (String, &'static str) {
    if let Some(at) = k.revoked_at {
        return (format!("revoked {}", utc(at)), "revoked");
    }
    match k.expires_at {
        Some(at) if at <= now => (format!("expired {}", utc(at)), "expired"),
        Some(at) => (format!("active until {}", utc(at)), "active"),
        None => ("active".to_owned(), "active"),
    }
}

async fn rest_api_on(state: &AppState, user: &DashboardUser) -> PageResult<bool> {
    Ok(tenants::has(state.domain(), user.caller.tenant_id, FeatureFlag::RestApi).await?)
}

pub async fn list(State(state): State<AppState>, user: DashboardUser) -> PageResult<Html> {
    user.require(Permission::ApiKeysManage, ACTION)?;
    // Uses counted in memory first, so the table shows every request made until now.
    state.domain().flush_usage().await?;
    let list = keys::list(state.db(), user.caller.tenant_id).await?;
    let csrf = csrf_field(&user.csrf);
    let now = now_ms();
    let mut content = String::new();
    if !rest_api_on(&state, &user).await? {
        content.push_str(
            "<p class=\"form-error\" role=\"alert\">The REST API is switched off for this \
             organisation (feature REST_API): keys can be prepared here, but every request \
             with them is refused until it is switched on.</p>",
        );
    }
    content.push_str(&create_form(&csrf));
    if list.is_empty() {
        content.push_str("<p class=\"empty\">No API keys yet: create the first above.</p>");
    } else {
        content.push_str(
            "<table class=\"api-keys\"><thead><tr><th>Name</th><th>Key</th><th>Scopes</th>\
             <th>Rate limit</th><th>Allowed from</th><th>State</th><th>Last used</th><th>Uses</th>\
             <th></th></tr></thead><tbody>",
        );
        for k in &list {
            let (st, class) = state_of(k, now);
            let actions = if class == "active" {
                let graces: String = GRACES
                    .iter()
                    .map(|(s, label)| {
                        let selected = if *s == keys::DEFAULT_GRACE_SECONDS {
                            " selected"
                        } else {
                            ""
                        };
                        format!("<option value=\"{s}\"{selected}>{label}</option>")
                    })
                    .collect();
                format!(
                    "<form method=\"post\" action=\"/dashboard/api-keys/{id}/rotate\" class=\"inline\">{csrf}\
                     <label>Old key works for <select name=\"grace_seconds\">{graces}</select></label>\
                     <button type=\"submit\">Rotate</button></form>\
                     <form method=\"post\" action=\"/dashboard/api-keys/{id}/revoke\" class=\"inline\" \
                     data-confirm=\"Revoke the key {name}? Every request with it is refused from now on.\">{csrf}\
                     <button type=\"submit\" class=\"danger\">Revoke</button></form>",
                    id = k.id,
                    name = esc(&k.name),
                )
            } else {
                String::new()
            };
            let _ = write!(
                content,
                "<tr data-api-key=\"{id}\" class=\"{class}\"><td>{name}</td><td><code>{prefix}…</code></td>\
                 <td>{scopes}</td><td>{tier} · {limit}/min</td><td>{ips}</td><td class=\"state\">{st}</td>\
                 <td>{used}</td><td class=\"uses\">{uses}</td><td>{actions}</td></tr>",
                id = k.id,
                name = esc(&k.name),
                prefix = esc(&k.prefix),
                scopes = esc(&k.scopes.join(", ")),
                tier = esc(&k.tier),
                limit = k.rate_limit_per_minute,
                ips = if k.allowed_ips.is_empty() {
                    "anywhere".to_owned()
                } else {
                    esc(&k.allowed_ips.join(", "))
                },
                used = ago(k.last_used_at, now),
                uses = k.use_count,
            );
        }
        content.push_str("</tbody></table>");
    }
    content.push_str(
        "<p class=\"hint\">Integrators send a key as <code>Authorization: Bearer ghk_…</code> or \
         <code>X-API-Key: ghk_…</code>; the reference is at <a href=\"/api/v1/docs\">/api/v1/docs</a>.</p>",
    );
    Ok(Html::ok(page(
        &user.frame("API keys", None, Nav::ApiKeys),
        &content,
    )))
}

/// The form for a new key: name, scopes as a grid of resource × action (or everything),
/// rate-limit tier, expiry, allowed addresses.
fn create_form(csrf: &str) -> String {
    let mut grid = String::from(
        "<table class=\"scopes\"><thead><tr><th>Resource</th><th>read</th><th>write</th></tr></thead><tbody>",
    );
    for resource in RESOURCES {
        let _ = write!(grid, "<tr><td>{resource}</td>");
        for action in ACTIONS {
            let _ = write!(
                grid,
                "<td><input type=\"checkbox\" name=\"scope\" value=\"{resource}:{action}\" \
                 aria-label=\"{resource}:{action}\"></td>"
            );
        }
        grid.push_str("</tr>");
    }
    grid.push_str("</tbody></table>");
    format!(
        "<form method=\"post\" action=\"/dashboard/api-keys\" class=\"card api-key-form\">{csrf}\
         <h2>New API key</h2>\
         <label>Name <input name=\"name\" required maxlength=\"120\" placeholder=\"Registration portal\"></label>\
         <fieldset><legend>Scopes</legend>\
         <label class=\"check\"><input type=\"checkbox\" name=\"scope\" value=\"*\"> everything (<code>*</code>)</label>{grid}</fieldset>\
         <label>Rate limit <select name=\"tier\">\
         <option value=\"STANDARD\">STANDARD · 100/min</option>\
         <option value=\"ELEVATED\">ELEVATED · 500/min</option>\
         <option value=\"PREMIUM\">PREMIUM · 2,000/min</option>\
         <option value=\"CUSTOM\">CUSTOM</option></select></label>\
         <label>Custom requests per minute <input name=\"rate_limit_per_minute\" type=\"number\" min=\"1\" max=\"100000\"></label>\
         <label>Expires (UTC, optional) <input name=\"expires_at\" type=\"datetime-local\"></label>\
         <label>Allowed from (optional) <input name=\"allowed_ips\" \
         placeholder=\"203.0.113.0/24, 2001:db8::/32\" title=\"Addresses or CIDR blocks, comma-separated; empty: anywhere\"></label>\
         <button type=\"submit\">Create key</button></form>"
    )
}

/// Reads the new-key form (checkboxes repeat `scope`, so it comes as pairs).
fn new_key(form: &[(String, String)]) -> PageResult<NewKey> {
    let one = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
            .unwrap_or("")
    };
    let scopes: Vec<String> = form
        .iter()
        .filter(|(k, _)| k == "scope")
        .map(|(_, v)| v.trim().to_owned())
        .collect();
    let tier = match one("tier") {
        "" => "STANDARD".to_owned(),
        t => t.to_owned(),
    };
    let rate_limit_per_minute = match (tier.as_str(), one("rate_limit_per_minute")) {
        ("CUSTOM", text) => Some(text.parse::<u32>().map_err(|_| {
            PageError::bad_input(
                "Tier CUSTOM needs its requests per minute, a whole number from 1 to 100000.",
            )
        })?),
        _ => None,
    };
    let expires_at = match one("expires_at") {
        "" => None,
        text => Some(parse_utc(text).ok_or_else(|| {
            PageError::bad_input(format!(
                "The expiry {text:?} is not a date and time (YYYY-MM-DD HH:MM, UTC)."
            ))
        })?),
    };
    let allowed_ips = one("allowed_ips")
        .split([',', ' ', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    Ok(NewKey {
        name: one("name").to_owned(),
        scopes,
        tier,
        rate_limit_per_minute,
        expires_at,
        allowed_ips,
    })
}

/// The page that shows a secret, once.
fn secret_page(user: &DashboardUser, title: &str, k: &ApiKey, secret: &str, extra: &str) -> Html {
    let content = format!(
        "<div class=\"card\"><p>{title}: <strong>{name}</strong> ({scopes}).</p>\
         <p>The key, shown this once: give it to the integrator now; the server keeps only a \
         digest and cannot show it again.</p>\
         <p><code class=\"secret\" data-secret>{secret}</code></p>{extra}\
         <p><a href=\"/dashboard/api-keys\">Back to the API keys</a></p></div>",
        name = esc(&k.name),
        scopes = esc(&k.scopes.join(", ")),
        secret = esc(secret),
    );
    Html::ok(page(&user.frame(title, None, Nav::ApiKeys), &content))
}

pub async fn create(
    State(state): State<AppState>,
    CsrfForm(user, form): CsrfForm<Vec<(String, String)>>,
) -> PageResult<Html> {
    user.require(Permission::ApiKeysManage, ACTION)?;
    let new = new_key(&form)?;
    let (stored, secret) = keys::create(
        state.domain(),
        &user.caller.author(),
        &user.caller.email,
        &user.caller.permissions,
        &new,
    )
    .await
    .map_err(|e| refused("The key was not created", e))?;
    Ok(secret_page(&user, "API key created", &stored, &secret, ""))
}

fn key_id(id: &str) -> PageResult<uuid::Uuid> {
    id.parse()
        .map_err(|_| PageError::not_found(&format!("API key {id:?}")))
}

#[derive(Deserialize)]
pub struct Rotation {
    grace_seconds: i64,
}

pub async fn rotate(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(user, form): CsrfForm<Rotation>,
) -> PageResult<Html> {
    user.require(Permission::ApiKeysManage, ACTION)?;
    let id = key_id(&id)?;
    let (fresh, secret, previous) = keys::rotate(
        state.domain(),
        &user.caller.author(),
        &user.caller.email,
        &user.caller.permissions,
        id,
        form.grace_seconds,
    )
    .await
    .map_err(|e| refused("The key was not rotated", e))?;
    let until = previous
        .expires_at
        .map(utc)
        .unwrap_or_else(|| "now".to_owned());
    let extra = format!(
        "<p>The previous key <code>{}…</code> keeps working until {until}.</p>",
        esc(&previous.prefix)
    );
    Ok(secret_page(
        &user,
        "API key rotated",
        &fresh,
        &secret,
        &extra,
    ))
}

#[derive(Deserialize)]
pub struct Empty {}

pub async fn revoke(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(user, Empty {}): CsrfForm<Empty>,
) -> PageResult<Response> {
    user.require(Permission::ApiKeysManage, ACTION)?;
    let id = key_id(&id)?;
    keys::revoke(state.domain(), &user.caller.author(), id)
        .await
        .map_err(|e| refused("The key was not revoked", e))?;
    Ok(Redirect::to("/dashboard/api-keys").into_response())
}
