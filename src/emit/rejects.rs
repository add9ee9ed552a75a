//! 问题清单, the call-back list: `rejects.xlsx` and `rejects.csv`.
//!
//! The secretariat phones senders from this list, so each problem names
//! its sender (企业名称 and 统一社会信用代码, or the 专委会), where it is
//! (file, sheet, A1 cell, raw text), what is wrong (in Chinese only) and
//! what happened to the data (处理结果). Rows are grouped by sender. The
//! English wording of each reason stays in a last column for the log and
//! for the developers. rejects.xlsx adds one sheet each for the rows the
//! business rules set aside without an error: superseded submissions, rows
//! of non-members and repeated events.
//!
//! The data come from the views of `queries/85_callback.sql`. rejects.csv
//! keeps the contract of outputs.md: every rejected file, sheet, row and
//! cell of the year, so it and the accepted rows account for every
//! non-empty input row.

use std::io::{BufWriter, Write};
use std::path::Path;

use anyhow::{Context as _, Result};
use duckdb::arrow::array::{Array, StringArray};
use duckdb::Connection;
use rust_xlsxwriter::{Workbook, Worksheet};

use super::exporter::{Body, Context, Exporter, Rendered};
use crate::util::book::{self, Formats};

pub const CSV_NAME: &str = "rejects.csv";
pub const XLSX_NAME: &str = "rejects.xlsx";

/// The columns of 问题清单 (and of rejects.csv).
pub const COLUMNS: [&str; 11] = [
    "报送单位",
    "统一社会信用代码",
    "数据行",
    "文件",
    "工作表",
    "单元格",
    "原始内容",
    "问题",
    "处理结果",
    "级别",
    "reason (English)",
];

/// The lists of rows the business rules set aside, as text rows: a line
/// per superseded file, per non-member (or per sheet of many), per
/// repeated event. The problem list, which one bad workbook can make
/// 200,000 lines long, is never held: it is written as it is read.
#[derive(Debug, Clone, Default)]
struct SetAside {
    superseded: Vec<Vec<String>>,
    non_members: Vec<Vec<String>>,
    duplicate_events: Vec<Vec<String>>,
}

/// Split a bilingual reason `中文 / English` into its two halves. The
/// separator is the first `/ ` followed by ASCII text (the English half
/// always starts with a letter, digit or quote); a reason without one is
/// Chinese only.
pub fn split_reason(reason: &str) -> (&str, &str) {
    let mut from = 0;
    while let Some(i) = reason[from..].find("/ ") {
        let at = from + i;
        let rest = &reason[at + 2..];
        if rest
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii() && !c.is_ascii_whitespace())
        {
            return (reason[..at].trim_end(), rest);
        }
        from = at + 2;
    }
    (reason, "")
}

/// The Chinese reason without the `<subject>: ` prefix the parser puts on
/// it (the subject has its own column here).
fn problem_text<'a>(zh: &'a str, subject: &str) -> &'a str {
    if subject.is_empty() {
        return zh;
    }
    zh.strip_prefix(subject)
        .and_then(|r| r.strip_prefix(": "))
        .unwrap_or(zh)
}

fn level_zh(level: &str) -> &'static str {
    match level {
        "file" => "文件",
        "sheet" => "工作表",
        "row" => "行",
        "cell" => "单元格",
        "skipped" => "跳过",
        _ => "其他",
    }
}

/// Column `i` of a call-back row as printed: NULL is an empty cell.
fn text(r: &duckdb::Row<'_>, i: usize) -> duckdb::Result<String> {
    Ok(r.get::<_, Option<String>>(i)?.unwrap_or_default())
}

fn strings(conn: &Connection, sql: &str, year: i32, width: usize) -> Result<Vec<Vec<String>>> {
    let mut stmt = conn
        .prepare(sql)
        .with_context(|| format!("call-back query failed: {sql}"))?;
    let rows = stmt.query_map([year], |r| (0..width).map(|i| text(r, i)).collect())?;
    Ok(rows.collect::<duckdb::Result<Vec<_>>>()?)
}

