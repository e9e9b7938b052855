//! Where frames come from: a camera, or image files replayed at a chosen rate.
//!
//! The scan loop does not care which: both are a [`FrameSource`]. Tests and demos replay a folder
//! of images (no camera on a build machine); a gate reads a USB or built-in camera through nokhwa
//! (cargo feature `camera`, on by default). A screen's preview taps the loop ([`preview`]).

#[cfg(feature = "camera")]
pub mod camera;
pub mod preview;
pub mod replay;
pub mod scan_loop;

#[cfg(feature = "camera")]
pub use camera::{list_cameras, CameraConfig, CameraInfo, CameraSource};
pub use preview::FrameTap;
pub use replay::ReplaySource;
pub use scan_loop::{Origin, Scan, ScanLoop};

use std::path::{Path, PathBuf};

use image::GrayImage;
use thiserror::Error;

/// One grey frame, as the decoder wants it.
#[derive(Debug, Clone)]
pub struct Frame {
    pub image: GrayImage,
    /// Where it came from: a file name for replayed frames, `None` from a camera.
    pub name: Option<String>,
}

/// Why a source gave no frame. Each has a stable [`code`](FrameError::code).
#[derive(Debug, Error)]
pub enum FrameError {
    #[error("no camera found (is one plugged in, and may this user open /dev/video*?)")]
    NoCamera,
    #[error("camera {index} does not exist: {available} camera(s) found")]
    CameraIndexOutOfRange { index: u32, available: usize },
    #[error("the camera failed: {0}")]
    Camera(String),
    #[error("this build has no camera support (cargo feature `camera` is off)")]
    CameraSupportMissing,
    #[error("cannot read {path}: {reason}")]
    Unreadable { path: PathBuf, reason: String },
    #[error("{0} holds no image files")]
    NoImages(PathBuf),
    #[error("the frame rate must be a positive number of frames per second, not {0}")]
    BadFrameRate(f64),
}

impl FrameError {
    pub fn code(&self) -> &'static str {
        match self {
            FrameError::NoCamera => "no_camera",
            FrameError::CameraIndexOutOfRange { .. } => "camera_index_out_of_range",
            FrameError::Camera(_) => "camera_failed",
            FrameError::CameraSupportMissing => "camera_support_missing",
            FrameError::Unreadable { .. } => "frame_unreadable",
            FrameError::NoImages(_) => "no_images",
            FrameError::BadFrameRate(_) => "bad_frame_rate",
        }
    }
}

/// Anything that yields frames one after another.
pub trait FrameSource: Send {
    /// The next frame, blocking until it is due. `Ok(None)` means the source has ended (a replay
    /// that played its last image); a camera never ends, it reconnects.
    fn next_frame(&mut self) -> Result<Option<Frame>, FrameError>;

    /// A live source drops frames the decoder has no time for (the newest frame matters);
    /// a replay keeps every frame so a test sees each one.
    fn is_live(&self) -> bool;
}

/// Reads an image file as grey.
pub fn load_grey(path: &Path) -> Result<GrayImage, FrameError> {
    let unreadable = |reason: String| FrameError::Unreadable {
        path: path.to_path_buf(),
        reason,
    };
    let reader = image::ImageReader::open(path)
        .map_err(|e| unreadable(e.to_string()))?
        .with_guessed_format()
        .map_err(|e| unreadable(e.to_string()))?;
    let image = reader.decode().map_err(|e| unreadable(e.to_string()))?;
    Ok(image.into_luma8())
}
