//! `POST /sync/v1/kiosk`: a kiosk's outbox of visits and queue tickets arrives. Both are upserted
//! by their client-made ids in one transaction (all or nothing), the device's mode and kiosk
//! outbox are recorded, and the answer lists every id the server now holds. Tenants without the
//! `KIOSK_MODE` feature are refused with `403 feature_disabled`; the kiosk keeps its records.

use std::collections::HashSet;

use axum::extract::State;
use axum::Json;
use gatehouse_core::protocol::{KioskAck, KioskUpload};

use crate::auth::DeviceCaller;
use crate::db::{self, now_ms};
use crate::error::{ApiError, ApiResult};
use crate::extract::JsonBody;
use crate::permissions::FeatureFlag;
use crate::state::AppState;

/// The most visits plus tickets one upload may carry (a kiosk sends its outbox in batches).
pub const MAX_KIOSK_RECORDS_PER_UPLOAD: usize = 5_000;
/// Longest desk name, ticket label and language tag accepted.
const MAX_DESK_LEN: usize = 120;
const MAX_LABEL_LEN: usize = 40;
const MAX_LANGUAGE_LEN: usize = 35;

pub async fn upload(
    State(state): State<AppState>,
    DeviceCaller(device): DeviceCaller,
    JsonBody(upload): JsonBody<KioskUpload>,
) -> ApiResult<Json<KioskAck>> {
    let now = now_ms();
    let (tenant, event) = (device.tenant_id, device.event_id);
    let features = db::tenants::features(state.db(), tenant).await?;
    if !features.contains(&FeatureFlag::KioskMode) {
        return Err(ApiError::forbidden(
            "feature_disabled",
            format!(
                "kiosk mode is switched off for this tenant (feature flag {}); the kiosk keeps \
                 its visits and queue tickets until an administrator switches it on",
                FeatureFlag::KioskMode
            ),
        ));
    }
    check(&upload, event, device.id)?;

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
    let mut tx = state.db().begin().await?;
    db::kiosk::upsert_sessions(&mut tx, tenant, device.id, &sessions, now).await?;
    db::kiosk::insert_tickets(&mut tx, tenant, device.id, &tickets, now).await?;
    db::kiosk::record_report(
        &mut tx,
        tenant,
        device.id,
        &upload.report.mode,
        i64::try_from(upload.report.kiosk_outbox_depth).unwrap_or(i64::MAX),
        now,
    )
    .await?;
    tx.commit().await?;
    // The dashboard's Kiosks page shows the new tickets and visits.
    state.notify(event);
    Ok(Json(KioskAck {
        sessions: sessions.iter().map(|s| s.id).collect(),
        tickets: tickets.iter().map(|t| t.id).collect(),
        server_time: now,
    }))
}

/// Refuses (422, nothing stored) an upload that is too large, names another event or device, or
/// carries text no kiosk would make.
fn check(
    upload: &KioskUpload,
    event: gatehouse_core::EventId,
    device: gatehouse_core::DeviceId,
) -> ApiResult<()> {
    let count = upload.sessions.len() + upload.tickets.len();
    if count > MAX_KIOSK_RECORDS_PER_UPLOAD {
        return Err(ApiError::unprocessable(
            "too_many_records",
            format!(
                "a kiosk upload holds at most {MAX_KIOSK_RECORDS_PER_UPLOAD} visits and tickets; \
                 this one has {count}"
            ),
        ));
    }
    if !matches!(upload.report.mode.as_str(), "kiosk" | "gate") {
        return Err(ApiError::unprocessable(
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
            return Err(ApiError::unprocessable(
                "wrong_event",
                format!(
                    "{what} {id} names event {record_event}, but this device belongs to event {event}"
                ),
            ));
        }
        if record_device.is_some_and(|d| d != device) {
            return Err(ApiError::unprocessable(
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
            return Err(ApiError::unprocessable(
                "bad_language",
                format!("visit {}: the language tag is too long", s.id),
            ));
        }
    }
    for t in &upload.tickets {
        let desk = t.desk.trim();
        if desk.is_empty() || desk.chars().count() > MAX_DESK_LEN {
            return Err(ApiError::unprocessable(
                "bad_desk",
                format!(
                    "queue ticket {}: a desk name has 1 to {MAX_DESK_LEN} characters",
                    t.id
                ),
            ));
        }
        if t.label.is_empty() || t.label.chars().count() > MAX_LABEL_LEN {
            return Err(ApiError::unprocessable(
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
