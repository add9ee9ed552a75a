//! The loader's end of the stream: one appender per warehouse table, fed
//! the batches, file summaries, withdrawals and voids the readers send.
//! The batches arrive in the tables' own column order (`ingest::batch`),
//! so they are appended as they are; each table hands its rows on in
//! bounded steps, so the load holds a few batches whatever the size of a
//! file or of the corpus.

use anyhow::{Context, Result};
use duckdb::arrow::record_batch::RecordBatch;
use duckdb::{Appender, Connection};

use super::report::LoadReport;
use crate::ingest::{self, Batch, FileSummary, Table, TableBatch};

/// Rows an appender holds before they are handed to their table: DuckDB
/// would wait for 204,800 and then write them all at once, after the
/// readers are done.
const FLUSH_ROWS: usize = 16_384;

/// An appender that hands its rows to the table every FLUSH_ROWS rows,
/// single rows (input files, sheets) or record batches (the sheet tables,
/// problems) alike. DuckDB's appender would hold 204,800 first: on a large
/// tree every file's row, and every problem of a workbook with a bad cell
/// on each row.
struct RowSink<'c> {
    table: &'static str,
    app: Appender<'c>,
    unflushed: usize,
}

impl<'c> RowSink<'c> {
    fn new(conn: &'c Connection, table: &'static str) -> Result<Self> {
        Ok(RowSink {
            table,
            app: conn.appender(table)?,
            unflushed: 0,
        })
    }

    fn append_row<P: duckdb::AppenderParams>(&mut self, row: P) -> Result<()> {
        self.app.append_row(row)?;
        self.appended(1)
    }

    fn append_batch(&mut self, rb: RecordBatch) -> Result<()> {
        let rows = rb.num_rows();
        self.app
            .append_record_batch(rb)
            .with_context(|| format!("cannot append a batch of rows to {}", self.table))?;
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
        self.app
            .flush()
            .with_context(|| format!("cannot write table {}", self.table))?;
        self.unflushed = 0;
        Ok(())
    }
}

/// One appender per table, alive for the whole load.
pub(super) struct Sink<'c> {
    files: RowSink<'c>,
    sheet_summaries: RowSink<'c>,
    pub(super) years: Appender<'c>,
    /// The tables readers send batches of, by [`Table::index`].
    tables: Vec<RowSink<'c>>,
}

impl<'c> Sink<'c> {
    pub(super) fn new(conn: &'c Connection) -> Result<Self> {
        Ok(Sink {
            files: RowSink::new(conn, "input_files")?,
            sheet_summaries: RowSink::new(conn, "sheets")?,
            years: conn.appender("years")?,
            tables: Table::all()
                .map(|t| RowSink::new(conn, t.name()))
                .collect::<Result<_>>()?,
        })
    }

    /// Problems found outside any reader (skipped entries of discovery).
    pub(super) fn append_problems(&mut self, problems: &[(Option<i32>, ingest::Problem)]) -> Result<()> {
        let mut batch = TableBatch::new(Table::Problems);
        for (year, p) in problems {
            batch.push_problem(*year, p)?;
        }
        match batch.take()? {
            Some(b) => self.append_batch(b),
            None => Ok(()),
        }
    }

    /// A batch of rows as it arrives.
    pub(super) fn append_batch(&mut self, batch: Batch) -> Result<()> {
        self.tables[batch.table.index()].append_batch(batch.rows)
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
                s.table.0,
                s.header_row,
                s.data_rows as i64,
                s.accepted_rows as i64,
                s.rejected_rows as i64,
                s.rejected
            ])?;
        }
        Ok(())
    }

    /// Drop rows already appended from a sheet (or file) rejected after
    /// they were read. Rare: a reader error or limit part-way through.
    pub(super) fn withdraw(&mut self, conn: &Connection, path: &str, sheet: Option<&str>) -> Result<()> {
        for t in Table::all().filter(|t| *t != Table::Problems) {
            let table = &mut self.tables[t.index()];
            table.flush()?;
            conn.execute(
                &format!(
                    "DELETE FROM {} WHERE path = ? AND (? IS NULL OR sheet = ?)",
                    t.name()
                ),
                duckdb::params![path, sheet, sheet],
            )?;
        }
        Ok(())
    }

    /// Drop every row and problem of files whose reader died before it
    /// finished them.
    pub(super) fn void(&mut self, conn: &Connection, paths: &[&str], report: &mut LoadReport) -> Result<()> {
        for t in Table::all() {
            let table = &mut self.tables[t.index()];
            table.flush()?;
            let mut delete = conn.prepare(&format!("DELETE FROM {} WHERE path = ?", t.name()))?;
            for path in paths {
                let n = delete.execute([path])? as u64;
                match t {
                    Table::Problems => report.problems_recorded -= n.min(report.problems_recorded),
                    Table::Sheet(_) => report.rows_loaded -= n.min(report.rows_loaded),
                }
            }
        }
        Ok(())
    }

    /// Everything appended so far into its table (the load's end).
    pub(super) fn flush(&mut self) -> Result<()> {
        self.files.flush()?;
        self.sheet_summaries.flush()?;
        self.years.flush()?;
        for table in &mut self.tables {
            table.flush()?;
        }
        Ok(())
    }
}
