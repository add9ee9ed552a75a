#!/usr/bin/env bash
# Benchmark of the nightly run on the 3,000-member × 3-year generated corpus:
# cold run, a run with no changed input, and a run with one changed file,
# next to the raw calamine parse time of the same corpus (the yardstick).
#
#   bash bench/nightly.sh [members] [runs]
#
# Uses hyperfine when installed (apt-get install hyperfine), else a plain
# loop with `date`. Everything lives under $BENCH_DIR (default: a folder in
# the cargo target dir), never in the repository.
set -euo pipefail
# --toggle FILE: flip FILE between its original content and a copy with one
# extra byte, so every timed run sees exactly one changed input.
if [ "${1:-}" = "--toggle" ]; then
  f="$2"; keep="${f%/inputs/*}/one.orig"
  if [ -f "$keep" ]; then mv "$keep" "$f"; else cp "$f" "$keep"; printf x >> "$f"; fi
  exit 0
fi
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/chamberstat-target}"
members="${1:-3000}"
runs="${2:-5}"
dir="${BENCH_DIR:-$CARGO_TARGET_DIR/bench-$members}"
cargo build --release --quiet --bins --examples
bin="$CARGO_TARGET_DIR/release/chamberstat"
raw="$CARGO_TARGET_DIR/release/examples/raw_parse"
if [ ! -f "$dir/inputs/generate.json" ]; then
  rm -rf "$dir"
  mkdir -p "$dir"
  echo "== generate $members members x 3 years"
  /usr/bin/time -v "$bin" -q generate --out "$dir/inputs" --members "$members" --seed 1 2> "$dir/generate.time"
  grep -E "Elapsed|Maximum resident" "$dir/generate.time"
fi
cs() { "$bin" -q --inputs "$dir/inputs" --outputs "$dir/outputs" --db "$dir/outputs/warehouse.duckdb" "$@"; }
companies=("$dir"/inputs/2024/companies/0*.xlsx)
one_file="${companies[0]}"
touch_one() { cp "$one_file" "$dir/one.bak"; printf 'x' >> "$one_file"; }
restore_one() { cp "$dir/one.bak" "$one_file"; }

if command -v hyperfine >/dev/null; then
  hyperfine --runs "$runs" --export-markdown "$dir/results.md" \
    --command-name "raw calamine parse (examples/raw_parse)" "$raw $dir/inputs" \
    --command-name "check (parse + normalise, no warehouse)" "$bin -q check $dir/inputs --format json > /dev/null || true" \
    --command-name "cold run (--full)" "$bin -q --inputs $dir/inputs --outputs $dir/outputs --db $dir/outputs/warehouse.duckdb run --full" \
    --command-name "no-change run" "$bin -q --inputs $dir/inputs --outputs $dir/outputs --db $dir/outputs/warehouse.duckdb run"
  hyperfine --runs "$runs" --export-markdown "$dir/results-one.md" \
    --prepare "bash $0 --toggle $one_file" \
    --command-name "one-file-changed run" "$bin -q --inputs $dir/inputs --outputs $dir/outputs --db $dir/outputs/warehouse.duckdb run"
  if [ -f "$dir/one.orig" ]; then mv "$dir/one.orig" "$one_file"; fi
  cat "$dir/results.md" "$dir/results-one.md"
else
  t() { local s e; s=$(date +%s.%N); "$@" > /dev/null || true; e=$(date +%s.%N); echo "$e - $s" | bc; }
  echo "raw calamine parse: $(t "$raw" "$dir/inputs") s"
  echo "check (parse only): $(t "$bin" -q check "$dir/inputs" --format json) s"
  echo "cold run:           $(t cs run --full) s"
  for i in $(seq "$runs"); do echo "no-change run:      $(t cs run) s"; done
  touch_one; echo "one-file-changed:   $(t cs run) s"; restore_one; cs run
fi
