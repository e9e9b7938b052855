//! Before and around scanning: pairing state, the checkpoint, the status bar, the admin PIN.

use gatehouse_core::Verdict;
use gatehouse_device::station::{CameraState, Source};
use gatehouse_sync::test_support::ticket;

use crate::*;

#[test]
fn an_unpaired_device_shows_the_pairing_screen_and_refuses_to_scan() {
    let dir = tempfile::tempdir().unwrap();
    let station = unpaired(dir.path());
    let setup = station.setup().unwrap();
    assert!(!setup.paired());
    assert!(setup.available_profiles.contains(&"gate-laptop".to_owned()));
    assert_eq!(
        station
            .scan("ABCD-2345", Source::Manual)
            .unwrap_err()
            .code(),
        "not_paired"
    );
    assert_eq!(station.exit_kiosk().unwrap_err().code(), "pin_required");
}

#[test]
fn the_status_bar_learns_what_the_camera_loop_is_doing() {
    let dir = tempfile::tempdir().unwrap();
    let station = unpaired(dir.path());
    assert_eq!(station.status().unwrap().camera, CameraState::Starting);
    station.set_camera_state(CameraState::Off);
    assert_eq!(station.status().unwrap().camera.as_str(), "off");
    station.set_camera_state(CameraState::Unavailable);
    assert_eq!(station.status().unwrap().camera.as_str(), "unavailable");
}

#[test]
fn a_paired_device_lists_its_checkpoints_and_scans_only_once_one_is_chosen() {
    let d = device(GATE);
    let station = open(&d);
    let setup = station.setup().unwrap();
    assert!(setup.paired());
    assert_eq!(setup.device.unwrap().1, "Summit");
    let (first, zone) = &setup.checkpoints[0];
    assert_eq!(
        (first.name.as_str(), zone.as_str()),
        ("Main entrance", "Plenary hall")
    );
    assert_eq!(
        station
            .scan(&ticket(&d.people[0]), Source::Camera)
            .unwrap_err()
            .code(),
        "no_checkpoint"
    );
    at_the_entrance(&station);
    assert_eq!(
        station
            .scan(&ticket(&d.people[0]), Source::Camera)
            .unwrap()
            .verdict(),
        Verdict::Valid
    );
}

#[test]
fn the_checkpoint_and_recent_scans_survive_a_restart() {
    let d = device(GATE);
    let scan_id = {
        let station = open(&d);
        at_the_entrance(&station);
        station
            .scan(&ticket(&d.people[0]), Source::Camera)
            .unwrap()
            .scan_id()
    };
    let station = open(&d);
    let setup = station.setup().unwrap();
    assert_eq!(setup.checkpoint, Some(gatehouse_sync::test_support::ENTRY));
    let recent = station.recent_scans(50);
    assert_eq!(recent[0].scan_id(), scan_id);
    assert_eq!(recent[0].participant.as_ref().unwrap().name, "Zoë Ndlovu");
}

#[test]
fn a_both_ways_door_asked_for_a_direction_keeps_it_and_refuses_a_wrong_one() {
    let d = device(GATE);
    let station = open(&d);
    assert_eq!(
        station
            .select_checkpoint("Side door", Some("sideways"))
            .unwrap_err()
            .code(),
        "bad_direction"
    );
    station.select_checkpoint("Side door", Some("out")).unwrap();
    let station = open(&d);
    assert_eq!(
        station.setup().unwrap().direction,
        Some(gatehouse_core::Movement::Out)
    );
}

#[test]
fn without_an_admin_pin_the_kiosk_cannot_be_left() {
    let d = device(GATE);
    let station = open(&d);
    assert!(!station.verify_admin_pin("1234").unwrap());
    assert_eq!(station.exit_kiosk().unwrap_err().code(), "pin_required");
}

#[test]
fn the_right_admin_pin_lets_staff_leave_the_kiosk_once_and_guessing_locks_the_door() {
    let hash = gatehouse_device::profile::hash_pin("2468", [7; 16]).unwrap();
    let d = device(&format!("{KIOSK}[admin]\npin_hash = \"{hash}\"\n"));
    let station = open(&d);
    assert!(station.verify_admin_pin("2468").unwrap());
    station.exit_kiosk().unwrap();
    assert_eq!(
        station.setup().unwrap().mode,
        gatehouse_device::profile::Mode::Gate
    );
    assert_eq!(
        station.exit_kiosk().unwrap_err().code(),
        "pin_required",
        "one PIN opens the door once"
    );
    for _ in 0..=gatehouse_device::station::pin::FREE_TRIES {
        assert!(!station.verify_admin_pin("0000").unwrap());
    }
    assert_eq!(
        station.verify_admin_pin("2468").unwrap_err().code(),
        "pin_locked"
    );
}
