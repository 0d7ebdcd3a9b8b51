#!/usr/bin/env bash
# The SVD merges (TSV-M, Iso-C, Iso-CTS) of N ViT-B/32 task vectors: `lines merge` (release) vs the
# authors' code on PyTorch CPU with the same threads (Benchmarks/svd_bench_reference.py: their
# functions transcribed in Scripts/reference_methods.py, task vectors built from the checkpoints
# as their repos build them), on the reference's checkpoint format (.pt pickled ImageEncoder
# modules, Scripts/bench_models.py, ~454 MB each, outside git). Wall time and peak RSS by
# /usr/bin/time -v; the largest difference between the two outputs. DARE and Breadcrumbs (no
# author code for CLIP to run beside them) and Task Arithmetic are timed for scale.
#
#   Benchmarks/svd_bench.sh                  # N=8, models in ${LINES_BENCH_DIR:-/tmp/lines-bench}
#   METHODS="tsv iso_c" SKIP_REFERENCE=1 Benchmarks/svd_bench.sh
#   REPEAT=2 METHODS="tsv iso_c" Benchmarks/svd_bench.sh   # the fastest of two runs per command
#   EXACT=1 Benchmarks/svd_bench.sh          # also the authors' code on float64 task vectors (untimed; TSV-M, Iso-C ~12 GB, Iso-CTS > 24 GB):
#                                            # how far Lines' and the authors' float32 outputs are from it
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-8}
DIR=${LINES_BENCH_DIR:-/tmp/lines-bench}
OUT=$DIR/out
METHODS=${METHODS:-tsv iso_c iso_cts}
mkdir -p "$OUT"
python3 Scripts/bench_models.py "$DIR" "$N" pt
swift build -c release --product lines >/dev/null
LINES=$(swift build -c release --show-bin-path)/lines
PT="$DIR/zeroshot.pt"
FT=()
for t in $(seq 0 $((N - 1))); do FT+=("$DIR/task${t}Val/nonlinear_finetuned.pt"); done

source Benchmarks/measure.sh
# Every command starts with the inputs in the page cache: the authors' run (6 GB) evicts them, and
# a cold read of the 3.6 GB would be timed in the next command otherwise. `sync` first: the
# previous command's output (0.45 GB, 0.9 GB from a float64 run) is written back before the
# next command's clock starts, not during it.
warm() { sync; cat "$PT" "${FT[@]}" >/dev/null; }
# `best NAME CMD…`: CMD run REPEAT times (default 1), each from warm inputs; NAME gets the fastest
# wall time and the largest peak RSS of the runs (both tools alike: their times move by ±10 %).
best() {
  local name=$1; shift
  local i
  for i in $(seq 1 "${REPEAT:-1}"); do
    warm; measure "$name#$i" "$@"
    [ -n "${WALL[$name#$i]:-}" ] || return 0
    if [ -z "${WALL[$name]:-}" ] || awk -v a="${WALL[$name#$i]}" -v b="${WALL[$name]}" 'BEGIN{exit !(a < b)}'; then WALL[$name]=${WALL[$name#$i]}; fi
    if [ -z "${RSS[$name]:-}" ] || [ "${RSS[$name#$i]}" -gt "${RSS[$name]}" ]; then RSS[$name]=${RSS[$name#$i]}; fi
  done
}
ratio() { [ -n "${WALL[$1]:-}" ] && [ -n "${WALL[$2]:-}" ] && awk -v a="${WALL[$1]}" -v b="${WALL[$2]}" 'BEGIN{printf "%.2f", a/b}' || echo "n/a"; }
mratio() { [ -n "${RSS[$1]:-}" ] && [ -n "${RSS[$2]:-}" ] && awk -v a="${RSS[$1]}" -v b="${RSS[$2]}" 'BEGIN{printf "%.3f", b/a}' || echo "n/a"; }

echo "== $N ViT-B/32 task vectors (.pt); $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), \
$(grep -o -w -m1 'avx512f' /proc/cpuinfo >/dev/null && echo AVX-512 || (grep -q -w avx2 /proc/cpuinfo && echo 'AVX2, no AVX-512' || echo 'no AVX2')); torch $(python3 -c 'import torch; print(torch.__version__)')"
for m in $METHODS; do
  flag=${m/_/-}
  best "lines_$m" "$LINES" merge --method "$flag" --pretrained "$PT" --finetuned "${FT[@]}" -o "$OUT/lines_$m.safetensors"
  best "lines_${m}_lines" "$LINES" merge --method "$flag" --lines --beta 0.5 --pretrained "$PT" --finetuned "${FT[@]}" -o "$OUT/lines_${m}_lines.safetensors"
  if [ -z "${SKIP_REFERENCE:-}" ]; then
    best "authors_$m" env THREADS="$(nproc)" python3 Benchmarks/svd_bench_reference.py "$m" --pretrained "$PT" --finetuned "${FT[@]}" -o "$OUT/authors_$m.safetensors"
  fi
  if [ -n "${EXACT:-}" ]; then
    # Iso-CTS in float64 needs about twice the authors' 15 GB: where it is killed, the run goes on without it.
    rm -f "$OUT/exact_$m.safetensors"
    THREADS="$(nproc)" python3 Benchmarks/svd_bench_reference.py "$m" --float64 --pretrained "$PT" --finetuned "${FT[@]}" -o "$OUT/exact_$m.safetensors" \
      || echo "the float64 run of $m failed (out of memory?); no float64 comparison for it"
  fi
done
warm; measure lines_sum "$LINES" merge --method sum --pretrained "$PT" --finetuned "${FT[@]}" -o "$OUT/lines_sum.safetensors"
measure lines_dare "$LINES" merge --method dare --pretrained "$PT" --finetuned "${FT[@]}" -o "$OUT/lines_dare.safetensors"
measure lines_breadcrumbs "$LINES" merge --method breadcrumbs --pretrained "$PT" --finetuned "${FT[@]}" -o "$OUT/lines_breadcrumbs.safetensors"
# `difference A B`: the largest |A − B| over each tensor's largest |τ_B| (B − θ0), worst tensor.
difference() {
  python3 - "$1" "$2" "$PT" <<'PY' || true
import sys, torch
from safetensors.torch import load_file
a, b = load_file(sys.argv[1]), load_file(sys.argv[2])
sys.path.insert(0, "Scripts")
from reference_merge import load
t0 = load(sys.argv[3])
worst = max(((a[k].double() - b[k].double()).abs().max() / max((b[k].double() - t0[k].double()).abs().max(), 1e-12)).item()
          for k in b if (b[k].double() - t0[k].double()).abs().max() > 0)
print(f"{worst:.3g}")
PY
}
echo "== ratios (authors / lines: time, and lines' share of the authors' peak RSS)"
for m in $METHODS; do
  echo "$m: $(ratio "authors_$m" "lines_$m")x faster, $(mratio "authors_$m" "lines_$m") of the memory; +LiNeS: $(ratio "authors_$m" "lines_${m}_lines")x"
  [ -f "$OUT/authors_$m.safetensors" ] && echo "  max |lines - authors| / max |authors' tau_MTL| over tensors: $(difference "$OUT/lines_$m.safetensors" "$OUT/authors_$m.safetensors")"
  if [ -f "$OUT/exact_$m.safetensors" ]; then
    echo "  against the float64 run: lines $(difference "$OUT/lines_$m.safetensors" "$OUT/exact_$m.safetensors"), authors' float32 $( [ -f "$OUT/authors_$m.safetensors" ] && difference "$OUT/authors_$m.safetensors" "$OUT/exact_$m.safetensors" || echo n/a)"
  fi
done
