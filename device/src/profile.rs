//! Kiosk profiles: the TOML file a device runs under (`kiosk-profiles/*.toml`).
//!
//! A profile says what the device is for (a gate laptop, an exit gate, a self-service kiosk):
//! mode, checkpoint, camera, languages, idle timeout, sound volume, fullscreen lock, the admin
//! PIN (argon2 hash, never the PIN itself), allowed actions, printer and theme.
//!
//! A profile is checked completely at start: a bad one stops the app with a [`ProfileError`] that
//! names the file, the key and what was expected, instead of misbehaving at 07:00.

use std::path::{Path, PathBuf};

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Languages the app ships translations and fonts for.
pub const LANGUAGES: [&str; 4] = ["en", "fr", "am", "ar"];
/// The shortest idle timeout a kiosk may have: a person needs time to read the welcome screen.
pub const MIN_IDLE_TIMEOUT_S: u32 = 10;
/// The longest: after an hour nobody is coming back for their screen.
pub const MAX_IDLE_TIMEOUT_S: u32 = 3600;
/// A queue series is short: the desk calls it out with every number.
pub const MAX_QUEUE_SERIES: usize = 2;

/// What a device is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Staff scan badges; verdict panel, last scans, override.
    Gate,
    /// Attendees check themselves in; attract screen, welcome, badge or queue ticket.
    Kiosk,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Theme {
    Light,
    Dark,
    HighContrast,
}

/// Which camera feeds the scanner.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CameraSettings {
    /// Camera index (0 is the first camera), or absent for hand scanners only.
    pub index: Option<u32>,
    #[serde(default = "default_width")]
    pub width: u32,
    #[serde(default = "default_height")]
    pub height: u32,
    #[serde(default = "default_fps")]
    pub fps: u32,
}

fn default_width() -> u32 {
    1280
}
fn default_height() -> u32 {
    720
}
fn default_fps() -> u32 {
    30
}

