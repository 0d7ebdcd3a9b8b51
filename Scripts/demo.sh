#!/usr/bin/env bash
# Runs `lines demo` (release build) on the embedded default. Installs what it needs first.
set -euo pipefail
cd "$(dirname "$0")/.."
bash Scripts/ensure-deps.sh
swift build -c release --product lines
exec .build/release/lines demo "$@"
