//! Ingest: find every input file, read it with calamine, and turn each sheet
//! the contract knows into typed records with their source cells.
//!
//! Files are independent, so they are parsed in parallel (rayon) and what
//! they hold reaches a sink in bounded batches as it is read; the loader
//! consumes them while other files are still being read. Nothing here
//! touches the warehouse: `check` uses the same stage without one.

pub mod annotate;
pub mod batch;
mod cell;
mod container;
mod discover;
pub mod error;
mod extent;
pub mod pool;
mod process;
pub mod rows;
mod send;
use send::Transport as _;
mod sheet;
mod wire;
mod workbook;
pub mod worker;

use std::path::PathBuf;
use std::sync::mpsc;

use anyhow::Result;
use chrono::NaiveDate;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::contract::schema::{FolderKind, SheetKind};
use crate::normalize::{Money, MoneyUnit, Raw, UnitSource};
pub use crate::util::stat::{identity, lstat, stat, Stat};
pub use batch::{Batch, Table, TableBatch};
pub use discover::{discover, discover_listed, not_a_submission, walk_tree, Discovery, Found};
pub use pool::WorkerConfig;
pub use rows::Limits;
pub use sheet::Output;
pub use wire::{AnnotateJob, Job, JobReply, PathBytes};
pub use workbook::{parse_file, visit_sheets, SheetVisitor, SCHEMA_SHEET};

/// A normalised value of one cell.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Text(String),
    Money(Money),
    Int(i64),
    Bool(bool),
    Date(NaiveDate),
}

impl Record {
    /// The A1 cell a value came from.
    pub fn cell_of(&self, c: &SourceCell) -> String {
        match (c.col, &c.note_cell) {
            (Some(col), _) => rows::a1(self.row - 1, col),
            (None, Some(cell)) => cell.clone(),
            (None, None) => String::new(),
        }
    }
}

impl Value {
    /// The normalised value as lineage shows it (money in 元).
    pub fn display(&self) -> String {
        match self {
            Value::Text(s) => s.clone(),
            Value::Money(m) => m.yuan.to_string(),
            Value::Int(i) => i.to_string(),
            Value::Bool(b) => if *b { "yes" } else { "no" }.to_string(),
            Value::Date(d) => d.format("%Y-%m-%d").to_string(),
        }
    }
}

/// Where an accepted value came from: the auditor's trail to the input cell,
/// kept compact. The cell is named by its column (the row is the record's),
/// the raw text is kept only when it differs from the normalised value's
/// text, and the money unit as a pair of enums. The warehouse stores these
/// beside the typed value and its `source_cells` view puts the full trail
/// back together.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceCell {
    pub field: &'static str,
    /// 0-based column of the cell on the record's row; `None` when the value
    /// came from a note above the header (then `note_cell` names it).
    pub col: Option<u32>,
    /// The A1 cell of the note that gave the value (`填报单位：…`).
    pub note_cell: Option<String>,
    /// The cell's text when it differs from the normalised value's text.
    pub raw: Option<String>,
    /// The money unit applied and where it came from.
    pub unit: Option<(MoneyUnit, UnitSource)>,
}

/// `万元 (header)`: a money unit and where it came from, as lineage shows it.
pub fn unit_label((unit, source): (MoneyUnit, UnitSource)) -> String {
    format!("{} ({})", unit.label(), source.label())
}

/// The raw text to keep for a normalised value: `None` when the cell's text
/// is exactly the value's own text (the warehouse shows the value then).
/// Money and yes/no are always kept: their text is never the value's.
pub fn raw_unless_same(raw: &Raw, value: &Value) -> Option<String> {
    let same = match (raw, value) {
        (Raw::Text(s), Value::Text(t)) => s == t,
        (Raw::Int(i), Value::Int(v)) => i == v,
        // A whole float cell prints as its integer (below 2^53 exactly).
        (Raw::Number(f), Value::Int(v)) => v.unsigned_abs() < (1 << 53) && *f == *v as f64,
        (Raw::Text(s), Value::Int(v)) => *s == v.to_string(),
        (Raw::Date(d), Value::Date(v)) => d.time() == chrono::NaiveTime::MIN && d.date() == *v,
        (Raw::Text(s), Value::Date(v)) => *s == v.format("%Y-%m-%d").to_string(),
        _ => false,
    };
    (!same).then(|| raw.display())
}

