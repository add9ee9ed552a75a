//! Load: the embedded DuckDB warehouse.
//!
//! Every accepted value is stored once, typed in its sheet's table
//! (`company_reports`, `financing`, …) with its compact lineage (column,
//! raw text where it differs, unit code); the view `source_cells` spells
//! that out as file, sheet, A1 cell, raw text, unit and normalised value
//! (`schema`). It carries out a [`Plan`] of which files to parse; `sink` appends
//! what the readers send. Every rejected, skipped or noted piece of input
//! goes to `problems`. Every row carries the path of its input file, so a
//! changed or removed file's rows are replaced as a unit. All changes of a
//! run are one transaction: the warehouse is always either the previous
//! run's or this run's, and two runs on the same inputs leave identical
//! content.

mod memory;
pub mod plan;
mod report;
mod schema;
mod sink;
mod warehouse;

pub use memory::{release_cache, MemoryLimit};
pub use report::{totals, LoadReport, Totals};
pub use warehouse::{health, open, open_in_memory, open_or_rebuild, open_read_only, set_aside, LoadError};

use anyhow::{Context, Result};
use duckdb::Connection;

pub use plan::Plan;
pub use schema::per_file_tables;
use sink::Sink;

use crate::ingest::{self, Discovery, Event, FileSummary, IngestReport, InputFile, Reading};

/// Ingest and load the discovered inputs in one transaction.
///
/// Incremental: a file unchanged since the last run (by its stat, else by
/// its content hash) keeps its rows; new and changed files are parsed in
/// parallel and their rows stream into DuckDB appenders in bounded batches;
/// rows of changed and removed files are dropped. The result is the same as
/// a cold load (`full`), which empties every table first. `on_file` sees
/// each parsed file (progress). `memory_limit` is the warehouse's limit
/// when it is a file: the load then keeps to a cap of its own
/// ([`memory::load_cap`]) and gives the limit back when it ends. (An
/// in-memory warehouse holds its rows in that memory and keeps its limit.)
pub fn load(
    conn: &mut Connection,
    discovery: &Discovery,
    plan: Plan<'_>,
    reading: &Reading,
    memory_limit: Option<MemoryLimit>,
    on_file: &mut dyn FnMut(&FileSummary),
) -> Result<(IngestReport, LoadReport)> {
    let capped = memory_limit.and_then(|l| memory::load_cap(l, discovery.files.len()).map(|cap| (l, cap)));
    if let Some((_, cap)) = &capped {
        memory::set_limit(conn, *cap)?;
    }
    let loaded = load_rows(conn, discovery, plan, reading, on_file);
    if let Some((limit, _)) = capped {
        memory::set_limit(conn, limit)?;
    }
    loaded
}

fn load_rows(
    conn: &mut Connection,
    discovery: &Discovery,
    plan: Plan<'_>,
    reading: &Reading,
    on_file: &mut dyn FnMut(&FileSummary),
) -> Result<(IngestReport, LoadReport)> {
    let mut report = LoadReport {
        files_reused: plan.kept,
        files_dropped: plan.stale.len(),
        files_parsed: plan.parse.len(),
        ..LoadReport::default()
    };
    let tx = conn
        .transaction()
        .context("cannot start a warehouse transaction")?;
    drop_replaced(&tx, &plan)?;
    // metric_values stays as the last aggregation wrote it: a run with
    // nothing new does not recompute, and the warehouse keeps its figures.
    tx.execute_batch("DELETE FROM years;")?;
    let ingest_report = {
        let mut sink = Sink::new(&tx)?;
        for year in &discovery.years {
            sink.years.append_row([*year])?;
        }
        sink.append_problems(&discovery.skipped)?;
        report.problems_recorded += discovery.skipped.len() as u64;
        // While rows stream in, DuckDB's work is the appenders' flushes.
        // With its worker threads each flush is a task handed to them,
        // which wakes them to compete with the readers for the cores; with
        // one thread it runs on the loader's. The commit and checkpoint
        // below get every thread back (the setting as it was).
        let threads: i64 = tx.query_row("SELECT current_setting('threads')::BIGINT", [], |r| r.get(0))?;
        tx.execute_batch("SET threads = 1;")?;
        let mut past_excel = std::collections::BTreeSet::new();
        let streamed = stream(
            &tx,
            &mut sink,
            &plan.parse,
            reading,
            on_file,
            &mut report,
            &mut past_excel,
        );
        tx.execute_batch(&format!("SET threads = {threads};"))?;
        let streamed = streamed?;
        sink.flush()?;
        schema::add_column_letters(&tx, &past_excel)?;
        streamed
    };
    let _commit = tracing::debug_span!("commit").entered();
    tx.commit().context("cannot commit the warehouse transaction")?;
    // Write the loaded rows to the warehouse file now rather than when the
    // connection closes: checkpointed blocks are DuckDB's to evict and
    // re-read, so the aggregation that follows works within memory_limit
    // instead of beside a copy of every row held in memory.
    conn.execute_batch("CHECKPOINT;")
        .context("cannot write the loaded rows to the warehouse file")?;
    Ok((ingest_report, report))
}

