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

/// The contract's metrics, listed here rather than read from the program,
/// with how each figure is made of its rows: summed, or a percentage of
/// numerator over denominator rows.
const METRICS: [(&str, Figure); 24] = [
    ("member_companies", Figure::Count),
    ("reporting_companies", Figure::Count),
    ("listed_companies", Figure::Count),
    ("listed_or_leading", Figure::Count),
    ("china_private_top500", Figure::Count),
    ("shanghai_private_top100", Figure::Count),
    ("revenue_total", Figure::Money),
    ("profit_tax_total", Figure::Money),
    ("tax_total", Figure::Money),
    ("jobs_total", Figure::Count),
    ("donations_total", Figure::Money),
    ("party_members_total", Figure::Count),
    ("party_org_coverage_vp_plus", Figure::Share),
    ("financing_facilitated", Figure::Money),
    ("financing_facilitated_cumulative", Figure::Money),
    ("financed_companies", Figure::Count),
    ("bank_partners", Figure::Count),
    ("bank_credit_lines_cumulative", Figure::Money),
    ("district_partners", Figure::Count),
    ("investment_landed_cumulative", Figure::Money),
    ("committees_reporting", Figure::Count),
    ("events_total", Figure::Count),
    ("campus_recruitment_events", Figure::Count),
    ("event_participants_total", Figure::Count),
];

#[derive(Clone, Copy)]
enum Figure {
    Count,
    Money,
    Share,
}

/// The figure `explain`'s rows make, by this test's own arithmetic: the
/// rows summed as exact decimals, to whole numbers or cents half away from
/// zero; a share as whole hundredths of a percent.
fn figure_of_rows(kind: Figure, rows: &[serde_json::Value]) -> String {
    use rust_decimal::prelude::*;
    let sum = |role: &str| -> Decimal {
        rows.iter()
            .filter(|r| r["role"] == role)
            .map(|r| Decimal::from_str(r["value"].as_str().unwrap()).unwrap())
            .sum()
    };
    let round = |v: Decimal, dp: u32| {
        let mut r = v.round_dp_with_strategy(dp, RoundingStrategy::MidpointAwayFromZero);
        r.rescale(dp);
        r.to_string()
    };
    match kind {
        Figure::Count => round(sum("figure"), 0),
        Figure::Money => round(sum("figure"), 2),
        Figure::Share => {
            let (n, d) = (sum("numerator"), sum("denominator"));
            if d.is_zero() {
                "0.00".into()
            } else {
                let hundredths = ((n * Decimal::from(20_000) + d) / (Decimal::TWO * d)).floor();
                round(hundredths / Decimal::ONE_HUNDRED, 2)
            }
        }
    }
}

#[test]
fn explain_lists_the_rows_every_figure_is_made_of() {
    let ws = Workspace::new();
    // Seed 5 gives every figure cells, a share that is not whole (83.33)
    // and traps (rows rejected, files superseded) that must not be listed.
    ws.generate(&[
        "--members",
        "120",
        "--years",
        "2023,2024",
        "--seed",
        "5",
        "--traps",
        "0.1",
    ]);
    let headline = ws.run_year(2024);
    let published: Vec<(&str, &str)> = headline
        .lines()
        .skip(1)
        .map(|l| {
            let mut parts = l.split(',');
            (parts.next().unwrap(), parts.next().unwrap())
        })
        .collect();
    let ids: Vec<&str> = METRICS.iter().map(|(id, _)| *id).collect();
    assert_eq!(published.iter().map(|(id, _)| *id).collect::<Vec<_>>(), ids);
    let mut with_rows = 0;
    for ((metric, kind), (_, value)) in METRICS.iter().zip(&published) {
        let v = ws.json(
            &["explain", metric, "--year", "2024", "--format", "json"],
            Some(0),
        );
        let rows = v["rows"].as_array().unwrap();
        assert_eq!(
            figure_of_rows(*kind, rows),
            *value,
            "the rows of explain {metric}"
        );
        assert_eq!(v["total"], *value, "the total line of explain {metric}");
        with_rows += usize::from(!rows.is_empty());
    }
    // Every figure of a generated year has cells behind it, so a listing
    // that went empty (and summed to 0 = 0) fails here.
    assert_eq!(with_rows, METRICS.len(), "metrics whose explain lists rows");
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
