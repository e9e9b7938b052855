#!/usr/bin/env bash
# The dashboard end to end: starts `gatehouse-server demo` on a free port with a temporary data
# directory, drives headless Debian Chromium through it with playwright-core (run.mjs), stops the
# server. Screenshots go to $GATEHOUSE_SCREENSHOTS (default: docs/screenshots/).
# Needs: node ≥ 20, chromium (packaging/deps.sh), a built gatehouse-server.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
server_bin="${GATEHOUSE_SERVER_BIN:-$CARGO_TARGET_DIR/debug/gatehouse-server}"
if [ ! -x "$server_bin" ]; then
  (cd "$root" && cargo build -p gatehouse-server --bin gatehouse-server --locked)
fi
(cd "$here" && npm ci --no-audit --no-fund --loglevel=error)

data="$(mktemp -d)"
port="$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
"$server_bin" demo --data "$data" --bind "127.0.0.1:$port" >"$data/stdout.log" 2>"$data/server.log" &
server=$!
cleanup() {
  kill "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
  rm -rf "$data"
}
trap cleanup EXIT
for _ in $(seq 1 600); do
  [ -f "$data/demo.json" ] && grep -q "listening on" "$data/stdout.log" && break
  if ! kill -0 "$server" 2>/dev/null; then
    echo "dashboard-e2e: the server stopped; its log:" >&2
    cat "$data/server.log" >&2
    exit 1
  fi
  sleep 0.2
done
GATEHOUSE_DEMO_JSON="$data/demo.json" GATEHOUSE_URL="http://127.0.0.1:$port" \
  node "$here/run.mjs" || { echo "--- server log ---" >&2; tail -50 "$data/server.log" >&2; exit 1; }
