//! Snapshots (insta) of what people read on the demo inputs: headline.md,
//! an `explain` table and the `check` report. A change to any of them shows
//! up as a reviewed diff of `tests/snapshots/*.snap`, not as a silent
//! rewording. Update with `INSTA_UPDATE=always cargo test --release --test
//! snapshots` and review the diff.

mod common;

use std::path::Path;

use common::command_for;

fn demo() -> &'static Path {
    Box::leak(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("inputs")
            .into_boxed_path(),
    )
}

fn stdout(mut c: std::process::Command) -> String {
    let out = c.output().unwrap();
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn demo_headline_md_explain_table_and_check_report() {
    let tmp = tempfile::tempdir().unwrap();
    let (outputs, db) = (tmp.path().join("outputs"), tmp.path().join("w.duckdb"));
    let mut run = command_for(demo(), &outputs, &db);
    run.args(["-q", "run", "--year", "2024"]);
    assert!(run.status().unwrap().success());
    let md = std::fs::read_to_string(outputs.join("2024/headline.md")).unwrap();
    insta::assert_snapshot!("demo_headline_md", md);

    let mut explain = command_for(demo(), &outputs, &db);
    explain.args(["explain", "bank_partners", "--year", "2024"]);
    insta::assert_snapshot!("demo_explain_bank_partners", stdout(explain));

    let mut check = command_for(demo(), &outputs, &db);
    check.args(["-q", "check"]);
    insta::assert_snapshot!("demo_check", stdout(check));
}
