//! The sheet parser's tests: headers, notes, units, rows and their
//! problems, on rows built in memory.

use super::*;

use crate::ingest::rows::{data_to_raw, VecRows};
use calamine::Data;

#[test]
fn a1_references() {
    assert_eq!(a1(0, 701), "ZZ1");
    assert_eq!(a1(0, 702), "AAA1");
}

/// Rows as a sheet would stream them (empty cells dropped).
fn sheet(rows: &[&[Data]]) -> VecRows {
    VecRows(
        rows.iter()
            .enumerate()
            .map(|(r, row)| SparseRow {
                row: r as u32,
                cells: row
                    .iter()
                    .enumerate()
                    .filter(|(_, d)| !matches!(d, Data::Empty))
                    .map(|(c, d)| (c as u32, data_to_raw(d)))
                    .collect(),
            })
            .filter(|r| !r.cells.is_empty())
            .collect(),
    )
}

use crate::ingest::Collect;

fn parse(kind: SheetKind, mut rows: VecRows) -> Collect {
    let mut out = Collect::default();
    parse_sheet(&ctx(kind), &mut rows, &mut out);
    out
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
    let p = parse(SheetKind::CompanyAnnual, r);
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
    assert!(rec.cells.iter().any(|c| c.field == "revenue"
        && c.col == Some(2)
        && c.raw.as_deref() == Some("1.5")
        && c.unit == Some((MoneyUnit::Yi, UnitSource::Note))));
}

#[test]
fn missing_required_column_rejects_the_sheet_naming_labels_found() {
    let r = sheet(&[
        &[s("统一社会信用代码"), s("营业收入")],
        &[s(CODE), Data::Float(1.0)],
    ]);
    let p = parse(SheetKind::CompanyAnnual, r);
    assert!(p.records.is_empty());
    let reason = &p
        .problems
        .iter()
        .find(|p| p.level == Disposition::RejectedSheet)
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
    let p = parse(SheetKind::CompanyAnnual, r);
    assert_eq!(p.records.len(), 1);
    assert_eq!(p.records[0].values[5], None);
    let cell = p
        .problems
        .iter()
        .find(|p| p.level == Disposition::RejectedCell)
        .unwrap();
    assert_eq!((cell.cell.as_str(), cell.raw.as_str()), ("C2", "-5"));
    let row = p
        .problems
        .iter()
        .find(|p| p.level == Disposition::RejectedRow)
        .unwrap();
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
    let p = parse(SheetKind::CompanyAnnual, r);
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
    let p = parse(SheetKind::Events, r);
    assert!(p.records.is_empty());
    assert_eq!(p.problems[0].level, Disposition::RejectedFile);
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
    let p = parse(SheetKind::Events, r);
    assert_eq!(p.records.len(), 1);
    assert_eq!(p.records[0].values[2], Some(Value::Text("其他".into())));
    assert_eq!(p.records[0].values[7], Some(Value::Text("金融投资专委会".into())));
    assert!(p
        .problems
        .iter()
        .any(|p| p.level == Disposition::RejectedRow && p.reason.contains("outside the reporting year")));
    assert!(p
        .problems
        .iter()
        .any(|p| p.level == Disposition::Note && p.reason.contains("其他")));
}
