#!/usr/bin/env bash
# `lines convert` of a ViT-B/32-sized torch.save checkpoint to safetensors, against the Python
# route (torch.load + safetensors.torch.save_file), with wall time and peak RSS, in one script.
#
#   bash Benchmarks/convert_bench.sh [SOURCE.safetensors]
#
# SOURCE defaults to the θ0 that Benchmarks/merge_bench.sh generates (/tmp/lines-bench/zeroshot.safetensors).
set -euo pipefail
cd "$(dirname "$0")/.."
src=${1:-/tmp/lines-bench/zeroshot.safetensors}
work=$(mktemp -d /tmp/lines-convert-bench.XXXX)
trap 'rm -rf "$work"' EXIT
command -v /usr/bin/time >/dev/null || apt-get install -y -qq time >/dev/null
swift build -c release --product lines >/dev/null
python3 - "$src" "$work/in.pt" <<'PY'
import sys, torch
from safetensors.torch import load_file
torch.save(load_file(sys.argv[1]), sys.argv[2])
PY
cat "$work/in.pt" > /dev/null   # page cache warm for both
measure() {  # label, command...
  local label=$1; shift
  /usr/bin/time -f "%e %M" -o "$work/t" "$@" >/dev/null 2>&1
  read -r secs kb < "$work/t"
  echo "$label $secs $kb"
}
for round in 1 2 3; do
  measure lines .build/release/lines convert "$work/in.pt" "$work/lines.safetensors"
  measure python python3 -c "import sys,torch; from safetensors.torch import save_file; save_file(torch.load(sys.argv[1], weights_only=True), sys.argv[2], metadata={'format':'pt'})" "$work/in.pt" "$work/py.safetensors"
done | tee "$work/runs"
cmp "$work/lines.safetensors" "$work/py.safetensors" && echo "outputs byte-identical"
python3 - "$work/runs" <<'PY'
import sys, collections
runs = collections.defaultdict(list)
for line in open(sys.argv[1]):
    name, s, kb = line.split(); runs[name].append((float(s), int(kb)))
best = {k: min(v) for k, v in runs.items()}
rss = {k: max(x[1] for x in v) / 1024 for k, v in runs.items()}
print(f"lines convert: {best['lines'][0]:.2f} s, peak RSS {rss['lines']:.0f} MB")
print(f"torch.load + save_file: {best['python'][0]:.2f} s, peak RSS {rss['python']:.0f} MB")
print(f"ratio: {best['python'][0] / best['lines'][0]:.1f}x faster, {rss['python'] / rss['lines']:.1f}x less memory")
PY
