//! Synthetic camera frames holding badge QR codes, for tests and benches.
//!
//! There is no camera on a build machine, and a decoder tuned on a handful of clean images fails
//! at a real gate. This generator renders a ticket's QR code the way a camera sees a badge:
//! printed on a card held in front of a cluttered background, tilted in 3-D (a true perspective
//! projection, not an affine shear), rotated, out of focus, noisy, dim, unevenly lit, small, or
//! shown light-on-dark on a phone. Each [`Difficulty`] draws its parameters at random from a range,
//! so a bench measures a decoder on a distribution of frames, not on one picture.

use gatehouse_core::ticket::{EventKeys, TicketClaims, TicketKey};
use gatehouse_core::{EventId, ParticipantId, TenantId};
use image::GrayImage;
use qrcode::{Color, EcLevel, QrCode};
use rand::Rng;
use uuid::Uuid;

/// Frame size of a 720p camera, what gates run at.
pub const FRAME_WIDTH: u32 = 1280;
pub const FRAME_HEIGHT: u32 = 720;

/// A class of frames, from easy to hard, as a bench reports them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Difficulty {
    /// Sharp, well lit, 4–8 px per module, nearly facing the camera.
    Clean,
    /// 2–3 px per module: a badge held far away.
    Small,
    /// Tilted 25–40° away from the camera.
    Tilted,
    /// Out of focus or moving.
    Blurred,
    /// Faded print or a dim room: dark and light modules only 25–50 grey levels apart.
    LowContrast,
    /// A strong light gradient or a shadow across the frame.
    UnevenLight,
    /// A phone screen in dark mode: light modules on a dark background.
    Inverted,
    /// Sensor noise of a cheap camera in poor light.
    Noisy,
    /// Several moderate distortions at once.
    Mixed,
    /// Background only: no code anywhere.
    Empty,
}

impl Difficulty {
    pub const ALL: [Difficulty; 10] = [
        Difficulty::Clean,
        Difficulty::Small,
        Difficulty::Tilted,
        Difficulty::Blurred,
        Difficulty::LowContrast,
        Difficulty::UnevenLight,
        Difficulty::Inverted,
        Difficulty::Noisy,
        Difficulty::Mixed,
        Difficulty::Empty,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Difficulty::Clean => "clean",
            Difficulty::Small => "small",
            Difficulty::Tilted => "tilted",
            Difficulty::Blurred => "blurred",
            Difficulty::LowContrast => "low_contrast",
            Difficulty::UnevenLight => "uneven_light",
            Difficulty::Inverted => "inverted",
            Difficulty::Noisy => "noisy",
            Difficulty::Mixed => "mixed",
            Difficulty::Empty => "empty",
        }
    }

    pub fn from_name(name: &str) -> Option<Difficulty> {
        Difficulty::ALL.into_iter().find(|d| d.name() == name)
    }

    /// Draws the parameters of one frame of this class.
    pub fn scene(self, text: Option<String>, rng: &mut impl Rng) -> Scene {
        let mut scene = Scene::clean(text, rng);
        match self {
            Difficulty::Clean => {}
            Difficulty::Small => scene.module_px = rng.gen_range(2.0..3.0),
            Difficulty::Tilted => {
                scene.tilt_deg = rng.gen_range(25.0..40.0);
                scene.module_px = rng.gen_range(4.0..7.0);
            }
            Difficulty::Blurred => {
                scene.module_px = rng.gen_range(4.0..7.0);
                scene.blur_px = scene.module_px * rng.gen_range(0.35..0.6);
            }
            Difficulty::LowContrast => {
                scene.paper = rng.gen_range(90.0..200.0);
                scene.ink = scene.paper - rng.gen_range(25.0..50.0);
            }
            Difficulty::UnevenLight => {
                scene.light_gradient = rng.gen_range(0.55..0.8);
                scene.shadow = rng.gen_bool(0.5);
            }
            Difficulty::Inverted => scene.inverted = true,
            Difficulty::Noisy => scene.noise = rng.gen_range(12.0..22.0),
            Difficulty::Mixed => {
                scene.module_px = rng.gen_range(3.0..5.0);
                scene.tilt_deg = rng.gen_range(10.0..30.0);
                scene.blur_px = rng.gen_range(0.8..1.5);
                scene.noise = rng.gen_range(4.0..10.0);
                scene.paper = rng.gen_range(140.0..220.0);
                scene.ink = scene.paper - rng.gen_range(50.0..90.0);
                scene.light_gradient = rng.gen_range(0.2..0.5);
                scene.inverted = rng.gen_bool(0.2);
            }
            Difficulty::Empty => scene.text = None,
        }
        scene
    }
}

