//! Writes a folder of camera frames for `gatehouse-app --frames DIR`: a few empty frames (the
//! camera looking at the hall), then frames showing the QR code of each text given, each held in
//! front of the camera for `--hold` frames, the way a badge is. Frames are rendered by the camera
//! engineer's generator (`gatehouse_device::qr::synth`), so they look like a camera's.
//!
//! ```text
//! cargo run -p gatehouse-app --example qr_frames -- OUT_DIR [--empty N] [--hold N] TEXT...
//! ```
//!
//! Options apply to the texts after them: `--empty 40 A --empty 200 B` shows A after 40 empty
//! frames and B after 200 more.

use std::path::PathBuf;

use anyhow::{bail, Context};
use gatehouse_device::qr::synth::{self, Difficulty, FRAME_HEIGHT, FRAME_WIDTH};
use rand::SeedableRng;

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let out = PathBuf::from(
        args.next()
            .context("usage: qr_frames OUT_DIR [--empty N] [--hold N] TEXT...")?,
    );
    let (mut empty, mut hold) = (5usize, 3usize);
    let mut plan: Vec<(usize, usize, String)> = Vec::new();
    while let Some(a) = args.next() {
        match a.as_str() {
            "--empty" => empty = args.next().context("--empty N")?.parse()?,
            "--hold" => hold = args.next().context("--hold N")?.parse()?,
            _ => plan.push((empty, hold, a)),
        }
    }
    if plan.is_empty() {
        bail!("give at least one text to show as a QR code");
    }
    std::fs::create_dir_all(&out).with_context(|| format!("cannot create {}", out.display()))?;
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    // A few views of the empty hall, reused: rendering is the slow part.
    let hall: Vec<image::GrayImage> = (0..3)
        .map(|_| {
            synth::render(
                &Difficulty::Empty.scene(None, &mut rng),
                FRAME_WIDTH,
                FRAME_HEIGHT,
            )
        })
        .collect();
    let mut n = 0;
    let mut write = |img: &image::GrayImage| -> anyhow::Result<()> {
        let file = out.join(format!("frame-{n:04}.png"));
        img.save(&file)
            .with_context(|| format!("cannot write {}", file.display()))?;
        n += 1;
        Ok(())
    };
    for (empty, hold, text) in &plan {
        for i in 0..*empty {
            write(&hall[i % hall.len()])?;
        }
        let scene = Difficulty::Clean.scene(Some(text.clone()), &mut rng);
        let frame = synth::render(&scene, FRAME_WIDTH, FRAME_HEIGHT);
        for _ in 0..*hold {
            write(&frame)?;
        }
    }
    println!("{}", serde_json::json!({"frames": n, "dir": out}));
    Ok(())
}
