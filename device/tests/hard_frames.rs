//! What a gate camera really sees: the decoder reads hard frames and never invents a code.

use gatehouse_device::qr::synth::{self, Difficulty, Scene};
use gatehouse_device::qr::{Pass, QrDecoder};
use rand::rngs::StdRng;
use rand::SeedableRng;

fn scene(seed: u64, difficulty: Difficulty) -> (String, Scene) {
    let mut rng = StdRng::seed_from_u64(seed);
    let text = synth::random_ticket(&mut rng);
    let scene = difficulty.scene(Some(text.clone()), &mut rng);
    (text, scene)
}

fn read(scene: &Scene) -> Option<String> {
    let frame = synth::render(scene, synth::FRAME_WIDTH, synth::FRAME_HEIGHT);
    QrDecoder::default().decode(&frame).map(|d| d.text)
}

#[test]
fn a_phone_in_dark_mode_is_read() {
    for seed in 0..3 {
        let (text, scene) = scene(seed, Difficulty::Inverted);
        assert_eq!(read(&scene), Some(text), "seed {seed}");
    }
}

#[test]
fn a_badge_tilted_35_degrees_is_read() {
    let (text, mut scene) = scene(21, Difficulty::Clean);
    scene.tilt_deg = 35.0;
    scene.module_px = 5.0;
    assert_eq!(read(&scene), Some(text));
}

#[test]
fn a_badge_at_arms_length_with_4_pixel_modules_is_read() {
    let (text, mut scene) = scene(22, Difficulty::Clean);
    scene.module_px = 4.0;
    assert_eq!(read(&scene), Some(text));
}

#[test]
fn a_dim_faded_badge_is_read() {
    let (text, mut scene) = scene(23, Difficulty::Clean);
    scene.paper = 120.0;
    scene.ink = 85.0;
    assert_eq!(read(&scene), Some(text));
}

#[test]
fn frames_without_a_code_never_produce_a_read() {
    let mut rng = StdRng::seed_from_u64(24);
    let mut decoder = QrDecoder::default();
    for _ in 0..6 {
        let (text, frame) = synth::frame(Difficulty::Empty, &mut rng);
        assert_eq!(text, None);
        assert_eq!(decoder.decode(&frame), None);
    }
    let flat = image::GrayImage::from_pixel(1280, 720, image::Luma([128]));
    assert_eq!(decoder.decode(&flat), None);
    let tiny = image::GrayImage::from_pixel(3, 2, image::Luma([0]));
    assert_eq!(decoder.decode(&tiny), None);
}

#[test]
fn a_badge_held_still_is_found_again_in_the_region_of_the_last_hit() {
    let (text, scene) = scene(25, Difficulty::Clean);
    let frame = synth::render(&scene, synth::FRAME_WIDTH, synth::FRAME_HEIGHT);
    let mut decoder = QrDecoder::default();
    let first = decoder.decode(&frame).expect("first read");
    let second = decoder.decode(&frame).expect("second read");
    assert_eq!(first.text, text);
    assert_eq!(second.text, text);
    assert_eq!(second.pass, Pass::RegionOfInterest);
}
