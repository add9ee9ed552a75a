//! `check --annotate DIR`: a copy of each workbook that has problems, with
//! every offending cell filled red and its reason as a cell comment (note),
//! so a submitter sees in Excel exactly what to fix. Problems without a cell
//! (a damaged file, a missing column) go on the sheet's A1 note.
//!
//! The copy holds values (a formula becomes its cached value) and is always
//! `.xlsx`, whatever the original format. Sheets are read as the run reads
//! them (streamed, within the same limits), copies are written only inside
//! DIR under the input's path made relative, never onto an input, and text
//! longer than a cell or note can hold is cut with `…`. Like every read of
//! a submission, each copy is made in a reader worker unless `--in-process`.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use anyhow::{bail, Context, Result};
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Note, Workbook, Worksheet};

use crate::ingest::error::ReaderError;
use crate::ingest::rows::{Limits, RowSource};
use crate::ingest::{
    pool, visit_sheets, AnnotateJob, Isolation, Job, JobReply, PathBytes, Problem, Reading, SheetVisitor,
};
use crate::normalize::Raw;
use crate::util::fs::write_atomic;

/// Excel's limit on the text of one cell.
const CELL_CHARS: usize = 32_767;
/// Room for the notes of one cell (Excel's comments hold less than cells).
const NOTE_CHARS: usize = 8_000;

/// Parse an A1 reference into 0-based (row, column) with rust_xlsxwriter's
/// conversion; `None` outside Excel's grid (a cell a copy cannot hold).
pub fn parse_a1(cell: &str) -> Option<(u32, u16)> {
    let letters = cell.chars().take_while(|c| c.is_ascii_uppercase()).count();
    let (col, row) = cell.split_at(letters);
    let row: u32 = row.parse().ok()?;
    if letters == 0 || letters > 3 || row == 0 {
        return None;
    }
    let col = rust_xlsxwriter::utility::column_name_to_number(col);
    (col <= 16_383).then_some((row - 1, col))
}

/// `text` cut to at most `max` characters, the last being `…` when cut.
pub fn truncate(text: &str, max: usize) -> String {
    match text.char_indices().nth(max.saturating_sub(1)) {
        Some((i, _)) if text[i..].chars().nth(1).is_some() => format!("{}…", &text[..i]),
        _ => text.to_string(),
    }
}

/// Where the copy of `path` goes: inside `out_dir`, under `path` with its
/// root, prefix, `.` and `..` parts dropped, as `.xlsx`.
pub fn copy_path(out_dir: &Path, path: &str) -> PathBuf {
    let relative: PathBuf = Path::new(path)
        .components()
        .filter_map(|c| match c {
            Component::Normal(part) => Some(part),
            _ => None,
        })
        .collect();
    out_dir.join(relative).with_extension("xlsx")
}

