//! `chamberstat template`: the blank submission workbooks, written from the
//! same schema the reader uses (`contract::schema`), so the form a member
//! fills in and the contract the night run checks cannot drift apart.
//!
//! Each sheet has a title row, a 填报说明 row that states the money unit
//! once (`单位：万元`, which the reader takes as the column unit), the header
//! row with the exact labels, then data rows with Excel's own checks: drop-
//! downs for every closed list (会员级别, the 15 专委会, 活动类型, 类型, 是/否),
//! number and date limits, an 18-character credit code, and an input
//! message on each column saying what it wants. The header is frozen and
//! the sheet protected (data cells unlocked), and a hidden sheet records
//! the schema version. `--prefill` writes one company workbook per member
//! of the year with 统一社会信用代码 and 企业名称 filled in, ready to mail.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use chrono::{Datelike, NaiveDate};
use rust_xlsxwriter::{
    DataValidation, DataValidationErrorStyle, DataValidationRule, ExcelDateTime, Format, ProtectionOptions,
    Workbook, Worksheet,
};
use serde::Serialize;

use crate::config::Config;
use crate::contract::schema::{Column, FieldType, SheetKind};
use crate::ingest::SCHEMA_SHEET;
use crate::util::book;

/// Bumped with the input contract; written into every template.
pub const TEMPLATE_VERSION: &str = "2026.11";

/// Data rows carrying the checks (rows beyond still load; Excel just does
/// not check them).
const DATA_ROWS: u32 = 500;
/// 0-based rows: title, 填报说明, header.
const NOTE_ROW: u32 = 1;
const HEADER_ROW: u32 = 2;

/// A value placed in a template's data rows (prefill, or a test filling a
/// template as a member would).
#[derive(Debug, Clone, PartialEq)]
pub enum Fill {
    Text(String),
    Number(f64),
    Date(NaiveDate),
}

/// The three workbooks, by the folder they go back into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// `<year>/companies/`: 年度数据, 金融支持.
    Company,
    /// `<year>/committees/`: 活动.
    Committee,
    /// `reference/` (the secretariat's): 会员名册, 银会合作, 区域合作, 期初累计.
    Reference,
}

impl Form {
    pub const ALL: [Form; 3] = [Form::Company, Form::Committee, Form::Reference];

    pub fn sheets(self) -> &'static [SheetKind] {
        match self {
            Form::Company => &[SheetKind::CompanyAnnual, SheetKind::Financing],
            Form::Committee => &[SheetKind::Events],
            Form::Reference => &[
                SheetKind::Members,
                SheetKind::BankAgreements,
                SheetKind::DistrictAgreements,
                SheetKind::OpeningBalances,
                SheetKind::Ledger,
            ],
        }
    }

    pub fn file_name(self, year: i32) -> String {
        match self {
            Form::Company => format!("企业报送模板_{year}.xlsx"),
            Form::Committee => format!("专委会报送模板_{year}.xlsx"),
            Form::Reference => "参考资料模板.xlsx".to_string(),
        }
    }

    fn title(self, kind: SheetKind, year: i32) -> String {
        match self {
            Form::Reference => format!("{}（秘书处维护）", kind.sheet_name()),
            _ => format!("{year} 年度报送表：{}", kind.sheet_name()),
        }
    }
}

/// The money unit a sheet's 填报说明 states (the reader applies it to every
/// money column without a unit of its own).
fn sheet_unit(kind: SheetKind) -> &'static str {
    match kind {
        SheetKind::BankAgreements => "亿元",
        _ => "万元",
    }
}

fn has_money(kind: SheetKind) -> bool {
    kind.columns()
        .iter()
        .any(|c| matches!(c.ty, FieldType::Money { .. }))
}

/// The 填报说明 row of a sheet.
fn instructions(kind: SheetKind, year: i32) -> String {
    let mut parts = vec![format!("填报说明：{} 年度数据", year)];
    if has_money(kind) {
        parts.push(format!("金额单位：{}", sheet_unit(kind)));
    }
    parts.push("日期写作 2025-03-01".into());
    parts.push("带下拉箭头的列请从列表中选择".into());
    parts.push("标 * 的列必填".into());
    parts.push("每行一条记录，请勿修改表头".into());
    if kind == SheetKind::Events {
        parts.push("同一活动只填一次".into());
    }
    parts.join("；") + "。"
}

