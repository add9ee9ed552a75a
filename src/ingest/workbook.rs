//! One workbook file: hash it, open it by its extension, choose the sheets
//! its folder calls for, and stream each through the sheet parser. A file
//! that cannot be opened, or crosses a limit, is rejected with the reason;
//! the run goes on.
//!
//! `.xlsx`, `.xlsm` and `.xlsb` are read cell by cell (calamine's cell
//! readers), so a stray value in a sheet's far corner costs one cell.
//! `.xls` and `.ods` can only be read as whole grids; their extent is
//! measured first (`extent`) and a grid over `--max-grid-cells` is rejected
//! before it is built.

use std::io::Cursor;
use std::panic::AssertUnwindSafe;

use crate::util::hash::sha256_hex;
use calamine::{open_workbook_from_rs, Data, Ods, Range, Reader, Xls, Xlsb, Xlsx};

use super::error::{Classify, FileError, Format, ReaderError};
use super::extent;
use super::model::{Disposition, FileOutput, FileSummary, InputFile, Problem, SheetSummary};
use super::rows::{data_ref_to_raw, Budget, CellRows, GridRows, Limits, ReadError, RowSource};
use super::sheet::{parse_sheet, SheetContext, SheetOutcome};
use crate::contract::schema::{FolderKind, SheetKind};

/// Read and parse one input file, sending its accepted rows and problems
/// to `out` as they are read. Never fails: every failure becomes a
/// [`Problem`], and rows already sent from a sheet or file that is then
/// rejected are withdrawn through `out`.
pub fn parse_file(file: &InputFile, limits: Limits, out: &mut dyn FileOutput) -> FileSummary {
    let mut summary = FileSummary::new(file.clone());
    let bytes = match std::fs::read(&file.abs) {
        Ok(b) => b,
        Err(e) => {
            reject(file, out, format!("无法读取文件 / cannot read the file: {e}"));
            return summary;
        }
    };
    summary.sha256 = sha256_hex(&bytes);
    summary.bytes = bytes.len() as u64;
    if bytes.is_empty() {
        reject(
            file,
            out,
            "文件为空（0 字节）/ the file is empty (0 bytes)".into(),
        );
        return summary;
    }
    // A malformed file must not take the nightly run down with it, even if
    // the reader panics on it.
    let mut sheets = Vec::new();
    let read = std::panic::catch_unwind(AssertUnwindSafe(|| {
        read_workbook(file, &bytes, limits, &mut *out, &mut sheets)
    }));
    let file_rejected = match read {
        Ok(Ok(rejected)) => rejected,
        Ok(Err(reason)) => {
            sheets.clear();
            reject(file, out, reason.to_string());
            true
        }
        Err(_) => {
            sheets.clear();
            reject(
                file,
                out,
                "文件已损坏，无法读取 / the spreadsheet reader failed on this file (damaged file?)".into(),
            );
            true
        }
    };
    if file_rejected {
        // A rejected file contributes no row; every sheet's rows go with it.
        out.withdraw(None);
        for s in &mut sheets {
            s.rejected = true;
            s.accepted_rows = 0;
        }
    }
    summary.accepted = !file_rejected;
    summary.data_rows = sheets.iter().map(|s| s.data_rows).sum();
    summary.sheets = sheets;
    summary
}

fn reject(file: &InputFile, out: &mut dyn FileOutput, reason: String) {
    out.problem(Problem::of_file(
        Disposition::RejectedFile,
        file.rel.clone(),
        reason,
    ));
}

/// The hidden sheet `chamberstat template` writes with the schema version;
/// read past without a note.
pub const SCHEMA_SHEET: &str = "_chamberstat";

/// Open the workbook and parse its chosen sheets. `Ok(true)` when the file
/// as a whole is rejected (its problem already sent), `Err` with the reason
/// when it cannot be opened at all.
fn read_workbook(
    file: &InputFile,
    bytes: &[u8],
    limits: Limits,
    out: &mut dyn FileOutput,
    sheets: &mut Vec<SheetSummary>,
) -> Result<bool, FileError> {
    let mut run = Run {
        file,
        out,
        sheets,
        chosen: Vec::new(),
        no_sheet: false,
    };
    visit_sheets(&file.rel, bytes, limits, &mut run)?;
    let rejected = run.no_sheet || run.file_rejected();
    // A blank template sent back untouched: accepted, and said so once.
    if !rejected && run.sheets.iter().all(|s| s.data_rows == 0 && !s.rejected) {
        run.out.problem(Problem::of_file(
            Disposition::Note,
            file.rel.clone(),
            "文件中没有数据行 / no data rows",
        ));
    }
    Ok(rejected)
}

/// What reads a workbook's sheets: chooses them by name, then takes each.
pub trait SheetVisitor {
    /// The sheets to read, in order, from the workbook's sheet names.
    fn pick(&mut self, names: &[String]) -> Vec<String>;
    /// One chosen sheet as rows, or the reader's error. `Some(())` stops
    /// the reading (a limit was crossed).
    fn sheet(&mut self, name: &str, rows: Result<&mut dyn RowSource, ReaderError>) -> Option<()>;
}

