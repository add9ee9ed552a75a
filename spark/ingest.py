"""chamberstat on Spark, the whole night as one job: Spark schedules the
parse too, so N machines need no hand-run shards.

1. The driver asks the binary for the files to read (`chamberstat stage
   --list`: the binary's own discovery rules; it also stages what discovery
   alone knows, the skipped entries and the year folders).
2. The files are spread over partitions; each partition runs the binary on
   its files with Spark's mechanism for external programs (`RDD.pipe`):
   `chamberstat stage --files-from - --part auto`, which writes Parquet
   named after the files it was given, so a retried task replaces its own
   output and nothing else. A task whose binary exits non-zero or is
   killed is Spark's to retry (`spark.task.maxFailures`; in local mode the
   second number of `local[N,F]`). A file the binary rejects is a problem
   row, as on one machine, not a task failure.
3. When a partition still fails after its retries the job fails, names the
   files that partition held, and writes no headline.csv.
4. Every file listed must be in the staged `input_files`, else the job
   fails naming the missing ones; then the same `queries/*.sql` run as in
   job.py and headline.csv is written.

Usage: spark-submit ingest.py --binary BIN --inputs DIR --years Y[,Y...]
           --out OUT [--partitions N] [--staged DIR] [--queries DIR]
"""

import argparse
import hashlib
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import job  # noqa: E402  (beside this file; shipped with --py-files on a cluster)

# What a failed parse leaves in the staging folder for run.sh to print.
FAILED = "failed.txt"

# Passed through to the tasks when set (the test of retries and failures).
TEST_VARS = ("CHAMBERSTAT_TEST_STAGE_FAIL", "CHAMBERSTAT_TEST_STAGE_FAIL_ONCE")


def list_files(binary: str, inputs: str, staged: Path) -> list:
    run = subprocess.run(
        [binary, "-q", "--inputs", inputs, "stage", "--out", str(staged), "--list"],
        capture_output=True,
        text=True,
    )
    if run.returncode != 0:
        raise SystemExit(f"chamberstat stage --list failed (exit {run.returncode}):\n{run.stderr}")
    return [line for line in run.stdout.splitlines() if line]


def partitions(files: list, n: int) -> list:
    """`files` in at most n contiguous, nearly equal, non-empty lists."""
    n = max(1, min(n, len(files)))
    size, extra = divmod(len(files), n)
    out, start = [], 0
    for i in range(n):
        end = start + size + (1 if i < extra else 0)
        out.append(files[start:end])
        start = end
    return [p for p in out if p]


def part_of(files: list) -> str:
    """The part the binary names a task's files after (`--part auto`)."""
    return hashlib.sha256("\n".join(files).encode("utf-8")).hexdigest()[:16]


def stage_on_spark(spark, binary: str, inputs: str, staged: Path, parts: list) -> None:
    command = " ".join(
        shlex.quote(a)
        for a in [binary, "-q", "--inputs", inputs, "stage", "--out", str(staged), "--files-from", "-", "--part", "auto"]
    )
    env = {k: os.environ[k] for k in TEST_VARS if k in os.environ}
    sc = spark.sparkContext
    # One element per partition (its list of files), flattened in place:
    # the driver knows exactly which files each partition holds.
    rdd = sc.parallelize(parts, len(parts)).flatMap(lambda files: files)
    try:
        rdd.pipe(command, env=env, checkCode=True).count()
    except Exception as e:  # Py4JJavaError: a partition failed every attempt
        report_failure(e, staged, parts)
        raise SystemExit(1)


def report_failure(error, staged: Path, parts: list) -> None:
    """Name the files of the partition Spark gave up on ("Task N in stage …
    failed K times": N is the partition) and count the partitions the
    aborted job left unfinished."""
    unfinished = [i for i, p in enumerate(parts) if not (staged / "_shards" / f"part-{part_of(p)}.json").exists()]
    found = re.search(r"Task (\d+) in stage \S+ failed (\d+) times", str(error))
    failed = [int(found.group(1))] if found and int(found.group(1)) < len(parts) else unfinished
    attempts = f" after {found.group(2)} attempts" if found else ""
    lines = [f"partition {i} failed{attempts}; its {len(parts[i])} files: " + ", ".join(parts[i]) for i in failed]
    others = [i for i in unfinished if i not in failed]
    if others:
        lines.append(f"partitions {others} did not finish when the job stopped")
    lines.append("no headline.csv was written")
    report = "\n".join(lines) + "\n"
    # spark-submit may exit before it has passed on the driver's last
    # words; run.sh prints this file after it.
    (staged / FAILED).write_text(report, encoding="utf-8")
    print(report, file=sys.stderr, flush=True)


def check_accounted(spark, files: list) -> None:
    staged = {r[0] for r in spark.table("input_files").select("path").collect()}
    missing = [f for f in files if f not in staged]
    if missing:
        raise SystemExit(
            f"{len(missing)} of the {len(files)} files discovered were not staged: " + ", ".join(missing[:50])
        )


def main(argv) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--binary", required=True)
    p.add_argument("--inputs", required=True)
    p.add_argument("--years", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--partitions", type=int, default=0)
    p.add_argument("--staged")
    p.add_argument("--queries", default=str(Path(__file__).resolve().parent.parent / "queries"))
    a = p.parse_args(argv[1:])
    out = Path(a.out).resolve()
    staged = Path(a.staged).resolve() if a.staged else out / "_staged"
    # The job's own scratch: a run starts from nothing.
    shutil.rmtree(staged, ignore_errors=True)
    staged.mkdir(parents=True)
    spark = job.session()
    files = list_files(a.binary, a.inputs, staged)
    n = a.partitions or spark.sparkContext.defaultParallelism
    parts = partitions(files, n)
    if parts:
        stage_on_spark(spark, a.binary, a.inputs, staged, parts)
    job.register_tables(spark, staged)
    check_accounted(spark, files)
    years = [int(y) for y in a.years.split(",")]
    job.write_headlines(spark, staged, years, out, Path(a.queries))
    print(f"staged {len(files)} files in {len(parts)} partitions under {staged}", file=sys.stderr)
    spark.stop()


if __name__ == "__main__":
    main(sys.argv)
