//! The headless gate behind `gatehouse-gate`: its settings and the JSON lines it prints, so
//! scripts, turnstile controllers and the end-to-end tests read every answer the same way.
//!
//! Environment the gate honours:
//! - `GATEHOUSE_GATE_DATA`: the state directory (same as `--data`);
//! - `GATEHOUSE_GATE_SYNCHRONOUS`: `normal` (default) or `full`, see [`gatehouse_sync::store`];
//! - `GATEHOUSE_GATE_CLOCK_SKEW_MS`: shifts the device clock by this many ms, to play a gate whose
//!   clock is wrong (tests of the server's time correction).

use gatehouse_core::{Checkpoint, Movement, Warning};
use gatehouse_sync::Durability;
use serde::Serialize;

use crate::station::RecordedScan;

/// Environment variable choosing how hard commits are pushed to disk.
pub const SYNCHRONOUS_ENV: &str = "GATEHOUSE_GATE_SYNCHRONOUS";

/// Reads [`SYNCHRONOUS_ENV`]; unset means [`Durability::Normal`].
pub fn durability_from_env() -> Result<Durability, String> {
    match std::env::var(SYNCHRONOUS_ENV) {
        Ok(v) => Durability::parse(&v)
            .ok_or_else(|| format!("{SYNCHRONOUS_ENV}={v:?}: expected \"normal\" or \"full\"")),
        Err(_) => Ok(Durability::Normal),
    }
}

/// Who a verdict is about.
#[derive(Debug, Clone, Serialize)]
pub struct PersonLine {
    pub id: String,
    pub name: String,
    pub category: String,
    pub organisation: Option<String>,
}

/// One scan's answer as printed: one JSON object per scan.
#[derive(Debug, Clone, Serialize)]
pub struct VerdictLine {
    pub verdict: &'static str,
    /// The sentence for the person at the gate.
    pub reason: &'static str,
    pub reason_code: &'static str,
    pub participant: Option<PersonLine>,
    /// From the presented text to the durable record, in milliseconds.
    pub ms: f64,
    pub scan_id: String,
    pub movement: Option<&'static str>,
    pub signal: gatehouse_core::decide::Signal,
    pub warnings: Vec<Warning>,
    pub checkpoint: String,
    pub device_time: i64,
    pub corrected_time: i64,
}

impl VerdictLine {
    /// The line of a scan the station recorded at `checkpoint`.
    pub fn new(scan: &RecordedScan, checkpoint: &Checkpoint) -> Self {
        VerdictLine {
            verdict: scan.verdict().as_str(),
            reason: scan.reason().sentence(),
            reason_code: scan.reason().code(),
            participant: scan.participant.as_ref().map(|p| PersonLine {
                id: p.id.to_string(),
                name: p.name.clone(),
                category: p.category.clone(),
                organisation: p.organisation.clone(),
            }),
            ms: (scan.ms * 1000.0).round() / 1000.0,
            scan_id: scan.scan_id().to_string(),
            movement: scan.movement().map(Movement::as_str),
            signal: scan.verdict().signal(),
            warnings: scan.warnings.clone(),
            checkpoint: checkpoint.name.clone(),
            device_time: scan.log.device_time,
            corrected_time: scan.log.corrected_time,
        }
    }
}
