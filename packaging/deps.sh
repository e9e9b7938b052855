#!/usr/bin/env bash
# Installs the system packages Gatehouse builds, runs and tests with on Debian 12.
# Idempotent: packages already present are skipped, so repeat runs cost a dpkg query.
set -euo pipefail

PACKAGES=(
  build-essential pkg-config curl ca-certificates
  libssl-dev            # reqwest/openssl, SQLCipher's crypto
  libclang-dev          # bindgen (nokhwa's v4l bindings)
  libv4l-dev            # cameras
  libasound2-dev        # rodio through ALSA
  libwebkit2gtk-4.1-dev librsvg2-dev libayatana-appindicator3-dev   # Tauri 2 on Linux
  xvfb xauth            # the UI without a display
  webkit2gtk-driver     # WebKitWebDriver for tauri-driver
  chromium              # dashboard tests (headless)
  postgresql            # the scale-out database, tested in CI
  python3-venv          # Schemathesis and standardwebhooks checks
)

# Node.js 20.19+ and npm build and test the app's front end (ui/). Debian 12's own nodejs is 18,
# too old for Vite 8: the machines come with Node 20; say so plainly where it is missing.
if ! node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a==20&&b>=19)?0:1)' 2>/dev/null; then
  echo "deps: Node.js 20.19 or newer is needed for ui/ (found: $(node --version 2>/dev/null || echo none))" >&2
  exit 1
fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "deps: all ${#PACKAGES[@]} system packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "deps: done"
