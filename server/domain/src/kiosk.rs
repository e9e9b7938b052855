//! Kiosk records: the visits (one per attendee a kiosk identified) and queue tickets kiosks
//! upload, and what admins do with tickets.
//!
//! A kiosk's upload is upserted by the kiosk's own ids in one transaction (all or nothing); a
//! visit keeps the highest `revision` it was sent, a ticket is inserted once and starts
//! `waiting`. Ids are the tenant's own (another tenant's records never hide ours), and the
//! acknowledgement names only what the tenant now holds as this kiosk's. The tenant's `KIOSK_MODE` feature gates it: without it the upload is refused with
//! `feature_disabled` and the kiosk keeps its records. An admin marks a waiting ticket served or
//! cancelled, once.

use std::collections::HashSet;

use gatehouse_core::protocol::{KioskAck, KioskUpload};
use gatehouse_core::{EventId, QueueTicketId, TenantId};
use gatehouse_db::kiosk::Record;
use gatehouse_db::{self as db, permissions::FeatureFlag};

use crate::devices::Device;
use crate::unit::UnitOfWork;
use crate::{now_ms, Author, Domain, DomainError, DomainResult};

pub use gatehouse_db::kiosk::{
    devices, find_ticket, recent_sessions, waiting_tickets, KioskDevice, SessionView, TicketStatus,
    TicketView,
};

/// The most visits plus tickets one upload may carry (a kiosk sends its outbox in batches).
pub const MAX_KIOSK_RECORDS_PER_UPLOAD: usize = 5_000;
/// Longest desk name, ticket label and language tag accepted.
const MAX_DESK_LEN: usize = 120;
const MAX_LABEL_LEN: usize = 40;
const MAX_LANGUAGE_LEN: usize = 35;

/// Refuses unless the tenant has kiosk mode switched on.
pub async fn require_kiosk_mode(domain: &Domain, tenant: TenantId) -> DomainResult<()> {
    let features = db::tenants::features(domain.db(), tenant).await?;
    if features.contains(&FeatureFlag::KioskMode) {
        Ok(())
    } else {
        Err(DomainError::forbidden(
            "feature_disabled",
            format!(
                "kiosk mode is switched off for this tenant (feature flag {}); the kiosk keeps \
                 its visits and queue tickets until an administrator switches it on",
                FeatureFlag::KioskMode
            ),
        ))
    }
}

/// Marks a waiting queue ticket served or cancelled. A ticket already dealt with is a conflict.
pub async fn set_ticket_status(
    domain: &Domain,
    author: &Author,
    id: QueueTicketId,
    status: TicketStatus,
) -> DomainResult<TicketView> {
    let before = db::kiosk::find_ticket(domain.db(), author.tenant, id)
        .await?
        .ok_or_else(|| DomainError::not_found(&format!("Queue ticket {:?}", id.to_string())))?;
    let mut unit = UnitOfWork::begin(domain, author.tenant).await?;
    if !db::kiosk::set_ticket_status(unit.tx(), author.tenant, id, status, now_ms()).await? {
        return Err(DomainError::conflict(
            "ticket_settled",
            format!(
                "Ticket {} is {} already: only a waiting ticket can be marked served or cancelled.",
                before.label, before.status
            ),
        ));
    }
    unit.audit(
        &author.actor,
        &format!("queue_ticket.{}", status.as_str()),
        ("queue_ticket", &id.to_string()),
        Some(&before),
        Some(&serde_json::json!({ "status": status.as_str() })),
    )
    .await?;
    if let Ok(event) = before.event_id.parse::<EventId>() {
        unit.notify_live(event);
    }
    unit.commit().await?;
    Ok(before)
}

