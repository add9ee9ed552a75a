//! Load: the embedded DuckDB warehouse.
//!
//! Every accepted value is stored once, typed in its sheet's table
//! (`company_reports`, `financing`, …) with its compact lineage (column,
//! raw text where it differs, unit code); the view `source_cells` spells
//! that out as file, sheet, A1 cell, raw text, unit and normalised value
//! (`schema`). `plan` decides which files need parsing; `sink` appends
//! what the readers send. Every rejected, skipped or noted piece of input
//! goes to `problems`. Every row carries the path of its input file, so a
//! changed or removed file's rows are replaced as a unit. All changes of a
//! run are one transaction: the warehouse is always either the previous
//! run's or this run's, and two runs on the same inputs leave identical
//! content.

mod memory;
mod plan;
mod schema;
mod sink;

pub use memory::release_cache;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use duckdb::Connection;

use plan::{plan, Plan};
use schema::{ensure_schema, per_file_tables};
use serde::{Deserialize, Serialize};
use sink::Sink;

use crate::ingest::{self, Discovery, Event, FileSummary, IngestReport, Reading};

/// The load stage's report.
#[derive(Debug, Default, Clone, Serialize)]
pub struct LoadReport {
    /// Files parsed this run (new or changed since the last run).
    pub files_parsed: usize,
    /// Files whose rows were kept from the last run (same content).
    pub files_reused: usize,
    /// Files gone since the last run, and changed files, whose rows were dropped.
    pub files_dropped: usize,
    pub rows_loaded: u64,
    pub cells_loaded: u64,
    pub problems_recorded: u64,
}

/// What the warehouse holds after a load, however it got there: the
/// numbers of the run's summary line.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct Totals {
    pub files_read: i64,
    pub files_rejected: i64,
    pub files_skipped: i64,
    pub rows_accepted: i64,
    pub rows_rejected: i64,
}

pub fn totals(conn: &Connection) -> Result<Totals> {
    Ok(conn.query_row(
        "SELECT (SELECT count(*) FROM input_files),
                (SELECT count(*) FROM input_files WHERE NOT accepted),
                (SELECT count(*) FROM problems WHERE level = 'skipped'),
                (SELECT coalesce(sum(accepted_rows), 0) FROM sheets),
                (SELECT coalesce(sum(CASE WHEN rejected THEN data_rows ELSE rejected_rows END), 0) FROM sheets)",
        [],
        |r| {
            Ok(Totals {
                files_read: r.get(0)?,
                files_rejected: r.get(1)?,
                files_skipped: r.get(2)?,
                rows_accepted: r.get::<_, i64>(3)?,
                rows_rejected: r.get::<_, i64>(4)?,
            })
        },
    )?)
}

/// Rows per row group of the warehouse's tables. DuckDB holds the rows a
/// transaction appends in memory until a row group is full and then writes
/// it to the file, so this bounds what one large file's rows cost before
/// the commit: at DuckDB's default of 122,880, one 200,000-row workbook held
/// ~90 MB. (`ROW_GROUP_SIZE` is an option of the attachment, not of the
/// file: an older warehouse opens the same way.)
const ROW_GROUP_ROWS: u32 = 16_384;

/// A warehouse file that DuckDB cannot open as a warehouse: truncated by a
/// full disk, restored from a bad backup, not a DuckDB file at all.
/// Everything in it is derived from the inputs, so `run` sets it aside
/// and builds it again; the read-only commands say so.
#[derive(Debug, thiserror::Error)]
#[error(
    "the warehouse {} cannot be opened (damaged, truncated or not a DuckDB file): {cause}",
    path.display()
)]
pub struct Damaged {
    pub path: PathBuf,
    pub cause: String,
}

/// Open (or create) the warehouse file and bring its schema up to date.
/// DuckDB keeps at most `memory_limit` (e.g. `512MB`) of its own buffers in
/// memory and spills the rest to `<warehouse>.tmp/`, so a large corpus
/// costs disk, not RAM. A file that exists but will not open as a
/// warehouse is a [`Damaged`] error.
pub fn open(db: &Path, memory_limit: &str) -> Result<Connection> {
    if let Some(dir) = db.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the folder for the warehouse {}", db.display()))?;
    }
    // The file is attached to an in-memory instance, because the row group
    // size is an option of ATTACH; USE makes it every statement's default.
    let conn = start(memory_limit, &beside(db, ".tmp"))?;
    let attached = conn
        .execute_batch(&format!(
            "ATTACH {} AS warehouse (ROW_GROUP_SIZE {ROW_GROUP_ROWS}); USE warehouse;",
            sql_string(&db.to_string_lossy())
        ))
        .map_err(anyhow::Error::from)
        .and_then(|()| ensure_schema(&conn));
    match attached {
        Ok(()) => Ok(conn),
        Err(e) => Err(damaged_or(db, e)),
    }
}

