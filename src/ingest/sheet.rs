//! One sheet: find the header row, map columns, read the notes above the
//! header (money unit, committee), and normalise every data row.

use std::collections::HashMap;

use calamine::{Data, Range};

use super::cell::normalize_cell;
use super::schema::{SheetKind, COMMITTEES};
use super::{Level, Problem, Record, SourceCell, Value};
use crate::normalize::{committee_from_note, header_label, unit_note, CellError, MoneyUnit, Raw, UnitSource};

/// The header must be within the first rows of the sheet.
const HEADER_SEARCH_ROWS: u32 = 30;

pub struct SheetContext<'a> {
    pub path: &'a str,
    pub sheet: &'a str,
    pub kind: SheetKind,
    pub year: Option<i32>,
}

#[derive(Debug, Default)]
pub struct ParsedSheet {
    pub records: Vec<Record>,
    pub problems: Vec<Problem>,
    pub data_rows: u64,
    /// 1-based header row, when one was found.
    pub header_row: Option<u32>,
    /// The sheet (or, for an unknown committee, its file) was rejected.
    pub rejected: bool,
}

/// Column letters for a 0-based column index: 0 → A, 26 → AA.
pub fn col_letters(mut c: u32) -> String {
    let mut s = Vec::new();
    loop {
        s.push(b'A' + (c % 26) as u8);
        if c < 26 {
            break;
        }
        c = c / 26 - 1;
    }
    s.reverse();
    String::from_utf8(s).unwrap_or_default()
}

/// A1 reference for 0-based (row, column).
pub fn a1(row: u32, col: u32) -> String {
    format!("{}{}", col_letters(col), row + 1)
}

/// The row number of an A1 reference (0 when there is none).
pub fn row_of(cell: &str) -> u32 {
    cell.trim_start_matches(|c: char| c.is_ascii_alphabetic())
        .parse()
        .unwrap_or(0)
}

pub fn to_raw(d: &Data) -> Raw {
    match d {
        Data::Empty => Raw::Empty,
        Data::String(s) => Raw::Text(s.clone()),
        Data::Float(f) => Raw::Number(*f),
        Data::Int(i) => Raw::Int(*i),
        Data::Bool(b) => Raw::Bool(*b),
        Data::DateTime(dt) => match dt.as_datetime() {
            Some(v) if dt.is_datetime() => Raw::Date(v),
            _ => Raw::Number(dt.as_f64()),
        },
        Data::DateTimeIso(s) => chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S")
            .or_else(|_| {
                chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").map(|d| d.and_time(chrono::NaiveTime::MIN))
            })
            .map(Raw::Date)
            .unwrap_or_else(|_| Raw::Text(s.clone())),
        Data::DurationIso(s) => Raw::Text(s.clone()),
        Data::Error(e) => Raw::Error(e.to_string()),
    }
}

struct Grid<'r> {
    range: &'r Range<Data>,
    first_row: u32,
    first_col: u32,
    last_row: u32,
    last_col: u32,
}

impl<'r> Grid<'r> {
    fn new(range: &'r Range<Data>) -> Option<Self> {
        let (first_row, first_col) = range.start()?;
        let (last_row, last_col) = range.end()?;
        Some(Grid {
            range,
            first_row,
            first_col,
            last_row,
            last_col,
        })
    }

    fn get(&self, row: u32, col: u32) -> Raw {
        self.range.get_value((row, col)).map(to_raw).unwrap_or(Raw::Empty)
    }

    fn row_is_blank(&self, row: u32) -> bool {
        (self.first_col..=self.last_col).all(|c| self.get(row, c).is_blank())
    }
}

/// A mapped column: where it is and which unit applies to its money.
struct Mapped {
    col: u32,
    spec: usize,
    unit: (MoneyUnit, UnitSource),
}

