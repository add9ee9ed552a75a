//! The auditor's trail: rejects.csv accounts for every row, outputs are
//! byte-identical across runs, `verify` catches an edited cell and names
//! the file and the figure, and submitted text cannot smuggle a formula
//! into rejects.csv.

mod common;

use std::path::Path;

use calamine::{open_workbook_auto, Data, Reader};
use common::Workspace;
use predicates::str::contains;

/// Copy a workbook cell by cell into a new one, letting `edit` change
/// values on the way (a stand-in for a clerk editing one cell in Excel).
fn rewrite_workbook(path: &Path, edit: impl Fn(&str, u32, u32, &Data) -> Option<Data>) {
    let mut wb = open_workbook_auto(path).unwrap();
    let mut out = rust_xlsxwriter::Workbook::new();
    for name in wb.sheet_names() {
        let range = wb.worksheet_range(&name).unwrap();
        let ws = out.add_worksheet();
        ws.set_name(&name).unwrap();
        let Some((r0, c0)) = range.start() else {
            continue;
        };
        for (r, row) in range.rows().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                let (r, c) = (r0 + r as u32, c0 + c as u32);
                let cell = edit(&name, r, c, cell).unwrap_or_else(|| cell.clone());
                let col = c as u16;
                match cell {
                    Data::String(s) => drop(ws.write_string(r, col, s)),
                    Data::Float(f) => drop(ws.write_number(r, col, f)),
                    Data::Int(i) => drop(ws.write_number(r, col, i as f64)),
                    Data::Bool(b) => drop(ws.write_boolean(r, col, b)),
                    Data::DateTime(d) => {
                        let f = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd");
                        drop(ws.write_number_with_format(r, col, d.as_f64(), &f));
                    }
                    _ => {}
                }
            }
        }
    }
    out.save(path).unwrap();
}

fn label(d: &Data) -> String {
    match d {
        Data::String(s) => s.chars().filter(|c| !c.is_whitespace()).collect(),
        _ => String::new(),
    }
}

fn blank(row: &[Data]) -> bool {
    row.iter().all(|c| match c {
        Data::Empty => true,
        Data::String(s) => s.trim().is_empty(),
        _ => false,
    })
}

/// The 0-based column of the header cell whose label starts with `prefix`.
fn column_of(file: &Path, sheet: &str, prefix: &str) -> u32 {
    let mut wb = open_workbook_auto(file).unwrap();
    let range = wb.worksheet_range(sheet).unwrap();
    let (_, c0) = range.start().unwrap();
    let header = range
        .rows()
        .find(|r| r.iter().any(|c| label(c) == "统一社会信用代码"))
        .unwrap()
        .to_vec();
    header.iter().position(|c| label(c).starts_with(prefix)).unwrap() as u32 + c0
}

/// Count, independently of the pipeline, the non-empty rows below the
/// header of every sheet the contract reads.
fn independent_row_count(inputs: &Path) -> u64 {
    let mut total = 0;
    for (dir, sheets) in [
        (
            "companies",
            vec![
                ("年度数据", "统一社会信用代码"),
                ("金融支持", "统一社会信用代码"),
                ("Sheet1", "统一社会信用代码"),
            ],
        ),
        ("committees", vec![("活动", "活动名称"), ("Sheet1", "活动名称")]),
    ] {
        for year in std::fs::read_dir(inputs).unwrap() {
            let folder = year.unwrap().path().join(dir);
            let Ok(files) = std::fs::read_dir(&folder) else {
                continue;
            };
            for f in files {
                let path = f.unwrap().path();
                let name = path.file_name().unwrap().to_string_lossy().into_owned();
                if !name.ends_with(".xlsx") || name.starts_with("~$") {
                    continue;
                }
                let Ok(mut wb) = open_workbook_auto(&path) else {
                    continue;
                };
                for (sheet, key) in &sheets {
                    let Ok(range) = wb.worksheet_range(sheet) else {
                        continue;
                    };
                    let rows: Vec<_> = range.rows().collect();
                    let Some(h) = rows
                        .iter()
                        .position(|r| r.iter().any(|c| label(c).starts_with(key)))
                    else {
                        continue;
                    };
                    total += rows[h + 1..].iter().filter(|r| !blank(r)).count() as u64;
                }
            }
        }
    }
    let mut wb = open_workbook_auto(inputs.join("reference/会员名册.xlsx")).unwrap();
    for (sheet, key) in [
        ("会员名册", "统一社会信用代码"),
        ("银会合作", "银行名称"),
        ("区域合作", "合作方"),
    ] {
        let range = wb.worksheet_range(sheet).unwrap();
        let rows: Vec<_> = range.rows().collect();
        let h = rows
            .iter()
            .position(|r| r.iter().any(|c| label(c) == key))
            .unwrap();
        total += rows[h + 1..].iter().filter(|r| !blank(r)).count() as u64;
    }
    total
}

