//! Who has not submitted: submission_status.csv, the 报送情况 sheet, the
//! 报送率 line of headline.md and `check --status` all tell the same story,
//! and it matches the headline's member and reporting counts.

mod common;

use calamine::{open_workbook_auto, Reader};
use common::Workspace;

fn read_csv(path: &std::path::Path) -> (Vec<String>, Vec<Vec<String>>) {
    let bytes = std::fs::read(path).unwrap();
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "{} has a BOM", path.display());
    let mut r = csv::Reader::from_reader(&bytes[3..]);
    let header = r.headers().unwrap().iter().map(str::to_string).collect();
    let rows = r
        .records()
        .map(|x| x.unwrap().iter().map(str::to_string).collect())
        .collect();
    (header, rows)
}

fn metric(ws: &Workspace, id: &str) -> usize {
    std::fs::read_to_string(ws.outputs().join("2024/headline.csv"))
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{id},")))
        .and_then(|l| l.split(',').next())
        .unwrap()
        .parse()
        .unwrap()
}

#[test]
fn chase_list_covers_every_member_and_agrees_with_the_headline() {
    let ws = common::traps_tree();
    let (members, reporting) = (
        metric(&ws, "member_companies"),
        metric(&ws, "reporting_companies"),
    );
    assert!(reporting < members, "some members have not submitted");

    let dir = ws.outputs().join("2024");
    let (header, rows) = read_csv(&dir.join("submission_status.csv"));
    assert_eq!(header[0], "统一社会信用代码");
    assert_eq!(rows.len(), members);
    let status = header.iter().position(|h| h == "报送状态").unwrap();
    let submitted = rows.iter().filter(|r| r[status] == "已报送").count();
    assert_eq!(submitted, reporting);
    assert!(rows
        .iter()
        .all(|r| r[status] == "已报送" || r[status] == "未报送"));
    // 未报送 first, so the chase starts at the top.
    let first_submitted = rows.iter().position(|r| r[status] == "已报送").unwrap();
    assert!(rows[first_submitted..].iter().all(|r| r[status] == "已报送"));
    // A submitted member names the file that counts and its 填报日期; one
    // whose earlier file was replaced lists it.
    let file = header.iter().position(|h| h == "采用的文件").unwrap();
    assert!(rows
        .iter()
        .filter(|r| r[status] == "已报送")
        .all(|r| !r[file].is_empty()));
    let superseded = header.iter().position(|h| h == "被替代的文件").unwrap();
    let with_superseded = rows.iter().filter(|r| !r[superseded].is_empty()).count() as i64;
    assert_eq!(
        with_superseded,
        ws.query_i64("SELECT count(DISTINCT credit_code) FROM superseded_submissions s JOIN member_years m USING (credit_code, year) WHERE year = 2024")
    );

    // Per committee: the 合计 row is the members and the reporting count.
    let (_, by_committee) = read_csv(&dir.join("submission_status_by_committee.csv"));
    let total = by_committee.iter().find(|r| r[0] == "合计").unwrap();
    assert_eq!(total[1], members.to_string());
    assert_eq!(total[2], reporting.to_string());
    assert_eq!(total[3], (members - reporting).to_string());

    // headline.md and summary.xlsx say the same.
    let rate = format!(
        "报送率 {:.2}%（{reporting}/{members} 家）",
        (reporting as f64 * 100.0 / members as f64 * 100.0).round() / 100.0
    );
    let md = std::fs::read_to_string(dir.join("headline.md")).unwrap();
    assert!(md.contains(&rate), "{rate} not in headline.md");
    let mut wb = open_workbook_auto(dir.join("summary.xlsx")).unwrap();
    let sheet = wb.worksheet_range("报送情况").unwrap();
    assert!(sheet.rows().any(|r| r[0].to_string().contains(&rate)));

    // check --status: the same rate, every missing member by code.
    let out = ws.cmd(&["check", "--status", "--year", "2024"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains(&rate), "{text}");
    for r in rows.iter().filter(|r| r[status] == "未报送") {
        assert!(text.contains(&r[0]), "{} missing from check --status", r[0]);
    }
    let v = ws.json(&["check", "--status", "--format", "json"], Some(0));
    assert_eq!(v["members_list"].as_array().unwrap().len(), members);
}

#[test]
fn status_before_any_run_says_to_run_first() {
    let ws = Workspace::new();
    ws.cmd(&["check", "--status"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("chamberstat run"));
}
