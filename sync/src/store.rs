//! The device's SQLite store: one encrypted file per gate holding everything a scan needs while
//! the network is down.
//!
//! - **Encryption at rest**: the file is a SQLCipher database. Its 32-byte key lives beside it in
//!   `store.key` (mode 0600), never inside it, so a copied database file alone reveals no names.
//!   The raw hex key form skips SQLCipher's PBKDF2, so opening costs microseconds, not 250 ms.
//! - **Durability**: WAL journal with `synchronous=NORMAL` by default. In WAL mode a commit has
//!   written its pages to the WAL file before `COMMIT` returns; the operating system keeps them
//!   even if the process is killed (`kill -9`), so a scan that was answered is never lost to a
//!   crashed gate. Only a power cut within the OS's write-back window can roll back the last
//!   commits. [`Durability::Full`] (`synchronous=FULL`) fsyncs every commit and closes that window
//!   too, at the price of one fsync per scan.
//! - **Migrations**: `PRAGMA user_version` holds the schema version; [`MIGRATIONS`] run in order,
//!   each in its own transaction.
//!
//! - **Checkpoints off the scan path**: SQLite folds the WAL back into the database file
//!   ("checkpoint") inside whichever commit pushes the WAL past `wal_autocheckpoint` pages, so by
//!   default one scan in a thousand pays for copying the WAL. A scanning store hands that work to
//!   a [`Checkpointer`] ([`Store::background_checkpoints`]): a second connection on its own thread
//!   that runs a `PASSIVE` checkpoint every [`CHECKPOINT_INTERVAL`]. A passive checkpoint never
//!   waits for, nor blocks, a writer (<https://www.sqlite.org/c3ref/wal_checkpoint_v2.html>).
//!
//! The scan path and the sync engine each open their own [`Store`] (their own connection), so a
//! long feed page never holds up a scan longer than one page's transaction.

use std::fs;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use gatehouse_core::{DeviceId, EventId, TenantId};
use rusqlite::{params, Connection, OptionalExtension};

use crate::error::StoreError;

/// The database file inside a gate's state directory.
pub const DB_FILE: &str = "gate.db";
/// The key file inside a gate's state directory.
pub const KEY_FILE: &str = "store.key";
/// How long a connection waits for another one's write transaction before giving up.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// How often a [`Checkpointer`] folds the WAL back into the database file.
pub const CHECKPOINT_INTERVAL: Duration = Duration::from_secs(1);
/// The WAL size (pages) at which a commit on a store with a [`Checkpointer`] checkpoints by
/// itself anyway: a safety net should the background thread fall behind (~40 MB).
const FALLBACK_AUTOCHECKPOINT_PAGES: u32 = 10_000;

/// How hard each commit is pushed to disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// `synchronous=NORMAL` + WAL: survives a killed process; see the module documentation.
    #[default]
    Normal,
    /// `synchronous=FULL`: every commit is fsynced; survives a power cut too.
    Full,
}

impl Durability {
    /// Reads `normal` or `full` (as in `GATEHOUSE_GATE_SYNCHRONOUS`).
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "normal" => Some(Durability::Normal),
            "full" => Some(Durability::Full),
            _ => None,
        }
    }
}

