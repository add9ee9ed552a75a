//! The loader's end of the stream: one appender per warehouse table, fed
//! the rows, problems and file summaries the readers send, each handing
//! its rows to its table in bounded batches (the sheet tables as Arrow
//! record batches, the others row by row), so the load holds a batch per
//! table whatever the size of a file or of the corpus.

use anyhow::{Context, Result};
use duckdb::arrow::record_batch::RecordBatch;
use duckdb::{Appender, Connection};

use super::batch::{TableBatch, BATCH_ROWS};
use super::schema::{is_money, unit_code};
use super::{LoadReport, SqlCell};
use crate::contract::schema::SheetKind;
use crate::ingest::{self, FileSummary, InputFile, Record};

/// One appender per table, alive for the whole load.
pub(super) struct Sink<'c> {
    files: RowSink<'c>,
    sheet_summaries: RowSink<'c>,
    problems: RowSink<'c>,
    pub(super) years: Appender<'c>,
    sheets: Vec<TableSink<'c>>,
}

/// Rows an appender holds before they are handed to their table: DuckDB
/// would wait for 204,800 and then write them all at once, after the
/// readers are done.
const FLUSH_ROWS: usize = 8 * BATCH_ROWS;

/// An appender that hands its rows to the table every FLUSH_ROWS rows,
/// single rows (input files, sheets, problems) or record batches (the
/// sheet tables) alike. DuckDB's appender would hold 204,800 first: every
/// file's rows at 30,000 members (84,635 files), and all the problems of a
/// workbook with a bad cell on each of its 200,000 rows.
struct RowSink<'c> {
    app: Appender<'c>,
    unflushed: usize,
}

impl<'c> RowSink<'c> {
    fn new(app: Appender<'c>) -> Self {
        RowSink { app, unflushed: 0 }
    }

    fn append_row<P: duckdb::AppenderParams>(&mut self, row: P) -> Result<()> {
        self.app.append_row(row)?;
        self.appended(1)
    }

    fn append_batch(&mut self, rb: RecordBatch) -> Result<()> {
        let rows = rb.num_rows();
        self.app
            .append_record_batch(rb)
            .context("cannot append a batch of rows")?;
        self.appended(rows)
    }

    fn appended(&mut self, rows: usize) -> Result<()> {
        self.unflushed += rows;
        if self.unflushed >= FLUSH_ROWS {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<()> {
        self.app.flush()?;
        self.unflushed = 0;
        Ok(())
    }
}

/// One sheet table: its appender and the rows gathered for it.
struct TableSink<'c> {
    kind: SheetKind,
    out: RowSink<'c>,
    batch: TableBatch,
}

impl TableSink<'_> {
    /// Add one row (in the table's column order); a full batch goes to the
    /// appender, which hands it on to the table while the readers go on.
    fn push(&mut self, row: &[SqlCell<'_>]) -> Result<()> {
        self.batch.push(row)?;
        if self.batch.rows() >= BATCH_ROWS {
            self.append()?;
        }
        Ok(())
    }

    /// Hand the gathered rows to the appender.
    fn append(&mut self) -> Result<()> {
        match self.batch.take()? {
            Some(rb) => self.out.append_batch(rb),
            None => Ok(()),
        }
    }

    /// Everything gathered into the table.
    fn flush(&mut self) -> Result<()> {
        self.append()?;
        self.out
            .flush()
            .with_context(|| format!("cannot write table {}", self.kind.table()))
    }
}

impl<'c> Sink<'c> {
    pub(super) fn new(conn: &'c Connection) -> Result<Self> {
        let mut sheets = Vec::new();
        for kind in SheetKind::ALL {
            sheets.push(TableSink {
                kind,
                out: RowSink::new(conn.appender(kind.table())?),
                batch: TableBatch::new(kind),
            });
        }
        Ok(Sink {
            files: RowSink::new(conn.appender("input_files")?),
            sheet_summaries: RowSink::new(conn.appender("sheets")?),
            problems: RowSink::new(conn.appender("problems")?),
            years: conn.appender("years")?,
            sheets,
        })
    }