/// Hand each line of the problem list of `year` to `each`, in the list's
/// order, as its printed columns ([`COLUMNS`]).
///
/// The result is streamed a chunk at a time. Fetched as a whole, the
/// 200,000 problems of one bad workbook sat in DuckDB's result beside the
/// sort that ordered them: the run's peak was there.
fn for_each_problem(
    conn: &Connection,
    year: i32,
    mut each: impl FnMut(&[String]) -> Result<()>,
) -> Result<()> {
    let mut stmt = conn.prepare(
        "SELECT sender, credit_code, subject, path, sheet, cell, raw, reason, outcome, level
         FROM callback_list WHERE year = ?
         ORDER BY sender, credit_code, path, sheet, cell_row, length(cell_col), cell_col, level, reason, raw",
    )?;
    for batch in stmt.stream_arrow([year]).context("call-back query failed")? {
        let batch = batch.context("call-back query failed")?;
        let columns = batch
            .columns()
            .iter()
            .map(|c| {
                c.as_any()
                    .downcast_ref::<StringArray>()
                    .with_context(|| format!("a call-back column came as {}, not text", c.data_type()))
            })
            .collect::<Result<Vec<_>>>()?;
        for i in 0..batch.num_rows() {
            // NULL is an empty cell.
            let col = |c: usize| -> String {
                let a = columns[c];
                if a.is_null(i) {
                    String::new()
                } else {
                    a.value(i).to_string()
                }
            };
            let (subject, reason) = (col(2), col(7));
            let (zh, en) = split_reason(&reason);
            let problem = problem_text(zh, &subject).to_string();
            let line = [
                col(0),
                col(1),
                subject,
                col(3),
                col(4),
                col(5),
                col(6),
                problem,
                col(8),
                level_zh(&col(9)).to_string(),
                en.to_string(),
            ];
            each(&line)?;
        }
    }
    Ok(())
}

/// Read the lists of rows set aside by rule for `year`.
fn fetch_set_aside(conn: &Connection, year: i32) -> Result<SetAside> {
    let superseded = strings(
        conn,
        "SELECT sender, credit_code, path, CAST(reported_on AS VARCHAR), superseded_by,
                CAST(superseded_by_reported_on AS VARCHAR), '已采用较新报送，本文件数据未计入'
         FROM callback_superseded WHERE year = ? ORDER BY sender, credit_code, path",
        year,
        7,
    )?;
    let non_members = strings(
        conn,
        "SELECT sender, credit_code, sheet_kind, path, sheet, rows,
                '不是本年度会员，未计入合计'
         FROM callback_non_members WHERE year = ? ORDER BY sender, credit_code, path, sheet, first_row",
        year,
        7,
    )?;
    let duplicate_events = strings(
        conn,
        "SELECT sender, event, CAST(held_on AS VARCHAR), path, sheet, CAST(row_no AS VARCHAR),
                first_path, CAST(first_row_no AS VARCHAR), '重复报送的活动，只计一次'
         FROM callback_duplicate_events WHERE year = ? ORDER BY sender, held_on, event, path, row_no",
        year,
        9,
    )?;
    Ok(SetAside {
        superseded,
        non_members,
        duplicate_events,
    })
}

/// One sheet of the workbook: its name, title, header and the columns
/// written as whole numbers (row numbers).
struct Sheet<'a> {
    name: &'a str,
    title: String,
    header: &'a [&'a str],
    numeric: &'a [usize],
}

/// A sheet being written: title, header, then rows in order, each on to a
/// temporary file with its text inline (rust_xlsxwriter's constant-memory
/// mode), and at the end the filter, widths and print set-up. A long
/// call-back list has nearly every cell's text its own, so neither the
/// cells nor a shared-string table are held in memory.
struct SheetWriter<'w> {
    ws: &'w mut Worksheet,
    f: &'w Formats,
    numeric: &'w [usize],
    widths: Vec<f64>,
    next_row: u32,
}

/// The rows of a sheet start below its title and header.
const FIRST_ROW: u32 = 2;

impl<'w> SheetWriter<'w> {
    fn start(wb: &'w mut Workbook, f: &'w Formats, s: &Sheet<'w>) -> Result<Self> {
        let ws = wb.add_worksheet_with_constant_memory();
        ws.set_name(s.name)?;
        ws.write_string_with_format(0, 0, &s.title, &f.title)?;
        // A row's height is set while it is the row being written.
        ws.set_row_height(1, 30)?;
        for (c, h) in s.header.iter().enumerate() {
            ws.write_string_with_format(1, c as u16, *h, &f.header)?;
        }
        Ok(SheetWriter {
            ws,
            f,
            numeric: s.numeric,
            widths: s.header.iter().map(|h| book::text_width(h)).collect(),
            next_row: FIRST_ROW,
        })
    }