/// The schema, one step per version. Never edit a released step: add a new one.
pub const MIGRATIONS: &[&str] = &[
    // 1: the first schema.
    r#"
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
    CREATE TABLE zones (
        id TEXT PRIMARY KEY,
        event_id TEXT NOT NULL,
        name TEXT NOT NULL,
        capacity INTEGER,
        multiple_entry INTEGER NOT NULL
    );
    CREATE TABLE checkpoints (
        id TEXT PRIMARY KEY,
        event_id TEXT NOT NULL,
        zone_id TEXT NOT NULL,
        name TEXT NOT NULL,
        direction TEXT NOT NULL,
        active INTEGER NOT NULL
    );
    CREATE INDEX checkpoints_by_name ON checkpoints(name);
    CREATE TABLE ticket_keys (key_id INTEGER PRIMARY KEY, secret_hex TEXT NOT NULL);
    CREATE TABLE participants (
        id TEXT PRIMARY KEY,
        event_id TEXT NOT NULL,
        full_name TEXT NOT NULL,
        organisation TEXT,
        category TEXT NOT NULL,
        status TEXT NOT NULL,
        zones TEXT NOT NULL,
        valid_from INTEGER,
        valid_until INTEGER,
        credential_seq INTEGER NOT NULL,
        blocked INTEGER NOT NULL,
        registration_code TEXT NOT NULL
    );
    CREATE INDEX participants_by_code ON participants(registration_code);
    -- Every scan this gate knows: its own (local = 1) and other gates' from the feed (local = 0).
    CREATE TABLE access_log (
        id TEXT PRIMARY KEY,
        event_id TEXT NOT NULL,
        checkpoint_id TEXT NOT NULL,
        zone_id TEXT NOT NULL,
        device_id TEXT,
        participant_id TEXT,
        credential_seq INTEGER,
        movement TEXT,
        verdict TEXT NOT NULL,
        reason TEXT NOT NULL,
        override_reason TEXT,
        device_time INTEGER NOT NULL,
        corrected_time INTEGER NOT NULL,
        local INTEGER NOT NULL,
        offline_duplicate INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX access_log_by_participant ON access_log(participant_id);
    CREATE INDEX access_log_local_by_time ON access_log(local, corrected_time);
    -- Scans not yet acknowledged by the server, oldest first.
    CREATE TABLE outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, scan_id TEXT NOT NULL UNIQUE);
    -- ins/outs: this device's own passes (monotonic, uploaded); seen_*: every gate's known passes
    -- (the local estimate of who is inside, for the capacity warning).
    CREATE TABLE occupancy (
        zone_id TEXT PRIMARY KEY,
        ins INTEGER NOT NULL DEFAULT 0,
        outs INTEGER NOT NULL DEFAULT 0,
        seen_ins INTEGER NOT NULL DEFAULT 0,
        seen_outs INTEGER NOT NULL DEFAULT 0
    );
    "#,
    // 2: what a kiosk records besides scans (see `crate::kiosk`), with an outbox of its own so
    // the scan path's outbox and its transaction stay as they were.
    r#"
    CREATE TABLE kiosk_sessions (
        id TEXT PRIMARY KEY,
        event_id TEXT NOT NULL,
        device_id TEXT,
        participant_id TEXT,
        identified_by TEXT,
        language TEXT,
        started_at INTEGER NOT NULL,
        ended_at INTEGER,
        scan_id TEXT,
        verdict TEXT,
        badge TEXT,
        queue_ticket_id TEXT,
        revision INTEGER NOT NULL
    );
    CREATE TABLE queue_tickets (
        id TEXT PRIMARY KEY,
        event_id TEXT NOT NULL,
        device_id TEXT,
        session_id TEXT,
        desk TEXT NOT NULL,
        number INTEGER NOT NULL,
        label TEXT NOT NULL,
        issued_at INTEGER NOT NULL
    );
    -- Kiosk records not yet acknowledged at their latest revision, oldest first.
    CREATE TABLE kiosk_outbox (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        kind TEXT NOT NULL,
        record_id TEXT NOT NULL,
        revision INTEGER NOT NULL,
        UNIQUE (kind, record_id)
    );
    "#,
    // 3: the check a kiosk confirms a date of birth with (`gatehouse_core::birth_check`).
    r#"
    ALTER TABLE participants ADD COLUMN birth_check TEXT;
    "#,
];

/// Keys of the `meta` table.
pub mod meta {
    pub const SERVER_URL: &str = "server_url";
    pub const DEVICE_ID: &str = "device_id";
    pub const DEVICE_NAME: &str = "device_name";
    pub const DEVICE_TOKEN: &str = "device_token";
    pub const TENANT_ID: &str = "tenant_id";
    pub const EVENT_ID: &str = "event_id";
    pub const EVENT_NAME: &str = "event_name";
    pub const PROFILE: &str = "profile";
    pub const CURSOR: &str = "cursor";
    pub const CLOCK_OFFSET_MS: &str = "clock_offset_ms";
    pub const ONLINE: &str = "online";
    pub const LAST_SYNC_AT: &str = "last_sync_at";
    pub const LAST_ERROR: &str = "last_error";
    pub const REVOKED: &str = "revoked";
    /// `kiosk` or `gate`: the mode the app runs in, as the sync engine reports it.
    pub const MODE: &str = "mode";
    /// Why the server last refused the kiosk records (empty once it took them).
    pub const KIOSK_REFUSED: &str = "kiosk_refused";
    /// Why the server last refused the scans (empty once it took them).
    pub const SCANS_REFUSED: &str = "scans_refused";
}

