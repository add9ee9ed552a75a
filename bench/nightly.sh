#!/usr/bin/env bash
# The nightly run against its floor, measured in one go.
#
#   bash bench/nightly.sh [rounds] [corpus…]
#
# Corpora (default: all five):
#   tiny       one member, one year (17 small files): what a run costs
#              before its rows (opening the warehouse, the queries, the
#              outputs), which every corpus's cold run includes; its raw
#              parse is a few milliseconds, so it has no ratio
#   3000       3,000 members x 3 years (generated, seed 1)
#   30000      30,000 members x 3 years
#   group      one 200,000-row group workbook (6 columns) beside a minimal tree
#   group-bad  the same workbook with 营业收入 unreadable on every row: a
#              call-back list of 200,000 problems
#
# For each corpus, `rounds` rounds (default 5) each run, in this order:
#   raw        examples/raw_parse: calamine reading every cell once (the floor)
#   cold       `run` on a fresh warehouse (outputs removed first), the
#              readers in worker processes (the default)
#   in-process the same with `--in-process` (readers on threads of the run)
#   no-change  `run` again with nothing changed
#   one-file   `run` after one company workbook changed (3000 and 30000 only)
#   sha256sum  `sha256sum` of every input file, one process (what hashing
#              the tree costs; the member corpora only)
#   touched    `run` after every input file was touched (a copy, a restore
#              or an rsync without -t): nothing changed, every file hashed
# so the commands alternate and share the machine's state. Each is timed by
# /usr/bin/time (wall, user+sys CPU, peak RSS); the table shows medians,
# the ratio to the raw parse of the same round set, the cold run's ratio
# to the in-process one, and the peak of every process of the run (the
# run's own and its readers', see bench/lib.sh), and the median time the
# run spent rendering the materials (every corpus has the generator's
# demo template).
#
# Everything lives under $BENCH_DIR (default: bench-data in the cargo
# target dir), never in the repository. Generating the 30,000-member corpus
# takes about a minute and 600 MB of disk.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/chamberstat-target}"
rounds="${1:-5}"
shift || true
corpora=("$@")
[ ${#corpora[@]} -gt 0 ] || corpora=(tiny 3000 30000 group group-bad)
base="${BENCH_DIR:-$CARGO_TARGET_DIR/bench-data}"
# BENCH_BIN / BENCH_RAW: measure copies of the binaries instead (so the
# tree can be built again while a long bench runs).
if [ -z "${BENCH_BIN:-}" ]; then
  cargo build --release --quiet --bin chamberstat --example raw_parse
fi
bin="${BENCH_BIN:-$CARGO_TARGET_DIR/release/chamberstat}"
raw="${BENCH_RAW:-$CARGO_TARGET_DIR/release/examples/raw_parse}"
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 2; }

source bench/lib.sh  # (the scripts run from the repository root)

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
printf '| corpus | files | command | wall s (median of %s) | CPU s | peak RSS MiB (largest process) | peak MiB (all processes) | x raw parse | cold: workers / in-process; touched: / sha256sum | materials ms |\n' "$rounds"
printf '|---|---|---|---|---|---|---|---|---|---|\n'
for name in "${corpora[@]}"; do
  prepare "$name"
  dir="$base/$name"
  files=$(find "$dir/inputs" -type f \( -name '*.xls*' -o -name '*.ods' \) | wc -l)
  results="$tmp/$name.txt"; : > "$results"
  cs=("$bin" --log-format json --inputs "$dir/inputs" --outputs "$dir/outputs" --db "$dir/outputs/warehouse.duckdb")
  one=$(find "$dir/inputs/2024/companies" -name '0*.xlsx' | LC_ALL=C sort | sed -n 1p)
  for _ in $(seq "$rounds"); do
    measure raw "$raw" "$dir/inputs"
    rm -rf "$dir/outputs"
    measure in-process "${cs[@]}" --in-process run
    rm -rf "$dir/outputs"
    measure cold "${cs[@]}" run
    measure no-change "${cs[@]}" run
    if [[ "$name" != group* ]] && [ -n "$one" ]; then
      # -p keeps the file's time, so the restored file is as old as before
      # and the next round's runs trust its stat (a file modified in the
      # last 2 s is hashed again and leaves no up-to-date record).
      cp -p "$one" "$tmp/one.orig"; printf x >> "$one"
      measure one-file "${cs[@]}" run
      cp -p "$tmp/one.orig" "$one"
      # Settle the restored file, so that the touched run finds nothing changed.
      "${cs[@]}" -q run > /dev/null 2>&1
      measure sha256sum bash -c "find '$dir/inputs' -type f -print0 | xargs -0 sha256sum"
      # Older than 2 s, so their times are trusted (a file modified in the
      # last 2 s is hashed again by the next run too).
      find "$dir/inputs" -type f -exec touch -d '-10 seconds' {} +
      measure touched "${cs[@]}" run
    fi
  done
  raw_wall=$(awk '$1=="raw"{print $2}' "$results" | median)
  inproc_wall=$(awk '$1=="in-process"{print $2}' "$results" | median)
  sha_wall=$(awk '$1=="sha256sum"{print $2}' "$results" | median)
  for label in raw in-process cold no-change one-file sha256sum touched; do
    grep -q "^$label " "$results" || continue
    wall=$(awk -v l="$label" '$1==l{print $2}' "$results" | median)
    cpu=$(awk -v l="$label" '$1==l{print $3}' "$results" | median)
    rss=$(awk -v l="$label" '$1==l{print $4/1024}' "$results" | median)
    all=$(awk -v l="$label" '$1==l{print $5/1024}' "$results" | median)
    ratio=$(echo "$raw_wall" | awk -v w="$wall" '$1 >= 0.05 {printf "%.2f", w / $1; next} {print "–"}')
    vs="–"
    [ "$label" = cold ] && vs=$(echo "$inproc_wall" | awk -v w="$wall" '$1 > 0 {printf "%.2f", w / $1; next} {print "–"}')
    # A touched tree against hashing it.
    [ "$label" = touched ] && vs="$(echo "$sha_wall" | awk -v w="$wall" '$1 > 0 {printf "%.2f", w / $1; next} {print "–"}') × sha256sum"
    mat="–"
    vals=$(awk -v l="$label" '$1==l && $6!="-"{print $6}' "$results")
    [ -n "$vals" ] && mat=$(echo "$vals" | median | awk '{printf "%.1f", $1}')
    printf '| %s | %s | %s | %.2f | %.2f | %.0f | %.0f | %s | %s | %s |\n' "$name" "$files" "$label" "$wall" "$cpu" "$rss" "$all" "$ratio" "$vs" "$mat"
  done
done
