//! The server's configuration: one typed struct, read in layers (defaults, then a TOML file named
//! by `--config`, then `GATEHOUSE_*` variables, then command-line flags) and validated once at
//! start-up with an error that names the bad field.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use thiserror::Error;

/// Default request body ceiling: a large offline upload fits, a runaway client does not.
pub const DEFAULT_MAX_BODY_BYTES: usize = 16 * 1024 * 1024;
/// How long an unused pairing code stays good.
pub const DEFAULT_PAIRING_CODE_TTL_SECONDS: i64 = 24 * 3600;
/// How long an admin session lasts.
pub const DEFAULT_SESSION_TTL_HOURS: i64 = 12;
/// The first webhook retry delay (the schedule scales with it).
pub const DEFAULT_WEBHOOKS_RETRY_BASE_MS: u64 = 5_000;
/// How long one webhook request may take.
pub const DEFAULT_WEBHOOKS_TIMEOUT_MS: u64 = 15_000;
/// How long a device may stay silent before `device.offline`.
pub const DEFAULT_WEBHOOKS_DEVICE_OFFLINE_SECONDS: i64 = 300;

/// Where the data lives and how the server listens.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub bind: SocketAddr,
    /// Holds the SQLite database (unless `database_url` points elsewhere) and `master.key`.
    pub data_dir: PathBuf,
    /// `postgres://...` or `sqlite://...`; `None` means `DATA_DIR/gatehouse.db`.
    pub database_url: Option<String>,
    /// 64 hex digits; `None` means the key file `DATA_DIR/master.key` (created if missing).
    pub master_key: Option<String>,
    pub max_body_bytes: usize,
    pub pairing_code_ttl_seconds: i64,
    pub session_ttl_hours: i64,
    pub log_format: LogFormat,
    /// Webhooks may target loopback, private and link-local addresses (and plain `http`): for
    /// development and tests only, as it lets API keys probe the server's own network.
    pub webhooks_allow_private: bool,
    /// The first retry delay of the webhook schedule; later delays scale with it (the default
    /// 5 s gives 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h, 10 h). Tests shrink it.
    pub webhooks_retry_base_ms: u64,
    /// How long one webhook request may take.
    pub webhooks_timeout_ms: u64,
    /// A paired device silent this long is announced once as `device.offline`.
    pub webhooks_device_offline_seconds: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Json,
    Pretty,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from("gatehouse-data"),
            database_url: None,
            master_key: None,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            pairing_code_ttl_seconds: DEFAULT_PAIRING_CODE_TTL_SECONDS,
            session_ttl_hours: DEFAULT_SESSION_TTL_HOURS,
            log_format: LogFormat::Json,
            webhooks_allow_private: false,
            webhooks_retry_base_ms: DEFAULT_WEBHOOKS_RETRY_BASE_MS,
            webhooks_timeout_ms: DEFAULT_WEBHOOKS_TIMEOUT_MS,
            webhooks_device_offline_seconds: DEFAULT_WEBHOOKS_DEVICE_OFFLINE_SECONDS,
        }
    }
}

/// The TOML file: every field optional, unknown fields refused (a typo must not pass silently).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    pub bind: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub database_url: Option<String>,
    pub master_key: Option<String>,
    pub max_body_bytes: Option<usize>,
    pub pairing_code_ttl_seconds: Option<i64>,
    pub session_ttl_hours: Option<i64>,
    pub log_format: Option<LogFormat>,
    pub webhooks_allow_private: Option<bool>,
    pub webhooks_retry_base_ms: Option<u64>,
    pub webhooks_timeout_ms: Option<u64>,
    pub webhooks_device_offline_seconds: Option<i64>,
}

/// Values given on the command line (highest precedence).
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub bind: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub database_url: Option<String>,
}

#[derive(Debug, Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config file {path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("config field `{field}`: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
}

fn invalid(field: &'static str, message: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        field,
        message: message.into(),
    }
}

impl Config {
    /// What the domain needs of this configuration.
    pub fn domain_settings(&self) -> gatehouse_domain::Settings {
        gatehouse_domain::Settings {
            pairing_code_ttl_seconds: self.pairing_code_ttl_seconds,
            session_ttl_hours: self.session_ttl_hours,
            webhooks: gatehouse_domain::webhooks::Settings {
                allow_private: self.webhooks_allow_private,
                retry_base_ms: self.webhooks_retry_base_ms,
                timeout_ms: self.webhooks_timeout_ms,
                device_offline_seconds: self.webhooks_device_offline_seconds,
            },
        }
    }