/// The background WAL checkpoint thread of one store ([`Store::background_checkpoints`]).
/// Dropping it stops the thread and waits for it.
#[derive(Debug)]
pub struct Checkpointer {
    stop: Option<mpsc::Sender<()>>,
    thread: Option<thread::JoinHandle<()>>,
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// What pairing told this device about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pairing {
    pub server_url: String,
    pub device_id: DeviceId,
    pub device_name: String,
    pub device_token: String,
    pub tenant_id: TenantId,
    pub event_id: EventId,
    pub event_name: String,
    pub profile: Option<String>,
}

/// One connection to a gate's encrypted store.
pub struct Store {
    conn: Connection,
    dir: PathBuf,
    db: PathBuf,
    key: [u8; 32],
    durability: Durability,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("dir", &self.dir).finish()
    }
}

impl Store {
    /// Opens (creating on first use) the store in a gate's state directory, with its key file.
    pub fn open(dir: &Path, durability: Durability) -> Result<Store, StoreError> {
        fs::create_dir_all(dir).map_err(|source| StoreError::StateDir {
            path: dir.to_path_buf(),
            source,
        })?;
        let db = dir.join(DB_FILE);
        let key = load_or_create_key(&dir.join(KEY_FILE), &db)?;
        let conn = Self::connect(&db, &key, durability)?;
        Ok(Store {
            conn,
            dir: dir.to_path_buf(),
            db,
            key,
            durability,
        })
    }

    /// Opens a database file with an explicit key (tests, recovery tools).
    pub fn open_file(
        db: &Path,
        key: &[u8; 32],
        durability: Durability,
    ) -> Result<Store, StoreError> {
        let conn = Self::connect(db, key, durability)?;
        let dir = db.parent().map(Path::to_path_buf).unwrap_or_default();
        Ok(Store {
            conn,
            dir,
            db: db.to_path_buf(),
            key: *key,
            durability,
        })
    }

