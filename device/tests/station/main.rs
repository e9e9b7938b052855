//! The station told as the people at a gate and a kiosk see it, with no window and no server:
//! a device paired to the shared test event (`gatehouse_sync::test_support`), its profile in a
//! file, the real store underneath.

mod gate;
mod kiosk;
mod setup;

use std::path::{Path, PathBuf};

use gatehouse_core::{KioskSession, Participant};
use gatehouse_device::station::{Config, Station};
use gatehouse_sync::test_support::{paired_store, participant};
use gatehouse_sync::{kiosk as records, Clock, Durability, Store};

/// A gate laptop that may override, type codes and search, without sound.
pub const GATE: &str = "name = \"test-gate\"\nmode = \"gate\"\n\
    [sound]\nenabled = false\n\
    [actions]\noverride = true\nmanual_entry = true\nsearch = true\n";

/// A self-service kiosk: no overrides.
pub const KIOSK: &str = "name = \"test-kiosk\"\nmode = \"kiosk\"\n\
    [sound]\nenabled = false\n\
    [actions]\noverride = false\nmanual_entry = true\nsearch = true\n";

/// Amina's date of birth, which the server knows (Zoë's it does not).
pub const AMINA_BORN: &str = "1990-04-25";

/// A paired device: its state folder, its profile file, and who its cache holds.
pub struct Device {
    _dir: tempfile::TempDir,
    pub config: Config,
    /// Zoë Ndlovu, Amina Tesfaye, then whoever else the test asked for.
    pub people: Vec<Participant>,
}

/// The profiles shipped in `kiosk-profiles/`.
pub fn shipped_profiles() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../kiosk-profiles"))
}

/// A device never paired, offering the shipped profiles.
pub fn unpaired(dir: &Path) -> Station {
    Station::open(
        Config::new(dir.join("state"), shipped_profiles()),
        Clock::system(),
    )
    .unwrap()
}

pub fn device(profile: &str) -> Device {
    device_with(profile, Vec::new())
}

/// A device under `profile` whose cache holds Zoë, Amina and then `others`.
pub fn device_with(profile: &str, others: Vec<Participant>) -> Device {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("state");
    let mut people = vec![
        participant(1, "Zoë Ndlovu"),
        participant(2, "Amina Tesfaye"),
    ];
    people[1].birth_check = gatehouse_core::birth_check(people[1].id, AMINA_BORN);
    people.extend(others);
    drop(paired_store(&data, &people));
    let profile_file = dir.path().join("test-profile.toml");
    std::fs::write(&profile_file, profile).unwrap();
    let mut config = Config::new(data, dir.path().to_path_buf());
    config.profile_file = Some(profile_file);
    Device {
        _dir: dir,
        config,
        people,
    }
}

pub fn open(d: &Device) -> Station {
    Station::open(d.config.clone(), Clock::system()).unwrap()
}

/// The station, printing with `command` in place of CUPS's `lp` (no print server here).
pub fn open_printing_with(d: &Device, command: &str) -> Station {
    let mut config = d.config.clone();
    config.print_command = command.to_owned();
    Station::open(config, Clock::system()).unwrap()
}

pub fn at_the_entrance(station: &Station) {
    station.select_checkpoint("Main entrance", None).unwrap();
}

/// What the device's store holds: every visit it recorded, oldest first.
pub fn visits(d: &Device) -> Vec<KioskSession> {
    records::sessions(&store(d)).unwrap()
}

pub fn store(d: &Device) -> Store {
    Store::open(&d.config.data, Durability::Normal).unwrap()
}
