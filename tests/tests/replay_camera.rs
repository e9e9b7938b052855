//! The camera path end to end: replayed frames with badges in them, through the real
//! `gatehouse-gate run --frames DIR`, against the real server's demo data. A badge held in front
//! of the camera for several frames is one scan, and each gets the verdict its holder should.

use std::io::Read;
use std::process::{Command, Stdio};

use gatehouse_device::qr::synth::{render, Difficulty};
use gatehouse_e2e::{gate_bin, Gate, Server};
use rand::{rngs::StdRng, SeedableRng};
use serde_json::Value;

const ENTRY: &str = "Main gate entry";

#[test]
fn replayed_frames_turn_into_one_verdict_per_badge() {
    let data = tempfile::tempdir().unwrap();
    let server = Server::start(data.path());
    let gate = Gate::new();
    gate.pair(&server, 0);
    gate.sync();

    let tickets = server.admissible_tickets(ENTRY);
    let (alice, bob) = (&tickets[0], &tickets[1]);
    let frames = tempfile::tempdir().unwrap();
    let mut rng = StdRng::seed_from_u64(11);
    let mut n = 0;
    let mut write = |text: Option<&str>, rng: &mut StdRng| {
        let difficulty = if text.is_some() {
            Difficulty::Clean
        } else {
            Difficulty::Empty
        };
        let scene = difficulty.scene(text.map(str::to_owned), rng);
        render(&scene, 1280, 720)
            .save(frames.path().join(format!("frame-{n:03}.png")))
            .unwrap();
        n += 1;
    };
    // Alice holds her badge up for four frames, the camera sees nothing, then Bob for three.
    for _ in 0..4 {
        write(alice["payload"].as_str(), &mut rng);
    }
    write(None, &mut rng);
    for _ in 0..3 {
        write(bob["payload"].as_str(), &mut rng);
    }
    write(None, &mut rng);

    let mut child = Command::new(gate_bin())
        .arg("--data")
        .arg(gate.dir.path())
        .args(["run", "--checkpoint", ENTRY, "--volume", "0", "--frames"])
        .arg(frames.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut out = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    assert!(child.wait().unwrap().success(), "{out}");

    let verdicts: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let names: Vec<&str> = verdicts
        .iter()
        .map(|v| v["participant"]["name"].as_str().unwrap_or("?"))
        .collect();
    assert_eq!(
        names,
        [
            alice["name"].as_str().unwrap(),
            bob["name"].as_str().unwrap()
        ],
        "{out}"
    );
    assert!(verdicts.iter().all(|v| v["verdict"] == "VALID"), "{out}");
}