/// An error opening an existing warehouse file: [`Damaged`], unless it is
/// another process's lock on a sound file (an `explain` while `run`
/// starts), which is no reason to set the file aside.
fn damaged_or(db: &Path, e: anyhow::Error) -> anyhow::Error {
    let cause = format!("{e:#}");
    let locked = cause.contains("Could not set lock") || cause.contains("Conflicting lock");
    if db.exists() && !locked {
        Damaged {
            path: db.to_path_buf(),
            cause,
        }
        .into()
    } else {
        e.context(format!("cannot open the warehouse {}", db.display()))
    }
}

/// Move a damaged warehouse (and its write-ahead log) to
/// `<warehouse>.damaged-<UTC time>`, kept for inspection; the new name.
pub fn set_aside(db: &Path) -> Result<PathBuf> {
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
    let aside = beside(db, &format!(".damaged-{stamp}"));
    std::fs::rename(db, &aside).with_context(|| {
        format!(
            "cannot move the damaged warehouse {} aside to {}",
            db.display(),
            aside.display()
        )
    })?;
    let wal = beside(db, ".wal");
    if wal.exists() {
        std::fs::rename(&wal, beside(&aside, ".wal"))
            .with_context(|| format!("cannot move {} aside", wal.display()))?;
    }
    Ok(aside)
}

/// Open the warehouse for a run: a damaged one is set aside (kept beside
/// it for inspection) and a new one built from the inputs.
pub fn open_or_rebuild(db: &Path, memory_limit: &str) -> Result<Connection> {
    match open(db, memory_limit) {
        Err(e) if e.is::<Damaged>() => {
            let aside = set_aside(db)?;
            tracing::warn!(
                warehouse = %db.display(),
                kept_as = %aside.display(),
                error = %format!("{e:#}"),
                "the warehouse cannot be opened; it is kept as {} and rebuilt from the inputs",
                aside.display()
            );
            open(db, memory_limit)
        }
        other => other,
    }
}

/// A setting or path as an SQL string literal: settings are values, not
/// input data, and DuckDB's SET and ATTACH take no parameters.
fn sql_string(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// A file or folder beside the warehouse: its name with `suffix` added
/// (`.lock`, `.tmp`, `.wal`, …).
pub fn beside(db: &Path, suffix: &str) -> PathBuf {
    let mut name = db.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(suffix);
    db.with_file_name(name)
}

/// Open an existing warehouse read-only (explain, status, check): an
/// error that says to run first when there is none.
pub fn open_read_only(db: &Path) -> Result<Connection> {
    if !db.exists() {
        anyhow::bail!("no warehouse at {}: run `chamberstat run` first", db.display());
    }
    let config = duckdb::Config::default().access_mode(duckdb::AccessMode::ReadOnly)?;
    let opened = Connection::open_with_flags(db, config)
        .map_err(anyhow::Error::from)
        .and_then(|conn| {
            // A file that opens can still fail at its first read.
            conn.query_row("SELECT count(*) FROM input_files", [], |r| r.get::<_, i64>(0))?;
            Ok(conn)
        });
    opened.map_err(|e| match damaged_or(db, e) {
        e if e.is::<Damaged>() => e.context(format!(
            "run `chamberstat run`: it keeps this file as {}.damaged-<time> and rebuilds the warehouse from the inputs",
            db.display()
        )),
        e => e,
    })
}

/// Why the warehouse cannot be opened, if it cannot (for commands that do
/// not need it, to say so).
pub fn health(db: &Path) -> Option<anyhow::Error> {
    db.exists().then(|| open_read_only(db).err()).flatten()
}

/// A throw-away warehouse (for `verify` and tests), spilling to a private
/// folder under the system's temporary directory.
pub fn open_in_memory(memory_limit: &str) -> Result<Connection> {
    let temp = std::env::temp_dir().join(format!("chamberstat-{}.tmp", std::process::id()));
    let conn = start(memory_limit, &temp)?;
    ensure_schema(&conn)?;
    Ok(conn)
}

/// An in-memory DuckDB that keeps within `memory_limit` and spills to `temp`.
fn start(memory_limit: &str, temp: &Path) -> Result<Connection> {
    let conn = Connection::open_in_memory().context("cannot start DuckDB")?;
    limit_memory(&conn, memory_limit, temp)?;
    Ok(conn)
}

fn limit_memory(conn: &Connection, memory_limit: &str, temp: &Path) -> Result<()> {
    memory::set_limit(conn, memory_limit)?;
    conn.execute_batch(&format!(
        "SET temp_directory = {};",
        sql_string(&temp.to_string_lossy())
    ))
    .with_context(|| format!("cannot spill the warehouse to {}", temp.display()))
}

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
    full: bool,
    reading: &Reading,
    memory_limit: Option<&str>,
    on_file: &mut dyn FnMut(&FileSummary),
) -> Result<(IngestReport, LoadReport)> {
    let capped = memory_limit.and_then(|l| memory::load_cap(l, discovery.files.len()).map(|cap| (l, cap)));
    if let Some((_, cap)) = &capped {
        memory::set_limit(conn, cap)?;
    }
    let loaded = load_rows(conn, discovery, full, reading, on_file);
    if let Some((limit, _)) = capped {
        memory::set_limit(conn, limit)?;
    }
    loaded
}

