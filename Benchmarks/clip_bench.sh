#!/usr/bin/env bash
# CLIP inference benchmark: ViT-B-32 fp32 image encoder, batch 32, 2 threads, ours vs open_clip on
# PyTorch CPU with the same random weights and input, plus OpenBLAS sgemm at the model's GEMM sizes.
#
#   bash Benchmarks/clip_bench.sh [iterations]        # run alone: the numbers need idle cores
set -euo pipefail
cd "$(dirname "$0")/.."
ITER=${1:-5}
FULL=${LINES_CLIP_FULL:-$HOME/.cache/lines/clip-full}
MODEL=ViT-B-32-quickgelu
if [ ! -f "$FULL/$MODEL.safetensors" ]; then
  python3 Scripts/fixtures/clip_fixtures.py --full
fi
swift build -c release --product CLIPBenchmark >&2
export LINES_THREADS=2 OPENBLAS_NUM_THREADS=2 OMP_NUM_THREADS=2
ours=$("$(swift build -c release --show-bin-path)/CLIPBenchmark" "$FULL/$MODEL.safetensors" "$FULL/${MODEL}_pixels.safetensors" "$ITER")
torch=$(python3 Benchmarks/clip_bench_torch.py "$FULL/$MODEL.safetensors" "$FULL/${MODEL}_pixels.safetensors" "$MODEL" "$ITER" 2 2>/dev/null)
echo "ours:  $ours"
echo "torch: $torch"
python3 - "$ours" "$torch" <<'PY'
import json, sys
o, t = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print(f"ours {o['images_per_s']:.2f} images/s, open_clip/PyTorch {t['images_per_s']:.2f} images/s: "
      f"ratio {o['images_per_s'] / t['images_per_s']:.2f}x (target >= 1.5x)")
print(f"achieved {o['achieved_gflops']:.1f} GFLOP/s of {o['sgemm_gflops_model_mix']:.1f} GFLOP/s OpenBLAS sgemm "
      f"at the model's GEMM sizes: {100 * o['fraction_of_sgemm']:.0f}% (target >= 70%)")
PY
