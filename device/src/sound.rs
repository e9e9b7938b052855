//! Feedback tones: a gate answers every scan with a sound the person can tell apart without
//! looking (rising for go, double beep for look at me, low buzz for stop).
//!
//! The tones are synthesised here, so the appliance ships no sound files. Playback runs on a
//! thread of its own and is handed tones through a queue that never blocks: a missing or broken
//! sound device is logged once and the gate keeps scanning in silence.

use std::f32::consts::TAU;
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::thread::JoinHandle;
use std::time::Duration;

use gatehouse_core::decide::Signal;
use rodio::buffer::SamplesBuffer;
use rodio::{OutputStream, OutputStreamBuilder, Sink};
use thiserror::Error;

/// Sample rate tones are synthesised at (rodio converts to the device's rate).
pub const TONE_SAMPLE_RATE: u32 = 48_000;
/// Tones waiting to play beyond this are dropped: stale feedback is worse than none.
const QUEUE_LEN: usize = 4;
/// Silence after each tone, so two tones in a row are heard as two.
const PAUSE_AFTER_TONE: Duration = Duration::from_millis(150);
/// Peak amplitude at volume 1.0, leaving headroom against clipping.
const PEAK: f32 = 0.7;

/// The three answers a gate gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Tone {
    /// Rising chirp: let them through.
    Success,
    /// Two short beeps: a person should look.
    Warning,
    /// Low buzz: do not let them through.
    Error,
}

impl Tone {
    pub fn for_signal(signal: Signal) -> Tone {
        match signal {
            Signal::Go => Tone::Success,
            Signal::Caution => Tone::Warning,
            Signal::Stop => Tone::Error,
        }
    }

    /// The tone as mono samples at `rate`, scaled by `volume` (0.0 silent .. 1.0 full).
    pub fn samples(self, rate: u32, volume: f32) -> Vec<f32> {
        let gain = PEAK * volume.clamp(0.0, 1.0);
        let rate_f = rate as f32;
        let count = |seconds: f32| (seconds * rate_f) as usize;
        match self {
            Tone::Success => {
                // Linear chirp 660 Hz → 1320 Hz over 300 ms; the phase is the integral of the
                // frequency, so the sweep has no clicks.
                let (f0, f1, len) = (660.0, 1320.0, count(0.30));
                let duration = len as f32 / rate_f;
                let mut out: Vec<f32> = (0..len)
                    .map(|i| {
                        let t = i as f32 / rate_f;
                        let phase = TAU * (f0 * t + (f1 - f0) * t * t / (2.0 * duration));
                        phase.sin() * gain
                    })
                    .collect();
                fade(&mut out, count(0.008));
                out
            }
            Tone::Warning => {
                let mut beep = sine(1_000.0, count(0.12), rate_f, gain);
                fade(&mut beep, count(0.005));
                let mut out = beep.clone();
                out.extend(std::iter::repeat_n(0.0, count(0.10)));
                out.extend(beep);
                out
            }
            Tone::Error => {
                // A soft square wave at 160 Hz: low, buzzy, and audible on small laptop speakers
                // thanks to its harmonics.
                let mut out: Vec<f32> = (0..count(0.45))
                    .map(|i| {
                        let t = i as f32 / rate_f;
                        (4.0 * (TAU * 160.0 * t).sin()).tanh() * gain
                    })
                    .collect();
                fade(&mut out, count(0.008));
                out
            }
        }
    }
}

fn sine(freq: f32, len: usize, rate: f32, gain: f32) -> Vec<f32> {
    (0..len)
        .map(|i| (TAU * freq * i as f32 / rate).sin() * gain)
        .collect()
}

/// Ramps the first and last `len` samples, so a tone starts and stops without a click.
fn fade(samples: &mut [f32], len: usize) {
    let len = len.min(samples.len() / 2).max(1);
    let total = samples.len();
    for i in 0..len {
        let ramp = i as f32 / len as f32;
        samples[i] *= ramp;
        samples[total - 1 - i] *= ramp;
    }
}

/// Why no sound device could be used. Each has a stable [`code`](SoundError::code).
#[derive(Debug, Error)]
pub enum SoundError {
    #[error("no usable sound output: {0}")]
    NoOutput(String),
}

impl SoundError {
    pub fn code(&self) -> &'static str {
        match self {
            SoundError::NoOutput(_) => "no_sound_output",
        }
    }
}

/// Opens the default output device.
pub fn open_output() -> Result<OutputStream, SoundError> {
    let mut stream = OutputStreamBuilder::open_default_stream()
        .map_err(|e| SoundError::NoOutput(e.to_string()))?;
    stream.log_on_drop(false);
    Ok(stream)
}

/// Plays tones on a thread of its own. Cheap to call from the scan path: [`Speaker::play`] never
/// blocks and never fails.
#[derive(Debug)]
pub struct Speaker {
    queue: Option<SyncSender<Tone>>,
    thread: Option<JoinHandle<()>>,
}