/// One accepted data row of a known sheet.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub kind: SheetKind,
    pub sheet: String,
    /// 1-based row number as Excel shows it.
    pub row: u32,
    /// Values in [`SheetKind::columns`] order; `None` is missing.
    pub values: Vec<Option<Value>>,
    pub cells: Vec<SourceCell>,
}

/// What happened to the input a problem is about: rejected (a file, a
/// sheet, a row, or one optional cell), skipped unread, or accepted with a
/// note or a flag. Written to the warehouse and reports by [`label`]
/// (`file`, `sheet`, `row`, `cell`, `skipped`, `note`, `flag`).
///
/// [`label`]: Disposition::label
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Disposition {
    /// The whole file is rejected.
    #[serde(rename = "file")]
    RejectedFile,
    /// One sheet is rejected.
    #[serde(rename = "sheet")]
    RejectedSheet,
    /// One row is rejected.
    #[serde(rename = "row")]
    RejectedRow,
    /// One optional cell is rejected; its row is kept with the value missing.
    #[serde(rename = "cell")]
    RejectedCell,
    /// Not a workbook (lock file, `.csv`, …): listed, never read.
    Skipped,
    /// Accepted with a remark (unknown column, 活动类型 read as 其他, …).
    Note,
    /// Accepted, but moved ×1,000 or more against the previous year.
    Flag,
}

impl Disposition {
    /// True when the input it is about is left out of the figures.
    pub fn rejects(self) -> bool {
        use Disposition::*;
        matches!(self, RejectedFile | RejectedSheet | RejectedRow | RejectedCell)
    }

    pub const ALL: [Disposition; 7] = [
        Disposition::RejectedFile,
        Disposition::RejectedSheet,
        Disposition::RejectedRow,
        Disposition::RejectedCell,
        Disposition::Skipped,
        Disposition::Note,
        Disposition::Flag,
    ];

    pub fn from_label(label: &str) -> Option<Self> {
        Disposition::ALL.into_iter().find(|d| d.label() == label)
    }

    pub fn label(self) -> &'static str {
        match self {
            Disposition::RejectedFile => "file",
            Disposition::RejectedSheet => "sheet",
            Disposition::RejectedRow => "row",
            Disposition::RejectedCell => "cell",
            Disposition::Skipped => "skipped",
            Disposition::Note => "note",
            Disposition::Flag => "flag",
        }
    }
}

/// One rejected, skipped or noted piece of input, located to the cell.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    pub level: Disposition,
    /// Path relative to `--inputs`, `/`-separated.
    pub path: String,
    pub sheet: String,
    pub cell: String,
    pub raw: String,
    pub reason: String,
    /// For a row's or cell's problem: the raw text of the row's
    /// 统一社会信用代码 cell, so the call-back list can name the sender even
    /// when the code itself is what is wrong. Empty otherwise.
    pub code: String,
    /// For a row's or cell's problem: the raw text of the row's subject
    /// (企业名称, 活动名称, 银行名称, 合作方). Empty otherwise.
    pub subject: String,
}

impl Problem {
    /// A problem of a whole file (rejected, skipped, noted): no sheet,
    /// cell or row.
    pub fn of_file(level: Disposition, path: impl Into<String>, reason: impl Into<String>) -> Self {
        Problem::in_sheet(level, path, String::new(), String::new(), reason)
    }

    /// A problem of a sheet, with the raw text it concerns (no row).
    pub fn in_sheet(
        level: Disposition,
        path: impl Into<String>,
        sheet: String,
        raw: String,
        reason: impl Into<String>,
    ) -> Self {
        Problem {
            level,
            path: path.into(),
            sheet,
            cell: String::new(),
            raw,
            reason: reason.into(),
            code: String::new(),
            subject: String::new(),
        }
    }
}

