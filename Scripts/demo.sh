#!/usr/bin/env bash
# Runs `lines demo` (release build) on the embedded default: LiNeS on eight offline image tasks,
# report in ./lines-demo/report.html. Installs what it needs first (dataset-fashion-mnist included).
set -euo pipefail
cd "$(dirname "$0")/.."
bash Scripts/ensure-deps.sh
if [ ! -e /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ]; then
  echo "error: the demo needs Fashion-MNIST: apt-get install -y dataset-fashion-mnist" >&2
  exit 1
fi
swift build -c release --product lines
exec .build/release/lines demo "$@"
