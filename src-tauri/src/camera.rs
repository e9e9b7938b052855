//! The camera loop: frames from a camera or a replayed folder, QR decoding and verdicts on a
//! thread of its own, and the small JPEG preview the scanning screen shows.
//!
//! ```text
//! FrameSource ─► decode (QrDecoder) ─► debounce ─► Runtime::scan ─► event `verdict`
//!            └─► every 100 ms: 640-px JPEG ─► event `camera-frame`
//! ```
//!
//! Nothing here runs on the UI thread. With `GATEHOUSE_APP_TRACE=FILE` each camera verdict
//! appends a JSON line with the frame's arrival time, so a test can measure frame-to-screen time.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use gatehouse_device::debounce::Debounce;
use gatehouse_device::frames::{FrameError, FrameSource, ReplaySource};
use gatehouse_device::qr::QrDecoder;
use image::GrayImage;
use tauri::{AppHandle, Emitter};

use crate::runtime::{CameraState, Runtime, Source};
use crate::wire::CameraFrame;

/// Preview frames per second at most.
const PREVIEW_INTERVAL: Duration = Duration::from_millis(100);
/// Preview width in pixels (height keeps the aspect ratio).
const PREVIEW_WIDTH: u32 = 640;
const PREVIEW_QUALITY: u8 = 60;

/// Where frames come from.
#[derive(Debug, Clone)]
pub enum FrameInput {
    /// Image files played like a camera (`--frames DIR`).
    Replay {
        dir: PathBuf,
        fps: f64,
        looping: bool,
    },
    /// The profile's camera (cargo feature `camera`).
    Camera,
    /// No camera at all (`--no-camera`): hand scanner and manual entry only.
    None,
}

/// Encodes a grey frame as a small JPEG `data:` URL for the preview.
pub fn preview_data_url(frame: &GrayImage) -> Option<String> {
    let (w, h) = frame.dimensions();
    if w == 0 || h == 0 {
        return None;
    }
    let small;
    let shown = if w > PREVIEW_WIDTH {
        let height = ((h as u64 * PREVIEW_WIDTH as u64) / w as u64).max(1) as u32;
        small = image::imageops::resize(
            frame,
            PREVIEW_WIDTH,
            height,
            image::imageops::FilterType::Triangle,
        );
        &small
    } else {
        frame
    };
    let mut jpeg = Vec::new();
    let mut encoder =
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, PREVIEW_QUALITY);
    encoder
        .encode(
            shown.as_raw(),
            shown.width(),
            shown.height(),
            image::ExtendedColorType::L8,
        )
        .ok()?;
    Some(format!(
        "data:image/jpeg;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(&jpeg)
    ))
}

fn open_source(
    input: &FrameInput,
    rt: &Runtime,
) -> Result<Option<Box<dyn FrameSource>>, FrameError> {
    match input {
        FrameInput::None => Ok(None),
        FrameInput::Replay { dir, fps, looping } => Ok(Some(Box::new(
            ReplaySource::open(dir, Some(*fps))?.looping(*looping),
        ))),
        FrameInput::Camera => open_camera(rt),
    }
}

#[cfg(feature = "camera")]
fn open_camera(rt: &Runtime) -> Result<Option<Box<dyn FrameSource>>, FrameError> {
    use gatehouse_device::frames::{CameraConfig, CameraSource};
    let settings = rt.profile().camera;
    let source = CameraSource::open(CameraConfig {
        index: settings.index.unwrap_or(0),
        width: settings.width,
        height: settings.height,
        fps: settings.fps,
    })?;
    Ok(Some(Box::new(source)))
}

#[cfg(not(feature = "camera"))]
fn open_camera(_rt: &Runtime) -> Result<Option<Box<dyn FrameSource>>, FrameError> {
    Err(FrameError::CameraSupportMissing)
}