/// Write annotated copies of the files named in `problems` into `out_dir`,
/// keeping their relative paths. `source` maps a problem's path to the file
/// on disk. Returns the number of copies written. Refuses (an error, exit 2)
/// when a copy would land on an input file.
pub fn annotate(
    problems: &[Problem],
    source: impl Fn(&str) -> PathBuf,
    out_dir: &Path,
    reading: &Reading,
) -> Result<usize> {
    let mut by_file: BTreeMap<&str, Vec<&Problem>> = BTreeMap::new();
    for p in problems {
        if p.level.rejects() {
            by_file.entry(p.path.as_str()).or_default().push(p);
        }
    }
    let inputs: Vec<PathBuf> = by_file
        .keys()
        .filter_map(|p| std::fs::canonicalize(source(p)).ok())
        .collect();
    for path in by_file.keys() {
        let target = copy_path(out_dir, path);
        if std::fs::canonicalize(&target).is_ok_and(|t| inputs.contains(&t)) {
            bail!(
                "--annotate {} would overwrite the submitted file {}; choose a folder outside the inputs",
                out_dir.display(),
                target.display()
            );
        }
    }
    let written = match &reading.isolation {
        Isolation::InProcess => {
            let mut written = 0;
            for (path, problems) in &by_file {
                let problems: Vec<Problem> = problems.iter().map(|p| (*p).clone()).collect();
                written += usize::from(annotate_file(
                    &source(path),
                    path,
                    &problems,
                    out_dir,
                    reading.limits,
                )?);
            }
            written
        }
        Isolation::Workers(cfg) => {
            let jobs = by_file
                .iter()
                .map(|(path, problems)| {
                    Job::Annotate(AnnotateJob {
                        abs: PathBytes::of(&source(path)),
                        path: path.to_string(),
                        problems: problems.iter().map(|p| (*p).clone()).collect(),
                        dir: PathBytes::of(out_dir),
                    })
                })
                .collect();
            let mut written = 0;
            for ((path, _), reply) in by_file.iter().zip(pool::run_jobs(cfg, jobs)?) {
                match reply {
                    Ok(JobReply { ok: true, .. }) => written += 1,
                    Ok(JobReply { message, .. }) if !message.is_empty() => bail!("{message}"),
                    Ok(_) => {}
                    Err(reason) => tracing::warn!(file = %path, %reason, "no annotated copy"),
                }
            }
            written
        }
    };
    Ok(written)
}

/// Write the annotated copy of one workbook (`abs`, shown as `path`) with
/// its `problems`; false when it cannot be read (damaged, over a limit:
/// `check` lists why), an error when the copy cannot be written.
pub fn annotate_file(
    abs: &Path,
    path: &str,
    problems: &[Problem],
    out_dir: &Path,
    limits: Limits,
) -> Result<bool> {
    let Ok(bytes) = std::fs::read(abs) else {
        return Ok(false); // unreadable: nothing to copy; `check` lists it
    };
    let mut copy = Copy::new(problems.iter().collect())?;
    if visit_sheets(path, &bytes, limits, &mut copy).is_err() || copy.failed.is_some() {
        return Ok(false);
    }
    let target = copy_path(out_dir, path);
    let bytes = copy
        .out
        .save_to_buffer()
        .with_context(|| format!("cannot build the annotated copy of {path}"))?;
    write_atomic(&target, &bytes)?;
    Ok(true)
}

/// The annotated copy of one workbook, built sheet by sheet.
struct Copy<'p> {
    problems: Vec<&'p Problem>,
    out: Workbook,
    failed: Option<String>,
}

impl<'p> Copy<'p> {
    fn new(problems: Vec<&'p Problem>) -> Result<Self> {
        let mut out = crate::util::book::new_workbook()?;
        let fixed = ExcelDateTime::from_ymd(2000, 1, 1)?;
        out.set_properties(&DocProperties::new().set_creation_datetime(&fixed));
        Ok(Copy {
            problems,
            out,
            failed: None,
        })
    }

    fn copy_sheet(&mut self, name: &str, rows: &mut dyn RowSource) -> Result<()> {
        let mut notes: BTreeMap<(u32, u16), Vec<String>> = BTreeMap::new();
        for p in self
            .problems
            .iter()
            .filter(|p| p.sheet == name || p.sheet.is_empty())
        {
            let at = parse_a1(&p.cell).unwrap_or((0, 0));
            notes
                .entry(at)
                .or_default()
                .push(format!("[{}] {}", p.level.label(), p.reason));
        }
        let ws = self.out.add_worksheet();
        ws.set_name(truncate(name, 31))?;
        let bad = Format::new()
            .set_background_color("#FFC7CE")
            .set_font_color("#9C0006");
        let mut highlighted = std::collections::HashSet::new();
        while let Some(row) = rows.next_row().map_err(|e| anyhow::anyhow!("{e}"))? {
            for (c, raw) in &row.cells {
                let Ok(c) = u16::try_from(*c) else { continue };
                let flagged = notes.contains_key(&(row.row, c));
                write(ws, row.row, c, raw, flagged.then_some(&bad))?;
                if flagged {
                    highlighted.insert((row.row, c));
                }
            }
        }
        for ((r, c), reasons) in &notes {
            let text = truncate(&reasons.join("\n"), NOTE_CHARS);
            let note = Note::new(text).set_author("chamberstat check").set_width(360);
            ws.insert_note(*r, *c, &note)?;
            // An empty offending cell (a missing value) is highlighted too.
            if !highlighted.contains(&(*r, *c)) {
                ws.write_blank(*r, *c, &bad)?;
            }
        }
        Ok(())
    }
}