fn load_rows(
    conn: &mut Connection,
    discovery: &Discovery,
    full: bool,
    reading: &Reading,
    on_file: &mut dyn FnMut(&FileSummary),
) -> Result<(IngestReport, LoadReport)> {
    let mut report = LoadReport::default();
    let Plan {
        parse: to_parse,
        kept,
        restat,
        stale,
    } = {
        let _s = tracing::debug_span!("plan").entered();
        plan(conn, discovery, full)?
    };
    report.files_reused = kept.len();
    report.files_dropped = stale.len();
    report.files_parsed = to_parse.len();

    let tx = conn
        .transaction()
        .context("cannot start a warehouse transaction")?;
    if full {
        for t in per_file_tables() {
            tx.execute_batch(&format!("DELETE FROM {t};"))?;
        }
    } else {
        tx.execute_batch("CREATE OR REPLACE TEMP TABLE stale_paths (path VARCHAR PRIMARY KEY);")?;
        {
            let mut app = tx.appender("stale_paths")?;
            for p in &stale {
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
        restat_files(&tx, &restat)?;
    }
    // metric_values stays as the last aggregation wrote it: a run with
    // nothing new does not recompute, and the warehouse keeps its figures.
    tx.execute_batch("DELETE FROM years;")?;
    let ingest_report;
    {
        let mut sink = Sink::new(&tx)?;
        for year in &discovery.years {
            sink.years.append_row([*year])?;
        }
        sink.append_problems(&discovery.skipped)?;
        report.problems_recorded += discovery.skipped.len() as u64;
        let files = to_parse;
        let mut busy = std::time::Duration::ZERO;
        // While rows stream in, DuckDB's work is the appenders' flushes.
        // With its worker threads each flush is a task handed to them,
        // which wakes them to compete with the readers for the cores; with
        // one thread it runs on the loader's. The commit and checkpoint
        // below get every thread back.
        tx.execute_batch("SET threads = 1;")?;
        let streamed = ingest::ingest(&files, reading, |event| {
            let started = std::time::Instant::now();
            let r = match event {
                Event::Batch(batch) => {
                    match batch.table {
                        ingest::Table::Problems => report.problems_recorded += batch.rows.num_rows() as u64,
                        ingest::Table::Sheet(_) => {
                            report.rows_loaded += batch.rows.num_rows() as u64;
                            report.cells_loaded += ingest::batch::cells_in(&batch);
                        }
                    }
                    sink.append_batch(batch)
                }
                Event::Withdraw { file, sheet } => sink.withdraw(&tx, &files[file].rel, sheet.as_deref()),
                Event::Void { files: void } => {
                    let paths: Vec<&str> = void.iter().map(|f| files[*f].rel.as_str()).collect();
                    sink.void(&tx, &paths, &mut report)
                }
                Event::Done { summary, .. } => {
                    on_file(&summary);
                    sink.append_file(&summary)
                }
                Event::Failed { file, message } => Err(anyhow::anyhow!(
                    "cannot load {}: {message}",
                    files.get(file).map_or("a file", |f| f.rel.as_str())
                )),
            };
            busy += started.elapsed();
            r
        });
        tx.execute_batch("RESET threads;")?;
        ingest_report = streamed?;
        tracing::debug!(loader_busy_ms = busy.as_millis() as u64, "appended");
        sink.flush()?;
    }
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
        let conn = open_in_memory("256MB").unwrap();
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
    fn the_load_gives_duckdbs_threads_back() {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = open(&dir.path().join("w.duckdb"), "512MB").unwrap();
        let threads = |c: &Connection| -> i64 {
            c.query_row("SELECT current_setting('threads')::BIGINT", [], |r| r.get(0))
                .unwrap()
        };
        let before = threads(&conn);
        let discovery = Discovery::default();
        load(
            &mut conn,
            &discovery,
            true,
            &Reading::default(),
            Some("512MB"),
            &mut |_| {},
        )
        .unwrap();
        assert_eq!(threads(&conn), before);
    }
}
