//! Participants: the one writer of the `participants` table.
//!
//! Every way a participant changes — registered through the REST API, edited, revoked, approved
//! or rejected by an admin, their badge reissued, removed — is one function here, and each does
//! the same steps in one transaction:
//!
//! 1. **one change at a time per participant** (the transaction is serialised on the participant),
//!    so two admins, or an admin and an integrator, never overwrite each other unseen;
//! 2. validate against the event (category, zones) and the field rules;
//! 3. write with `updated_at` strictly later than the last change, so an integrator polling
//!    `updated_since` sees every change, whoever made it;
//! 4. audit, publish to the event's device feed (gates learn it at their next sync);
//! 5. queue webhooks: `participant.registered` on creation, `participant.status_changed` (and
//!    `participant.approved` / `participant.rejected`) when the status moves;
//! 6. after commit: wake the webhook worker, tell live views.

use gatehouse_core::{EventId, ParticipantId, ParticipantStatus};
use gatehouse_db::participants as rows;

use crate::unit::UnitOfWork;
use crate::webhooks::events;
use crate::{now_ms, Actor, Author, Domain, DomainError, DomainResult};

pub use gatehouse_db::participants::{
    count, find, find_any_event, find_by_registration_code, find_stamped, list, names, page,
    summaries, ListFilter, PageFilter, PageFrom, Summary,
};
pub use gatehouse_db::participants::{ParticipantRecord, Stamped};

/// Longest name, organisation, category and contact field accepted.
pub const MAX_TEXT: usize = 200;

/// What a change does, as the audit log names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Updated,
    Revoked,
    StatusChanged,
    BadgeReissued,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Updated => "participant.updated",
            Action::Revoked => "participant.revoked",
            Action::StatusChanged => "participant.status_changed",
            Action::BadgeReissued => "participant.badge_reissued",
        }
    }
}

/// The answer to a change.
#[derive(Debug, Clone)]
pub struct Changed {
    pub before: Stamped,
    pub after: Stamped,
}

impl Changed {
    /// Whether anything was written (a change to what already is writes nothing).
    pub fn changed(&self) -> bool {
        self.before.record != self.after.record
    }
}

/// Registers a participant in its own unit of work.
pub async fn create(
    domain: &Domain,
    author: &Author,
    record: ParticipantRecord,
) -> DomainResult<Stamped> {
    let mut unit = UnitOfWork::begin(domain, author.tenant).await?;
    let created = create_in(&mut unit, &author.actor, record).await?;
    unit.commit().await?;
    Ok(created)
}

/// Registers a participant inside `unit` (for callers that add to the same transaction, such as
/// an idempotent request). The record's id and registration code are the caller's.
pub async fn create_in(
    unit: &mut UnitOfWork<'_>,
    actor: &Actor,
    record: ParticipantRecord,
) -> DomainResult<Stamped> {
    let tenant = unit.tenant();
    let record = validated(unit.domain(), tenant, record).await?;
    let (id, event) = (record.gate.id, record.gate.event_id);
    rows::insert_many(unit.tx(), tenant, event, std::slice::from_ref(&record)).await?;
    unit.audit(
        actor,
        "participant.created",
        ("participant", &id.to_string()),
        None::<&()>,
        Some(&record),
    )
    .await?;
    let created = rows::find_stamped_in(unit.tx(), tenant, id)
        .await?
        .ok_or_else(|| DomainError::internal("read back a new participant", id))?;
    unit.webhooks(&[events::registered(&created.record.gate)], now_ms())
        .await?;
    unit.notify_live(event);
    Ok(created)
}

/// Changes one participant: `edit` is applied to the current record, which must pass
/// `precondition` first (the REST API's `If-Match`). The result is validated and written with
/// every step of the module documentation. An edit that changes nothing writes nothing.
pub async fn change(
    domain: &Domain,
    author: &Author,
    id: ParticipantId,
    action: Action,
    precondition: impl FnOnce(&Stamped) -> DomainResult<()>,
    edit: impl FnOnce(&mut ParticipantRecord) -> DomainResult<()>,
) -> DomainResult<Changed> {
    let mut unit = UnitOfWork::begin(domain, author.tenant).await?;
    let changed = change_in(&mut unit, &author.actor, id, action, precondition, edit).await?;
    unit.commit().await?;
    Ok(changed)
}

/// [`change`] inside `unit`.
pub async fn change_in(
    unit: &mut UnitOfWork<'_>,
    actor: &Actor,
    id: ParticipantId,
    action: Action,
    precondition: impl FnOnce(&Stamped) -> DomainResult<()>,
    edit: impl FnOnce(&mut ParticipantRecord) -> DomainResult<()>,
) -> DomainResult<Changed> {
    let tenant = unit.tenant();
    unit.serialize_on(&format!("participant:{id}")).await?;
    let current = rows::find_stamped_in(unit.tx(), tenant, id)
        .await?
        .ok_or_else(|| DomainError::not_found(&format!("participant {:?}", id.to_string())))?;
    precondition(&current)?;
    let mut next = current.record.clone();
    edit(&mut next)?;
    // What a change may not touch.
    next.gate.id = current.record.gate.id;
    next.gate.event_id = current.record.gate.event_id;
    next.gate.registration_code = current.record.gate.registration_code.clone();
    let next = validated(unit.domain(), tenant, next).await?;
    if next == current.record {
        return Ok(Changed {
            after: current.clone(),
            before: current,
        });
    }
    // Strictly later than the last change, so `updated_since` never misses one.
    let now = now_ms().max(current.updated_at + 1);
    rows::update(unit.tx(), tenant, &next, now).await?;
    unit.audit(
        actor,
        action.as_str(),
        ("participant", &id.to_string()),
        Some(&current.record),
        Some(&next),
    )
    .await?;
    let previous = current.record.gate.status;
    if next.gate.status != previous {
        unit.webhooks(&events::status_changed(&next.gate, previous), now)
            .await?;
    }
    unit.notify_live(next.gate.event_id);
    Ok(Changed {
        after: Stamped {
            record: next,
            created_at: current.created_at,
            updated_at: now,
        },
        before: current,
    })
}

