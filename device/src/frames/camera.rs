//! A USB or built-in camera through nokhwa.
//!
//! A gate runs for days, and a USB camera gets knocked out and plugged back in. The camera is
//! read on its own capture thread that reopens it with a growing pause (backoff) whenever it
//! fails, while [`CameraSource::next_frame`] always hands out the newest frame: a slow decode
//! never makes the gate answer to a frame from a second ago.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use image::GrayImage;
use nokhwa::pixel_format::LumaFormat;
use nokhwa::utils::{
    ApiBackend, CameraFormat, CameraIndex, FrameFormat, RequestedFormat, RequestedFormatType,
    Resolution,
};
use nokhwa::Camera;

use super::{Frame, FrameError, FrameSource};

/// The first pause before reopening a failed camera; it doubles up to [`MAX_BACKOFF`].
pub const FIRST_BACKOFF: Duration = Duration::from_millis(250);
pub const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// How long [`CameraSource::open`] waits for the first frame before giving up.
pub const FIRST_FRAME_TIMEOUT: Duration = Duration::from_secs(10);

/// Which camera, at what size and rate. The camera picks its closest supported format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CameraConfig {
    /// The camera's index as [`list_cameras`] reports it (`/dev/videoN` on Linux).
    pub index: u32,
    pub width: u32,
    pub height: u32,
    pub fps: u32,
}

impl Default for CameraConfig {
    fn default() -> Self {
        CameraConfig {
            index: 0,
            width: 1280,
            height: 720,
            fps: 30,
        }
    }
}

/// A camera the system offers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CameraInfo {
    pub index: u32,
    pub name: String,
    pub description: String,
}

/// The cameras this machine has (an empty list when there are none).
pub fn list_cameras() -> Result<Vec<CameraInfo>, FrameError> {
    let found = nokhwa::query(ApiBackend::Auto).map_err(|e| FrameError::Camera(e.to_string()))?;
    Ok(found
        .into_iter()
        .filter_map(|info| {
            Some(CameraInfo {
                index: info.index().as_index().ok()?,
                name: info.human_name(),
                description: info.description().to_string(),
            })
        })
        .collect())
}

/// The newest frame, shared between the capture thread and the reader.
#[derive(Default)]
struct Latest {
    slot: Mutex<Slot>,
    ready: Condvar,
}

#[derive(Default)]
struct Slot {
    frame: Option<GrayImage>,
    first_error: Option<String>,
    opened_once: bool,
}

/// A live camera. Frames that arrive while the decoder is busy are replaced by newer ones.
pub struct CameraSource {
    latest: Arc<Latest>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for CameraSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CameraSource").finish_non_exhaustive()
    }
}

impl CameraSource {
    /// Opens the camera and waits for its first frame. Fails with a clear error when there is
    /// no camera, no camera of that index, or the camera does not deliver.
    pub fn open(config: CameraConfig) -> Result<CameraSource, FrameError> {
        let cameras = list_cameras()?;
        if cameras.is_empty() {
            return Err(FrameError::NoCamera);
        }
        if !cameras.iter().any(|c| c.index == config.index) {
            return Err(FrameError::CameraIndexOutOfRange {
                index: config.index,
                available: cameras.len(),
            });
        }
        let latest = Arc::new(Latest::default());
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (latest, stop) = (latest.clone(), stop.clone());
            std::thread::Builder::new()
                .name("camera-capture".into())
                .spawn(move || capture(config, &latest, &stop))
                .map_err(|e| FrameError::Camera(e.to_string()))?
        };
        let source = CameraSource {
            latest,
            stop,
            thread: Some(thread),
        };
        source.wait_for_first_frame()?;
        Ok(source)
    }

    fn wait_for_first_frame(&self) -> Result<(), FrameError> {
        let slot = self.latest.slot.lock().unwrap_or_else(|p| p.into_inner());
        let (slot, _) = self
            .latest
            .ready
            .wait_timeout_while(slot, FIRST_FRAME_TIMEOUT, |s| {
                !s.opened_once && s.first_error.is_none()
            })
            .unwrap_or_else(|p| p.into_inner());
        if slot.opened_once {
            return Ok(());
        }
        Err(FrameError::Camera(slot.first_error.clone().unwrap_or_else(
            || format!("no frame within {} s", FIRST_FRAME_TIMEOUT.as_secs()),
        )))
    }
}

impl Drop for CameraSource {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        self.latest.ready.notify_all();
        if let Some(thread) = self.thread.take() {
            // The capture thread notices `stop` within one frame or one backoff pause.
            let _ = thread.join();
        }
    }
}

impl FrameSource for CameraSource {
    fn next_frame(&mut self) -> Result<Option<Frame>, FrameError> {
        let slot = self.latest.slot.lock().unwrap_or_else(|p| p.into_inner());
        let mut slot = self
            .latest
            .ready
            .wait_while(slot, |s| {
                s.frame.is_none() && !self.stop.load(Ordering::Relaxed)
            })
            .unwrap_or_else(|p| p.into_inner());
        Ok(slot.frame.take().map(|image| Frame { image, name: None }))
    }

    fn is_live(&self) -> bool {
        true
    }
}

/// The capture thread: open, read until it fails, pause, reopen.
fn capture(config: CameraConfig, latest: &Latest, stop: &AtomicBool) {
    let mut backoff = FIRST_BACKOFF;
    while !stop.load(Ordering::Relaxed) {
        match open_camera(config) {
            Ok(mut camera) => {
                backoff = FIRST_BACKOFF;
                tracing::info!(index = config.index, "camera streaming");
                while !stop.load(Ordering::Relaxed) {
                    let frame = camera
                        .frame()
                        .and_then(|buffer| buffer.decode_image::<LumaFormat>());
                    match frame {
                        Ok(image) => {
                            let mut slot = latest.slot.lock().unwrap_or_else(|p| p.into_inner());
                            slot.frame = Some(image);
                            slot.opened_once = true;
                            latest.ready.notify_all();
                        }
                        Err(e) => {
                            tracing::warn!(index = config.index, error = %e, "camera lost; reopening");
                            break;
                        }
                    }
                }
                let _ = camera.stop_stream();
            }
            Err(e) => {
                tracing::warn!(index = config.index, error = %e, retry_in_ms = backoff.as_millis() as u64, "cannot open camera");
                let mut slot = latest.slot.lock().unwrap_or_else(|p| p.into_inner());
                if slot.first_error.is_none() {
                    slot.first_error = Some(e.to_string());
                    latest.ready.notify_all();
                }
            }
        }
        sleep_unless_stopped(backoff, stop);
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

fn open_camera(config: CameraConfig) -> Result<Camera, nokhwa::NokhwaError> {
    let wanted = CameraFormat::new(
        Resolution::new(config.width, config.height),
        FrameFormat::MJPEG,
        config.fps,
    );
    let format = RequestedFormat::new::<LumaFormat>(RequestedFormatType::Closest(wanted));
    let mut camera = Camera::new(CameraIndex::Index(config.index), format)?;
    camera.open_stream()?;
    Ok(camera)
}

fn sleep_unless_stopped(pause: Duration, stop: &AtomicBool) {
    let step = Duration::from_millis(50);
    let mut slept = Duration::ZERO;
    while slept < pause && !stop.load(Ordering::Relaxed) {
        std::thread::sleep(step);
        slept += step;
    }
}