#[test]
fn accepted_plus_rejected_rows_account_for_every_input_row() {
    for seed in [3, 8] {
        let ws = Workspace::new();
        ws.generate(&[
            "--members",
            "60",
            "--seed",
            &seed.to_string(),
            "--years",
            "2023,2024",
            "--traps",
            "0.1",
        ]);
        ws.run_year(2024);
        let accepted = ws.query_i64(
            "SELECT (SELECT count(*) FROM members) + (SELECT count(*) FROM bank_agreements)
                  + (SELECT count(*) FROM district_agreements) + (SELECT count(*) FROM company_reports)
                  + (SELECT count(*) FROM financing) + (SELECT count(*) FROM events)",
        );
        let rejected_rows = ws.query_i64(
            "SELECT count(*) FROM (SELECT DISTINCT path, sheet, regexp_extract(cell, '[0-9]+') FROM problems WHERE level = 'row')",
        );
        let rows_of_rejected_sheets =
            ws.query_i64("SELECT coalesce(sum(data_rows), 0) FROM sheets WHERE rejected");
        let counted = independent_row_count(&ws.inputs());
        assert_eq!(
            (accepted + rejected_rows + rows_of_rejected_sheets) as u64,
            counted,
            "seed {seed}: accepted {accepted} + rejected {rejected_rows} + in rejected sheets {rows_of_rejected_sheets}"
        );
        // Per sheet as well: nothing falls between accepted and rejected.
        assert_eq!(
            ws.query_i64("SELECT count(*) FROM sheets WHERE NOT rejected AND data_rows <> accepted_rows + rejected_rows"),
            0
        );
    }
}

#[test]
fn two_runs_with_different_warehouses_and_threads_are_byte_identical() {
    let ws = Workspace::new();
    ws.generate(&["--members", "50", "--years", "2023,2024", "--seed", "6"]);
    let other = ws.dir.path().join("elsewhere");
    ws.cmd(&["run"]).env("RAYON_NUM_THREADS", "1").assert().success();
    assert_cmd::Command::from_std(common::command_for(
        &ws.inputs(),
        &other.join("outputs"),
        &other.join("another.duckdb"),
    ))
    .arg("run")
    .env("RAYON_NUM_THREADS", "2")
    .assert()
    .success();
    let a = common::files_of(&ws.outputs().join("2024"));
    let b = common::files_of(&other.join("outputs/2024"));
    let names: Vec<&str> = a.iter().map(|f| f.0.as_str()).collect();
    for expected in [
        "headline.csv",
        "headline.md",
        "manifest.json",
        "rejects.csv",
        "anomalies.csv",
        "summary.xlsx",
    ] {
        assert!(names.contains(&expected), "{expected} in {names:?}");
    }
    assert!(a == b, "outputs differ between runs");
}

#[test]
fn verify_passes_untouched_and_names_file_and_figure_after_an_edit() {
    let ws = Workspace::new();
    ws.generate(&[
        "--members",
        "40",
        "--years",
        "2024",
        "--seed",
        "12",
        "--traps",
        "0",
    ]);
    ws.run_year(2024);
    let manifest = ws.outputs().join("2024/manifest.json");
    ws.cmd(&["verify"])
        .arg(&manifest)
        .assert()
        .success()
        .stdout(contains("everything matches"));

    // Change the 从业人数 of one reporting member, as a clerk would in Excel.
    let (rel, sheet, row_no) = {
        let conn = duckdb::Connection::open(ws.db()).unwrap();
        conn.query_row(
            "SELECT path, sheet, row_no FROM reporting_members WHERE year = 2024 AND jobs IS NOT NULL ORDER BY path LIMIT 1",
            [],
            |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, i32>(2)?)),
        )
        .unwrap()
    };
    let file = ws.inputs().join(&rel);
    let jobs_col = column_of(&file, &sheet, "从业人数");
    rewrite_workbook(&file, |s, r, c, _| {
        (s == sheet && r + 1 == row_no as u32 && c == jobs_col).then_some(Data::Float(123_457.0))
    });
    ws.cmd(&["verify"])
        .arg(&manifest)
        .assert()
        .code(1)
        .stdout(contains(format!("input\tchanged\t{rel}")))
        .stdout(contains("figure\tchanged\tjobs_total"))
        .stdout(contains(format!("from: {rel}")))
        .stdout(contains("figure\tok\tmember_companies"));
}

