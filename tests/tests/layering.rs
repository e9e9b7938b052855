//! The layers, as the build sees them. Dependencies point one way:
//!
//! ```text
//! core ◄── sync ◄── device ◄── src-tauri, admin              (the appliance)
//! core ◄── db ◄── domain ◄── server                          (the platform)
//! ```
//!
//! Most rules are crate boundaries, which Cargo enforces by refusing an import of a crate that is
//! not a dependency; this test holds the dependency lists to the picture above, so a boundary
//! cannot be removed by adding a line to a `Cargo.toml`. The one rule that is not a crate
//! boundary — the server's surfaces (the sync API, admin API, REST API, dashboard and webhook
//! routes) never import one another — is checked over the module tree.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate sits in the workspace")
        .to_path_buf()
}

/// The names of a crate's normal dependencies (not dev or build).
fn dependencies(manifest: &str) -> BTreeSet<String> {
    let path = root().join(manifest);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let doc: toml::Table = text
        .parse()
        .unwrap_or_else(|e| panic!("{} is not TOML: {e}", path.display()));
    doc.get("dependencies")
        .and_then(|d| d.as_table())
        .map(|t| t.keys().cloned().collect())
        .unwrap_or_default()
}

fn gatehouse_crates(deps: &BTreeSet<String>) -> BTreeSet<&str> {
    deps.iter()
        .map(String::as_str)
        .filter(|d| d.starts_with("gatehouse-"))
        .collect()
}

#[track_caller]
fn assert_layer(manifest: &str, allowed: &[&str], forbidden: &[&str]) {
    let deps = dependencies(manifest);
    let ours = gatehouse_crates(&deps);
    let unexpected: Vec<&&str> = ours.iter().filter(|d| !allowed.contains(d)).collect();
    assert!(
        unexpected.is_empty(),
        "{manifest} depends on {unexpected:?}; this layer may use only {allowed:?}"
    );
    let bad: Vec<&&str> = forbidden.iter().filter(|f| deps.contains(**f)).collect();
    assert!(
        bad.is_empty(),
        "{manifest} depends on {bad:?}, which its layer must not use"
    );
}

#[test]
fn core_does_no_io_and_depends_on_no_other_layer() {
    assert_layer(
        "core/Cargo.toml",
        &[],
        &[
            "tokio", "sqlx", "rusqlite", "reqwest", "axum", "nokhwa", "rodio",
        ],
    );
}

#[test]
fn the_appliance_layers_point_one_way() {
    assert_layer("sync/Cargo.toml", &["gatehouse-core"], &["axum", "sqlx"]);
    assert_layer(
        "device/Cargo.toml",
        &["gatehouse-core", "gatehouse-sync"],
        &["axum", "sqlx", "tauri"],
    );
    assert_layer(
        "admin/Cargo.toml",
        &["gatehouse-core", "gatehouse-sync", "gatehouse-device"],
        &["tauri", "axum", "sqlx"],
    );
    assert_layer(
        "src-tauri/Cargo.toml",
        &["gatehouse-core", "gatehouse-sync", "gatehouse-device"],
        &["axum", "sqlx"],
    );
}

#[test]
fn the_platform_layers_point_one_way() {
    assert_layer(
        "server/db/Cargo.toml",
        &["gatehouse-core"],
        &["axum", "tower", "tower-http", "reqwest", "utoipa"],
    );
    assert_layer(
        "server/domain/Cargo.toml",
        &["gatehouse-core", "gatehouse-db"],
        &["axum", "tower", "tower-http", "utoipa", "sqlx"],
    );
    // The HTTP side reaches the database only through the domain.
    assert_layer(
        "server/Cargo.toml",
        &["gatehouse-core", "gatehouse-domain"],
        &["gatehouse-db", "sqlx", "rusqlite"],
    );
}

/// The surfaces of `server/src`, each a module of its own.
const SURFACES: &[&str] = &[
    "admin_api",
    "rest_api",
    "dashboard",
    "sync_api",
    "webhooks_api",
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The files of a surface: `src/<name>.rs` or `src/<name>/**.rs`.
fn surface_files(name: &str) -> Vec<PathBuf> {
    let src = root().join("server/src");
    let mut files = Vec::new();
    let single = src.join(format!("{name}.rs"));
    if single.is_file() {
        files.push(single);
    }
    rust_files(&src.join(name), &mut files);
    files
}

/// Lines of `text` that name `crate::<other>` (comments and doc comments aside).
fn mentions(text: &str, other: &str) -> Vec<String> {
    let needle = format!("crate::{other}");
    text.lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .filter(|l| {
            l.match_indices(&needle).any(|(i, _)| {
                !l[i + needle.len()..]
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_alphanumeric() || c == '_')
            })
        })
        .map(|l| l.trim().to_owned())
        .collect()
}

#[test]
fn no_server_surface_imports_another() {
    let mut found = Vec::new();
    for surface in SURFACES {
        let files = surface_files(surface);
        assert!(
            !files.is_empty(),
            "no files found for the surface {surface}"
        );
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            for other in SURFACES.iter().filter(|o| *o != surface) {
                for line in mentions(&text, other) {
                    found.push(format!("{}: {line}", file.display()));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "a surface imports another (share through the domain or the HTTP plumbing instead):\n{}",
        found.join("\n")
    );
}

#[test]
fn the_surface_check_sees_an_import_when_there_is_one() {
    // The check itself, on text: it must not pass by finding nothing to look at.
    let text =
        "use crate::admin_api::api_keys;\n// crate::rest_api in a comment\nuse crate::rest_apis;";
    assert_eq!(mentions(text, "admin_api").len(), 1);
    assert!(mentions(text, "rest_api").is_empty());
}
