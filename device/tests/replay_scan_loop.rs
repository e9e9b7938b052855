//! A folder of camera frames replayed through the scan loop gives each badge once, in order,
//! however many frames show it; a hand scanner's line goes through the same debounce.

use std::io::Cursor;
use std::path::Path;

use std::sync::{Arc, Mutex};

use gatehouse_device::debounce::Debounce;
use gatehouse_device::frames::preview::thumbnail_jpeg;
use gatehouse_device::frames::{Frame, FrameError, FrameTap, Origin, ReplaySource, ScanLoop};
use gatehouse_device::qr::synth::{self, Difficulty};
use gatehouse_device::qr::QrDecoder;
use gatehouse_sync::Clock;
use rand::rngs::StdRng;
use rand::SeedableRng;

/// Writes `frames` PNGs of one badge (or of no badge), each drawn anew as a hand moves.
fn write_frames(dir: &Path, first: usize, frames: usize, text: Option<&str>, rng: &mut StdRng) {
    for i in 0..frames {
        let difficulty = if text.is_some() {
            Difficulty::Clean
        } else {
            Difficulty::Empty
        };
        let mut scene = difficulty.scene(text.map(str::to_string), rng);
        scene.module_px = 4.0;
        let image = synth::render(&scene, 640, 480);
        image
            .save(dir.join(format!("frame-{:03}.png", first + i)))
            .expect("save frame");
    }
}

#[test]
fn a_folder_of_frames_turns_into_each_badge_once() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut rng = StdRng::seed_from_u64(11);
    let alice = synth::random_ticket(&mut rng);
    let bob = synth::random_ticket(&mut rng);
    // Alice holds her badge up for 5 frames, the camera sees nobody, Bob shows his for 4
    // frames, and Alice waves hers again right after (inside the debounce window).
    write_frames(dir.path(), 0, 5, Some(&alice), &mut rng);
    write_frames(dir.path(), 5, 2, None, &mut rng);
    write_frames(dir.path(), 7, 4, Some(&bob), &mut rng);
    write_frames(dir.path(), 11, 2, Some(&alice), &mut rng);
    // A file that is not an image is skipped, not fatal.
    std::fs::write(dir.path().join("frame-099.png"), b"not a png").expect("write junk");

    let source = ReplaySource::open(dir.path(), None).expect("open replay");
    let mut scans = ScanLoop::new(Debounce::default(), Clock::system());
    scans.add_frames(Box::new(source), QrDecoder::default());
    let texts: Vec<String> = scans.map(|scan| scan.text).collect();

    assert_eq!(texts, vec![alice, bob]);
}

#[test]
fn a_hand_scanner_line_and_a_camera_read_of_the_same_badge_count_once() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut rng = StdRng::seed_from_u64(12);
    let carol = synth::random_ticket(&mut rng);
    let dave = synth::random_ticket(&mut rng);
    write_frames(dir.path(), 0, 2, Some(&carol), &mut rng);

    let mut scans = ScanLoop::new(Debounce::default(), Clock::system());
    scans.add_frames(
        Box::new(ReplaySource::open(dir.path(), None).expect("open replay")),
        QrDecoder::default(),
    );
    let typed = format!("{carol}\r\n\r\n{dave}\r\n{dave}\n");
    scans.add_wedge(Cursor::new(typed.into_bytes()));
    let got: Vec<(String, Origin)> = scans.map(|scan| (scan.text, scan.origin)).collect();

    assert_eq!(got.iter().filter(|(t, _)| *t == carol).count(), 1);
    assert_eq!(got.iter().filter(|(t, _)| *t == dave).count(), 1);
    assert!(got.contains(&(dave, Origin::Wedge)));
}

/// What a preview tap saw: frame names, preview sizes, and how the source ended.
#[derive(Default)]
struct Seen {
    frames: Vec<String>,
    previews: usize,
    ended: Option<Option<String>>,
}

struct Tap(Arc<Mutex<Seen>>);

impl FrameTap for Tap {
    fn frame(&mut self, frame: &Frame) {
        let mut seen = self.0.lock().unwrap();
        seen.frames.push(frame.name.clone().unwrap_or_default());
        seen.previews += usize::from(thumbnail_jpeg(&frame.image).is_some());
    }

    fn ended(&mut self, error: Option<&FrameError>) {
        self.0.lock().unwrap().ended = Some(error.map(|e| e.code().to_owned()));
    }
}

#[test]
fn a_preview_tap_sees_every_frame_while_the_loop_reads_the_badges() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut rng = StdRng::seed_from_u64(13);
    let erin = synth::random_ticket(&mut rng);
    write_frames(dir.path(), 0, 2, None, &mut rng);
    write_frames(dir.path(), 2, 3, Some(&erin), &mut rng);

    let seen = Arc::new(Mutex::new(Seen::default()));
    let mut scans = ScanLoop::new(Debounce::default(), Clock::system());
    scans.add_frames_tapped(
        Box::new(ReplaySource::open(dir.path(), None).expect("open replay")),
        QrDecoder::default(),
        Some(Box::new(Tap(Arc::clone(&seen)))),
    );
    let reads: Vec<_> = scans.collect();

    assert_eq!(reads.len(), 1);
    assert_eq!(reads[0].text, erin);
    assert_eq!(reads[0].origin, Origin::Camera);
    assert!(reads[0].decode_ms.is_some());
    let seen = seen.lock().unwrap();
    assert_eq!(seen.frames.len(), 5, "{:?}", seen.frames);
    assert_eq!(seen.previews, 5);
    assert_eq!(seen.ended, Some(None), "a replay ends without an error");
}

#[test]
fn a_replay_of_a_missing_folder_is_a_clear_error() {
    let err = ReplaySource::open(Path::new("/nonexistent/frames"), None).unwrap_err();
    assert_eq!(err.code(), "frame_unreadable");
    let empty = tempfile::tempdir().expect("temp dir");
    let err = ReplaySource::open(empty.path(), None).unwrap_err();
    assert_eq!(err.code(), "no_images");
    let err = ReplaySource::open(empty.path(), Some(0.0)).unwrap_err();
    assert_eq!(err.code(), "bad_frame_rate");
}
