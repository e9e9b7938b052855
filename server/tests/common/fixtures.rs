//! What the tests present and upload: the demo's tickets and checkpoints (from demo.json), the
//! badge a gate reads, an online scan request, an offline scan and the upload that carries it.

use gatehouse_core::protocol::{
    DeviceReport, OccupancyCounter, OnlineScanRequest, Presented, ScanUpload,
};
use gatehouse_core::{AccessLog, Movement, ParticipantId, Reason, ScanId, Verdict};
use serde_json::Value;

use super::Server;

pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

impl Server {
    /// The demo event's id.
    pub fn event_id(&self) -> String {
        self.demo_json()["event_id"].as_str().unwrap().to_owned()
    }

    /// The REST API key the demo hands out (all scopes).
    pub fn demo_api_key(&self) -> String {
        self.demo_json()["api_key"].as_str().unwrap().to_owned()
    }
}

/// A ticket of demo.json matching `pred`.
pub fn ticket(demo: &Value, pred: impl Fn(&Value) -> bool) -> &Value {
    demo["tickets"]
        .as_array()
        .expect("tickets")
        .iter()
        .find(|t| pred(t))
        .expect("demo.json has such a ticket")
}

/// Every ticket of demo.json matching `pred`.
pub fn tickets(demo: &Value, pred: impl Fn(&Value) -> bool) -> Vec<&Value> {
    demo["tickets"]
        .as_array()
        .expect("tickets")
        .iter()
        .filter(|t| pred(t))
        .collect()
}

/// A ticket of someone approved and not blocked: a badge that gets in.
pub fn approved(t: &Value) -> bool {
    t["status"] == "approved" && t["blocked"] == false
}

/// The participant a ticket of demo.json belongs to.
pub fn participant_of(t: &Value) -> ParticipantId {
    t["participant_id"].as_str().unwrap().parse().unwrap()
}

/// The id and zone of the demo checkpoint with this name.
pub fn checkpoint(demo: &Value, name: &str) -> (String, String) {
    let cp = demo["checkpoints"]
        .as_array()
        .expect("checkpoints")
        .iter()
        .find(|c| c["name"] == name)
        .expect("checkpoint exists");
    (
        cp["id"].as_str().unwrap().to_string(),
        cp["zone"].as_str().unwrap().to_string(),
    )
}

/// The QR payload printed on a ticket's badge, as a gate reads it.
pub fn badge(t: &Value) -> Presented {
    Presented::Payload(t["payload"].as_str().unwrap().to_owned())
}

/// What a gate sends to `POST /sync/v1/scan`: a fresh scan id, the device's clock now.
pub fn online_scan(checkpoint_id: &str, presented: Presented) -> OnlineScanRequest {
    OnlineScanRequest {
        scan_id: ScanId(uuid::Uuid::now_v7()),
        presented,
        checkpoint_id: checkpoint_id.parse().unwrap(),
        requested: None,
        override_reason: None,
        device_time: now_ms(),
    }
}

/// A scan a gate made offline at checkpoint `cp`, with the reason a gate gives for it.
pub fn offline_scan(
    demo: &Value,
    cp: &str,
    participant: ParticipantId,
    movement: Movement,
    verdict: Verdict,
    device_time: i64,
) -> AccessLog {
    let (cp_id, zone) = checkpoint(demo, cp);
    AccessLog {
        id: ScanId(uuid::Uuid::now_v7()),
        event_id: demo["event_id"].as_str().unwrap().parse().unwrap(),
        checkpoint_id: cp_id.parse().unwrap(),
        zone_id: zone.parse().unwrap(),
        device_id: None,
        participant_id: Some(participant),
        credential_seq: Some(0),
        movement: Some(movement),
        verdict,
        reason: match (verdict, movement) {
            (Verdict::Valid, Movement::In) => Reason::Admitted,
            (Verdict::Valid, _) => Reason::ExitRecorded,
            _ => Reason::AlreadyInside,
        },
        override_reason: None,
        device_time,
        corrected_time: device_time,
    }
}

/// An admission at the main gate entry, made offline at `at`.
pub fn offline_admission(demo: &Value, participant: ParticipantId, at: i64) -> AccessLog {
    offline_scan(
        demo,
        "Main gate entry",
        participant,
        Movement::In,
        Verdict::Valid,
        at,
    )
}

/// The report a gate sends with each upload: all synced, nothing waiting.
pub fn device_report(device_time: i64) -> DeviceReport {
    DeviceReport {
        app_version: "test-1.0".into(),
        profile: Some("gate-laptop".into()),
        cursor: 0,
        outbox_depth: 0,
        device_time,
    }
}

/// A gate's upload of `scans` and its zone counters, reported now.
pub fn scan_upload(scans: Vec<AccessLog>, occupancy: Vec<OccupancyCounter>) -> ScanUpload {
    ScanUpload {
        scans,
        occupancy,
        report: device_report(now_ms()),
    }
}
