#!/usr/bin/env bash
# Runs every merge method (± LiNeS, each option path) with two `lines` builds on the same
# models and compares the outputs byte for byte (cmp). For refactors: the outputs must not move.
#   Benchmarks/compare_builds.sh OLD_LINES NEW_LINES [MODELS_DIR]
# MODELS_DIR holds zeroshot.safetensors and <Task>Val/nonlinear_finetuned.safetensors
# (default: the merge fixtures; Scripts/bench_models.py writes ViT-B/32-sized ones).
set -euo pipefail
old=$1 new=$2 dir=${3:-Tests/Fixtures/merge}
out=$(mktemp -d); trap 'rm -rf "$out"' EXIT
zs="$dir/zeroshot.safetensors"
mapfile -t ft < <(ls "$dir"/*Val/nonlinear_finetuned.safetensors)
cases=(
  "sum|--method sum"
  "sum_lines|--method sum --lines --beta 0.5"
  "sum_neg|--method sum --coefficient -0.5 --task-vector"
  "average|--method average"
  "ties|--method ties"
  "ties_k30_max|--method ties --k 30 --agg max"
  "ties_lines|--method ties --lines --beta 1.0"
  "ties_lines_alpha|--method ties --lines --alpha 0.3 --beta 0.7 --coefficient 0.8"
  "consensus|--method consensus"
  "consensus_lines|--method consensus --lines --beta 0.5"
  "consensus_ties_lines|--method consensus --use-ties --prun-thre-k 1 --lines --beta 0.5"
  "consensus_lambdas|--method consensus --tall-lambda 0.2 0.3 0.4 0.5"
)
fail=0
for c in "${cases[@]}"; do
  name=${c%%|*}; args=${c#*|}
  # shellcheck disable=SC2086
  "$old" merge $args --pretrained "$zs" --finetuned "${ft[@]}" -o "$out/$name.old.safetensors" >/dev/null 2>&1 2>&1
  # shellcheck disable=SC2086
  "$new" merge $args --pretrained "$zs" --finetuned "${ft[@]}" -o "$out/$name.new.safetensors" >/dev/null 2>&1 2>&1
  if cmp -s "$out/$name.old.safetensors" "$out/$name.new.safetensors"; then echo "same  $name"; else echo "DIFF  $name"; fail=1; fi
done
"$old" merge --method mag-masking --pretrained "$zs" --finetuned "${ft[@]}" -o "$out/mag.old" >/dev/null 2>&1
"$new" merge --method mag-masking --pretrained "$zs" --finetuned "${ft[@]}" -o "$out/mag.new" >/dev/null 2>&1
if diff -rq "$out/mag.old" "$out/mag.new" >/dev/null; then echo "same  mag-masking ($(ls "$out/mag.new" | wc -l) models)"; else echo "DIFF  mag-masking"; fail=1; fi
"$old" masks --use-ties --tall-lambda 0.4 --pretrained "$zs" --finetuned "${ft[@]}" -o "$out/m.old.npy" >/dev/null 2>&1
"$new" masks --use-ties --tall-lambda 0.4 --pretrained "$zs" --finetuned "${ft[@]}" -o "$out/m.new.npy" >/dev/null 2>&1
if cmp -s "$out/m.old.npy" "$out/m.new.npy"; then echo "same  tall masks (ties)"; else echo "DIFF  tall masks"; fail=1; fi
exit $fail