pub fn parse_sheet(ctx: &SheetContext<'_>, range: &Range<Data>) -> ParsedSheet {
    let mut out = ParsedSheet::default();
    let problem = |level: Level, cell: String, raw: String, reason: String| Problem {
        level,
        path: ctx.path.to_string(),
        sheet: ctx.sheet.to_string(),
        cell,
        raw,
        reason,
    };
    let key = ctx.kind.key_label();
    let Some(grid) = Grid::new(range) else {
        out.problems.push(problem(
            Level::Sheet,
            String::new(),
            String::new(),
            format!(
                "工作表为空，应有含 {key} 的表头行 / the sheet is empty; expected a header row with {key}"
            ),
        ));
        out.rejected = true;
        return out;
    };

    // 1. Header row: the first row (within the first 30) holding the key label.
    let search_end = grid.last_row.min(HEADER_SEARCH_ROWS - 1);
    let header_row = (grid.first_row..=search_end).find(|&r| {
        (grid.first_col..=grid.last_col)
            .any(|c| matches!(grid.get(r, c), Raw::Text(t) if header_label(&t).name == key))
    });
    let Some(header_row) = header_row else {
        out.problems.push(problem(
            Level::Sheet,
            String::new(),
            String::new(),
            format!("找不到表头行：前 {HEADER_SEARCH_ROWS} 行中没有 {key} / no header row: no cell reading {key} in the first {HEADER_SEARCH_ROWS} rows"),
        ));
        out.rejected = true;
        return out;
    };
    out.header_row = Some(header_row + 1);

    // 2. Notes above the header: money unit, and the committee's name.
    let mut note_unit = None;
    let mut committee_note: Option<(String, String, String)> = None;
    for r in grid.first_row..header_row {
        for c in grid.first_col..=grid.last_col {
            if let Raw::Text(t) = grid.get(r, c) {
                if note_unit.is_none() {
                    note_unit = unit_note(&t);
                }
                if ctx.kind == SheetKind::Events && committee_note.is_none() {
                    if let Some(name) = committee_from_note(&t) {
                        committee_note = Some((name, a1(r, c), t.clone()));
                    }
                }
            }
        }
    }
    let default_unit = match note_unit {
        Some(u) => (u, UnitSource::Note),
        None => (MoneyUnit::Wan, UnitSource::Default),
    };

    // 3. Map header cells to the sheet's columns.
    let specs = ctx.kind.columns();
    let mut mapped: Vec<Mapped> = Vec::new();
    let mut labels_found = Vec::new();
    for c in grid.first_col..=grid.last_col {
        let raw = grid.get(header_row, c);
        if raw.is_blank() {
            continue;
        }
        let label = header_label(&raw.display());
        labels_found.push(label.name.clone());
        match specs.iter().position(|s| s.label == label.name) {
            Some(spec) if mapped.iter().any(|m| m.spec == spec) => out.problems.push(problem(
                Level::Note,
                a1(header_row, c),
                raw.display(),
                format!(
                    "列 {} 出现两次，使用第一列 / column {} appears twice; the first one is used",
                    label.name, label.name
                ),
            )),
            Some(spec) => mapped.push(Mapped {
                col: c,
                spec,
                unit: label
                    .unit
                    .map(|u| (u, UnitSource::Header))
                    .unwrap_or(default_unit),
            }),
            None => out.problems.push(problem(
                Level::Note,
                a1(header_row, c),
                raw.display(),
                format!(
                    "未知列 {} 已忽略 / unknown column {} ignored",
                    label.name, label.name
                ),
            )),
        }
    }

    // Data rows below the header that hold anything at all.
    let data_rows: Vec<u32> = ((header_row + 1)..=grid.last_row)
        .filter(|&r| !grid.row_is_blank(r))
        .collect();
    out.data_rows = data_rows.len() as u64;

    // 4. Sheet-level rules: required columns, the committee of an 活动 sheet.
    let is_events = ctx.kind == SheetKind::Events;
    let committee_col = specs.iter().position(|s| s.label == "专委会");
    let mut missing: Vec<&str> = specs
        .iter()
        .enumerate()
        .filter(|(i, s)| s.required && !mapped.iter().any(|m| m.spec == *i))
        .map(|(_, s)| s.label)
        .collect();
    if is_events && committee_note.is_none() && !mapped.iter().any(|m| Some(m.spec) == committee_col) {
        missing.push("专委会 (or a 填报单位：<专委会> note above the header)");
    }
    if !missing.is_empty() {
        out.problems.push(problem(
            Level::Sheet,
            a1(header_row, grid.first_col),
            labels_found.join(", "),
            format!(
                "缺少必填列 {}；找到的列：{} / missing required column {}; labels found: {}",
                missing.join("、"),
                labels_found.join("、"),
                missing.join(", "),
                labels_found.join(", ")
            ),
        ));
        out.rejected = true;
        return out;
    }
    if let Some((name, cell, raw)) = &committee_note {
        if !COMMITTEES.contains(&name.as_str()) {
            out.problems.push(problem(
                Level::File,
                cell.clone(),
                raw.clone(),
                format!("未知专委会 {name}：填报单位须为 15 个专委会之一 / unknown committee {name}: 填报单位 must name one of the 15 committees"),
            ));
            out.rejected = true;
            return out;
        }
    }

    // 5. Rows.
    let mut first_seen: HashMap<String, u32> = HashMap::new();
    for r in data_rows {
        let mut values: Vec<Option<Value>> = vec![None; specs.len()];
        let mut cells = Vec::new();
        let mut row_errors = Vec::new();
        let mut cell_errors = Vec::new();
        for m in &mapped {
            let spec = &specs[m.spec];
            if is_events && committee_note.is_some() && Some(m.spec) == committee_col {
                continue; // the note names the committee for every row
            }
            let raw = grid.get(r, m.col);
            let cell = a1(r, m.col);
            match normalize_cell(spec, &raw, m.unit, ctx.year) {
                Ok(Some((value, unit, note))) => {
                    if let Some(note) = note {
                        out.problems
                            .push(problem(Level::Note, cell.clone(), raw.display(), note));
                    }
                    cells.push(SourceCell {
                        field: spec.field,
                        cell,
                        raw: raw.display(),
                        unit,
                        value: value.display(),
                    });
                    values[m.spec] = Some(value);
                }
                Ok(None) if spec.required || (is_events && Some(m.spec) == committee_col) => {
                    row_errors.push((
                        cell,
                        raw.display(),
                        format!("{}: {}", spec.label, CellError::Missing),
                    ));
                }
                Ok(None) => {}
                Err(e) => {
                    let entry = (cell, raw.display(), format!("{}: {e}", spec.label));
                    if spec.required || (is_events && Some(m.spec) == committee_col) {
                        row_errors.push(entry);
                    } else {
                        cell_errors.push(entry);
                    }
                }
            }
        }
        if let (true, Some((name, cell, raw)), Some(i)) = (is_events, &committee_note, committee_col) {
            values[i] = Some(Value::Text(name.clone()));
            cells.push(SourceCell {
                field: specs[i].field,
                cell: cell.clone(),
                raw: raw.clone(),
                unit: None,
                value: name.clone(),
            });
        }
        // One row per credit code on the registry and on 年度数据.
        if row_errors.is_empty() && matches!(ctx.kind, SheetKind::CompanyAnnual | SheetKind::Members) {
            if let Some(Value::Text(code)) = &values[0] {
                if let Some(first) = first_seen.get(code) {
                    let cell = cells.first().map(|c| c.cell.clone()).unwrap_or_default();
                    row_errors.push((
                        cell,
                        code.clone(),
                        format!("重复行：统一社会信用代码 {code} 已在本表第 {first} 行出现，保留第一行 / duplicate row: {code} already appears on row {first} of this sheet; the first row is kept"),
                    ));
                } else {
                    first_seen.insert(code.clone(), r + 1);
                }
            }
        }
        // Name the row's subject (company, event, bank, partner) so a clerk
        // reading the reason knows whose row it is.
        let subject = specs
            .iter()
            .position(|s| matches!(s.field, "name" | "bank" | "partner"))
            .and_then(|i| match &values[i] {
                Some(Value::Text(t)) => Some(t.clone()),
                _ => None,
            });
        let about = |reason: String| match &subject {
            Some(name) => format!("{name}: {reason}"),
            None => reason,
        };
        if row_errors.is_empty() {
            for (cell, raw, reason) in cell_errors {
                out.problems.push(problem(Level::Cell, cell, raw, about(reason)));
            }
            out.records.push(Record {
                kind: ctx.kind,
                sheet: ctx.sheet.to_string(),
                row: r + 1,
                values,
                cells,
            });
        } else {
            for (cell, raw, reason) in row_errors.into_iter().chain(cell_errors) {
                out.problems.push(problem(Level::Row, cell, raw, about(reason)));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a1_references() {
        assert_eq!(a1(0, 0), "A1");
        assert_eq!(a1(2, 25), "Z3");
        assert_eq!(a1(9, 26), "AA10");
        assert_eq!(a1(0, 701), "ZZ1");
        assert_eq!(a1(0, 702), "AAA1");
        assert_eq!(row_of("AB12"), 12);
    }

    fn sheet(rows: &[&[Data]]) -> Range<Data> {
        let width = rows.iter().map(|r| r.len()).max().unwrap_or(0) as u32;
        let mut range = Range::new((0, 0), (rows.len() as u32 - 1, width - 1));
        for (r, row) in rows.iter().enumerate() {
            for (c, v) in row.iter().enumerate() {
                range.set_value((r as u32, c as u32), v.clone());
            }
        }
        range
    }

    fn s(t: &str) -> Data {
        Data::String(t.into())
    }

    fn ctx(kind: SheetKind) -> SheetContext<'static> {
        SheetContext {
            path: "2023/companies/a.xlsx",
            sheet: "年度数据",
            kind,
            year: Some(2023),
        }
    }

    const CODE: &str = "91310115F0WTCDKQQD";

    #[test]
    fn header_found_below_title_and_note_unit_applies() {
        let r = sheet(&[
            &[s("2023年度统计表")],
            &[s("填报单位：某公司    单位：亿元")],
            &[
                s("统一社会信用代码"),
                s("企业\n名称"),
                s("营业收入"),
                s("纳税总额(万元)"),
            ],
            &[s(CODE), s("甲"), Data::Float(1.5), s("2,000")],
        ]);
        let p = parse_sheet(&ctx(SheetKind::CompanyAnnual), &r);
        assert_eq!(p.records.len(), 1, "{:?}", p.problems);
        let rec = &p.records[0];
        assert_eq!(rec.row, 4);
        let Some(Value::Money(rev)) = &rec.values[3] else {
            panic!()
        };
        assert_eq!(rev.yuan.to_string(), "150000000");
        let Some(Value::Money(tax)) = &rec.values[5] else {
            panic!()
        };
        assert_eq!(tax.yuan.to_string(), "20000000");
        assert!(rec
            .cells
            .iter()
            .any(|c| c.cell == "C4" && c.unit.as_deref() == Some("亿元 (note)")));
    }

    #[test]
    fn missing_required_column_rejects_the_sheet_naming_labels_found() {
        let r = sheet(&[
            &[s("统一社会信用代码"), s("营业收入")],
            &[s(CODE), Data::Float(1.0)],
        ]);
        let p = parse_sheet(&ctx(SheetKind::CompanyAnnual), &r);
        assert!(p.records.is_empty());
        let reason = &p
            .problems
            .iter()
            .find(|p| p.level == Level::Sheet)
            .unwrap()
            .reason;
        assert!(
            reason.contains("企业名称") && reason.contains("营业收入"),
            "{reason}"
        );
    }

    #[test]
    fn bad_optional_cell_keeps_the_row_and_bad_required_cell_rejects_it() {
        let r = sheet(&[
            &[s("统一社会信用代码"), s("企业名称"), s("纳税总额")],
            &[s(CODE), s("甲"), Data::Float(-5.0)],
            &[s("91310104XWTC3DXPHB"), s("乙"), Data::Float(5.0)],
        ]);
        let p = parse_sheet(&ctx(SheetKind::CompanyAnnual), &r);
        assert_eq!(p.records.len(), 1);
        assert_eq!(p.records[0].values[5], None);
        let cell = p.problems.iter().find(|p| p.level == Level::Cell).unwrap();
        assert_eq!((cell.cell.as_str(), cell.raw.as_str()), ("C2", "-5"));
        let row = p.problems.iter().find(|p| p.level == Level::Row).unwrap();
        assert_eq!(row.cell, "A3");
        assert!(row.reason.contains("check character"));
    }

    #[test]
    fn repeated_credit_code_in_one_sheet_is_a_rejected_duplicate() {
        let r = sheet(&[
            &[s("统一社会信用代码"), s("企业名称")],
            &[s(CODE), s("甲")],
            &[s(CODE.to_lowercase().as_str()), s("甲")],
        ]);
        let p = parse_sheet(&ctx(SheetKind::CompanyAnnual), &r);
        assert_eq!(p.records.len(), 1);
        assert!(p.problems[0].reason.contains("already appears on row 2"));
    }

    #[test]
    fn unknown_committee_in_note_rejects_the_file() {
        let r = sheet(&[
            &[s("填报单位：不存在专委会")],
            &[s("活动名称"), s("活动日期")],
            &[s("x"), s("2023-05-01")],
        ]);
        let p = parse_sheet(&ctx(SheetKind::Events), &r);
        assert!(p.records.is_empty());
        assert_eq!(p.problems[0].level, Level::File);
        assert_eq!(p.problems[0].cell, "A1");
    }

    #[test]
    fn event_outside_the_reporting_year_is_rejected_and_odd_type_becomes_other() {
        let r = sheet(&[
            &[s("填报单位:金融投资专委会")],
            &[s("活动名称"), s("活动日期"), s("活动类型")],
            &[s("跨年活动"), s("2022-12-30"), s("论坛")],
            &[s("年会"), s("2023年1月5日"), s("年会")],
        ]);
        let p = parse_sheet(&ctx(SheetKind::Events), &r);
        assert_eq!(p.records.len(), 1);
        assert_eq!(p.records[0].values[2], Some(Value::Text("其他".into())));
        assert_eq!(p.records[0].values[7], Some(Value::Text("金融投资专委会".into())));
        assert!(p
            .problems
            .iter()
            .any(|p| p.level == Level::Row && p.reason.contains("outside the reporting year")));
        assert!(p
            .problems
            .iter()
            .any(|p| p.level == Level::Note && p.reason.contains("其他")));
    }
}