impl SheetVisitor for Run<'_, '_> {
    fn pick(&mut self, names: &[String]) -> Vec<String> {
        match self.choose(names) {
            Some(c) => {
                self.chosen = c;
                self.chosen.iter().map(|(n, _)| n.clone()).collect()
            }
            None => {
                self.no_sheet = true;
                Vec::new()
            }
        }
    }

    fn sheet(&mut self, name: &str, rows: Result<&mut dyn RowSource, ReaderError>) -> Option<()> {
        let kind = self.chosen.iter().find(|(n, _)| n == name).map(|(_, k)| *k)?;
        let outcome = match rows {
            Ok(rows) => self.parse(name, kind, rows),
            Err(e) => self.unreadable(name, &e),
        };
        self.record(name, kind, outcome).then_some(())
    }
}

/// Open a workbook from its bytes (format by `path`'s extension), let the
/// visitor pick among its sheet names, and hand it each chosen sheet as
/// rows, or the reader's error. `.xls`/`.ods` grids over `--max-grid-cells`
/// are refused before they are built. `Err` when the file cannot be opened.
pub fn visit_sheets(
    path: &str,
    bytes: &[u8],
    limits: Limits,
    visitor: &mut dyn SheetVisitor,
) -> Result<(), FileError> {
    let ext = path.rsplit('.').next().unwrap_or_default().to_ascii_lowercase();
    super::container::check(&ext, bytes, limits.unpacked_bytes)?;
    let mut budget = Budget::new(limits);
    // The cell readers of .xlsx and .xlsb have the same shape but no trait.
    macro_rules! stream {
        ($ty:ty, $label:expr) => {{
            let mut wb: $ty =
                open_workbook_from_rs(Cursor::new(bytes)).map_err(|e| Classify::unopenable(&e, $label))?;
            for name in visitor.pick(&wb.sheet_names()) {
                let stop = match wb.worksheet_cells_reader(&name) {
                    Ok(mut reader) => {
                        let next = || {
                            reader
                                .next_cell()
                                .map(|c| {
                                    c.map(|c| {
                                        let (r, col) = c.get_position();
                                        (r, col, data_ref_to_raw(c.get_value().clone()))
                                    })
                                })
                                .map_err(|e| ReaderError::of(&e))
                        };
                        let mut rows = CellRows::new(next, &mut budget);
                        visitor.sheet(&name, Ok(&mut rows))
                    }
                    Err(e) => visitor.sheet(&name, Err(ReaderError::of(&e))),
                };
                if stop.is_some() {
                    break;
                }
            }
            Ok(())
        }};
    }
    macro_rules! dense {
        ($ty:ty, $label:expr) => {{
            let mut wb: $ty =
                open_workbook_from_rs(Cursor::new(bytes)).map_err(|e| Classify::unopenable(&e, $label))?;
            for name in visitor.pick(&wb.sheet_names()) {
                let range: Result<Range<Data>, _> = wb.worksheet_range(&name);
                let stop = match range {
                    Ok(range) => {
                        let mut rows = GridRows::new(&range, &mut budget);
                        visitor.sheet(&name, Ok(&mut rows))
                    }
                    Err(e) => visitor.sheet(&name, Err(ReaderError::of(&e))),
                };
                if stop.is_some() {
                    break;
                }
            }
            Ok(())
        }};
    }
    match ext.as_str() {
        "xlsx" | "xlsm" => stream!(Xlsx<_>, Format::Xlsx),
        "xlsb" => stream!(Xlsb<_>, Format::Xlsb),
        "xls" => {
            grid_check(extent::xls(bytes), limits)?;
            dense!(Xls<_>, Format::Xls)
        }
        "ods" => {
            grid_check(extent::ods(bytes), limits)?;
            dense!(Ods<_>, Format::Ods)
        }
        other => Err(FileError::Extension(other.to_string())),
    }
}

/// A dense format's sheet measured over `--max-grid-cells` is refused
/// before its grid is built.
fn grid_check(measured: Option<extent::Extent>, limits: Limits) -> Result<(), FileError> {
    match measured {
        Some(e) if e.cells > limits.grid_cells => Err(ReadError::GridTooLarge {
            rows: e.rows,
            cols: e.cols,
            cells: e.cells,
            limit: limits.grid_cells,
        }
        .into()),
        _ => Ok(()),
    }
}

fn normalized_name(name: &str) -> String {
    crate::normalize::compact(name)
}

/// The state of one file's read: where rows go and the sheets done so far.
struct Run<'a, 'o> {
    file: &'a InputFile,
    out: &'o mut dyn FileOutput,
    sheets: &'a mut Vec<SheetSummary>,
    /// The sheets chosen, by kind.
    chosen: Vec<(String, SheetKind)>,
    /// No sheet fits the folder: the file is rejected.
    no_sheet: bool,
}

