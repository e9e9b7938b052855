//! The front half of the scan path: frames and scanner lines in, debounced texts out.
//!
//! ```text
//! FrameSource ─► QrDecoder (own thread) ─┐
//!      └─► FrameTap (preview)            │
//! wedge lines (own thread) ──────────────┼─► channel ─► Debounce ─► Scan { text, at, origin }
//! ScanSender (e.g. a UI text field) ─────┘
//! ```
//!
//! The caller turns each [`Scan`] into a verdict (the station, or a ticket codec, `decide` and
//! the store) and plays the verdict's tone ([`crate::sound::Speaker::play_signal`]). Decoding
//! runs on its own thread, so a slow verdict never stalls the camera, and a camera never stalls
//! a hand scanner. A [`FrameTap`] sees every frame on the decoder's thread once its read (if
//! any) is on its way (a screen's preview), and hears why the source ended. Reads are dated by the injected
//! [`Clock`], the one that dates the scans they become.

use std::io::BufRead;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

use gatehouse_core::Millis;
use gatehouse_sync::Clock;

use super::preview::FrameTap;
use super::{FrameError, FrameSource};
use crate::debounce::Debounce;
use crate::qr::QrDecoder;
use crate::wedge::WedgeLines;

/// Where a scan came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Camera,
    Wedge,
    /// Typed in by staff or handed over by another part of the program.
    Manual,
}

/// One debounced read.
#[derive(Debug, Clone, PartialEq)]
pub struct Scan {
    pub text: String,
    /// Wall-clock time of the read, Unix milliseconds (a camera read: once decoded). Reads reach
    /// the debounce in this order, whichever input they came from.
    pub at: Millis,
    /// When the read began on the monotonic clock (a camera read: its frame's arrival), to time
    /// what follows.
    pub seen: Instant,
    pub origin: Origin,
    /// How long the decode took, for camera reads.
    pub decode_ms: Option<f64>,
    /// The frame's file name, for replayed frames.
    pub frame: Option<String>,
}

/// Hands texts to a [`ScanLoop`] from elsewhere (a UI text field, a test).
#[derive(Debug, Clone)]
pub struct ScanSender {
    sender: Sender<Scan>,
    clock: Clock,
}

impl ScanSender {
    /// Queues `text`; returns `false` once the loop is gone.
    pub fn send(&self, text: &str, origin: Origin) -> bool {
        self.sender
            .send(Scan {
                text: text.to_string(),
                at: self.clock.now(),
                seen: Instant::now(),
                origin,
                decode_ms: None,
                frame: None,
            })
            .is_ok()
    }
}

/// Frame sources and scanners feeding one debounced stream of scans. Add the inputs, then
/// iterate: the iterator ends when every input has ended (a replay's last frame, the scanner's
/// end of input); a camera never ends.
pub struct ScanLoop {
    sender: Option<Sender<Scan>>,
    receiver: Receiver<Scan>,
    debounce: Debounce,
    clock: Clock,
}

impl std::fmt::Debug for ScanLoop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScanLoop")
            .field("debounce", &self.debounce)
            .finish_non_exhaustive()
    }
}

impl ScanLoop {
    /// A loop whose reads are dated by `clock`.
    pub fn new(debounce: Debounce, clock: Clock) -> ScanLoop {
        let (sender, receiver) = mpsc::channel();
        ScanLoop {
            sender: Some(sender),
            receiver,
            debounce,
            clock,
        }
    }

    /// Decodes frames of `source` on a thread of its own.
    pub fn add_frames(&mut self, source: Box<dyn FrameSource>, decoder: QrDecoder) {
        self.add_frames_tapped(source, decoder, None);
    }

    /// [`add_frames`](Self::add_frames), showing every frame to `tap` first.
    pub fn add_frames_tapped(
        &mut self,
        source: Box<dyn FrameSource>,
        decoder: QrDecoder,
        tap: Option<Box<dyn FrameTap>>,
    ) {
        let Some(sender) = self.sender.clone() else {
            return;
        };
        let clock = self.clock;
        let spawned = std::thread::Builder::new()
            .name("qr-decode".into())
            .spawn(move || decode_frames(source, decoder, tap, clock, &sender));
        if let Err(e) = spawned {
            tracing::error!(error = %e, "cannot start the decoder thread");
        }
    }