/// Empty every per-file table (a full load), or drop the rows of the
/// files that are gone or changed and record the new stat of unchanged ones.
fn drop_replaced(tx: &duckdb::Transaction<'_>, plan: &Plan<'_>) -> Result<()> {
    if plan.full {
        for t in per_file_tables() {
            tx.execute_batch(&format!("DELETE FROM {t};"))?;
        }
        return Ok(());
    }
    tx.execute_batch("CREATE OR REPLACE TEMP TABLE stale_paths (path VARCHAR PRIMARY KEY);")?;
    {
        let mut app = tx.appender("stale_paths")?;
        for p in &plan.stale {
            app.append_row([p.as_str()])?;
        }
        app.flush()?;
    }
    for t in per_file_tables() {
        tx.execute_batch(&format!(
            "DELETE FROM {t} WHERE path IN (SELECT path FROM stale_paths);"
        ))?;
    }
    // Skipped files are listed afresh every run.
    tx.execute_batch("DELETE FROM problems WHERE level = 'skipped'; DROP TABLE stale_paths;")?;
    restat_files(tx, &plan.restat)
}

/// Read `files` and append what the readers send as it arrives; note the
/// columns past Excel's grid that cells were read from (`past_excel`).
fn stream(
    tx: &duckdb::Transaction<'_>,
    sink: &mut Sink<'_>,
    files: &[&InputFile],
    reading: &Reading,
    on_file: &mut dyn FnMut(&FileSummary),
    report: &mut LoadReport,
    past_excel: &mut std::collections::BTreeSet<u32>,
) -> Result<IngestReport> {
    let mut busy = std::time::Duration::ZERO;
    let streamed = ingest::ingest(files, reading, |event| {
        let started = std::time::Instant::now();
        let r = match event {
            Event::Batch(batch) => {
                match batch.table {
                    ingest::Table::Problems => report.problems_recorded += batch.rows.num_rows() as u64,
                    ingest::Table::Sheet(_) => {
                        report.rows_loaded += batch.rows.num_rows() as u64;
                        report.cells_loaded += ingest::batch::cells_in(&batch);
                        ingest::batch::columns_past_excel(&batch, past_excel);
                    }
                }
                sink.append_batch(batch)
            }
            Event::Withdraw { file, sheet } => sink.withdraw(tx, &files[file].rel, sheet.as_deref()),
            Event::Void { files: void } => {
                let paths: Vec<&str> = void.iter().map(|f| files[*f].rel.as_str()).collect();
                sink.void(tx, &paths, report)
            }
            Event::Done { summary, .. } => {
                on_file(&summary);
                sink.append_file(&summary)
            }
            Event::Failed { file, message } => Err(LoadError::ReaderFailed {
                file: files.get(file).map_or("a file", |f| f.rel.as_str()).to_string(),
                message,
            }
            .into()),
        };
        busy += started.elapsed();
        r
    });
    tracing::debug!(loader_busy_ms = busy.as_millis() as u64, "appended");
    streamed
}

