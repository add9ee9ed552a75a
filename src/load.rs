//! Load: the embedded DuckDB warehouse.
//!
//! Every accepted value is stored twice over: typed in the sheet's table
//! (`company_reports`, `financing`, …) for aggregation, and as a row of
//! `source_cells` (file, sheet, A1 cell, raw text, unit applied, normalised
//! value) for lineage. Every rejected, skipped or noted piece of input goes
//! to `problems`. Every row carries the path of its input file, so a changed
//! or removed file's rows are replaced as a unit. All changes of a run are
//! one transaction: the warehouse is always either the previous run's or
//! this run's, and two runs on the same inputs leave identical content.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use anyhow::{Context, Result};
use duckdb::{appender_params_from_iter, Appender, Connection, ToSql};
use serde::Serialize;

use crate::ingest::schema::SheetKind;
use rayon::prelude::*;

use crate::ingest::{self, Discovery, FileResult, IngestReport, InputFile, Value};

/// Bumped whenever a table's shape changes; an older warehouse is rebuilt.
const SCHEMA_VERSION: i32 = 2;

/// Tables that hold no input sheet's rows.
const FIXED_TABLES: &str = "
CREATE TABLE IF NOT EXISTS warehouse_meta (schema_version INTEGER);
CREATE TABLE IF NOT EXISTS input_files (
    path VARCHAR PRIMARY KEY, folder VARCHAR, year INTEGER, sha256 VARCHAR,
    bytes BIGINT, accepted BOOLEAN, data_rows BIGINT);
CREATE TABLE IF NOT EXISTS problems (
    path VARCHAR, year INTEGER, level VARCHAR, sheet VARCHAR, cell VARCHAR,
    raw VARCHAR, reason VARCHAR);
CREATE TABLE IF NOT EXISTS source_cells (
    path VARCHAR, sheet VARCHAR, row_no INTEGER, field VARCHAR, cell VARCHAR,
    raw VARCHAR, unit VARCHAR, value VARCHAR);
CREATE TABLE IF NOT EXISTS sheets (
    path VARCHAR, year INTEGER, sheet VARCHAR, kind_table VARCHAR, header_row INTEGER,
    data_rows BIGINT, accepted_rows BIGINT, rejected_rows BIGINT, rejected BOOLEAN);
CREATE TABLE IF NOT EXISTS years (year INTEGER PRIMARY KEY);
CREATE TABLE IF NOT EXISTS metric_values (year INTEGER, metric VARCHAR, value DECIMAL(38,6));
";

const FIXED_NAMES: [&str; 7] = [
    "warehouse_meta",
    "input_files",
    "sheets",
    "problems",
    "source_cells",
    "years",
    "metric_values",
];

/// The DDL of one sheet's table, derived from the static schema (never from
/// input data): provenance columns, then one column per contract column.
fn sheet_table_ddl(kind: SheetKind) -> String {
    let cols: Vec<String> = kind
        .columns()
        .iter()
        .map(|c| format!("{} {}", c.field, c.ty.sql_type()))
        .collect();
    format!(
        "CREATE TABLE IF NOT EXISTS {} (path VARCHAR, sheet VARCHAR, row_no INTEGER, year INTEGER, {});",
        kind.table(),
        cols.join(", ")
    )
}

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
#[derive(Debug, Default, Clone, Serialize)]
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

/// Open (or create) the warehouse file and bring its schema up to date.
pub fn open(db: &Path) -> Result<Connection> {
    if let Some(dir) = db.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the folder for the warehouse {}", db.display()))?;
    }
    let conn = Connection::open(db).with_context(|| format!("cannot open the warehouse {}", db.display()))?;
    ensure_schema(&conn)?;
    Ok(conn)
}

/// A throw-away warehouse (for `check`, `verify` and tests).
pub fn open_in_memory() -> Result<Connection> {
    let conn = Connection::open_in_memory().context("cannot open an in-memory warehouse")?;
    ensure_schema(&conn)?;
    Ok(conn)
}

