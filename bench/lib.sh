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

# measure LABEL CMD…: append "label wall cpu rss_kb" to $results.
measure() {
  local label="$1"; shift
  /usr/bin/time -f "%e %U %S %M" -o "$tmp/time" "$@" > /dev/null 2> "$tmp/err" || {
    echo "failed: $*" >&2; cat "$tmp/err" >&2; exit 1; }
  read -r wall user sys rss < "$tmp/time"
  echo "$label $wall $(echo "$user + $sys" | bc) $rss" >> "$results"
}

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