    /// Reads a keyboard-wedge scanner's lines (e.g. stdin) on a thread of its own.
    pub fn add_wedge(&mut self, reader: impl BufRead + Send + 'static) {
        let Some(sender) = self.sender.clone() else {
            return;
        };
        let clock = self.clock;
        let spawned = std::thread::Builder::new()
            .name("wedge-reader".into())
            .spawn(move || read_wedge(reader, clock, &sender));
        if let Err(e) = spawned {
            tracing::error!(error = %e, "cannot start the scanner thread");
        }
    }

    /// A handle to push texts into the loop. Take it before iterating.
    pub fn sender(&self) -> Option<ScanSender> {
        let clock = self.clock;
        self.sender
            .clone()
            .map(|sender| ScanSender { sender, clock })
    }

    /// The next new scan, blocking; `None` once every input has ended.
    pub fn next_scan(&mut self) -> Option<Scan> {
        // Our own sender would keep the channel open forever.
        self.sender = None;
        loop {
            let scan = self.receiver.recv().ok()?;
            if self.debounce.accept(&scan.text, scan.at) {
                return Some(scan);
            }
        }
    }

    /// Like [`next_scan`](Self::next_scan), giving up after `timeout`: `Ok(None)` when it timed
    /// out, `Err(())` once every input has ended.
    #[allow(clippy::result_unit_err)]
    pub fn next_scan_timeout(&mut self, timeout: Duration) -> Result<Option<Scan>, ()> {
        self.sender = None;
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.receiver.recv_timeout(left) {
                Ok(scan) if self.debounce.accept(&scan.text, scan.at) => return Ok(Some(scan)),
                Ok(_) => continue,
                Err(RecvTimeoutError::Timeout) => return Ok(None),
                Err(RecvTimeoutError::Disconnected) => return Err(()),
            }
        }
    }
}

impl Iterator for ScanLoop {
    type Item = Scan;

    fn next(&mut self) -> Option<Scan> {
        self.next_scan()
    }
}

fn decode_frames(
    mut source: Box<dyn FrameSource>,
    mut decoder: QrDecoder,
    mut tap: Option<Box<dyn FrameTap>>,
    clock: Clock,
    sender: &Sender<Scan>,
) {
    let ended = loop {
        let frame = match source.next_frame() {
            Ok(Some(frame)) => frame,
            Ok(None) => break None,
            Err(e @ FrameError::Unreadable { .. }) => {
                tracing::warn!(code = e.code(), error = %e, "skipping a frame");
                continue;
            }
            Err(e) => {
                tracing::error!(code = e.code(), error = %e, "frame source stopped");
                break Some(e);
            }
        };
        let seen = Instant::now();
        if let Some(decoded) = decoder.decode_live(&frame.image) {
            let scan = Scan {
                text: decoded.text,
                at: clock.now(),
                seen,
                origin: Origin::Camera,
                decode_ms: Some(seen.elapsed().as_secs_f64() * 1000.0),
                frame: frame.name.clone(),
            };
            if sender.send(scan).is_err() {
                return;
            }
        }
        // After the read is on its way: a preview never delays a verdict.
        if let Some(tap) = tap.as_mut() {
            tap.frame(&frame);
        }
    };
    if let Some(tap) = tap.as_mut() {
        tap.ended(ended.as_ref());
    }
}

fn read_wedge(reader: impl BufRead, clock: Clock, sender: &Sender<Scan>) {
    for line in WedgeLines::new(reader) {
        match line {
            Ok(text) => {
                let scan = Scan {
                    text,
                    at: clock.now(),
                    seen: Instant::now(),
                    origin: Origin::Wedge,
                    decode_ms: None,
                    frame: None,
                };
                if sender.send(scan).is_err() {
                    return;
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "scanner input failed");
                return;
            }
        }
    }
}
