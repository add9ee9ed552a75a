#!/usr/bin/env bash
# spark/run.sh DIR YEAR[,YEAR…] OUT — the headline figures from a staging
# folder (`chamberstat stage --out DIR`) on Spark, in local mode by default.
# SPARK_MASTER overrides the master (e.g. yarn, k8s://…); see spark/README.md.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
[ $# -eq 3 ] || { echo "usage: spark/run.sh DIR YEAR[,YEAR...] OUT" >&2; exit 2; }
bash "$here/setup.sh"
venv="${CHAMBERSTAT_SPARK_VENV:-$HOME/.cache/chamberstat-spark/venv}"
export PYSPARK_PYTHON="$venv/bin/python"
master="${SPARK_MASTER:-local[2]}"
# Local mode talks to itself only.
case "$master" in local*) export SPARK_LOCAL_IP="${SPARK_LOCAL_IP:-127.0.0.1}" ;; esac
exec "$venv/bin/spark-submit" --master "$master" \
  --driver-java-options "-Dlog4j.configurationFile=file:$here/log4j2.properties" \
  --conf spark.driver.memory="${SPARK_DRIVER_MEMORY:-1g}" \
  "$here/job.py" "$1" "$2" "$3" "$here/../queries"