/// Stores a kiosk's upload of visits and queue tickets (see the module documentation).
pub async fn upload(
    domain: &Domain,
    device: &Device,
    upload: &KioskUpload,
) -> DomainResult<KioskAck> {
    let now = now_ms();
    let (tenant, event) = (device.tenant_id, device.event_id);
    require_kiosk_mode(domain, tenant).await?;
    check(upload, event, device.id)?;

    let mut seen = HashSet::new();
    let sessions: Vec<_> = upload
        .sessions
        .iter()
        .filter(|s| seen.insert(s.id.0))
        .cloned()
        .collect();
    let tickets: Vec<_> = upload
        .tickets
        .iter()
        .filter(|t| seen.insert(t.id.0))
        .cloned()
        .collect();
    let mut unit = UnitOfWork::begin(domain, tenant).await?;
    db::kiosk::upsert_sessions(unit.tx(), tenant, device.id, &sessions, now).await?;
    db::kiosk::insert_tickets(unit.tx(), tenant, device.id, &tickets, now).await?;
    db::kiosk::record_report(
        unit.tx(),
        tenant,
        device.id,
        &upload.report.mode,
        i64::try_from(upload.report.kiosk_outbox_depth).unwrap_or(i64::MAX),
        now,
    )
    .await?;
    // Only what the tenant now holds as this kiosk's is acknowledged: an id another kiosk of the
    // tenant already uses was not stored, and the kiosk keeps it.
    let held_sessions = db::kiosk::held_by_device(
        unit.tx(),
        tenant,
        device.id,
        Record::Visit,
        &sessions
            .iter()
            .map(|s| s.id.to_string())
            .collect::<Vec<_>>(),
    )
    .await?;
    let held_tickets = db::kiosk::held_by_device(
        unit.tx(),
        tenant,
        device.id,
        Record::QueueTicket,
        &tickets.iter().map(|t| t.id.to_string()).collect::<Vec<_>>(),
    )
    .await?;
    // The dashboard's Kiosks page shows the new tickets and visits.
    unit.notify_live(event);
    unit.commit().await?;
    let ack = KioskAck {
        sessions: sessions
            .iter()
            .map(|s| s.id)
            .filter(|id| held_sessions.contains(&id.to_string()))
            .collect(),
        tickets: tickets
            .iter()
            .map(|t| t.id)
            .filter(|id| held_tickets.contains(&id.to_string()))
            .collect(),
        server_time: now,
    };
    let refused = sessions.len() + tickets.len() - ack.sessions.len() - ack.tickets.len();
    if refused > 0 {
        tracing::warn!(device = %device.id, refused, "kiosk records whose ids another device uses were not stored");
    }
    Ok(ack)
}

/// Refuses (422, nothing stored) an upload that is too large, names another event or device, or
/// carries text no kiosk would make.
fn check(
    upload: &KioskUpload,
    event: gatehouse_core::EventId,
    device: gatehouse_core::DeviceId,
) -> DomainResult<()> {
    let count = upload.sessions.len() + upload.tickets.len();
    if count > MAX_KIOSK_RECORDS_PER_UPLOAD {
        return Err(DomainError::invalid(
            "too_many_records",
            format!(
                "a kiosk upload holds at most {MAX_KIOSK_RECORDS_PER_UPLOAD} visits and tickets; \
                 this one has {count}"
            ),
        ));
    }
    if !matches!(upload.report.mode.as_str(), "kiosk" | "gate") {
        return Err(DomainError::invalid(
            "bad_mode",
            format!("mode {:?}: expected kiosk or gate", upload.report.mode),
        ));
    }
    let records = upload
        .sessions
        .iter()
        .map(|s| ("visit", s.id.to_string(), s.event_id, s.device_id))
        .chain(
            upload
                .tickets
                .iter()
                .map(|t| ("queue ticket", t.id.to_string(), t.event_id, t.device_id)),
        );
    for (what, id, record_event, record_device) in records {
        if record_event != event {
            return Err(DomainError::invalid(
                "wrong_event",
                format!(
                    "{what} {id} names event {record_event}, but this device belongs to event {event}"
                ),
            ));
        }
        if record_device.is_some_and(|d| d != device) {
            return Err(DomainError::invalid(
                "wrong_device",
                format!("{what} {id} says another device made it; a kiosk uploads only its own"),
            ));
        }
    }
    for s in &upload.sessions {
        if s.language
            .as_ref()
            .is_some_and(|l| l.len() > MAX_LANGUAGE_LEN)
        {
            return Err(DomainError::invalid(
                "bad_language",
                format!("visit {}: the language tag is too long", s.id),
            ));
        }
    }
    for t in &upload.tickets {
        let desk = t.desk.trim();
        if desk.is_empty() || desk.chars().count() > MAX_DESK_LEN {
            return Err(DomainError::invalid(
                "bad_desk",
                format!(
                    "queue ticket {}: a desk name has 1 to {MAX_DESK_LEN} characters",
                    t.id
                ),
            ));
        }
        if t.label.is_empty() || t.label.chars().count() > MAX_LABEL_LEN {
            return Err(DomainError::invalid(
                "bad_label",
                format!(
                    "queue ticket {}: a label has 1 to {MAX_LABEL_LEN} characters",
                    t.id
                ),
            ));
        }
    }
    Ok(())
}
