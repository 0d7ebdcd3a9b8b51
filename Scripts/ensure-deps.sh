#!/usr/bin/env bash
# Installs the native libraries Lines links against, when they are missing (idempotent).
# Used by Scripts/demo.sh, Scripts/test.sh and .ci/run.
set -euo pipefail

if ! command -v swift >/dev/null 2>&1; then
  echo "error: the Swift toolchain (6.0 or newer) is not on PATH; install it from swift.org first." >&2
  exit 1
fi

missing=()
for pkg in libopenblas-dev libjpeg62-turbo-dev libpng-dev zlib1g-dev libhdf5-dev libfreetype-dev fonts-dejavu-core fonts-dejavu-extra fonts-liberation; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing ${missing[*]} ..." >&2
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# Optional test data: Fashion-MNIST's full training set (the tests that use it skip without it).
if ! dpkg -s dataset-fashion-mnist >/dev/null 2>&1; then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  { DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq dataset-fashion-mnist >/dev/null 2>&1 \
    || { $sudo apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq dataset-fashion-mnist >/dev/null 2>&1; }; } \
    || echo "note: dataset-fashion-mnist could not be installed; its tests will be skipped." >&2
fi
