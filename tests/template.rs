//! Templates for submitters: generated from the reader's schema, accepted
//! by `check` when filled in as Excel's own checks allow, rejected where
//! Excel would refuse a value.

mod common;

use chamberstat::commands::template::{render, Fill, Form};
use chamberstat::contract::schema::SheetKind;
use chamberstat::contract::schema::{FieldType, COMMITTEES, EVENT_KINDS};
use chrono::NaiveDate;
use common::{bin, Workspace};

/// A valid value for a column, row `i`, as a member would enter it through
/// the template's drop-downs and checks.
fn valid(kind: SheetKind, field: &str, ty: FieldType, i: usize, year: i32) -> Option<Fill> {
    let date = |m, d| Fill::Date(NaiveDate::from_ymd_opt(year, m, d).unwrap());
    Some(match ty {
        FieldType::CreditCode => Fill::Text(chamberstat::commands::generate::numbered_code(500 + i as u64)),
        FieldType::Text => Fill::Text(match (kind, field) {
            (SheetKind::Events, "name") => format!("第{i}期企业家沙龙"),
            (_, "name") => format!("测试企业{i}有限公司"),
            (_, "bank") => format!("测试银行{i}"),
            (_, "partner") => format!("测试区{i}"),
            (_, "institution") => "招商银行上海分行".into(),
            (_, "stock_code") => format!("6000{i:02}"),
            _ => format!("说明{i}"),
        }),
        FieldType::Money { .. } => Fill::Number(1000.0 + i as f64 * 12.5),
        FieldType::Whole => Fill::Number(10.0 + i as f64),
        FieldType::YesNo => Fill::Text(if i.is_multiple_of(2) { "是" } else { "否" }.into()),
        FieldType::Date => date(1 + (i % 12) as u32, 1),
        FieldType::DateInYear => date(1 + (i % 12) as u32, 15),
        FieldType::YearEnd => Fill::Date(NaiveDate::from_ymd_opt(year - 1 - i as i32, 12, 31).unwrap()),
        FieldType::OneOf(list) => Fill::Text(list[i % list.len()].into()),
        FieldType::Committee => Fill::Text(COMMITTEES[i % COMMITTEES.len()].into()),
        FieldType::EventKind => Fill::Text(EVENT_KINDS[i % EVENT_KINDS.len()].into()),
        FieldType::Metric(list) => Fill::Text(list[0].1.into()),
        FieldType::Number => Fill::Number(3.0 + i as f64 * 0.5),
        FieldType::Year => Fill::Number(f64::from(year)),
        FieldType::FactCode => Fill::Text(format!("测试指标{i}")),
    })
}

fn filled(form: Form, rows: usize, year: i32) -> Vec<Vec<Vec<Option<Fill>>>> {
    form.sheets()
        .iter()
        .map(|kind| {
            let n = if *kind == SheetKind::OpeningBalances {
                1
            } else {
                rows
            };
            (0..n)
                .map(|i| {
                    kind.columns()
                        .iter()
                        .map(|c| valid(*kind, c.field, c.ty, i, year))
                        .collect()
                })
                .collect()
        })
        .collect()
}

fn check_json(path: &std::path::Path) -> (i32, serde_json::Value) {
    let out = bin()
        .arg("check")
        .arg(path)
        .arg("--format")
        .arg("json")
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        serde_json::from_slice(&out.stdout).unwrap(),
    )
}

#[test]
fn untouched_templates_pass_check_with_one_no_data_rows_note_each() {
    let dir = tempfile::tempdir().unwrap();
    bin()
        .args(["template", "--year", "2024", "--out"])
        .arg(dir.path())
        .assert()
        .success();
    for form in Form::ALL {
        let (code, report) = check_json(&dir.path().join(form.file_name(2024)));
        assert_eq!(code, 0, "{form:?}: {report}");
        let problems = report["problems"].as_array().unwrap();
        assert_eq!(problems.len(), 1, "{form:?}: {report}");
        assert_eq!(problems[0]["level"], "note");
        assert!(problems[0]["reason"].as_str().unwrap().contains("no data rows"));
    }
}

