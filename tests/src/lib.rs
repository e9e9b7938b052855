//! # gatehouse-e2e
//!
//! The harness of the end-to-end tests: the real `gatehouse-server demo` and the real
//! `gatehouse-gate` binaries, talking over 127.0.0.1 exactly as on a site.
//!
//! **Where the binaries come from.** `GATEHOUSE_SERVER_BIN` and `GATEHOUSE_GATE_BIN` name them
//! explicitly; otherwise they are looked up in the same target directory as the running test
//! (`$CARGO_TARGET_DIR/debug/`, found from the test executable's own path). Build them first:
//!
//! ```text
//! cargo build -p gatehouse-server -p gatehouse-device --bins
//! cargo test -p gatehouse-e2e
//! ```

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::{json, Value};

/// Finds a workspace binary: `$GATEHOUSE_<NAME>_BIN`, else next to the running executable.
pub fn binary(name: &str, env: &str) -> PathBuf {
    if let Ok(path) = std::env::var(env) {
        return PathBuf::from(path);
    }
    let exe = std::env::current_exe().expect("current_exe");
    let mut dir = exe.parent();
    while let Some(d) = dir {
        let candidate = d.join(name);
        if candidate.is_file() {
            return candidate;
        }
        dir = d.parent();
        if d.file_name().is_some_and(|n| n == "target") {
            break;
        }
    }
    panic!(
        "{name} not found next to {}: build it first with \
         `cargo build -p gatehouse-server -p gatehouse-device --bins`, or set {env}",
        exe.display()
    )
}

pub fn server_bin() -> PathBuf {
    binary("gatehouse-server", "GATEHOUSE_SERVER_BIN")
}

pub fn gate_bin() -> PathBuf {
    binary("gatehouse-gate", "GATEHOUSE_GATE_BIN")
}

/// A running `gatehouse-server demo` on 127.0.0.1 with its data directory.
pub struct Server {
    pub data: PathBuf,
    child: Option<Child>,
    pub url: String,
    /// The parsed `demo.json` of the last start.
    pub demo: Value,
}

impl Server {
    /// Seeds (first time) and serves the demo from `data`.
    pub fn start(data: &Path) -> Server {
        let mut server = Server {
            data: data.to_path_buf(),
            child: None,
            url: String::new(),
            demo: Value::Null,
        };
        server.launch();
        server
    }

