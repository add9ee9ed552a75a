//! Files that would make a dense reader build an enormous grid, and the
//! limits that keep one file from eating the machine: the night goes on,
//! and every such file is read or on record with its reason.

mod common;

use std::path::Path;

use common::{walk, write_sheet, Workspace, V::N, V::S};

/// An `.xlsx` with two data rows and one value typed in `XFD1048576`.
fn stray_xlsx(path: &Path) {
    write_sheet(
        path,
        "年度数据",
        &[
            (0, 0, S("统一社会信用代码")),
            (0, 1, S("企业名称")),
            (0, 2, S("营业收入")),
            (1, 0, S("91310115F0WTCDKQQD")),
            (1, 1, S("甲公司")),
            (1, 2, N(12.5)),
            (2, 0, S("91310104MA1FL3XK2R")),
            (2, 1, S("乙公司")),
            (2, 2, N(7.0)),
            (1_048_575, 16_383, N(1.0)),
        ],
    );
}

fn small_tree() -> Workspace {
    common::small_tree("30", "5")
}

fn rows_from(ws: &Workspace, file: &str) -> i64 {
    let conn = duckdb::Connection::open(ws.db()).unwrap();
    conn.query_row(
        "SELECT count(*) FROM company_reports WHERE path = ?",
        [format!("2024/companies/{file}")],
        |r| r.get(0),
    )
    .unwrap()
}

fn problems_of(ws: &Workspace, file: &str) -> Vec<(String, String, String)> {
    let conn = duckdb::Connection::open(ws.db()).unwrap();
    let mut stmt = conn
        .prepare("SELECT level, cell, reason FROM problems WHERE path = ? ORDER BY ALL")
        .unwrap();
    stmt.query_map([format!("2024/companies/{file}")], |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?))
    })
    .unwrap()
    .map(Result::unwrap)
    .collect()
}

#[test]
fn stray_far_corner_cell_in_each_format_is_read_or_rejected_and_the_night_goes_on() {
    let ws = small_tree();
    let clean = ws.run_year(2024);

    let companies = ws.inputs().join("2024/companies");
    stray_xlsx(&companies.join("8001_stray.xlsx"));
    let made = tempfile::tempdir().unwrap();
    for (i, f) in common::hostile_files(made.path()).iter().enumerate() {
        let ext = f.extension().unwrap().to_str().unwrap();
        std::fs::copy(f, companies.join(format!("800{}_stray.{ext}", i + 2))).unwrap();
    }
    let with_strays = ws.run_year(2024);
    // The stray files' companies are not members: the figures stand.
    assert_eq!(with_strays, clean);

    // Streamed formats: the table is read, the far corner is one more row,
    // rejected for having no credit code.
    for file in ["8001_stray.xlsx", "8002_stray.xlsb"] {
        assert_eq!(rows_from(&ws, file), 2, "{file}");
        let problems = problems_of(&ws, file);
        assert!(
            problems
                .iter()
                .any(|(level, cell, _)| level == "row" && cell == "A1048576"),
            "{file}: {problems:?}"
        );
    }
    // Dense formats: measured before reading, rejected with the limit named.
    for file in ["8003_stray.xls", "8004_stray.ods"] {
        assert_eq!(rows_from(&ws, file), 0, "{file}");
        let problems = problems_of(&ws, file);
        assert!(
            problems
                .iter()
                .any(|(level, _, reason)| level == "file" && reason.contains("--max-grid-cells")),
            "{file}: {problems:?}"
        );
    }
    let rejects = std::fs::read_to_string(ws.outputs().join("2024/rejects.csv")).unwrap();
    for file in ["8003_stray.xls", "8004_stray.ods"] {
        assert!(rejects.contains(file), "{file} missing from rejects.csv");
    }
}