#[test]
fn filled_templates_are_accepted_row_for_row() {
    let ws = Workspace::new();
    let year = 2024;
    let rows = 12;
    let put = |rel: &str, form: Form| {
        let path = ws.inputs().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, render(form, year, &filled(form, rows, year)).unwrap()).unwrap();
        path
    };
    for (rel, form) in [
        ("reference/参考资料.xlsx", Form::Reference),
        ("2024/companies/测试企业.xlsx", Form::Company),
        ("2024/committees/测试专委会.xlsx", Form::Committee),
    ] {
        let path = put(rel, form);
        let (code, report) = check_json(&path);
        assert_eq!(code, 0, "{form:?}: {report}");
        let sheets = form.sheets();
        let expected: usize = sheets
            .iter()
            .map(|k| if *k == SheetKind::OpeningBalances { 1 } else { rows })
            .sum();
        assert_eq!(report["rows_accepted"], expected as u64, "{form:?}: {report}");
        // Notes only for 活动类型 mapped to 其他, never a rejection.
        for p in report["problems"].as_array().unwrap() {
            assert_eq!(p["level"], "note", "{form:?}: {p}");
        }
    }
    // The whole tree runs: registry members, their reports, committee events.
    ws.cmd(&["run", "--year", "2024"]).assert().success();
    assert_eq!(ws.query_i64("SELECT count(*) FROM members"), rows as i64);
    assert_eq!(ws.query_i64("SELECT count(*) FROM events"), rows as i64);
    assert_eq!(ws.query_i64("SELECT count(*) FROM opening_balances"), 1);
}

#[test]
fn a_value_outside_a_drop_down_is_rejected_as_excel_would() {
    let dir = tempfile::tempdir().unwrap();
    let year = 2024;
    for (form, sheet, field, bad) in [
        (Form::Company, SheetKind::CompanyAnnual, "listed", "可能"),
        (Form::Reference, SheetKind::Members, "tier", "理事长"),
        (Form::Committee, SheetKind::Events, "committee", "不存在专委会"),
    ] {
        let mut fills = filled(form, 3, year);
        let s = form.sheets().iter().position(|k| *k == sheet).unwrap();
        let c = sheet.columns().iter().position(|c| c.field == field).unwrap();
        fills[s][1][c] = Some(Fill::Text(bad.into()));
        let path = dir.path().join(format!("{form:?}.xlsx"));
        std::fs::write(&path, render(form, year, &fills).unwrap()).unwrap();
        let (code, report) = check_json(&path);
        assert_eq!(code, 1, "{form:?}: {report}");
        let hit = report["problems"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["raw"] == bad)
            .unwrap_or_else(|| panic!("{bad} not reported: {report}"));
        // The fifth row (title, note, header, two rows): row 5.
        assert!(hit["cell"].as_str().unwrap().ends_with('5'), "{hit}");
        assert_ne!(hit["level"], "note");
    }
}

#[test]
fn prefill_writes_one_form_per_member_of_the_year_with_code_and_name() {
    let ws = Workspace::new();
    ws.generate(&["--members", "30", "--years", "2024", "--seed", "8"]);
    let headline = ws.run_year(2024);
    let members: usize = headline
        .lines()
        .find_map(|l| l.strip_prefix("member_companies,"))
        .and_then(|l| l.split(',').next())
        .unwrap()
        .parse()
        .unwrap();
    let out = ws.outputs().join("templates");
    ws.cmd(&[
        "template",
        "--year",
        "2024",
        "--prefill",
        "--out",
        out.to_str().unwrap(),
    ])
    .assert()
    .success();
    let forms: Vec<_> = std::fs::read_dir(out.join("2024"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(forms.len(), members);
    let code = ws.query_string("SELECT min(credit_code) FROM member_years WHERE year = 2024");
    let name = ws.query_string(&format!(
        "SELECT name FROM member_years WHERE year = 2024 AND credit_code = '{code}'"
    ));
    let form = out.join("2024").join(format!("{code}_{name}.xlsx"));
    assert!(form.is_file(), "{}", form.display());
    let (exit, report) = check_json(&form);
    assert_eq!(exit, 0, "{report}");
    assert_eq!(report["rows_accepted"], 1);
}
