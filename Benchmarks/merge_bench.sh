#!/usr/bin/env bash
# Merging benchmark: `lines merge` (release) vs the PyTorch reference (Scripts/reference_merge.py)
# vs mergekit (mergekit-pytorch, per-tensor TIES; skipped when not installed), on N synthetic
# ViT-B/32 image encoders + theta0 (Scripts/bench_models.py, ~454 MB each, outside git), in the
# input formats users have: `safetensors`, and `pt` (the reference's checkpoints: whole pickled
# ImageEncoder modules saved with torch.save). Measures wall time and peak RSS with
# /usr/bin/time -v, and the time to just read the inputs and write one model. Run it alone: the
# reference needs ~2*N*454 MB of RAM and more.
#
#   Benchmarks/merge_bench.sh            # N=8, FORMATS="safetensors pt", ROUNDS=5,
#                                        # models in ${LINES_BENCH_DIR:-/tmp/lines-bench}
#   N=4 FORMATS=pt SKIP_REFERENCE=1 Benchmarks/merge_bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-8}
FORMATS=${FORMATS:-safetensors pt}
DIR=${LINES_BENCH_DIR:-/tmp/lines-bench}
OUT=$DIR/out
MERGEKIT=${MERGEKIT:-$(command -v mergekit-pytorch || echo /tmp/mkvenv/bin/mergekit-pytorch)}
mkdir -p "$OUT"

BENCH_FORMAT=both
[ "$FORMATS" = safetensors ] && BENCH_FORMAT=safetensors
[ "$FORMATS" = pt ] && BENCH_FORMAT=pt
python3 Scripts/bench_models.py "$DIR" "$N" "$BENCH_FORMAT"
swift build -c release --product lines >/dev/null
LINES=$(swift build -c release --show-bin-path)/lines

source Benchmarks/measure.sh

echo "== $N tasks, formats: $FORMATS; $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), \
$(grep -o -w -m1 'avx512f' /proc/cpuinfo >/dev/null && echo AVX-512 || (grep -q -w avx2 /proc/cpuinfo && echo 'AVX2, no AVX-512' || echo 'no AVX2'))"
# The short runs (lines and the read + write baseline) alternate ROUNDS times; each keeps its
# median (this virtual machine's page-cache and fresh-memory costs vary a lot from run to run).
# `_portable` is the same TIES merge on the Swift kernels (LINES_MERGE_KERNELS=portable).
ROUNDS=${ROUNDS:-5}
declare -A SAMPLES SAMPLES_RSS
NAMES=()
for fmt in $FORMATS; do
  NAMES+=("io_read_write_$fmt" "lines_ties_lines_$fmt" "lines_consensus_lines_$fmt" "lines_ties_lines_portable_$fmt")
done
for round in $(seq 1 "$ROUNDS"); do
  for fmt in $FORMATS; do
    PT="$DIR/zeroshot.$fmt"
    FT=()
    for t in $(seq 0 $((N - 1))); do FT+=("$DIR/task${t}Val/nonlinear_finetuned.$fmt"); done
    measure "io_read_write_$fmt" bash -c "cat $PT ${FT[*]} > /dev/null && cp $DIR/zeroshot.safetensors $OUT/io_copy.safetensors && sync"
    measure "lines_ties_lines_$fmt" "$LINES" merge --method ties --k 20 --lines --beta 1.0 --pretrained "$PT" --finetuned "${FT[@]}" -o "$OUT/lines_ties_$fmt.safetensors"
    measure "lines_consensus_lines_$fmt" "$LINES" merge --method consensus --tall-lambda 0.4 --lines --beta 0.6 --pretrained "$PT" --finetuned "${FT[@]}" -o "$OUT/lines_consensus_$fmt.safetensors"
    measure "lines_ties_lines_portable_$fmt" env LINES_MERGE_KERNELS=portable "$LINES" merge --method ties --k 20 --lines --beta 1.0 --pretrained "$PT" --finetuned "${FT[@]}" -o "$OUT/lines_ties_portable_$fmt.safetensors"
  done
  for name in "${NAMES[@]}"; do
    SAMPLES[$name]="${SAMPLES[$name]:-} ${WALL[$name]:-}"
    SAMPLES_RSS[$name]="${SAMPLES_RSS[$name]:-} ${RSS[$name]:-}"
  done
done
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {if (NR) print (NR % 2 ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2)}'; }
KERNELS=$(grep -o -w -m1 'avx512f' /proc/cpuinfo >/dev/null && echo AVX-512 || echo AVX2)
for fmt in $FORMATS; do
  cmp -s "$OUT/lines_ties_$fmt.safetensors" "$OUT/lines_ties_portable_$fmt.safetensors" && echo "ties output ($fmt): $KERNELS and portable kernels byte-identical" || echo "ties output ($fmt): $KERNELS and portable kernels DIFFER"
