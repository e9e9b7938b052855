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
//! 2. the frame at half scale through rxing (ZXing-C++ port), as is and inverted (light-on-dark
//!    phone screens);
//! 3. the full-resolution frame (codes of 2.5–4 px per module);
//! 4. busy patches enlarged twice and sharpened ([`regions`]: codes of 2–3 px per module);
//! 5. our local-mean binarisation (faded, dim codes) and an unsharp mask (defocus).
//!
//! [`QrDecoder::decode`] runs all of them on one image (still frames, `decode-frames`).
//! [`QrDecoder::decode_live`], for camera streams, runs 1 and the first of 2 on every frame and one
//! of the rest per frame in turn: a badge in front of the camera for six frames has had every
//! pass, and no frame costs more than a frame's time.
//!
//! `cargo bench -p gatehouse-device --bench decode` prints the figures behind each choice.

pub mod binarize;
pub mod engines;
pub mod frames_command;
pub mod regions;
pub mod synth;

pub use frames_command::{decode_frames_command, DecodeFramesError, FrameReport};

use engines::Hit;
use image::GrayImage;
use rxing::DecodeHints;

/// Side of the neighbourhood of the local-mean binarisation: a few modules of a small code.
const LOCAL_MEAN_WINDOW: usize = 33;
/// How much darker than its neighbourhood a pixel must be to count as dark.
const LOCAL_MEAN_OFFSET: f32 = 0.04;
/// Unsharp mask of the sharpening pass: neighbourhood radius (half-scale pixels) and gain.
const SHARPEN_RADIUS: usize = 2;
const SHARPEN_AMOUNT: f32 = 1.5;
/// Busy patches this small or large (pixels across) are not read enlarged: smaller cannot hold
/// a ticket's code at 2 px per module; larger read at the frame's own scale.
const ENLARGE_MIN_SIDE: usize = 48;
const ENLARGE_MAX_SIDE: usize = 240;
/// At most this many patches per frame are read enlarged (bounds the cost of cluttered frames).
const ENLARGE_MAX_PATCHES: usize = 2;
/// Unsharp mask of an enlarged patch (pixels of the enlarged patch): the bench on 2–3 px codes
/// read 10 of 30 with these, 0 without sharpening.
const ENLARGE_SHARPEN_RADIUS: usize = 4;
const ENLARGE_SHARPEN_AMOUNT: f32 = 3.0;
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
    /// Find busy patches (see [`regions`]) and read each one enlarged: codes too fine or too
    /// soft for the full-frame search.
    pub enlarge_regions: bool,
    /// Unsharp-mask the (half-scale) frame and read it again: defocused codes.
    pub sharpen: bool,
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
            enlarge_regions: true,
            sharpen: true,
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
    Enlarged,
    Sharpened,
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
            Pass::Enlarged => "enlarged",
            Pass::Sharpened => "sharpened",
        }
    }
}

/// A code read from a frame.
#[derive(Debug, Clone, PartialEq)]
pub struct Decoded {
    pub text: String,
    pub pass: Pass,
}

/// One pass of the pipeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Region,
    /// rxing over the half-scale frame, inverted or not.
    Half(bool),
    /// rxing over the full frame, inverted or not.
    Full(bool),
    Enlarged,
    LocalMean,
    Sharpened,
    TryHarder,
    Rqrr,
}

/// How much of the pipeline one frame may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Budget {
    AllPasses,
    OneCostlyPass,
}

