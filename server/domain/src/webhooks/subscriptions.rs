//! Webhook subscriptions and their delivery log: what integrators do with an API key, admins with
//! the admin API and the dashboard. Every change is audited and scoped to the tenant, which needs
//! the `WEBHOOKS` feature ([`require_feature`]).
//!
//! - **subscribe**: the URL must pass the SSRF check ([`super::ssrf`]), 1 to [`MAX_FILTERS`]
//!   event types (or `*`), at most [`MAX_SUBSCRIPTIONS`] per tenant; the signing secret is
//!   sealed at rest and shown once.
//! - **change** (URL, types, description, pause and resume), **delete**.
//! - **test** (a `webhook.test` ping whatever the filter), **redeliver** one delivery (same
//!   `webhook-id`; refused while the subscription is paused), **replay** a time range (at most
//!   [`MAX_REPLAY`] messages, in their original order).
//! - **rotate the secret**: the old one keeps signing for [`OLD_SECRET_OVERLAP_MS`].
//!
//! [`MAX_FILTERS`]: super::events::MAX_FILTERS

use gatehouse_core::TenantId;
use gatehouse_db::permissions::FeatureFlag;
use gatehouse_db::webhooks::{self as rows, Changes, NewSubscription};
use serde_json::json;
use uuid::Uuid;

use super::{events, outbox, signing, ssrf};
use crate::unit::UnitOfWork;
use crate::{now_ms, Author, Domain, DomainError, DomainResult};

pub use gatehouse_db::webhooks::{
    attempts, deliveries, find_delivery, list, Attempt, Delivery, Subscription,
};

/// Subscriptions one tenant may hold.
pub const MAX_SUBSCRIPTIONS: usize = 100;
/// How long a replaced secret keeps signing after a rotation.
pub const OLD_SECRET_OVERLAP_MS: i64 = 24 * 3_600 * 1_000;
/// Longest endpoint URL.
pub const MAX_URL_LEN: usize = 2_048;
/// Longest description.
pub const MAX_DESCRIPTION_LEN: usize = 500;
/// Messages one replay may queue again.
pub const MAX_REPLAY: i64 = 10_000;

/// Refuses unless the tenant has webhooks switched on.
pub async fn require_feature(domain: &Domain, tenant: TenantId) -> DomainResult<()> {
    let features = gatehouse_db::tenants::features(domain.db(), tenant).await?;
    if features.contains(&FeatureFlag::Webhooks) {
        Ok(())
    } else {
        Err(DomainError::forbidden(
            "feature_disabled",
            "webhooks are not switched on for this tenant (feature WEBHOOKS)",
        ))
    }
}

/// One of the tenant's subscriptions.
pub async fn find(domain: &Domain, tenant: TenantId, id: Uuid) -> DomainResult<Subscription> {
    rows::find(domain.db(), tenant, id)
        .await?
        .ok_or_else(|| DomainError::not_found(&format!("webhook subscription {id}")))
}

/// The event types a subscription names, checked and without repeats.
pub fn checked_event_types(types: &[String]) -> DomainResult<Vec<String>> {
    if types.is_empty() {
        return Err(DomainError::invalid(
            "invalid_event_types",
            "`event_types`: name at least one event type, or \"*\" for all",
        ));
    }
    if types.len() > events::MAX_FILTERS {
        return Err(DomainError::invalid(
            "invalid_event_types",
            format!("`event_types`: at most {} entries", events::MAX_FILTERS),
        ));
    }
    let mut out: Vec<String> = Vec::new();
    for t in types {
        events::validate_filter(t).map_err(|m| DomainError::invalid("invalid_event_types", m))?;
        if !out.contains(t) {
            out.push(t.clone());
        }
    }
    Ok(out)
}

fn check_description(text: &str) -> DomainResult<()> {
    if text.chars().count() > MAX_DESCRIPTION_LEN {
        return Err(DomainError::invalid(
            "invalid_description",
            format!("`description`: at most {MAX_DESCRIPTION_LEN} characters"),
        ));
    }
    Ok(())
}

