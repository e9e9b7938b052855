//! `POST /sync/v1/scan`: a device in online mode asks the server to decide (the REST API's
//! `POST /api/v1/events/{event_id}/checkins` comes through [`decide_and_record`] too). The verdict
//! and the access log come from the same [`gatehouse_core::checkin::check_in`] the devices run, with the participant's history read from
//! the access log, and the scan is recorded exactly once per `scan_id`: asking again (a retry
//! after a timeout) returns the first answer and records nothing new.

use axum::extract::State;
use axum::Json;
use gatehouse_core::checkin::{self, CheckIn, Lookup, Recorded};
use gatehouse_core::protocol::{
    Change, OnlineScanRequest, OnlineScanResponse, ParticipantSummary, Presented,
};
use gatehouse_core::{DeviceId, EventId, Movement, TenantId, TicketError};

use crate::auth::DeviceCaller;
use crate::db::access_logs::{self, Source, StoredScan};
use crate::db::participants::ParticipantRecord;
use crate::db::{self, now_ms};
use crate::error::{ApiError, ApiResult};
use crate::extract::JsonBody;
use crate::layout_cache::EventLayout;
use crate::state::AppState;

pub async fn scan(
    State(state): State<AppState>,
    DeviceCaller(device): DeviceCaller,
    JsonBody(req): JsonBody<OnlineScanRequest>,
) -> ApiResult<Json<OnlineScanResponse>> {
    let asker = Asker {
        tenant: device.tenant_id,
        event: device.event_id,
        device: Some(device.id),
        source: Source::Online,
    };
    Ok(Json(decide_and_record(&state, &asker, &req).await?))
}

/// Who asks the server to decide a scan: a device in online mode, or an integrator through the
/// REST API (no device).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Asker {
    pub tenant: TenantId,
    pub event: EventId,
    pub device: Option<DeviceId>,
    pub source: Source,
}

