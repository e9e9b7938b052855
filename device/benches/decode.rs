//! Decode rate and time per 1280×720 frame, by difficulty, for plain rqrr, plain rxing and our
//! pipeline. Prints one JSON line per (decoder, difficulty) and a summary line per decoder.
//!
//! `cargo bench -p gatehouse-device --bench decode` (release). Environment:
//! `DECODE_BENCH_FRAMES` frames per difficulty (default 40), `DECODE_BENCH_SEED` (default 7),
//! `DECODE_BENCH_DECODERS` comma-separated list of `rqrr`, `rxing`, `pipeline` and variants that
//! add (`+`) or drop (`-`) passes: `roi`, `half`, `inverted`, `fullinv`, `local`, `harder`, `rqrr`, `enlarge`, `sharpen`,
//! e.g. `pipeline-local+fullinv`. `live` (same flags) is the camera stream's budgeted decode
//! ([`QrDecoder::decode_live`]): each badge is shown for up to 6 frames (a fifth of a second at
//! 30 fps), its rate is "read within those frames" and its times are per frame.

use std::time::Instant;

use gatehouse_device::qr::engines;
use gatehouse_device::qr::synth::{self, Difficulty};
use gatehouse_device::qr::{DecoderConfig, QrDecoder};
use image::GrayImage;
use rand::rngs::StdRng;
use rand::SeedableRng;
use serde_json::json;

/// Decodes one frame; the flag says whether it is the first frame of a new badge.
type DecodeFn = Box<dyn FnMut(&GrayImage, bool) -> Option<String>>;

/// Frames a badge is held up for in the `live` runs: a fifth of a second at 30 fps.
const LIVE_HOLD: usize = 6;

fn decoder(name: &str) -> Option<DecodeFn> {
    Some(match name {
        "rqrr" => Box::new(|frame: &GrayImage, _| {
            let (w, h) = (frame.width() as usize, frame.height() as usize);
            engines::rqrr_grey(frame.as_raw(), w, h).map(|hit| hit.text)
        }),
        "rxing" => {
            let hints = engines::qr_hints(false);
            Box::new(move |frame: &GrayImage, _| {
                let (w, h) = (frame.width() as usize, frame.height() as usize);
                engines::rxing(frame.as_raw(), w, h, &hints).map(|hit| hit.text)
            })
        }
        pipeline if pipeline.starts_with("pipeline") || pipeline.starts_with("live") => {
            // `pipeline` is the gate's default; `+pass` adds a pass and `-pass` drops one.
            let mut config = DecoderConfig::default();
            for flag in pipeline.split(['+', '-']).skip(1) {
                let on = pipeline.contains(&format!("+{flag}"));
                match flag {
                    "roi" => config.region_of_interest = on,
                    "half" => config.half_scale = on,
                    "inverted" => config.inverted = on,
                    "fullinv" => config.full_inverted = on,
                    "local" => config.local_mean = on,
                    "harder" => config.try_harder = on,
                    "rqrr" => config.rqrr_fallback = on,
                    "enlarge" => config.enlarge_regions = on,
                    "sharpen" => config.sharpen = on,
                    _ => return None,
                }
            }
            let mut decoder = QrDecoder::new(config);
            let live = pipeline.starts_with("live");
            Box::new(move |frame: &GrayImage, new_badge| {
                if new_badge {
                    // A new badge: no help from the last hit's region.
                    decoder.reset();
                }
                if live {
                    decoder.decode_live(frame).map(|d| d.text)
                } else {
                    decoder.decode(frame).map(|d| d.text)
                }
            })
        }
        _ => return None,
    })
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

fn round3(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

fn main() {
    let per_class: usize = std::env::var("DECODE_BENCH_FRAMES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(40);
    let seed: u64 = std::env::var("DECODE_BENCH_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(7);
    let names = std::env::var("DECODE_BENCH_DECODERS")
        .unwrap_or_else(|_| "rqrr,rxing,pipeline".to_string());

    let mut rng = StdRng::seed_from_u64(seed);
    let started = Instant::now();
    let frames: Vec<(Difficulty, Option<String>, GrayImage)> = Difficulty::ALL
        .iter()
        .flat_map(|&d| (0..per_class).map(move |_| d))
        .map(|d| {
            let (text, image) = synth::frame(d, &mut rng);
            (d, text, image)
        })
        .collect();
    eprintln!(
        "generated {} frames in {:.1} s",
        frames.len(),
        started.elapsed().as_secs_f64()
    );

    for name in names.split(',').map(str::trim) {
        let Some(mut decode) = decoder(name) else {
            eprintln!("unknown decoder {name}");
            continue;
        };
        let mut all_ms = Vec::new();
        let mut code_ms = Vec::new();
        let (mut total_codes, mut total_read, mut total_wrong) = (0, 0, 0);
        for difficulty in Difficulty::ALL {
            let mut ms = Vec::new();
            let (mut read, mut wrong) = (0, 0);
            let hold = if name.starts_with("live") {
                LIVE_HOLD
            } else {
                1
            };
            for (_, expected, image) in frames.iter().filter(|(d, _, _)| *d == difficulty) {
                // `live` shows each badge for `hold` frames and stops at the first read.
                let mut got = None;
                for shown in 0..hold {
                    let t = Instant::now();
                    got = decode(image, shown == 0);
                    ms.push(t.elapsed().as_secs_f64() * 1000.0);
                    if got.is_some() {
                        break;
                    }
                }
                match (&got, expected) {
                    (Some(got), Some(expected)) if got == expected => read += 1,
                    (Some(_), _) => wrong += 1,
                    (None, _) => {}
                }
            }
            let shown = frames.iter().filter(|(d, _, _)| *d == difficulty).count();
            all_ms.extend_from_slice(&ms);
            if difficulty != Difficulty::Empty {
                code_ms.extend_from_slice(&ms);
                total_codes += shown;
                total_read += read;
            }
            total_wrong += wrong;
            ms.sort_by(f64::total_cmp);
            let line = json!({
                "decoder": name,
                "difficulty": difficulty.name(),
                "frames": shown,
                "decode_calls": ms.len(),
                "decoded": read,
                "wrong": wrong,
                "rate": if difficulty == Difficulty::Empty { serde_json::Value::Null } else { json!(round3(read as f64 / shown.max(1) as f64)) },
                "p50_ms": round3(percentile(&ms, 0.5)),
                "p99_ms": round3(percentile(&ms, 0.99)),
                "mean_ms": round3(ms.iter().sum::<f64>() / ms.len().max(1) as f64),
            });
            println!("{line}");
        }
        all_ms.sort_by(f64::total_cmp);
        code_ms.sort_by(f64::total_cmp);
        let summary = json!({
            "decoder": name,
            "difficulty": "all",
            "frames": all_ms.len(),
            "rate_with_code": round3(total_read as f64 / total_codes.max(1) as f64),
            "wrong": total_wrong,
            "p50_ms": round3(percentile(&all_ms, 0.5)),
            "p99_ms": round3(percentile(&all_ms, 0.99)),
            "p50_ms_with_code": round3(percentile(&code_ms, 0.5)),
            "p99_ms_with_code": round3(percentile(&code_ms, 0.99)),
        });
        println!("{summary}");
    }
}
