//! `POST /sync/v1/scans`: a device's outbox arrives. Scans are upserted by id, clocks corrected
//! by the measured offset, offline duplicates flagged, occupancy counters merged by maximum, and
//! the new scans published to the other gates of the event. One transaction: all or nothing.

use std::collections::{BTreeSet, HashMap, HashSet};

use axum::extract::State;
use axum::Json;
use gatehouse_core::protocol::{Change, ScanUpload, UploadAck};
use gatehouse_core::{AccessLog, ParticipantId, ScanId, Zone, ZoneId};

use crate::auth::DeviceCaller;
use crate::db::access_logs::{self, Source};
use crate::db::{self, now_ms, Tx};
use crate::error::{ApiError, ApiResult};
use crate::extract::JsonBody;
use crate::state::AppState;
use crate::webhooks;

/// The most scans one upload may carry (a device sends its outbox in batches).
pub const MAX_SCANS_PER_UPLOAD: usize = 20_000;

pub async fn upload(
    State(state): State<AppState>,
    DeviceCaller(device): DeviceCaller,
    JsonBody(upload): JsonBody<ScanUpload>,
) -> ApiResult<Json<UploadAck>> {
    let now = now_ms();
    let tenant = device.tenant_id;
    let event = device.event_id;
    if upload.scans.len() > MAX_SCANS_PER_UPLOAD {
        return Err(ApiError::unprocessable(
            "too_many_scans",
            format!(
                "an upload holds at most {MAX_SCANS_PER_UPLOAD} scans; this one has {}",
                upload.scans.len()
            ),
        ));
    }

    let checkpoints: HashMap<_, _> = db::events::checkpoints(state.db(), tenant, event)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    let zones: HashMap<ZoneId, Zone> = db::events::zones(state.db(), tenant, event)
        .await?
        .into_iter()
        .map(|z| (z.id, z))
        .collect();
    for scan in &upload.scans {
        if scan.event_id != event {
            return Err(ApiError::unprocessable(
                "wrong_event",
                format!(
                    "scan {} names event {}, but this device belongs to event {event}",
                    scan.id, scan.event_id
                ),
            ));
        }
        if !checkpoints.contains_key(&scan.checkpoint_id) {
            return Err(ApiError::unprocessable(
                "unknown_checkpoint",
                format!(
                    "scan {} names checkpoint {}, which this event does not have",
                    scan.id, scan.checkpoint_id
                ),
            ));
        }
        if !zones.contains_key(&scan.zone_id) {
            return Err(ApiError::unprocessable(
                "unknown_zone",
                format!(
                    "scan {} names zone {}, which this event does not have",
                    scan.id, scan.zone_id
                ),
            ));
        }
        if scan.device_id.is_some_and(|d| d != device.id) {
            return Err(ApiError::unprocessable(
                "wrong_device",
                format!(
                    "scan {} says another device made it; a device uploads only its own scans",
                    scan.id
                ),
            ));
        }
    }
    for counter in &upload.occupancy {
        if !zones.contains_key(&counter.zone_id) {
            return Err(ApiError::unprocessable(
                "unknown_zone",
                format!(
                    "an occupancy counter names zone {}, which this event does not have",
                    counter.zone_id
                ),
            ));
        }
    }

    // The device's clock may be wrong: measure it against ours and store scans in server time.
    let offset = now.saturating_sub(upload.report.device_time);
    let mut seen = HashSet::new();
    let logs: Vec<(AccessLog, i64)> = upload
        .scans
        .iter()
        .filter(|s| seen.insert(s.id))
        .map(|scan| {
            let mut log = scan.clone();
            log.device_id = Some(device.id);
            let server_time = log.device_time.saturating_add(offset);
            (log, server_time)
        })
        .collect();
    let mut tx = state.db().begin().await?;
    let new_ids = access_logs::insert_many(&mut tx, tenant, &logs, now, Source::Device).await?;
    let fresh: Vec<AccessLog> = logs
        .into_iter()
        .map(|(log, _)| log)
        .filter(|log| new_ids.contains(&log.id.to_string()))
        .collect();

    let uploaded: HashSet<String> = upload.scans.iter().map(|s| s.id.to_string()).collect();
    let touched: BTreeSet<(ParticipantId, ZoneId)> = upload
        .scans
        .iter()
        .filter(|s| s.admitted() && s.movement.is_some())
        .filter_map(|s| Some((s.participant_id?, s.zone_id)))
        .collect();
    let people: Vec<ParticipantId> = touched
        .iter()
        .map(|(p, _)| *p)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let passes = access_logs::admitted_passes_of(&mut tx, tenant, event, &people).await?;
    let mut duplicates: Vec<ScanId> = Vec::new();
    // Webhook events are built only for what some subscription wants.
    let subscribers = webhooks::outbox::Subscribers::of(&mut tx, tenant).await?;
    let mut hooks: Vec<webhooks::events::Event> = fresh
        .iter()
        .filter(|_| subscribers.want(webhooks::events::CHECKIN_SCANNED))
        .map(|log| webhooks::events::scan(log, Source::Device.as_str()))
        .collect();
    for key in &touched {
        let Some(group) = passes.get(key) else {
            continue;
        };
        for (id, newly) in review_offline_duplicates(&mut tx, tenant, group).await? {
            if newly && subscribers.want(webhooks::events::OFFLINE_DUPLICATE) {
                hooks.push(webhooks::events::offline_duplicate(&id, &event.to_string()));
            }
            if uploaded.contains(&id) {
                if let Ok(id) = id.parse() {
                    duplicates.push(ScanId(id));
                }
            }
        }
    }

    for counter in &upload.occupancy {
        // Thresholds are checked only for zones with a capacity that someone listens for: the
        // occupancy before and after this device's counter, read in this transaction.
        let watched = zones.get(&counter.zone_id).filter(|z| {
            z.capacity.is_some() && subscribers.want(webhooks::events::OCCUPANCY_THRESHOLD_CROSSED)
        });
        let before = match watched {
            Some(z) => Some(db::occupancy::zone_in(&mut tx, tenant, event, z.id).await?),
            None => None,
        };
        db::occupancy::merge(
            &mut tx,
            tenant,
            event,
            &device.id.to_string(),
            counter.zone_id,
            i64::try_from(counter.ins).unwrap_or(i64::MAX),
            i64::try_from(counter.outs).unwrap_or(i64::MAX),
            now,
        )
        .await?;
        if let (Some(zone), Some(before)) = (watched, before) {
            let after = db::occupancy::zone_in(&mut tx, tenant, event, zone.id).await?;
            hooks.extend(webhooks::events::threshold_crossings(zone, before, after));
        }
    }

    let changes: Vec<Change> = fresh.iter().cloned().map(Change::Scan).collect();
    db::feed::publish(&mut tx, tenant, event, &changes, Some(device.id)).await?;

    let head = db::feed::head(state.db(), tenant, event).await?;
    db::devices::record_report(
        &mut tx,
        tenant,
        device.id,
        &upload.report,
        (head - upload.report.cursor).max(0),
        offset,
        now,
    )
    .await?;
    let queued = subscribers.enqueue(&mut tx, tenant, &hooks, now).await?;
    tx.commit().await?;

    if queued > 0 {
        state.wake_webhooks();
    }
    if !fresh.is_empty() || !upload.occupancy.is_empty() {
        state.notify(event);
    }
    if !duplicates.is_empty() {
        tracing::warn!(device = %device.id, count = duplicates.len(), "offline duplicate admissions flagged");
    }
    Ok(Json(UploadAck {
        stored: upload.scans.iter().map(|s| s.id).collect(),
        offline_duplicates: duplicates,
        server_time: now,
    }))
}

/// Walks one person's admitted passes through one zone in server-time order and flags each
/// admitted `in` that follows another device's admitted `in` with no `out` between: two gates
/// let the same badge in while they could not see each other. Returns the flagged ids, each
/// with whether this review flagged it (rather than an earlier one).
async fn review_offline_duplicates(
    tx: &mut Tx,
    tenant: gatehouse_core::TenantId,
    passes: &[access_logs::AdmittedPass],
) -> Result<Vec<(String, bool)>, sqlx::Error> {
    let mut flagged = Vec::new();
    let mut previous: Option<&access_logs::AdmittedPass> = None;
    for pass in passes {
        let duplicate = pass.movement == gatehouse_core::Movement::In
            && previous.is_some_and(|p| {
                p.movement == gatehouse_core::Movement::In && p.device != pass.device
            });
        if duplicate != pass.offline_duplicate {
            access_logs::set_offline_duplicate(tx, tenant, &pass.id, duplicate).await?;
        }
        if duplicate {
            flagged.push((pass.id.clone(), !pass.offline_duplicate));
        }
        previous = Some(pass);
    }
    Ok(flagged)
}
