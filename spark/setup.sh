#!/usr/bin/env bash
# Creates the Python environment the Spark job runs in: a virtual
# environment under ~/.cache with pinned pyspark and sqlglot, and checks
# that Java 17+ is there (installs Debian's openjdk-17-jre-headless when it
# is missing and we may). Idempotent: a ready environment is reused.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="${CHAMBERSTAT_SPARK_VENV:-$HOME/.cache/chamberstat-spark/venv}"
stamp="$venv/.requirements.sha256"
want="$(sha256sum "$here/requirements.txt" | cut -d' ' -f1)"

java_major() {
  command -v java >/dev/null 2>&1 || { echo 0; return; }
  java -version 2>&1 | awk -F'"' '/version/ {split($2, v, "."); print v[1]; exit}'
}
if [ "$(java_major)" -lt 17 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "spark/setup.sh: installing openjdk-17-jre-headless" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q openjdk-17-jre-headless >&2
  else
    echo "spark/setup.sh: Java 17 or later is required (apt-get install openjdk-17-jre-headless)" >&2
    exit 1
  fi
fi

if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi
echo "spark/setup.sh: creating $venv (pyspark, sqlglot; a few minutes the first time)" >&2
rm -rf "$venv"
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt" >&2
echo "$want" > "$stamp"