/// The endpoint URL, if it may receive deliveries (length, scheme, and no private or loopback
/// address unless the server allows them).
pub async fn checked_url(domain: &Domain, url: &str) -> DomainResult<String> {
    if url.len() > MAX_URL_LEN {
        return Err(DomainError::invalid(
            "invalid_url",
            format!("`url`: at most {MAX_URL_LEN} characters"),
        ));
    }
    ssrf::check_url(url, domain.settings().webhooks.allow_private)
        .await
        .map(|u| u.to_string())
        .map_err(|r| DomainError::invalid(r.code, r.message))
}

/// A subscription to create.
#[derive(Debug, Clone)]
pub struct Subscribe {
    pub url: String,
    pub event_types: Vec<String>,
    pub description: String,
    pub enabled: bool,
}

/// Subscribes; answers the subscription and its signing secret (shown this once).
pub async fn subscribe(
    domain: &Domain,
    author: &Author,
    new: &Subscribe,
) -> DomainResult<(Subscription, String)> {
    let url = checked_url(domain, &new.url).await?;
    let types = checked_event_types(&new.event_types)?;
    check_description(&new.description)?;
    if rows::list(domain.db(), author.tenant).await?.len() >= MAX_SUBSCRIPTIONS {
        return Err(DomainError::conflict(
            "too_many_subscriptions",
            format!("a tenant holds at most {MAX_SUBSCRIPTIONS} webhook subscriptions"),
        ));
    }
    let secret = signing::new_secret();
    let mut unit = UnitOfWork::begin(domain, author.tenant).await?;
    let id = rows::insert(
        unit.tx(),
        author.tenant,
        &NewSubscription {
            url: &url,
            description: &new.description,
            event_types: &types,
            sealed_secret: &domain.master().seal(secret.as_bytes()),
            enabled: new.enabled,
        },
        now_ms(),
    )
    .await?;
    unit.audit(
        &author.actor,
        "webhook.subscribed",
        ("webhook_subscription", &id.to_string()),
        None::<&()>,
        Some(&json!({ "url": url, "event_types": types, "enabled": new.enabled })),
    )
    .await?;
    unit.commit().await?;
    Ok((find(domain, author.tenant, id).await?, secret))
}

/// What to change of a subscription; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct Change {
    pub url: Option<String>,
    pub event_types: Option<Vec<String>>,
    pub description: Option<String>,
    pub enabled: Option<bool>,
}

/// Changes a subscription (resuming one wakes the worker for what waited).
pub async fn change(
    domain: &Domain,
    author: &Author,
    id: Uuid,
    change: Change,
) -> DomainResult<Subscription> {
    let before = find(domain, author.tenant, id).await?;
    let url = match &change.url {
        Some(u) => Some(checked_url(domain, u).await?),
        None => None,
    };
    let event_types = change
        .event_types
        .as_deref()
        .map(checked_event_types)
        .transpose()?;
    if let Some(d) = &change.description {
        check_description(d)?;
    }
    let mut unit = UnitOfWork::begin(domain, author.tenant).await?;
    rows::update(
        unit.tx(),
        author.tenant,
        id,
        &Changes {
            url,
            description: change.description,
            event_types,
            enabled: change.enabled,
        },
        now_ms(),
    )
    .await?;
    unit.audit(
        &author.actor,
        "webhook.updated",
        ("webhook_subscription", &id.to_string()),
        Some(&before),
        None::<&()>,
    )
    .await?;
    if change.enabled == Some(true) {
        unit.queued_deliveries(1);
    }
    unit.commit().await?;
    find(domain, author.tenant, id).await
}

/// Deletes a subscription and its delivery log.
pub async fn delete(domain: &Domain, author: &Author, id: Uuid) -> DomainResult<Subscription> {
    let before = find(domain, author.tenant, id).await?;
    let mut unit = UnitOfWork::begin(domain, author.tenant).await?;
    rows::delete(unit.tx(), author.tenant, id).await?;
    unit.audit(
        &author.actor,
        "webhook.deleted",
        ("webhook_subscription", &id.to_string()),
        Some(&before),
        None::<&()>,
    )
    .await?;
    unit.commit().await?;
    Ok(before)
}

