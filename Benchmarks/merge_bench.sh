#!/usr/bin/env bash
# Merging benchmark: `lines merge` (release) vs the PyTorch reference (Scripts/reference_merge.py)
# vs mergekit (mergekit-pytorch, per-tensor TIES; skipped when not installed), on N synthetic
# ViT-B/32 image encoders + theta0 (Scripts/bench_models.py, ~454 MB each, outside git).
# Measures wall time and peak RSS with /usr/bin/time -v, and the time to just read the inputs
# and write one model. Run it alone: the reference needs ~2*N*454 MB of RAM and more.
#
#   Benchmarks/merge_bench.sh            # N=8, models in ${LINES_BENCH_DIR:-/tmp/lines-bench}, ROUNDS=5
#   N=4 SKIP_REFERENCE=1 Benchmarks/merge_bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-8}
DIR=${LINES_BENCH_DIR:-/tmp/lines-bench}
OUT=$DIR/out
MERGEKIT=${MERGEKIT:-$(command -v mergekit-pytorch || echo /tmp/mkvenv/bin/mergekit-pytorch)}
mkdir -p "$OUT"
[ -x /usr/bin/time ] || apt-get install -y time >/dev/null

python3 Scripts/bench_models.py "$DIR" "$N"
PT="$DIR/zeroshot.safetensors"
FT=()
for t in $(seq 0 $((N - 1))); do FT+=("$DIR/task${t}Val/nonlinear_finetuned.safetensors"); done
swift build -c release --product lines >/dev/null
LINES=$(swift build -c release --show-bin-path)/lines

declare -A WALL RSS
measure() { # name cmd...
  local name=$1; shift
  sync
  if /usr/bin/time -v -o "$OUT/$name.time" "$@" >"$OUT/$name.log" 2>&1; then
    WALL[$name]=$(awk -F': ' '/Elapsed \(wall clock\)/ {split($2,a,":"); s=0; for(i=1;i<=length(a);i++) s=s*60+a[i]; print s}' "$OUT/$name.time")
    RSS[$name]=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2/1024}' "$OUT/$name.time")
    printf '%-28s %8.2f s %8s MB\n' "$name" "${WALL[$name]}" "${RSS[$name]}"
  else
    echo "$name: FAILED ($(grep -h -o 'Command terminated by signal [0-9]*' "$OUT/$name.time" || echo "exit status $(awk -F': ' '/Exit status/ {print $2}' "$OUT/$name.time")"), peak RSS $(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2/1024}' "$OUT/$name.time") MB; see $OUT/$name.log)"
  fi
}

echo "== $N tasks, $(du -ch "$PT" "${FT[@]}" | tail -1 | cut -f1) of inputs; $(nproc) cores"
# The short runs (lines and the read + write baseline) alternate ROUNDS times; each keeps its
# median (this virtual machine's page-cache and fresh-memory costs vary a lot from run to run).
ROUNDS=${ROUNDS:-5}
declare -A SAMPLES SAMPLES_RSS
for round in $(seq 1 "$ROUNDS"); do
  measure io_read_write bash -c "cat $PT ${FT[*]} > /dev/null && cp $PT $OUT/io_copy.safetensors && sync"
  measure lines_ties_lines "$LINES" merge --method ties --k 20 --lines --beta 1.0 --pretrained "$PT" --finetuned "${FT[@]}" -o "$OUT/lines_ties.safetensors"
  measure lines_consensus_lines "$LINES" merge --method consensus --tall-lambda 0.4 --lines --beta 0.6 --pretrained "$PT" --finetuned "${FT[@]}" -o "$OUT/lines_consensus.safetensors"
  # The same TIES merge on the portable Swift kernels (what a CPU without AVX-512 runs).
  measure lines_ties_lines_portable env LINES_NO_AVX512=1 "$LINES" merge --method ties --k 20 --lines --beta 1.0 --pretrained "$PT" --finetuned "${FT[@]}" -o "$OUT/lines_ties_portable.safetensors"
  for name in io_read_write lines_ties_lines lines_consensus_lines lines_ties_lines_portable; do
    SAMPLES[$name]="${SAMPLES[$name]:-} ${WALL[$name]:-}"
    SAMPLES_RSS[$name]="${SAMPLES_RSS[$name]:-} ${RSS[$name]:-}"
  done
