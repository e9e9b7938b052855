//! Check-in (`check-ins:write`): an integrator's turnstile or kiosk asks the server to decide a
//! badge at a checkpoint. The verdict comes from the same `decide` every gate runs, through the
//! same path as a device's online scan ([`check_in::online`]), and the scan joins the event's
//! access log (source `api`) and its occupancy.
//!
//! A retry is harmless: send a `scan_id` of your own, or an `Idempotency-Key` (the scan id is then
//! derived from the key and the API key), and asking again answers the first verdict without
//! recording a second scan. A different request under the same id or key (another badge,
//! checkpoint, direction or override) is refused with 422 `scan_id_in_use` or
//! `idempotency_key_reused`.

use axum::extract::{Path, State};
use axum::Json;
use gatehouse_core::protocol::{OnlineScanRequest, OnlineScanResponse, Presented};
use gatehouse_core::{CheckpointId, Movement, ScanId, Warning};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::idempotency::IdempotencyKey;
use super::{ErrorBody, ParticipantSummaryView};
use crate::auth::ApiCaller;
use crate::error::{ApiError, ApiResult};
use crate::extract::JsonBody;
use crate::state::AppState;
use gatehouse_domain::check_in::{self, Asker, Source};
use gatehouse_domain::{crypto, now_ms};

/// Which way a person passes, at a checkpoint that is both entry and exit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    In,
    Out,
}

/// A badge presented at a checkpoint: the QR text (`payload`) or the printed
/// `registration_code`, exactly one of them.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckInRequest {
    pub checkpoint_id: uuid::Uuid,
    /// The text of the badge's QR code.
    #[serde(default)]
    pub payload: Option<String>,
    /// The code printed under the QR, as typed (case, spaces and dashes do not matter).
    #[serde(default)]
    pub registration_code: Option<String>,
    /// `in` or `out`, at a checkpoint whose direction is `both`.
    #[serde(default)]
    pub direction: Option<Direction>,
    /// Admit despite `ALREADY_SCANNED`, for this reason (recorded).
    #[serde(default)]
    pub override_reason: Option<String>,
    /// Your id for this scan (a UUID): asking again with it answers the first verdict.
    #[serde(default)]
    pub scan_id: Option<uuid::Uuid>,
}

/// The verdict, as the gate would show it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CheckInView {
    pub scan_id: uuid::Uuid,
    /// `VALID`, `INVALID`, `UNKNOWN`, `REVOKED`, `EXPIRED`, `NOT_YET_VALID`, `WRONG_ZONE`,
    /// `ALREADY_SCANNED`, `MANUAL_OVERRIDE`, `BLOCKED` or `PENDING`.
    pub verdict: String,
    /// A stable reason code.
    pub reason: String,
    /// The reason for the person at the gate.
    pub reason_text: String,
    /// Whether the verdict lets the person through.
    pub admitted: bool,
    /// `in` or `out` for an admitted pass.
    pub movement: Option<String>,
    /// E.g. `zone_full` (informational: nobody is turned away for it).
    pub warnings: Vec<String>,
    pub participant: Option<ParticipantSummaryView>,
    /// Unix ms.
    pub server_time: i64,
}

impl From<OnlineScanResponse> for CheckInView {
    fn from(r: OnlineScanResponse) -> Self {
        CheckInView {
            scan_id: r.scan_id.0,
            verdict: r.verdict.as_str().to_owned(),
            reason: r.reason.code().to_owned(),
            reason_text: r.reason_text,
            admitted: r.verdict.admits(),
            movement: r.movement.map(|m| m.as_str().to_owned()),
            warnings: r
                .warnings
                .iter()
                .map(|w| match w {
                    Warning::ZoneFull { .. } => "zone_full".to_owned(),
                })
                .collect(),
            participant: r.participant.map(|p| ParticipantSummaryView {
                id: p.id.0,
                full_name: p.name,
                category: p.category,
                organisation: p.organisation,
            }),
            server_time: r.server_time,
        }
    }
}

/// Decides a badge at a checkpoint and records the scan.
#[utoipa::path(post, path = "/events/{event_id}/checkins", tag = "check-ins",
    params(("event_id" = uuid::Uuid, Path),
        ("Idempotency-Key" = Option<String>, Header,
            description = "Retrying with the same key answers the first verdict and records nothing")),
    request_body = CheckInRequest,
    responses(
        (status = 200, body = CheckInView),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 415, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 429, body = ErrorBody),
    ),
    security(("api_key" = ["check-ins:write"]))
)]
pub async fn create(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(event_id): Path<String>,
    IdempotencyKey(idempotency_key): IdempotencyKey,
    JsonBody(body): JsonBody<serde_json::Value>,
) -> ApiResult<Json<CheckInView>> {
    caller.require("check-ins:write")?;
    let event = super::event_of(&state, &caller, &event_id).await?;
    let req: CheckInRequest = super::from_object(body)?;
    let presented = match (req.payload, req.registration_code) {
        (Some(p), None) => Presented::Payload(p),
        (None, Some(c)) => Presented::RegistrationCode(c),
        _ => {
            return Err(ApiError::unprocessable(
                "invalid_body",
                "send exactly one of payload (the QR text) and registration_code",
            ))
        }
    };
    let named_by_key = req.scan_id.is_none() && idempotency_key.is_some();
    let scan_id = match (req.scan_id, &idempotency_key) {
        (Some(id), _) => id,
        (None, Some(key)) => {
            // The same key from the same API key names the same scan.
            let d = crypto::digest(&format!("check-in\n{}\n{key}", caller.key.id));
            let bytes: [u8; 16] =
                std::array::from_fn(|i| u8::from_str_radix(&d[2 * i..2 * i + 2], 16).unwrap_or(0));
            uuid::Builder::from_random_bytes(bytes).into_uuid()
        }
        (None, None) => uuid::Uuid::now_v7(),
    };
    let asker = Asker {
        tenant: caller.tenant_id(),
        event: event.id,
        device: None,
        source: Source::Api,
    };
    let answer = check_in::online(
        state.domain(),
        &asker,
        &OnlineScanRequest {
            scan_id: ScanId(scan_id),
            presented,
            checkpoint_id: CheckpointId(req.checkpoint_id),
            requested: req.direction.map(|d| match d {
                Direction::In => Movement::In,
                Direction::Out => Movement::Out,
            }),
            override_reason: req.override_reason,
            device_time: now_ms(),
        },
    )
    .await
    .map_err(|e| match e.code {
        "scan_id_in_use" if named_by_key => ApiError::unprocessable(
            "idempotency_key_reused",
            "this Idempotency-Key was used for a different check-in (another badge, checkpoint, \
             direction or override); use a new key for a new check-in",
        ),
        _ => e.into(),
    })?;
    Ok(Json(answer.into()))
}
