#!/usr/bin/env bash
# Runner benchmark: a full `lines run method=ties method.apply_lines=true` grid (15 β values,
# 3 real datasets from ../shared/data, random-init ViT-B/32 encoders, release build) against the
# cost of its forward passes alone (`lines embed --pixels` on the same encoder, same batch size,
# same process count), i.e. how much the merging, model building, decoding, preprocessing and
# bookkeeping add on top of inference.
#
#   Benchmarks/run_bench.sh          # models in ${LINES_BENCH_DIR:-/tmp/lines-bench} (made if absent)
set -euo pipefail
cd "$(dirname "$0")/.."
DIR=${LINES_BENCH_DIR:-/tmp/lines-bench}
SHARED=${LINES_SHARED_DATA:-$(cd .. && pwd)/shared/data}
OUT=$DIR/run-bench
BATCH=${BATCH:-32}
[ -x /usr/bin/time ] || apt-get install -y time >/dev/null
python3 Scripts/bench_models.py "$DIR" 3
python3 Benchmarks/run_bench_setup.py "$DIR" "$SHARED"
swift build -c release --product lines >/dev/null
LINES=$(swift build -c release --show-bin-path)/lines
rm -rf "$OUT"; mkdir -p "$OUT"

ARGS=(model=ViT-B-32 "DATASETS=[GTSRB,DTD,FER2013]" method=ties method.apply_lines=true
      data_location="$DIR/data" model_location="$DIR/model_checkpoints" cache_dir="$OUT/cache"
      results_location="$OUT/results" logs_location="$OUT/logs" batch_size=$BATCH)
# Decode the splits into the cache first (as any second run finds them), then time the grid.
"$LINES" run "${ARGS[@]}" --dry-run 2>/dev/null
/usr/bin/time -v -o "$OUT/run.time" "$LINES" run "${ARGS[@]}" >"$OUT/run.log" 2>&1
WALL=$(awk -F': ' '/Elapsed \(wall clock\)/ {split($2,a,":"); s=0; for(i=1;i<=length(a);i++) s=s*60+a[i]; print s}' "$OUT/run.time")
RSS=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2/1024}' "$OUT/run.time")
IMAGES=$(python3 -c "
import json,sys
n=0
for line in open(sys.argv[1]).read().splitlines()[1:]:
    n+=json.loads(line)['count']
print(n)" "$OUT"/logs/.journal/*.jsonl)

# Forward passes alone: the same encoder on 256 preprocessed random images.
python3 -c "
import torch; from safetensors.torch import save_file
torch.manual_seed(0); save_file({'pixels': torch.randn(256, 3, 224, 224)}, '$OUT/pixels.safetensors')"
/usr/bin/time -v -o "$OUT/embed.time" "$LINES" embed --model "$DIR/zeroshot.safetensors" --pixels "$OUT/pixels.safetensors" \
    --batch-size "$BATCH" -o "$OUT/features.safetensors" >"$OUT/embed.log" 2>&1
RATE=$(grep -o '[0-9.]* images/s' "$OUT/embed.log" | tail -1 | cut -d' ' -f1)
python3 - "$WALL" "$IMAGES" "$RATE" "$RSS" <<'PY'
import sys
wall, images, rate, rss = float(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
forward = images / rate
print(f"ties+LiNeS grid: 15 β × 3 val splits + 3 test splits = {images} images evaluated")
print(f"lines run wall        {wall:8.1f} s   peak RSS {rss} MB")
print(f"forward passes alone  {forward:8.1f} s   ({rate:.1f} images/s, lines embed, batch same)")
print(f"run / forward         {wall / forward:8.2f}x")
PY
