#!/usr/bin/env bash
# Two builds' encoders side by side: CLIPBenchmark (ViT-B-32 inference, batch 32) and
# lines-finetune-bench (one ViT-B/32 optimizer step, batch 32) from OLD and NEW release build
# folders, alternating for ROUNDS rounds on the same cores; prints each side's best.
#
#   (cd /tmp/old && swift build -c release --product CLIPBenchmark && swift build -c release --product lines-finetune-bench)
#   bash Benchmarks/compare_encoder_builds.sh /tmp/old/.build/release .build/release [rounds]
set -euo pipefail
OLD=$1 NEW=$2 ROUNDS=${3:-3}
FULL=${LINES_CLIP_FULL:-$HOME/.cache/lines/clip-full}
MODEL=$FULL/ViT-B-32-quickgelu.safetensors PIXELS=$FULL/ViT-B-32-quickgelu_pixels.safetensors
[ -f "$MODEL" ] || { echo "no $MODEL: run python3 Scripts/fixtures/clip_fixtures.py --full" >&2; exit 1; }
export LINES_THREADS=2 OPENBLAS_NUM_THREADS=2
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores; load before: $(cut -d' ' -f1-3 /proc/loadavg)"
field() { python3 -c "import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])" "$1" "$2"; }
declare -A best
for r in $(seq "$ROUNDS"); do
  for side in OLD NEW; do
    dir=${!side}
    c=$("$dir/CLIPBenchmark" "$MODEL" "$PIXELS" 6)
    f=$("$dir/lines-finetune-bench" 768 12 12 32 224 512 32 3)
    ips=$(field "$c" images_per_s) step=$(field "$f" best_s)
    echo "round $r $side: inference $ips images/s, fine-tune step $step s (loss $(field "$f" loss))"
    best[$side-ips]=$(python3 -c "print(max(float('${best[$side-ips]:-0}'), $ips))")
    best[$side-step]=$(python3 -c "print(min(float('${best[$side-step]:-1e9}'), $step))")
  done
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
for side in OLD NEW; do echo "$side best: inference ${best[$side-ips]} images/s, fine-tune step ${best[$side-step]} s"; done
python3 -c "print('NEW/OLD: inference %.3fx, fine-tune step time %.3fx' % (${best[NEW-ips]}/${best[OLD-ips]}, ${best[NEW-step]}/${best[OLD-step]}))"
