#!/usr/bin/env bash
# Runs every Gatehouse test on a Debian 12 machine, installing what it needs first.
#   bash scripts/test.sh
# Steps: system packages → PostgreSQL → UI → format and lint → Rust tests (SQLite and PostgreSQL)
# → the app (gate and kiosk) end to end under Xvfb → the dashboard in headless Chromium
# → Schemathesis against the REST API → benchmarks compile.
set -euo pipefail
cd "$(dirname "$0")/.."

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/gatehouse-target}"
export CARGO_TERM_COLOR=never
export RUST_BACKTRACE=1

step() { printf '\n==> %s (%s)\n' "$*" "$(date +%H:%M:%S)"; }

step "system packages"
bash packaging/deps.sh

step "PostgreSQL"
GATEHOUSE_TEST_PG="$(bash packaging/postgres.sh)"
export GATEHOUSE_TEST_PG

step "UI: install, typecheck, unit tests, build (the app embeds ui/dist)"
( cd ui && npm ci --no-audit --no-fund --loglevel=error && npm run typecheck && npm test && npm run build )

step "rustfmt"
cargo fmt --all -- --check

step "clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "build binaries"
cargo build --workspace --bins --locked

step "Rust tests (SQLite and PostgreSQL)"
cargo test --workspace --locked

step "the app end to end: the gate and the kiosk, tauri-driver + WebKitWebDriver under Xvfb, against the demo server"
GATEHOUSE_SCREENSHOTS="$(mktemp -d)" bash tests/ui-e2e/run.sh

step "the dashboard end to end: headless Chromium (playwright-core) against the demo server"
GATEHOUSE_SERVER_BIN="$CARGO_TARGET_DIR/debug/gatehouse-server" GATEHOUSE_SCREENSHOTS="$(mktemp -d)" \
  bash tests/dashboard-e2e/run.sh

step "the REST API against its own OpenAPI description: Schemathesis (PyPI)"
GATEHOUSE_SERVER_BIN="$CARGO_TARGET_DIR/debug/gatehouse-server" bash scripts/schemathesis.sh

step "benchmarks compile"
cargo bench -p gatehouse-core --no-run --locked

step "done"