/// Queues a `webhook.test` ping for the subscription whatever its filter. Answers (message id,
/// delivery id).
pub async fn test(domain: &Domain, author: &Author, id: Uuid) -> DomainResult<(String, Uuid)> {
    let sub = find(domain, author.tenant, id).await?;
    let mut unit = UnitOfWork::begin(domain, author.tenant).await?;
    let queued = outbox::enqueue_to(
        unit.tx(),
        author.tenant,
        sub.id,
        &events::test_ping(&sub.id.to_string()),
        now_ms(),
    )
    .await?;
    unit.queued_deliveries(1);
    unit.commit().await?;
    Ok(queued)
}

/// A new signing secret (shown this once); the old one keeps signing until the returned time.
pub async fn rotate_secret(
    domain: &Domain,
    author: &Author,
    id: Uuid,
) -> DomainResult<(String, i64)> {
    let sub = find(domain, author.tenant, id).await?;
    let secret = signing::new_secret();
    let now = now_ms();
    let until = now + OLD_SECRET_OVERLAP_MS;
    let mut unit = UnitOfWork::begin(domain, author.tenant).await?;
    rows::rotate_secret(
        unit.tx(),
        author.tenant,
        sub.id,
        &domain.master().seal(secret.as_bytes()),
        until,
        now,
    )
    .await?;
    unit.audit(
        &author.actor,
        "webhook.secret_rotated",
        ("webhook_subscription", &id.to_string()),
        None::<&()>,
        Some(&json!({ "previous_secret_expires_at": until })),
    )
    .await?;
    unit.commit().await?;
    Ok((secret, until))
}

/// Queues one delivery's message again for its subscription (same `webhook-id`). Answers the
/// new delivery and the message.
pub async fn redeliver(
    domain: &Domain,
    author: &Author,
    id: Uuid,
    delivery_id: Uuid,
) -> DomainResult<(Uuid, String)> {
    let sub = find(domain, author.tenant, id).await?;
    let delivery = rows::find_delivery(domain.db(), author.tenant, sub.id, delivery_id)
        .await?
        .ok_or_else(|| DomainError::not_found(&format!("delivery {delivery_id}")))?;
    if !sub.enabled {
        return Err(DomainError::conflict(
            "subscription_disabled",
            format!(
                "this subscription is disabled ({}); enable it with PATCH {{\"enabled\": true}} first",
                sub.disabled_reason.as_deref().unwrap_or("paused")
            ),
        ));
    }
    let mut unit = UnitOfWork::begin(domain, author.tenant).await?;
    let new_id = outbox::requeue(
        unit.tx(),
        author.tenant,
        sub.id,
        &delivery.message_id,
        now_ms(),
    )
    .await?;
    unit.queued_deliveries(1);
    unit.commit().await?;
    Ok((new_id, delivery.message_id))
}

/// Queues again the messages of `[since, until)` (by default only those that failed for good),
/// in their original order, each with its original `webhook-id`. Answers how many.
pub async fn replay(
    domain: &Domain,
    author: &Author,
    id: Uuid,
    since: i64,
    until: Option<i64>,
    only_failed: bool,
) -> DomainResult<usize> {
    let sub = find(domain, author.tenant, id).await?;
    let now = now_ms();
    let until = until.unwrap_or(now + 1);
    if since >= until {
        return Err(DomainError::invalid(
            "invalid_range",
            "`since` must be before `until` (Unix milliseconds)",
        ));
    }
    let messages = rows::messages_between(
        domain.db(),
        author.tenant,
        sub.id,
        since,
        until,
        only_failed,
        MAX_REPLAY,
    )
    .await?;
    let pairs: Vec<(String, String)> = messages
        .iter()
        .map(|m| (sub.id.to_string(), m.clone()))
        .collect();
    let mut unit = UnitOfWork::begin(domain, author.tenant).await?;
    rows::insert_deliveries(unit.tx(), author.tenant, &pairs, now).await?;
    unit.queued_deliveries(pairs.len());
    unit.commit().await?;
    Ok(pairs.len())
}
