//! 问题清单: rejects.xlsx and rejects.csv as the secretariat uses them to
//! call senders back, read back with calamine and the csv crate.

mod common;

use calamine::{open_workbook_auto, Data, Reader};
use common::Workspace;

fn rows(path: &std::path::Path, sheet: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut wb = open_workbook_auto(path).unwrap();
    let range = wb.worksheet_range(sheet).unwrap();
    let mut it = range.rows().skip(1); // the title row
    let header = it.next().unwrap().iter().map(|d| d.to_string()).collect();
    let body = it
        .filter(|r| r.iter().any(|d| !matches!(d, Data::Empty)) && r[0] != "（无）")
        .map(|r| r.iter().map(|d| d.to_string()).collect())
        .collect();
    (header, body)
}

#[test]
fn call_back_list_names_the_sender_and_the_outcome_of_every_problem_in_chinese() {
    let ws = common::traps_tree();
    let dir = ws.outputs().join("2024");
    let (header, problems) = rows(&dir.join("rejects.xlsx"), "问题清单");
    assert_eq!(
        header,
        [
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
            "reason (English)"
        ]
    );
    assert!(!problems.is_empty());
    for p in &problems {
        assert!(!p[0].is_empty(), "no sender: {p:?}");
        assert!(!p[8].is_empty(), "no outcome: {p:?}");
        // 问题 is Chinese only: the English half has its own column.
        assert!(!p[7].contains(" / "), "bilingual 问题: {p:?}");
        assert!(
            !p[7].contains("expected") && !p[7].contains("cannot"),
            "English in 问题: {p:?}"
        );
    }
    // Grouped by sender: each sender's rows are together.
    let senders: Vec<&String> = problems.iter().map(|p| &p[0]).collect();
    let mut seen: Vec<&String> = Vec::new();
    for s in &senders {
        if seen.last() != Some(s) {
            assert!(!seen.contains(s), "{s} appears in two places");
            seen.push(s);
        }
    }
    // A row rejected for a mistyped credit code names the company it came
    // from (the file's own company) and says the row was left out.
    let mistyped = problems
        .iter()
        .find(|p| p[7].contains("校验码错误"))
        .expect("a mistyped credit code among the traps");
    assert!(mistyped[0].ends_with("公司"), "{mistyped:?}");
    assert_eq!(mistyped[8], "本行未计入");

    // rejects.csv: the same rows and columns, with a BOM.
    let bytes = std::fs::read(dir.join("rejects.csv")).unwrap();
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"));
    let mut r = csv::Reader::from_reader(&bytes[3..]);
    assert_eq!(r.headers().unwrap().iter().collect::<Vec<_>>(), header);
    let csv_rows: Vec<Vec<String>> = r
        .records()
        .map(|x| x.unwrap().iter().map(str::to_string).collect())
        .collect();
    assert_eq!(csv_rows.len(), problems.len());
    for (c, x) in csv_rows.iter().zip(&problems) {
        assert_eq!(c[0], x[0]);
        assert_eq!(c[5], x[5]);
    }
}

#[test]
fn rows_set_aside_by_rule_each_get_a_sheet_matching_the_warehouse() {
    let ws = common::traps_tree();
    let xlsx = ws.outputs().join("2024/rejects.xlsx");
    for (sheet, sql) in [
        (
            "被替代的报送",
            "SELECT count(*) FROM superseded_submissions WHERE year = 2024",
        ),
        (
            "非会员数据",
            "SELECT count(*) FROM non_member_rows WHERE year = 2024",
        ),
        (
            "重复活动",
            "SELECT count(*) FROM event_duplicates WHERE year = 2024",
        ),
    ] {
        let (_, body) = rows(&xlsx, sheet);
        let want = ws.query_i64(sql);
        assert!(want > 0, "{sheet}: the traps should produce some");
        assert_eq!(body.len() as i64, want, "{sheet}");
        assert!(
            body.iter().all(|r| !r.last().unwrap().is_empty()),
            "{sheet} 处理结果"
        );
    }
    // 数据质量 counts what these sheets list, in Chinese.
    let dq = std::fs::read(ws.outputs().join("2024/data_quality.csv")).unwrap();
    let text = String::from_utf8(dq[3..].to_vec()).unwrap();
    assert!(text.contains("被较新报送替代的文件"), "{text}");
    assert!(!text.contains("superseded"), "{text}");
}

/// Five members in 2024 without traps, beside a group workbook (`group`:
/// the generator's group options), run.
fn group_tree(group: &[&str]) -> Workspace {
    let ws = Workspace::new();
    let mut args = vec!["--members", "5", "--years", "2024", "--traps", "0"];
    args.extend_from_slice(group);
    ws.generate(&args);
    ws.run_year(2024);
    ws
}

/// A group's workbook of subsidiaries outside the registry is one line of
/// 非会员数据 saying how many rows, not one line per row.
#[test]
fn many_non_member_rows_of_one_sheet_are_one_line_with_their_count() {
    let ws = group_tree(&["--group-rows", "30"]);
    let (_, body) = rows(&ws.outputs().join("2024/rejects.xlsx"), "非会员数据");
    assert_eq!(
        ws.query_i64("SELECT count(*) FROM non_member_rows WHERE year = 2024"),
        30
    );
    assert_eq!(body.len(), 1, "{body:?}");
    assert!(body[0][0].contains("30 家非会员企业"), "{body:?}");
    assert!(body[0][5].contains('–'), "the rows as a range: {body:?}");
}

/// A group workbook whose 营业收入 a clerk typed as words on every row: each
/// cell is one line of 问题清单 (read back from the inline text rejects.xlsx
/// writes), and its row is kept with the cell as missing.
#[test]
fn an_unreadable_amount_on_every_row_is_one_line_each_with_its_cell() {
    let ws = group_tree(&["--group-rows", "40", "--group-unreadable", "1"]);
    let (_, body) = rows(&ws.outputs().join("2024/rejects.xlsx"), "问题清单");
    let group: Vec<&Vec<String>> = body
        .iter()
        .filter(|r| r[3].ends_with("99999_集团成员汇总.xlsx"))
        .collect();
    assert_eq!(group.len(), 40, "{group:?}");
    for r in &group {
        assert!(r[6].starts_with('约') && r[6].ends_with("万多"), "{r:?}");
        assert!(r[5].starts_with('D'), "the 营业收入 cell: {r:?}");
        assert_eq!(r[8], "本单元格按缺失处理，本行其余数据已计入", "{r:?}");
    }
    assert_eq!(
        ws.query_i64("SELECT count(*) FROM non_member_rows WHERE year = 2024"),
        40
    );
}
