#!/usr/bin/env bash
# Runs the whole test suite (debug build). Installs what it needs first.
set -euo pipefail
cd "$(dirname "$0")/.."
bash Scripts/ensure-deps.sh
swift build --build-tests
swift test --skip-build "$@"