fn trace_line(line: &serde_json::Value) {
    let Some(file) = std::env::var_os("GATEHOUSE_APP_TRACE") else {
        return;
    };
    let written = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&file)
        .and_then(|mut f| writeln!(f, "{line}"));
    if let Err(e) = written {
        tracing::warn!(error = %e, "cannot write the trace file");
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Starts the camera loop on its own thread.
pub fn spawn(rt: Arc<Runtime>, app: AppHandle, input: FrameInput) {
    let spawned = std::thread::Builder::new()
        .name("camera-loop".into())
        .spawn(move || run(&rt, &app, &input));
    if let Err(e) = spawned {
        tracing::error!(error = %e, "cannot start the camera loop");
    }
}

fn run(rt: &Runtime, app: &AppHandle, input: &FrameInput) {
    if matches!(input, FrameInput::None) {
        rt.set_camera_state(CameraState::Off);
        return;
    }
    // Frames are only worth reading once the gate can decide (a replay would be lost otherwise).
    rt.wait_ready(Duration::from_millis(100), || false);
    let mut source = match open_source(input, rt) {
        Ok(Some(source)) => source,
        Ok(None) => {
            rt.set_camera_state(CameraState::Off);
            return;
        }
        Err(e) => {
            rt.set_camera_state(CameraState::Unavailable);
            tracing::error!(code = e.code(), error = %e, "no camera: scanning by hand scanner and manual entry only");
            return;
        }
    };
    let mut decoder = QrDecoder::default();
    let mut debounce = Debounce::new(rt.profile().debounce_ms as i64);
    let mut last_preview: Option<Instant> = None;
    loop {
        let frame = match source.next_frame() {
            Ok(Some(frame)) => frame,
            Ok(None) => {
                tracing::info!("the replayed frames have all been played");
                return;
            }
            Err(e @ FrameError::Unreadable { .. }) => {
                tracing::warn!(code = e.code(), error = %e, "skipping a frame");
                continue;
            }
            Err(e) => {
                rt.set_camera_state(CameraState::Unavailable);
                tracing::error!(code = e.code(), error = %e, "the camera stopped");
                return;
            }
        };
        if rt.camera_state() != CameraState::Live {
            rt.set_camera_state(CameraState::Live);
        }
        let arrived_ms = now_ms();
        let arrived = Instant::now();
        if rt.ready_to_scan() {
            if let Some(decoded) = decoder.decode_live(&frame.image) {
                let decode_ms = arrived.elapsed().as_secs_f64() * 1000.0;
                if debounce.accept(&decoded.text, arrived_ms) {
                    match rt.scan(&decoded.text, Source::Camera) {
                        Ok(result) => {
                            if let Err(e) = app.emit("verdict", &result) {
                                tracing::warn!(error = %e, "cannot send the verdict to the window");
                            }
                            trace_line(&serde_json::json!({
                                "camera_verdict": result.scan_id,
                                "verdict": result.verdict,
                                "frame": frame.name,
                                "frame_arrived_ms": arrived_ms,
                                "decode_ms": decode_ms,
                                "decide_ms": result.ms,
                                "emitted_after_ms": arrived.elapsed().as_secs_f64() * 1000.0,
                            }));
                        }
                        Err(e) => {
                            tracing::warn!(code = %e.code, error = %e.message, "camera scan not recorded")
                        }
                    }
                }
            }
        }
        if last_preview.is_none_or(|t| t.elapsed() >= PREVIEW_INTERVAL) {
            last_preview = Some(Instant::now());
            if let Some(data_url) = preview_data_url(&frame.image) {
                let _ = app.emit("camera-frame", CameraFrame { data_url });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_720p_frame_becomes_a_small_jpeg_data_url() {
        let frame = GrayImage::from_fn(1280, 720, |x, y| image::Luma([((x ^ y) & 0xff) as u8]));
        let url = preview_data_url(&frame).unwrap();
        assert!(url.starts_with("data:image/jpeg;base64,"));
        let jpeg = base64::engine::general_purpose::STANDARD
            .decode(&url["data:image/jpeg;base64,".len()..])
            .unwrap();
        let back = image::load_from_memory(&jpeg).unwrap();
        assert_eq!((back.width(), back.height()), (640, 360));
    }
}
