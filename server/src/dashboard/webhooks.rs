//! The tenant's webhook subscriptions: list them (state, why the server disabled one, the open
//! circuit), subscribe (the `whsec_` secret is shown once), pause and resume, a test ping,
//! delete, and each one's delivery log with "send again". Everything goes through the webhooks
//! module's store and outbox, as the admin API does; every page and action needs
//! `webhooks:manage`.

use std::fmt::Write as _;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use uuid::Uuid;

use super::html::{csrf_field, esc, page, utc, Html, Nav, PageError, PageResult};
use super::session::{CsrfForm, DashboardUser};
use crate::db::{self, now_ms};
use crate::permissions::{FeatureFlag, Permission};
use crate::state::AppState;
use crate::webhooks::api::MAX_SUBSCRIPTIONS;
use crate::webhooks::store::{self, Changes, NewSubscription, Subscription};
use crate::webhooks::{events, outbox, signing, ssrf};

const MAX_URL_LEN: usize = 2_048;
/// Deliveries shown on a subscription's page.
const LOG_LEN: i64 = 100;

/// The permission check, then that the tenant has webhooks switched on.
async fn authorize(state: &AppState, user: &DashboardUser, action: &str) -> PageResult<()> {
    user.require(Permission::WebhooksManage, action)?;
    let features = db::tenants::features(state.db(), user.caller.tenant_id).await?;
    if !features.contains(&FeatureFlag::Webhooks) {
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
    store::find(state.db(), user.caller.tenant_id, sid)
        .await?
        .ok_or_else(not_found)
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
    let subs = store::list(state.db(), user.caller.tenant_id).await?;
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
    if subs.is_empty() {
        content
            .push_str("<p class=\"empty\">No webhook subscriptions yet: add the first above.</p>");
    } else {
        content.push_str(
            "<table class=\"webhooks\"><thead><tr><th>URL</th><th>Event types</th><th>State</th>\
             <th>Circuit open until</th><th></th></tr></thead><tbody>",
        );
        for s in &subs {
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
    let tenant = user.caller.tenant_id;
    let url = form.url.trim();
    if url.len() > MAX_URL_LEN {
        return Err(PageError::bad_input(format!(
            "The URL may be at most {MAX_URL_LEN} characters."
        )));
    }
    let url = ssrf::check_url(url, state.config().webhooks_allow_private)
        .await
        .map_err(|r| {
            PageError::bad_input(format!(
                "This URL was refused: {}. Webhooks only go to public addresses.",
                r.message
            ))
        })?
        .to_string();
    let mut types: Vec<String> = Vec::new();
    for t in form
        .event_types
        .split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        events::validate_filter(t).map_err(PageError::bad_input)?;
        if !types.iter().any(|x| x == t) {
            types.push(t.to_string());
        }
    }
    if types.is_empty() || types.len() > events::MAX_FILTERS {
        return Err(PageError::bad_input(format!(
            "Name 1 to {} event types (comma-separated), or * for all.",
            events::MAX_FILTERS
        )));
    }
    if store::list(state.db(), tenant).await?.len() >= MAX_SUBSCRIPTIONS {
        return Err(PageError::new(
            StatusCode::CONFLICT,
            "Too many subscriptions",
            format!("An organisation holds at most {MAX_SUBSCRIPTIONS} webhook subscriptions."),
        ));
    }
    let secret = signing::new_secret();
    let mut tx = state.db().begin().await?;
    store::insert(
        &mut tx,
        tenant,
        &NewSubscription {
            url: &url,
            description: "",
            event_types: &types,
            sealed_secret: &state.master().seal(secret.as_bytes()),
            enabled: true,
        },
        now_ms(),
    )
    .await?;
    tx.commit().await?;
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
    let enabled = form.enabled == "1";
    let mut tx = state.db().begin().await?;
    store::update(
        &mut tx,
        user.caller.tenant_id,
        sub.id,
        &Changes {
            enabled: Some(enabled),
            ..Changes::default()
        },
        now_ms(),
    )
    .await?;
    tx.commit().await?;
    if enabled {
        state.wake_webhooks();
    }
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
    let mut tx = state.db().begin().await?;
    outbox::enqueue_to(
        &mut tx,
        user.caller.tenant_id,
        sub.id,
        &events::test_ping(&sub.id.to_string()),
        now_ms(),
    )
    .await?;
    tx.commit().await?;
    state.wake_webhooks();
    Ok(Redirect::to(&format!("/dashboard/webhooks/{}", sub.id)).into_response())
}

pub async fn delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(user, _): CsrfForm<Empty>,
) -> PageResult<Response> {
    authorize(&state, &user, "manage webhooks").await?;
    let sub = subscription_of(&state, &user, &id).await?;
    let mut tx = state.db().begin().await?;
    store::delete(&mut tx, user.caller.tenant_id, sub.id).await?;
    tx.commit().await?;
    Ok(back())
}

pub async fn show(
    State(state): State<AppState>,
    user: DashboardUser,
    Path(id): Path<String>,
) -> PageResult<Html> {
    authorize(&state, &user, "manage webhooks").await?;
    let sub = subscription_of(&state, &user, &id).await?;
    let rows = store::deliveries(
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
    let tenant = user.caller.tenant_id;
    let not_found = || PageError::not_found(&format!("Delivery {delivery_id:?}"));
    let did: Uuid = delivery_id.parse().map_err(|_| not_found())?;
    let delivery = store::find_delivery(state.db(), tenant, sub.id, did)
        .await?
        .ok_or_else(not_found)?;
    if !sub.enabled {
        return Err(PageError::new(
            StatusCode::CONFLICT,
            "The subscription is disabled",
            "Resume it before sending a delivery again.",
        ));
    }
    let mut tx = state.db().begin().await?;
    outbox::requeue(&mut tx, tenant, sub.id, &delivery.message_id, now_ms()).await?;
    tx.commit().await?;
    state.wake_webhooks();
    Ok(Redirect::to(&format!("/dashboard/webhooks/{}", sub.id)).into_response())
}
