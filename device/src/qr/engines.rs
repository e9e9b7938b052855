//! Thin wrappers over the two QR decoders we use, so the pipeline speaks one language:
//! a grey buffer in, the text and where the code sits out.
//!
//! rxing (a port of ZXing-C++) is the workhorse: its hybrid (local-mean) binariser copes with
//! uneven light and low contrast, and it reads tilted and small-module codes that rqrr misses.
//! rqrr is a second opinion with a different sampler, used on a binarised crop when rxing finds
//! nothing.

use rxing::common::HybridBinarizer;
use rxing::qrcode::cpp_port::QrReader;
use rxing::{BarcodeFormat, BinaryBitmap, DecodeHints, Luma8Source, Reader};
use std::collections::HashSet;

/// A code found in a buffer: its text and the corners (or finder centres) in buffer pixels.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub text: String,
    pub points: Vec<(f32, f32)>,
}

impl Hit {
    /// The axis-aligned box around the points, `(x0, y0, x1, y1)`.
    pub fn bounds(&self) -> Option<(f32, f32, f32, f32)> {
        let first = self.points.first()?;
        let mut b = (first.0, first.1, first.0, first.1);
        for &(x, y) in &self.points {
            b = (b.0.min(x), b.1.min(y), b.2.max(x), b.3.max(y));
        }
        Some(b)
    }
}

/// Hints for a QR-only search (no 1-D, Aztec, ... readers: faster, and no false reads of
/// barcodes that are not ours).
pub fn qr_hints(try_harder: bool) -> DecodeHints {
    DecodeHints {
        PossibleFormats: Some(HashSet::from([BarcodeFormat::QR_CODE])),
        TryHarder: Some(try_harder),
        ..DecodeHints::default()
    }
}

/// rxing's QR reader over a grey buffer of `width` × `height`.
pub fn rxing(luma: &[u8], width: usize, height: usize, hints: &DecodeHints) -> Option<Hit> {
    if width == 0 || height == 0 || luma.len() != width * height {
        return None;
    }
    let source = Luma8Source::new_with_slice(luma, width as u32, height as u32).ok()?;
    let mut bitmap = BinaryBitmap::new(HybridBinarizer::new(source));
    let result = QrReader.decode_with_hints(&mut bitmap, hints).ok()?;
    let points = result.getPoints().iter().map(|p| (p.x, p.y)).collect();
    Some(Hit {
        text: result.getText().to_string(),
        points,
    })
}

/// The first grid rqrr decodes (its image type is private to rqrr, hence a macro).
macro_rules! first_grid {
    ($img:expr) => {{
        let mut found = None;
        for grid in $img.detect_grids() {
            if let Ok((_, text)) = grid.decode() {
                let points = grid
                    .bounds
                    .iter()
                    .map(|p| (p.x as f32, p.y as f32))
                    .collect();
                found = Some(Hit { text, points });
                break;
            }
        }
        found
    }};
}

/// rqrr over a grey buffer, with its own (row running-mean) binarisation.
pub fn rqrr_grey(luma: &[u8], width: usize, height: usize) -> Option<Hit> {
    if width == 0 || height == 0 || luma.len() != width * height {
        return None;
    }
    let mut img =
        rqrr::PreparedImage::prepare_from_greyscale(width, height, |x, y| luma[y * width + x]);
    first_grid!(img)
}

/// rqrr over an already binarised buffer (`true` = dark), skipping its own thresholding.
pub fn rqrr_binary(dark: &[bool], width: usize, height: usize) -> Option<Hit> {
    if width == 0 || height == 0 || dark.len() != width * height {
        return None;
    }
    let mut img =
        rqrr::PreparedImage::prepare_from_bitmap(width, height, |x, y| dark[y * width + x]);
    first_grid!(img)
}
