//! The gate's tones, played for real through rodio and ALSA, captured by an ALSA `file` PCM.
//!
//! The test points HOME at a folder whose `.asoundrc` makes the default PCM a `plug` (converting
//! to 16-bit mono 48 kHz) over a `file` plugin that writes raw samples and discards them into
//! `null`. It is the only test of this binary, because ALSA reads its configuration once per
//! process.

use std::path::Path;
use std::time::Duration;

use gatehouse_core::decide::Signal;
use gatehouse_device::sound::Speaker;

const RATE: usize = 48_000;

fn write_asoundrc(home: &Path, capture: &Path) {
    let config = format!(
        r#"pcm.!default {{
    type plug
    slave {{
        pcm "gatehouse_capture"
        format S16_LE
        rate {RATE}
        channels 1
    }}
}}
pcm.gatehouse_capture {{
    type file
    slave.pcm "null"
    file "{}"
    format "raw"
}}
"#,
        capture.display()
    );
    std::fs::write(home.join(".asoundrc"), config).expect("write .asoundrc");
}

fn read_samples(path: &Path) -> Vec<f32> {
    let bytes = std::fs::read(path).expect("the file PCM wrote a capture");
    bytes
        .chunks_exact(2)
        .map(|b| i16::from_le_bytes([b[0], b[1]]) as f32 / 32768.0)
        .collect()
}

/// Runs of sound separated by at least 40 ms of silence: (start, end) sample indices.
fn bursts(samples: &[f32]) -> Vec<(usize, usize)> {
    let quiet_gap = RATE * 40 / 1000;
    let mut out: Vec<(usize, usize)> = Vec::new();
    for (i, s) in samples.iter().enumerate() {
        if s.abs() < 0.02 {
            continue;
        }
        match out.last_mut() {
            Some((_, end)) if i - *end <= quiet_gap => *end = i,
            _ => out.push((i, i)),
        }
    }
    out
}

fn zero_crossings(samples: &[f32]) -> usize {
    samples
        .windows(2)
        .filter(|w| (w[0] < 0.0) != (w[1] < 0.0))
        .count()
}

fn frequency(samples: &[f32]) -> f32 {
    zero_crossings(samples) as f32 / 2.0 / (samples.len() as f32 / RATE as f32)
}

fn ms(samples: usize) -> usize {
    samples * 1000 / RATE
}

#[test]
fn go_caution_and_stop_sound_as_rising_tone_double_beep_and_low_buzz() {
    let home = tempfile::tempdir().expect("temp dir");
    let capture = home.path().join("capture.raw");
    write_asoundrc(home.path(), &capture);
    // Before anything touches ALSA; this binary holds no other test.
    std::env::set_var("HOME", home.path());
    std::env::remove_var("ALSA_CONFIG_PATH");

    let speaker = Speaker::start(0.8);
    speaker.play_signal(Signal::Go);
    speaker.play_signal(Signal::Caution);
    speaker.play_signal(Signal::Stop);
    speaker.finish();
    std::thread::sleep(Duration::from_millis(100));

    let samples = read_samples(&capture);
    let found = bursts(&samples);
    let shape: Vec<usize> = found.iter().map(|(s, e)| ms(e - s)).collect();
    assert_eq!(
        found.len(),
        4,
        "expected chirp, beep, beep, buzz; got bursts of {shape:?} ms"
    );

    let chirp = &samples[found[0].0..found[0].1];
    let (first, second) = chirp.split_at(chirp.len() / 2);
    assert!(
        frequency(second) > frequency(first) * 1.2,
        "the go tone should rise: {} Hz then {} Hz",
        frequency(first),
        frequency(second)
    );

    let (beep1, beep2) = (found[1], found[2]);
    let gap = ms(beep2.0 - beep1.1);
    assert!(
        (60..=160).contains(&gap),
        "the double beep's gap is {gap} ms"
    );
    assert!((100..=140).contains(&ms(beep1.1 - beep1.0)));
    assert!((100..=140).contains(&ms(beep2.1 - beep2.0)));

    let buzz = &samples[found[3].0..found[3].1];
    assert!(
        frequency(buzz) < 250.0,
        "the stop buzz is {} Hz",
        frequency(buzz)
    );
    assert!(frequency(buzz) < frequency(first));
    let peak = buzz.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    assert!(
        peak > 0.3,
        "the buzz is too quiet at volume 0.8: peak {peak}"
    );
}
