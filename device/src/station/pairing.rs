//! Pairing, profiles and where the device scans.
//!
//! - **Pairing** trades a one-time code for a device token ([`gatehouse_sync::pair`]), records
//!   the mode the device runs in (so a kiosk announces itself as one from its first sync), then
//!   runs a first sync that brings checkpoints, keys and participants. Offline after the trade is
//!   not fatal: the sync task keeps trying. A paired device is not paired again.
//! - **Profiles**: a profile file named at start wins over the one chosen at pairing (looked up
//!   by name in the profiles folder), which wins over the built-in default (a gate, every
//!   language, every staff action). A paired profile that cannot be loaded falls back to the
//!   default with a warning; a named file that cannot is an error.
//! - **The checkpoint**: the one chosen on the device (stored in its `meta`) wins over the
//!   profile's; one that the cache no longer holds is forgotten, not an error.

use std::path::Path;

use gatehouse_core::protocol::PairResponse;
use gatehouse_core::{Checkpoint, CheckpointId, Movement};
use gatehouse_sync::store::meta;
use gatehouse_sync::{Clock, Durability, EngineConfig, ScanStation, Store, StoreError, SyncEngine};

use super::scanning::parse_direction;
use super::{lock, speaker_for, Config, Station, StationError};
use crate::profile::{Mode, Profile};

/// Meta keys the station adds to the device store (gatehouse-gate ignores them).
const CHECKPOINT_KEY: &str = "app_checkpoint_id";
const DIRECTION_KEY: &str = "app_direction";

/// The profile used before any is chosen: gate mode, every language, every staff action.
pub const DEFAULT_PROFILE: &str = "name = \"default\"\nmode = \"gate\"\n";

/// What a person types to pair the device.
#[derive(Debug, Clone)]
pub struct PairRequest {
    pub server_url: String,
    pub pairing_code: String,
    /// The name of a profile in the profiles folder.
    pub profile: String,
}

/// What a screen needs to know about the device: paired or not, with which profile, where it
/// may scan and where it does.
#[derive(Debug, Clone)]
pub struct Setup {
    pub mode: Mode,
    pub profile: Profile,
    /// `(device name, event name)` once paired.
    pub device: Option<(String, String)>,
    /// The active checkpoints, by name, each with its zone's name.
    pub checkpoints: Vec<(Checkpoint, String)>,
    pub checkpoint: Option<CheckpointId>,
    /// The way through a both-ways checkpoint; `None`: inferred per scan.
    pub direction: Option<Movement>,
    /// Profile names offered at pairing.
    pub available_profiles: Vec<String>,
}

impl Setup {
    pub fn paired(&self) -> bool {
        self.device.is_some()
    }
}

/// `gate` or `kiosk`, as the store's `meta` and the server spell a mode.
pub fn mode_name(mode: Mode) -> &'static str {
    match mode {
        Mode::Gate => "gate",
        Mode::Kiosk => "kiosk",
    }
}

/// The built-in default profile.
pub fn default_profile() -> Profile {
    Profile::parse(Path::new("(built-in default profile)"), DEFAULT_PROFILE)
        .expect("the built-in default profile is valid")
}

/// A profile of the profiles folder by name.
pub fn load_named(dir: &Path, name: &str) -> Result<Profile, StationError> {
    let valid = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !valid {
        return Err(StationError::BadProfileName(name.to_owned()));
    }
    let file = dir.join(format!("{name}.toml"));
    if !file.is_file() {
        return Err(StationError::UnknownProfile {
            name: name.to_owned(),
            dir: dir.display().to_string(),
        });
    }
    Ok(Profile::load(&file)?)
}

/// The profile that wins (see the module documentation), given the one chosen at pairing.
pub(super) fn profile_in_force(
    config: &Config,
    chosen: Option<&str>,
) -> Result<Profile, StationError> {
    Ok(match (&config.profile_file, chosen) {
        (Some(file), _) => Profile::load(file)?,
        (None, Some(name)) => load_named(&config.profiles_dir, name).unwrap_or_else(|e| {
            tracing::warn!(error = %e, "the paired profile cannot be loaded; using the default");
            default_profile()
        }),
        (None, None) => default_profile(),
    })
}

/// Trades a pairing code for a device token and records the mode the device will run in:
/// pairing as the app and the headless gate both do it.
pub async fn pair_device(
    store: &mut Store,
    server_url: &str,
    pairing_code: &str,
    profile: Option<String>,
    mode: Mode,
    clock: Clock,
) -> Result<PairResponse, StationError> {
    let paired = gatehouse_sync::pair(store, server_url, pairing_code, profile, clock).await?;
    // Before the first sync, so that a kiosk announces itself as one.
    store.set_meta(meta::MODE, mode_name(mode))?;
    Ok(paired)
}

fn parse_movement(s: Option<&str>) -> Result<Option<Movement>, StationError> {
    match s.map(str::trim) {
        None | Some("") => Ok(None),
        Some(s) => parse_direction(s)
            .map(Some)
            .map_err(StationError::BadDirection),
    }
}

impl Station {
    /// The profile in force (window, camera, debounce settings).
    pub fn profile(&self) -> Profile {
        self.post().profile.clone()
    }

