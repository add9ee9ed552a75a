//! `check --annotate DIR`: a copy of each workbook that has problems, with
//! every offending cell filled red and its reason as a cell comment (note),
//! so a submitter sees in Excel exactly what to fix. Problems without a cell
//! (a damaged file, a missing column) go on the sheet's A1 note.
//!
//! The copy holds values (a formula becomes its cached value) and is always
//! `.xlsx`, whatever the original format.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result};
use calamine::{open_workbook_auto, Data, Reader};
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Note, Workbook};

use crate::emit::write_atomic;
use crate::ingest::{Level, Problem};

/// Parse an A1 reference into 0-based (row, column).
pub fn parse_a1(cell: &str) -> Option<(u32, u16)> {
    let letters: String = cell.chars().take_while(|c| c.is_ascii_alphabetic()).collect();
    let row: u32 = cell[letters.len()..].parse().ok()?;
    if letters.is_empty() || row == 0 {
        return None;
    }
    let col = letters.bytes().fold(0u32, |acc, b| {
        acc * 26 + (b.to_ascii_uppercase() - b'A' + 1) as u32
    });
    Some((row - 1, u16::try_from(col - 1).ok()?))
}

/// Write annotated copies of the files named in `problems` into `out_dir`,
/// keeping their relative paths. `source` maps a problem's path to the file
/// on disk. Returns the number of copies written.
pub fn annotate(
    problems: &[Problem],
    source: impl Fn(&str) -> std::path::PathBuf,
    out_dir: &Path,
) -> Result<usize> {
    let mut by_file: BTreeMap<&str, Vec<&Problem>> = BTreeMap::new();
    for p in problems {
        if matches!(p.level, Level::File | Level::Sheet | Level::Row | Level::Cell) {
            by_file.entry(p.path.as_str()).or_default().push(p);
        }
    }
    let mut written = 0;
    for (path, problems) in by_file {
        let src = source(path);
        let Ok(mut wb) = open_workbook_auto(&src) else {
            // Unreadable (damaged, empty): nothing to copy; `check` lists it.
            continue;
        };
        let mut out = Workbook::new();
        let fixed = ExcelDateTime::from_ymd(2000, 1, 1)?;
        out.set_properties(&DocProperties::new().set_creation_datetime(&fixed));
        let bad = Format::new()
            .set_background_color("#FFC7CE")
            .set_font_color("#9C0006");
        let date = Format::new().set_num_format("yyyy-mm-dd");
        for name in wb.sheet_names() {
            let ws = out.add_worksheet();
            ws.set_name(&name)?;
            let Ok(range) = wb.worksheet_range(&name) else {
                continue;
            };
            let mut notes: BTreeMap<(u32, u16), Vec<String>> = BTreeMap::new();
            for p in problems.iter().filter(|p| p.sheet == name || p.sheet.is_empty()) {
                let at = parse_a1(&p.cell).unwrap_or((0, 0));
                notes
                    .entry(at)
                    .or_default()
                    .push(format!("[{}] {}", p.level.label(), p.reason));
            }
            if let Some((r0, c0)) = range.start() {
                for (r, row) in range.rows().enumerate() {
                    for (c, cell) in row.iter().enumerate() {
                        let (r, c) = (r0 + r as u32, (c0 as usize + c) as u16);
                        let highlight = notes.contains_key(&(r, c));
                        let fmt = if highlight { Some(&bad) } else { None };
                        let plain = Format::new();
                        match (cell, fmt) {
                            (Data::Empty, None) => continue,
                            (Data::Empty, Some(f)) => ws.write_blank(r, c, f)?,
                            (Data::String(s), f) => {
                                ws.write_string_with_format(r, c, s, f.unwrap_or(&plain))?
                            }
                            (Data::Float(v), f) => {
                                ws.write_number_with_format(r, c, *v, f.unwrap_or(&plain))?
                            }
                            (Data::Int(v), f) => {
                                ws.write_number_with_format(r, c, *v as f64, f.unwrap_or(&plain))?
                            }
                            (Data::Bool(b), f) => {
                                ws.write_boolean_with_format(r, c, *b, f.unwrap_or(&plain))?
                            }
                            (Data::DateTime(d), f) => {
                                ws.write_number_with_format(r, c, d.as_f64(), f.unwrap_or(&date))?
                            }
                            (other, f) => {
                                ws.write_string_with_format(r, c, other.to_string(), f.unwrap_or(&plain))?
                            }
                        };
                    }
                }
            }
            for ((r, c), reasons) in &notes {
                let note = Note::new(reasons.join("\n"))
                    .set_author("chamberstat check")
                    .set_width(360);
                ws.insert_note(*r, *c, &note)?;
            }
        }
        let target = out_dir.join(path).with_extension("xlsx");
        let bytes = out
            .save_to_buffer()
            .with_context(|| format!("cannot build the annotated copy of {path}"))?;
        write_atomic(&target, &bytes)?;
        written += 1;
    }
    Ok(written)
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
    }
}
