#!/usr/bin/env bash
# Runs the whole test suite (debug build). Installs what it needs first.
set -euo pipefail
cd "$(dirname "$0")/.."
bash Scripts/ensure-deps.sh
# Headless Chromium renders the demo's HTML report in its test (skipped without it).
if ! command -v chromium >/dev/null 2>&1; then
  sudo=""; if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  { DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null 2>&1 \
    || { $sudo apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null 2>&1; }; } \
    || echo "note: chromium could not be installed; the report rendering check will be skipped." >&2
fi
swift build --build-tests
swift test --skip-build "$@"