fn ensure_schema(conn: &Connection) -> Result<()> {
    conn.execute_batch(FIXED_TABLES)
        .context("cannot create the warehouse tables")?;
    let version: Option<i32> = conn
        .query_row("SELECT max(schema_version) FROM warehouse_meta", [], |r| r.get(0))
        .context("cannot read the warehouse schema version")?;
    if version.is_some_and(|v| v != SCHEMA_VERSION) {
        tracing::warn!(
            found = version,
            expected = SCHEMA_VERSION,
            "warehouse schema changed; rebuilding it"
        );
        for kind in SheetKind::ALL {
            conn.execute_batch(&format!("DROP TABLE IF EXISTS {};", kind.table()))?;
        }
        for t in FIXED_NAMES {
            conn.execute_batch(&format!("DROP TABLE IF EXISTS {t} CASCADE;"))?;
        }
        conn.execute_batch(FIXED_TABLES)?;
    }
    for kind in SheetKind::ALL {
        conn.execute_batch(&sheet_table_ddl(kind))
            .with_context(|| format!("cannot create table {}", kind.table()))?;
    }
    if version != Some(SCHEMA_VERSION) {
        conn.execute("DELETE FROM warehouse_meta", [])?;
        conn.execute("INSERT INTO warehouse_meta VALUES (?)", [SCHEMA_VERSION])?;
    }
    Ok(())
}

/// Every table holding rows that came from one input file.
fn per_file_tables() -> Vec<&'static str> {
    let mut t: Vec<&str> = SheetKind::ALL.iter().map(|k| k.table()).collect();
    t.extend(["input_files", "sheets", "problems", "source_cells"]);
    t
}

/// Ingest and load the discovered inputs in one transaction.
///
/// Incremental: a file whose content hash equals the one recorded by the
/// last run keeps its rows; new and changed files are parsed (in parallel,
/// streaming into DuckDB appenders); rows of changed and removed files are
/// dropped. The result is the same as a cold load (`full`), which empties
/// every table first. `on_file` sees each parsed file (progress).
pub fn load(
    conn: &mut Connection,
    discovery: &Discovery,
    full: bool,
    on_file: &mut dyn FnMut(&FileResult),
) -> Result<(IngestReport, LoadReport)> {
    let mut report = LoadReport::default();
    let previous: HashMap<String, String> = if full {
        HashMap::new()
    } else {
        let mut stmt = conn.prepare("SELECT path, sha256 FROM input_files")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
        rows.collect::<duckdb::Result<_>>()?
    };
    // Hash what is there now (in parallel; unreadable files hash to "" and
    // are parsed, which reports why they cannot be read).
    let current: Vec<String> = discovery
        .files
        .par_iter()
        .map(|f| {
            std::fs::read(&f.abs)
                .map(|b| ingest::sha256_hex(&b))
                .unwrap_or_default()
        })
        .collect();
    let mut to_parse: Vec<InputFile> = Vec::new();
    let mut kept: HashSet<&str> = HashSet::new();
    for (file, sha) in discovery.files.iter().zip(&current) {
        if !sha.is_empty() && previous.get(&file.rel) == Some(sha) {
            kept.insert(file.rel.as_str());
        } else {
            to_parse.push(file.clone());
        }
    }
    let stale: Vec<&String> = previous.keys().filter(|p| !kept.contains(p.as_str())).collect();
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
    }
    tx.execute_batch("DELETE FROM years; DELETE FROM metric_values;")?;
    let ingest_report;
    {
        let mut sink = Sink::new(&tx)?;
        for year in &discovery.years {
            sink.years.append_row([*year])?;
        }
        for (year, problem) in &discovery.skipped {
            sink.append_problem(*year, problem)?;
            report.problems_recorded += 1;
        }
        ingest_report = ingest::ingest(&to_parse, |file| {
            on_file(&file);
            sink.append_file(&file, &mut report)
        })?;
        sink.flush()?;
    }
    tx.commit().context("cannot commit the warehouse transaction")?;
    Ok((ingest_report, report))
}

