#!/usr/bin/env bash
# LLM merges against mergekit in the same script: 4 Llama-shaped bf16 models (base + 3, written
# once by Benchmarks/mergekit_llm_setup.py outside git), the same YAML given to `mergekit-yaml` and
# to `lines merge --config`, wall time and peak RSS (/usr/bin/time), plus the time to read every
# input and write one model (cat to /dev/null + cp) as the floor.
#
#   python3 -m venv --system-site-packages /tmp/mkvenv && /tmp/mkvenv/bin/pip install mergekit
#   bash Benchmarks/mergekit_llm_bench.sh [METHODS]      # default: ties dare_ties task_arithmetic+lines
set -euo pipefail
cd "$(dirname "$0")/.."
DIR=${LINES_LLM_BENCH:-$HOME/.cache/lines/llm-bench}
MK=${MERGEKIT:-/tmp/mkvenv/bin/mergekit-yaml}
PY=${PYTHON:-/tmp/mkvenv/bin/python}
METHODS=${1:-ties dare_ties task_arithmetic+lines}
[ -f "$DIR/c/config.json" ] || "$PY" Benchmarks/mergekit_llm_setup.py "$DIR" ${LINES_LLM_SHAPE:-}
swift build -c release --product lines >&2
LINES=$(swift build -c release --show-bin-path)/lines
OUT=${LINES_LLM_OUT:-/tmp/lines-llm-bench}
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores, $(grep -q -w avx512f /proc/cpuinfo && echo AVX-512 || echo 'AVX2, no AVX-512'); load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "models: $(du -sh "$DIR/base" | cut -f1) each, $(python3 -c "import json;print(json.load(open('$DIR/base/config.json'))['num_hidden_layers'])") layers"
mkdir -p "$OUT"
# Floor: read the 4 inputs and write one model's bytes (the disk's write-back moves it by 3x between
# runs, so it is measured again beside each method's lines run).
floor() {
  sync; local t0; t0=$(date +%s.%N)
  cat "$DIR"/{base,a,b,c}/*.safetensors > /dev/null
  cp -r "$DIR/base" "$OUT/floor"; sync
  python3 -c "print(round($(date +%s.%N) - $t0, 2))"
  rm -rf "$OUT/floor"
}
echo "floor (read 4 models + write 1): $(floor) s"
for m in $METHODS; do
  method=${m%+lines}
  cfg="$OUT/$m.yml"
  {
    echo "merge_method: $method"
    echo "base_model: $DIR/base"
    echo "models:"
    for x in a b c; do
      case $method in
        task_arithmetic) echo "  - {model: $DIR/$x, parameters: {weight: 0.5}}" ;;
        *) echo "  - {model: $DIR/$x, parameters: {weight: 0.5, density: 0.5}}" ;;
      esac
    done
    echo "dtype: float32"
    echo "out_dtype: bfloat16"
  } > "$cfg"
  if [ "$m" != "$method" ]; then
    # mergekit has no LiNeS: it runs the plain method; lines adds the depth scaling.
    cp "$cfg" "$OUT/$m.mergekit.yml"
    echo "lines: {alpha: 0.5, beta: 0.5}" >> "$cfg"
  else
    cp "$cfg" "$OUT/$m.mergekit.yml"
  fi
  rm -rf "$OUT/mk-$m" "$OUT/lines-$m"
  # Each tool starts with the inputs in the page cache (mergekit's 6 GB can evict them).
  warm() { cat "$DIR"/{base,a,b,c}/*.safetensors > /dev/null; sync; }
  warm
  /usr/bin/time -o "$OUT/mk-$m.time" -f "%e s %M KB" "$MK" "$OUT/$m.mergekit.yml" "$OUT/mk-$m" --no-copy-tokenizer --no-write-model-card --random-seed 0 > "$OUT/mk-$m.log" 2>&1 || echo "mergekit failed: $(tail -2 "$OUT/mk-$m.log")"
  warm
  /usr/bin/time -o "$OUT/lines-$m.time" -f "%e s %M KB" "$LINES" merge --config "$cfg" -o "$OUT/lines-$m" > "$OUT/lines-$m.log" 2>&1 || echo "lines failed: $(tail -2 "$OUT/lines-$m.log")"
  # The AVX2 kernels on the same machine (an AVX2-only CPU runs them by itself).
  avx2=""
  if grep -q -w avx512f /proc/cpuinfo; then
    rm -rf "$OUT/lines-$m"; warm
    LINES_MERGE_KERNELS=avx2 /usr/bin/time -o "$OUT/lines-$m-avx2.time" -f "%e s %M KB" "$LINES" merge --config "$cfg" -o "$OUT/lines-$m" > /dev/null 2>&1 || true
    avx2=" | lines (AVX2 kernels) $(cat "$OUT/lines-$m-avx2.time")"
  fi
  f=$(floor)
  mk=$(cut -d' ' -f1 "$OUT/mk-$m.time"); ln=$(cut -d' ' -f1 "$OUT/lines-$m.time")
  echo "$m: mergekit $(cat "$OUT/mk-$m.time") | lines $(cat "$OUT/lines-$m.time")$avx2 | floor $f s"
  echo "$m: lines $(python3 -c "print(round($mk / $ln, 1))")x faster than mergekit, $(python3 -c "print(round($ln / $f, 2))")x the floor"
  rm -rf "$OUT/mk-$m" "$OUT/lines-$m"
done
