#!/usr/bin/env bash
# Zero-shot heads for the 20 tasks from a random-init ViT-B-32 (QuickGELU) text tower: `lines heads`
# (release build) vs the reference's build_classification_head with open_clip on PyTorch CPU, both
# on 2 threads, in this script. Prints heads/s of each, their ratio, and the largest difference
# between the two sides' heads (relative to the row norm).
#
#   bash Benchmarks/text_heads_bench.sh [tasks, default 20] [batched]     # run alone, on idle cores
# With `batched`, the peer encodes all texts of a task in batches of 256 instead of the
# reference's one batch per class (not what the reference does; PyTorch's best case here).
# Needs bpe_simple_vocab_16e6.txt.gz: LINES_CLIP_BPE, else ../shared/data/clip-bpe/.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-20}
DIR=${LINES_TEXT_BENCH:-$HOME/.cache/lines/text-bench}
BPE=${LINES_CLIP_BPE:-../shared/data/clip-bpe/bpe_simple_vocab_16e6.txt.gz}
[ -f "$BPE" ] || { echo "no merges file at $BPE: set LINES_CLIP_BPE" >&2; exit 1; }
mkdir -p "$DIR"
python3 Benchmarks/text_heads_bench.py prepare "$DIR"
swift build -c release --product lines >&2
BIN="$(swift build -c release --show-bin-path)/lines"
export LINES_THREADS=2 OPENBLAS_NUM_THREADS=2 OMP_NUM_THREADS=2 MKL_NUM_THREADS=2
TASKS=()
for t in $(python3 Benchmarks/text_heads_bench.py tasks "$N"); do TASKS+=(--task "$t"); done
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
rm -rf "$DIR/lines_heads"
"$BIN" heads --model "$DIR/ViT-B-32-quickgelu-text.safetensors" --bpe "$BPE" "${TASKS[@]}" \
  --class-names "$DIR/classnames" -o "$DIR/lines_heads" 2> "$DIR/lines.err" > "$DIR/lines.out"
cat "$DIR/lines.err" >&2
LINES_S=$(sed -n 's/^\([0-9.]*\) heads in \([0-9.]*\)s$/\2/p' "$DIR/lines.err")
TORCH=$(python3 Benchmarks/text_heads_bench.py torch "$DIR" "$N" 2 ${2:-} 2>/dev/null)
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
python3 Benchmarks/text_heads_bench.py compare "$DIR" "$N" "$LINES_S" "$TORCH"