/// Everything that decides how one frame looks.
#[derive(Debug, Clone, PartialEq)]
pub struct Scene {
    /// The code's text; `None` renders background only.
    pub text: Option<String>,
    /// Size of one module in pixels at the code's centre.
    pub module_px: f64,
    /// How far the card is turned away from the camera, degrees.
    pub tilt_deg: f64,
    /// The axis the card turns about, degrees in the image plane.
    pub tilt_axis_deg: f64,
    /// In-plane rotation of the card, degrees.
    pub rotation_deg: f64,
    /// Where the code's centre is, as a fraction of the frame (0..1, 0..1).
    pub center: (f64, f64),
    /// Grey level of the card (0..255).
    pub paper: f64,
    /// Grey level of the print (0..255).
    pub ink: f64,
    /// Light-on-dark (a phone in dark mode).
    pub inverted: bool,
    /// Standard deviation of the defocus blur, pixels.
    pub blur_px: f64,
    /// Standard deviation of sensor noise, grey levels.
    pub noise: f64,
    /// How much darker the darkest side of the frame is (0 = even light).
    pub light_gradient: f64,
    /// Direction the light falls from, degrees.
    pub light_angle_deg: f64,
    /// A hard-edged shadow across part of the frame.
    pub shadow: bool,
    /// Seed of the background clutter.
    pub background_seed: u64,
}

impl Scene {
    fn clean(text: Option<String>, rng: &mut impl Rng) -> Scene {
        Scene {
            text,
            module_px: rng.gen_range(4.0..8.0),
            tilt_deg: rng.gen_range(0.0..10.0),
            tilt_axis_deg: rng.gen_range(0.0..180.0),
            rotation_deg: rng.gen_range(0.0..360.0),
            center: (rng.gen_range(0.3..0.7), rng.gen_range(0.35..0.65)),
            paper: rng.gen_range(190.0..240.0),
            ink: rng.gen_range(20.0..60.0),
            inverted: false,
            blur_px: rng.gen_range(0.3..0.7),
            noise: rng.gen_range(1.0..4.0),
            light_gradient: rng.gen_range(0.0..0.15),
            light_angle_deg: rng.gen_range(0.0..360.0),
            shadow: false,
            background_seed: rng.gen(),
        }
    }
}

/// A fresh, real ticket text (92 Base45 characters) under a random event key.
pub fn random_ticket(rng: &mut impl Rng) -> String {
    let mut keys = EventKeys::new(
        TenantId(Uuid::from_u128(rng.gen())),
        EventId(Uuid::from_u128(rng.gen())),
    );
    keys.insert(TicketKey::new(rng.gen_range(1..100), rng.gen()));
    let claims = TicketClaims {
        participant_id: ParticipantId(Uuid::from_u128(rng.gen())),
        issued_at: rng.gen_range(1_700_000_000_000..1_900_000_000_000),
        credential_seq: rng.gen_range(0..5),
    };
    keys.issue(&claims, rng.gen())
        .expect("a fresh key ring with one key always issues")
}

/// The code's modules, `true` for dark, with a quiet zone of 4 modules, or `None` when the text
/// does not fit a QR code.
pub fn modules(text: &str) -> Option<(usize, Vec<bool>)> {
    let code = QrCode::with_error_correction_level(text, EcLevel::M).ok()?;
    let width = code.width();
    let quiet = 4;
    let side = width + 2 * quiet;
    let mut grid = vec![false; side * side];
    for (i, color) in code.to_colors().into_iter().enumerate() {
        let (x, y) = (i % width, i / width);
        grid[(y + quiet) * side + x + quiet] = color == Color::Dark;
    }
    Some((side, grid))
}

/// Renders one frame of `width` × `height`.
pub fn render(scene: &Scene, width: u32, height: u32) -> GrayImage {
    let (w, h) = (width as usize, height as usize);
    let mut rng = SplitMix(scene.background_seed);
    let mut pixels = background(w, h, &mut rng);

    if let Some((side, grid)) = scene.text.as_deref().and_then(modules) {
        draw_card(&mut pixels, w, h, scene, side, &grid);
    }
    if scene.blur_px > 0.05 {
        gaussian_blur(&mut pixels, w, h, scene.blur_px);
    }
    light_and_noise(&mut pixels, w, h, scene, &mut rng);

    let bytes = pixels
        .iter()
        .map(|v| v.round().clamp(0.0, 255.0) as u8)
        .collect();
    GrayImage::from_raw(width, height, bytes).expect("buffer has width × height pixels")
}

