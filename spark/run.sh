#!/usr/bin/env bash
# The headline figures on Spark, in local mode by default; SPARK_MASTER
# overrides the master (e.g. yarn, k8s://…); see spark/README.md.
#
#   spark/run.sh --inputs DIR --year Y[,Y…] [--partitions N] OUT
#       the whole night as one job: Spark schedules the parse (the
#       chamberstat binary run on each partition's files), then the query
#       files; the binary is $CHAMBERSTAT_BIN, else `chamberstat` on PATH,
#       else the release build under $CARGO_TARGET_DIR
#   spark/run.sh STAGED YEAR[,YEAR…] OUT
#       from a folder `chamberstat stage` wrote (hand-run shards)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
usage() {
  echo "usage: spark/run.sh --inputs DIR --year Y[,Y...] [--partitions N] OUT" >&2
  echo "       spark/run.sh STAGED YEAR[,YEAR...] OUT" >&2
  exit 2
}
inputs="" years="" partitions="" args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --inputs) inputs="${2:?}"; shift 2 ;;
    --year) years="${2:?}"; shift 2 ;;
    --partitions) partitions="${2:?}"; shift 2 ;;
    --*) usage ;;
    *) args+=("$1"); shift ;;
  esac
done
bash "$here/setup.sh"
venv="${CHAMBERSTAT_SPARK_VENV:-$HOME/.cache/chamberstat-spark/venv}"
export PYSPARK_PYTHON="$venv/bin/python"
# Local mode retries a failed task only when asked: local[threads,attempts].
master="${SPARK_MASTER:-local[2,3]}"
# Local mode talks to itself only.
case "$master" in local*) export SPARK_LOCAL_IP="${SPARK_LOCAL_IP:-127.0.0.1}" ;; esac
submit=("$venv/bin/spark-submit" --master "$master"
  --driver-java-options "-Dlog4j.configurationFile=file:$here/log4j2.properties"
  --conf spark.driver.memory="${SPARK_DRIVER_MEMORY:-1g}")
if [ -n "$inputs" ]; then
  [ -n "$years" ] && [ ${#args[@]} -eq 1 ] || usage
  bin="${CHAMBERSTAT_BIN:-$(command -v chamberstat || true)}"
  if [ -z "$bin" ]; then
    bin="${CARGO_TARGET_DIR:-$HOME/.cache/chamberstat-target}/release/chamberstat"
  fi
  [ -x "$bin" ] || { echo "spark/run.sh: no chamberstat binary ($bin); set CHAMBERSTAT_BIN" >&2; exit 2; }
  inputs="$(cd "$inputs" && pwd)"
  out="${args[0]}"
  rm -f "$out/_staged/failed.txt"
  rc=0
  "${submit[@]}" "$here/ingest.py" --binary "$bin" --inputs "$inputs" --years "$years" \
    ${partitions:+--partitions "$partitions"} --out "$out" --queries "$here/../queries" || rc=$?
  # The driver's account of a failed parse (spark-submit can cut its end).
  if [ "$rc" -ne 0 ] && [ -f "$out/_staged/failed.txt" ]; then
    cat "$out/_staged/failed.txt" >&2
  fi
  exit "$rc"
fi
[ ${#args[@]} -eq 3 ] || usage
exec "${submit[@]}" "$here/job.py" "${args[0]}" "${args[1]}" "${args[2]}" "$here/../queries"
