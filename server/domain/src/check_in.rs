//! Check-ins: the online decision (a gate in online mode, or an integrator through the REST
//! API) and a device's upload of the scans it decided offline.
//!
//! **Online** ([`online`]): the verdict and the access log come from the same
//! [`gatehouse_core::checkin::check_in`] the gates run, with the participant's history read from
//! the access log inside a transaction serialised per participant (two gates asking about one
//! badge at once see each other's scan). A scan is recorded exactly once per `scan_id`, with a
//! digest of the request: the same request again returns the first answer and records nothing
//! new; a different request (another badge, checkpoint, direction, override, asker or event)
//! under an id already used is refused with `scan_id_in_use`. Admitted passes count towards
//! occupancy under their own source.
//!
//! **Uploads** ([`upload`]): the device's report and counters are checked first (a cursor below
//! zero, a time outside [`MAX_DEVICE_TIME`], a counter above [`MAX_PASS_COUNT`] refuse the whole
//! upload with 422); scans are upserted by id, stored in server time (the device's clock offset
//! is measured on each upload), offline duplicates flagged (two gates admitting one badge into a
//! zone while they could not see each other: both kept, the later flagged), occupancy counters
//! merged by maximum, the new scans published to the other gates. One transaction: all or
//! nothing. The acknowledgement names only scans the tenant now holds as this device's: an id
//! that another device or an integrator already used was not stored, and the gate keeps it.
//!
//! Both queue `checkin.scanned`, `occupancy.threshold_crossed` and `checkin.offline_duplicate`
//! webhooks for the subscriptions that want them, and tell live views after commit.

use std::collections::{BTreeSet, HashMap, HashSet};

use gatehouse_core::checkin::{self, CheckIn, Lookup, Recorded};
use gatehouse_core::protocol::{
    Change, DeviceReport, OccupancyCounter, OnlineScanRequest, OnlineScanResponse,
    ParticipantSummary, Presented, ScanUpload, UploadAck,
};
use gatehouse_core::{
    AccessLog, DeviceId, EventId, Movement, ParticipantId, ScanId, TenantId, TicketError, Zone,
    ZoneId,
};
use gatehouse_db::access_logs::{self, StoredScan};
use gatehouse_db::participants::ParticipantRecord;
use gatehouse_db::{self as db, Tx};

use crate::devices::Device;
use crate::layout::cache::EventLayout;
use crate::unit::UnitOfWork;
use crate::webhooks::events as hooks;
use crate::{now_ms, Domain, DomainError, DomainResult};

pub use gatehouse_db::access_logs::Source;

/// The most scans one upload may carry (a device sends its outbox in batches).
pub const MAX_SCANS_PER_UPLOAD: usize = 20_000;

/// The most passes a device's occupancy counter may report for one zone (see
/// [`gatehouse_db::occupancy::MAX_COUNT`]); a counter above it is refused, not clamped, so a
/// broken or hostile device is noticed instead of skewing the event's occupancy quietly.
pub const MAX_PASS_COUNT: u64 = gatehouse_db::occupancy::MAX_COUNT as u64;

/// The latest time (Unix ms) a device may report for its clock or a scan: 9999-12-31T23:59:59.999Z.
/// Times run from 0 (a gate whose clock restarted at the epoch is still heard, and corrected by
/// its measured offset) to this, so the offset and the server times computed from them cannot
/// overflow.
pub const MAX_DEVICE_TIME: i64 = 253_402_300_799_999;
const DEVICE_TIMES: std::ops::RangeInclusive<i64> = 0..=MAX_DEVICE_TIME;

/// Who asks the server to decide a scan: a device in online mode, or an integrator through the
/// REST API (no device).
#[derive(Debug, Clone, Copy)]
pub struct Asker {
    pub tenant: TenantId,
    pub event: EventId,
    pub device: Option<DeviceId>,
    pub source: Source,
}

