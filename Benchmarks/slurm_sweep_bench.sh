#!/usr/bin/env bash
# Per-unit overhead of a sweep on Slurm (issue 16): a one-node cluster on this machine
# (Scripts/slurm-cluster.sh), the runner's tiny fixture (Tests/Fixtures/runner), method=ties +
# LiNeS (15 validation units + selection), run locally and with launcher=slurm; prints the
# wall times, the byte comparison of the results files, and each unit's own timing line
# (preflight, merge, model build, decode, forward, other), averaged.
#
#   bash Benchmarks/slurm_sweep_bench.sh            # LINES=path/to/lines to pick a build (default: release)
set -euo pipefail
cd "$(dirname "$0")/.."
LINES="${LINES:-$PWD/.build/release/lines}"
[ -x "$LINES" ] || { swift build -c release --product lines >/dev/null; }
work="$(mktemp -d "${TMPDIR:-/tmp}/lines-slurm-bench.XXXXXX")"
trap 'bash Scripts/slurm-cluster.sh down "$work/slurm" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
if [ -z "${SLURM_CONF:-}" ]; then
  out="$(bash Scripts/slurm-cluster.sh up "$work/slurm")"
  export SLURM_CONF="${out##*SLURM_CONF=}"
fi
cp -r Tests/Fixtures/runner/model_checkpoints "$work/"
common=(model=tiny "DATASETS=[EuroSAT,GTSRB,CIFAR10,KMNIST]" "data_location=$PWD/Tests/Fixtures/datasets/root"
        "model_location=$work/model_checkpoints" "cache_dir=$work/cache" batch_size=4 method=ties method.apply_lines=true)
now() { date +%s.%N; }
t0=$(now); "$LINES" run "${common[@]}" "results_location=$work/local/results" "logs_location=$work/local/logs" >/dev/null 2>&1; t1=$(now)
args=("${common[@]}" "results_location=$work/slurm/results" "logs_location=$work/slurm/logs")
t2=$(now); "$LINES" run "${args[@]}" launcher=slurm launcher.cpus_per_task=1 >/dev/null 2>&1
until "$LINES" run "${args[@]}" --status 2>/dev/null | grep -q "^Results:"; do sleep 0.2; done; t3=$(now)
echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores; lines: $LINES"
printf 'local run (one process): %.2f s; Slurm sweep, submit to results: %.2f s\n' "$(echo "$t1 - $t0" | bc)" "$(echo "$t3 - $t2" | bc)"
cmp "$work/local/results/merging_multi_task/"*.json "$work/slurm/results/merging_multi_task/"*.json && echo "results files: byte-identical"
grep -h "^Unit .* done in" "$work"/slurm/logs/.sweep/*/logs/unit-*.log | sort -V
grep -h "^Unit .* done in" "$work"/slurm/logs/.sweep/*/logs/unit-*.log | python3 -c '
import re, sys
rows = [dict((k, float(v)) for v, k in []) for _ in []]
tot = {}
n = 0
for line in sys.stdin:
    m = re.match(r"Unit (\d+) done in ([\d.]+) s: (.*)\.$", line.strip())
    if not m: continue
    n += 1
    tot["total"] = tot.get("total", 0) + float(m.group(2))
    for part in m.group(3).split(", "):
        mm = re.match(r"([a-z ]+) ([\d.]+) s", part)
        if mm: tot[mm.group(1)] = tot.get(mm.group(1), 0) + float(mm.group(2))
print("mean over %d units: " % n + ", ".join("%s %.3f s" % (k, v / n) for k, v in tot.items()))
'
# Slurm's own latency per unit: allocation to completion, from slurmctld's log.
[ -f "$work/slurm/slurmctld.log" ] && grep -c "sched: Allocate" "$work/slurm/slurmctld.log" | sed 's/^/jobs allocated: /' || true
