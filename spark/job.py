"""chamberstat on Spark: the figures of headline.csv from staged Parquet.

Reads the tables `chamberstat stage` wrote under DIR (Hive-style
`<table>/year=<Y>/part-K-of-N.parquet`), runs the SAME `queries/*.sql` files
the DuckDB warehouse runs, translated mechanically from the DuckDB dialect
to Spark SQL by sqlglot, statement by statement, and writes headline.csv
from the rows of the `headline_values` view (55_headline.sql), as the
binary does. The figures are rounded and the percentage made there: this
job computes nothing of its own. The output contract
(`DIR/_contract/metrics.json`, written by the binary: ids, units and kinds
in contract order) becomes the table `metric_contract` that view reads.

How statements map:
  CREATE [OR REPLACE] VIEW v AS q    -> temp view v over q
  CREATE [OR REPLACE] TABLE t AS q   -> temp view t over q, cached
  INSERT INTO metric_values q        -> q's rows added to the view metric_values
Files are run in name order up to and including the one that creates
headline_values: the files after it (lineage, anomalies, breakdowns,
call-back and chase lists) feed the DuckDB emitter only. queries/README.md
states what may be written in the files Spark runs.

Usage: spark-submit job.py DIR YEARS OUT [QUERIES]
  YEARS: one year (writes OUT/headline.csv) or a comma list (writes
  OUT/<year>/headline.csv for each).
"""

import json
import os
import sys
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


HEADLINE = "headline_values"


def inserts_figures(stmt) -> bool:
    return isinstance(stmt, exp.Insert) and stmt.this.find(exp.Table).name == "metric_values"


def creates_headline(stmt) -> bool:
    return isinstance(stmt, exp.Create) and stmt.this.find(exp.Table).name == HEADLINE


def register_contract(spark, staged: Path) -> None:
    """The output contract as the table metric_contract (position, metric,
    unit, kind), as the binary writes it into the warehouse."""
    contract = json.loads((staged / "_contract" / "metrics.json").read_text("utf-8"))
    rows = [(i + 1, m["id"], m["unit"], m["kind"]) for i, m in enumerate(contract)]
    schema = "position INT, metric STRING, unit STRING, kind STRING"
    spark.createDataFrame(rows, schema).createOrReplaceTempView("metric_contract")


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
    """Run one query file; the rows each INSERT INTO metric_values selects
    are appended to `figures` and the view metric_values is their union."""
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
            rows = spark.sql(query).toDF("year", "metric", "value")
            figures.append(rows.selectExpr("CAST(year AS INT) AS year", "metric", "CAST(value AS DECIMAL(38,6)) AS value"))
            union = figures[0]
            for more in figures[1:]:
                union = union.unionAll(more)
            union.createOrReplaceTempView("metric_values")
        else:
            raise SystemExit(f"{name}: statement Spark cannot run: {stmt.sql(dialect='duckdb')[:200]}")


def figure_files(queries: Path):
    """The query files up to the one that creates headline_values."""
    files = sorted(queries.glob("*.sql"))
    last = [i for i, f in enumerate(files) if any(creates_headline(s) for s in statements(f.read_text("utf-8")))]
    if not last:
        raise SystemExit(f"no query file in {queries} creates {HEADLINE}")
    return files[: last[0] + 1]


def headline(rows: list) -> str:
    """headline.csv from headline_values' rows of one year, as they are."""
    lines = ["metric,value,unit"] + [f"{metric},{value},{unit}" for metric, value, unit in rows]
    return "\n".join(lines) + "\n"


def refuse_twice(spark) -> None:
    """A metric the query files wrote twice for a year is an error, as in
    the binary, not two rows of headline.csv."""
    twice = spark.sql("SELECT year, metric FROM metric_values GROUP BY year, metric HAVING count(*) > 1").collect()
    if twice:
        raise SystemExit("query files wrote a metric twice: " + ", ".join(f"{r[1]} ({r[0]})" for r in twice))


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
    write headline.csv for each year from headline_values."""
    register_contract(spark, staged)
    figures: list = []
    for f in figure_files(queries):
        run_file(spark, f.name, f.read_text("utf-8"), figures)
    refuse_twice(spark)
    published = spark.sql(f"SELECT year, metric, value, unit FROM {HEADLINE} ORDER BY year, position").collect()
    for year in years:
        rows = [(r["metric"], r["value"], r["unit"]) for r in published if r["year"] == year]
        if not rows:
            raise SystemExit(f"{HEADLINE} has no rows for {year}: is it a year of the staged inputs?")
        target = out / "headline.csv" if len(years) == 1 else out / str(year) / "headline.csv"
        write_atomic(target, headline(rows))
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