    /// Profile names offered at pairing: the `.toml` files of the profiles folder.
    pub fn available_profiles(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(&self.config.profiles_dir)
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| {
                let path = e.path();
                (path.extension()? == "toml")
                    .then(|| path.file_stem()?.to_str().map(str::to_owned))
                    .flatten()
            })
            .collect();
        names.sort();
        names
    }

    /// What a screen shows: pairing, the checkpoint choice, or where the device scans.
    pub fn setup(&self) -> Result<Setup, StationError> {
        let post = self.post();
        let mut setup = Setup {
            mode: post.mode,
            profile: post.profile.clone(),
            device: None,
            checkpoints: Vec::new(),
            checkpoint: post.checkpoint.as_ref().map(|c| c.id),
            direction: post.direction,
            available_profiles: self.available_profiles(),
        };
        let Some(scanner) = &post.scanner else {
            return Ok(setup);
        };
        let store = scanner.store();
        let pairing = store.require_pairing()?;
        setup.device = Some((pairing.device_name, pairing.event_name));
        for c in store.checkpoints()? {
            if !c.active {
                continue;
            }
            let zone = store.zone(c.zone_id)?.map(|z| z.name).unwrap_or_default();
            setup.checkpoints.push((c, zone));
        }
        Ok(setup)
    }

    /// Pairs with a server, loads the chosen profile, runs the first sync and starts the sync
    /// task (on the async runtime this is awaited on).
    pub async fn pair(&self, request: PairRequest) -> Result<Setup, StationError> {
        let profile_name = request.profile.trim().to_owned();
        let profile = load_named(&self.config.profiles_dir, &profile_name)?;
        if request.pairing_code.trim().is_empty() {
            return Err(StationError::NoPairingCode);
        }
        let mut store = Store::open(&self.config.data, Durability::Normal)?;
        if store.pairing()?.is_some() && self.post().scanner.is_some() {
            return Err(StationError::AlreadyPaired);
        }
        pair_device(
            &mut store,
            &request.server_url,
            &request.pairing_code,
            Some(profile_name),
            profile.mode,
            self.clock,
        )
        .await?;
        // The first sync brings checkpoints, keys and participants; offline is not fatal.
        let engine_store = Store::open(&self.config.data, Durability::Normal)?;
        let mut engine = SyncEngine::new(engine_store, self.clock, EngineConfig::default())?;
        if let Err(e) = engine.sync_once().await {
            tracing::warn!(error = %e, "the first sync failed; the engine keeps trying");
        }
        drop(engine);
        {
            let mut post = self.post();
            post.scanner = Some(ScanStation::new(store, self.clock)?);
            post.mode = profile.mode;
            *lock(&self.speaker) = speaker_for(&profile);
            post.profile = profile;
        }
        self.restore_selection()?;
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => self.start_sync(&runtime)?,
            Err(e) => tracing::warn!(error = %e, "paired outside an async runtime: not syncing"),
        }
        self.setup()
    }

    /// Sets where the device scans and, at a both-ways checkpoint, which way (`None` or empty:
    /// inferred per scan). Kept across restarts.
    pub fn select_checkpoint(
        &self,
        checkpoint: &str,
        direction: Option<&str>,
    ) -> Result<Setup, StationError> {
        let direction = parse_movement(direction)?;
        {
            let mut post = self.post();
            let store = post.scanner()?.store();
            let checkpoint = store.checkpoint(checkpoint.trim())?;
            store.set_meta(CHECKPOINT_KEY, &checkpoint.id.to_string())?;
            store.set_meta(DIRECTION_KEY, direction.map(Movement::as_str).unwrap_or(""))?;
            post.checkpoint = Some(checkpoint);
            post.direction = direction;
        }
        self.setup()
    }

    /// Takes up the checkpoint chosen earlier (or the profile's).
    pub(super) fn restore_selection(&self) -> Result<(), StationError> {
        let mut post = self.post();
        let Some(scanner) = &post.scanner else {
            return Ok(());
        };
        let store = scanner.store();
        let wanted = store
            .meta(CHECKPOINT_KEY)?
            .or_else(|| post.profile.checkpoint.clone());
        let direction = match store.meta(DIRECTION_KEY)? {
            Some(d) => parse_movement(Some(&d))?,
            None => parse_movement(post.profile.direction.as_deref())?,
        };
        if let Some(wanted) = wanted {
            match store.checkpoint(&wanted) {
                Ok(c) => {
                    post.checkpoint = Some(c);
                    post.direction = direction;
                }
                Err(StoreError::UnknownCheckpoint(_)) => {}
                Err(e) => tracing::warn!(error = %e, "cannot restore the selected checkpoint"),
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_profile_is_a_gate_with_every_language() {
        let p = default_profile();
        assert_eq!(p.mode, Mode::Gate);
        assert_eq!(p.languages, ["en", "fr", "am", "ar"]);
    }

    #[test]
    fn a_profile_is_named_by_letters_digits_dashes_and_underscores() {
        let dir = tempfile::tempdir().unwrap();
        let bad = load_named(dir.path(), "../etc/passwd").unwrap_err();
        assert_eq!(bad.code(), "unknown_profile");
        let missing = load_named(dir.path(), "gate-laptop").unwrap_err();
        assert_eq!(missing.code(), "unknown_profile");
    }
}