/// Run with one limit set low and return the file-level reasons.
fn reasons_with(ws: &Workspace, flag: &str, value: &str) -> Vec<String> {
    ws.cmd(&[flag, value, "run", "--full"]).assert().success();
    let conn = duckdb::Connection::open(ws.db()).unwrap();
    let mut stmt = conn
        .prepare("SELECT DISTINCT reason FROM problems WHERE level = 'file'")
        .unwrap();
    stmt.query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

#[test]
fn each_limit_rejects_a_file_naming_the_limit_and_the_run_goes_on() {
    let ws = small_tree();
    // One .xls beside the generated .xlsx files, for the grid limit.
    let samples = common::samples();
    std::fs::copy(
        samples.join("inputs/2023/companies/0002_沪沪沪科技有限公司.xls"),
        ws.inputs().join("2024/companies/9002_sample.xls"),
    )
    .unwrap();
    for (flag, value) in [
        ("--max-rows-per-sheet", "1"),
        ("--max-cell-chars", "3"),
        ("--max-cells-per-file", "10"),
        ("--max-grid-cells", "10"),
    ] {
        let reasons = reasons_with(&ws, flag, value);
        assert!(
            reasons.iter().any(|r| r.contains(flag)),
            "{flag} {value}: no file rejected naming it; file reasons: {reasons:?}"
        );
    }
    // With the defaults nothing is rejected for a limit.
    let reasons = reasons_with(&ws, "--max-rows-per-sheet", "1000000");
    assert!(!reasons.iter().any(|r| r.contains("--max-")), "{reasons:?}");
}

#[test]
fn a_no_change_run_reads_no_file_and_a_touched_file_is_hashed_not_parsed() {
    let ws = small_tree();
    ws.run_year(2024);
    common::age_tree(&ws.inputs());
    ws.cmd(&["run", "--full"]).assert().success();
    let log = ws.stderr(&["-v", "--log-format", "json", "run"]);
    let finished = log
        .lines()
        .find(|l| l.contains("run finished"))
        .expect("a run finished line");
    assert!(finished.contains("\"files_parsed\":0"), "{finished}");
    // Nothing was recomputed, and the warehouse still holds the figures.
    assert!(finished.contains("\"outputs_rewritten\":false"), "{finished}");
    assert!(ws.query_i64("SELECT count(*) FROM metric_values") > 0);

    // Same content, new time: hashed, found unchanged, not parsed.
    let one = walk(&ws.inputs().join("2024/companies")).remove(0);
    common::set_age(&one, 30);
    let log = ws.stderr(&["-v", "--log-format", "json", "run"]);
    let finished = log.lines().find(|l| l.contains("run finished")).unwrap();
    assert!(finished.contains("\"files_parsed\":0"), "{finished}");

    // A real change is parsed.
    let mut bytes = std::fs::read(&one).unwrap();
    bytes.push(b' ');
    std::fs::write(&one, bytes).unwrap();
    let log = ws.stderr(&["-v", "--log-format", "json", "run"]);
    let finished = log.lines().find(|l| l.contains("run finished")).unwrap();
    assert!(finished.contains("\"files_parsed\":1"), "{finished}");
}

/// A group workbook of 1,500 rows with `--max-rows-per-sheet 1200`: its
/// first rows have long gone to the loader (rows travel in batches of 256,
/// handed over in groups) when the limit rejects the file. None of its rows
/// may stay, the reason names the limit, and the other files load as usual.
#[test]
fn a_limit_crossed_after_rows_were_sent_leaves_none_of_the_files_rows() {
    let ws = Workspace::new();
    ws.generate(&[
        "--members",
        "30",
        "--years",
        "2024",
        "--traps",
        "0",
        "--group-rows",
        "1500",
    ]);
    let group = walk(&ws.inputs().join("2024/companies"))
        .into_iter()
        .find(|p| p.to_string_lossy().ends_with("集团成员汇总.xlsx"))
        .expect("the generator writes a group workbook");
    let name = group.file_name().unwrap().to_string_lossy().into_owned();
    ws.cmd(&["--max-rows-per-sheet", "1200", "run", "--full"])
        .assert()
        .success();
    assert_eq!(rows_from(&ws, &name), 0, "rows of the rejected file stayed");
    let problems = problems_of(&ws, &name);
    assert!(
        problems
            .iter()
            .any(|(level, _, reason)| level == "file" && reason.contains("--max-rows-per-sheet")),
        "{problems:?}"
    );
    let conn = duckdb::Connection::open(ws.db()).unwrap();
    let others: i64 = conn
        .query_row(
            "SELECT count(*) FROM company_reports WHERE path <> ?",
            [format!("2024/companies/{name}")],
            |r| r.get(0),
        )
        .unwrap();
    assert!(others > 0, "the other files' rows are loaded");
}
