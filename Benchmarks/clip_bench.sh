#!/usr/bin/env bash
# CLIP inference benchmark: ViT-B-32 fp32 image encoder, batch 32, 2 threads, ours vs open_clip on
# PyTorch CPU with the same random weights and input, plus OpenBLAS sgemm at the model's GEMM
# sizes measured in the same process. Ours and PyTorch alternate for ROUNDS rounds; each reports
# its best batch (noise from other processes only ever slows a batch down).
#
# The encoder is read in each of FORMATS (default "safetensors pt": the same weights also saved as
# a torch.save state dict, as the reference's checkpoints are): the load time is reported per format.
#
#   bash Benchmarks/clip_bench.sh [iterations per round] [rounds]     # run alone, on idle cores
set -euo pipefail
cd "$(dirname "$0")/.."
ITER=${1:-6}
ROUNDS=${2:-3}
FULL=${LINES_CLIP_FULL:-$HOME/.cache/lines/clip-full}
MODEL=ViT-B-32-quickgelu
if [ ! -f "$FULL/$MODEL.safetensors" ]; then
  python3 Scripts/fixtures/clip_fixtures.py --full
fi
FORMATS=${FORMATS:-safetensors pt}
if [ ! -f "$FULL/$MODEL.pt" ]; then
  python3 -c "import sys, torch; from safetensors.torch import load_file; torch.save(load_file(sys.argv[1]), sys.argv[2])" "$FULL/$MODEL.safetensors" "$FULL/$MODEL.pt"
fi
swift build -c release --product CLIPBenchmark >&2
BIN="$(swift build -c release --show-bin-path)/CLIPBenchmark"
export LINES_THREADS=2 OPENBLAS_NUM_THREADS=2 OMP_NUM_THREADS=2 MKL_NUM_THREADS=2
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores, $(grep -q -w avx512f /proc/cpuinfo && echo AVX-512 || echo 'AVX2, no AVX-512')"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
results=()
for r in $(seq "$ROUNDS"); do
  for fmt in $FORMATS; do
    ours=$("$BIN" "$FULL/$MODEL.$fmt" "$FULL/${MODEL}_pixels.safetensors" "$ITER")
    echo "round $r ours ($fmt):  $ours"
    results+=("$ours")
  done
  torch=$(python3 Benchmarks/clip_bench_torch.py "$FULL/$MODEL.safetensors" "$FULL/${MODEL}_pixels.safetensors" "$MODEL" "$ITER" 2 2>/dev/null)
  echo "round $r torch: $torch"
  results+=("$torch")
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
# The fp32 FMA ceiling of these 2 cores, the bound for any GEMM (ours, OpenBLAS, MKL).
PEAK=$( (cc -O3 -march=native -pthread Benchmarks/fma_peak.c -o /tmp/lines_fma_peak && /tmp/lines_fma_peak) 2>/dev/null || echo '{}')
echo "fma peak: $PEAK"
python3 - "$PEAK" "${results[@]}" <<'PY'
import json, sys
peak = json.loads(sys.argv[1]).get("fma_peak_gflops_2_threads")
runs = [json.loads(a) for a in sys.argv[2:]]
ours = max((r for r in runs if "model" in r), key=lambda r: r["images_per_s"])
for f in sorted({r["encoder_file"] for r in runs if "model" in r}):
    loads = sorted(r["load_s"] for r in runs if r.get("encoder_file") == f)
    print(f"encoder load from {f}: median {loads[len(loads) // 2]:.3f} s over {len(loads)} runs")
torch = max((r for r in runs if "peer" in r), key=lambda r: r["images_per_s"])
sgemm = max(r["sgemm_gflops_model_mix"] for r in runs if "model" in r)
print(f"ours {ours['images_per_s']:.2f} images/s ({ours['parallelism']} parallelism, OpenBLAS {ours['openblas_core']}), "
      f"{torch['peer']} {torch['images_per_s']:.2f} images/s: ratio {ours['images_per_s'] / torch['images_per_s']:.2f}x")
eff = ours["achieved_gflops"]
print(f"achieved {eff:.1f} GFLOP/s ({ours['gflop_per_image']:.3f} GFLOP/image nominal, 2 FLOP per multiply-add) "
      f"of {sgemm:.1f} GFLOP/s OpenBLAS sgemm at the model's GEMM sizes (best of all rounds): {100 * eff / sgemm:.0f}% (target >= 70%); "
      f"executed FLOPs (last block on the class token only) {100 * ours['executed_gflops'] / sgemm:.0f}%")
if peak:
    need = 1.5 * torch["images_per_s"] * ours["gflop_per_image"]
    print(f"fp32 FMA peak of the 2 cores: {peak:.1f} GFLOP/s; OpenBLAS sgemm reaches {100 * sgemm / peak:.0f}% of it, we {100 * eff / peak:.0f}%; "
          f"1.5x PyTorch needs {need:.1f} GFLOP/s nominal ({100 * need / peak:.0f}% of the peak)")
PY
