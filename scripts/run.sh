#!/usr/bin/env bash
# Sets up everything on a Debian 12 machine and runs Gatehouse: the platform server with its
# embedded SQLite database and demo data, and a gate paired to it.
#   bash scripts/run.sh            (server on 127.0.0.1:8080; PORT=9000 to change)
# State lives in .data/ (GATEHOUSE_DATA to change); running again serves the same data.
set -euo pipefail
cd "$(dirname "$0")/.."

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/gatehouse-target}"
DATA="${GATEHOUSE_DATA:-$PWD/.data}"
PORT="${PORT:-8080}"
BIN="$CARGO_TARGET_DIR/debug"
mkdir -p "$DATA"

echo "==> system packages"
bash packaging/deps.sh

echo "==> building the server and the gate"
( cd ui && npm ci --no-audit --no-fund --loglevel=error && npm run build )
cargo build --workspace --bins --locked

SERVER_LOG="$DATA/server.log"
echo "==> starting the server with demo data (log: $SERVER_LOG)"
rm -f "$DATA/server/demo.json"
"$BIN/gatehouse-server" demo --data "$DATA/server" --bind "127.0.0.1:$PORT" >"$SERVER_LOG" 2>&1 &
SERVER_PID=$!
trap 'kill $SERVER_PID 2>/dev/null || true' EXIT INT TERM

for _ in $(seq 1 120); do
  [ -s "$DATA/server/demo.json" ] && break
  kill -0 $SERVER_PID 2>/dev/null || { echo "the server stopped; see $SERVER_LOG" >&2; exit 1; }
  sleep 0.5
done
[ -s "$DATA/server/demo.json" ] || { echo "the server did not start; see $SERVER_LOG" >&2; exit 1; }

demo() { python3 -c "import json,sys; d=json.load(open('$DATA/server/demo.json')); print($1)"; }
URL=$(demo 'd["server_url"]')
echo
echo "Server:    $URL   (health: $URL/healthz)"
echo "Admin:     $(demo 'd["admin"]["email"]') / $(demo 'd["admin"]["password"]')"
echo "Dashboard: $URL/dashboard   (read-only: $(demo 'd["viewer"]["email"]') / $(demo 'd["viewer"]["password"]'))"
echo

GATE=("$BIN/gatehouse-gate" --data "$DATA/gate")
if ! "${GATE[@]}" status 2>/dev/null | python3 -c "import json,sys; sys.exit(0 if json.load(sys.stdin).get('paired') else 1)"; then
  echo "==> pairing the gate"
  "${GATE[@]}" pair --server "$URL" --code "$(demo 'd["pairing_codes"][0]')" --profile gate-laptop
fi
"${GATE[@]}" sync --once

CHECKPOINT="$(demo 'd["checkpoints"][0]["name"]')"
if [ -n "${DISPLAY:-}" ] || [ -n "${WAYLAND_DISPLAY:-}" ]; then
  echo "==> starting the gate app (the headless gate's pairing and data are shared)"
  echo "Ctrl-C stops the app and the server."
  CAMERA=()
  [ -e /dev/video0 ] || { echo "No camera found: hand scanners and typed codes only."; CAMERA=(--no-camera); }
  "$BIN/gatehouse-app" --data "$DATA/gate" --profile kiosk-profiles/gate-laptop.toml "${CAMERA[@]}"
  exit 0
fi
echo "No display found: running the headless gate (gatehouse-gate) at \"$CHECKPOINT\"."
echo "Scan with a hand scanner, or type a registration code or paste a ticket and press Enter."
echo "Try: $(demo '", ".join(t["registration_code"]+" ("+t["name"]+", "+t["status"]+")" for t in d["tickets"][:3])')"
echo "Ctrl-C stops the gate and the server."
"${GATE[@]}" run --checkpoint "$CHECKPOINT"
