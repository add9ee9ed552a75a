#!/usr/bin/env bash
# Scale-out figures, measured in one go:
#
#   bash bench/scaleout.sh [rounds] [members]
#
# On the generated corpus of `members` members x 3 years (default 30000,
# seed 1; the same corpus bench/nightly.sh uses), `rounds` rounds (default
# 3), each running in this order so they alternate on the same machine:
#   stage-1     `stage --shard 1/1`: one process stages every workbook
#   stage-2x2   `stage --shard 1/2` and `--shard 2/2` at once (two machines'
#               worth of work on the two cores), timed together
#   duckdb      `run --staged` on the 1-shard staging (load Parquet,
#               aggregate, emit every output of the latest year)
#   spark       spark/run.sh on the same staging, local[2] (JVM start,
#               read Parquet, the same query files, headline.csv)
#   spark-all   spark/run.sh --inputs: the whole night as one Spark job,
#               Spark scheduling the parse (the binary on each of 8
#               partitions' files, 2 at a time) and then the same queries
# Each timed by /usr/bin/time; the table gives medians of wall time, CPU
# time and peak RSS, and workbooks per second (per wall second, and per
# CPU second = per core).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/chamberstat-target}"
rounds="${1:-3}"
members="${2:-30000}"
base="${BENCH_DIR:-$CARGO_TARGET_DIR/bench-data}"
# BENCH_BIN: measure a copy of the binary instead (see bench/nightly.sh).
[ -n "${BENCH_BIN:-}" ] || cargo build --release --quiet --bin chamberstat
bin="${BENCH_BIN:-$CARGO_TARGET_DIR/release/chamberstat}"
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 2; }
bash spark/setup.sh

source bench/lib.sh  # (the scripts run from the repository root)
prepare "$members"
dir="$base/$members"
files=$(find "$dir/inputs" -type f \( -name '*.xls*' -o -name '*.ods' \) | wc -l)
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
results="$tmp/results"; : > "$results"
cs=("$bin" -q --inputs "$dir/inputs" --outputs "$tmp/outputs" --db "$tmp/outputs/w.duckdb")


for _ in $(seq "$rounds"); do
  rm -rf "$tmp/s1" "$tmp/s2" "$tmp/outputs" "$tmp/spark"
  measure stage-1 "${cs[@]}" stage --out "$tmp/s1"
  measure stage-2x2 bash -c "'$bin' -q --inputs '$dir/inputs' stage --out '$tmp/s2' --shard 1/2 & \
                             '$bin' -q --inputs '$dir/inputs' stage --out '$tmp/s2' --shard 2/2 & wait"
  measure duckdb "${cs[@]}" run --staged "$tmp/s1" --year 2024
  measure spark bash spark/run.sh "$tmp/s1" 2024 "$tmp/spark"
  cmp "$tmp/spark/headline.csv" "$tmp/outputs/2024/headline.csv"
  rm -rf "$tmp/spark-all"
  measure spark-all env CHAMBERSTAT_BIN="$bin" bash spark/run.sh --inputs "$dir/inputs" --year 2024 \
    --partitions 8 "$tmp/spark-all"
  cmp "$tmp/spark-all/headline.csv" "$tmp/outputs/2024/headline.csv"
done

printf '| %s members, %s workbooks | wall s (median of %s) | CPU s | peak RSS MB | workbooks/s | workbooks/s per core |\n' "$members" "$files" "$rounds"
printf '|---|---|---|---|---|---|\n'
for label in stage-1 stage-2x2 duckdb spark spark-all; do
  wall=$(awk -v l="$label" '$1==l{print $2}' "$results" | median)
  cpu=$(awk -v l="$label" '$1==l{print $3}' "$results" | median)
  rss=$(awk -v l="$label" '$1==l{print $4/1024}' "$results" | median)
  case "$label" in
    stage-*|spark-all) printf '| %s | %.2f | %.2f | %.0f | %.0f | %.0f |\n' "$label" "$wall" "$cpu" "$rss" \
               "$(echo "$files / $wall" | bc -l)" "$(echo "$files / $cpu" | bc -l)" ;;
    *) printf '| %s | %.2f | %.2f | %.0f | | |\n' "$label" "$wall" "$cpu" "$rss" ;;
  esac
done
