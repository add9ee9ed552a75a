//! `rejects.csv`: every rejected file, sheet, row and cell of the year, and
//! every skipped file, with path (relative to `--inputs`), sheet, A1 cell,
//! raw text and reason. Reference workbooks are valid for every year, so
//! their problems appear in every year's file.
//!
//! Text that came from a submission is neutralised so a spreadsheet opening
//! the file never executes it (OWASP's advice on CSV injection): a field
//! starting with `=`, `+`, `-`, `@`, tab or CR gets a leading `'`.

use crate::emit::{csv_row, neutralize};

pub const FILE_NAME: &str = "rejects.csv";

/// One line of rejects.csv.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RejectRow {
    pub level: String,
    pub path: String,
    pub sheet: String,
    pub cell: String,
    pub raw: String,
    pub reason: String,
}

/// Sort key of an A1 reference: row, then column (A < B < … < Z < AA).
fn cell_key(cell: &str) -> (u32, usize, String) {
    let letters: String = cell.chars().take_while(|c| c.is_ascii_alphabetic()).collect();
    let row = cell[letters.len()..].parse().unwrap_or(0);
    (row, letters.len(), letters)
}

pub fn render(rows: &[RejectRow]) -> Vec<u8> {
    let mut sorted: Vec<&RejectRow> = rows.iter().collect();
    sorted.sort_by(|a, b| {
        a.path
            .as_bytes()
            .cmp(b.path.as_bytes())
            .then_with(|| a.sheet.cmp(&b.sheet))
            .then_with(|| cell_key(&a.cell).cmp(&cell_key(&b.cell)))
            .then_with(|| a.level.cmp(&b.level))
            .then_with(|| a.reason.cmp(&b.reason))
            .then_with(|| a.raw.cmp(&b.raw))
    });
    let mut out = String::from("level,path,sheet,cell,raw,reason\n");
    for r in sorted {
        let fields = [
            r.level.clone(),
            neutralize(&r.path),
            neutralize(&r.sheet),
            r.cell.clone(),
            neutralize(&r.raw),
            neutralize(&r.reason),
        ];
        out.push_str(&csv_row(&fields));
    }
    out.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(path: &str, cell: &str, raw: &str) -> RejectRow {
        RejectRow {
            level: "row".into(),
            path: path.into(),
            sheet: "年度数据".into(),
            cell: cell.into(),
            raw: raw.into(),
            reason: "r".into(),
        }
    }

    #[test]
    fn formula_like_text_is_neutralised() {
        for s in [
            "=HYPERLINK(\"x\")",
            "+1+1",
            "-2+3",
            "@SUM(A1)",
            "\tx",
            "\rx",
            "-",
            "+",
        ] {
            assert!(neutralize(s).starts_with('\''), "{s:?}");
        }
        for s in ["华源集团", "-99.01", "+5", "-1,234.5", "12"] {
            assert_eq!(neutralize(s), s, "a plain number or text is left alone");
        }
        let text = String::from_utf8(render(&[row("a.xlsx", "B2", "=1+1")])).unwrap();
        assert!(text.contains(",'=1+1,"), "{text}");
    }

    #[test]
    fn rows_are_ordered_by_path_then_cell_in_sheet_order() {
        let text = String::from_utf8(render(&[
            row("b.xlsx", "A2", "x"),
            row("a.xlsx", "AA3", "x"),
            row("a.xlsx", "B10", "x"),
            row("a.xlsx", "C3", "x"),
        ]))
        .unwrap();
        let cells: Vec<&str> = text
            .lines()
            .skip(1)
            .map(|l| l.split(',').nth(3).unwrap())
            .collect();
        assert_eq!(cells, ["C3", "AA3", "B10", "A2"]);
    }

    #[test]
    fn fields_with_commas_and_quotes_are_quoted() {
        let text = String::from_utf8(render(&[row("a.xlsx", "A1", "1,234 \"x\"")])).unwrap();
        assert!(text.contains("\"1,234 \"\"x\"\"\""), "{text}");
    }
}
