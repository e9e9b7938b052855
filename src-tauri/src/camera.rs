//! The camera as the window sees it: the station's camera (`gatehouse_device::station::camera`,
//! the device's scan loop with a preview tap) tells this feed of each verdict and preview frame,
//! and the feed emits them as the events `verdict` and `camera-frame`.

use base64::Engine as _;
use gatehouse_device::station::{CameraFeed, RecordedScan};
use tauri::{AppHandle, Emitter};

use crate::wire::{CameraFrame, ScanResult};

/// Emits the camera's verdicts and previews to the window.
pub struct WindowFeed(pub AppHandle);

impl CameraFeed for WindowFeed {
    fn verdict(&self, scan: &RecordedScan) {
        if let Err(e) = self.0.emit("verdict", ScanResult::from(scan)) {
            tracing::warn!(error = %e, "cannot send the verdict to the window");
        }
    }

    fn preview(&self, jpeg: &[u8]) {
        let _ = self.0.emit(
            "camera-frame",
            CameraFrame {
                data_url: jpeg_data_url(jpeg),
            },
        );
    }
}

/// A JPEG as a `data:` URL the webview can show.
pub fn jpeg_data_url(jpeg: &[u8]) -> String {
    format!(
        "data:image/jpeg;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(jpeg)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use gatehouse_device::frames::preview::thumbnail_jpeg;

    #[test]
    fn a_720p_frame_becomes_a_small_jpeg_data_url() {
        let frame =
            image::GrayImage::from_fn(1280, 720, |x, y| image::Luma([((x ^ y) & 0xff) as u8]));
        let url = jpeg_data_url(&thumbnail_jpeg(&frame).unwrap());
        assert!(url.starts_with("data:image/jpeg;base64,"));
        let jpeg = base64::engine::general_purpose::STANDARD
            .decode(&url["data:image/jpeg;base64,".len()..])
            .unwrap();
        let back = image::load_from_memory(&jpeg).unwrap();
        assert_eq!((back.width(), back.height()), (640, 360));
    }
}