    fn row(&mut self, row: &[String]) -> Result<()> {
        let r = self.next_row;
        for (c, v) in row.iter().enumerate() {
            match v.parse::<f64>() {
                Ok(n) if self.numeric.contains(&c) => {
                    self.ws.write_number_with_format(r, c as u16, n, &self.f.count)?
                }
                // Text stays text: a credit code or "001" must not become a
                // number. Its format is the workbook's default (`f.text`
                // is that format), so the cell needs none: naming it makes
                // rust_xlsxwriter hash the format for every cell.
                _ => self.ws.write_string(r, c as u16, v)?,
            };
            self.widths[c] = self.widths[c].max(book::text_width(v));
        }
        self.next_row += 1;
        Ok(())
    }

    fn finish(self) -> Result<()> {
        let ws = self.ws;
        let columns = self.widths.len() as u16;
        if self.next_row == FIRST_ROW {
            ws.write_string_with_format(FIRST_ROW, 0, "（无）", &self.f.text)?;
        } else {
            ws.autofilter(FIRST_ROW - 1, 0, self.next_row - 1, columns - 1)?;
        }
        for (c, w) in self.widths.iter().enumerate() {
            ws.set_column_width(c as u16, (w + 2.0).min(60.0))?;
        }
        ws.set_freeze_panes(FIRST_ROW, 0)?;
        book::print_setup(ws, 1)?;
        Ok(())
    }
}

fn problems_sheet(year: i32) -> Sheet<'static> {
    Sheet {
        name: "问题清单",
        title: format!("{year} 年度报送问题清单（按报送单位）"),
        header: &COLUMNS,
        numeric: &[],
    }
}