    fn launch(&mut self) {
        let demo_file = self.data.join("demo.json");
        let _ = std::fs::remove_file(&demo_file);
        std::fs::create_dir_all(&self.data).expect("server data dir");
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.data.join("server.log"))
            .expect("server log");
        let mut child = Command::new(server_bin())
            .args(["demo", "--data"])
            .arg(&self.data)
            .args(["--bind", "127.0.0.1:0"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .expect("start gatehouse-server");
        let stdout = child.stdout.take().expect("server stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(url) = line.split("listening on ").nth(1) {
                    let _ = tx.send(url.trim().to_owned());
                }
            }
        });
        let url = rx
            .recv_timeout(Duration::from_secs(120))
            .unwrap_or_else(|_| {
                let log = std::fs::read_to_string(self.data.join("server.log")).unwrap_or_default();
                panic!("gatehouse-server did not start; its log:\n{log}")
            });
        let demo: Value = serde_json::from_str(
            &std::fs::read_to_string(&demo_file).expect("demo.json after start"),
        )
        .expect("demo.json is JSON");
        self.url = url;
        self.demo = demo;
        self.child = Some(child);
    }

    /// Stops the server (the network is gone, as far as gates can tell).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again on the same data directory (a new port; re-point gates with
    /// `sync --server`). Fresh pairing codes are in `demo` again.
    pub fn restart(&mut self) {
        self.stop();
        self.launch();
    }

    pub fn event_id(&self) -> String {
        self.demo["event_id"].as_str().expect("event_id").to_owned()
    }

    pub fn pairing_code(&self, i: usize) -> String {
        self.demo["pairing_codes"][i]
            .as_str()
            .expect("pairing code")
            .to_owned()
    }

    /// Approved, unblocked tickets that open the zone of `checkpoint`.
    pub fn admissible_tickets(&self, checkpoint: &str) -> Vec<Value> {
        let zone = self.checkpoint(checkpoint)["zone"].clone();
        self.demo["tickets"]
            .as_array()
            .expect("tickets")
            .iter()
            .filter(|t| {
                t["status"] == "approved"
                    && t["blocked"] == false
                    && t["zones"].as_array().is_some_and(|z| z.contains(&zone))
            })
            .cloned()
            .collect()
    }

    pub fn checkpoint(&self, name: &str) -> Value {
        self.demo["checkpoints"]
            .as_array()
            .expect("checkpoints")
            .iter()
            .find(|c| c["name"] == name)
            .unwrap_or_else(|| panic!("no checkpoint {name:?} in demo.json"))
            .clone()
    }

    /// Signs in as the demo admin.
    pub fn admin(&self) -> Admin {
        let http = reqwest::blocking::Client::new();
        let answer: Value = http
            .post(format!("{}/admin/v1/login", self.url))
            .json(&json!({
                "email": self.demo["admin"]["email"],
                "password": self.demo["admin"]["password"],
            }))
            .send()
            .and_then(|r| r.error_for_status())
            .and_then(|r| r.json())
            .expect("admin login");
        Admin {
            url: self.url.clone(),
            token: answer["token"].as_str().expect("session token").to_owned(),
            http,
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The admin API, signed in.
pub struct Admin {
    url: String,
    token: String,
    http: reqwest::blocking::Client,
}

impl Admin {
    fn get(&self, path: &str) -> Value {
        self.http
            .get(format!("{}/admin/v1{path}", self.url))
            .bearer_auth(&self.token)
            .send()
            .and_then(|r| r.error_for_status())
            .and_then(|r| r.json())
            .unwrap_or_else(|e| panic!("GET {path}: {e}"))
    }

    fn post(&self, path: &str) -> Value {
        self.http
            .post(format!("{}/admin/v1{path}", self.url))
            .bearer_auth(&self.token)
            .json(&json!({}))
            .send()
            .and_then(|r| r.error_for_status())
            .and_then(|r| r.json())
            .unwrap_or_else(|e| panic!("POST {path}: {e}"))
    }

    /// The event's access log as the server holds it (newest first, up to 1,000).
    pub fn access_logs(&self, event: &str) -> Vec<Value> {
        self.get(&format!("/events/{event}/access-logs?limit=1000"))["access_logs"]
            .as_array()
            .expect("access_logs")
            .clone()
    }

    /// Reissues a badge; returns the new QR text.
    pub fn reissue(&self, participant: &str) -> String {
        self.post(&format!("/participants/{participant}/reissue"))["payload"]
            .as_str()
            .expect("payload")
            .to_owned()
    }

    pub fn revoke_device(&self, device: &str) -> Value {
        self.post(&format!("/devices/{device}/revoke"))
    }

    /// The tenant's kiosks: `devices`, `sessions` or `queue` of `/admin/v1/kiosk/`.
    pub fn kiosk(&self, what: &str) -> Value {
        self.get(&format!("/kiosk/{what}"))
    }
}

/// One gate: a state directory and the `gatehouse-gate` binary.
pub struct Gate {
    pub dir: tempfile::TempDir,
    env: Vec<(String, String)>,
}

impl Default for Gate {
    fn default() -> Self {
        Gate::new()
    }
}

impl Gate {
    pub fn new() -> Gate {
        Gate {
            dir: tempfile::tempdir().expect("gate dir"),
            env: Vec::new(),
        }
    }

    /// Sets an environment variable for every command of this gate.
    pub fn with_env(mut self, key: &str, value: &str) -> Gate {
        self.env.push((key.to_owned(), value.to_owned()));
        self
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(gate_bin());
        cmd.arg("--data").arg(self.dir.path()).args(args);
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        cmd
    }

    /// Runs a command; `Ok` with its JSON on success, `Err` with its JSON error otherwise.
    pub fn try_cmd(&self, args: &[&str]) -> Result<Value, Value> {
        let out = self.command(args).output().expect("run gatehouse-gate");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let value: Value = serde_json::from_str(stdout.trim()).unwrap_or_else(|e| {
            panic!(
                "gatehouse-gate {args:?} printed no JSON ({e}): {stdout}\nstderr: {}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
        if out.status.success() {
            Ok(value)
        } else {
            Err(value)
        }
    }

    pub fn cmd(&self, args: &[&str]) -> Value {
        self.try_cmd(args)
            .unwrap_or_else(|e| panic!("gatehouse-gate {args:?} failed: {e}"))
    }

    pub fn pair(&self, server: &Server, code_index: usize) -> Value {
        self.cmd(&[
            "pair",
            "--server",
            &server.url,
            "--code",
            &server.pairing_code(code_index),
        ])
    }

    pub fn sync(&self) -> Value {
        self.cmd(&["sync", "--once"])
    }

    /// Syncs with a server that moved to a new address.
    pub fn sync_with(&self, server: &Server) -> Value {
        self.cmd(&["sync", "--once", "--server", &server.url])
    }

    pub fn scan(&self, payload: &str, checkpoint: &str) -> Value {
        self.cmd(&["scan", "--payload", payload, "--checkpoint", checkpoint])
    }

    pub fn status(&self) -> Value {
        self.cmd(&["status"])
    }

    /// Starts `run` at a checkpoint: scans go in on stdin, verdicts come back line by line.
    pub fn run(&self, checkpoint: &str) -> RunningGate {
        let mut child = self
            .command(&["run", "--checkpoint", checkpoint, "--interval-ms", "200"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start gatehouse-gate run");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        RunningGate {
            child,
            stdin: Some(stdin),
            lines,
        }
    }
}

/// A gate in `run` mode.
pub struct RunningGate {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: mpsc::Receiver<String>,
}

impl RunningGate {
    /// Types one line, as a keyboard-wedge scanner does.
    pub fn type_line(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        let _ = stdin.write_all(format!("{line}\r\n").as_bytes());
        let _ = stdin.flush();
    }

    /// The next answer, if one comes within `wait`.
    pub fn answer(&self, wait: Duration) -> Option<Value> {
        self.lines
            .recv_timeout(wait)
            .ok()
            .map(|l| serde_json::from_str(&l).expect("verdict line is JSON"))
    }

    /// Every answer already printed.
    pub fn answers_so_far(&self) -> Vec<Value> {
        self.lines
            .try_iter()
            .map(|l| serde_json::from_str(&l).expect("verdict line is JSON"))
            .collect()
    }

    /// `kill -9`.
    pub fn kill_9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Closes stdin and waits for the gate to finish.
    pub fn finish(mut self) {
        drop(self.stdin.take());
        let _ = self.child.wait();
    }
}

impl Drop for RunningGate {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// How many times each scan id appears in a server access log.
pub fn count_by_id(logs: &[Value]) -> std::collections::HashMap<String, usize> {
    let mut counts = std::collections::HashMap::new();
    for log in logs {
        *counts
            .entry(log["id"].as_str().unwrap_or_default().to_owned())
            .or_insert(0) += 1;
    }
    counts
}

/// A TCP relay on 127.0.0.1 that plays a link going down: it forwards connections to `upstream`
/// until `budget` bytes have come back from the server, then cuts every connection and refuses
/// new ones, as when the uplink drops in the middle of a download.
pub struct FlakyLink {
    pub url: String,
    delivered: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl FlakyLink {
    pub fn start(upstream: &str, budget: u64) -> FlakyLink {
        use std::net::{Shutdown, TcpListener, TcpStream};
        use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
        use std::sync::Arc;

        let upstream = upstream
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_owned();
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the relay");
        let url = format!("http://{}", listener.local_addr().expect("relay address"));
        let delivered = Arc::new(AtomicU64::new(0));
        let cut = Arc::new(AtomicBool::new(false));
        let counter = delivered.clone();
        std::thread::spawn(move || {
            for client in listener.incoming().map_while(Result::ok) {
                if cut.load(Ordering::SeqCst) {
                    let _ = client.shutdown(Shutdown::Both);
                    continue;
                }
                let Ok(server) = TcpStream::connect(&upstream) else {
                    continue;
                };
                let (mut c_read, mut s_write) =
                    (client.try_clone().unwrap(), server.try_clone().unwrap());
                std::thread::spawn(move || {
                    let _ = std::io::copy(&mut c_read, &mut s_write);
                    let _ = s_write.shutdown(Shutdown::Write);
                });
                let (counter, cut) = (counter.clone(), cut.clone());
                std::thread::spawn(move || {
                    let (mut s_read, mut c_write) = (server, client);
                    let mut buf = [0u8; 8192];
                    loop {
                        let n = match std::io::Read::read(&mut s_read, &mut buf) {
                            Ok(0) | Err(_) => break,
                            Ok(n) => n,
                        };
                        let before = counter.fetch_add(n as u64, Ordering::SeqCst);
                        if before + n as u64 > budget {
                            cut.store(true, Ordering::SeqCst);
                            let _ = c_write.shutdown(Shutdown::Both);
                            let _ = s_read.shutdown(Shutdown::Both);
                            return;
                        }
                        if c_write.write_all(&buf[..n]).is_err() {
                            break;
                        }
                    }
                    let _ = c_write.shutdown(Shutdown::Write);
                });
            }
        });
        FlakyLink { url, delivered }
    }

    /// Bytes the server has sent through the relay so far.
    pub fn delivered(&self) -> u64 {
        self.delivered.load(std::sync::atomic::Ordering::SeqCst)
    }
}
