//! Test harness: starts the real `gatehouse-server` binary on 127.0.0.1:0 with a temporary data
//! directory (and, for PostgreSQL, a fresh database of its own), waits until it serves, and
//! speaks to it over HTTP with reqwest. Each test runs on SQLite, and on PostgreSQL too when
//! `GATEHOUSE_TEST_PG` names a server (e.g. `postgres://postgres@127.0.0.1:5432/postgres`);
//! without it the PostgreSQL half is skipped, except on CI (`CI=true`), where it fails.
//!
//! - [`http`]: who calls (API key, admin session, device token) and the answer read whole.
//! - [`page`]: the dashboard as a browser uses it, and readers for its HTML.
//! - [`live`]: Server-Sent Events, frame by frame.
//! - [`fixtures`]: the demo's tickets and checkpoints, scans online and offline, uploads.
//! - [`library`]: the few items taken from the server library itself, in one place.
//!
//! A test binary split into files reaches this module as
//! `#[macro_use] #[path = "../common/mod.rs"] mod common;` in its `main.rs`.

#![allow(dead_code)]

pub mod fixtures;
pub mod http;
pub mod library;
pub mod live;
pub mod page;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use gatehouse_core::protocol::{PairRequest, PairResponse};
use serde_json::Value;

/// Runs `$name(backend)` as two tests: `$name::sqlite` and `$name::postgres`.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),+ $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::$name($crate::common::Backend::Sqlite).await
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    if let Some(backend) = $crate::common::Backend::postgres_or_skip() {
                        super::$name(backend).await
                    }
                }
            }
        )+
    };
}

/// Which database a test server uses.
#[derive(Debug, Clone)]
pub enum Backend {
    Sqlite,
    /// The URL of a PostgreSQL server where tests may create databases.
    Postgres(String),
}

impl Backend {
    /// PostgreSQL at `GATEHOUSE_TEST_PG`, if it is set.
    pub fn postgres() -> Option<Backend> {
        std::env::var("GATEHOUSE_TEST_PG")
            .ok()
            .filter(|s| !s.is_empty())
            .map(Backend::Postgres)
    }

    /// [`Backend::postgres`], or `None` after saying the run is skipped. On CI a test that needs
    /// a service fails when the service is missing: a skipped half must not pass for a green run.
    pub fn postgres_or_skip() -> Option<Backend> {
        let backend = Self::postgres();
        if backend.is_none() {
            if let Some(ci) = on_ci() {
                panic!(
                    "GATEHOUSE_TEST_PG is not set, and CI={ci}: this test needs PostgreSQL \
                     (e.g. GATEHOUSE_TEST_PG=postgres://postgres@127.0.0.1:5432/postgres)"
                );
            }
            eprintln!("GATEHOUSE_TEST_PG is not set: PostgreSQL run skipped");
        }
        backend
    }
}

/// The value of `CI` when the tests run on CI (`CI=true`, as CI services set it, or `1`).
fn on_ci() -> Option<String> {
    std::env::var("CI")
        .ok()
        .filter(|v| v.eq_ignore_ascii_case("true") || v == "1")
}

/// A database created for one test and dropped after it.
struct PgDatabase {
    admin_url: String,
    name: String,
    url: String,
}

fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let host_part = match base[scheme_end..].find('/') {
        Some(i) => &base[..scheme_end + i],
        None => base,
    };
    match query {
        Some(q) => format!("{host_part}/{name}?{q}"),
        None => format!("{host_part}/{name}"),
    }
}

async fn admin_exec(admin_url: &str, sql: &str) {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(admin_url)
        .await
        .expect("connect to GATEHOUSE_TEST_PG");
    sqlx::raw_sql(sql).execute(&mut conn).await.expect(sql);
    let _ = conn.close().await;
}

impl PgDatabase {
    async fn create(admin_url: &str) -> PgDatabase {
        let name = format!("gh_test_{}", uuid::Uuid::new_v4().simple());
        admin_exec(admin_url, &format!("CREATE DATABASE {name}")).await;
        PgDatabase {
            admin_url: admin_url.to_string(),
            url: with_database(admin_url, &name),
            name,
        }
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let admin = self.admin_url.clone();
        let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        let _ = std::thread::spawn(move || {
            if let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                rt.block_on(admin_exec(&admin, &sql));
            }
        })
        .join();
    }
}

/// A running server.
pub struct Server {
    child: Child,
    pub url: String,
    pub dir: PathBuf,
    _tmp: Option<tempfile::TempDir>,
    pg: Option<PgDatabase>,
    pub database_url: Option<String>,
    pub http: reqwest::Client,
}

pub fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_gatehouse-server")
}

/// How long a server may take to start (a debug build seeding 5,000 participants).
const START_TIMEOUT: Duration = Duration::from_secs(120);

impl Server {
    /// `gatehouse-server demo` on a fresh directory (and database).
    pub async fn demo(backend: Backend) -> Server {
        Self::demo_with_env(backend, &[]).await
    }

    pub async fn demo_with_env(backend: Backend, env: &[(&str, &str)]) -> Server {
        let tmp = tempfile::tempdir().expect("temp dir");
        let dir = tmp.path().to_path_buf();
        let pg = match &backend {
            Backend::Sqlite => None,
            Backend::Postgres(url) => Some(PgDatabase::create(url).await),
        };
        let database_url = pg.as_ref().map(|p| p.url.clone());
        let mut server = Self::start("demo", &dir, database_url.clone(), env);
        server._tmp = Some(tmp);
        server.pg = pg;
        server.wait_for_demo_file().await;
        server
    }