/// One value into the copy: text always as text (never a formula), numbers
/// and dates as numbers, text cut to what a cell holds.
fn write(ws: &mut Worksheet, r: u32, c: u16, raw: &Raw, highlight: Option<&Format>) -> Result<()> {
    let plain = Format::new();
    let date = Format::new().set_num_format("yyyy-mm-dd");
    let f = highlight.unwrap_or(&plain);
    match raw {
        Raw::Empty => {
            if let Some(h) = highlight {
                ws.write_blank(r, c, h)?;
            }
        }
        Raw::Number(v) => {
            ws.write_number_with_format(r, c, *v, f)?;
        }
        Raw::Int(v) => {
            ws.write_number_with_format(r, c, *v as f64, f)?;
        }
        Raw::Bool(b) => {
            ws.write_boolean_with_format(r, c, *b, f)?;
        }
        Raw::Date(d) => {
            let excel = ExcelDateTime::parse_from_str(&d.format("%Y-%m-%dT%H:%M:%S").to_string())?;
            ws.write_datetime_with_format(r, c, &excel, highlight.unwrap_or(&date))?;
        }
        Raw::Text(_) | Raw::Error(_) => {
            ws.write_string_with_format(r, c, truncate(&raw.display(), CELL_CHARS), f)?;
        }
    }
    Ok(())
}

impl SheetVisitor for Copy<'_> {
    fn pick(&mut self, names: &[String]) -> Vec<String> {
        names.to_vec()
    }

    fn sheet(&mut self, name: &str, rows: Result<&mut dyn RowSource, ReaderError>) -> Option<()> {
        let result = match rows {
            Ok(rows) => self.copy_sheet(name, rows),
            Err(e) => Err(anyhow::anyhow!(e)),
        };
        match result {
            Ok(()) => None,
            Err(e) => {
                self.failed = Some(e.to_string());
                Some(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a1_references_parse_to_zero_based_positions() {
        assert_eq!(parse_a1("A1"), Some((0, 0)));
        assert_eq!(parse_a1("C12"), Some((11, 2)));
        assert_eq!(parse_a1("AA3"), Some((2, 26)));
        assert_eq!(parse_a1(""), None);
        assert_eq!(parse_a1("B0"), None);
        assert_eq!(parse_a1("XFD1048576"), Some((1_048_575, 16_383)));
        assert_eq!(parse_a1("XFE1"), None, "beyond Excel's last column");
    }

    #[test]
    fn copies_stay_inside_the_folder_whatever_the_input_path() {
        let out = Path::new("/tmp/notes");
        assert_eq!(
            copy_path(out, "/srv/in/2024/a.xls"),
            Path::new("/tmp/notes/srv/in/2024/a.xlsx")
        );
        assert_eq!(
            copy_path(out, "../../etc/passwd"),
            Path::new("/tmp/notes/etc/passwd.xlsx")
        );
        assert_eq!(
            copy_path(out, "2024/companies/./b.xlsx"),
            Path::new("/tmp/notes/2024/companies/b.xlsx")
        );
    }

    #[test]
    fn over_long_text_is_cut_with_an_ellipsis() {
        assert_eq!(truncate("abcdef", 4), "abc…");
        assert_eq!(truncate("abcd", 4), "abcd");
        assert_eq!(truncate("甲乙丙丁戊", 3), "甲乙…");
        assert_eq!(
            truncate(&"x".repeat(40_000), CELL_CHARS).chars().count(),
            CELL_CHARS
        );
    }
}
