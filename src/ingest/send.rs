//! A reader's end of the stream, the same whether it runs on a thread of
//! this process or in a worker process: each file's accepted records and
//! problems go into one Arrow batch per table (the warehouse's own column
//! order) shared by every file the reader takes, and a batch is handed to
//! the [`Transport`] when it is full. Nothing here holds a file's rows.
//!
//! A worker's parent must know which files' rows have all arrived, to
//! withdraw and read again exactly those a dying worker leaves half sent.
//! So after a file the reader hands on everything it holds and says so
//! ([`Transport::flushed`]) when it is idle, holds a full batch, or has
//! read [`FLUSH_FILES`] files since it last did.

use super::batch::Event;
use super::batch::{Table, TableBatch, BATCH_ROWS};
use super::model::Output;
use super::model::{FileOutput, FileSummary, Problem, Record};

/// Files a reader reads before it hands on everything it holds, at most.
pub const FLUSH_FILES: usize = 1024;

/// Where a reader's events go: a channel to the loader, or a worker's pipe.
pub trait Transport {
    fn send(&mut self, event: Event);
    /// Everything of every file reported done so far has been sent.
    fn flushed(&mut self) {}
}

/// One batch being gathered per table, for every file a reader reads.
pub struct Outbox<T: Transport> {
    pub transport: T,
    tables: Vec<TableBatch>,
    /// Rows in `tables`.
    pending: usize,
    files_since_flush: usize,
}

impl<T: Transport> Outbox<T> {
    pub fn new(transport: T) -> Self {
        Outbox {
            transport,
            tables: Table::all().map(TableBatch::new).collect(),
            pending: 0,
            files_since_flush: 0,
        }
    }

    fn push(
        &mut self,
        table: Table,
        push: impl FnOnce(&mut TableBatch) -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        let t = &mut self.tables[table.index()];
        push(t)?;
        self.pending += 1;
        if t.rows() >= BATCH_ROWS {
            self.send_table(table.index())?;
        }
        Ok(())
    }

    fn send_table(&mut self, i: usize) -> anyhow::Result<()> {
        if let Some(batch) = self.tables[i].take()? {
            self.pending -= batch.rows.num_rows();
            self.transport.send(Event::Batch(batch));
        }
        Ok(())
    }

    /// Hand on every row gathered.
    pub fn flush(&mut self) -> anyhow::Result<()> {
        for i in 0..self.tables.len() {
            self.send_table(i)?;
        }
        self.files_since_flush = 0;
        self.transport.flushed();
        Ok(())
    }

    /// One file is read (`error`: rows it could not gather, a bug); flush
    /// when `idle` (nothing more queued) or enough is held.
    pub fn done(
        &mut self,
        file: usize,
        summary: FileSummary,
        error: Option<String>,
        idle: bool,
    ) -> anyhow::Result<()> {
        match error {
            Some(message) => self.transport.send(Event::Failed { file, message }),
            None => self.transport.send(Event::Done { file, summary }),
        }
        self.files_since_flush += 1;
        if idle || self.pending >= BATCH_ROWS || self.files_since_flush >= FLUSH_FILES {
            self.flush()?;
        }
        Ok(())
    }
}

impl<T: Transport> Drop for Outbox<T> {
    fn drop(&mut self) {
        if self.pending > 0 || self.files_since_flush > 0 {
            if let Err(e) = self.flush() {
                self.transport.send(Event::Failed {
                    file: usize::MAX,
                    message: format!("{e:#}"),
                });
            }
        }
    }
}

/// One file's output into an [`Outbox`].
pub struct FileSender<'o, T: Transport> {
    outbox: &'o mut Outbox<T>,
    file: usize,
    path: &'o str,
    year: Option<i32>,
    /// Whether any record of this file went into a batch: a withdrawal
    /// before that costs nothing.
    pushed_records: bool,
    /// The first row that could not be gathered (a value of the wrong type
    /// for its column: a bug, reported as such).
    pub error: Option<String>,
}

impl<'o, T: Transport> FileSender<'o, T> {
    pub fn new(outbox: &'o mut Outbox<T>, file: usize, path: &'o str, year: Option<i32>) -> Self {
        FileSender {
            outbox,
            file,
            path,
            year,
            pushed_records: false,
            error: None,
        }
    }

    fn keep(&mut self, r: anyhow::Result<()>) {
        if let Err(e) = r {
            self.error.get_or_insert_with(|| format!("{e:#}"));
        }
    }
}

impl<T: Transport> Output for FileSender<'_, T> {
    fn record(&mut self, record: Record) {
        let (path, year) = (self.path, self.year);
        let r = self
            .outbox
            .push(Table::Sheet(record.kind), |t| t.push_record(path, year, &record));
        self.pushed_records = true;
        self.keep(r);
    }

    fn problem(&mut self, problem: Problem) {
        let year = self.year;
        let r = self
            .outbox
            .push(Table::Problems, |t| t.push_problem(year, &problem));
        self.keep(r);
    }
}

impl<T: Transport> FileOutput for FileSender<'_, T> {
    fn withdraw(&mut self, sheet: Option<&str>) {
        if !self.pushed_records {
            return;
        }
        // The loader deletes what it holds of the sheet; first it must
        // hold all of it.
        for table in Table::all().filter(|t| *t != Table::Problems) {
            let r = self.outbox.send_table(table.index());
            self.keep(r);
        }
        self.outbox.transport.send(Event::Withdraw {
            file: self.file,
            sheet: sheet.map(str::to_string),
        });
    }
}

/// Events for the loader on this process's channel, handed over in groups
/// (of [`GROUP`] events, or at the first batch), so that most files, which
/// are one small event, do not wake the loader one by one.
pub struct Channel {
    tx: std::sync::mpsc::SyncSender<Vec<Event>>,
    group: Vec<Event>,
}

/// Events gathered before a group is handed over.
pub const GROUP: usize = 32;

impl Channel {
    pub fn new(tx: std::sync::mpsc::SyncSender<Vec<Event>>) -> Self {
        Channel {
            tx,
            group: Vec::with_capacity(GROUP),
        }
    }

    fn hand_over(&mut self) {
        if self.group.is_empty() {
            return;
        }
        let group = std::mem::replace(&mut self.group, Vec::with_capacity(GROUP));
        // The receiver only goes away when the loader failed; the error is
        // reported from there.
        let _ = self.tx.send(group);
    }
}

impl Transport for Channel {
    fn send(&mut self, event: Event) {
        let batch = matches!(event, Event::Batch(_));
        self.group.push(event);
        if batch || self.group.len() >= GROUP {
            self.hand_over();
        }
    }
}

impl Drop for Channel {
    fn drop(&mut self) {
        self.hand_over();
    }
}

/// Read one file into `outbox` and report it done.
pub fn read_one<T: Transport>(
    outbox: &mut Outbox<T>,
    file: usize,
    input: &super::model::InputFile,
    limits: super::rows::Limits,
    idle: bool,
) -> anyhow::Result<()> {
    let guessed;
    let input = match input.folder_from_sheets {
        true => {
            guessed = super::model::InputFile {
                folder: super::workbook::guess_folder(&input.abs, limits),
                folder_from_sheets: false,
                ..input.clone()
            };
            &guessed
        }
        false => input,
    };
    let mut out = FileSender::new(outbox, file, &input.rel, input.year);
    let summary = super::workbook::parse_file(input, limits, &mut out);
    let error = out.error.take();
    outbox.done(file, summary, error, idle)
}
