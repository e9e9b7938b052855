#!/usr/bin/env bash
# Builds what the app's end-to-end tests need and runs them under Xvfb: the gate, then the kiosk.
# Needs: node ≥ 20, xvfb-run (xvfb), WebKitWebDriver (webkit2gtk-driver), tauri-driver
# (`cargo install tauri-driver --locked`), and ui/dist (npm --prefix ui ci && npm --prefix ui run build).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
if [ ! -f ui/dist/index.html ]; then
  npm --prefix ui ci
  npm --prefix ui run build
fi
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
command -v tauri-driver >/dev/null || cargo install tauri-driver --locked
# The whole workspace, as the test command builds it: building one package alone would unify
# features differently and rebuild shared crates.
cargo build --workspace --bins --examples --locked
# The gate story, then the kiosk story; both run even if the first fails.
status=0
xvfb-run -a -s "-screen 0 1280x800x24" node tests/ui-e2e/run.mjs || status=1
xvfb-run -a -s "-screen 0 1280x800x24" node tests/ui-e2e/kiosk.mjs || status=1
exit $status
