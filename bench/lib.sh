# Shared by the bench scripts (sourced): the generated corpora and the
# timing helpers. Expects $bin, $base, $tmp and $results to be set.

# prepare NAME: the corpus under $base/NAME (generated once, seed 1):
# a member count, `tiny` (one member's tree: 17 files), `group` (one
# 200,000-row group workbook) or `group-bad` (the same workbook with 营业收入
# unreadable on every row).
prepare() {
  local name="$1" dir="$base/$1"
  [ -f "$dir/inputs-expected/generate.json" ] && return 0
  rm -rf "$dir"; mkdir -p "$dir"
  case "$name" in
    group) "$bin" -q generate --out "$dir/inputs" --members 1 --years 2024 --traps 0 --group-rows 200000 ;;
    group-bad) "$bin" -q generate --out "$dir/inputs" --members 1 --years 2024 --traps 0 --group-rows 200000 \
                 --group-unreadable 1 ;;
    tiny)  "$bin" -q generate --out "$dir/inputs" --members 1 --years 2024 --traps 0 ;;
    *)     "$bin" -q generate --out "$dir/inputs" --members "$name" --seed 1 ;;
  esac
}

# measure LABEL CMD…: append "label wall cpu rss_kb all_kb materials_ms"
# to $results.
# CPU counts the reader workers too (the run waits for each). rss_kb is
# what /usr/bin/time reports: the largest single process. all_kb is the
# run's own peak plus its readers' (per worker slot the largest worker,
# summed), from the `run finished` log line when the command logs one in
# JSON, else rss_kb.
measure() {
  local label="$1"; shift
  /usr/bin/time -f "%e %U %S %M" -o "$tmp/time" "$@" > /dev/null 2> "$tmp/err" || {
    echo "failed: $*" >&2; cat "$tmp/err" >&2; exit 1; }
  read -r wall user sys rss < "$tmp/time"
  local all="$rss" line
  line=$(grep '"run finished"' "$tmp/err" | tail -n 1 || true)
  if [ -n "$line" ]; then
    local own readers
    own=$(sed -n 's/.*"peak_rss_kib":\([0-9]*\).*/\1/p' <<< "$line")
    readers=$(sed -n 's/.*"readers_peak_rss_kib":\([0-9]*\).*/\1/p' <<< "$line")
    [ -n "$own" ] && [ -n "$readers" ] && all=$((own + readers))
  fi
  # The materials' rendering (names from the warehouse, every template,
  # the sources file): its span's busy time, when the run logged one.
  local materials
  materials=$(grep '"message":"close"' "$tmp/err" | grep '"name":"materials"}' \
    | sed -n 's/.*"time.busy":"\([0-9.]*\)\(ms\|µs\|s\)".*/\1 \2/p' \
    | awk '{v=$1; if ($2=="µs") v/=1000; if ($2=="s") v*=1000; print v}' | tail -n 1 || true)
  echo "$label $wall $(echo "$user + $sys" | bc) $rss $all ${materials:--}" >> "$results"
}

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
