//! The tenant's webhook subscriptions: list them (state, why the server disabled one, the open
//! circuit), subscribe (the `whsec_` secret is shown once), pause and resume, a test ping,
//! delete, and each one's delivery log with "send again". Every change goes through the domain's
//! subscriptions service, as the REST and admin APIs do; every page and action needs
//! `webhooks:manage`.

use std::fmt::Write as _;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use uuid::Uuid;

use gatehouse_domain::webhooks::subscriptions::{
    self as subs, Change, Subscribe, Subscription, MAX_SUBSCRIPTIONS, MAX_URL_LEN,
};
use gatehouse_domain::Permission;

use super::html::{csrf_field, esc, page, utc, Html, Nav, PageError, PageResult};
use super::session::{CsrfForm, DashboardUser};
use crate::state::AppState;

/// Deliveries shown on a subscription's page.
const LOG_LEN: i64 = 100;

/// The permission check, then that the tenant has webhooks switched on.
async fn authorize(state: &AppState, user: &DashboardUser, action: &str) -> PageResult<()> {
    user.require(Permission::WebhooksManage, action)?;
    if subs::require_feature(state.domain(), user.caller.tenant_id)
        .await
        .is_err()
    {
        return Err(PageError::new(
            StatusCode::FORBIDDEN,
            "Webhooks are off",
            "Webhooks are not switched on for this organisation (feature WEBHOOKS).",
        ));
    }
    Ok(())
}

async fn subscription_of(
    state: &AppState,
    user: &DashboardUser,
    id: &str,
) -> PageResult<Subscription> {
    let not_found = || PageError::not_found(&format!("Webhook subscription {id:?}"));
    let sid: Uuid = id.parse().map_err(|_| not_found())?;
    subs::find(state.domain(), user.caller.tenant_id, sid)
        .await
        .map_err(|_| not_found())
}

fn state_of(s: &Subscription) -> String {
    if s.enabled {
        "enabled".into()
    } else {
        match &s.disabled_reason {
            Some(reason) => format!("disabled: {}", esc(reason)),
            None => "paused".into(),
        }
    }
}

fn back() -> Response {
    Redirect::to("/dashboard/webhooks").into_response()
}

pub async fn list(State(state): State<AppState>, user: DashboardUser) -> PageResult<Html> {
    authorize(&state, &user, "manage webhooks").await?;
    let list = subs::list(state.db(), user.caller.tenant_id).await?;
    let csrf = csrf_field(&user.csrf);
    let mut content = String::new();
    let _ = write!(
        content,
        "<form method=\"post\" action=\"/dashboard/webhooks\" class=\"inline card\">{csrf}\
         <label>Endpoint URL <input name=\"url\" type=\"url\" required maxlength=\"{MAX_URL_LEN}\" \
         placeholder=\"https://example.org/hooks/gatehouse\"></label>\
         <label>Event types <input name=\"event_types\" value=\"*\" required \
         title=\"Comma-separated, e.g. checkin.* or * for all\"></label>\
         <button type=\"submit\">Subscribe</button></form>"
    );
    if list.is_empty() {
        content
            .push_str("<p class=\"empty\">No webhook subscriptions yet: add the first above.</p>");
    } else {
        content.push_str(
            "<table class=\"webhooks\"><thead><tr><th>URL</th><th>Event types</th><th>State</th>\
             <th>Circuit open until</th><th></th></tr></thead><tbody>",
        );
        for s in &list {
            let id = s.id;
            let toggle = format!(
                "<form method=\"post\" action=\"/dashboard/webhooks/{id}/enabled\" class=\"inline\">{csrf}\
                 <input type=\"hidden\" name=\"enabled\" value=\"{to}\"><button type=\"submit\">{label}</button></form>",
                to = if s.enabled { "0" } else { "1" },
                label = if s.enabled { "Pause" } else { "Resume" },
            );
            let _ = write!(
                content,
                "<tr data-webhook=\"{id}\" class=\"{class}\"><td><a href=\"/dashboard/webhooks/{id}\">{url}</a></td>\
                 <td>{types}</td><td>{st}</td><td>{circuit}</td><td>{toggle}\
                 <form method=\"post\" action=\"/dashboard/webhooks/{id}/test\" class=\"inline\">{csrf}\
                 <button type=\"submit\">Send test ping</button></form>\
                 <form method=\"post\" action=\"/dashboard/webhooks/{id}/delete\" class=\"inline\" \
                 data-confirm=\"Delete the subscription to {url}? Its delivery log goes with it.\">{csrf}\
                 <button type=\"submit\" class=\"danger\">Delete</button></form></td></tr>",
                class = if s.enabled { "" } else { "disabled" },
                url = esc(&s.url),
                types = esc(&s.event_types.join(", ")),
                st = state_of(s),
                circuit = s.circuit_open_until.map(utc).unwrap_or_default(),
            );
        }
        content.push_str("</tbody></table>");
    }
    Ok(Html::ok(page(
        &user.frame("Webhooks", None, Nav::Webhooks),
        &content,
    )))
}