/// Where the last code was, and whether it was light-on-dark.
#[derive(Debug, Clone, Copy)]
struct LastHit {
    bounds: (f32, f32, f32, f32),
    inverted: bool,
    /// The code was only readable enlarged (fine modules): read its region enlarged too.
    enlarged: bool,
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
    /// Which costly pass [`QrDecoder::decode_live`] runs next.
    turn: usize,
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
            turn: 0,
        }
    }

    /// Forgets the last hit, e.g. between unrelated images.
    pub fn reset(&mut self) {
        self.last = None;
    }

    /// Reads the QR code in `frame`, if there is one, trying every pass the configuration
    /// enables. For still images (`decode-frames`) and anything judged frame by frame.
    pub fn decode(&mut self, frame: &GrayImage) -> Option<Decoded> {
        self.decode_with(frame, Budget::AllPasses)
    }

    /// Reads the QR code in one frame of a live camera stream, within a frame's time: the
    /// region of the last hit and the quick half-scale pass on every frame, plus one of the
    /// costlier passes, taken in turn from frame to frame. A badge held up for a fifth of a
    /// second (six frames at 30 fps) has been through every pass; an empty frame costs a
    /// fraction of [`QrDecoder::decode`]'s worst case.
    pub fn decode_live(&mut self, frame: &GrayImage) -> Option<Decoded> {
        self.decode_with(frame, Budget::OneCostlyPass)
    }

    fn decode_with(&mut self, frame: &GrayImage, budget: Budget) -> Option<Decoded> {
        let (w, h) = (frame.width() as usize, frame.height() as usize);
        let luma = frame.as_raw().as_slice();
        let found = self.run_steps(luma, w, h, budget);
        match &found {
            Some((hit, pass, inverted)) => {
                let enlarged = *pass == Pass::Enlarged
                    || (*pass == Pass::RegionOfInterest && self.last.is_some_and(|l| l.enlarged));
                self.last = hit.bounds().map(|bounds| LastHit {
                    bounds,
                    inverted: *inverted,
                    enlarged,
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

    /// The passes for this frame, cheapest first: the ones every frame gets, then the rest.
    fn plan(&self, w: usize) -> (Vec<Step>, Vec<Step>) {
        let c = &self.config;
        let prefer_inverted = self.last.is_some_and(|l| l.inverted) && c.inverted;
        let mut quick = Vec::new();
        let mut costly = Vec::new();
        if c.region_of_interest && self.last.is_some() {
            quick.push(Step::Region);
        }
        let half = c.half_scale && w >= HALF_SCALE_MIN_WIDTH;
        let first = if half {
            Step::Half(prefer_inverted)
        } else {
            Step::Full(prefer_inverted)
        };
        quick.push(first);
        if c.inverted {
            costly.push(if half {
                Step::Half(!prefer_inverted)
            } else {
                Step::Full(!prefer_inverted)
            });
        }
        if half {
            costly.push(Step::Full(false));
            if c.full_inverted {
                costly.push(Step::Full(true));
            }
        } else if c.full_inverted && !c.inverted {
            costly.push(Step::Full(true));
        }
        for (on, step) in [
            (c.enlarge_regions, Step::Enlarged),
            (c.local_mean, Step::LocalMean),
            (c.sharpen, Step::Sharpened),
            (c.try_harder, Step::TryHarder),
            (c.rqrr_fallback, Step::Rqrr),
        ] {
            if on {
                costly.push(step);
            }
        }
        (quick, costly)
    }

    fn run_steps(
        &mut self,
        luma: &[u8],
        w: usize,
        h: usize,
        budget: Budget,
    ) -> Option<(Hit, Pass, bool)> {
        let (quick, costly) = self.plan(w);
        let costly: Vec<Step> = match budget {
            Budget::AllPasses => costly,
            Budget::OneCostlyPass if costly.is_empty() => costly,
            Budget::OneCostlyPass => {
                let turn = self.turn % costly.len();
                self.turn = self.turn.wrapping_add(1);
                vec![costly[turn]]
            }
        };
        let polarities: &[bool] = match (self.config.inverted, self.last.map(|l| l.inverted)) {
            (false, _) => &[false],
            (true, Some(true)) => &[true, false],
            (true, _) => &[false, true],
        };
        let mut half = None;
        for step in quick.into_iter().chain(costly) {
            if let Some(found) = self.run_step(step, luma, w, h, &mut half, polarities) {
                return Some(found);
            }
        }
        None
    }

    fn run_step(
        &mut self,
        step: Step,
        luma: &[u8],
        w: usize,
        h: usize,
        half: &mut Option<(Vec<u8>, usize, usize)>,
        polarities: &[bool],
    ) -> Option<(Hit, Pass, bool)> {
        let use_half = self.config.half_scale && w >= HALF_SCALE_MIN_WIDTH;
        if use_half
            && half.is_none()
            && matches!(step, Step::Half(_) | Step::LocalMean | Step::Sharpened)
        {
            *half = Some(half_scale(luma, w, h));
        }
        // The half-scale frame where a pass wants it (large frames), else the frame itself.
        let (source, sw, sh, factor) = match half.as_ref().filter(|_| use_half) {
            Some((small, hw, hh)) => (small.as_slice(), *hw, *hh, 2.0),
            None => (luma, w, h, 1.0),
        };
        match step {
            Step::Region => {
                let last = self.last?;
                let hit = self.region_pass(luma, w, h, last)?;
                Some((hit, Pass::RegionOfInterest, last.inverted))
            }
            Step::Half(inverted) => {
                if !use_half {
                    return None;
                }
                let found = self.try_polarities(source, sw, sh, &[inverted], Pass::HalfScale)?;
                Some(scaled(found, 2.0))
            }
            Step::Full(inverted) => {
                let pass = if inverted {
                    Pass::FullInverted
                } else {
                    Pass::Full
                };
                self.try_polarities(luma, w, h, &[inverted], pass)
            }
            Step::Enlarged => self.enlarged_pass(luma, w, h, polarities),
            Step::LocalMean | Step::Sharpened => {
                let (filtered, pass) = if step == Step::LocalMean {
                    let b =
                        binarize::local_mean(source, sw, sh, LOCAL_MEAN_WINDOW, LOCAL_MEAN_OFFSET);
                    (b, Pass::LocalMean)
                } else {
                    let b = binarize::sharpen(source, sw, sh, SHARPEN_RADIUS, SHARPEN_AMOUNT);
                    (b, Pass::Sharpened)
                };
                let found = self.try_polarities(&filtered, sw, sh, polarities, pass)?;
                Some(scaled(found, factor))
            }
            Step::TryHarder => polarities.iter().find_map(|&inverted| {
                let buffer = polarity(&mut self.scratch, luma, inverted);
                engines::rxing(buffer, w, h, &self.harder)
                    .map(|hit| (hit, Pass::TryHarder, inverted))
            }),
            Step::Rqrr => polarities.iter().find_map(|&inverted| {
                let buffer = polarity(&mut self.scratch, luma, inverted);
                engines::rqrr_grey(buffer, w, h).map(|hit| (hit, Pass::Rqrr, inverted))
            }),
        }
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

    /// Reads each busy patch of the frame at twice its size, sharpened.
    fn enlarged_pass(
        &mut self,
        luma: &[u8],
        w: usize,
        h: usize,
        polarities: &[bool],
    ) -> Option<(Hit, Pass, bool)> {
        let patches = regions::busy_regions(
            luma,
            w,
            h,
            ENLARGE_MIN_SIDE,
            ENLARGE_MAX_SIDE,
            ENLARGE_MAX_PATCHES,
        );
        for region in patches {
            let margin = region.width().max(region.height()) / 6 + 8;
            let region = region.grown(margin, w, h);
            let (big, bw, bh) = regions::upscale(luma, w, region, 2);
            let crisp =
                binarize::sharpen(&big, bw, bh, ENLARGE_SHARPEN_RADIUS, ENLARGE_SHARPEN_AMOUNT);
            if let Some(mut found) = self.try_polarities(&crisp, bw, bh, polarities, Pass::Enlarged)
            {
                for p in &mut found.0.points {
                    p.0 = p.0 / 2.0 + region.left as f32;
                    p.1 = p.1 / 2.0 + region.top as f32;
                }
                return Some(found);
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
        let region = regions::Region {
            left,
            top,
            right,
            bottom,
        };
        let factor = if last.enlarged { 2 } else { 1 };
        let (mut crop, cw, ch) = regions::upscale(luma, w, region, factor);
        if last.enlarged {
            crop = binarize::sharpen(
                &crop,
                cw,
                ch,
                ENLARGE_SHARPEN_RADIUS,
                ENLARGE_SHARPEN_AMOUNT,
            );
        }
        if last.inverted {
            crop.iter_mut().for_each(|v| *v = 255 - *v);
        }
        let mut hit = engines::rxing(&crop, cw, ch, &self.quick)?;
        for p in &mut hit.points {
            p.0 = p.0 / factor as f32 + left as f32;
            p.1 = p.1 / factor as f32 + top as f32;
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