done
set -- $FORMATS
if [ $# -gt 1 ]; then
  for m in ties consensus; do
    cmp -s "$OUT/lines_${m}_$1.safetensors" "$OUT/lines_${m}_$2.safetensors" && echo "$m output: $1 and $2 inputs byte-identical" || echo "$m output: $1 and $2 inputs DIFFER"
  done
fi
for name in "${NAMES[@]}"; do
  WALL[$name]=$(echo "${SAMPLES[$name]}" | median)
  RSS[$name]=$(echo "${SAMPLES_RSS[$name]}" | tr ' ' '\n' | sort -g | tail -1)
  printf '%-34s median %6.2f s over%s s; peak RSS %s MB\n' "$name" "${WALL[$name]}" "${SAMPLES[$name]}" "${RSS[$name]}"
done
REF_FMT=${REF_FORMAT:-$1}
PT="$DIR/zeroshot.$REF_FMT"
FT=()
for t in $(seq 0 $((N - 1))); do FT+=("$DIR/task${t}Val/nonlinear_finetuned.$REF_FMT"); done
if [ -z "${SKIP_REFERENCE:-}" ]; then
  measure reference_ties_lines python3 Scripts/reference_merge.py --method ties --k 20 --lines --beta 1.0 --pretrained "$PT" --finetuned "${FT[@]}" -o "$OUT/ref_ties.safetensors"
  measure reference_consensus_lines python3 Scripts/reference_merge.py --method consensus --tall-lambda 0.4 --lines --beta 0.6 --pretrained "$PT" --finetuned "${FT[@]}" -o "$OUT/ref_consensus.safetensors"
  python3 - "$OUT" "$REF_FMT" <<'PY' || true
import os, sys, torch
from safetensors.torch import load_file
o, fmt = sys.argv[1], sys.argv[2]
for a, b in [(f"lines_ties_{fmt}", "ref_ties"), (f"lines_consensus_{fmt}", "ref_consensus")]:
    if not os.path.exists(f"{o}/{b}.safetensors"):
        continue
    x, y = load_file(f"{o}/{a}.safetensors"), load_file(f"{o}/{b}.safetensors")
    print(f"max |{a} - {b}| = {max((x[k] - y[k]).abs().max().item() for k in x):.3g}")
PY
fi
if [ -x "$MERGEKIT" ]; then
  {
    echo "merge_method: ties"; echo "base_model: $DIR/zeroshot.safetensors"; echo "dtype: float32"
    echo "parameters: {normalize: false, int8_mask: false}"; echo "models:"
    for t in $(seq 0 $((N - 1))); do echo "  - model: $DIR/task${t}Val/nonlinear_finetuned.safetensors"; echo "    parameters: {weight: 1.0, density: 0.2}"; done
  } > "$OUT/mergekit.yml"
  rm -rf "$OUT/mergekit"
  measure mergekit_ties "$MERGEKIT" "$OUT/mergekit.yml" "$OUT/mergekit" --lazy-unpickle
else
  echo "mergekit: skipped (mergekit-pytorch not installed)"
fi

ratio() { [ -n "${WALL[$1]:-}" ] && [ -n "${WALL[$2]:-}" ] && awk -v a="${WALL[$1]}" -v b="${WALL[$2]}" 'BEGIN{printf "%.1f", a/b}' || echo "n/a"; }
mratio() { [ -n "${RSS[$1]:-}" ] && [ -n "${RSS[$2]:-}" ] && awk -v a="${RSS[$1]}" -v b="${RSS[$2]}" 'BEGIN{printf "%.1f", a/b}' || echo "n/a"; }
F=$1
echo "== ratios (reference on $REF_FMT inputs, mergekit on safetensors)"
echo "reference / lines, ties+LiNeS:       time $(ratio reference_ties_lines "lines_ties_lines_$REF_FMT")x, RSS $(mratio reference_ties_lines "lines_ties_lines_$REF_FMT")x"
echo "reference / lines, consensus+LiNeS:  time $(ratio reference_consensus_lines "lines_consensus_lines_$REF_FMT")x, RSS $(mratio reference_consensus_lines "lines_consensus_lines_$REF_FMT")x"
echo "mergekit TIES / lines ties+LiNeS:    time $(ratio mergekit_ties "lines_ties_lines_$F")x, RSS $(mratio mergekit_ties "lines_ties_lines_$F")x"
for fmt in $FORMATS; do
  echo "[$fmt] lines ties+LiNeS / read+write only:  $(ratio "lines_ties_lines_$fmt" "io_read_write_$fmt")x"
  echo "[$fmt] lines consensus+LiNeS / read+write:  $(ratio "lines_consensus_lines_$fmt" "io_read_write_$fmt")x"
  echo "[$fmt] lines ties+LiNeS, portable kernels / read+write: $(ratio "lines_ties_lines_portable_$fmt" "io_read_write_$fmt")x"
done
if [ $# -gt 1 ]; then
  echo "ties+LiNeS, $2 / $1 inputs:       time $(ratio "lines_ties_lines_$2" "lines_ties_lines_$1")x, RSS $(mratio "lines_ties_lines_$2" "lines_ties_lines_$1")x"
  echo "consensus+LiNeS, $2 / $1 inputs:  time $(ratio "lines_consensus_lines_$2" "lines_consensus_lines_$1")x, RSS $(mratio "lines_consensus_lines_$2" "lines_consensus_lines_$1")x"
fi
