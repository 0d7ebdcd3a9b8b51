#!/usr/bin/env bash
# Fuzzes the parsers with libFuzzer (the Swift toolchain's, `-sanitize=fuzzer,address`): one
# target per parser in Benchmarks/Fuzz/, corpora seeded from Tests/Fixtures, RUNS executions each.
# A crash stops that target and leaves its input in $OUT/crashes/TARGET/ (make it a regression test).
#
#   bash Benchmarks/fuzz.sh                      # RUNS=10000000, every target
#   RUNS=200000 TARGETS="json pickle" bash Benchmarks/fuzz.sh
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-10000000}
TARGETS=${TARGETS:-safetensors torch pickle json npy}
OUT=${LINES_FUZZ_DIR:-/tmp/lines-fuzz}
JOBS=${JOBS:-1}
mkdir -p "$OUT/build" "$OUT/crashes"
ROOT=$(pwd)
FLAGS=(-O -parse-as-library -package-name lines -sanitize=fuzzer,address -I "$OUT/build" -I "$ROOT/Sources/CBLAS" -I "$ROOT/Sources/LinesZlib")
if [ ! -f "$OUT/build/libCheckpoints.a" ] || [ -n "$(find Sources/Tensors Sources/Checkpoints -newer "$OUT/build/libCheckpoints.a" -name '*.swift' | head -1)" ]; then
  echo "building the instrumented Tensors and Checkpoints modules ..." >&2
  (cd "$OUT/build" && swiftc "${FLAGS[@]}" -emit-module -emit-library -static -module-name Tensors "$ROOT"/Sources/Tensors/*.swift -o libTensors.a)
  (cd "$OUT/build" && swiftc "${FLAGS[@]}" -emit-module -emit-library -static -module-name Checkpoints "$ROOT"/Sources/Checkpoints/*.swift -o libCheckpoints.a)
fi
seed() { # target -> corpus folder
  local dir=$OUT/corpus/$1; mkdir -p "$dir"
  case $1 in
    safetensors) find Tests/Fixtures -name '*.safetensors' -size -16k -exec cp {} "$dir"/ \; ;;
    torch) find Tests/Fixtures -name '*.pt' -size -16k -exec cp {} "$dir"/ \; ;;
    pickle) for f in $(find Tests/Fixtures -name '*.pt' -size -16k); do python3 -c "import sys,zipfile; z=zipfile.ZipFile(sys.argv[1]); n=[i for i in z.namelist() if i.endswith('data.pkl')]; open(sys.argv[2],'wb').write(z.read(n[0])) if n else None" "$f" "$dir/$(basename "$f").pkl" 2>/dev/null || true; done ;;
    json) find Tests/Fixtures -name '*.json' -size -16k -exec cp {} "$dir"/ \; ;;
    npy) find Tests/Fixtures -name '*.npy' -size -16k -exec cp {} "$dir"/ \; ;;
  esac
  echo "$dir"
}
echo "== $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $RUNS runs per target"
for t in $TARGETS; do
  bin=$OUT/build/fuzz_$t
  swiftc "${FLAGS[@]}" Benchmarks/Fuzz/FuzzSupport.swift "Benchmarks/Fuzz/$t.swift" -L "$OUT/build" -lCheckpoints -lTensors -lopenblas -lz -o "$bin" 2>&1 | grep -v "warning: Cannot export" >&2 || true
  corpus=$(seed "$t")
  mkdir -p "$OUT/crashes/$t"
  start=$(date +%s)
  if "$bin" -runs="$RUNS" -max_len=16384 -rss_limit_mb=4096 -timeout=10 -artifact_prefix="$OUT/crashes/$t/" "$corpus" > "$OUT/$t.log" 2>&1; then status=ok; else status=CRASH; fi
  secs=$(( $(date +%s) - start ))
  execs=$(grep -o 'Done [0-9]* runs' "$OUT/$t.log" | awk '{print $2}' || true)
  cov=$(grep -o 'cov: [0-9]*' "$OUT/$t.log" | tail -1 | awk '{print $2}' || true)
  printf '%-12s %-6s %s executions in %s s, coverage %s edges, corpus %s files\n' "$t" "$status" "${execs:-?}" "$secs" "${cov:-?}" "$(ls "$corpus" | wc -l)"
  [ "$status" = ok ] || tail -30 "$OUT/$t.log"
done