/// An input file found under `--inputs`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputFile {
    pub abs: PathBuf,
    /// Relative to `--inputs`, `/`-separated (what every report shows).
    pub rel: String,
    pub folder: FolderKind,
    /// The reporting year of the folder; `None` for reference files.
    pub year: Option<i32>,
    /// Size, time and inode when discovered (`None` when it could not be
    /// read, and in `check`, which loads nothing): the stat cache's key,
    /// and what the warehouse records.
    pub stat: Option<Stat>,
    /// `folder` is not known: the reader tells it by the sheet names
    /// (`check` of a file outside an inputs tree).
    pub folder_from_sheets: bool,
}

/// How the rows of one sheet were accounted for: every non-empty row below
/// the header is either accepted, rejected on its own, or rejected with its
/// sheet or file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SheetSummary {
    pub sheet: String,
    /// The warehouse table of the sheet's kind.
    pub table: batch::TableName,
    /// 1-based header row, when one was found.
    pub header_row: Option<u32>,
    pub data_rows: u64,
    pub accepted_rows: u64,
    pub rejected_rows: u64,
    /// The whole sheet (or its file) was rejected.
    pub rejected: bool,
    /// This sheet rejected its whole file (unknown committee, a limit).
    pub file_rejected: bool,
}

/// What one file came to, once read: everything but its rows and problems,
/// which were sent on as they were read.
#[derive(Debug, Clone)]
pub struct FileSummary {
    pub file: InputFile,
    pub sha256: String,
    pub bytes: u64,
    /// False when the file as a whole was rejected.
    pub accepted: bool,
    /// Non-empty rows below a header row, in every sheet read (accepted or
    /// not): the denominator of the accounting identity.
    pub data_rows: u64,
    pub sheets: Vec<SheetSummary>,
}

impl FileSummary {
    fn new(file: InputFile) -> Self {
        FileSummary {
            file,
            sha256: String::new(),
            bytes: 0,
            accepted: false,
            data_rows: 0,
            sheets: Vec::new(),
        }
    }

    pub fn accepted_rows(&self) -> u64 {
        self.sheets.iter().map(|s| s.accepted_rows).sum()
    }

    /// Rows rejected on their own, and every row of a rejected sheet.
    pub fn rejected_rows(&self) -> u64 {
        self.sheets
            .iter()
            .map(|s| if s.rejected { s.data_rows } else { s.rejected_rows })
            .sum()
    }
}

/// Where one file's rows go as they are read. Rows already sent from a
/// sheet (or file) that is rejected later are withdrawn: `None` withdraws
/// the whole file's.
pub trait FileOutput: Output {
    fn withdraw(&mut self, sheet: Option<&str>);
}

/// Everything read from one file, held in memory: for `check` and tests,
/// where a person looks at one file's problems. The nightly load never
/// holds a file like this; it streams [`Event`]s.
#[derive(Debug, Clone)]
pub struct FileResult {
    pub summary: FileSummary,
    pub records: Vec<Record>,
    pub problems: Vec<Problem>,
}

/// What a file (or, in tests, a sheet) sent on, held in memory.
#[derive(Default)]
pub(crate) struct Collect {
    pub(crate) records: Vec<Record>,
    pub(crate) problems: Vec<Problem>,
}

impl Output for Collect {
    fn record(&mut self, record: Record) {
        self.records.push(record);
    }
    fn problem(&mut self, problem: Problem) {
        self.problems.push(problem);
    }
}

impl FileOutput for Collect {
    fn withdraw(&mut self, sheet: Option<&str>) {
        self.records.retain(|r| sheet.is_some_and(|s| s != r.sheet));
    }
}

/// Read one file into memory (see [`FileResult`]).
pub fn parse_file_collected(file: &InputFile, limits: Limits) -> FileResult {
    let mut out = Collect::default();
    let summary = parse_file(file, limits, &mut out);
    FileResult {
        summary,
        records: out.records,
        problems: out.problems,
    }
}

