#!/usr/bin/env bash
# Whole-command benchmark of `lines eval` (release) against the reference's evaluation path
# (Benchmarks/eval_bench_reference.py: torch.load of the pickled modules, torchvision ImageFolder +
# DataLoader, open_clip forward), on the same real DTD JPEGs (../shared/data/dtd-subset, linked
# COPIES times), the same ViT-B/32 `.pt` encoder (Scripts/bench_models.py), the same threads.
# Lines is timed with a cold decode cache (decoding included, as every reference run does) and a
# warm one (a second run). Also: model load time and process start of `lines embed` on `.pt` and
# safetensors encoders.
#
#   Benchmarks/eval_bench.sh             # COPIES=4 (400 images), BATCH=32, THREADS=2, WORKERS=2, ROUNDS=3
set -euo pipefail
cd "$(dirname "$0")/.."
DIR=${LINES_BENCH_DIR:-/tmp/lines-bench}
SHARED=${LINES_SHARED_DATA:-$(cd .. && pwd)/shared/data}
COPIES=${COPIES:-4}; BATCH=${BATCH:-32}; THREADS=${THREADS:-2}; WORKERS=${WORKERS:-2}; ROUNDS=${ROUNDS:-3}
B=$DIR/eval-bench
[ -x /usr/bin/time ] || apt-get install -y time >/dev/null
python3 Scripts/bench_models.py "$DIR" 1 both
python3 Benchmarks/eval_bench_setup.py "$DIR" "$SHARED" "$COPIES"
swift build -c release --product lines >/dev/null
LINES=$(swift build -c release --show-bin-path)/lines
export LINES_THREADS=$THREADS OPENBLAS_NUM_THREADS=$THREADS OMP_NUM_THREADS=$THREADS
echo "== $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores, $THREADS threads; $(grep -q -w avx512f /proc/cpuinfo && echo AVX-512 || echo 'AVX2, no AVX-512')"
wall() { awk -F': ' '/Elapsed \(wall clock\)/ {split($2,a,":"); s=0; for(i=1;i<=length(a);i++) s=s*60+a[i]; print s}' "$1"; }
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {if (NR) print (NR % 2 ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2)}'; }
COLD="" WARM="" REF="" REFLOOP="" LOADPT="" LOADST="" EMBEDPT=""
python3 -c "import torch; from safetensors.torch import save_file; torch.manual_seed(0); save_file({'pixels': torch.randn(1, 3, 224, 224)}, '$B/pixels1.safetensors')"
for r in $(seq "$ROUNDS"); do
  rm -rf "$B/cache"
  /usr/bin/time -v -o "$B/cold.time" "$LINES" eval --model "$DIR/zeroshot.pt" --head "$B/head_DTDVal.pt" --task DTD --split test \
      --data-location "$B/data" --cache-dir "$B/cache" --batch-size "$BATCH" >"$B/cold.log" 2>&1
  /usr/bin/time -v -o "$B/warm.time" "$LINES" eval --model "$DIR/zeroshot.pt" --head "$B/head_DTDVal.pt" --task DTD --split test \
      --data-location "$B/data" --cache-dir "$B/cache" --batch-size "$BATCH" >"$B/warm.log" 2>&1
  /usr/bin/time -v -o "$B/ref.time" python3 Benchmarks/eval_bench_reference.py "$DIR/zeroshot.pt" "$B/head_DTDVal.pt" "$B/data" "$BATCH" "$THREADS" "$WORKERS" >"$B/ref.json" 2>"$B/ref.log"
  for f in pt safetensors; do
    "$LINES" embed --model "$DIR/zeroshot.$f" --pixels "$B/pixels1.safetensors" -o "$B/emb.safetensors" >/dev/null 2>"$B/embed_$f.log"
  done
  /usr/bin/time -v -o "$B/embed.time" "$LINES" embed --model "$DIR/zeroshot.pt" --pixels "$B/pixels1.safetensors" -o "$B/emb.safetensors" >/dev/null 2>&1
  COLD="$COLD $(wall "$B/cold.time")"; WARM="$WARM $(wall "$B/warm.time")"; REF="$REF $(wall "$B/ref.time")"
  REFLOOP="$REFLOOP $(python3 -c "import json; print(json.load(open('$B/ref.json'))['loop_s'])")"
  LOADPT="$LOADPT $(grep -o 'loaded in [0-9.]*' "$B/embed_pt.log" | awk '{print $3}')"
  LOADST="$LOADST $(grep -o 'loaded in [0-9.]*' "$B/embed_safetensors.log" | awk '{print $3}')"
  EMBEDPT="$EMBEDPT $(wall "$B/embed.time")"
  echo "round $r: lines cold $(wall "$B/cold.time") s, warm $(wall "$B/warm.time") s, reference $(wall "$B/ref.time") s; $(cat "$B/ref.json")"
  grep -h "top1" "$B/cold.log" "$B/warm.log"
done
N=$(python3 -c "import json; print(json.load(open('$B/ref.json'))['images'])")
C=$(echo "$COLD" | median); W=$(echo "$WARM" | median); R=$(echo "$REF" | median); RL=$(echo "$REFLOOP" | median)
echo "== $N images, medians of $ROUNDS rounds (whole processes: start, model load, decode, preprocess, forward, top-1)"
awk -v n="$N" -v c="$C" -v w="$W" -v r="$R" -v rl="$RL" 'BEGIN {
  printf "lines eval, cold cache: %.2f s = %.1f images/s\n", c, n / c
  printf "lines eval, warm cache: %.2f s = %.1f images/s\n", w, n / w
  printf "reference:              %.2f s = %.1f images/s (its DataLoader loop alone %.2f s = %.1f images/s)\n", r, n / r, rl, n / rl
  printf "ratio lines / reference, images/s: cold %.2fx, warm %.2fx (vs its loop alone: cold %.2fx)\n", r / c, r / w, rl / c }'
echo "lines model load, ViT-B/32: .pt median $(echo "$LOADPT" | median) s, safetensors $(echo "$LOADST" | median) s; lines embed of 1 image on .pt, whole process: $(echo "$EMBEDPT" | median) s"
