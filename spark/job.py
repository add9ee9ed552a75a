"""chamberstat on Spark: the figures of headline.csv from staged Parquet.

Reads the tables `chamberstat stage` wrote under DIR (Hive-style
`<table>/year=<Y>/part-K-of-N.parquet`), runs the SAME `queries/*.sql` files
the DuckDB warehouse runs, translated mechanically from the DuckDB dialect
to Spark SQL by sqlglot, statement by statement, and writes headline.csv by
the output contract (`DIR/_contract/metrics.json`, written by the binary:
ids, units and kinds in contract order).

How statements map:
  CREATE [OR REPLACE] VIEW v AS q    -> temp view v over q
  CREATE [OR REPLACE] TABLE t AS q   -> temp view t over q, cached
  INSERT INTO metric_values q        -> q's rows collected as figures
Files are run in name order up to and including the last one that inserts
into metric_values: the files after it (lineage, anomalies, breakdowns,
call-back and chase lists) feed the DuckDB emitter only. queries/README.md
states what may be written in the files Spark runs.

Usage: spark-submit job.py DIR YEARS OUT [QUERIES]
  YEARS: one year (writes OUT/headline.csv) or a comma list (writes
  OUT/<year>/headline.csv for each).
"""

import json
import os
import sys
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import sqlglot
from sqlglot import exp
from pyspark.sql import SparkSession


def register_tables(spark, staged: Path) -> None:
    """A temp view per staged table; a table no shard had rows for is read
    from its empty schema file."""
    for schema in sorted((staged / "_schema").glob("*.parquet")):
        table = schema.stem
        folder = staged / table
        if folder.is_dir() and any(folder.glob("*/*.parquet")):
            df = spark.read.option("basePath", str(folder)).parquet(str(folder))
            df = df.withColumn("year", df["year"].cast("int"))
        else:
            df = spark.read.parquet(str(schema))
        df.createOrReplaceTempView(table)
    years = spark.read.parquet(str(staged / "years")).distinct()
    years.createOrReplaceTempView("years")


def statements(sql: str):
    """The statements of one query file, parsed as DuckDB SQL."""
    return [s for s in sqlglot.parse(sql, read="duckdb") if s is not None]


def inserts_figures(stmt) -> bool:
    return isinstance(stmt, exp.Insert) and stmt.this.find(exp.Table).name == "metric_values"


def expand_star_except(stmt, spark):
    """`SELECT * EXCLUDE (c) FROM v` (DuckDB) has no Spark form: list v's
    columns, from the view Spark already knows, without c. Only a single
    table or view in FROM is expanded; anything else is refused."""
    for select in stmt.find_all(exp.Select):
        for star in [e for e in select.expressions if isinstance(e, exp.Star) and e.args.get("except_")]:
            source = select.args.get("from_") or select.args.get("from")
            table = source.this if source is not None else None
            if not isinstance(table, exp.Table) or select.args.get("joins"):
                raise SystemExit(f"* EXCLUDE needs a single table in FROM: {select.sql(dialect='duckdb')[:200]}")
            drop = {c.name for c in star.args["except_"]}
            columns = [exp.column(c) for c in spark.table(table.name).columns if c not in drop]
            select.set("expressions", [c for e in select.expressions for c in (columns if e is star else [e])])
    return stmt


def run_file(spark, name: str, sql: str, figures: list) -> None:
    for stmt in statements(sql):
        stmt = expand_star_except(stmt, spark)
        if isinstance(stmt, exp.Create) and stmt.kind in ("VIEW", "TABLE"):
            target = stmt.this.find(exp.Table).name
            query = stmt.expression.sql(dialect="spark")
            df = spark.sql(query)
            if stmt.kind == "TABLE":
                df = df.cache()
            df.createOrReplaceTempView(target)
        elif inserts_figures(stmt):
            query = stmt.expression.sql(dialect="spark")
            figures.extend(tuple(r) for r in spark.sql(query).collect())
        else:
            raise SystemExit(f"{name}: statement Spark cannot run: {stmt.sql(dialect='duckdb')[:200]}")


def figure_files(queries: Path):
    """The query files up to the last one that inserts into metric_values."""
    files = sorted(queries.glob("*.sql"))
    last = max(i for i, f in enumerate(files) if any(inserts_figures(s) for s in statements(f.read_text("utf-8"))))
    return files[: last + 1]


def fixed(value: Decimal, dp: int) -> str:
    """Half away from zero to dp decimals, exactly dp written; no -0."""
    q = value.quantize(Decimal(1).scaleb(-dp), rounding=ROUND_HALF_UP)
    if q == 0:
        q = abs(q)
    return f"{q:.{dp}f}"


def headline(contract: list, figures: list, year: int) -> str:
    found = {}
    for y, metric, value in figures:
        if y == year:
            if metric in found:
                raise SystemExit(f"query files wrote metric {metric} twice for {year}")
            found[metric] = Decimal(value)
    lines = ["metric,value,unit"]
    for m in contract:
        if m["kind"] == "percent":
            num = found.get(m["id"] + ":numerator", Decimal(0))
            den = found.get(m["id"] + ":denominator", Decimal(0))
            v = Decimal(0) if den == 0 else num * 100 / den
            text = fixed(v, 2)
        elif m["kind"] == "money":
            text = fixed(found.get(m["id"], Decimal(0)), 2)
        else:
            text = fixed(found.get(m["id"], Decimal(0)), 0)
        lines.append(f"{m['id']},{text},{m['unit']}")
    return "\n".join(lines) + "\n"


def write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".tmp-{path.name}")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def session():
    spark = (
        SparkSession.builder.appName("chamberstat")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.ansi.enabled", "false")
        .config("spark.ui.enabled", "false")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def write_headlines(spark, staged: Path, years: list, out: Path, queries: Path) -> None:
    """Run the query files over the staged tables (registered already) and
    write headline.csv for each year."""
    contract = json.loads((staged / "_contract" / "metrics.json").read_text("utf-8"))
    figures: list = []
    for f in figure_files(queries):
        run_file(spark, f.name, f.read_text("utf-8"), figures)
    for year in years:
        target = out / "headline.csv" if len(years) == 1 else out / str(year) / "headline.csv"
        write_atomic(target, headline(contract, figures, year))
        print(f"wrote {target}", file=sys.stderr)


def main(argv) -> None:
    if len(argv) not in (4, 5):
        raise SystemExit(__doc__)
    staged, years_arg, out = Path(argv[1]), argv[2], Path(argv[3])
    queries = Path(argv[4]) if len(argv) == 5 else Path(__file__).resolve().parent.parent / "queries"
    years = [int(y) for y in years_arg.split(",")]
    spark = session()
    register_tables(spark, staged)
    write_headlines(spark, staged, years, out, queries)
    spark.stop()


if __name__ == "__main__":
    main(sys.argv)
