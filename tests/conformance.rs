//! Conformance with the shared samples: inputs written by other tools
//! (openpyxl, xlsxwriter, xlwt `.xls`, `.ods`) must give exactly the
//! expected headline.csv, and every trap in them must be on record.

mod common;

use common::{samples, Workspace};

fn workspace_with_samples() -> Workspace {
    let ws = Workspace::new();
    common::copy_dir(&samples().join("inputs"), &ws.inputs());
    ws
}

#[test]
fn headline_matches_the_expected_file_byte_for_byte_for_2023_and_2024() {
    let ws = workspace_with_samples();
    let samples = samples();
    for year in [2023, 2024] {
        let got = ws.run_year(year);
        let want = std::fs::read_to_string(samples.join(format!("expected/headline-{year}.csv"))).unwrap();
        assert_eq!(got, want, "headline.csv for {year}");
    }
}

#[test]
fn running_twice_gives_the_same_headline_and_the_same_row_counts() {
    let ws = workspace_with_samples();
    let counts = |ws: &Workspace| -> Vec<i64> {
        [
            "company_reports",
            "financing",
            "events",
            "members",
            "problems",
            "source_cells",
            "input_files",
        ]
        .iter()
        .map(|t| ws.query_i64(&format!("SELECT count(*) FROM {t}")))
        .collect()
    };
    let first = ws.run_year(2024);
    let first_counts = counts(&ws);
    let second = ws.run_year(2024);
    assert_eq!(first, second);
    assert_eq!(first_counts, counts(&ws));
}

#[test]
fn every_trap_in_the_samples_is_on_record_with_its_reason() {
    let ws = workspace_with_samples();
    ws.run_year(2023);
    let problem = |path_like: &str, level: &str, reason_like: &str| -> i64 {
        ws.query_i64(&format!(
            "SELECT count(*) FROM problems WHERE path LIKE '{path_like}' AND level = '{level}' AND reason LIKE '{reason_like}'"
        ))
    };
    // Corrupt and empty workbooks are rejected files.
    assert_eq!(problem("2023/companies/损坏文件.xlsx", "file", "%damaged%"), 1);
    assert_eq!(problem("2023/companies/空文件.xlsx", "file", "%empty%"), 1);
    // Lock files and CSV exports are listed as skipped.
    assert_eq!(problem("2023/companies/~$临时.xlsx", "skipped", "%lock file%"), 1);
    assert_eq!(
        problem("2023/companies/导出.csv", "skipped", "%not a workbook%"),
        1
    );
    // A wrong check character rejects the row.
    assert_eq!(
        problem("2023/companies/zz_bad_checksum.xlsx", "row", "%check character%"),
        1
    );
    // An unknown committee rejects the file.
    assert_eq!(
        problem("2023/committees/99_unknown.xlsx", "file", "%unknown committee%"),
        1
    );
    // Out-of-year events and financing rows are rejected rows.
    assert!(problem("2023/committees/%", "row", "%outside the reporting year 2023%") >= 15);
    assert!(problem("2023/companies/%", "row", "%发生日期%outside the reporting year%") >= 5);
    // A negative tax is a rejected cell; the row stays.
    assert_eq!(
        problem(
            "2023/companies/0002_%",
            "cell",
            "沪沪沪科技有限公司: 纳税总额%0 or more%"
        ),
        1
    );
    assert_eq!(
        ws.query_i64(
            "SELECT count(*) FROM company_reports WHERE path LIKE '2023/companies/0002_%' AND tax IS NULL"
        ),
        1
    );
    // Duplicate events count once and are listed.
    assert!(ws.query_i64("SELECT count(*) FROM event_duplicates WHERE year = 2023") >= 2);
    // Resubmissions: the earlier drafts are superseded by the later files.
    assert_eq!(
        ws.query_i64(
            "SELECT count(*) FROM superseded_submissions
             WHERE year = 2023 AND path IN ('2023/companies/0003_达海诚新贸易有限公司_初版.ods',
                                            '2023/companies/0010_隆星电器股份有限公司_初版.xlsx',
                                            '2023/companies/0032_辉沪智信集团有限公司_初版.xls')"
        ),
        3
    );
    // Non-members stay in the warehouse, listed, counted nowhere.
    assert!(
        ws.query_i64("SELECT count(*) FROM non_member_rows WHERE year = 2023 AND path LIKE '%非会员%'") >= 3
    );
    assert_eq!(
        ws.query_i64("SELECT count(*) FROM reporting_members WHERE year = 2023 AND name LIKE '非会员%'"),
        0
    );
}
