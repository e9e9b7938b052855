//! What a screen shows of the camera while the scan loop reads it: every frame passes a
//! [`FrameTap`] on the decoder's thread, and [`thumbnail_jpeg`] makes the small JPEG a preview
//! needs (at most [`PREVIEW_WIDTH`] pixels wide), no more often than [`PREVIEW_INTERVAL`] if the
//! tap follows it: a preview is for people, the decoder gets every frame.

use std::time::Duration;

use image::GrayImage;

use super::{Frame, FrameError};

/// Preview frames per second at most: ten.
pub const PREVIEW_INTERVAL: Duration = Duration::from_millis(100);
/// Preview width in pixels (the height keeps the aspect ratio).
pub const PREVIEW_WIDTH: u32 = 640;
/// JPEG quality of a preview: enough to aim a badge at the camera.
pub const PREVIEW_QUALITY: u8 = 60;

/// Sees the frames of a [`ScanLoop`](super::ScanLoop) source as they are read.
pub trait FrameTap: Send {
    /// One frame, after its read (if any) has gone to the loop.
    fn frame(&mut self, frame: &Frame);

    /// The source has ended: `None` when a replay played its last frame, else why it stopped.
    fn ended(&mut self, error: Option<&FrameError>);
}

/// A grey frame as a small JPEG for a preview; `None` for an empty frame.
pub fn thumbnail_jpeg(frame: &GrayImage) -> Option<Vec<u8>> {
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
    Some(jpeg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_720p_frame_becomes_a_640_pixel_jpeg() {
        let frame = GrayImage::from_fn(1280, 720, |x, y| image::Luma([((x ^ y) & 0xff) as u8]));
        let jpeg = thumbnail_jpeg(&frame).unwrap();
        let back = image::load_from_memory(&jpeg).unwrap();
        assert_eq!((back.width(), back.height()), (640, 360));
    }

    #[test]
    fn a_small_frame_keeps_its_size_and_an_empty_one_has_no_preview() {
        let frame = GrayImage::from_pixel(320, 240, image::Luma([128]));
        let back = image::load_from_memory(&thumbnail_jpeg(&frame).unwrap()).unwrap();
        assert_eq!((back.width(), back.height()), (320, 240));
        assert!(thumbnail_jpeg(&GrayImage::new(0, 0)).is_none());
    }
}
