#!/usr/bin/env bash
# Fuzzes the parsers with libFuzzer (the Swift toolchain's, `-sanitize=fuzzer,address`; the C
# shims, libjpeg/libpng bridges and libyaml with AddressSanitizer + UndefinedBehaviorSanitizer):
# one target per parser in Benchmarks/Fuzz/, corpora seeded from Tests/Fixtures, RUNS executions
# each. A crash stops that target and leaves its input in $OUT/crashes/TARGET/ (make it a
# regression test). The modules are compiled here with swiftc/clang, not SwiftPM, so that only
# what a target needs carries the fuzzer's instrumentation.
#
#   bash Benchmarks/fuzz.sh                          # RUNS=10000000, every target
#   RUNS=200000 TARGETS="json pickle" bash Benchmarks/fuzz.sh
#   JOBS=2 bash Benchmarks/fuzz.sh                   # two targets at a time
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-10000000}
ALL="safetensors torch zip pickle json npy idx mat pnm jpeg png yaml override compose"
TARGETS=${TARGETS:-$ALL}
OUT=${LINES_FUZZ_DIR:-/tmp/lines-fuzz}
JOBS=${JOBS:-1}
B=$OUT/build
mkdir -p "$B/modules" "$OUT/crashes"
ROOT=$(pwd)
[ -d .build/checkouts/Yams ] || swift package resolve >/dev/null
YAMS=$ROOT/.build/checkouts/Yams/Sources
HDF5_INC=/usr/include/hdf5/serial
SAN=(-sanitize=fuzzer,address)
FLAGS=(-O -parse-as-library -package-name lines -enable-testing "${SAN[@]}" -I "$B" -I "$B/modules" -I "$ROOT/Sources/CBLAS" -I "$ROOT/Sources/LinesZlib" -I "$ROOT/Sources/CHDF5" -I "$YAMS/CYaml/include" -Xcc -I"$HDF5_INC" -Xcc -DYAML_DECLARE_STATIC)
CFLAGS=(-O1 -g -fPIC -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined)

# Module maps for the C targets SwiftPM would generate one for.
for m in CImageCodecs CMergeKernels CMapGuard; do
  mkdir -p "$B/modules/$m"
  hdr=$(ls "$ROOT/Sources/$m/include/"*.h | head -1)
  printf 'module %s {\n  header "%s"\n  export *\n}\n' "$m" "$hdr" > "$B/modules/$m/module.modulemap"
done

