//! The station's camera: frames from the profile's camera or a replayed folder go through the
//! device's scan loop ([`ScanLoop`]: decoding on a thread of its own, the profile's debounce),
//! each read is decided by the station, and whoever shows the station (a window) hears of each
//! verdict and of preview frames through its [`CameraFeed`].
//!
//! ```text
//! FrameSource ─► ScanLoop (decode, debounce) ─► Station::scan ─► CameraFeed::verdict
//!            └─► tap: every 100 ms a 640-px JPEG ─► CameraFeed::preview
//! ```
//!
//! The camera's states ([`CameraState`]): `off` without a camera; `starting` until the station
//! can scan (frames are only worth reading once it can decide: a replay would be lost
//! otherwise) and the source has opened; `live` from the first frame; `unavailable` when the
//! source cannot be opened or fails. A replay that played its last frame stays `live`.
//!
//! With a trace file, each camera verdict appends a JSON line with its frame's arrival time and
//! how long decoding, deciding and answering took, so a test can measure frame-to-screen time.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::scanning::RecordedScan;
use super::status::CameraState;
use super::Station;
use crate::debounce::Debounce;
use crate::frames::preview::{thumbnail_jpeg, FrameTap, PREVIEW_INTERVAL};
use crate::frames::{Frame, FrameError, FrameSource, Origin, ReplaySource, Scan, ScanLoop};
use crate::qr::QrDecoder;

/// How often the camera thread looks whether the station can scan yet.
const READY_POLL: Duration = Duration::from_millis(100);

/// Where frames come from.
#[derive(Debug, Clone)]
pub enum FrameInput {
    /// Image files played like a camera.
    Replay {
        dir: PathBuf,
        fps: f64,
        looping: bool,
    },
    /// The profile's camera (cargo feature `camera`).
    Camera,
    /// No camera at all: hand scanner and manual entry only.
    None,
}

/// What a window hears from the camera, on the camera's threads.
pub trait CameraFeed: Send + Sync + 'static {
    /// A camera read was decided and recorded.
    fn verdict(&self, scan: &RecordedScan);
    /// A preview frame: a JPEG at most [`PREVIEW_WIDTH`](crate::frames::preview::PREVIEW_WIDTH)
    /// pixels wide, at most every [`PREVIEW_INTERVAL`].
    fn preview(&self, jpeg: &[u8]);
}

/// Starts the station's camera on a thread of its own; `trace` is a file for timing lines.
pub fn spawn(
    station: Arc<Station>,
    input: FrameInput,
    feed: Arc<dyn CameraFeed>,
    trace: Option<PathBuf>,
) {
    let spawned = std::thread::Builder::new()
        .name("camera-loop".into())
        .spawn(move || run(station, &input, feed, trace.as_deref()));
    if let Err(e) = spawned {
        tracing::error!(error = %e, "cannot start the camera loop");
    }
}

fn run(station: Arc<Station>, input: &FrameInput, feed: Arc<dyn CameraFeed>, trace: Option<&Path>) {
    if matches!(input, FrameInput::None) {
        station.set_camera_state(CameraState::Off);
        return;
    }
    station.wait_ready(READY_POLL, || false);
    let source = match open_source(input, &station) {
        Ok(source) => source,
        Err(e) => {
            station.set_camera_state(CameraState::Unavailable);
            tracing::error!(code = e.code(), error = %e, "no camera: scanning by hand scanner and manual entry only");
            return;
        }
    };
    let profile = station.profile();
    let mut reads = ScanLoop::new(Debounce::new(profile.debounce_ms as i64), station.clock());
    let tap = Preview {
        station: Arc::clone(&station),
        feed: Arc::clone(&feed),
        last: None,
    };
    reads.add_frames_tapped(source, QrDecoder::default(), Some(Box::new(tap)));
    for read in reads {
        match station.scan(&read.text, Origin::Camera) {
            Ok(scan) => {
                feed.verdict(&scan);
                if let Some(file) = trace {
                    trace_line(file, &read, &scan);
                }
            }
            Err(e) => {
                tracing::warn!(code = e.code(), error = %e, "camera scan not recorded")
            }
        }
    }
}

fn open_source(input: &FrameInput, station: &Station) -> Result<Box<dyn FrameSource>, FrameError> {
    match input {
        FrameInput::Replay { dir, fps, looping } => Ok(Box::new(
            ReplaySource::open(dir, Some(*fps))?.looping(*looping),
        )),
        FrameInput::Camera => open_camera(station),
        FrameInput::None => Err(FrameError::NoCamera),
    }
}

#[cfg(feature = "camera")]
fn open_camera(station: &Station) -> Result<Box<dyn FrameSource>, FrameError> {
    use crate::frames::{CameraConfig, CameraSource};
    let settings = station.profile().camera;
    let source = CameraSource::open(CameraConfig {
        index: settings.index.unwrap_or(0),
        width: settings.width,
        height: settings.height,
        fps: settings.fps,
    })?;
    Ok(Box::new(source))
}

#[cfg(not(feature = "camera"))]
fn open_camera(_station: &Station) -> Result<Box<dyn FrameSource>, FrameError> {
    Err(FrameError::CameraSupportMissing)
}

/// The tap on the scan loop's frames: the camera's state, and the preview.
struct Preview {
    station: Arc<Station>,
    feed: Arc<dyn CameraFeed>,
    last: Option<Instant>,
}

impl FrameTap for Preview {
    fn frame(&mut self, frame: &Frame) {
        if self.station.camera_state() != CameraState::Live {
            self.station.set_camera_state(CameraState::Live);
        }
        if self.last.is_some_and(|t| t.elapsed() < PREVIEW_INTERVAL) {
            return;
        }
        self.last = Some(Instant::now());
        if let Some(jpeg) = thumbnail_jpeg(&frame.image) {
            self.feed.preview(&jpeg);
        }
    }

    fn ended(&mut self, error: Option<&FrameError>) {
        match error {
            None => tracing::info!("the replayed frames have all been played"),
            Some(e) => {
                self.station.set_camera_state(CameraState::Unavailable);
                tracing::error!(code = e.code(), error = %e, "the camera stopped");
            }
        }
    }
}

/// One timing line per camera verdict.
fn trace_line(file: &Path, read: &Scan, scan: &RecordedScan) {
    let decode_ms = read.decode_ms.unwrap_or(0.0);
    let line = serde_json::json!({
        "camera_verdict": scan.scan_id().to_string(),
        "verdict": scan.verdict().as_str(),
        "frame": read.frame,
        "frame_arrived_ms": read.at - decode_ms.round() as i64,
        "decode_ms": decode_ms,
        "decide_ms": (scan.ms * 1000.0).round() / 1000.0,
        "emitted_after_ms": read.seen.elapsed().as_secs_f64() * 1000.0,
    });
    let written = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(file)
        .and_then(|mut f| writeln!(f, "{line}"));
    if let Err(e) = written {
        tracing::warn!(error = %e, "cannot write the trace file");
    }
}