    /// Starts `command` (`demo` or `serve`) on an existing directory.
    pub fn start(
        command: &str,
        dir: &Path,
        database_url: Option<String>,
        env: &[(&str, &str)],
    ) -> Server {
        let _ = std::fs::remove_file(dir.join("demo.json"));
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join("server.log"))
            .expect("log file");
        let mut cmd = Command::new(binary());
        cmd.arg(command)
            .arg("--data")
            .arg(dir)
            .arg("--bind")
            .arg("127.0.0.1:0")
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log));
        if let Some(url) = &database_url {
            cmd.arg("--database-url").arg(url);
        }
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("start gatehouse-server");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(url) = line.strip_prefix("gatehouse-server listening on ") {
                    let _ = tx.send(url.trim().to_string());
                }
            }
        });
        let url = match rx.recv_timeout(START_TIMEOUT) {
            Ok(url) => url,
            Err(_) => {
                let _ = child.kill();
                let log = std::fs::read_to_string(dir.join("server.log")).unwrap_or_default();
                panic!("the server did not announce its address; its log:\n{log}");
            }
        };
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .expect("http client");
        Server {
            child,
            url,
            dir: dir.to_path_buf(),
            _tmp: None,
            pg: None,
            database_url,
            http,
        }
    }

    async fn wait_for_demo_file(&self) {
        let deadline = Instant::now() + START_TIMEOUT;
        while Instant::now() < deadline {
            if self.dir.join("demo.json").exists() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("demo.json was not written");
    }

    /// Stops the server and starts `command` again on the same directory and database.
    pub async fn restart(self, command: &str) -> Server {
        self.restart_with_env(command, &[]).await
    }

    /// Like [`Server::restart`], with environment variables for the new process.
    pub async fn restart_with_env(mut self, command: &str, env: &[(&str, &str)]) -> Server {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let mut next = Self::start(command, &self.dir, self.database_url.clone(), env);
        next._tmp = self._tmp.take();
        next.pg = self.pg.take();
        if command == "demo" {
            next.wait_for_demo_file().await;
        }
        next
    }

    /// Asks the server to shut down gracefully (SIGTERM), as a service manager would.
    pub fn terminate(&self) {
        let status = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -TERM worked");
    }

    /// Whether the server process has ended.
    pub fn exited(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(Some(_)))
    }

    pub fn demo_json(&self) -> Value {
        let text = std::fs::read_to_string(self.dir.join("demo.json")).expect("demo.json");
        serde_json::from_str(&text).expect("demo.json is JSON")
    }

    /// Runs SQL on the server's database, as an operator would (a second tenant, a feature
    /// switched off, a device gone quiet): things the APIs have no route for.
    pub async fn operator_sql(&self, sql: &str) {
        use sqlx::Connection;
        match &self.database_url {
            Some(url) => {
                let mut c = sqlx::PgConnection::connect(url).await.unwrap();
                sqlx::raw_sql(sql).execute(&mut c).await.unwrap();
            }
            None => {
                let mut c = sqlx::SqliteConnection::connect(&self.sqlite_url())
                    .await
                    .unwrap();
                sqlx::raw_sql(sql).execute(&mut c).await.unwrap();
            }
        }
    }

    /// One value read from the server's database.
    pub async fn operator_value<T>(&self, sql: &str) -> T
    where
        T: Send
            + Unpin
            + for<'r> sqlx::Decode<'r, sqlx::Postgres>
            + sqlx::Type<sqlx::Postgres>
            + for<'r> sqlx::Decode<'r, sqlx::Sqlite>
            + sqlx::Type<sqlx::Sqlite>,
    {
        use sqlx::Connection;
        match &self.database_url {
            Some(url) => {
                let mut c = sqlx::PgConnection::connect(url).await.unwrap();
                sqlx::query_scalar(sql).fetch_one(&mut c).await.unwrap()
            }
            None => {
                let mut c = sqlx::SqliteConnection::connect(&self.sqlite_url())
                    .await
                    .unwrap();
                sqlx::query_scalar(sql).fetch_one(&mut c).await.unwrap()
            }
        }
    }

    /// `POST /sync/v1/kiosk` with a device's token: a kiosk's visits and queue tickets.
    pub async fn kiosk_upload(
        &self,
        device_token: &str,
        upload: &gatehouse_core::protocol::KioskUpload,
    ) -> http::Reply {
        self.as_device(device_token)
            .post_json("/sync/v1/kiosk", upload)
            .await
    }

    fn sqlite_url(&self) -> String {
        format!("sqlite://{}", self.dir.join("gatehouse.db").display())
    }

    pub fn at(&self, path: &str) -> String {
        format!("{}{path}", self.url)
    }

    /// Signs in as the demo admin; returns the session token.
    pub async fn admin_session(&self) -> String {
        let demo = self.demo_json();
        let login = serde_json::json!({"email": demo["admin"]["email"], "password": demo["admin"]["password"]});
        let body = self
            .anonymous()
            .post_json("/admin/v1/login", &login)
            .await
            .expect_because(200, "the demo admin can sign in")
            .json();
        body["token"].as_str().expect("token").to_string()
    }

    pub async fn pair(&self, code: &str) -> PairResponse {
        let request = PairRequest {
            pairing_code: code.to_string(),
            app_version: "test-1.0".into(),
            profile: Some("gate-laptop".into()),
        };
        self.anonymous()
            .post_json("/sync/v1/pair", &request)
            .await
            .expect_because(200, "pairing with a fresh code works")
            .parse()
    }

    /// Pairs the demo's first and second devices.
    pub async fn pair_demo_devices(&self) -> (PairResponse, PairResponse) {
        let demo = self.demo_json();
        let codes = demo["pairing_codes"].as_array().expect("codes");
        let a = self.pair(codes[0].as_str().unwrap()).await;
        let b = self.pair(codes[1].as_str().unwrap()).await;
        (a, b)
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("--- server log ({}) ---\n{}", self.url, self.log());
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