/// What a column wants, for its input message (Excel allows 255 characters).
fn column_help(c: &Column, kind: SheetKind, year: i32) -> String {
    let need = if c.required { "必填。" } else { "选填。" };
    let what = match c.ty {
        FieldType::Text => "文字。".to_string(),
        FieldType::CreditCode => "18 位统一社会信用代码（数字和大写字母）。".to_string(),
        FieldType::Money { signed: false } => format!("金额，单位：{}，不小于 0。", sheet_unit(kind)),
        FieldType::Money { signed: true } => format!("金额，单位：{}，亏损填负数。", sheet_unit(kind)),
        FieldType::Whole => "不小于 0 的整数。".to_string(),
        FieldType::YesNo => "从下拉列表选择 是 或 否。".to_string(),
        FieldType::Date => "日期，例如 2025-03-01。".to_string(),
        FieldType::DateInYear => format!("{year} 年内的日期，例如 {year}-06-30。"),
        FieldType::YearEnd => "某年 12 月 31 日，例如 2021-12-31。".to_string(),
        FieldType::OneOf(_) | FieldType::Committee | FieldType::Metric(_) => "从下拉列表选择。".to_string(),
        FieldType::EventKind => "从下拉列表选择；其他类型选“其他”。".to_string(),
        FieldType::Number => "数字，可写 2万、1.5亿。".to_string(),
        FieldType::Year => "四位数年度，如 2024；留空表示各年通用。".to_string(),
        FieldType::FactCode => "材料模板中用的名称：字母、汉字、数字或下划线，不以数字开头。".to_string(),
    };
    format!("{need}{what}")
}

/// The drop-down list of a closed column.
fn list_of(ty: FieldType) -> Option<Vec<&'static str>> {
    use crate::contract::schema::{COMMITTEES, EVENT_KINDS};
    match ty {
        FieldType::OneOf(list) => Some(list.to_vec()),
        FieldType::Committee => Some(COMMITTEES.to_vec()),
        FieldType::EventKind => Some(EVENT_KINDS.to_vec()),
        FieldType::YesNo => Some(vec!["是", "否"]),
        FieldType::Metric(list) => Some(list.iter().map(|(_, label)| *label).collect()),
        _ => None,
    }
}

fn excel_date(d: NaiveDate) -> Result<ExcelDateTime> {
    Ok(ExcelDateTime::from_ymd(
        d.year() as u16,
        d.month() as u8,
        d.day() as u8,
    )?)
}

/// Excel's check for one column.
fn validation(c: &Column, kind: SheetKind, year: i32) -> Result<DataValidation> {
    let date = |y, m, d| excel_date(NaiveDate::from_ymd_opt(y, m, d).expect("a valid date"));
    let v = DataValidation::new();
    let v = match (c.ty, list_of(c.ty)) {
        (_, Some(list)) => v.allow_list_strings(&list)?,
        (FieldType::CreditCode, _) => v.allow_text_length(DataValidationRule::EqualTo(18)),
        (FieldType::Money { signed: false }, _) => {
            v.allow_decimal_number(DataValidationRule::GreaterThanOrEqualTo(0.0))
        }
        (FieldType::Money { signed: true }, _) => {
            v.allow_decimal_number(DataValidationRule::Between(-1e15, 1e15))
        }
        (FieldType::Whole, _) => v.allow_whole_number(DataValidationRule::GreaterThanOrEqualTo(0)),
        (FieldType::Year, _) => v.allow_whole_number(DataValidationRule::Between(1900, 2100)),
        (FieldType::DateInYear, _) => v.allow_date(DataValidationRule::Between(
            date(year, 1, 1)?,
            date(year, 12, 31)?,
        )),
        (FieldType::Date | FieldType::YearEnd, _) => v.allow_date(DataValidationRule::Between(
            date(1949, 10, 1)?,
            date(2100, 12, 31)?,
        )),
        _ => v.allow_any_value(),
    };
    let title: String = c.label.chars().take(32).collect();
    let v = v
        .set_input_title(title)?
        .set_input_message(column_help(c, kind, year))?
        .set_error_title("填写有误")?
        .set_error_message(format!("{}：{}", c.label, column_help(c, kind, year)))?;
    // 活动类型 outside the list is counted as 其他 by the contract: warn, let it in.
    Ok(match c.ty {
        FieldType::EventKind => v.set_error_style(DataValidationErrorStyle::Warning),
        _ => v,
    })
}

/// The number format of a column's data cells.
fn cell_format(c: &Column) -> Format {
    let f = book::format().set_unlocked();
    match c.ty {
        FieldType::Money { .. } => f.set_num_format("#,##0.00"),
        FieldType::Whole | FieldType::Year => f.set_num_format("0"),
        FieldType::Date | FieldType::DateInYear | FieldType::YearEnd => f.set_num_format("yyyy-mm-dd"),
        // Text, so Excel keeps a code's letters and leading zeros as typed.
        _ => f.set_num_format("@"),
    }
}

