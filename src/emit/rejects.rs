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

use anyhow::{Context, Result};
use duckdb::Connection;

use super::book::{self, Formats};
use super::people_csv;

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

/// Every list of the call-back workbook for one year, as text rows.
#[derive(Debug, Clone, Default)]
pub struct Callback {
    pub problems: Vec<Vec<String>>,
    pub superseded: Vec<Vec<String>>,
    pub non_members: Vec<Vec<String>>,
    pub duplicate_events: Vec<Vec<String>>,
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

/// Read the call-back lists of `year` from the warehouse.
pub fn fetch(conn: &Connection, year: i32) -> Result<Callback> {
    // Each row is turned into its printed columns as it is read: a file
    // with a bad cell on each of 140,000 rows held the list twice.
    let mut stmt = conn.prepare(
        "SELECT sender, credit_code, subject, path, sheet, cell, raw, reason, outcome, level
         FROM callback_list WHERE year = ?
         ORDER BY sender, credit_code, path, sheet, cell_row, length(cell_col), cell_col, level, reason, raw",
    )?;
    let problems = stmt
        .query_map([year], |r| {
            let col = |i: usize| text(r, i);
            let (subject, reason) = (col(2)?, col(7)?);
            let (zh, en) = split_reason(&reason);
            let problem = problem_text(zh, &subject).to_string();
            Ok(vec![
                col(0)?,
                col(1)?,
                subject,
                col(3)?,
                col(4)?,
                col(5)?,
                col(6)?,
                problem,
                col(8)?,
                level_zh(&col(9)?).to_string(),
                en.to_string(),
            ])
        })?
        .collect::<duckdb::Result<Vec<_>>>()
        .context("call-back query failed")?;
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
    Ok(Callback {
        problems,
        superseded,
        non_members,
        duplicate_events,
    })
}

/// rejects.csv: the problem list with a BOM, for Excel.
pub fn csv(c: &Callback) -> Vec<u8> {
    people_csv(&COLUMNS, &c.problems)
}

/// One sheet of the workbook: title, header, rows, filter, frozen header.
struct Sheet<'a> {
    name: &'a str,
    title: String,
    header: &'a [&'a str],
    rows: &'a [Vec<String>],
    /// Columns written as whole numbers (row numbers).
    numeric: &'a [usize],
}

/// Rows go to the sheet in order and on to a temporary file, their text
/// inline (rust_xlsxwriter's constant-memory mode): with 139,830 problems
/// listed, nearly every cell's text its own, the run's peak was 588 MiB
/// while the workbook held every cell and then its XML, 385–398 MiB with
/// the rows on file but the text in the shared-string table, and 356 MiB
/// (and 1.4 s less) with the text inline.
fn write_sheet(wb: &mut rust_xlsxwriter::Workbook, f: &Formats, s: &Sheet) -> Result<()> {
    let ws = wb.add_worksheet_with_constant_memory();
    ws.set_name(s.name)?;
    ws.write_string_with_format(0, 0, &s.title, &f.title)?;
    // A row's height is set while it is the row being written.
    ws.set_row_height(1, 30)?;
    let mut widths: Vec<f64> = s.header.iter().map(|h| book::text_width(h)).collect();
    for (c, h) in s.header.iter().enumerate() {
        ws.write_string_with_format(1, c as u16, *h, &f.header)?;
    }
    for (r, row) in s.rows.iter().enumerate() {
        let r = r as u32 + 2;
        for (c, v) in row.iter().enumerate() {
            match v.parse::<f64>() {
                Ok(n) if s.numeric.contains(&c) => ws.write_number_with_format(r, c as u16, n, &f.count)?,
                // Text stays text: a credit code or "001" must not become a number.
                _ => ws.write_string_with_format(r, c as u16, v, &f.text)?,
            };
            widths[c] = widths[c].max(book::text_width(v));
        }
    }
    if s.rows.is_empty() {
        ws.write_string_with_format(2, 0, "（无）", &f.text)?;
    } else {
        ws.autofilter(1, 0, s.rows.len() as u32 + 1, s.header.len() as u16 - 1)?;
    }
    for (c, w) in widths.iter().enumerate() {
        ws.set_column_width(c as u16, (w + 2.0).min(60.0))?;
    }
    ws.set_freeze_panes(2, 0)?;
    book::print_setup(ws, 1)?;
    Ok(())
}

/// rejects.xlsx: 问题清单 plus the three lists of rows set aside by rule.
pub fn xlsx(c: &Callback, year: i32) -> Result<Vec<u8>> {
    let mut wb = book::workbook("问题清单")?;
    let f = Formats::new();
    let sheets = [
        Sheet {
            name: "问题清单",
            title: format!("{year} 年度报送问题清单（按报送单位）"),
            header: &COLUMNS,
            rows: &c.problems,
            numeric: &[],
        },
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
            rows: &c.superseded,
            numeric: &[],
        },
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
            rows: &c.non_members,
            numeric: &[5],
        },
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
            rows: &c.duplicate_events,
            numeric: &[5, 7],
        },
    ];
    for s in &sheets {
        write_sheet(&mut wb, &f, s).with_context(|| format!("cannot write sheet {}", s.name))?;
    }
    Ok(wb.save_to_buffer()?)
}

/// The exporter of the call-back list: rejects.csv and rejects.xlsx.
pub struct Rejects;

impl super::Exporter for Rejects {
    fn render(&self, cx: &super::Context) -> Result<Vec<(String, Vec<u8>)>> {
        let c = fetch(cx.conn, cx.headline.year)?;
        Ok(vec![
            (CSV_NAME.into(), csv(&c)),
            (XLSX_NAME.into(), xlsx(&c, cx.headline.year)?),
        ])
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

    #[test]
    fn csv_carries_a_bom_and_chinese_headers() {
        let bytes = csv(&Callback::default());
        assert!(bytes.starts_with(super::super::BOM));
        assert!(std::str::from_utf8(&bytes[3..])
            .unwrap()
            .starts_with("报送单位,统一社会信用代码"));
    }
}