/// Record the new stat of files whose content did not change (touched,
/// copied back): all in one statement, from a temporary table, however
/// many there are (a restored tree touches every file).
fn restat_files(tx: &duckdb::Transaction<'_>, restat: &[(String, ingest::Stat)]) -> Result<()> {
    if restat.is_empty() {
        return Ok(());
    }
    tx.execute_batch(
        "CREATE OR REPLACE TEMP TABLE restat (path VARCHAR, bytes BIGINT, mtime_ns BIGINT, inode BIGINT);",
    )?;
    {
        let mut app = tx.appender("restat")?;
        for (path, st) in restat {
            app.append_row(duckdb::params![path, st.bytes, st.mtime_ns, st.inode])?;
        }
        app.flush()?;
    }
    tx.execute_batch(
        "UPDATE input_files SET bytes = r.bytes, mtime_ns = r.mtime_ns, inode = r.inode
         FROM restat r WHERE input_files.path = r.path;
         DROP TABLE restat;",
    )
    .context("cannot record the new stat of unchanged files")
}

#[cfg(test)]
mod tests {
    use super::schema::{display_sql, source_cells_ddl};
    use super::*;
    use crate::contract::schema::{Column, FieldType, SheetKind};
    use crate::ingest::batch::{scale_6, SqlCell};
    use crate::ingest::Value;
    use duckdb::types::{ToSqlOutput, ValueRef};
    use duckdb::ToSql;