/// Sets a participant's status (an admin's decision, or the REST API's).
pub async fn set_status(
    domain: &Domain,
    author: &Author,
    id: ParticipantId,
    status: ParticipantStatus,
) -> DomainResult<Changed> {
    change(
        domain,
        author,
        id,
        Action::StatusChanged,
        |_| Ok(()),
        |r| {
            r.gate.status = status;
            Ok(())
        },
    )
    .await
}

/// Reissues a participant's badge: the credential sequence goes up, so the old QR decides
/// `REVOKED` online at once and at gates after their next sync.
pub async fn reissue(domain: &Domain, author: &Author, id: ParticipantId) -> DomainResult<Changed> {
    change(
        domain,
        author,
        id,
        Action::BadgeReissued,
        |_| Ok(()),
        |r| {
            r.gate.credential_seq = r.gate.credential_seq.checked_add(1).ok_or_else(|| {
                DomainError::conflict(
                    "reissue_limit",
                    "this badge has been reissued as often as the ticket format allows",
                )
            })?;
            Ok(())
        },
    )
    .await
}

/// Deletes a participant (an admin's correction: the row goes; their scans stay in the access
/// log). Devices drop them at their next sync, and a later scan of their badge is `UNKNOWN`.
pub async fn remove(
    domain: &Domain,
    author: &Author,
    id: ParticipantId,
) -> DomainResult<ParticipantRecord> {
    let mut unit = UnitOfWork::begin(domain, author.tenant).await?;
    unit.serialize_on(&format!("participant:{id}")).await?;
    let current = rows::find_stamped_in(unit.tx(), author.tenant, id)
        .await?
        .ok_or_else(|| DomainError::not_found(&format!("participant {:?}", id.to_string())))?
        .record;
    rows::remove(unit.tx(), author.tenant, &current).await?;
    unit.audit(
        &author.actor,
        "participant.removed",
        ("participant", &id.to_string()),
        Some(&current),
        None::<&()>,
    )
    .await?;
    unit.notify_live(current.gate.event_id);
    unit.commit().await?;
    Ok(current)
}

/// The participant's ticket as it is printed now: a fresh QR sealed with the event's newest key.
pub async fn ticket(
    domain: &Domain,
    tenant: gatehouse_core::TenantId,
    participant: &gatehouse_core::Participant,
) -> DomainResult<String> {
    let ring = crate::events::ring(domain, tenant, participant.event_id).await?;
    crate::tickets::issue(&ring, participant, now_ms())
        .map_err(|e| DomainError::internal("seal a ticket", e))
}

fn invalid(message: String) -> DomainError {
    DomainError::invalid("invalid_participant", message)
}

fn check_text(field: &str, value: &str, required: bool) -> DomainResult<()> {
    if required && value.trim().is_empty() {
        return Err(invalid(format!("{field} must not be empty")));
    }
    if value.chars().count() > MAX_TEXT {
        return Err(invalid(format!(
            "{field} is longer than {MAX_TEXT} characters"
        )));
    }
    Ok(())
}

/// Checks a participant against their event (category, zones) and the field rules; trims names.
async fn validated(
    domain: &Domain,
    tenant: gatehouse_core::TenantId,
    mut r: ParticipantRecord,
) -> DomainResult<ParticipantRecord> {
    let event: EventId = r.gate.event_id;
    r.gate.full_name = r.gate.full_name.trim().to_owned();
    r.gate.category = r.gate.category.trim().to_owned();
    check_text("full_name", &r.gate.full_name, true)?;
    check_text("category", &r.gate.category, true)?;
    for (field, value) in [
        ("organisation", &r.gate.organisation),
        ("email", &r.email),
        ("phone", &r.phone),
        ("nationality", &r.nationality),
        ("passport_number", &r.passport_number),
    ] {
        if let Some(v) = value {
            check_text(field, v, false)?;
        }
    }
    if r.email.as_deref().is_some_and(|e| !e.contains('@')) {
        return Err(invalid("email has no @".to_owned()));
    }
    if let Some(d) = r.date_of_birth.as_deref() {
        if !gatehouse_core::is_iso_date(d) {
            return Err(invalid(format!(
                "date_of_birth {d:?} is not an ISO date like 1984-03-09"
            )));
        }
    }
    if let (Some(from), Some(until)) = (r.gate.valid_from, r.gate.valid_until) {
        if from > until {
            return Err(invalid("valid_from is after valid_until".to_owned()));
        }
    }
    let categories = gatehouse_db::events::categories(domain.db(), tenant, event).await?;
    if !categories.is_empty() && !categories.contains(&r.gate.category) {
        return Err(invalid(format!(
            "category {:?} is not one of this event's: {}",
            r.gate.category,
            categories.join(", ")
        )));
    }
    let zones = gatehouse_db::events::zones(domain.db(), tenant, event).await?;
    if let Some(z) = r
        .gate
        .zones
        .iter()
        .find(|z| !zones.iter().any(|known| known.id == **z))
    {
        return Err(invalid(format!("zone {z} is not a zone of this event")));
    }
    r.gate.zones.dedup();
    Ok(r)
}
