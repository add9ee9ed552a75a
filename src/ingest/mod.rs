//! Ingest: find every input file, read it with calamine, and turn each sheet
//! the contract knows into typed records with their source cells.
//!
//! Files are independent, so they are parsed in parallel (rayon) and handed
//! to a sink one at a time as they finish; the loader consumes them while
//! other files are still being read. Nothing here touches the warehouse:
//! `check` uses the same stage without one.

mod cell;
pub mod schema;
mod sheet;
mod workbook;

use std::path::{Path, PathBuf};
use std::sync::mpsc;

use anyhow::{Context, Result};
use chrono::NaiveDate;
use rayon::prelude::*;
use serde::Serialize;

use crate::normalize::Money;
pub use schema::{FolderKind, SheetKind};
pub use workbook::{parse_file, sha256_hex};

/// A normalised value of one cell.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Text(String),
    Money(Money),
    Int(i64),
    Bool(bool),
    Date(NaiveDate),
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

/// Where an accepted value came from: the auditor's trail to the input cell.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceCell {
    pub field: &'static str,
    /// A1 reference on the record's sheet.
    pub cell: String,
    pub raw: String,
    /// The money unit applied and where it came from, e.g. `万元 (header)`.
    pub unit: Option<String>,
    pub value: String,
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

/// How much of the input a problem takes out of the figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// The whole file is rejected.
    File,
    /// One sheet is rejected.
    Sheet,
    /// One row is rejected.
    Row,
    /// One optional cell is rejected; its row is kept with the value missing.
    Cell,
    /// Not a workbook (lock file, `.csv`, …): listed, never read.
    Skipped,
    /// Accepted with a remark (unknown column, 活动类型 read as 其他, …).
    Note,
    /// Accepted, but moved ×1,000 or more against the previous year.
    Flag,
}

impl Level {
    pub fn label(self) -> &'static str {
        match self {
            Level::File => "file",
            Level::Sheet => "sheet",
            Level::Row => "row",
            Level::Cell => "cell",
            Level::Skipped => "skipped",
            Level::Note => "note",
            Level::Flag => "flag",
        }
    }
}

/// One rejected, skipped or noted piece of input, located to the cell.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub level: Level,
    /// Path relative to `--inputs`, `/`-separated.
    pub path: String,
    pub sheet: String,
    pub cell: String,
    pub raw: String,
    pub reason: String,
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
}

/// How the rows of one sheet were accounted for: every non-empty row below
/// the header is either accepted, rejected on its own, or rejected with its
/// sheet or file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SheetSummary {
    pub sheet: String,
    /// The warehouse table of the sheet's kind.
    pub table: &'static str,
    /// 1-based header row, when one was found.
    pub header_row: Option<u32>,
    pub data_rows: u64,
    pub accepted_rows: u64,
    pub rejected_rows: u64,
    /// The whole sheet (or its file) was rejected.
    pub rejected: bool,
}

/// Everything read from one file.
#[derive(Debug, Clone)]
pub struct FileResult {
    pub file: InputFile,
    pub sha256: String,
    pub bytes: u64,
    /// False when the file as a whole was rejected.
    pub accepted: bool,
    pub records: Vec<Record>,
    pub problems: Vec<Problem>,
    /// Non-empty rows below a header row, in every sheet read (accepted or
    /// not): the denominator of the accounting identity.
    pub data_rows: u64,
    pub sheets: Vec<SheetSummary>,
}

/// What discovery found: workbooks to read and files skipped outright.
#[derive(Debug, Default)]
pub struct Discovery {
    pub files: Vec<InputFile>,
    pub skipped: Vec<(Option<i32>, Problem)>,
    pub years: Vec<i32>,
}

/// The ingest stage's report: what this run parsed.
#[derive(Debug, Default, Clone, Serialize)]
pub struct IngestReport {
    pub files_read: usize,
    pub files_rejected: usize,
    pub rows_accepted: u64,
    pub rows_rejected: u64,
}