impl Run<'_, '_> {
    /// The sheets to read, by kind, in workbook order; the others are noted
    /// as ignored. `None` (file rejected, problem sent) when none fits.
    fn choose(&mut self, names: &[String]) -> Option<Vec<(String, SheetKind)>> {
        let (kinds, fallback) = self.file.folder.sheet_kinds();
        let mut chosen: Vec<(usize, SheetKind)> = Vec::new();
        for kind in kinds {
            if let Some(i) = names.iter().position(|n| normalized_name(n) == kind.sheet_name()) {
                chosen.push((i, *kind));
            }
        }
        if let Some(kind) = fallback {
            if !chosen.iter().any(|(_, k)| *k == kind) {
                // First-sheet fallback: the first sheet not claimed by name
                // by another kind (a workbook whose first sheet is 金融支持
                // still has its annual data found on the next one).
                let claimed: Vec<usize> = chosen.iter().map(|(i, _)| *i).collect();
                if let Some(i) = (0..names.len()).find(|i| !claimed.contains(i)) {
                    chosen.push((i, kind));
                }
            }
        }
        chosen.sort_unstable();
        let problem = |level, sheet: String, raw: String, reason: String| {
            Problem::in_sheet(level, self.file.rel.clone(), sheet, raw, reason)
        };
        if chosen.is_empty() {
            let expected: Vec<&str> = kinds.iter().map(|k| k.sheet_name()).collect();
            self.out.problem(problem(
                Disposition::RejectedFile,
                String::new(),
                names.join(", "),
                format!(
                    "找不到名为 {} 的工作表 / no sheet named {} found",
                    expected.join("、"),
                    expected.join(" / ")
                ),
            ));
            return None;
        }
        for (i, name) in names.iter().enumerate() {
            // The template's own (hidden) schema sheet is part of it.
            if !chosen.iter().any(|(c, _)| *c == i) && name != SCHEMA_SHEET {
                self.out.problem(problem(
                    Disposition::Note,
                    name.clone(),
                    String::new(),
                    "不属于模板的工作表，已忽略 / sheet not part of the template; ignored".into(),
                ));
            }
        }
        Some(chosen.into_iter().map(|(i, k)| (names[i].clone(), k)).collect())
    }

    fn parse(&mut self, name: &str, kind: SheetKind, rows: &mut dyn RowSource) -> SheetOutcome {
        let ctx = SheetContext {
            path: &self.file.rel,
            sheet: name,
            kind,
            year: self.file.year,
        };
        parse_sheet(&ctx, rows, &mut *self.out)
    }

    /// A sheet the reader cannot open: rejected with the reader's words.
    fn unreadable(&mut self, name: &str, err: &ReaderError) -> SheetOutcome {
        self.out.problem(Problem::in_sheet(
            Disposition::RejectedSheet,
            self.file.rel.clone(),
            name.to_string(),
            String::new(),
            format!("工作表无法读取 / the sheet cannot be read: {err}"),
        ));
        SheetOutcome {
            rejected: true,
            ..SheetOutcome::default()
        }
    }

    /// Account for one sheet; true when the file must stop being read.
    fn record(&mut self, name: &str, kind: SheetKind, mut outcome: SheetOutcome) -> bool {
        if outcome.rejected && outcome.accepted_rows > 0 {
            self.out.withdraw(Some(name));
            outcome.accepted_rows = 0;
        }
        self.sheets.push(SheetSummary {
            sheet: name.to_string(),
            table: super::model::SheetTable(kind.table()),
            header_row: outcome.header_row,
            data_rows: outcome.data_rows,
            accepted_rows: outcome.accepted_rows,
            rejected_rows: outcome.rejected_rows,
            rejected: outcome.rejected,
            file_rejected: outcome.file_rejected,
        });
        outcome.stop
    }

    fn file_rejected(&self) -> bool {
        self.sheets.iter().any(|s| s.file_rejected)
    }
}

/// A workbook's sheet names, no sheet read.
struct SheetNames(Vec<String>);

impl SheetVisitor for SheetNames {
    fn pick(&mut self, names: &[String]) -> Vec<String> {
        self.0 = names.to_vec();
        Vec::new()
    }

    fn sheet(&mut self, _: &str, _: Result<&mut dyn RowSource, ReaderError>) -> Option<()> {
        None
    }
}

/// The folder a workbook checked outside an inputs tree belongs in, told
/// by its sheet names (read through the same door as every sheet, so an
/// `.xls`/`.ods` grid over the limits is never built here either).
pub fn guess_folder(abs: &std::path::Path, limits: Limits) -> FolderKind {
    let mut names = SheetNames(Vec::new());
    if let Ok(bytes) = std::fs::read(abs) {
        let _ = visit_sheets(&abs.to_string_lossy(), &bytes, limits, &mut names);
    }
    let has = |n: &str| names.0.iter().any(|s| s.trim() == n);
    if has(SheetKind::Events.sheet_name()) {
        FolderKind::Committees
    } else if FolderKind::Reference
        .sheet_kinds()
        .0
        .iter()
        .any(|k| has(k.sheet_name()))
    {
        FolderKind::Reference
    } else {
        FolderKind::Companies
    }
}