/// A frame of `difficulty` at 1280×720 holding a fresh ticket (none for [`Difficulty::Empty`]).
pub fn frame(difficulty: Difficulty, rng: &mut impl Rng) -> (Option<String>, GrayImage) {
    let text = (difficulty != Difficulty::Empty).then(|| random_ticket(rng));
    let scene = difficulty.scene(text.clone(), rng);
    (text, render(&scene, FRAME_WIDTH, FRAME_HEIGHT))
}

/// Clutter: a smooth mid-grey field with rectangles and stripes, so an empty frame has edges and
/// square-ish blobs a finder-pattern search can trip over.
fn background(w: usize, h: usize, rng: &mut SplitMix) -> Vec<f64> {
    let base = 70.0 + rng.unit() * 90.0;
    let (gx, gy) = (rng.unit() * 60.0 - 30.0, rng.unit() * 60.0 - 30.0);
    let mut pixels = vec![0.0; w * h];
    for y in 0..h {
        for x in 0..w {
            pixels[y * w + x] = base + gx * x as f64 / w as f64 + gy * y as f64 / h as f64;
        }
    }
    for _ in 0..40 {
        let rw = 10.0 + rng.unit() * 300.0;
        let rh = 10.0 + rng.unit() * 200.0;
        let x0 = rng.unit() * w as f64 - rw / 2.0;
        let y0 = rng.unit() * h as f64 - rh / 2.0;
        let level = 20.0 + rng.unit() * 220.0;
        let striped = rng.unit() < 0.3;
        let period = 3.0 + rng.unit() * 12.0;
        for y in (y0.max(0.0) as usize)..((y0 + rh).min(h as f64) as usize) {
            for x in (x0.max(0.0) as usize)..((x0 + rw).min(w as f64) as usize) {
                if !striped || ((x as f64 / period) as usize) & 1 == 0 {
                    pixels[y * w + x] = level;
                }
            }
        }
    }
    pixels
}

/// Projects the card through a pinhole camera: every pixel's ray meets the tilted card plane,
/// and the module under that point (4×4 supersampled) gives the pixel's grey level.
fn draw_card(pixels: &mut [f64], w: usize, h: usize, scene: &Scene, side: usize, grid: &[bool]) {
    let focal = 1000.0;
    let (cx, cy) = (scene.center.0 * w as f64, scene.center.1 * h as f64);
    let rot = scene.rotation_deg.to_radians();
    let (axis, tilt) = (
        scene.tilt_axis_deg.to_radians(),
        scene.tilt_deg.to_radians(),
    );
    // Card axes before tilting: in-plane rotation.
    let e1 = [rot.cos(), rot.sin(), 0.0];
    let e2 = [-rot.sin(), rot.cos(), 0.0];
    // Tilt about an in-plane axis (Rodrigues' rotation).
    let k = [axis.cos(), axis.sin(), 0.0];
    let tilt_vec = |v: [f64; 3]| -> [f64; 3] {
        let (c, s) = (tilt.cos(), tilt.sin());
        let kxv = cross(k, v);
        let kdv = dot(k, v);
        [
            v[0] * c + kxv[0] * s + k[0] * kdv * (1.0 - c),
            v[1] * c + kxv[1] * s + k[1] * kdv * (1.0 - c),
            v[2] * c + kxv[2] * s + k[2] * kdv * (1.0 - c),
        ]
    };
    let (e1, e2) = (tilt_vec(e1), tilt_vec(e2));
    let normal = cross(e1, e2);
    let origin = [0.0, 0.0, focal];
    let plane_d = dot(origin, normal);

    let (paper, ink) = if scene.inverted {
        (scene.ink.min(40.0), scene.paper)
    } else {
        (scene.paper, scene.ink)
    };
    // The card extends 2 modules past the quiet zone; a phone adds a black bezel.
    let half = side as f64 / 2.0;
    let card_half = half + 2.0;
    let bezel_half = if scene.inverted {
        card_half + 4.0
    } else {
        card_half
    };
    let reach = (bezel_half * scene.module_px * 1.5) as isize + 4;
    let sub = 4;
    for py in (cy as isize - reach).max(0)..(cy as isize + reach).min(h as isize) {
        for px in (cx as isize - reach).max(0)..(cx as isize + reach).min(w as isize) {
            let mut sum = 0.0;
            let mut hits = 0;
            for sy in 0..sub {
                for sx in 0..sub {
                    let u = px as f64 + (sx as f64 + 0.5) / sub as f64 - cx;
                    let v = py as f64 + (sy as f64 + 0.5) / sub as f64 - cy;
                    let ray = [u, v, focal];
                    let denom = dot(ray, normal);
                    if denom.abs() < 1e-9 {
                        continue;
                    }
                    let t = plane_d / denom;
                    let p = [ray[0] * t, ray[1] * t, ray[2] * t - focal];
                    let a = dot(p, e1) / scene.module_px;
                    let b = dot(p, e2) / scene.module_px;
                    if a.abs() > bezel_half || b.abs() > bezel_half {
                        continue;
                    }
                    hits += 1;
                    sum += if a.abs() > card_half || b.abs() > card_half {
                        8.0
                    } else {
                        let (mx, my) = ((a + half).floor(), (b + half).floor());
                        let dark = mx >= 0.0
                            && my >= 0.0
                            && (mx as usize) < side
                            && (my as usize) < side
                            && grid[my as usize * side + mx as usize];
                        if dark {
                            ink
                        } else {
                            paper
                        }
                    };
                }
            }
            if hits > 0 {
                let i = py as usize * w + px as usize;
                let cover = hits as f64 / (sub * sub) as f64;
                pixels[i] = pixels[i] * (1.0 - cover) + sum / hits as f64 * cover;
            }
        }
    }
}

