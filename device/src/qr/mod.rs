//! Turning a camera frame into the text of the badge's QR code, fast and on hard frames.
//!
//! One frame is 33 ms at 30 fps, and the decode is only one step of the scan path, so the
//! decoder must usually finish in a few milliseconds, must read what a real gate sees (blur,
//! tilt, dim or uneven light, small codes far away, phones in dark mode), and must spend little
//! on the many frames that hold no code at all. [`QrDecoder`] runs cheap passes first and keeps
//! the expensive ones for frames where they pay off:
//!
//! 1. the region around the last hit, when there was one a moment ago (a badge held up stays
//!    put between frames);
//! 2. the whole frame through rxing (ZXing-C++ port, local-mean binarisation);
//! 3. the whole frame inverted (light-on-dark phone screens);
//! 4. fallbacks that the bench showed to rescue hard frames (see [`DecoderConfig`]).
//!
//! `cargo bench -p gatehouse-device --bench decode` prints the figures behind each choice.

pub mod binarize;
pub mod engines;
pub mod frames_command;
pub mod synth;

pub use frames_command::{decode_frames_command, DecodeFramesError, FrameReport};

use engines::Hit;
use image::GrayImage;
use rxing::DecodeHints;

/// Side of the neighbourhood of the local-mean binarisation: a few modules of a small code.
const LOCAL_MEAN_WINDOW: usize = 33;
/// How much darker than its neighbourhood a pixel must be to count as dark.
const LOCAL_MEAN_OFFSET: f32 = 0.04;
/// How many frames the last hit's region is tried first after a hit.
const ROI_FRAMES: u32 = 15;

/// Which passes a [`QrDecoder`] runs, cheapest first. [`DecoderConfig::default`] is what the
/// gate uses; the bench turns passes on and off to show what each one buys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecoderConfig {
    /// Try the region of the last hit first.
    pub region_of_interest: bool,
    /// Start with the frame scaled down by two (large frames only): a quarter of the pixels,
    /// and the averaging removes sensor noise. Codes of 4+ px per module are read here.
    pub half_scale: bool,
    /// Try light-on-dark codes (phone screens) in the half-scale and local-mean passes.
    pub inverted: bool,
    /// Also try light-on-dark at full resolution (small inverted codes; costs a full pass on
    /// every frame without a code).
    pub full_inverted: bool,
    /// rxing over our own local-mean binarisation (faded, dim codes), at half scale for large
    /// frames.
    pub local_mean: bool,
    /// rxing's exhaustive finder-pattern search on the full frame.
    pub try_harder: bool,
    /// rqrr over the full frame when rxing found nothing.
    pub rqrr_fallback: bool,
}

impl Default for DecoderConfig {
    fn default() -> Self {
        DecoderConfig {
            region_of_interest: true,
            half_scale: true,
            inverted: true,
            full_inverted: false,
            local_mean: true,
            try_harder: false,
            rqrr_fallback: false,
        }
    }
}

/// Frames at least this wide get the half-scale passes.
const HALF_SCALE_MIN_WIDTH: usize = 960;

/// Which pass read the code (for the bench and for logs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pass {
    RegionOfInterest,
    Full,
    FullInverted,
    TryHarder,
    Rqrr,
    LocalMean,
    HalfScale,
}

impl Pass {
    pub fn name(self) -> &'static str {
        match self {
            Pass::RegionOfInterest => "roi",
            Pass::Full => "full",
            Pass::FullInverted => "full_inverted",
            Pass::TryHarder => "try_harder",
            Pass::Rqrr => "rqrr",
            Pass::LocalMean => "local_mean",
            Pass::HalfScale => "half_scale",
        }
    }
}

/// A code read from a frame.
#[derive(Debug, Clone, PartialEq)]
pub struct Decoded {
    pub text: String,
    pub pass: Pass,
}

/// Where the last code was, and whether it was light-on-dark.
#[derive(Debug, Clone, Copy)]
struct LastHit {
    bounds: (f32, f32, f32, f32),
    inverted: bool,
    frames_ago: u32,
}

/// The frame decoder of one camera. It keeps a little state between frames (where the last
/// code was, and its polarity), so use one per frame stream.
pub struct QrDecoder {
    config: DecoderConfig,
    quick: DecodeHints,
    harder: DecodeHints,
    last: Option<LastHit>,
    scratch: Vec<u8>,
}

impl std::fmt::Debug for QrDecoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QrDecoder")
            .field("config", &self.config)
            .field("last", &self.last)
            .finish_non_exhaustive()
    }
}

impl Default for QrDecoder {
    fn default() -> Self {
        QrDecoder::new(DecoderConfig::default())
    }
}

impl QrDecoder {
    pub fn new(config: DecoderConfig) -> Self {
        QrDecoder {
            config,
            quick: engines::qr_hints(false),
            harder: engines::qr_hints(true),
            last: None,
            scratch: Vec::new(),
        }
    }

    /// Forgets the last hit, e.g. between unrelated images.
    pub fn reset(&mut self) {
        self.last = None;
    }

    /// Reads the QR code in `frame`, if there is one.
    pub fn decode(&mut self, frame: &GrayImage) -> Option<Decoded> {
        let (w, h) = (frame.width() as usize, frame.height() as usize);
        let luma = frame.as_raw().as_slice();
        let found = self.run_passes(luma, w, h);
        match &found {
            Some((hit, _, inverted)) => {
                self.last = hit.bounds().map(|bounds| LastHit {
                    bounds,
                    inverted: *inverted,
                    frames_ago: 0,
                });
            }
            None => {
                if let Some(last) = &mut self.last {
                    last.frames_ago += 1;
                    if last.frames_ago > ROI_FRAMES {
                        self.last = None;
                    }
                }
            }
        }
        found.map(|(hit, pass, _)| Decoded {
            text: hit.text,
            pass,
        })
    }