/// Decides a scan and records it once per `scan_id`; the same id again gets the first answer.
/// Every online check-in, whoever asks, comes through here.
pub async fn online(
    domain: &Domain,
    asker: &Asker,
    req: &OnlineScanRequest,
) -> DomainResult<OnlineScanResponse> {
    let (tenant, event) = (asker.tenant, asker.event);
    let scan_id = req.scan_id.to_string();
    let digest = request_digest(asker, req);
    if let Some(stored) = access_logs::find(domain.db(), tenant, &scan_id).await? {
        return answer_again(domain, asker, req, &digest, stored).await;
    }

    let mut layout = domain
        .layouts()
        .get(domain.db(), domain.master(), tenant, event)
        .await?;
    let stale_miss = |layout: &EventLayout| {
        layout.may_be_stale()
            && (!layout.checkpoints.contains_key(&req.checkpoint_id)
                || matches!(&req.presented, Presented::Payload(text)
                    if matches!(layout.ring.decode(text), Err(TicketError::UnknownKey(_)))))
    };
    if stale_miss(&layout) {
        // A checkpoint or key added through another node since this one last read the event.
        layout = domain
            .layouts()
            .reload(domain.db(), domain.master(), tenant, event)
            .await?;
    }
    let checkpoint = layout
        .checkpoints
        .get(&req.checkpoint_id)
        .cloned()
        .ok_or_else(|| {
            DomainError::invalid(
                "unknown_checkpoint",
                format!("this event has no checkpoint {}", req.checkpoint_id),
            )
        })?;
    let zone = layout
        .zones
        .get(&checkpoint.zone_id)
        .cloned()
        .ok_or_else(|| DomainError::internal("find the checkpoint's zone", checkpoint.zone_id))?;

    let (credential, lookup) = checkin::read(&layout.ring, &req.presented);
    let participant = match lookup {
        Some(Lookup::Id(id)) => db::participants::find(domain.db(), tenant, event, id).await?,
        Some(Lookup::Code(code)) => {
            db::participants::find_by_registration_code(domain.db(), tenant, event, code.as_str())
                .await?
        }
        None => None,
    };
    let occupancy = db::occupancy::totals(domain.db(), tenant, event)
        .await?
        .into_iter()
        .find(|(z, _, _)| *z == zone.id)
        .map(|(_, ins, outs)| u32::try_from((ins - outs).max(0)).unwrap_or(u32::MAX));

    // History is read inside a write transaction serialised per participant, so two gates
    // asking about one badge at once see each other's scan (anti-passback holds online).
    let mut unit = UnitOfWork::begin(domain, tenant).await?;
    // Who wants webhooks is read first: the event's feed counter and the zone's occupancy row,
    // taken below, stay locked until COMMIT, and a read made while holding them delays every
    // other check-in of the event.
    unit.subscribers().await?;
    if let Some(p) = &participant {
        unit.serialize_on(&format!("participant:{}", p.gate.id))
            .await?;
    }
    let now = now_ms();
    let history = match &participant {
        Some(p) => access_logs::history_in(unit.tx(), tenant, event, p.gate.id).await?,
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
    if !access_logs::insert(unit.tx(), tenant, &log, now, now, asker.source, &digest).await? {
        // Another request with this scan_id won the race: its answer is the answer, if it was
        // the same request.
        drop(unit);
        let stored = access_logs::find(domain.db(), tenant, &scan_id)
            .await?
            .ok_or_else(|| DomainError::internal("read back a scan", &scan_id))?;
        return answer_again(domain, asker, req, &digest, stored).await;
    }
    let mut events = vec![hooks::scan(&log, asker.source.as_str())];
    let movement = log.movement;
    if let Some(movement) = movement {
        db::occupancy::count_online(unit.tx(), tenant, event, zone.id, movement, now).await?;
        if zone.capacity.is_some() {
            // Read after the count, in the same transaction: the one before is one step back.
            let after = db::occupancy::zone_in(unit.tx(), tenant, event, zone.id).await?;
            let before = match movement {
                Movement::In => after - 1,
                Movement::Out => after + 1,
            };
            events.extend(hooks::threshold_crossings(&zone, before, after));
        }
    }
    unit.publish(event, &[Change::Scan(log)], asker.device)
        .await?;
    unit.webhooks(&events, now).await?;
    unit.notify_live(event);
    unit.commit().await?;

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

/// What makes two online requests the same scan: who asks, where, what was presented, which way
/// and why. The device's clock is left out (a retry may send a later one).
fn request_digest(asker: &Asker, req: &OnlineScanRequest) -> String {
    let request = serde_json::json!({
        "event": asker.event,
        "source": asker.source.as_str(),
        "device": asker.device,
        "checkpoint": req.checkpoint_id,
        "presented": req.presented,
        "requested": req.requested,
        "override_reason": req.override_reason,
    });
    crate::crypto::digest(&request.to_string())
}

/// The answer to a scan id the server already holds: the first answer when this is the same
/// request again, a refusal when the id already names another scan.
async fn answer_again(
    domain: &Domain,
    asker: &Asker,
    req: &OnlineScanRequest,
    digest: &str,
    stored: StoredScan,
) -> DomainResult<OnlineScanResponse> {
    let same_request = match &stored.request_digest {
        Some(d) => d == digest,
        // Recorded before digests were kept (migration 0007), or uploaded by a device: the same
        // asker at the same checkpoint of the same event is the best that can be compared.
        None => {
            stored.source == asker.source.as_str()
                && stored.log.device_id == asker.device
                && stored.log.event_id == asker.event
                && stored.log.checkpoint_id == req.checkpoint_id
        }
    };
    if !same_request {
        return Err(DomainError::invalid(
            "scan_id_in_use",
            format!(
                "scan id {} already names another scan (another badge, checkpoint, direction, \
                 override, asker or event); a new scan needs a new id",
                stored.log.id
            ),
        ));
    }
    let participant: Option<ParticipantRecord> = match stored.log.participant_id {
        Some(id) => db::participants::find(domain.db(), asker.tenant, asker.event, id).await?,
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

/// Stores a device's upload (see the module documentation); all or nothing.
pub async fn upload(
    domain: &Domain,
    device: &Device,
    upload: &ScanUpload,
) -> DomainResult<UploadAck> {
    let now = now_ms();
    let tenant = device.tenant_id;
    let event = device.event_id;
    check_report(&upload.report)?;
    if upload.scans.len() > MAX_SCANS_PER_UPLOAD {
        return Err(DomainError::invalid(
            "too_many_scans",
            format!(
                "an upload holds at most {MAX_SCANS_PER_UPLOAD} scans; this one has {}",
                upload.scans.len()
            ),
        ));
    }

    let checkpoints: HashMap<_, _> = db::events::checkpoints(domain.db(), tenant, event)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    let zones: HashMap<ZoneId, Zone> = db::events::zones(domain.db(), tenant, event)
        .await?
        .into_iter()
        .map(|z| (z.id, z))
        .collect();
    for scan in &upload.scans {
        if scan.event_id != event {
            return Err(DomainError::invalid(
                "wrong_event",
                format!(
                    "scan {} names event {}, but this device belongs to event {event}",
                    scan.id, scan.event_id
                ),
            ));
        }
        if !checkpoints.contains_key(&scan.checkpoint_id) {
            return Err(DomainError::invalid(
                "unknown_checkpoint",
                format!(
                    "scan {} names checkpoint {}, which this event does not have",
                    scan.id, scan.checkpoint_id
                ),
            ));
        }
        if !zones.contains_key(&scan.zone_id) {
            return Err(DomainError::invalid(
                "unknown_zone",
                format!(
                    "scan {} names zone {}, which this event does not have",
                    scan.id, scan.zone_id
                ),
            ));
        }
        let times = [
            ("device_time", scan.device_time),
            ("corrected_time", scan.corrected_time),
        ];
        if let Some((what, time)) = times.into_iter().find(|(_, t)| !DEVICE_TIMES.contains(t)) {
            return Err(bad_time(&format!("scan {} {what}", scan.id), time));
        }
        if scan.device_id.is_some_and(|d| d != device.id) {
            return Err(DomainError::invalid(
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
            return Err(DomainError::invalid(
                "unknown_zone",
                format!(
                    "an occupancy counter names zone {}, which this event does not have",
                    counter.zone_id
                ),
            ));
        }
        check_counter(counter)?;
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
    let logs_len = logs.len();
    let mut unit = UnitOfWork::begin(domain, tenant).await?;
    let new_ids = access_logs::insert_many(unit.tx(), tenant, &logs, now, Source::Device).await?;
    // Ids the tenant already held: acknowledged only when they are this device's scans.
    let known: Vec<String> = logs
        .iter()
        .map(|(log, _)| log.id.to_string())
        .filter(|id| !new_ids.contains(id))
        .collect();
    let held = access_logs::held_by_device(unit.tx(), tenant, event, device.id, &known).await?;
    let stored: HashSet<String> = new_ids.union(&held).cloned().collect();
    let fresh: Vec<AccessLog> = logs
        .into_iter()
        .map(|(log, _)| log)
        .filter(|log| new_ids.contains(&log.id.to_string()))
        .collect();

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
    let passes = access_logs::admitted_passes_of(unit.tx(), tenant, event, &people).await?;
    let mut duplicates: Vec<ScanId> = Vec::new();
    // Webhook events are built only for what some subscription wants.
    let wants = unit.subscribers().await?;
    let (want_scans, want_duplicates, want_thresholds) = (
        wants.want(hooks::CHECKIN_SCANNED),
        wants.want(hooks::OFFLINE_DUPLICATE),
        wants.want(hooks::OCCUPANCY_THRESHOLD_CROSSED),
    );
    let mut events: Vec<hooks::Event> = fresh
        .iter()
        .filter(|_| want_scans)
        .map(|log| hooks::scan(log, Source::Device.as_str()))
        .collect();
    for key in &touched {
        let Some(group) = passes.get(key) else {
            continue;
        };
        for (id, newly) in review_offline_duplicates(unit.tx(), tenant, group).await? {
            if newly && want_duplicates {
                events.push(hooks::offline_duplicate(&id, &event.to_string()));
            }
            if stored.contains(&id) {
                if let Ok(id) = id.parse() {
                    duplicates.push(ScanId(id));
                }
            }
        }
    }

    for counter in &upload.occupancy {
        // Thresholds are checked only for zones with a capacity that someone listens for: the
        // occupancy before and after this device's counter, read in this transaction.
        let watched = zones
            .get(&counter.zone_id)
            .filter(|z| z.capacity.is_some() && want_thresholds);
        let before = match watched {
            Some(z) => Some(db::occupancy::zone_in(unit.tx(), tenant, event, z.id).await?),
            None => None,
        };
        db::occupancy::merge(
            unit.tx(),
            tenant,
            event,
            &device.id.to_string(),
            counter.zone_id,
            // Both at most MAX_PASS_COUNT (checked above).
            i64::try_from(counter.ins).unwrap_or(db::occupancy::MAX_COUNT),
            i64::try_from(counter.outs).unwrap_or(db::occupancy::MAX_COUNT),
            now,
        )
        .await?;
        if let (Some(zone), Some(before)) = (watched, before) {
            let after = db::occupancy::zone_in(unit.tx(), tenant, event, zone.id).await?;
            events.extend(hooks::threshold_crossings(zone, before, after));
        }
    }

    let changes: Vec<Change> = fresh.iter().cloned().map(Change::Scan).collect();
    unit.publish(event, &changes, Some(device.id)).await?;

    let head = db::feed::head(domain.db(), tenant, event).await?;
    db::devices::record_report(
        unit.tx(),
        tenant,
        device.id,
        &upload.report,
        (head - upload.report.cursor).max(0),
        offset,
        now,
    )
    .await?;
    unit.webhooks(&events, now).await?;
    if !fresh.is_empty() || !upload.occupancy.is_empty() {
        unit.notify_live(event);
    }
    unit.commit().await?;

    if !duplicates.is_empty() {
        tracing::warn!(device = %device.id, count = duplicates.len(), "offline duplicate admissions flagged");
    }
    if stored.len() < logs_len {
        tracing::warn!(device = %device.id, count = logs_len - stored.len(), "uploaded scans whose ids another device or an integrator uses were not stored");
    }
    let mut acknowledged = HashSet::new();
    Ok(UploadAck {
        stored: upload
            .scans
            .iter()
            .map(|s| s.id)
            .filter(|id| stored.contains(&id.to_string()) && acknowledged.insert(*id))
            .collect(),
        offline_duplicates: duplicates,
        server_time: now,
    })
}

/// Refuses a device report the server cannot reason with: a feed cursor below zero, or a clock
/// outside `0..=MAX_DEVICE_TIME`.
fn check_report(report: &DeviceReport) -> DomainResult<()> {
    if report.cursor < 0 {
        return Err(DomainError::invalid(
            "bad_report",
            format!(
                "the report's cursor is {}; a feed cursor is 0 or more",
                report.cursor
            ),
        ));
    }
    if !DEVICE_TIMES.contains(&report.device_time) {
        return Err(bad_time("the report's device_time", report.device_time));
    }
    Ok(())
}

/// The refusal of a device time outside [`DEVICE_TIMES`]; `what` names it.
fn bad_time(what: &str, time: i64) -> DomainError {
    DomainError::invalid(
        "bad_time",
        format!(
            "{what} is {time}; a device time is Unix milliseconds from 0 to {MAX_DEVICE_TIME} \
             (year 9999)"
        ),
    )
}

/// Refuses a counter above [`MAX_PASS_COUNT`]: no gate admits that many people into one zone.
fn check_counter(counter: &OccupancyCounter) -> DomainResult<()> {
    for (what, value) in [("ins", counter.ins), ("outs", counter.outs)] {
        if value > MAX_PASS_COUNT {
            return Err(DomainError::invalid(
                "counter_out_of_range",
                format!(
                    "the occupancy counter of zone {} says {value} {what}; a device counts at \
                     most {MAX_PASS_COUNT} passes per zone, so the upload was refused",
                    counter.zone_id
                ),
            ));
        }
    }
    Ok(())
}

/// Walks one person's admitted passes through one zone in server-time order and flags each
/// admitted `in` that follows another device's admitted `in` with no `out` between: two gates
/// let the same badge in while they could not see each other. Returns the flagged ids, each
/// with whether this review flagged it (rather than an earlier one).
async fn review_offline_duplicates(
    tx: &mut Tx,
    tenant: gatehouse_core::TenantId,
    passes: &[access_logs::AdmittedPass],
) -> Result<Vec<(String, bool)>, gatehouse_db::DbError> {
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
