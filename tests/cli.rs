//! The command line as an operator, a submitter and an auditor use it:
//! exit codes, `check`, `explain`, and errors that name what went wrong.

mod common;

use common::{bin, Workspace};
use predicates::str::contains;

#[test]
fn run_without_inputs_exits_2_naming_the_folder() {
    let ws = Workspace::new();
    ws.cmd(&["run"]).assert().code(2).stderr(contains("inputs"));
}

#[test]
fn run_for_a_year_without_a_folder_exits_2_listing_the_years() {
    let ws = Workspace::new();
    ws.generate(&["--members", "20", "--years", "2024"]);
    ws.cmd(&["run", "--year", "2030"])
        .assert()
        .code(2)
        .stderr(contains("2030"))
        .stderr(contains("2024"));
}

#[test]
fn run_defaults_to_the_latest_year_and_exits_0_despite_rejected_rows() {
    let ws = Workspace::new();
    ws.generate(&["--members", "30", "--years", "2023,2024", "--traps", "0.2"]);
    ws.cmd(&["run"]).assert().success();
    assert!(ws.outputs().join("2024/headline.csv").is_file());
    assert!(!ws.outputs().join("2023/headline.csv").exists());
}

#[test]
fn check_on_a_clean_tree_exits_0_and_on_rejections_exits_1() {
    let clean = Workspace::new();
    clean.generate(&["--members", "20", "--years", "2024", "--traps", "0"]);
    clean.cmd(&["check"]).assert().success();

    let dirty = Workspace::new();
    dirty.generate(&["--members", "20", "--years", "2024", "--traps", "0.1"]);
    dirty
        .cmd(&["check"])
        .assert()
        .code(1)
        .stdout(contains("损坏文件.xlsx"))
        .stdout(contains("unknown committee"));
}

#[test]
fn check_json_lists_problems_with_file_sheet_cell_raw_and_reason() {
    let ws = Workspace::new();
    ws.generate(&["--members", "20", "--years", "2024", "--traps", "0.1"]);
    let v = ws.json(&["check", "--format", "json"], Some(1));
    let problems = v["problems"].as_array().unwrap();
    assert!(!problems.is_empty());
    for key in ["level", "path", "sheet", "cell", "raw", "reason"] {
        assert!(problems[0].get(key).is_some(), "{key} in {}", problems[0]);
    }
    assert!(problems
        .iter()
        .any(|p| p["level"] == "file" && p["reason"].as_str().unwrap().contains("unknown committee")));
}

#[test]
fn explain_unknown_metric_is_a_usage_error_listing_the_valid_ids() {
    let ws = Workspace::new();
    ws.cmd(&["explain", "profits"])
        .assert()
        .code(2)
        .stderr(contains("profit_tax_total"))
        .stderr(contains("event_participants_total"));
}

#[test]
fn explain_totals_equal_headline_for_every_metric() {
    let ws = Workspace::new();
    ws.generate(&["--members", "60", "--years", "2023,2024", "--seed", "4"]);
    let headline = ws.run_year(2024);
    for line in headline.lines().skip(1) {
        let mut parts = line.split(',');
        let (metric, value) = (parts.next().unwrap(), parts.next().unwrap());
        let v = ws.json(
            &["explain", metric, "--year", "2024", "--format", "json"],
            Some(0),
        );
        assert_eq!(v["total"], value, "explain {metric}");
    }
}

#[test]
fn explain_before_any_run_says_to_run_first() {
    let ws = Workspace::new();
    ws.cmd(&["explain", "jobs_total"])
        .assert()
        .code(2)
        .stderr(contains("chamberstat run"));
}

#[test]
fn help_documents_the_exit_codes() {
    bin()
        .arg("--help")
        .assert()
        .success()
        .stdout(contains("Exit codes"));
}

#[test]
fn check_annotate_writes_a_copy_with_a_comment_on_the_rejected_cell() {
    let ws = Workspace::new();
    ws.generate(&[
        "--members",
        "20",
        "--years",
        "2024",
        "--traps",
        "0.1",
        "--seed",
        "5",
    ]);
    let dir = ws.dir.path().join("annotated");
    let v = ws.json(
        &["check", "--format", "json", "--annotate", dir.to_str().unwrap()],
        Some(1),
    );
    // The unknown committee's file is rejected with its note cell named.
    let p = v["problems"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["level"] == "file" && p["path"].as_str().unwrap().ends_with("99_unknown.xlsx"))
        .unwrap();
    let copy = dir.join(p["path"].as_str().unwrap());
    assert!(copy.is_file(), "{}", copy.display());
    // The note is stored in the copy's comments part, naming the reason.
    let bytes = std::fs::read(&copy).unwrap();
    assert!(
        bytes.windows(16).any(|w| w == b"xl/comments1.xml"),
        "a comment part in the copy"
    );
}