/// The three sheets of rows set aside by rule, with their rows.
fn set_aside_sheets(year: i32, c: &SetAside) -> [(Sheet<'static>, &[Vec<String>]); 3] {
    [
        (
            Sheet {
                name: "被替代的报送",
                title: format!("{year} 年度被较新报送替代的文件"),
                header: &[
                    "报送单位",
                    "统一社会信用代码",
                    "被替代的文件",
                    "填报日期",
                    "采用的文件",
                    "采用文件的填报日期",
                    "处理结果",
                ],
                numeric: &[],
            },
            &c.superseded,
        ),
        (
            Sheet {
                name: "非会员数据",
                title: format!("{year} 年度非会员企业报送的数据行"),
                header: &[
                    "报送单位",
                    "统一社会信用代码",
                    "表格",
                    "文件",
                    "工作表",
                    "行",
                    "处理结果",
                ],
                numeric: &[5],
            },
            &c.non_members,
        ),
        (
            Sheet {
                name: "重复活动",
                title: format!("{year} 年度重复报送的活动"),
                header: &[
                    "专委会",
                    "活动名称",
                    "活动日期",
                    "文件",
                    "工作表",
                    "行",
                    "首次出现的文件",
                    "首次出现的行",
                    "处理结果",
                ],
                numeric: &[5, 7],
            },
            &c.duplicate_events,
        ),
    ]
}

/// rejects.csv (the problem list with a BOM, for Excel) and rejects.xlsx
/// (问题清单 plus the three lists of rows set aside by rule), each written
/// to a temporary file in `dir`: the problem list goes to both as it is
/// read, a line at a time.
fn write_files(conn: &Connection, year: i32, dir: &Path) -> Result<Rendered> {
    let f = Formats::new();
    let mut wb = book::workbook("问题清单")?;
    let csv_file = crate::util::fs::temp_file(dir)?;
    {
        let sheet = problems_sheet(year);
        let mut xlsx = SheetWriter::start(&mut wb, &f, &sheet)?;
        let mut csv = crate::util::csv::csv_writer(BufWriter::new(csv_file.as_file()), &COLUMNS, true)
            .with_context(|| format!("cannot write {CSV_NAME}"))?;
        for_each_problem(conn, year, |line| {
            crate::util::csv::csv_row(&mut csv, line).with_context(|| format!("cannot write {CSV_NAME}"))?;
            xlsx.row(line)
        })?;
        csv.flush().with_context(|| format!("cannot write {CSV_NAME}"))?;
        xlsx.finish()
            .with_context(|| format!("cannot write sheet {}", sheet.name))?;
    }
    let set_aside = fetch_set_aside(conn, year)?;
    for (sheet, rows) in set_aside_sheets(year, &set_aside) {
        let mut xlsx = SheetWriter::start(&mut wb, &f, &sheet)?;
        rows.iter()
            .try_for_each(|row| xlsx.row(row))
            .and_then(|()| xlsx.finish())
            .with_context(|| format!("cannot write sheet {}", sheet.name))?;
    }
    let mut xlsx_file = crate::util::fs::temp_file(dir)?;
    let mut out = BufWriter::new(xlsx_file.as_file_mut());
    wb.save_to_writer(&mut out)?;
    out.flush().with_context(|| format!("cannot write {XLSX_NAME}"))?;
    drop(out);
    Ok(vec![
        (CSV_NAME.into(), Body::Written(csv_file)),
        (XLSX_NAME.into(), Body::Written(xlsx_file)),
    ])
}

/// The exporter of the call-back list: rejects.csv and rejects.xlsx.
pub struct Rejects;

impl Exporter for Rejects {
    fn render(&self, cx: &Context) -> Result<Rendered> {
        write_files(cx.conn, cx.headline.year, cx.dir)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bilingual_reason_splits_at_the_slash_before_the_english_half() {
        let (zh, en) = split_reason(
            "纳税总额: 金额不能为负数，实际为 -51.39 / expected an amount of 0 or more, found -51.39",
        );
        assert_eq!(zh, "纳税总额: 金额不能为负数，实际为 -51.39");
        assert_eq!(en, "expected an amount of 0 or more, found -51.39");
        let (zh, en) = split_reason("文件为空（0 字节）/ the file is empty (0 bytes)");
        assert_eq!((zh, en), ("文件为空（0 字节）", "the file is empty (0 bytes)"));
        let (zh, en) = split_reason("统一社会信用代码: '9133' 校验码错误 / '9133' has check character '1'");
        assert_eq!(zh, "统一社会信用代码: '9133' 校验码错误");
        assert_eq!(en, "'9133' has check character '1'");
    }

    #[test]
    fn reason_without_english_half_is_kept_whole() {
        assert_eq!(split_reason("亿元/万元 不明"), ("亿元/万元 不明", ""));
    }

    #[test]
    fn subject_prefix_is_dropped_from_the_problem_text() {
        assert_eq!(
            problem_text("华源集团: 纳税总额: 负数", "华源集团"),
            "纳税总额: 负数"
        );
        assert_eq!(problem_text("纳税总额: 负数", "华源集团"), "纳税总额: 负数");
    }

    /// A warehouse of one year with no rows: the views the lists read.
    fn empty_year() -> Connection {
        let mut conn = crate::load::open_in_memory(crate::load::MemoryLimit::Bytes(256_000_000)).unwrap();
        conn.execute_batch("INSERT INTO years VALUES (2024);").unwrap();
        crate::aggregate::aggregate(&mut conn, &crate::aggregate::embedded_queries()).unwrap();
        conn
    }

    #[test]
    fn csv_carries_a_bom_and_chinese_headers() {
        let dir = tempfile::tempdir().unwrap();
        let files = write_files(&empty_year(), 2024, dir.path()).unwrap();
        let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, [CSV_NAME, XLSX_NAME]);
        let Body::Written(csv) = &files[0].1 else {
            panic!("rejects.csv is written as its rows are read")
        };
        let bytes = std::fs::read(csv.path()).unwrap();
        assert!(bytes.starts_with(crate::util::csv::BOM));
        assert_eq!(
            std::str::from_utf8(&bytes[3..]).unwrap(),
            format!("{}\n", COLUMNS.join(","))
        );
    }

    #[test]
    fn written_files_are_temporary_files_in_the_output_folder() {
        let dir = tempfile::tempdir().unwrap();
        let files = write_files(&empty_year(), 2024, dir.path()).unwrap();
        for (name, body) in &files {
            let Body::Written(tmp) = body else {
                panic!("{name} is written as its rows are read")
            };
            assert_eq!(tmp.path().parent(), Some(dir.path()), "{name}");
            let file_name = tmp.path().file_name().unwrap().to_string_lossy();
            // What a killed run leaves is cleared at the next one.
            assert!(file_name.starts_with(".tmp"), "{file_name}");
        }
        drop(files);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