#[derive(Deserialize)]
pub struct NewWebhook {
    url: String,
    event_types: String,
}

pub async fn create(
    State(state): State<AppState>,
    CsrfForm(user, form): CsrfForm<NewWebhook>,
) -> PageResult<Html> {
    authorize(&state, &user, "manage webhooks").await?;
    let url = form.url.trim();
    if url.len() > MAX_URL_LEN {
        return Err(PageError::bad_input(format!(
            "The URL may be at most {MAX_URL_LEN} characters."
        )));
    }
    let types: Vec<String> = form
        .event_types
        .split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect();
    if types.is_empty() {
        return Err(PageError::bad_input(format!(
            "Name 1 to {} event types (comma-separated), or * for all.",
            gatehouse_domain::webhooks::events::MAX_FILTERS
        )));
    }
    let (sub, secret) = subs::subscribe(
        state.domain(),
        &user.caller.author(),
        &Subscribe {
            url: url.to_owned(),
            event_types: types,
            description: String::new(),
            enabled: true,
        },
    )
    .await
    .map_err(|e| match e.code {
        "invalid_url" | "private_url" => PageError::bad_input(format!(
            "This URL was refused: {}. Webhooks only go to public addresses.",
            e.message
        )),
        "too_many_subscriptions" => PageError::new(
            StatusCode::CONFLICT,
            "Too many subscriptions",
            format!("An organisation holds at most {MAX_SUBSCRIPTIONS} webhook subscriptions."),
        ),
        _ => e.into(),
    })?;
    let url = sub.url;
    let content = format!(
        "<div class=\"card\"><p>Subscribed <strong>{}</strong>.</p>\
         <p>Its signing secret, shown this once: keep it with the receiving service.</p>\
         <p><code class=\"secret\">{}</code></p>\
         <p><a href=\"/dashboard/webhooks\">Back to the webhooks</a></p></div>",
        esc(&url),
        esc(&secret)
    );
    Ok(Html::ok(page(
        &user.frame("Webhook created", None, Nav::Webhooks),
        &content,
    )))
}

#[derive(Deserialize)]
pub struct Enabled {
    enabled: String,
}

pub async fn set_enabled(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(user, form): CsrfForm<Enabled>,
) -> PageResult<Response> {
    authorize(&state, &user, "manage webhooks").await?;
    let sub = subscription_of(&state, &user, &id).await?;
    let change = Change {
        enabled: Some(form.enabled == "1"),
        ..Change::default()
    };
    subs::change(state.domain(), &user.caller.author(), sub.id, change).await?;
    Ok(back())
}

#[derive(Deserialize)]
pub struct Empty {}

