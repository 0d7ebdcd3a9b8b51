#!/usr/bin/env bash
# Per-unit overhead of a sweep on Slurm (issue 16), against the same run in one process.
#
# The inputs of Benchmarks/run_bench.sh (three random-init ViT-B/32 task encoders over real
# GTSRB, DTD and FER2013 images from ../shared/data, release build), method=ties + LiNeS:
# 15 validation units (one per β) + selection + test. A one-node Slurm cluster on this machine
# (Scripts/slurm-cluster.sh, unless SLURM_CONF points at one); units get both cores
# (launcher.cpus_per_task=2), so they run one after another, as the local run does.
# Prints both wall times, the byte comparison of the results files, and each unit's own timing
# line (preflight, merge, model build, decode, forward, other) with the means.
#
#   bash Benchmarks/slurm_sweep_bench.sh     # models in ${LINES_BENCH_DIR:-/tmp/lines-bench} (made if absent)
set -euo pipefail
cd "$(dirname "$0")/.."
DIR=${LINES_BENCH_DIR:-/tmp/lines-bench}
SHARED=${LINES_SHARED_DATA:-$(cd .. && pwd)/shared/data}
OUT=$DIR/slurm-bench
CPUS=${CPUS:-2}
[ -d "$DIR/model_checkpoints/ViT-B-32" ] || { python3 Scripts/bench_models.py "$DIR" 3; python3 Benchmarks/run_bench_setup.py "$DIR" "$SHARED"; }
swift build -c release --product lines >/dev/null
LINES=$(swift build -c release --show-bin-path)/lines
rm -rf "$OUT"; mkdir -p "$OUT"
trap 'bash Scripts/slurm-cluster.sh down "$OUT/slurm" >/dev/null 2>&1 || true' EXIT
if [ -z "${SLURM_CONF:-}" ]; then
  out="$(bash Scripts/slurm-cluster.sh up "$OUT/slurm")"
  export SLURM_CONF="${out##*SLURM_CONF=}"
fi
common=(model=ViT-B-32 "DATASETS=[GTSRB,DTD,FER2013]" method=ties method.apply_lines=true
        data_location="$DIR/data" model_location="$DIR/model_checkpoints" cache_dir="$OUT/cache" batch_size=32)
# Decode the splits into the cache first (as any second run finds them).
"$LINES" run "${common[@]}" results_location="$OUT/local/results" logs_location="$OUT/local/logs" --dry-run 2>/dev/null
now() { date +%s.%N; }
t0=$(now); "$LINES" run "${common[@]}" results_location="$OUT/local/results" logs_location="$OUT/local/logs" >"$OUT/local.log" 2>&1; t1=$(now)
args=("${common[@]}" results_location="$OUT/slurm/results" logs_location="$OUT/slurm/logs")
t2=$(now); "$LINES" run "${args[@]}" launcher=slurm launcher.cpus_per_task="$CPUS" >"$OUT/submit.log" 2>&1
until "$LINES" run "${args[@]}" --status 2>/dev/null | grep -q "^Results:"; do
  if "$LINES" run "${args[@]}" --status 2>/dev/null | grep -q "FAILED"; then "$LINES" run "${args[@]}" --status; exit 1; fi
  sleep 0.5
done
t3=$(now)
echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores; units with $CPUS CPUs each"
printf 'local run (one process): %.1f s; Slurm sweep, submit to results: %.1f s\n' "$(echo "$t1 - $t0" | bc)" "$(echo "$t3 - $t2" | bc)"
cmp "$OUT"/local/results/merging_multi_task/*.json "$OUT"/slurm/results/merging_multi_task/*.json && echo "results files: byte-identical"
grep -h "^Unit .* done in" "$OUT"/slurm/logs/.sweep/*/logs/unit-*.log | sort -V
grep -h "^Unit .* done in" "$OUT"/slurm/logs/.sweep/*/logs/unit-*.log | python3 -c '
import re, sys
tot, n = {}, 0
for line in sys.stdin:
    m = re.match(r"Unit (\d+) done in ([\d.]+) s: (.*)\.$", line.strip())
    if not m or int(m.group(1)) == 15: continue
    n += 1
    tot["total"] = tot.get("total", 0) + float(m.group(2))
    for part in m.group(3).split(", "):
        mm = re.match(r"([a-z ]+) ([\d.]+) s", part)
        if mm: tot[mm.group(1)] = tot.get(mm.group(1), 0) + float(mm.group(2))
print("mean of the %d validation units: " % n + ", ".join("%s %.2f s" % (k, v / n) for k, v in tot.items()))
'
