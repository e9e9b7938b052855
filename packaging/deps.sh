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