#[test]
fn formula_like_company_name_is_neutralised_in_rejects_csv() {
    let ws = Workspace::new();
    ws.generate(&[
        "--members",
        "20",
        "--years",
        "2024",
        "--seed",
        "2",
        "--traps",
        "0",
    ]);
    // A submission whose company name is a spreadsheet formula, on a row
    // rejected for its credit code.
    let path = ws.inputs().join("2024/companies/zz_formula.xlsx");
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws_ = wb.add_worksheet();
    ws_.set_name("年度数据").unwrap();
    for (c, h) in ["统一社会信用代码", "企业名称", "从业人数"].iter().enumerate() {
        ws_.write_string(0, c as u16, *h).unwrap();
    }
    ws_.write_string(1, 0, "91310104XWTC3DXPHB").unwrap();
    ws_.write_string(1, 1, "=HYPERLINK(\"http://example.invalid\",\"点我\")有限公司")
        .unwrap();
    ws_.write_number(1, 2, 10.0).unwrap();
    wb.save(&path).unwrap();
    ws.run_year(2024);
    let rejects = std::fs::read_to_string(ws.outputs().join("2024/rejects.csv")).unwrap();
    let line = rejects
        .lines()
        .find(|l| l.contains("zz_formula.xlsx"))
        .expect("the row is listed");
    assert!(line.contains("'=HYPERLINK"), "{line}");
    for field_start in [",=", ",\"="] {
        assert!(!rejects.contains(field_start), "a field starts with '=': {line}");
    }
}

#[test]
fn a_yuan_for_wan_slip_is_flagged_against_the_previous_year_not_rejected() {
    let ws = Workspace::new();
    ws.generate(&[
        "--members",
        "40",
        "--years",
        "2023,2024",
        "--seed",
        "17",
        "--traps",
        "0",
    ]);
    ws.run_year(2024);
    // A company that reported revenue in both years.
    let (rel, sheet, row_no, code) = {
        let conn = duckdb::Connection::open(ws.db()).unwrap();
        conn.query_row(
            "SELECT c.path, c.sheet, c.row_no, c.credit_code FROM company_current c
             JOIN company_current p ON p.credit_code = c.credit_code AND p.year = 2023 AND p.revenue > 0
             JOIN source_cells s ON s.path = c.path AND s.sheet = c.sheet AND s.row_no = c.row_no AND s.field = 'revenue'
             WHERE c.year = 2024 AND c.revenue > 0 AND TRY_CAST(trim(s.raw) AS DOUBLE) IS NOT NULL
             ORDER BY c.path LIMIT 1",
            [],
            |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, i32>(2)?, r.get::<_, String>(3)?)),
        )
        .unwrap()
    };
    assert!(!std::fs::read_to_string(ws.outputs().join("2024/anomalies.csv"))
        .unwrap()
        .contains(&code));
    let file = ws.inputs().join(&rel);
    let col = column_of(&file, &sheet, "营业收入");
    // The clerk typed the figure in 元 into a 万元 column: ×10,000.
    let slip = |f: f64| Data::Float((f * 10_000.0 * 1e6).round() / 1e6);
    rewrite_workbook(&file, |s, r, c, d| {
        (s == sheet && r + 1 == row_no as u32 && c == col).then(|| match d {
            Data::Float(f) => slip(*f),
            Data::String(t) => slip(t.trim().parse().unwrap()),
            other => other.clone(),
        })
    });
    // `check` flags it before any run, against the warehouse's 2023 row.
    let v = ws.json(&["check", "--format", "json"], None);
    assert!(
        v["problems"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["level"] == "flag" && p["path"] == rel.as_str()),
        "check flags the slip"
    );
    ws.run_year(2024);
    let flags = std::fs::read_to_string(ws.outputs().join("2024/anomalies.csv")).unwrap();
    let line = flags
        .lines()
        .find(|l| l.contains(&code) && l.contains(",revenue,"))
        .expect("the slip is flagged");
    let factor: f64 = line
        .split(",×")
        .nth(1)
        .and_then(|f| f.split(',').next())
        .unwrap()
        .parse()
        .unwrap();
    assert!(factor >= 1000.0, "{line}");
    // Flagged, not rejected: the company still reports.
    assert_eq!(
        ws.query_i64(&format!(
            "SELECT count(*) FROM reporting_members WHERE year = 2024 AND credit_code = '{code}'"
        )),
        1
    );
}