/// One appender per table, alive for the whole load.
struct Sink<'c> {
    files: Appender<'c>,
    sheet_summaries: Appender<'c>,
    problems: Appender<'c>,
    cells: Appender<'c>,
    years: Appender<'c>,
    sheets: Vec<(SheetKind, Appender<'c>)>,
}

impl<'c> Sink<'c> {
    fn new(conn: &'c Connection) -> Result<Self> {
        let mut sheets = Vec::new();
        for kind in SheetKind::ALL {
            sheets.push((kind, conn.appender(kind.table())?));
        }
        Ok(Sink {
            files: conn.appender("input_files")?,
            sheet_summaries: conn.appender("sheets")?,
            problems: conn.appender("problems")?,
            cells: conn.appender("source_cells")?,
            years: conn.appender("years")?,
            sheets,
        })
    }

    fn append_problem(&mut self, year: Option<i32>, p: &ingest::Problem) -> Result<()> {
        self.problems.append_row(duckdb::params![
            p.path,
            year,
            p.level.label(),
            p.sheet,
            p.cell,
            p.raw,
            p.reason
        ])?;
        Ok(())
    }

    fn append_file(&mut self, file: &FileResult, report: &mut LoadReport) -> Result<()> {
        let f = &file.file;
        self.files
            .append_row(duckdb::params![
                f.rel,
                f.folder.label(),
                f.year,
                file.sha256,
                file.bytes as i64,
                file.accepted,
                file.data_rows as i64
            ])
            .with_context(|| format!("cannot load {}", f.rel))?;
        for s in &file.sheets {
            self.sheet_summaries.append_row(duckdb::params![
                f.rel,
                f.year,
                s.sheet,
                s.table,
                s.header_row,
                s.data_rows as i64,
                s.accepted_rows as i64,
                s.rejected_rows as i64,
                s.rejected
            ])?;
        }
        for p in &file.problems {
            self.append_problem(f.year, p)?;
            report.problems_recorded += 1;
        }
        for rec in &file.records {
            let app = &mut self
                .sheets
                .iter_mut()
                .find(|(k, _)| *k == rec.kind)
                .expect("every sheet kind has an appender")
                .1;
            let mut row: Vec<Box<dyn ToSql>> = vec![
                Box::new(f.rel.clone()),
                Box::new(rec.sheet.clone()),
                Box::new(rec.row as i32),
                Box::new(f.year),
            ];
            row.extend(rec.values.iter().map(sql_value));
            app.append_row(appender_params_from_iter(row))
                .with_context(|| format!("cannot load {} {} row {}", f.rel, rec.sheet, rec.row))?;
            report.rows_loaded += 1;
            for c in &rec.cells {
                self.cells.append_row(duckdb::params![
                    f.rel,
                    rec.sheet,
                    rec.row as i32,
                    c.field,
                    c.cell,
                    c.raw,
                    c.unit,
                    c.value
                ])?;
                report.cells_loaded += 1;
            }
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<()> {
        self.files.flush()?;
        self.sheet_summaries.flush()?;
        self.problems.flush()?;
        self.cells.flush()?;
        self.years.flush()?;
        for (kind, app) in &mut self.sheets {
            app.flush()
                .with_context(|| format!("cannot write table {}", kind.table()))?;
        }
        Ok(())
    }
}

fn sql_value(v: &Option<Value>) -> Box<dyn ToSql> {
    match v {
        None => Box::new(Option::<String>::None),
        Some(Value::Text(s)) => Box::new(s.clone()),
        Some(Value::Money(m)) => Box::new(m.yuan),
        Some(Value::Int(i)) => Box::new(*i),
        Some(Value::Bool(b)) => Box::new(*b),
        Some(Value::Date(d)) => Box::new(*d),
    }
}