stale() { # lib sources... -> true when lib is missing or older than a source
  local lib=$1; shift
  [ ! -f "$lib" ] && return 0
  [ -n "$(find "$@" -newer "$lib" \( -name '*.swift' -o -name '*.c' -o -name '*.h' \) 2>/dev/null | head -1)" ]
}
swiftlib() { # name files...
  local name=$1; shift
  echo "  $name" >&2
  (cd "$B" && swiftc "${FLAGS[@]}" -emit-module -emit-library -static -module-name "$name" "$@" -o "lib$name.a" 2>&1 | grep -v "warning:" >&2 || true)
  [ -f "$B/lib$name.a" ]
}
clib() { # name files...
  local name=$1; shift
  echo "  $name (C, ASan+UBSan)" >&2
  local objs=()
  for f in "$@"; do
    o=$B/$name-$(basename "$f" .c).o
    clang "${CFLAGS[@]}" -DYAML_DECLARE_STATIC -DHAVE_CONFIG_H -I "$YAMS/CYaml/include" -I "$ROOT/Sources/$name/include" -c "$f" -o "$o"
    objs+=("$o")
  done
  rm -f "$B/lib$name.a"; ar rcs "$B/lib$name.a" "${objs[@]}"
}
build() { # stage: checkpoints | datasets | yams | merging | experiments
  case $1 in
    checkpoints)
      if stale "$B/libCheckpoints.a" Sources/Tensors Sources/Checkpoints Sources/CMapGuard; then
        echo "building the instrumented modules (CMapGuard, Tensors, Checkpoints) ..." >&2
        clib CMapGuard Sources/CMapGuard/*.c
        swiftlib Tensors "$ROOT"/Sources/Tensors/*.swift
        swiftlib Checkpoints "$ROOT"/Sources/Checkpoints/*.swift
      fi ;;
    datasets)
      build checkpoints
      if stale "$B/libDatasets.a" Sources/Datasets Sources/CImageCodecs "$B/libCheckpoints.a"; then
        echo "building the instrumented modules (CImageCodecs, Datasets) ..." >&2
        clib CImageCodecs Sources/CImageCodecs/*.c
        swiftlib Datasets "$ROOT"/Sources/Datasets/*.swift
      fi ;;
    merging)
      build checkpoints
      build yams
      if stale "$B/libMerging.a" Sources/Merging Sources/CMergeKernels "$B/libCheckpoints.a"; then
        echo "building the instrumented modules (CMergeKernels, Merging) ..." >&2
        clib CMergeKernels Sources/CMergeKernels/*.c
        (FLAGS+=(-target-cpu haswell); swiftlib Merging $(find "$ROOT"/Sources/Merging -name '*.swift'))
      fi ;;
    yams)
      if [ ! -f "$B/libYams.a" ]; then
        echo "building the instrumented modules (CYaml, Yams) ..." >&2
        clib CYaml "$YAMS"/CYaml/src/*.c
        (FLAGS+=(-DSWIFT_PACKAGE); swiftlib Yams "$YAMS"/Yams/*.swift)
      fi ;;
    experiments)
      build merging
      # The override parser and the config composition only (the rest of Experiments needs the
      # models, datasets and evaluation); its YAML goes through Merging's SafeYAML.
      local files=(ConfigValue ConfigOverride ConfigLoader ExperimentError DefaultConfigs)
      if stale "$B/fuzz_override_sources" Sources/Experiments; then
        printf '%s\n' "${files[@]/#/$ROOT/Sources/Experiments/}" | sed 's/$/.swift/' > "$B/fuzz_override_sources"
      fi ;;
  esac
}
LIBS_checkpoints=(-lCheckpoints -lCMapGuard -lTensors -lopenblas -lz)
libs() { # target -> link flags
  case $1 in
    idx|mat|pnm|jpeg|png) echo -lDatasets -lCImageCodecs "${LIBS_checkpoints[@]}" -lhdf5_serial -ljpeg -lpng ;;
    yaml) echo -lMerging -lCMergeKernels -lYams -lCYaml "${LIBS_checkpoints[@]}" ;;
    override|compose) echo -lMerging -lCMergeKernels -lYams -lCYaml "${LIBS_checkpoints[@]}" ;;
    *) echo "${LIBS_checkpoints[@]}" ;;
  esac
}
stage() {
  case $1 in idx|mat|pnm|jpeg|png) echo datasets ;; yaml) echo merging ;; override|compose) echo experiments ;; *) echo checkpoints ;; esac
}
seed() { # target -> corpus folder
  local dir=$OUT/corpus/$1; mkdir -p "$dir"
  case $1 in
    safetensors) find Tests/Fixtures -name '*.safetensors' -size -16k -exec cp {} "$dir"/ \; ;;
    torch|zip) find Tests/Fixtures -name '*.pt' -size -16k -exec cp {} "$dir"/ \; ;;
    pickle) for f in $(find Tests/Fixtures -name '*.pt' -size -16k); do python3 -c "import sys,zipfile; z=zipfile.ZipFile(sys.argv[1]); n=[i for i in z.namelist() if i.endswith('data.pkl')]; open(sys.argv[2],'wb').write(z.read(n[0])) if n else None" "$f" "$dir/$(basename "$f").pkl" 2>/dev/null || true; done ;;
    json) find Tests/Fixtures -name '*.json' -size -16k -exec cp {} "$dir"/ \; ;;
    npy) find Tests/Fixtures -name '*.npy' -size -16k -exec cp {} "$dir"/ \; ;;
    idx) find Tests/Fixtures -name '*-ubyte*' -size -16k -exec cp {} "$dir"/ \; ;;
    mat) find Tests/Fixtures -name '*.mat' -size -16k -exec cp {} "$dir"/ \; ;;
    pnm) find Tests/Fixtures -name '*.p[bgpn]m' -size -16k -exec cp {} "$dir"/ \; ;;
    jpeg) find Tests/Fixtures -name '*.jp*g' -size -16k -exec cp {} "$dir"/ \; ;;
    png) find Tests/Fixtures -name '*.png' -size -16k -exec cp {} "$dir"/ \; ;;
    yaml) find Tests/Fixtures -name '*.y*ml' -size -16k -exec cp {} "$dir"/ \; ;;
    override|compose) i=0; for o in "method=ties" "method=tall_mask" "+method.apply_lines=true" "method.k=0.2" "model=ViT-B-32" "++results_location=/tmp/r" "eval_datasets=[MNIST,DTD]" "method.lines.beta=[0.5, 1.0]" "seed=3" "method=consensus
method.prior=0.2"; do i=$((i+1)); printf '%s' "$o" > "$dir/seed$i"; done ;;
  esac
  echo "$dir"
}
fuzz_one() {
  local t=$1 bin=$B/fuzz_$1 corpus extra=()
  case $t in override|compose) mapfile -t extra < "$B/fuzz_override_sources" ;; esac
  # LeakSanitizer does not follow Swift's tagged enum payload pointers, so ConfigLoader's cache
  # of parsed trees (filled before the first input) reads as a leak at exit.
  local options=() asan=${ASAN_OPTIONS:-}
  [ "$t" = compose ] && { options=(-detect_leaks=0); asan=detect_leaks=0; }
  swiftc "${FLAGS[@]}" Benchmarks/Fuzz/FuzzSupport.swift "${extra[@]}" "Benchmarks/Fuzz/$t.swift" -L "$B" $(libs "$t") -o "$bin" 2>&1 | grep -v "warning:" >&2 || true
  corpus=$(seed "$t")
  mkdir -p "$OUT/crashes/$t"
  local start status secs execs cov
  start=$(date +%s)
  if ASAN_OPTIONS=$asan "$bin" "${options[@]}" -runs="$RUNS" -max_len=16384 -rss_limit_mb=4096 -timeout=10 -artifact_prefix="$OUT/crashes/$t/" "$corpus" > "$OUT/$t.log" 2>&1; then status=ok; else status=CRASH; fi
  secs=$(( $(date +%s) - start ))
  execs=$(grep -o 'Done [0-9]* runs' "$OUT/$t.log" | awk '{print $2}' || true)
  cov=$(grep -o 'cov: [0-9]*' "$OUT/$t.log" | tail -1 | awk '{print $2}' || true)
  printf '%-12s %-6s %s executions in %s s, coverage %s edges, corpus %s files\n' "$t" "$status" "${execs:-?}" "$secs" "${cov:-?}" "$(ls "$corpus" | wc -l)"
  [ "$status" = ok ] || tail -30 "$OUT/$t.log"
}
echo "== $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $RUNS runs per target, $JOBS at a time"
for t in $TARGETS; do build "$(stage "$t")"; done
running=0
for t in $TARGETS; do
  fuzz_one "$t" &
  running=$((running + 1))
  if [ "$running" -ge "$JOBS" ]; then wait -n || true; running=$((running - 1)); fi
done
wait