/// Walk `inputs/`: `reference/**`, `<year>/companies/**`,
/// `<year>/committees/**`. Non-workbooks and files outside those folders are
/// listed as skipped. Order is by relative path, so every report is stable.
pub fn discover(inputs: &Path) -> Result<Discovery> {
    let meta = std::fs::metadata(inputs)
        .with_context(|| format!("cannot read the inputs folder {}", inputs.display()))?;
    anyhow::ensure!(meta.is_dir(), "{} is not a folder", inputs.display());
    let mut all = Vec::new();
    walk(inputs, inputs, &mut all)?;
    all.sort_by(|a: &(PathBuf, String), b| a.1.as_bytes().cmp(b.1.as_bytes()));

    let mut out = Discovery::default();
    for (abs, rel) in all {
        let parts: Vec<&str> = rel.split('/').collect();
        let placed = match parts.as_slice() {
            ["reference", _, ..] => Some((FolderKind::Reference, None)),
            [year, folder, _, ..] if is_year(year) => {
                let y: i32 = year.parse().unwrap_or_default();
                match *folder {
                    "companies" => Some((FolderKind::Companies, Some(y))),
                    "committees" => Some((FolderKind::Committees, Some(y))),
                    _ => None,
                }
            }
            _ => None,
        };
        let year = parts.first().filter(|y| is_year(y)).and_then(|y| y.parse().ok());
        if let Some(y) = year {
            if !out.years.contains(&y) {
                out.years.push(y);
            }
        }
        let name = parts.last().copied().unwrap_or_default();
        let skip = |reason: String| Problem {
            level: Level::Skipped,
            path: rel.clone(),
            sheet: String::new(),
            cell: String::new(),
            raw: String::new(),
            reason,
        };
        let Some((folder, year)) = placed else {
            let reason = if parts[0] == "expected" || rel == "generate.json" {
                "chamberstat generate 写出的已知答案，不是报送文件 / written by `chamberstat generate` (the known answer), not a submission"
            } else {
                "不在 reference/、<年度>/companies/ 或 <年度>/committees/ 下 / not inside reference/, <year>/companies/ or <year>/committees/"
            };
            out.skipped.push((year, skip(reason.into())));
            continue;
        };
        let ext = Path::new(name)
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or_default();
        if name.starts_with("~$") {
            out.skipped.push((
                year,
                skip(
                    "Office 临时锁文件（~$…），不是报送文件 / office lock file (~$…), not a submission"
                        .into(),
                ),
            ));
        } else if name.starts_with('.') {
            out.skipped.push((year, skip("隐藏文件 / hidden file".into())));
        } else if !schema::is_workbook_extension(ext) {
            out.skipped.push((
                year,
                skip(format!(
                    "不是工作簿（.{ext}），仅接受 .xlsx .xlsm .xls .xlsb .ods / not a workbook (.{ext}); accepted: .xlsx .xlsm .xls .xlsb .ods"
                )),
            ));
        } else {
            out.files.push(InputFile {
                abs,
                rel,
                folder,
                year,
            });
        }
    }
    out.years.sort_unstable();
    Ok(out)
}

fn is_year(s: &str) -> bool {
    s.len() == 4 && s.chars().all(|c| c.is_ascii_digit())
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<(PathBuf, String)>) -> Result<()> {
    let entries = std::fs::read_dir(dir).with_context(|| format!("cannot list {}", dir.display()))?;
    for entry in entries {
        let entry = entry.with_context(|| format!("cannot list {}", dir.display()))?;
        let path = entry.path();
        let ty = entry.file_type()?;
        if ty.is_dir() {
            walk(root, &path, out)?;
        } else if ty.is_file() || ty.is_symlink() {
            let rel = path
                .strip_prefix(root)
                .unwrap_or(&path)
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            out.push((path, rel));
        }
    }
    Ok(())
}

/// Parse `files` in parallel and hand each result to `sink` on the calling
/// thread as soon as it is ready. Results arrive in completion order;
/// consumers must not depend on it.
pub fn ingest<F>(files: &[InputFile], mut sink: F) -> Result<IngestReport>
where
    F: FnMut(FileResult) -> Result<()>,
{
    let mut report = IngestReport::default();
    let (tx, rx) = mpsc::sync_channel::<FileResult>(64);
    std::thread::scope(|scope| -> Result<()> {
        scope.spawn(move || {
            files.par_iter().for_each_with(tx, |tx, file| {
                let _span = tracing::debug_span!("parse", file = %file.rel).entered();
                let result = parse_file(file);
                // The receiver only goes away when the sink failed; the
                // error is reported from there.
                let _ = tx.send(result);
            });
        });
        for result in rx {
            report.files_read += 1;
            if !result.accepted {
                report.files_rejected += 1;
            }
            report.rows_accepted += result.records.len() as u64;
            report.rows_rejected += rejected_rows(&result.problems);
            sink(result)?;
        }
        Ok(())
    })?;
    Ok(report)
}

/// Distinct rows rejected among `problems`.
pub fn rejected_rows(problems: &[Problem]) -> u64 {
    let mut rows: Vec<(&str, &str, u32)> = problems
        .iter()
        .filter(|p| p.level == Level::Row)
        .map(|p| (p.path.as_str(), p.sheet.as_str(), sheet::row_of(&p.cell)))
        .collect();
    rows.sort_unstable();
    rows.dedup();
    rows.len() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn discovery_skips_lock_csv_and_misplaced_files() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for f in [
            "reference/会员名册.xlsx",
            "reference/说明.txt",
            "2024/companies/0001_a.xlsx",
            "2024/companies/~$0001_a.xlsx",
            "2024/companies/导出.csv",
            "2024/companies/.DS_Store",
            "2024/committees/01.ods",
            "2024/other/x.xlsx",
            "notes.xlsx",
        ] {
            let p = root.join(f);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, b"").unwrap();
        }
        let d = discover(root).unwrap();
        let read: Vec<_> = d.files.iter().map(|f| f.rel.as_str()).collect();
        assert_eq!(
            read,
            [
                "2024/committees/01.ods",
                "2024/companies/0001_a.xlsx",
                "reference/会员名册.xlsx"
            ]
        );
        assert_eq!(d.skipped.len(), 6);
        assert_eq!(d.years, [2024]);
        assert!(d.skipped.iter().any(|(_, p)| p.reason.contains("lock file")));
    }
}
