#!/usr/bin/env bash
# Fine-tuning benchmark: one optimizer step (forward + backward, frozen-head cross-entropy,
# clip_grad_norm_(1.0), AdamW) of a randomly initialised ViT-B/32 (QuickGELU) at batch 32, ours
# (release) vs open_clip's VisionTransformer on PyTorch CPU, same 2 threads, alternating for
# ROUNDS rounds; each reports its best and median step of STEPS (after one warm-up step). Then
# images/s of the tiny model (width 64, 2 layers, 2 heads, patch 7, 28×28 images) at batch 64.
#
#   bash Benchmarks/finetune_bench.sh [steps per round] [rounds]     # run alone, on idle cores
set -euo pipefail
cd "$(dirname "$0")/.."
STEPS=${1:-3}
ROUNDS=${2:-2}
swift build -c release --product lines-finetune-bench >&2
BIN="$(swift build -c release --show-bin-path)/lines-finetune-bench"
export LINES_THREADS=2 OPENBLAS_NUM_THREADS=2 OMP_NUM_THREADS=2 MKL_NUM_THREADS=2
B32="768 12 12 32 224 512 32"
TINY="64 2 2 7 28 32 64"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
results=()
for r in $(seq "$ROUNDS"); do
  ours=$("$BIN" $B32 "$STEPS")
  torch=$(python3 Benchmarks/finetune_bench_torch.py $B32 "$STEPS" 2 2>/dev/null)
  echo "round $r ViT-B/32 ours:  $ours"
  echo "round $r ViT-B/32 torch: $torch"
  results+=("$ours" "$torch")
done
tiny_ours=$("$BIN" $TINY 30)
tiny_torch=$(python3 Benchmarks/finetune_bench_torch.py $TINY 30 2 2>/dev/null)
echo "tiny ours:  $tiny_ours"
echo "tiny torch: $tiny_torch"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "${results[@]}" "$tiny_ours" "$tiny_torch" <<'PY'
import json, sys
rows = [json.loads(a) for a in sys.argv[1:]]
tiny_ours, tiny_torch = rows[-2], rows[-1]
ours = [r for r in rows[:-2] if r["impl"] == "lines"]
torch = [r for r in rows[:-2] if r["impl"] == "torch"]
ob, tb = min(r["best_s"] for r in ours), min(r["best_s"] for r in torch)
om = sorted(r["median_s"] for r in ours)[len(ours) // 2]
tm = sorted(r["median_s"] for r in torch)[len(torch) // 2]
print(f"ViT-B/32 batch 32 step: lines best {ob:.3f} s, torch best {tb:.3f} s -> speed-up {tb / ob:.2f}x (medians {om:.3f} / {tm:.3f} s -> {tm / om:.2f}x)")
print(f"tiny model: lines {tiny_ours['images_per_s']:.0f} img/s, torch {tiny_torch['images_per_s']:.0f} img/s -> {tiny_ours['images_per_s'] / tiny_torch['images_per_s']:.1f}x")
PY