/// The header label: a `*` marks a required column. The reader strips it
/// (it is not part of the label) — see `normalize::header_label`.
fn header_text(c: &Column) -> String {
    if c.required {
        format!("{}*", c.label)
    } else {
        c.label.to_string()
    }
}

fn write_sheet(
    wb: &mut Workbook,
    form: Form,
    kind: SheetKind,
    year: i32,
    rows: &[Vec<Option<Fill>>],
) -> Result<()> {
    let f = book::Formats::new();
    let ws = wb.add_worksheet();
    ws.set_name(kind.sheet_name())?;
    let columns = kind.columns();
    let last = columns.len() as u16 - 1;
    ws.merge_range(0, 0, 0, last, &form.title(kind, year), &f.title)?;
    ws.merge_range(
        NOTE_ROW,
        0,
        NOTE_ROW,
        last,
        &instructions(kind, year),
        &f.note.clone().set_text_wrap(),
    )?;
    ws.set_row_height(NOTE_ROW, 32)?;
    let data = HEADER_ROW + 1..=HEADER_ROW + DATA_ROWS;
    for (i, c) in columns.iter().enumerate() {
        let col = i as u16;
        ws.write_string_with_format(HEADER_ROW, col, header_text(c), &f.header)?;
        let width = book::text_width(&header_text(c)).max(match c.ty {
            FieldType::CreditCode => 22.0,
            FieldType::Date | FieldType::DateInYear | FieldType::YearEnd => 12.0,
            FieldType::Money { .. } => 16.0,
            FieldType::Committee => 18.0,
            _ => 10.0,
        }) + 2.0;
        ws.set_column_width(col, width)?;
        // The whole column's format (unlocked, number or date format): the
        // header cells above carry their own, locked one.
        ws.set_column_format(col, &cell_format(c))?;
        ws.add_data_validation(*data.start(), col, *data.end(), col, &validation(c, kind, year)?)?;
    }
    for (r, row) in rows.iter().enumerate() {
        let r = HEADER_ROW + 1 + r as u32;
        for (i, (value, c)) in row.iter().zip(columns).enumerate() {
            write_fill(ws, r, i as u16, value.as_ref(), &cell_format(c))?;
        }
    }
    ws.set_row_height(HEADER_ROW, 30)?;
    ws.set_freeze_panes(HEADER_ROW + 1, 0)?;
    book::print_setup(ws, HEADER_ROW)?;
    // Locked header, open data cells: the labels the reader matches stay
    // as written; a member may still add rows and sort.
    let options = ProtectionOptions {
        insert_rows: true,
        delete_rows: true,
        format_columns: true,
        sort: true,
        use_autofilter: true,
        ..ProtectionOptions::default()
    };
    ws.protect_with_options(&options);
    Ok(())
}

fn write_fill(ws: &mut Worksheet, r: u32, c: u16, value: Option<&Fill>, fmt: &Format) -> Result<()> {
    match value {
        None => ws.write_blank(r, c, fmt)?,
        Some(Fill::Text(t)) => ws.write_string_with_format(r, c, t, fmt)?,
        Some(Fill::Number(n)) => ws.write_number_with_format(r, c, *n, fmt)?,
        Some(Fill::Date(d)) => ws.write_datetime_with_format(r, c, excel_date(*d)?, fmt)?,
    };
    Ok(())
}

/// The hidden sheet naming the template and schema version, so a returned
/// file says which form it was filled from.
fn write_schema_sheet(wb: &mut Workbook, form: Form, year: i32) -> Result<()> {
    let ws = wb.add_worksheet();
    ws.set_name(SCHEMA_SHEET)?;
    let rows: [(&str, String); 4] = [
        ("template_version", TEMPLATE_VERSION.to_string()),
        (
            "program",
            concat!("chamberstat ", env!("CARGO_PKG_VERSION")).to_string(),
        ),
        ("form", format!("{form:?}")),
        ("year", year.to_string()),
    ];
    for (r, (k, v)) in rows.iter().enumerate() {
        ws.write_string(r as u32, 0, *k)?;
        ws.write_string(r as u32, 1, v)?;
    }
    ws.set_hidden(true);
    Ok(())
}

/// One form as bytes, with `fills` (per sheet, in `form.sheets()` order) in
/// its first data rows.
pub fn render(form: Form, year: i32, fills: &[Vec<Vec<Option<Fill>>>]) -> Result<Vec<u8>> {
    let mut wb = book::workbook(&form.file_name(year))?;
    for (i, kind) in form.sheets().iter().enumerate() {
        let rows = fills.get(i).map(Vec::as_slice).unwrap_or_default();
        write_sheet(&mut wb, form, *kind, year, rows)
            .with_context(|| format!("sheet {}", kind.sheet_name()))?;
    }
    write_schema_sheet(&mut wb, form, year)?;
    Ok(wb.save_to_buffer()?)
}

