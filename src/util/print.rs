//! The one printer of rows on standard output, for every command that
//! prints them (`check`, `explain`, `check --status`): a table for a
//! person, CSV or JSON for a script. The CSV is the program's one CSV
//! writer (`util::csv`), without the BOM that files for people carry.

use std::io::Write;

use anyhow::Result;
use serde::Serialize;

/// How a command prints what it found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// For a person at a terminal.
    #[default]
    Table,
    Csv,
    Json,
}

/// Rows under a header, every cell already text.
#[derive(Debug, Clone, Default)]
pub struct Rows {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Rows {
    pub fn new(header: &[&str]) -> Rows {
        Rows {
            header: header.iter().map(|h| h.to_string()).collect(),
            rows: Vec::new(),
        }
    }

    pub fn push(&mut self, row: Vec<String>) {
        debug_assert_eq!(row.len(), self.header.len(), "a row of {:?}", self.header);
        self.rows.push(row);
    }

    /// A row given by column name; the columns not named are empty.
    pub fn push_named(&mut self, cells: &[(&str, &str)]) {
        let mut row = vec![String::new(); self.header.len()];
        for (name, value) in cells {
            match self.header.iter().position(|h| h == name) {
                Some(at) => row[at] = value.to_string(),
                None => debug_assert!(false, "no column {name} in {:?}", self.header),
            }
        }
        self.rows.push(row);
    }

    /// Tab-separated, a tab or line break inside a cell printed as a space
    /// (one line per row, for `cut` and a terminal alike).
    pub fn write_tabs(&self, out: &mut impl Write) -> Result<()> {
        for line in std::iter::once(&self.header).chain(&self.rows) {
            let cells: Vec<String> = line.iter().map(|c| c.replace(['\n', '\t'], " ")).collect();
            writeln!(out, "{}", cells.join("\t"))?;
        }
        Ok(())
    }

    /// Columns padded to their widest cell as a terminal shows it (CJK
    /// characters count double), two spaces apart.
    pub fn write_aligned(&self, out: &mut impl Write) -> Result<()> {
        let width = |s: &str| crate::util::book::text_width(s) as usize;
        let widths: Vec<usize> = (0..self.header.len())
            .map(|c| {
                std::iter::once(&self.header)
                    .chain(&self.rows)
                    .map(|r| width(&r[c]))
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        for line in std::iter::once(&self.header).chain(&self.rows) {
            let padded: Vec<String> = line
                .iter()
                .zip(&widths)
                .map(|(s, w)| format!("{s}{}", " ".repeat(w.saturating_sub(width(s)))))
                .collect();
            writeln!(out, "{}", padded.join("  ").trim_end())?;
        }
        Ok(())
    }

    /// CSV with a header line and no BOM.
    pub fn write_csv(&self, out: &mut impl Write) -> Result<()> {
        let header: Vec<&str> = self.header.iter().map(String::as_str).collect();
        out.write_all(&crate::util::csv::csv_bytes(&header, &self.rows, false))?;
        Ok(())
    }

    /// One JSON object per row, keyed by the header.
    pub fn objects(&self) -> Vec<serde_json::Map<String, serde_json::Value>> {
        self.rows
            .iter()
            .map(|r| {
                self.header
                    .iter()
                    .cloned()
                    .zip(r.iter().map(|v| serde_json::Value::from(v.as_str())))
                    .collect()
            })
            .collect()
    }
}

/// Pretty JSON and a line break.
pub fn write_json(out: &mut impl Write, value: &impl Serialize) -> Result<()> {
    serde_json::to_writer_pretty(&mut *out, value)?;
    writeln!(out)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Rows {
        let mut r = Rows::new(&["名称", "n"]);
        r.push(vec!["甲公司".into(), "1".into()]);
        r.push(vec!["a\tb,c".into(), "22".into()]);
        r
    }

    fn printed(f: impl Fn(&Rows, &mut Vec<u8>) -> Result<()>) -> String {
        let mut out = Vec::new();
        f(&sample(), &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn a_row_by_name_leaves_the_other_columns_empty() {
        let mut rows = Rows::new(&["a", "b", "c"]);
        rows.push_named(&[("c", "3"), ("a", "1")]);
        assert_eq!(
            rows.rows,
            vec![vec!["1".to_string(), String::new(), "3".to_string()]]
        );
    }

    #[test]
    fn tabs_keep_one_line_per_row() {
        assert_eq!(printed(|r, o| r.write_tabs(o)), "名称\tn\n甲公司\t1\na b,c\t22\n");
    }

    #[test]
    fn aligned_columns_count_cjk_double() {
        assert_eq!(
            printed(|r, o| r.write_aligned(o)),
            "名称    n\n甲公司  1\na\tb,c   22\n"
        );
    }

    #[test]
    fn csv_quotes_what_needs_it_and_neutralises_formulas() {
        let mut rows = sample();
        rows.push(vec!["=1+1".into(), "-3".into()]);
        let mut out = Vec::new();
        rows.write_csv(&mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text, "名称,n\n甲公司,1\n\"a\tb,c\",22\n'=1+1,-3\n");
    }

    #[test]
    fn objects_are_keyed_by_the_header() {
        let json = serde_json::to_string(&sample().objects()).unwrap();
        // serde_json's maps keep their keys sorted.
        assert_eq!(json, r#"[{"n":"1","名称":"甲公司"},{"n":"22","名称":"a\tb,c"}]"#);
    }
}