impl Speaker {
    /// Starts the playback thread at `volume` (0.0 .. 1.0, from the kiosk profile). Without a
    /// sound device it logs a warning once and then swallows tones.
    pub fn start(volume: f32) -> Speaker {
        let (queue, tones) = mpsc::sync_channel(QUEUE_LEN);
        let thread = std::thread::Builder::new()
            .name("speaker".into())
            .spawn(move || play_tones(&tones, volume));
        match thread {
            Ok(thread) => Speaker {
                queue: Some(queue),
                thread: Some(thread),
            },
            Err(e) => {
                tracing::warn!(error = %e, "cannot start the sound thread; scanning goes on silently");
                Speaker {
                    queue: None,
                    thread: None,
                }
            }
        }
    }

    /// Queues `tone`; drops it when the queue is full or there is no sound.
    pub fn play(&self, tone: Tone) {
        if let Some(queue) = &self.queue {
            match queue.try_send(tone) {
                Ok(()) | Err(TrySendError::Disconnected(_)) => {}
                Err(TrySendError::Full(_)) => tracing::debug!(?tone, "tone dropped: queue full"),
            }
        }
    }

    /// Plays the tone of a verdict's signal.
    pub fn play_signal(&self, signal: Signal) {
        self.play(Tone::for_signal(signal));
    }

    /// Waits until every queued tone has played, then stops the thread (at shutdown, and in
    /// tests).
    pub fn finish(mut self) {
        self.queue = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn play_tones(tones: &Receiver<Tone>, volume: f32) {
    let stream = match open_output() {
        Ok(stream) => stream,
        Err(e) => {
            tracing::warn!(code = e.code(), error = %e, "no sound; scanning goes on silently");
            // Drain the queue so senders never see it full.
            while tones.recv().is_ok() {}
            return;
        }
    };
    let sink = Sink::connect_new(stream.mixer());
    while let Ok(tone) = tones.recv() {
        let samples = tone.samples(TONE_SAMPLE_RATE, volume);
        sink.append(SamplesBuffer::new(1, TONE_SAMPLE_RATE, samples));
        // A pause after each tone keeps two answers in a row apart.
        let pause = (TONE_SAMPLE_RATE as f32 * PAUSE_AFTER_TONE.as_secs_f32()) as usize;
        sink.append(SamplesBuffer::new(1, TONE_SAMPLE_RATE, vec![0.0; pause]));
    }
    sink.sleep_until_end();
    // Let the device drain its buffer before the stream closes.
    std::thread::sleep(Duration::from_millis(250));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zero_crossings(samples: &[f32]) -> usize {
        samples
            .windows(2)
            .filter(|w| (w[0] < 0.0) != (w[1] < 0.0))
            .count()
    }

    #[test]
    fn the_success_tone_rises() {
        let samples = Tone::Success.samples(TONE_SAMPLE_RATE, 1.0);
        let (first, second) = samples.split_at(samples.len() / 2);
        assert!(zero_crossings(second) > zero_crossings(first) * 5 / 4);
    }

    #[test]
    fn the_error_tone_is_low() {
        let samples = Tone::Error.samples(TONE_SAMPLE_RATE, 1.0);
        let seconds = samples.len() as f32 / TONE_SAMPLE_RATE as f32;
        let hz = zero_crossings(&samples) as f32 / 2.0 / seconds;
        assert!(hz < 250.0, "{hz} Hz");
    }

    #[test]
    fn the_warning_tone_is_two_beeps_with_a_gap() {
        let samples = Tone::Warning.samples(TONE_SAMPLE_RATE, 1.0);
        let middle = &samples[samples.len() * 2 / 5..samples.len() * 3 / 5];
        assert!(middle.iter().all(|s| *s == 0.0));
        assert!(samples.iter().any(|s| s.abs() > 0.5));
    }

    #[test]
    fn volume_scales_and_zero_is_silent() {
        let loud = Tone::Success.samples(TONE_SAMPLE_RATE, 1.0);
        let quiet = Tone::Success.samples(TONE_SAMPLE_RATE, 0.25);
        let peak = |s: &[f32]| s.iter().fold(0.0f32, |m, v| m.max(v.abs()));
        assert!(peak(&quiet) < peak(&loud) / 2.0);
        assert_eq!(peak(&Tone::Error.samples(TONE_SAMPLE_RATE, 0.0)), 0.0);
    }

    #[test]
    fn every_signal_has_its_own_tone() {
        assert_eq!(Tone::for_signal(Signal::Go), Tone::Success);
        assert_eq!(Tone::for_signal(Signal::Caution), Tone::Warning);
        assert_eq!(Tone::for_signal(Signal::Stop), Tone::Error);
    }
}