    /// Reads the layers and validates the result. `env` is passed in so tests need not touch the
    /// process environment.
    pub fn load(
        file: Option<&Path>,
        env: impl Fn(&str) -> Option<String>,
        overrides: &Overrides,
    ) -> Result<Config, ConfigError> {
        let from_file = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                    path: path.to_path_buf(),
                    source,
                })?;
                toml::from_str::<ConfigFile>(&text).map_err(|e| ConfigError::Parse {
                    path: path.to_path_buf(),
                    message: e.to_string(),
                })?
            }
            None => ConfigFile::default(),
        };
        let mut c = Config::default();
        let mut bind = from_file.bind;
        if let Some(v) = from_file.data_dir {
            c.data_dir = v;
        }
        c.database_url = from_file.database_url;
        c.master_key = from_file.master_key;
        if let Some(v) = from_file.max_body_bytes {
            c.max_body_bytes = v;
        }
        if let Some(v) = from_file.pairing_code_ttl_seconds {
            c.pairing_code_ttl_seconds = v;
        }
        if let Some(v) = from_file.session_ttl_hours {
            c.session_ttl_hours = v;
        }
        if let Some(v) = from_file.log_format {
            c.log_format = v;
        }
        if let Some(v) = from_file.webhooks_allow_private {
            c.webhooks_allow_private = v;
        }
        if let Some(v) = from_file.webhooks_retry_base_ms {
            c.webhooks_retry_base_ms = v;
        }
        if let Some(v) = from_file.webhooks_timeout_ms {
            c.webhooks_timeout_ms = v;
        }
        if let Some(v) = from_file.webhooks_device_offline_seconds {
            c.webhooks_device_offline_seconds = v;
        }

        if let Some(v) = env("GATEHOUSE_BIND") {
            bind = Some(v);
        }
        if let Some(v) = env("GATEHOUSE_DATA") {
            c.data_dir = PathBuf::from(v);
        }
        if let Some(v) = env("GATEHOUSE_DATABASE_URL") {
            c.database_url = Some(v);
        }
        if let Some(v) = env("GATEHOUSE_MASTER_KEY") {
            c.master_key = Some(v);
        }
        if let Some(v) = env("GATEHOUSE_MAX_BODY_BYTES") {
            c.max_body_bytes = v
                .parse()
                .map_err(|_| invalid("max_body_bytes", format!("{v:?} is not a byte count")))?;
        }
        if let Some(v) = env("GATEHOUSE_PAIRING_CODE_TTL_SECONDS") {
            c.pairing_code_ttl_seconds = v.parse().map_err(|_| {
                invalid(
                    "pairing_code_ttl_seconds",
                    format!("{v:?} is not a number of seconds"),
                )
            })?;
        }
        if let Some(v) = env("GATEHOUSE_SESSION_TTL_HOURS") {
            c.session_ttl_hours = v.parse().map_err(|_| {
                invalid(
                    "session_ttl_hours",
                    format!("{v:?} is not a number of hours"),
                )
            })?;
        }
        if let Some(v) = env("GATEHOUSE_LOG_FORMAT") {
            c.log_format = match v.as_str() {
                "json" => LogFormat::Json,
                "pretty" => LogFormat::Pretty,
                _ => {
                    return Err(invalid(
                        "log_format",
                        format!("{v:?} is not json or pretty"),
                    ))
                }
            };
        }
        if let Some(v) = env("GATEHOUSE_WEBHOOKS_ALLOW_PRIVATE") {
            c.webhooks_allow_private = match v.as_str() {
                "true" | "1" => true,
                "false" | "0" => false,
                _ => {
                    return Err(invalid(
                        "webhooks_allow_private",
                        format!("{v:?} is not true or false"),
                    ))
                }
            };
        }
        if let Some(v) = env("GATEHOUSE_WEBHOOKS_RETRY_BASE_MS") {
            c.webhooks_retry_base_ms = v.parse().map_err(|_| {
                invalid(
                    "webhooks_retry_base_ms",
                    format!("{v:?} is not a number of milliseconds"),
                )
            })?;
        }
        if let Some(v) = env("GATEHOUSE_WEBHOOKS_TIMEOUT_MS") {
            c.webhooks_timeout_ms = v.parse().map_err(|_| {
                invalid(
                    "webhooks_timeout_ms",
                    format!("{v:?} is not a number of milliseconds"),
                )
            })?;
        }
        if let Some(v) = env("GATEHOUSE_WEBHOOKS_DEVICE_OFFLINE_SECONDS") {
            c.webhooks_device_offline_seconds = v.parse().map_err(|_| {
                invalid(
                    "webhooks_device_offline_seconds",
                    format!("{v:?} is not a number of seconds"),
                )
            })?;
        }

        if let Some(v) = &overrides.bind {
            bind = Some(v.clone());
        }
        if let Some(v) = &overrides.data_dir {
            c.data_dir = v.clone();
        }
        if let Some(v) = &overrides.database_url {
            c.database_url = Some(v.clone());
        }
        if let Some(b) = bind {
            c.bind = b.parse().map_err(|_| {
                invalid(
                    "bind",
                    format!("{b:?} is not an address like 127.0.0.1:8080"),
                )
            })?;
        }
        c.validate()?;
        Ok(c)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        if self.data_dir.as_os_str().is_empty() {
            return Err(invalid("data_dir", "must not be empty"));
        }
        if let Some(url) = &self.database_url {
            if !(url.starts_with("postgres://")
                || url.starts_with("postgresql://")
                || url.starts_with("sqlite:"))
            {
                return Err(invalid(
                    "database_url",
                    "must start with postgres://, postgresql:// or sqlite:",
                ));
            }
        }
        if let Some(key) = &self.master_key {
            if key.len() != 64 || !key.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(invalid("master_key", "must be 64 hex digits (32 bytes)"));
            }
        }
        if self.max_body_bytes < 1024 || self.max_body_bytes > 1 << 30 {
            return Err(invalid(
                "max_body_bytes",
                "must be between 1024 and 1073741824",
            ));
        }
        if self.pairing_code_ttl_seconds <= 0 {
            return Err(invalid("pairing_code_ttl_seconds", "must be positive"));
        }
        if self.session_ttl_hours <= 0 {
            return Err(invalid("session_ttl_hours", "must be positive"));
        }
        if !(1..=3_600_000).contains(&self.webhooks_retry_base_ms) {
            return Err(invalid(
                "webhooks_retry_base_ms",
                "must be between 1 and 3600000",
            ));
        }
        if !(100..=120_000).contains(&self.webhooks_timeout_ms) {
            return Err(invalid(
                "webhooks_timeout_ms",
                "must be between 100 and 120000",
            ));
        }
        if self.webhooks_device_offline_seconds <= 0 {
            return Err(invalid(
                "webhooks_device_offline_seconds",
                "must be positive",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn layers_apply_in_order_file_then_env_then_flags() {
        let dir = std::env::temp_dir().join(format!("gh-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("server.toml");
        std::fs::write(&file, "bind = \"127.0.0.1:9000\"\nmax_body_bytes = 4096\n").unwrap();
        let env = |k: &str| (k == "GATEHOUSE_MAX_BODY_BYTES").then(|| "8192".to_string());
        let c = Config::load(Some(&file), env, &Overrides::default()).unwrap();
        assert_eq!(c.bind.port(), 9000);
        assert_eq!(c.max_body_bytes, 8192);
        let flags = Overrides {
            bind: Some("127.0.0.1:0".into()),
            ..Overrides::default()
        };
        let c = Config::load(Some(&file), no_env, &flags).unwrap();
        assert_eq!(c.bind.port(), 0);
    }

    #[test]
    fn a_bad_value_is_reported_by_field_name() {
        let flags = Overrides {
            database_url: Some("mysql://x".into()),
            ..Overrides::default()
        };
        let err = Config::load(None, no_env, &flags).unwrap_err().to_string();
        assert!(err.contains("database_url"), "{err}");

        let env = |k: &str| (k == "GATEHOUSE_MASTER_KEY").then(|| "abc".to_string());
        let err = Config::load(None, env, &Overrides::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains("master_key"), "{err}");
    }

    #[test]
    fn an_unknown_field_in_the_file_is_refused() {
        let dir = std::env::temp_dir().join(format!("gh-config-u-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("server.toml");
        std::fs::write(&file, "bnid = \"127.0.0.1:9000\"\n").unwrap();
        let err = Config::load(Some(&file), no_env, &Overrides::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains("bnid"), "{err}");
    }
}