/// What `template` wrote.
#[derive(Debug, Clone, Serialize)]
pub struct TemplateReport {
    pub year: i32,
    pub files: Vec<PathBuf>,
}

/// A file name safe on Windows and Unix from a company name.
fn safe_name(s: &str) -> String {
    s.chars()
        .map(|c| {
            if "/\\:*?\"<>|".contains(c) || c.is_control() {
                '_'
            } else {
                c
            }
        })
        .collect::<String>()
        .trim()
        .to_string()
}

/// Write the three blank forms into `out`; with `members`, also one
/// prefilled company form each, under `out/<year>/`.
pub fn write_templates(
    out: &Path,
    year: i32,
    members: Option<&[(String, String)]>,
) -> Result<TemplateReport> {
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let mut files = Vec::new();
    for form in Form::ALL {
        let path = out.join(form.file_name(year));
        crate::util::fs::write_atomic(&path, &render(form, year, &[])?)?;
        files.push(path);
    }
    if let Some(members) = members {
        use rayon::prelude::*;
        let dir = out.join(year.to_string());
        let written = members
            .par_iter()
            .map(|(code, name)| {
                let row = vec![Some(Fill::Text(code.clone())), Some(Fill::Text(name.clone()))];
                let bytes = render(Form::Company, year, &[vec![row]])?;
                let path = dir.join(format!("{}_{}.xlsx", code, safe_name(name)));
                crate::util::fs::write_atomic(&path, &bytes)?;
                Ok(path)
            })
            .collect::<Result<Vec<_>>>()?;
        files.extend(written);
    }
    Ok(TemplateReport { year, files })
}

/// The year a form is for when none is given: the year being reported on
/// is the one ending (from July on) or just ended (before July).
fn default_year() -> i32 {
    let today = chrono::Local::now().date_naive();
    if today.month() >= 7 {
        today.year()
    } else {
        today.year() - 1
    }
}

/// Members of `year` (code, name) by the registry in the inputs, through the
/// warehouse's own membership rule (`member_years` in 00_rules.sql), in a
/// temporary in-memory warehouse holding the reference workbooks only.
fn members_of(config: &Config, year: i32) -> Result<Vec<(String, String)>> {
    // The registry is all it takes: only the reference workbooks are read.
    let mut discovery = super::run::discover(&config.inputs)?;
    discovery
        .files
        .retain(|f| f.folder == crate::contract::schema::FolderKind::Reference);
    discovery.skipped.clear();
    let queries = crate::aggregate::load_queries(config.queries.as_deref())?;
    let (conn, _) = super::run::build_in_memory(config, discovery, &queries)?;
    // `years` holds only the year folders found; the registry answers for
    // any year asked.
    conn.execute(
        "INSERT INTO years SELECT ? WHERE ? NOT IN (SELECT year FROM years)",
        [year, year],
    )?;
    let mut stmt =
        conn.prepare("SELECT credit_code, name FROM member_years WHERE year = ? ORDER BY credit_code")?;
    let rows = stmt.query_map([year], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<duckdb::Result<Vec<_>>>()?)
}

/// The `template` command.
pub fn template(config: &Config, out: &Path, year: Option<i32>, prefill: bool) -> Result<TemplateReport> {
    let year = year.unwrap_or_else(default_year);
    let members = if prefill {
        let m = members_of(config, year)?;
        if m.is_empty() {
            anyhow::bail!(
                "no member of {year} in the registry under {} (reference/会员名册); nothing to prefill",
                config.inputs.display()
            );
        }
        Some(m)
    } else {
        None
    };
    let report = write_templates(out, year, members.as_deref())?;
    tracing::info!(year, files = report.files.len(), out = %out.display(), "templates written");
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_closed_list_fits_excels_255_character_limit() {
        for kind in SheetKind::ALL {
            for c in kind.columns() {
                if let Some(list) = list_of(c.ty) {
                    assert!(list.join(",").chars().count() <= 255, "{}", c.label);
                }
                assert!(validation(c, kind, 2024).is_ok(), "{}", c.label);
            }
        }
    }

    #[test]
    fn instructions_state_the_unit_the_reader_applies() {
        for kind in SheetKind::ALL {
            let text = instructions(kind, 2024);
            let unit = crate::normalize::unit_note(&text);
            assert_eq!(unit.is_some(), has_money(kind), "{kind:?}: {text}");
        }
    }

    #[test]
    fn file_names_from_company_names_are_safe() {
        assert_eq!(safe_name("甲/乙:公司*"), "甲_乙_公司_");
    }
}