    fn run_passes(&mut self, luma: &[u8], w: usize, h: usize) -> Option<(Hit, Pass, bool)> {
        let prefer_inverted = self.last.is_some_and(|l| l.inverted) && self.config.inverted;

        if self.config.region_of_interest {
            if let Some(last) = self.last {
                if let Some(hit) = self.region_pass(luma, w, h, last) {
                    return Some((hit, Pass::RegionOfInterest, last.inverted));
                }
            }
        }

        let polarities: &[bool] = match (self.config.inverted, prefer_inverted) {
            (false, _) => &[false],
            (true, false) => &[false, true],
            (true, true) => &[true, false],
        };
        let half =
            (self.config.half_scale && w >= HALF_SCALE_MIN_WIDTH).then(|| half_scale(luma, w, h));

        if let Some((small, hw, hh)) = &half {
            if let Some(found) = self.try_polarities(small, *hw, *hh, polarities, Pass::HalfScale) {
                return Some(scaled(found, 2.0));
            }
        }

        let full_polarities: &[bool] = if self.config.full_inverted {
            polarities
        } else {
            &[false]
        };
        if let Some(found) = self.try_polarities(luma, w, h, full_polarities, Pass::Full) {
            let pass = if found.2 {
                Pass::FullInverted
            } else {
                Pass::Full
            };
            return Some((found.0, pass, found.2));
        }

        if self.config.local_mean {
            let (source, sw, sh, factor) = match &half {
                Some((small, hw, hh)) => (small.as_slice(), *hw, *hh, 2.0),
                None => (luma, w, h, 1.0),
            };
            let binary = binarize::local_mean(source, sw, sh, LOCAL_MEAN_WINDOW, LOCAL_MEAN_OFFSET);
            if let Some(found) = self.try_polarities(&binary, sw, sh, polarities, Pass::LocalMean) {
                return Some(scaled(found, factor));
            }
        }

        if self.config.try_harder {
            for &inverted in polarities {
                let buffer = polarity(&mut self.scratch, luma, inverted);
                if let Some(hit) = engines::rxing(buffer, w, h, &self.harder) {
                    return Some((hit, Pass::TryHarder, inverted));
                }
            }
        }

        if self.config.rqrr_fallback {
            for &inverted in polarities {
                let buffer = polarity(&mut self.scratch, luma, inverted);
                if let Some(hit) = engines::rqrr_grey(buffer, w, h) {
                    return Some((hit, Pass::Rqrr, inverted));
                }
            }
        }
        None
    }

    /// rxing's quick search over `luma` in each of `polarities`.
    fn try_polarities(
        &mut self,
        luma: &[u8],
        w: usize,
        h: usize,
        polarities: &[bool],
        pass: Pass,
    ) -> Option<(Hit, Pass, bool)> {
        for &inverted in polarities {
            let buffer = polarity(&mut self.scratch, luma, inverted);
            if let Some(hit) = engines::rxing(buffer, w, h, &self.quick) {
                return Some((hit, pass, inverted));
            }
        }
        None
    }

    /// Decodes a crop around the last hit, in the last hit's polarity.
    fn region_pass(&mut self, luma: &[u8], w: usize, h: usize, last: LastHit) -> Option<Hit> {
        let (x0, y0, x1, y1) = last.bounds;
        let margin = (x1 - x0).max(y1 - y0) * 0.75 + 16.0;
        let left = (x0 - margin).max(0.0) as usize;
        let top = (y0 - margin).max(0.0) as usize;
        let right = ((x1 + margin) as usize).min(w);
        let bottom = ((y1 + margin) as usize).min(h);
        if right <= left + 16 || bottom <= top + 16 {
            return None;
        }
        let (cw, ch) = (right - left, bottom - top);
        let mut crop = Vec::with_capacity(cw * ch);
        for y in top..bottom {
            let row = &luma[y * w + left..y * w + right];
            if last.inverted {
                crop.extend(row.iter().map(|v| 255 - v));
            } else {
                crop.extend_from_slice(row);
            }
        }
        let mut hit = engines::rxing(&crop, cw, ch, &self.quick)?;
        for p in &mut hit.points {
            p.0 += left as f32;
            p.1 += top as f32;
        }
        Some(hit)
    }
}

/// The frame as is, or inverted into `scratch`.
fn polarity<'a>(scratch: &'a mut Vec<u8>, luma: &'a [u8], inverted: bool) -> &'a [u8] {
    if !inverted {
        return luma;
    }
    scratch.clear();
    scratch.extend(luma.iter().map(|v| 255 - v));
    scratch
}

/// The frame at half width and height, each pixel the mean of a 2×2 block.
fn half_scale(luma: &[u8], w: usize, h: usize) -> (Vec<u8>, usize, usize) {
    let (hw, hh) = (w / 2, h / 2);
    let mut out = Vec::with_capacity(hw * hh);
    for y in 0..hh {
        let (top, bottom) = (&luma[2 * y * w..], &luma[(2 * y + 1) * w..]);
        for x in 0..hw {
            let sum = top[2 * x] as u16
                + top[2 * x + 1] as u16
                + bottom[2 * x] as u16
                + bottom[2 * x + 1] as u16;
            out.push((sum / 4) as u8);
        }
    }
    (out, hw, hh)
}

/// A hit found in a scaled-down buffer, in full-frame coordinates.
fn scaled((mut hit, pass, inverted): (Hit, Pass, bool), factor: f32) -> (Hit, Pass, bool) {
    for p in &mut hit.points {
        p.0 *= factor;
        p.1 *= factor;
    }
    (hit, pass, inverted)
}