    /// Moves WAL checkpoints off this connection's commits: starts a [`Checkpointer`] on a second
    /// connection and raises this connection's own automatic checkpoint to a fallback size. Keep
    /// the returned handle alive as long as this store writes; dropping it stops the thread.
    pub fn background_checkpoints(&self) -> Result<Checkpointer, StoreError> {
        let conn = Self::connect(&self.db, &self.key, self.durability)?;
        self.conn
            .pragma_update(None, "wal_autocheckpoint", FALLBACK_AUTOCHECKPOINT_PAGES)?;
        let (stop, stopped) = mpsc::channel::<()>();
        let thread = thread::Builder::new()
            .name("store-checkpoint".into())
            .spawn(move || {
                // Until the handle is dropped (the channel closes) or says stop.
                while let Err(mpsc::RecvTimeoutError::Timeout) =
                    stopped.recv_timeout(CHECKPOINT_INTERVAL)
                {
                    // PASSIVE copies what it can without waiting on readers or writers; a
                    // busy moment just leaves the rest for the next round.
                    if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))
                    {
                        tracing::warn!(error = %e, "background WAL checkpoint failed");
                    }
                }
            })
            .map_err(StoreError::CheckpointThread)?;
        Ok(Checkpointer {
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    fn connect(
        db: &Path,
        key: &[u8; 32],
        durability: Durability,
    ) -> Result<Connection, StoreError> {
        let conn = Connection::open(db)?;
        // The raw-key form ("x'…'") uses the bytes as the page key directly: no PBKDF2 per open.
        conn.execute_batch(&format!("PRAGMA key = \"x'{}'\";", hex(key)))?;
        // The first read is where SQLCipher finds out whether the key fits.
        match conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
            r.get::<_, i64>(0)
        }) {
            Ok(_) => {}
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::NotADatabase =>
            {
                return Err(StoreError::WrongKey)
            }
            Err(e) => return Err(e.into()),
        }
        conn.busy_timeout(BUSY_TIMEOUT)?;
        let journal: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
        if !journal.eq_ignore_ascii_case("wal") {
            return Err(StoreError::Corrupt {
                what: "journal mode",
                detail: format!("WAL was refused, the database stays in {journal}"),
            });
        }
        let sync = match durability {
            Durability::Normal => "NORMAL",
            Durability::Full => "FULL",
        };
        conn.execute_batch(&format!(
            "PRAGMA synchronous = {sync}; PRAGMA temp_store = MEMORY; PRAGMA cache_size = -32000;"
        ))?;
        conn.set_prepared_statement_cache_capacity(64);
        migrate(&conn)?;
        Ok(conn)
    }

    /// The connection, for this crate's modules only: callers outside get named methods
    /// ([`crate::cache`]'s look-ups, [`crate::kiosk`], [`crate::outbox`]), so the schema can
    /// change without them.
    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }

    pub(crate) fn conn_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }

    /// The schema version this store is at (`PRAGMA user_version`): [`MIGRATIONS`]`.len()`
    /// once opened.
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        Ok(self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))?)
    }

    /// Folds the WAL into the database file now and empties it: the file alone then holds
    /// every commit (before a copy of it is taken, or a check of what it holds).
    pub fn fold_wal(&self) -> Result<(), StoreError> {
        self.conn
            .execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")?;
        Ok(())
    }

    /// The state directory this store lives in.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Reads one `meta` value.
    pub fn meta(&self, key: &str) -> Result<Option<String>, StoreError> {
        get_meta(&self.conn, key)
    }

    /// Writes one `meta` value.
    pub fn set_meta(&self, key: &str, value: &str) -> Result<(), StoreError> {
        set_meta(&self.conn, key, value)
    }

    /// What pairing stored, or `None` before pairing.
    pub fn pairing(&self) -> Result<Option<Pairing>, StoreError> {
        let get = |k| get_meta(&self.conn, k);
        let Some(device_id) = get(meta::DEVICE_ID)? else {
            return Ok(None);
        };
        let token = get(meta::DEVICE_TOKEN)?.unwrap_or_default();
        Ok(Some(Pairing {
            server_url: get(meta::SERVER_URL)?.unwrap_or_default(),
            device_id: DeviceId(parse_uuid("device id", &device_id)?),
            device_name: get(meta::DEVICE_NAME)?.unwrap_or_default(),
            device_token: token,
            tenant_id: TenantId(parse_uuid(
                "tenant id",
                &get(meta::TENANT_ID)?.unwrap_or_default(),
            )?),
            event_id: EventId(parse_uuid(
                "event id",
                &get(meta::EVENT_ID)?.unwrap_or_default(),
            )?),
            event_name: get(meta::EVENT_NAME)?.unwrap_or_default(),
            profile: get(meta::PROFILE)?,
        }))
    }

    /// Like [`Store::pairing`], but a missing pairing or a revoked device is an error.
    pub fn require_pairing(&self) -> Result<Pairing, StoreError> {
        if self.meta(meta::REVOKED)?.as_deref() == Some("1") {
            return Err(StoreError::Revoked);
        }
        self.pairing()?.ok_or(StoreError::NotPaired)
    }

    /// Stores a new pairing. A device paired to another event starts from an empty cache.
    pub fn save_pairing(&mut self, p: &Pairing) -> Result<(), StoreError> {
        let previous_event = self.meta(meta::EVENT_ID)?;
        let tx = self.conn.transaction()?;
        if previous_event.is_some_and(|e| e != p.event_id.to_string()) {
            clear_cache(&tx)?;
            tx.execute("DELETE FROM meta WHERE key = ?1", [meta::CURSOR])?;
        }
        set_meta(&tx, meta::SERVER_URL, p.server_url.trim_end_matches('/'))?;
        set_meta(&tx, meta::DEVICE_ID, &p.device_id.to_string())?;
        set_meta(&tx, meta::DEVICE_NAME, &p.device_name)?;
        set_meta(&tx, meta::DEVICE_TOKEN, &p.device_token)?;
        set_meta(&tx, meta::TENANT_ID, &p.tenant_id.to_string())?;
        set_meta(&tx, meta::EVENT_ID, &p.event_id.to_string())?;
        set_meta(&tx, meta::EVENT_NAME, &p.event_name)?;
        match &p.profile {
            Some(profile) => set_meta(&tx, meta::PROFILE, profile)?,
            None => {
                tx.execute("DELETE FROM meta WHERE key = ?1", [meta::PROFILE])?;
            }
        }
        tx.execute("DELETE FROM meta WHERE key = ?1", [meta::REVOKED])?;
        tx.commit()?;
        Ok(())
    }

    /// Points the device at another server address (a moved or restarted server).
    pub fn set_server_url(&self, url: &str) -> Result<(), StoreError> {
        self.set_meta(meta::SERVER_URL, url.trim_end_matches('/'))
    }

    /// The feed cursor: the last change this device applied.
    pub fn cursor(&self) -> Result<i64, StoreError> {
        Ok(self
            .meta(meta::CURSOR)?
            .and_then(|c| c.parse().ok())
            .unwrap_or(0))
    }

    /// The last known offset from this device's clock to the server's, in ms.
    pub fn clock_offset(&self) -> Result<i64, StoreError> {
        Ok(self
            .meta(meta::CLOCK_OFFSET_MS)?
            .and_then(|c| c.parse().ok())
            .unwrap_or(0))
    }

    /// What a revoked device must do: forget every participant, key and other gates' scans and
    /// its token. Its own scans stay for the evidence export.
    pub fn wipe(&mut self) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        clear_cache(&tx)?;
        tx.execute(
            "DELETE FROM meta WHERE key IN (?1, ?2)",
            [meta::DEVICE_TOKEN, meta::CURSOR],
        )?;
        set_meta(&tx, meta::REVOKED, "1")?;
        tx.commit()?;
        // Let freed pages holding names go back to the OS instead of lingering in the file.
        self.conn
            .execute_batch("PRAGMA wal_checkpoint(TRUNCATE); VACUUM;")?;
        Ok(())
    }
}