    /// Rows go to DuckDB as Arrow batches; single values, for this test's
    /// one-column tables, through the appender's own parameters.
    impl ToSql for SqlCell<'_> {
        fn to_sql(&self) -> duckdb::Result<ToSqlOutput<'_>> {
            Ok(ToSqlOutput::Borrowed(match self {
                SqlCell::Null => ValueRef::Null,
                SqlCell::Text(s) => ValueRef::Text(s.as_bytes()),
                SqlCell::Int(i) => ValueRef::BigInt(*i),
                SqlCell::Bool(b) => ValueRef::Boolean(*b),
                SqlCell::Date(d) => ValueRef::Date32(*d),
                SqlCell::Decimal(d) => {
                    let payload = scale_6(d).map_err(|e| duckdb::Error::ToSqlConversionFailure(e.into()))?;
                    ValueRef::Decimal(duckdb::types::Decimal::new(38, 6, payload)?)
                }
            }))
        }
    }
    use crate::normalize::{Money, MoneyUnit, UnitSource};
    use rust_decimal::Decimal;

    fn money(s: &str) -> Value {
        Value::Money(Money {
            yuan: s.parse::<Decimal>().unwrap().normalize(),
            unit: MoneyUnit::Yuan,
            source: UnitSource::Default,
        })
    }

    /// The warehouse rebuilds each cell's normalised text in SQL; it must be
    /// the text the normaliser itself gives, for every type.
    #[test]
    fn sql_display_of_every_type_equals_the_normalisers_text() {
        let conn = Connection::open_in_memory().unwrap();
        let cases: Vec<(FieldType, &str, Value)> = vec![
            (
                FieldType::Money { signed: true },
                "DECIMAL(38,6)",
                money("150000000"),
            ),
            (
                FieldType::Money { signed: true },
                "DECIMAL(38,6)",
                money("1234.5"),
            ),
            (
                FieldType::Money { signed: true },
                "DECIMAL(38,6)",
                money("-0.000001"),
            ),
            (FieldType::Money { signed: true }, "DECIMAL(38,6)", money("0")),
            (
                FieldType::Money { signed: true },
                "DECIMAL(38,6)",
                money("12345678901234567890.123456"),
            ),
            (FieldType::Whole, "BIGINT", Value::Int(1_234_567)),
            (FieldType::YesNo, "BOOLEAN", Value::Bool(true)),
            (FieldType::YesNo, "BOOLEAN", Value::Bool(false)),
            (
                FieldType::Date,
                "DATE",
                Value::Date(chrono::NaiveDate::from_ymd_opt(2024, 3, 5).unwrap()),
            ),
            (FieldType::Text, "VARCHAR", Value::Text("  甲 公司 ".into())),
        ];
        for (ty, sql_type, value) in cases {
            conn.execute_batch(&format!("CREATE OR REPLACE TABLE t (v {sql_type});"))
                .unwrap();
            let mut app = conn.appender("t").unwrap();
            let v = Some(value.clone());
            app.append_row([SqlCell::of(&v)]).unwrap();
            app.flush().unwrap();
            drop(app);
            let column = Column {
                label: "x",
                field: "v",
                required: false,
                ty,
            };
            let shown: String = conn
                .query_row(&format!("SELECT {} FROM t", display_sql(&column, "v")), [], |r| {
                    r.get(0)
                })
                .unwrap();
            assert_eq!(shown, value.display(), "{sql_type}");
        }
    }

    #[test]
    fn source_cells_view_covers_every_contract_column() {
        let conn = open_in_memory(crate::load::MemoryLimit::Bytes(256_000_000)).unwrap();
        let n: i64 = conn
            .query_row("SELECT count(*) FROM source_cells", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 0);
        let ddl = source_cells_ddl();
        for kind in SheetKind::ALL {
            for c in kind.columns() {
                assert!(ddl.contains(&format!("'{}' AS field", c.field)), "{}", c.field);
            }
        }
    }

    /// The rows stream in with DuckDB on one thread; the load must give
    /// its threads back to the aggregation.
    #[test]
    fn source_cells_spells_columns_past_excel_as_the_readers_do() {
        let conn = open_in_memory(MemoryLimit::Unlimited).unwrap();
        schema::add_column_letters(&conn, &std::collections::BTreeSet::from([18_278, 20_000])).unwrap();
        conn.execute_batch(
            "INSERT INTO members (path, sheet, row_no, credit_code, col_credit_code) VALUES
             ('a.xlsx', '会员名册', 7, 'X', 18278), ('a.xlsx', '会员名册', 8, 'Y', 16383),
             ('a.xlsx', '会员名册', 9, 'Z', 0), ('a.xlsx', '会员名册', 10, 'W', 20000);",
        )
        .unwrap();
        let mut stmt = conn
            .prepare("SELECT cell FROM source_cells WHERE field = 'credit_code' ORDER BY row_no")
            .unwrap();
        let cells: Vec<String> = stmt
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(|c| c.unwrap())
            .collect();
        // ZZZ is column 18,277, the next AAAA; 20,000 is AAAA + 1,722 = AAAA + (0, 2, 14, 6) = ACOG.
        assert_eq!(cells, ["AAAA7", "XFD8", "A9", "ACOG10"]);
    }

    #[test]
    fn the_load_gives_duckdbs_threads_back() {
        let dir = tempfile::tempdir().unwrap();
        let limit = MemoryLimit::Bytes(512_000_000);
        let mut conn = open(&dir.path().join("w.duckdb"), limit).unwrap();
        let threads = |c: &Connection| -> i64 {
            c.query_row("SELECT current_setting('threads')::BIGINT", [], |r| r.get(0))
                .unwrap()
        };
        // A setting that is neither 1 (the load's own) nor the machine's
        // default, so the check holds on a machine of any size.
        conn.execute_batch("SET threads = 3;").unwrap();
        let discovery = Discovery::default();
        load(
            &mut conn,
            &discovery,
            Plan::everything(&discovery),
            &Reading::default(),
            Some(limit),
            &mut |_| {},
        )
        .unwrap();
        assert_eq!(threads(&conn), 3);
    }
}