fn light_and_noise(pixels: &mut [f64], w: usize, h: usize, scene: &Scene, rng: &mut SplitMix) {
    let angle = scene.light_angle_deg.to_radians();
    let (dx, dy) = (angle.cos(), angle.sin());
    let shadow_line = rng.unit() * w as f64;
    let shadow_slope = rng.unit() - 0.5;
    let mut noise = Gaussian::default();
    for y in 0..h {
        for x in 0..w {
            let (nx, ny) = (x as f64 / w as f64 - 0.5, y as f64 / h as f64 - 0.5);
            let along = (nx * dx + ny * dy) * 0.9 + 0.5;
            let mut light = 1.0 - scene.light_gradient * along.clamp(0.0, 1.0);
            if scene.shadow && (x as f64) < shadow_line + shadow_slope * y as f64 {
                light *= 0.55;
            }
            let i = y * w + x;
            pixels[i] = pixels[i] * light + noise.sample(rng) * scene.noise;
        }
    }
}

/// Three box blurs approximate a Gaussian of standard deviation `sigma`.
fn gaussian_blur(pixels: &mut [f64], w: usize, h: usize, sigma: f64) {
    let radius = ((sigma * sigma * 4.0 + 1.0).sqrt() / 2.0).round().max(1.0) as usize;
    let mut tmp = vec![0.0; pixels.len()];
    for _ in 0..3 {
        box_pass(pixels, &mut tmp, w, h, radius, true);
        box_pass(&tmp, pixels, w, h, radius, false);
    }
}

fn box_pass(src: &[f64], dst: &mut [f64], w: usize, h: usize, r: usize, horizontal: bool) {
    let (lines, len) = if horizontal { (h, w) } else { (w, h) };
    let at = |line: usize, i: usize| {
        if horizontal {
            line * w + i
        } else {
            i * w + line
        }
    };
    let norm = 1.0 / (2 * r + 1) as f64;
    for line in 0..lines {
        let mut acc = 0.0;
        for k in 0..=2 * r {
            acc += src[at(line, k.saturating_sub(r).min(len - 1))];
        }
        for i in 0..len {
            dst[at(line, i)] = acc * norm;
            let out = i.saturating_sub(r);
            let inn = (i + r + 1).min(len - 1);
            acc += src[at(line, inn)] - src[at(line, out)];
        }
    }
}

fn dot(a: [f64; 3], b: [f64; 3]) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

fn cross(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

/// A small deterministic generator for the background, so a scene renders the same every time.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Standard normal samples by the Box–Muller transform.
#[derive(Default)]
struct Gaussian(Option<f64>);

impl Gaussian {
    fn sample(&mut self, rng: &mut SplitMix) -> f64 {
        if let Some(v) = self.0.take() {
            return v;
        }
        let u1 = rng.unit().max(1e-12);
        let u2 = rng.unit();
        let r = (-2.0 * u1.ln()).sqrt();
        let theta = std::f64::consts::TAU * u2;
        self.0 = Some(r * theta.sin());
        r * theta.cos()
    }
}
