#!/usr/bin/env bash
# Rebuilds the demo's embedded pre-trained model (Sources/Demo/Resources/pretrained.safetensors)
# with `lines demo --pretrain` (seed 0, 16,000 steps of 64 images on the pre-training mixture:
# upright Fashion-MNIST garments and lower-case Latin and Greek letters in Debian's fonts), then
# writes its sha256 into Sources/Demo/DemoPretrained.swift. About 4 minutes of pre-training on
# 2 cores, then the whole demo on the new model. Commit both files afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
bash Scripts/ensure-deps.sh
swift build -c release --product lines
cache=$(mktemp -d "${TMPDIR:-/tmp}/lines-demo-pretrain.XXXXXX")
trap 'rm -rf "$cache"' EXIT
.build/release/lines demo --pretrain --fresh --cache "$cache" --output "$cache/report"
model=$(ls "$cache"/full-v2-pretrained-here/model_checkpoints/tiny-vit/pretrained.safetensors)
cp "$model" Sources/Demo/Resources/pretrained.safetensors
sum=$(sha256sum Sources/Demo/Resources/pretrained.safetensors | cut -d' ' -f1)
sed -i "s/public static let sha256 = \"[0-9a-f]*\"/public static let sha256 = \"$sum\"/" Sources/Demo/DemoPretrained.swift
echo "embedded: Sources/Demo/Resources/pretrained.safetensors, sha256 $sum"
