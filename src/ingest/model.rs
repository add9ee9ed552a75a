//! What the readers make of the inputs: a cell's normalised value, an
//! accepted row with its cells' lineage ([`Record`]), a problem with its
//! place and reason ([`Problem`]), an input file and what it came to
//! ([`FileSummary`]), and where rows go as they are read ([`Output`]).

use std::path::PathBuf;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::contract::schema::{FolderKind, SheetKind};
use crate::normalize::{Money, MoneyUnit, Raw, UnitSource};
use crate::util::stat::Stat;

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
            (Some(col), _) => super::rows::a1(self.row - 1, col),
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
    pub table: SheetTable,
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
    pub(super) fn new(file: InputFile) -> Self {
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

/// Where a sheet's accepted rows and problems go as they are read.
pub trait Output {
    fn record(&mut self, record: Record);
    fn problem(&mut self, problem: Problem);
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

/// The warehouse table of a sheet kind, as the program spells it: a
/// worker sends it as text, read back as one of the program's own names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct SheetTable(pub &'static str);

impl<'de> Deserialize<'de> for SheetTable {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let name = <String as Deserialize>::deserialize(d)?;
        SheetKind::ALL
            .iter()
            .map(|k| k.table())
            .find(|t| *t == name)
            .map(SheetTable)
            .ok_or_else(|| {
                serde::de::Error::custom(format!("expected the table of a sheet kind, found {name}"))
            })
    }
}