impl Default for CameraSettings {
    fn default() -> Self {
        CameraSettings {
            index: Some(0),
            width: default_width(),
            height: default_height(),
            fps: default_fps(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SoundSettings {
    #[serde(default = "yes")]
    pub enabled: bool,
    /// From 0.0 (silent) to 1.0 (full).
    #[serde(default = "default_volume")]
    pub volume: f32,
}

fn yes() -> bool {
    true
}
fn default_volume() -> f32 {
    0.8
}

impl Default for SoundSettings {
    fn default() -> Self {
        SoundSettings {
            enabled: true,
            volume: default_volume(),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WindowSettings {
    #[serde(default)]
    pub fullscreen: bool,
    /// Kiosk lock: no decorations, always on top, window shortcuts suppressed; leaving needs the
    /// admin PIN.
    #[serde(default)]
    pub lock: bool,
}

/// What staff or attendees may do on this device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Actions {
    /// Admit an `ALREADY_SCANNED` badge with a reason.
    #[serde(default)]
    pub r#override: bool,
    /// Type a registration code.
    #[serde(default = "yes")]
    pub manual_entry: bool,
    /// Find a participant by name.
    #[serde(default = "yes")]
    pub search: bool,
}

impl Default for Actions {
    fn default() -> Self {
        Actions {
            r#override: false,
            manual_entry: true,
            search: true,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrinterSettings {
    /// CUPS queue name for `lp -d`; absent: badges are saved as PDF files in `badge_dir`.
    pub queue: Option<String>,
    pub badge_dir: Option<PathBuf>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdminSettings {
    /// argon2 PHC string of the admin PIN (`gatehouse-gate hash-pin`).
    pub pin_hash: Option<String>,
}

/// A device profile as written in `kiosk-profiles/*.toml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    pub name: String,
    pub mode: Mode,
    /// Checkpoint name or id; absent: chosen on the device after pairing.
    pub checkpoint: Option<String>,
    /// For a two-way checkpoint: `in` or `out`; absent: inferred per scan.
    pub direction: Option<String>,
    #[serde(default = "all_languages")]
    pub languages: Vec<String>,
    #[serde(default = "english")]
    pub default_language: String,
    /// Seconds without a touch before a kiosk wipes the screen and returns to the attract screen.
    #[serde(default = "default_idle")]
    pub idle_timeout_s: u32,
    #[serde(default = "default_theme")]
    pub theme: Theme,
    /// Anti-bounce window for the same badge in front of the camera, milliseconds.
    #[serde(default = "default_debounce")]
    pub debounce_ms: u64,
    #[serde(default)]
    pub camera: CameraSettings,
    #[serde(default)]
    pub sound: SoundSettings,
    #[serde(default)]
    pub window: WindowSettings,
    #[serde(default)]
    pub actions: Actions,
    #[serde(default)]
    pub printer: PrinterSettings,
    #[serde(default)]
    pub admin: AdminSettings,
    /// Service desks that hand out queue tickets (kiosk mode).
    #[serde(default)]
    pub queue_desks: Vec<String>,
    /// This kiosk's letters in its queue tickets' labels (`B` makes `RB-007`). Kiosks number
    /// their tickets each on its own, offline too: kiosks serving the same desks need different
    /// series, or two attendees hold the same label.
    pub queue_series: Option<String>,
}

fn all_languages() -> Vec<String> {
    LANGUAGES.iter().map(|s| s.to_string()).collect()
}
fn english() -> String {
    "en".into()
}
fn default_idle() -> u32 {
    60
}
fn default_theme() -> Theme {
    Theme::Light
}
fn default_debounce() -> u64 {
    3000
}

/// A profile that cannot be used, with where and why.
#[derive(Debug, Error)]
#[error("{}: {problem}", file.display())]
pub struct ProfileError {
    pub file: PathBuf,
    pub problem: Problem,
}

#[derive(Debug, Error)]
pub enum Problem {
    #[error("cannot read the file: {0}")]
    Unreadable(std::io::Error),
    #[error("key `{key}`: {message}")]
    Invalid { key: String, message: String },
}

impl ProfileError {
    /// The dotted key the problem is about (`sound.volume`), when there is one.
    pub fn key(&self) -> Option<&str> {
        match &self.problem {
            Problem::Invalid { key, .. } => Some(key),
            Problem::Unreadable(_) => None,
        }
    }
}

fn invalid(file: &Path, key: &str, message: impl Into<String>) -> ProfileError {
    ProfileError {
        file: file.to_path_buf(),
        problem: Problem::Invalid {
            key: key.to_string(),
            message: message.into(),
        },
    }
}

impl Profile {
    /// Reads and checks a profile file.
    pub fn load(file: &Path) -> Result<Profile, ProfileError> {
        let text = std::fs::read_to_string(file).map_err(|e| ProfileError {
            file: file.to_path_buf(),
            problem: Problem::Unreadable(e),
        })?;
        Profile::parse(file, &text)
    }

    /// Parses and checks profile text; `file` names it in errors.
    pub fn parse(file: &Path, text: &str) -> Result<Profile, ProfileError> {
        let deserializer = toml::Deserializer::new(text);
        let profile: Profile = serde_path_to_error::deserialize(deserializer).map_err(|e| {
            let key = e.path().to_string();
            let key = if key == "." {
                "(top level)".to_string()
            } else {
                key
            };
            // toml's messages carry a source excerpt over several lines; keep the first line.
            let inner = e.into_inner().message().trim().to_string();
            invalid(file, &key, inner)
        })?;
        profile.check(file)?;
        Ok(profile)
    }

    fn check(&self, file: &Path) -> Result<(), ProfileError> {
        if self.name.trim().is_empty() {
            return Err(invalid(file, "name", "expected a non-empty name"));
        }
        if self.languages.is_empty() {
            return Err(invalid(file, "languages", "expected at least one language"));
        }
        for (i, lang) in self.languages.iter().enumerate() {
            if !LANGUAGES.contains(&lang.as_str()) {
                return Err(invalid(
                    file,
                    &format!("languages[{i}]"),
                    format!("expected one of {LANGUAGES:?}, found {lang:?}"),
                ));
            }
        }
        if !self.languages.contains(&self.default_language) {
            return Err(invalid(
                file,
                "default_language",
                format!(
                    "expected one of the profile's languages {:?}, found {:?}",
                    self.languages, self.default_language
                ),
            ));
        }
        if !(MIN_IDLE_TIMEOUT_S..=MAX_IDLE_TIMEOUT_S).contains(&self.idle_timeout_s) {
            return Err(invalid(
                file,
                "idle_timeout_s",
                format!(
                    "expected seconds from {MIN_IDLE_TIMEOUT_S} to {MAX_IDLE_TIMEOUT_S}, found {}",
                    self.idle_timeout_s
                ),
            ));
        }
        if let Some(d) = &self.direction {
            if d != "in" && d != "out" {
                return Err(invalid(
                    file,
                    "direction",
                    format!("expected \"in\" or \"out\", found {d:?}"),
                ));
            }
        }
        if !(0.0..=1.0).contains(&self.sound.volume) {
            return Err(invalid(
                file,
                "sound.volume",
                format!(
                    "expected a number from 0.0 to 1.0, found {}",
                    self.sound.volume
                ),
            ));
        }
        let c = &self.camera;
        if c.width == 0 || c.height == 0 || c.fps == 0 || c.fps > 240 {
            return Err(invalid(
                file,
                "camera",
                format!(
                    "expected a positive width and height and 1 to 240 fps, found {}x{} at {} fps",
                    c.width, c.height, c.fps
                ),
            ));
        }
        match &self.admin.pin_hash {
            Some(hash) => {
                PasswordHash::new(hash).map_err(|e| {
                    invalid(
                        file,
                        "admin.pin_hash",
                        format!(
                            "expected an argon2 PHC string from `gatehouse-gate hash-pin` ({e})"
                        ),
                    )
                })?;
            }
            None if self.window.lock => {
                return Err(invalid(
                    file,
                    "admin.pin_hash",
                    "expected a PIN hash: a locked window needs an admin PIN to leave it",
                ));
            }
            None => {}
        }
        if let Some(series) = &self.queue_series {
            let fits = (1..=MAX_QUEUE_SERIES).contains(&series.chars().count())
                && series
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
            if !fits {
                return Err(invalid(
                    file,
                    "queue_series",
                    format!(
                        "expected 1 to {MAX_QUEUE_SERIES} capital letters or digits (\"B\"), \
                         found {series:?}"
                    ),
                ));
            }
        }
        if self.mode == Mode::Kiosk && self.actions.r#override {
            return Err(invalid(
                file,
                "actions.override",
                "expected false in kiosk mode: attendees cannot override refusals",
            ));
        }
        Ok(())
    }

    /// Whether `pin` is the admin PIN. Without a configured PIN nobody can unlock.
    pub fn verify_pin(&self, pin: &str) -> bool {
        let Some(hash) = &self.admin.pin_hash else {
            return false;
        };
        let Ok(parsed) = PasswordHash::new(hash) else {
            return false;
        };
        Argon2::default()
            .verify_password(pin.as_bytes(), &parsed)
            .is_ok()
    }
}

/// Hashes an admin PIN for a profile's `admin.pin_hash`. `salt` must be random (16 bytes).
pub fn hash_pin(pin: &str, salt: [u8; 16]) -> Result<String, String> {
    let salt = SaltString::encode_b64(&salt).map_err(|e| e.to_string())?;
    Argon2::default()
        .hash_password(pin.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Profile, ProfileError> {
        Profile::parse(Path::new("kiosk-profiles/test.toml"), text)
    }

    #[test]
    fn the_shipped_profiles_are_valid() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../kiosk-profiles");
        let mut seen = Vec::new();
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "toml") {
                let p = Profile::load(&path).unwrap_or_else(|e| panic!("{e}"));
                seen.push(p.name);
            }
        }
        seen.sort();
        assert_eq!(seen, ["exit-gate", "gate-laptop", "self-service-kiosk"]);
    }

    #[test]
    fn the_kiosk_profile_unlocks_only_with_its_pin() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../kiosk-profiles");
        let kiosk = Profile::load(&dir.join("self-service-kiosk.toml")).unwrap();
        assert_eq!(kiosk.mode, Mode::Kiosk);
        assert!(kiosk.window.lock && kiosk.window.fullscreen);
        assert!(kiosk.verify_pin("2468"));
        assert!(!kiosk.verify_pin("1234"));
        assert!(!kiosk.verify_pin(""));
    }

    #[test]
    fn a_wrong_type_names_the_key_and_what_was_expected() {
        let err = parse("name = \"x\"\nmode = \"gate\"\n[sound]\nvolume = \"loud\"\n").unwrap_err();
        assert_eq!(err.key(), Some("sound.volume"));
        let text = err.to_string();
        assert!(
            text.starts_with("kiosk-profiles/test.toml: key `sound.volume`"),
            "{text}"
        );
        assert!(text.contains("expected"), "{text}");
    }

    #[test]
    fn an_unknown_key_is_refused_by_name() {
        let err = parse("name = \"x\"\nmode = \"gate\"\nidle_timout_s = 30\n").unwrap_err();
        assert!(err.to_string().contains("idle_timout_s"), "{err}");
    }

    #[test]
    fn an_unknown_mode_lists_the_modes() {
        let err = parse("name = \"x\"\nmode = \"turnstile\"\n").unwrap_err();
        assert_eq!(err.key(), Some("mode"));
        assert!(err.to_string().contains("gate"), "{err}");
    }

    #[test]
    fn out_of_range_values_are_refused_with_the_range() {
        let err = parse("name = \"x\"\nmode = \"gate\"\n[sound]\nvolume = 3.0\n").unwrap_err();
        assert_eq!(err.key(), Some("sound.volume"));
        assert!(err.to_string().contains("0.0 to 1.0"), "{err}");

        let err = parse("name = \"x\"\nmode = \"kiosk\"\nidle_timeout_s = 2\n").unwrap_err();
        assert_eq!(err.key(), Some("idle_timeout_s"));

        let err =
            parse("name = \"x\"\nmode = \"gate\"\nlanguages = [\"en\", \"de\"]\n").unwrap_err();
        assert_eq!(err.key(), Some("languages[1]"));

        let err = parse("name = \"x\"\nmode = \"kiosk\"\nqueue_series = \"b-2\"\n").unwrap_err();
        assert_eq!(err.key(), Some("queue_series"));
        assert!(
            err.to_string().contains("capital letters or digits"),
            "{err}"
        );
        let ok = parse("name = \"x\"\nmode = \"kiosk\"\nqueue_series = \"B2\"\n").unwrap();
        assert_eq!(ok.queue_series.as_deref(), Some("B2"));
    }

    #[test]
    fn a_locked_window_needs_a_pin() {
        let err = parse("name = \"x\"\nmode = \"kiosk\"\n[window]\nlock = true\n").unwrap_err();
        assert_eq!(err.key(), Some("admin.pin_hash"));
        let err =
            parse("name = \"x\"\nmode = \"kiosk\"\n[admin]\npin_hash = \"2468\"\n").unwrap_err();
        assert_eq!(
            err.key(),
            Some("admin.pin_hash"),
            "a PIN in clear is refused"
        );
    }

    #[test]
    fn a_missing_file_is_named() {
        let err = Profile::load(Path::new("/nonexistent/gate.toml")).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("/nonexistent/gate.toml: cannot read"),
            "{err}"
        );
    }

    #[test]
    fn a_hashed_pin_verifies() {
        let hash = hash_pin("0000", [7; 16]).unwrap();
        let p = parse(&format!(
            "name = \"x\"\nmode = \"kiosk\"\n[window]\nlock = true\n[admin]\npin_hash = \"{hash}\"\n"
        ))
        .unwrap();
        assert!(p.verify_pin("0000"));
        assert!(!p.verify_pin("0001"));
    }
}
