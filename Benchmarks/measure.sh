# Shared by the benchmark scripts (sourced): `measure NAME CMD…` runs CMD under /usr/bin/time -v,
# its output in $OUT/NAME.log, and records WALL[NAME] (s) and RSS[NAME] (MB, peak).
declare -A WALL RSS
[ -x /usr/bin/time ] || apt-get install -y time >/dev/null
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
