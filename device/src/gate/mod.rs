//! The headless gate behind `gatehouse-gate`: its settings and the JSON lines it prints, so
//! scripts, turnstile controllers and the end-to-end tests read every answer the same way.
//!
//! Environment the gate honours:
//! - `GATEHOUSE_GATE_DATA`: the state directory (same as `--data`);
//! - `GATEHOUSE_GATE_SYNCHRONOUS`: `normal` (default) or `full`, see [`gatehouse_sync::store`];
//! - `GATEHOUSE_GATE_CLOCK_SKEW_MS`: shifts the device clock by this many ms, to play a gate whose
//!   clock is wrong (tests of the server's time correction).

use std::time::Instant;

use gatehouse_core::protocol::Presented;
use gatehouse_core::{Checkpoint, Movement, Warning};
use gatehouse_sync::{Durability, ScanOptions, ScanOutcome, ScanStation, StoreError};
use serde::Serialize;

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
    pub fn new(outcome: &ScanOutcome, checkpoint: &Checkpoint, ms: f64) -> Self {
        let d = &outcome.decision;
        VerdictLine {
            verdict: d.verdict.as_str(),
            reason: d.reason.sentence(),
            reason_code: d.reason.code(),
            participant: outcome.participant.as_ref().map(|p| PersonLine {
                id: p.id.to_string(),
                name: p.name.clone(),
                category: p.category.clone(),
                organisation: p.organisation.clone(),
            }),
            ms: (ms * 1000.0).round() / 1000.0,
            scan_id: outcome.scan_id().to_string(),
            movement: outcome.log.movement.map(Movement::as_str),
            signal: d.verdict.signal(),
            warnings: d.warnings.clone(),
            checkpoint: checkpoint.name.clone(),
            device_time: outcome.log.device_time,
            corrected_time: outcome.log.corrected_time,
        }
    }
}

/// Scans once and times it, from the presented text to the committed record.
pub fn timed_scan(
    station: &mut ScanStation,
    presented: &Presented,
    checkpoint: &Checkpoint,
    options: &ScanOptions,
) -> Result<VerdictLine, StoreError> {
    let started = Instant::now();
    let outcome = station.scan(presented, checkpoint, options)?;
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    Ok(VerdictLine::new(&outcome, checkpoint, ms))
}

/// Reads `in`/`out` (and `entry`/`exit`) as the way through a both-ways checkpoint.
pub fn parse_direction(s: &str) -> Result<Movement, String> {
    match s.trim().to_ascii_lowercase().as_str() {
        "in" | "entry" => Ok(Movement::In),
        "out" | "exit" => Ok(Movement::Out),
        other => Err(format!("direction {other:?}: expected \"in\" or \"out\"")),
    }
}
