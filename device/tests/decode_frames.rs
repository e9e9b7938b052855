//! `gatehouse-gate decode-frames DIR`: one JSON line per file, in name order, with the text or
//! null, the decode time, and an error for files that are not images.

use gatehouse_device::qr::decode_frames_command;
use gatehouse_device::qr::synth::{self, Difficulty};
use rand::rngs::StdRng;
use rand::SeedableRng;
use serde_json::Value;

#[test]
fn every_file_of_the_folder_gets_one_json_line_in_name_order() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut rng = StdRng::seed_from_u64(3);
    let ticket = synth::random_ticket(&mut rng);
    let mut scene = Difficulty::Clean.scene(Some(ticket.clone()), &mut rng);
    scene.module_px = 4.0;
    synth::render(&scene, 640, 480)
        .save(dir.path().join("b-badge.png"))
        .expect("save");
    let empty = Difficulty::Empty.scene(None, &mut rng);
    synth::render(&empty, 640, 480)
        .save(dir.path().join("c-empty.jpg"))
        .expect("save");
    std::fs::write(dir.path().join("a-broken.png"), b"\x89PNG truncated").expect("write");
    std::fs::create_dir(dir.path().join("d-subfolder")).expect("mkdir");

    let mut out = Vec::new();
    decode_frames_command(dir.path(), &mut out).expect("the command runs");
    let lines: Vec<Value> = String::from_utf8(out)
        .expect("utf-8")
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();

    let files: Vec<&str> = lines.iter().map(|l| l["file"].as_str().unwrap()).collect();
    assert_eq!(files, ["a-broken.png", "b-badge.png", "c-empty.jpg"]);
    assert!(lines[0]["text"].is_null());
    assert!(lines[0]["error"]
        .as_str()
        .is_some_and(|e| e.contains("a-broken.png")));
    assert_eq!(lines[1]["text"], Value::String(ticket));
    assert!(lines[1]["ms"].as_f64().is_some_and(|ms| ms >= 0.0));
    assert!(lines[1].get("error").is_none());
    assert!(lines[2]["text"].is_null());
}

#[test]
fn a_missing_folder_is_an_error_not_a_panic() {
    let mut out = Vec::new();
    let err =
        decode_frames_command(std::path::Path::new("/nonexistent/frames"), &mut out).unwrap_err();
    assert_eq!(err.code(), "frames_dir_unreadable");
    assert!(out.is_empty());
}