/// What the readers send the loader. Each file's events arrive in its
/// reading order; events of different files interleave, and a batch may
/// hold rows of several files (each row names its file's path).
#[derive(Debug)]
pub enum Event {
    /// Rows of one table: accepted records of a sheet kind, or problems.
    Batch(Batch),
    /// Rows sent earlier from this sheet (all sheets: `None`) of the file
    /// at `file` (an index into the files being ingested) are void.
    Withdraw { file: usize, sheet: Option<String> },
    /// The file is read; nothing more comes from it but rows of it still
    /// gathered in a batch.
    Done { file: usize, summary: FileSummary },
    /// A row of the file could not be gathered (a bug): the load stops.
    Failed { file: usize, message: String },
    /// The worker reading these files died: every row and problem sent
    /// for them is void (one is rejected next; the others are read again).
    Void { files: Vec<usize> },
}

/// Groups of events in flight between the readers and the loader: enough
/// that the readers rarely wait for it, few enough that at most about
/// CHANNEL batches are held.
const CHANNEL: usize = 32;

/// How files are read: the per-file limits, and where the readers run.
#[derive(Debug, Clone)]
pub struct Reading {
    pub limits: Limits,
    pub isolation: Isolation,
}

impl Default for Reading {
    fn default() -> Self {
        Reading {
            limits: Limits::default(),
            isolation: Isolation::InProcess,
        }
    }
}

/// Where the readers run.
#[derive(Debug, Clone)]
pub enum Isolation {
    /// On threads of this process (`--in-process`: profiling, debugging,
    /// and library callers that are not the binary).
    InProcess,
    /// In worker processes under limits (the binary's default).
    Workers(WorkerConfig),
}

/// The ingest stage's report: what this run parsed.
#[derive(Debug, Default, Clone, Serialize)]
pub struct IngestReport {
    /// Reader worker processes started (none in process).
    pub reader_workers: usize,
    /// The memory the readers held at most at once (KiB): per worker slot
    /// the largest of its workers, summed over the slots.
    pub reader_peak_rss_kib: u64,
    pub files_read: usize,
    pub files_rejected: usize,
    pub rows_accepted: u64,
    pub rows_rejected: u64,
}

/// Read `files` and hand what they hold to `sink` on the calling thread,
/// in bounded batches, as it is read (see [`Event`]).
pub fn ingest<F>(files: &[&InputFile], reading: &Reading, mut sink: F) -> Result<IngestReport>
where
    F: FnMut(Event) -> Result<()>,
{
    let mut report = IngestReport::default();
    let mut counted = |event: Event| {
        if let Event::Done { summary, .. } = &event {
            report.files_read += 1;
            if !summary.accepted {
                report.files_rejected += 1;
            }
            report.rows_accepted += summary.accepted_rows();
            report.rows_rejected += summary.rejected_rows();
        }
        sink(event)
    };
    let usage = match &reading.isolation {
        Isolation::InProcess => {
            in_process(files, reading.limits, &mut counted)?;
            pool::Usage::default()
        }
        Isolation::Workers(cfg) => pool::ingest(files, cfg, &mut counted)?,
    };
    report.reader_workers = usage.workers;
    report.reader_peak_rss_kib = usage.peak_kib;
    Ok(report)
}

/// The readers on rayon's threads of this process.
fn in_process(files: &[&InputFile], limits: Limits, sink: &mut dyn FnMut(Event) -> Result<()>) -> Result<()> {
    let (tx, rx) = mpsc::sync_channel::<Vec<Event>>(CHANNEL);
    std::thread::scope(|scope| -> Result<()> {
        scope.spawn(move || {
            let outbox = || send::Outbox::new(send::Channel::new(tx.clone()));
            files
                .par_iter()
                .enumerate()
                .for_each_init(outbox, |outbox, (i, file)| {
                    let _span = tracing::debug_span!("parse", file = %file.rel).entered();
                    // Each outbox hands on what it holds when rayon drops it.
                    if let Err(e) = send::read_one(outbox, i, file, limits, false) {
                        outbox.transport.send(Event::Failed {
                            file: i,
                            message: format!("{e:#}"),
                        });
                    }
                });
        });
        for event in rx.into_iter().flatten() {
            sink(event)?;
        }
        Ok(())
    })
}