    pub(super) fn append_problem(&mut self, year: Option<i32>, p: &ingest::Problem) -> Result<()> {
        self.problems.append_row(duckdb::params![
            p.path,
            year,
            p.level.label(),
            p.sheet,
            p.cell,
            p.raw,
            p.reason,
            p.code,
            p.subject
        ])?;
        Ok(())
    }

    /// A file's rows and problems as they arrive.
    pub(super) fn append_parsed(
        &mut self,
        f: &InputFile,
        records: &[Record],
        problems: &[ingest::Problem],
        report: &mut LoadReport,
    ) -> Result<()> {
        for p in problems {
            self.append_problem(f.year, p)?;
            report.problems_recorded += 1;
        }
        self.append_records(f, records, report)
    }

    pub(super) fn append_file(&mut self, file: &FileSummary) -> Result<()> {
        let f = &file.file;
        let st = f.stat;
        self.files
            .append_row(duckdb::params![
                f.rel,
                f.folder.label(),
                f.year,
                file.sha256,
                file.bytes as i64,
                file.accepted,
                file.data_rows as i64,
                st.and_then(|s| s.mtime_ns),
                st.map(|s| s.inode)
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
        Ok(())
    }

    fn append_records(&mut self, f: &InputFile, records: &[Record], report: &mut LoadReport) -> Result<()> {
        let mut row: Vec<SqlCell<'_>> = Vec::new();
        for rec in records {
            let columns = rec.kind.columns();
            row.clear();
            row.extend([
                SqlCell::Text(&f.rel),
                SqlCell::Text(&rec.sheet),
                SqlCell::Int(i64::from(rec.row)),
                f.year.map_or(SqlCell::Null, |y| SqlCell::Int(i64::from(y))),
            ]);
            row.extend(rec.values.iter().map(SqlCell::of));
            let source = |field: &str| rec.cells.iter().find(|c| c.field == field);
            let mut note_cell = None;
            for c in columns {
                let cell = source(c.field);
                row.push(
                    cell.and_then(|s| s.col)
                        .map_or(SqlCell::Null, |col| SqlCell::Int(i64::from(col))),
                );
                row.push(
                    cell.and_then(|s| s.raw.as_deref())
                        .map_or(SqlCell::Null, SqlCell::Text),
                );
                if is_money(c) {
                    row.push(
                        cell.and_then(|s| s.unit)
                            .map_or(SqlCell::Null, |u| SqlCell::Int(i64::from(unit_code(u)))),
                    );
                }
                note_cell = note_cell.or(cell.and_then(|s| s.note_cell.as_deref()));
            }
            row.push(note_cell.map_or(SqlCell::Null, SqlCell::Text));
            let table = self
                .sheets
                .iter_mut()
                .find(|t| t.kind == rec.kind)
                .expect("every sheet kind has an appender");
            table
                .push(&row)
                .with_context(|| format!("cannot load {} {} row {}", f.rel, rec.sheet, rec.row))?;
            report.rows_loaded += 1;
            report.cells_loaded += rec.cells.len() as u64;
        }
        Ok(())
    }

    /// Drop rows already appended from a sheet (or file) rejected after
    /// they were read. Rare: a reader error or limit part-way through.
    pub(super) fn withdraw(&mut self, conn: &Connection, path: &str, sheet: Option<&str>) -> Result<()> {
        for table in &mut self.sheets {
            table.flush()?;
            conn.execute(
                &format!(
                    "DELETE FROM {} WHERE path = ? AND (? IS NULL OR sheet = ?)",
                    table.kind.table()
                ),
                duckdb::params![path, sheet, sheet],
            )?;
        }
        Ok(())
    }

    /// Everything appended so far into its table (the load's end).
    pub(super) fn flush(&mut self) -> Result<()> {
        self.files.flush()?;
        self.sheet_summaries.flush()?;
        self.problems.flush()?;
        self.years.flush()?;
        for table in &mut self.sheets {
            table.flush()?;
        }
        Ok(())
    }
}