fn clear_cache(conn: &Connection) -> Result<(), StoreError> {
    conn.execute_batch(
        "DELETE FROM participants; DELETE FROM ticket_keys; DELETE FROM zones;
         DELETE FROM checkpoints; DELETE FROM access_log WHERE local = 0;",
    )?;
    Ok(())
}

pub(crate) fn get_meta(conn: &Connection, key: &str) -> Result<Option<String>, StoreError> {
    Ok(conn
        .prepare_cached("SELECT value FROM meta WHERE key = ?1")?
        .query_row([key], |r| r.get(0))
        .optional()?)
}

pub(crate) fn set_meta(conn: &Connection, key: &str, value: &str) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO meta (key, value) VALUES (?1, ?2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )?
    .execute(params![key, value])?;
    Ok(())
}

pub(crate) fn parse_uuid(what: &'static str, s: &str) -> Result<uuid::Uuid, StoreError> {
    uuid::Uuid::parse_str(s).map_err(|e| StoreError::Corrupt {
        what,
        detail: format!("{s:?}: {e}"),
    })
}

fn migrate(conn: &Connection) -> Result<(), StoreError> {
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let known = MIGRATIONS.len() as i64;
    if version > known {
        return Err(StoreError::SchemaTooNew {
            found: version,
            known,
        });
    }
    for (i, step) in MIGRATIONS.iter().enumerate().skip(version as usize) {
        let tx = conn.unchecked_transaction()?;
        tx.execute_batch(step)?;
        tx.execute_batch(&format!("PRAGMA user_version = {}", i + 1))?;
        tx.commit()?;
    }
    Ok(())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex32(text: &str) -> Option<[u8; 32]> {
    let text = text.trim();
    if text.len() != 64 || !text.is_ascii() {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, b) in out.iter_mut().enumerate() {
        *b = u8::from_str_radix(&text[i * 2..i * 2 + 2], 16).ok()?;
    }
    Some(out)
}

/// Reads the store key, or makes one (mode 0600) when neither key nor database exists yet. A
/// database without its key is an error, never a reason to start over silently.
fn load_or_create_key(path: &Path, db: &Path) -> Result<[u8; 32], StoreError> {
    let key_err = |source| StoreError::KeyFile {
        path: path.to_path_buf(),
        source,
    };
    match fs::read_to_string(path) {
        Ok(text) => unhex32(&text).ok_or_else(|| StoreError::BadKey {
            path: path.to_path_buf(),
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if db.exists() {
                return Err(StoreError::MissingKey {
                    path: db.to_path_buf(),
                    key: path.to_path_buf(),
                });
            }
            let key: [u8; 32] = rand::random();
            let mut file = fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(path)
                .map_err(key_err)?;
            file.write_all(hex(&key).as_bytes()).map_err(key_err)?;
            file.sync_all().map_err(key_err)?;
            // Whatever the umask did, the key is for this user only.
            fs::set_permissions(path, fs::Permissions::from_mode(0o600)).map_err(key_err)?;
            Ok(key)
        }
        Err(e) => Err(key_err(e)),
    }
}