/// Decides a scan with [`decide`] and records it once per `scan_id`; the same id again gets the
/// first answer. Every online check-in, whoever asks, comes through here.
pub(crate) async fn decide_and_record(
    state: &AppState,
    asker: &Asker,
    req: &OnlineScanRequest,
) -> ApiResult<OnlineScanResponse> {
    let (tenant, event) = (asker.tenant, asker.event);
    let scan_id = req.scan_id.to_string();
    if let Some(stored) = access_logs::find(state.db(), tenant, &scan_id).await? {
        return answer_again(state, asker, stored).await;
    }

    let mut layout = state
        .layouts()
        .get(state.db(), state.master(), tenant, event)
        .await?;
    let stale_miss = |layout: &EventLayout| {
        layout.may_be_stale()
            && (!layout.checkpoints.contains_key(&req.checkpoint_id)
                || matches!(&req.presented, Presented::Payload(text)
                    if matches!(layout.ring.decode(text), Err(TicketError::UnknownKey(_)))))
    };
    if stale_miss(&layout) {
        // A checkpoint or key added through another node since this one last read the event.
        layout = state
            .layouts()
            .reload(state.db(), state.master(), tenant, event)
            .await?;
    }
    let checkpoint = layout
        .checkpoints
        .get(&req.checkpoint_id)
        .cloned()
        .ok_or_else(|| {
            ApiError::unprocessable(
                "unknown_checkpoint",
                format!("this event has no checkpoint {}", req.checkpoint_id),
            )
        })?;
    let zone = layout
        .zones
        .get(&checkpoint.zone_id)
        .cloned()
        .ok_or_else(|| ApiError::internal("find the checkpoint's zone", checkpoint.zone_id))?;

    let (credential, lookup) = checkin::read(&layout.ring, &req.presented);
    let participant = match lookup {
        Some(Lookup::Id(id)) => db::participants::find(state.db(), tenant, event, id).await?,
        Some(Lookup::Code(code)) => {
            db::participants::find_by_registration_code(state.db(), tenant, event, code.as_str())
                .await?
        }
        None => None,
    };
    let occupancy = db::occupancy::totals(state.db(), tenant, event)
        .await?
        .into_iter()
        .find(|(z, _, _)| *z == zone.id)
        .map(|(_, ins, outs)| u32::try_from((ins - outs).max(0)).unwrap_or(u32::MAX));

    // History is read inside a write transaction serialised per participant, so two gates
    // asking about one badge at once see each other's scan (anti-passback holds online).
    let mut tx = state.db().begin().await?;
    // Who wants webhooks is read first: the event's feed counter and the zone's occupancy row,
    // taken below, stay locked until COMMIT, and a read made while holding them delays every
    // other check-in of the event.
    let subscribers = crate::webhooks::outbox::Subscribers::of(&mut tx, tenant).await?;
    if let Some(p) = &participant {
        tx.serialize_on(&format!("participant:{}", p.gate.id))
            .await?;
    }
    let now = now_ms();
    let history = match &participant {
        Some(p) => access_logs::history_in(&mut tx, tenant, event, p.gate.id).await?,
        None => Vec::new(),
    };
    let Recorded { decision, log } = checkin::check_in(&CheckIn {
        scan_id: req.scan_id,
        credential: &credential,
        participant: participant.as_ref().map(|p| &p.gate),
        checkpoint: &checkpoint,
        zone: &zone,
        history: &history,
        requested: req.requested,
        override_reason: req.override_reason.as_deref(),
        occupancy,
        device_id: asker.device,
        device_time: req.device_time,
        corrected_time: now,
    });
    if !access_logs::insert(&mut tx, tenant, &log, now, now, asker.source).await? {
        // Another request with this scan_id won the race: its answer is the answer.
        drop(tx);
        let stored = access_logs::find(state.db(), tenant, &scan_id)
            .await?
            .ok_or_else(|| ApiError::internal("read back a scan", &scan_id))?;
        return answer_again(state, asker, stored).await;
    }
    let mut hooks = vec![crate::webhooks::events::scan(&log, asker.source.as_str())];
    let movement = log.movement;
    if let Some(movement) = movement {
        db::occupancy::count_online(&mut tx, tenant, event, zone.id, movement, now).await?;
        if zone.capacity.is_some() {
            // Read after the count, in the same transaction: the one before is one step back.
            let after = db::occupancy::zone_in(&mut tx, tenant, event, zone.id).await?;
            let before = match movement {
                Movement::In => after - 1,
                Movement::Out => after + 1,
            };
            hooks.extend(crate::webhooks::events::threshold_crossings(
                &zone, before, after,
            ));
        }
    }
    db::feed::publish(&mut tx, tenant, event, &[Change::Scan(log)], asker.device).await?;
    let queued = subscribers.enqueue(&mut tx, tenant, &hooks, now).await?;
    tx.commit().await?;
    if queued > 0 {
        state.wake_webhooks();
    }
    state.notify(event);

    Ok(OnlineScanResponse {
        scan_id: req.scan_id,
        verdict: decision.verdict,
        reason: decision.reason,
        reason_text: decision.reason.sentence().to_string(),
        movement,
        warnings: decision.warnings,
        participant: participant
            .as_ref()
            .map(|p| ParticipantSummary::from(&p.gate)),
        server_time: now,
    })
}

/// The answer to a scan id the server already holds.
async fn answer_again(
    state: &AppState,
    asker: &Asker,
    stored: StoredScan,
) -> ApiResult<OnlineScanResponse> {
    if stored.log.event_id != asker.event {
        return Err(ApiError::conflict(
            "scan_id_in_use",
            format!("scan id {} is already used by another event", stored.log.id),
        ));
    }
    let participant: Option<ParticipantRecord> = match stored.log.participant_id {
        Some(id) => db::participants::find(state.db(), asker.tenant, asker.event, id).await?,
        None => None,
    };
    Ok(OnlineScanResponse {
        scan_id: stored.log.id,
        verdict: stored.log.verdict,
        reason: stored.log.reason,
        reason_text: stored.log.reason.sentence().to_string(),
        movement: stored.log.movement,
        warnings: Vec::new(),
        participant: participant
            .as_ref()
            .map(|p| ParticipantSummary::from(&p.gate)),
        server_time: now_ms(),
    })
}