pub async fn test(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(user, _): CsrfForm<Empty>,
) -> PageResult<Response> {
    authorize(&state, &user, "manage webhooks").await?;
    let sub = subscription_of(&state, &user, &id).await?;
    subs::test(state.domain(), &user.caller.author(), sub.id).await?;
    Ok(Redirect::to(&format!("/dashboard/webhooks/{}", sub.id)).into_response())
}

pub async fn delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(user, _): CsrfForm<Empty>,
) -> PageResult<Response> {
    authorize(&state, &user, "manage webhooks").await?;
    let sub = subscription_of(&state, &user, &id).await?;
    subs::delete(state.domain(), &user.caller.author(), sub.id).await?;
    Ok(back())
}

pub async fn show(
    State(state): State<AppState>,
    user: DashboardUser,
    Path(id): Path<String>,
) -> PageResult<Html> {
    authorize(&state, &user, "manage webhooks").await?;
    let sub = subscription_of(&state, &user, &id).await?;
    let rows = subs::deliveries(
        state.db(),
        user.caller.tenant_id,
        sub.id,
        None,
        None,
        LOG_LEN,
    )
    .await?;
    let csrf = csrf_field(&user.csrf);
    let mut content = format!(
        "<p><a href=\"/dashboard/webhooks\">All webhooks</a></p>\
         <p>{url} · {types} · {st}</p>",
        url = esc(&sub.url),
        types = esc(&sub.event_types.join(", ")),
        st = state_of(&sub),
    );
    if rows.is_empty() {
        content.push_str("<p class=\"empty\">Nothing delivered yet.</p>");
    } else {
        content.push_str(
            "<table class=\"deliveries\"><thead><tr><th>Created</th><th>Event</th><th>Status</th>\
             <th>Attempts</th><th>Last status code</th><th>Last error</th><th>Next retry</th><th></th>\
             </tr></thead><tbody>",
        );
        for d in &rows {
            let again = if sub.enabled {
                format!(
                    "<form method=\"post\" action=\"/dashboard/webhooks/{sid}/deliveries/{did}/redeliver\" \
                     class=\"inline\">{csrf}<button type=\"submit\">Send again</button></form>",
                    sid = sub.id,
                    did = d.id,
                )
            } else {
                String::new()
            };
            let _ = write!(
                content,
                "<tr data-delivery=\"{}\" class=\"status-{}\"><td>{}</td><td>{}</td><td>{}</td><td>{}</td>\
                 <td>{}</td><td>{}</td><td>{}</td><td>{again}</td></tr>",
                d.id,
                esc(&d.status),
                utc(d.created_at),
                esc(&d.event_type),
                esc(&d.status),
                d.attempts,
                d.last_status_code.map(|c| c.to_string()).unwrap_or_default(),
                esc(d.last_error.as_deref().unwrap_or("")),
                d.next_attempt_at.map(utc).unwrap_or_default(),
            );
        }
        content.push_str("</tbody></table>");
    }
    Ok(Html::ok(page(
        &user.frame("Webhook deliveries", None, Nav::Webhooks),
        &content,
    )))
}

pub async fn redeliver(
    State(state): State<AppState>,
    Path((id, delivery_id)): Path<(String, String)>,
    CsrfForm(user, _): CsrfForm<Empty>,
) -> PageResult<Response> {
    authorize(&state, &user, "manage webhooks").await?;
    let sub = subscription_of(&state, &user, &id).await?;
    let not_found = || PageError::not_found(&format!("Delivery {delivery_id:?}"));
    let did: Uuid = delivery_id.parse().map_err(|_| not_found())?;
    subs::redeliver(state.domain(), &user.caller.author(), sub.id, did)
        .await
        .map_err(|e| match e.code {
            "subscription_disabled" => PageError::new(
                StatusCode::CONFLICT,
                "The subscription is disabled",
                "Resume it before sending a delivery again.",
            ),
            "not_found" => not_found(),
            _ => e.into(),
        })?;
    Ok(Redirect::to(&format!("/dashboard/webhooks/{}", sub.id)).into_response())
}
