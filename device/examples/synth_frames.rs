//! Writes a folder of synthetic 1280×720 badge frames, one sub-folder per difficulty, plus an
//! `expected.jsonl` naming the ticket text of each file (null for empty frames).
//!
//! `cargo run -p gatehouse-device --release --example synth_frames -- OUT_DIR [PER_CLASS] [SEED]`
//! then e.g. `gatehouse-gate decode-frames OUT_DIR/tilted`.

use std::io::Write;
use std::path::PathBuf;

use gatehouse_device::qr::synth::{self, Difficulty};
use rand::rngs::StdRng;
use rand::SeedableRng;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let out: PathBuf = args
        .next()
        .ok_or("usage: synth_frames OUT_DIR [PER_CLASS] [SEED]")?
        .into();
    let per_class: usize = args.next().map(|v| v.parse()).transpose()?.unwrap_or(20);
    let seed: u64 = args.next().map(|v| v.parse()).transpose()?.unwrap_or(1);
    let mut rng = StdRng::seed_from_u64(seed);
    let mut expected = std::fs::File::create(out.join("expected.jsonl")).or_else(|_| {
        std::fs::create_dir_all(&out)?;
        std::fs::File::create(out.join("expected.jsonl"))
    })?;
    for difficulty in Difficulty::ALL {
        let dir = out.join(difficulty.name());
        std::fs::create_dir_all(&dir)?;
        for i in 0..per_class {
            let (text, image) = synth::frame(difficulty, &mut rng);
            let file = format!("{}-{i:03}.png", difficulty.name());
            image.save(dir.join(&file))?;
            let line = serde_json::json!({"dir": difficulty.name(), "file": file, "text": text});
            writeln!(expected, "{line}")?;
        }
        eprintln!("{}: {per_class} frames", difficulty.name());
    }
    Ok(())
}