done
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {if (NR) print (NR % 2 ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2)}'; }
cmp -s "$OUT/lines_ties.safetensors" "$OUT/lines_ties_portable.safetensors" && echo "ties output: AVX-512 and portable kernels byte-identical" || echo "ties output: AVX-512 and portable kernels DIFFER"
for name in io_read_write lines_ties_lines lines_consensus_lines lines_ties_lines_portable; do
  WALL[$name]=$(echo "${SAMPLES[$name]}" | median)
  RSS[$name]=$(echo "${SAMPLES_RSS[$name]}" | tr ' ' '\n' | sort -g | tail -1)
  printf '%-28s median %6.2f s over%s s; peak RSS %s MB\n' "$name" "${WALL[$name]}" "${SAMPLES[$name]}" "${RSS[$name]}"
done
if [ -z "${SKIP_REFERENCE:-}" ]; then
  measure reference_ties_lines python3 Scripts/reference_merge.py --method ties --k 20 --lines --beta 1.0 --pretrained "$PT" --finetuned "${FT[@]}" -o "$OUT/ref_ties.safetensors"
  measure reference_consensus_lines python3 Scripts/reference_merge.py --method consensus --tall-lambda 0.4 --lines --beta 0.6 --pretrained "$PT" --finetuned "${FT[@]}" -o "$OUT/ref_consensus.safetensors"
  python3 - "$OUT" <<'PY' || true
import os, sys, torch
from safetensors.torch import load_file
o = sys.argv[1]
for a, b in [("lines_ties", "ref_ties"), ("lines_consensus", "ref_consensus")]:
    if not os.path.exists(f"{o}/{b}.safetensors"):
        continue
    x, y = load_file(f"{o}/{a}.safetensors"), load_file(f"{o}/{b}.safetensors")
    print(f"max |{a} - {b}| = {max((x[k] - y[k]).abs().max().item() for k in x):.3g}")
PY
fi
if [ -x "$MERGEKIT" ]; then
  {
    echo "merge_method: ties"; echo "base_model: $PT"; echo "dtype: float32"
    echo "parameters: {normalize: false, int8_mask: false}"; echo "models:"
    for f in "${FT[@]}"; do echo "  - model: $f"; echo "    parameters: {weight: 1.0, density: 0.2}"; done
  } > "$OUT/mergekit.yml"
  rm -rf "$OUT/mergekit"
  measure mergekit_ties "$MERGEKIT" "$OUT/mergekit.yml" "$OUT/mergekit" --lazy-unpickle
else
  echo "mergekit: skipped (mergekit-pytorch not installed)"
fi

ratio() { [ -n "${WALL[$1]:-}" ] && [ -n "${WALL[$2]:-}" ] && awk -v a="${WALL[$1]}" -v b="${WALL[$2]}" 'BEGIN{printf "%.1f", a/b}' || echo "n/a"; }
mratio() { [ -n "${RSS[$1]:-}" ] && [ -n "${RSS[$2]:-}" ] && awk -v a="${RSS[$1]}" -v b="${RSS[$2]}" 'BEGIN{printf "%.1f", a/b}' || echo "n/a"; }
echo "== ratios"
echo "reference / lines, ties+LiNeS:       time $(ratio reference_ties_lines lines_ties_lines)x, RSS $(mratio reference_ties_lines lines_ties_lines)x"
echo "reference / lines, consensus+LiNeS:  time $(ratio reference_consensus_lines lines_consensus_lines)x, RSS $(mratio reference_consensus_lines lines_consensus_lines)x"
echo "mergekit TIES / lines ties+LiNeS:    time $(ratio mergekit_ties lines_ties_lines)x, RSS $(mratio mergekit_ties lines_ties_lines)x"
echo "lines ties+LiNeS / read+write only:  $(ratio lines_ties_lines io_read_write)x"
echo "lines consensus+LiNeS / read+write:  $(ratio lines_consensus_lines io_read_write)x"
echo "lines ties+LiNeS, portable kernels / read+write: $(ratio lines_ties_lines_portable io_read_write)x"
