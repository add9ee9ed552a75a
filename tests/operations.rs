//! Nightly operations: incremental runs equal cold runs, one run at a time,
//! a killed run leaves nothing half-done, the schedules name real flags,
//! logs go to stderr (JSON for cron) and stdout stays clean.

mod common;

use std::path::Path;
use std::time::Duration;

use clap::Parser;
use common::Workspace;
use predicates::str::contains;

fn outputs(ws: &Workspace, year: i32) -> Vec<(String, Vec<u8>)> {
    common::files_of(&ws.outputs().join(year.to_string()))
}

/// Run cold on the same inputs into a fresh warehouse and outputs folder,
/// and return its outputs of `year`.
fn cold_outputs(inputs: &Path, year: i32) -> Vec<(String, Vec<u8>)> {
    let cold = tempfile::tempdir().unwrap();
    let outputs = cold.path().join("outputs");
    assert_cmd::Command::from_std(common::command_for(
        inputs,
        &outputs,
        &cold.path().join("cold.duckdb"),
    ))
    .args(["run", "--full", "--year", &year.to_string()])
    .assert()
    .success();
    common::files_of(&outputs.join(year.to_string()))
}

/// Run incrementally, then check the outputs equal a cold run's.
fn assert_same_as_cold(ws: &Workspace, step: &str) {
    ws.run_year(2024);
    assert_eq!(outputs(ws, 2024), cold_outputs(&ws.inputs(), 2024), "{step}");
}

#[test]
fn incremental_runs_equal_cold_runs_after_add_change_remove_and_rename() {
    let ws = Workspace::new();
    ws.generate(&["--members", "40", "--years", "2023,2024", "--seed", "21"]);
    ws.run_year(2024);
    let companies = ws.inputs().join("2024/companies");
    let mut files: Vec<_> = std::fs::read_dir(&companies)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.extension().is_some_and(|e| e == "xlsx")
                && p.file_name().unwrap().to_string_lossy().starts_with('0')
        })
        .collect();
    files.sort();
    // remove
    std::fs::remove_file(&files[0]).unwrap();
    assert_same_as_cold(&ws, "after a removal");
    // rename (a moved file keeps its content but changes its path)
    std::fs::rename(&files[1], companies.join("zz_renamed.xlsx")).unwrap();
    assert_same_as_cold(&ws, "after a rename");
    // change: swap two files' contents
    let (a, b) = (
        std::fs::read(&files[2]).unwrap(),
        std::fs::read(&files[3]).unwrap(),
    );
    std::fs::write(&files[2], &b).unwrap();
    std::fs::write(&files[3], &a).unwrap();
    assert_same_as_cold(&ws, "after a change");
    // add: a second copy of a submission (a resubmission on the same date)
    std::fs::copy(&files[4], companies.join("0000_added.xlsx")).unwrap();
    assert_same_as_cold(&ws, "after an addition");
    // and the warehouse holds each row once
    assert_eq!(
        ws.query_i64("SELECT count(*) FROM (SELECT path, sheet, row_no FROM company_reports GROUP BY ALL HAVING count(*) > 1)"),
        0
    );
}

#[test]
fn a_second_run_fails_at_once_with_exit_2_naming_the_holder_pid() {
    let ws = Workspace::new();
    ws.generate(&["--members", "10", "--years", "2024"]);
    let lock = chamberstat::util::lock::acquire(&ws.db(), Duration::ZERO).unwrap();
    ws.cmd(&["run"])
        .assert()
        .code(2)
        .stderr(contains(format!("pid {}", std::process::id())));
    drop(lock);
    ws.cmd(&["run"]).assert().success();
}

/// The workbooks are written through temporary files (rust_xlsxwriter's
/// constant-memory mode), which the library cannot fail to create without
/// panicking: a run whose TMPDIR is unusable stops with exit 2 naming it.
#[test]
fn a_run_without_a_usable_tmpdir_exits_2_naming_it() {
    let ws = Workspace::new();
    ws.generate(&["--members", "10", "--years", "2024"]);
    let missing = ws.outputs().join("no-such-tmp");
    ws.cmd(&["run"]).env("TMPDIR", &missing).assert().code(2).stderr(
        predicates::prelude::PredicateBooleanExt::and(
            contains("TMPDIR"),
            contains(missing.to_str().unwrap()),
        ),
    );
    ws.cmd(&["run"]).assert().success();
}

#[test]
fn a_killed_run_leaves_outputs_that_a_rerun_makes_identical_to_an_uninterrupted_one() {
    let ws = Workspace::new();
    ws.generate(&["--members", "120", "--years", "2023,2024", "--seed", "31"]);
    let want = cold_outputs(&ws.inputs(), 2024);
    for delay_ms in [5, 40, 120, 300, 700] {
        let mut child = common::command_for(&ws.inputs(), &ws.outputs(), &ws.db())
            .args(["run", "--year", "2024"])
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        let _ = child.kill(); // SIGKILL on unix
        let _ = child.wait();
        // Only final names (whole files, renamed into place) or the
        // writer's own temporary files (`.tmp…`, never a final name).
        let finals: Vec<&str> = want.iter().map(|(n, _)| n.as_str()).collect();
        let year_dir = ws.outputs().join("2024");
        if year_dir.is_dir() {
            for path in common::walk(&year_dir) {
                let name = path
                    .strip_prefix(&year_dir)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                let temporary = path.file_name().unwrap().to_string_lossy().starts_with(".tmp");
                assert!(finals.contains(&name.as_str()) || temporary, "{name}");
            }
        }
        ws.cmd(&["run", "--year", "2024"]).assert().success();
        assert_eq!(outputs(&ws, 2024), want, "after a kill at {delay_ms} ms");
        // The rerun cleared what the killed run left half-written.
    }
}

#[test]
fn json_logs_go_to_stderr_one_object_per_line_and_stdout_stays_empty() {
    let ws = Workspace::new();
    ws.generate(&["--members", "10", "--years", "2024"]);
    let out = ws
        .cmd(&["--log-format", "json", "run"])
        .assert()
        .success()
        .get_output()
        .clone();
    assert!(out.stdout.is_empty(), "stdout is for data");
    let stderr = String::from_utf8(out.stderr).unwrap();
    let lines: Vec<serde_json::Value> = stderr
        .lines()
        .map(|l| serde_json::from_str(l).expect(l))
        .collect();
    let last = lines
        .iter()
        .rev()
        .find(|v| v["message"] == "run finished")
        .expect("a summary line");
    assert!(
        last["span"]["run_id"].as_str().is_some_and(|id| !id.is_empty()),
        "{last}"
    );
    for key in [
        "files_read",
        "files_skipped",
        "files_rejected",
        "rows_accepted",
        "rows_rejected",
        "duration_ms",
    ] {
        assert!(last.get(key).is_some(), "{key} in {last}");
    }
}

#[test]
fn quiet_runs_print_nothing_on_success() {
    let ws = Workspace::new();
    ws.generate(&["--members", "10", "--years", "2024"]);
    let out = ws.cmd(&["-q", "run"]).assert().success().get_output().clone();
    assert!(out.stdout.is_empty() && out.stderr.is_empty());
}

/// The command lines in `schedules/` must parse with the real CLI.
#[test]
fn schedules_name_the_real_binary_and_valid_flags() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("schedules");
    let cron = std::fs::read_to_string(dir.join("chamberstat.cron")).unwrap();
    assert!(cron.contains("CRON_TZ=Asia/Shanghai"));
    let line = cron
        .lines()
        .find(|l| l.starts_with("30 2 "))
        .expect("a 02:30 entry");
    assert!(line.contains("flock "));
    let cmd = line
        .split("/usr/local/bin/chamberstat")
        .nth(1)
        .unwrap()
        .split(">>")
        .next()
        .unwrap();
    let args: Vec<&str> = std::iter::once("chamberstat")
        .chain(cmd.split_whitespace())
        .collect();
    chamberstat::cli::Cli::try_parse_from(&args).unwrap_or_else(|e| panic!("cron: {e}"));

    let service = std::fs::read_to_string(dir.join("chamberstat.service")).unwrap();
    let exec = service
        .lines()
        .find_map(|l| l.strip_prefix("ExecStart="))
        .unwrap();
    let args: Vec<&str> = exec.split_whitespace().collect();
    assert_eq!(args[0], "/usr/local/bin/chamberstat");
    let mut parse = vec!["chamberstat"];
    parse.extend(&args[1..]);
    chamberstat::cli::Cli::try_parse_from(&parse).unwrap_or_else(|e| panic!("service: {e}"));

    let timer = std::fs::read_to_string(dir.join("chamberstat.timer")).unwrap();
    assert!(timer.contains("OnCalendar=*-*-* 02:30:00 Asia/Shanghai"));
    assert!(timer.contains("Persistent=true"));

    // systemd's own parser, which ships with Debian's systemd package (on
    // every machine this project builds on); without it this test fails
    // rather than pass having checked less.
    let out = std::process::Command::new("systemd-analyze")
        .arg("verify")
        .arg(dir.join("chamberstat.timer"))
        .arg(dir.join("chamberstat.service"))
        .output()
        .expect("systemd-analyze (Debian's systemd package) checks the unit files");
    {
        let text = String::from_utf8_lossy(&out.stderr);
        // The binary is not installed on a build machine; every other
        // complaint is a real error in the unit files.
        let real: Vec<&str> = text
            .lines()
            .filter(|l| {
                !l.contains("/usr/local/bin/chamberstat")
                    && !l.contains("chamberstat.service")
                    && !l.trim().is_empty()
            })
            .collect();
        assert!(real.is_empty(), "systemd-analyze: {text}");
    }
}

#[test]
fn a_run_with_nothing_new_keeps_the_outputs_and_rewrites_a_tampered_one() {
    let ws = Workspace::new();
    ws.generate(&["--members", "20", "--years", "2024", "--seed", "2"]);
    ws.run_year(2024);
    let before = outputs(&ws, 2024);
    assert!(ws.stderr(&["-v", "run"]).contains("outputs are current"));
    assert_eq!(outputs(&ws, 2024), before);
    // An edited report is not current any more: the next run rewrites it.
    std::fs::write(ws.outputs().join("2024/headline.csv"), "edited by hand\n").unwrap();
    assert!(!ws.stderr(&["-v", "run"]).contains("outputs are current"));
    assert_eq!(outputs(&ws, 2024), before);
}

/// With nothing new, a run stops after the walk and a stat per file: the
/// warehouse is not even opened. Whatever changed an input, the warehouse
/// or an output, and `--full`, take the long way, which says why.
#[test]
fn a_run_with_nothing_new_stops_after_the_walk_and_any_change_takes_the_long_way() {
    use std::os::unix::fs::MetadataExt;
    let ws = Workspace::new();
    ws.generate(&["--members", "20", "--years", "2024", "--seed", "2"]);
    common::age_tree(&ws.inputs());
    // The totals of the summary line, which a run with nothing new repeats.
    let totals = |log: &str| {
        let line = log
            .lines()
            .find(|l| l.contains("run finished"))
            .unwrap()
            .to_string();
        let cut = |from: &str, to: &str| line[line.find(from).unwrap()..line.find(to).unwrap()].to_string();
        (
            cut("files_read=", "files_parsed="),
            cut("rows_accepted=", "duration_ms="),
        )
    };
    let cold = totals(&ws.stderr(&["-v", "run"]));
    let before = outputs(&ws, 2024);
    let warehouse = || {
        let m = std::fs::metadata(ws.db()).unwrap();
        (m.len(), m.mtime(), m.mtime_nsec(), m.ino())
    };
    let untouched = warehouse();
    let long_way = |log: &str| log.contains("load{");
    let log = ws.stderr(&["-vv", "run"]);
    assert!(log.contains("outputs are current") && !long_way(&log), "{log}");
    assert_eq!(warehouse(), untouched);
    assert_eq!(totals(&log), cold);

    std::fs::write(ws.outputs().join("2024/headline.csv"), "edited by hand\n").unwrap();
    let log = ws.stderr(&["-vv", "run"]);
    assert!(
        log.contains("changed since the last run: an output file") && long_way(&log),
        "{log}"
    );
    assert_eq!(outputs(&ws, 2024), before);
    assert!(!long_way(&ws.stderr(&["-v", "run"])));

    common::set_age(&ws.db(), 10);
    let log = ws.stderr(&["-vv", "run"]);
    assert!(
        log.contains("changed since the last run: the warehouse file") && long_way(&log),
        "{log}"
    );

    let one = common::walk(&ws.inputs().join("2024/companies")).remove(0);
    common::set_age(&one, 30);
    let log = ws.stderr(&["-vv", "run"]);
    assert!(
        log.contains("changed since the last run: an input") && long_way(&log),
        "{log}"
    );
    assert!(!long_way(&ws.stderr(&["-v", "run"])));
    assert!(long_way(&ws.stderr(&["-v", "run", "--full"])));
    assert_eq!(outputs(&ws, 2024), before);

    // A file written just now has no trusted time: no record is left, so
    // the next run cannot take its stat for its content.
    std::fs::copy(&one, ws.inputs().join("2024/companies/new.xlsx")).unwrap();
    ws.run_year(2024);
    assert!(!ws.db().with_file_name("warehouse.duckdb.current.json").exists());
    assert!(long_way(&ws.stderr(&["-v", "run"])));
}

/// cron and an installed binary start in some other folder: the queries
/// compiled into the binary are used and manifest.json says so; a
/// `--queries` folder overrides them and is recorded instead.
#[test]
fn runs_from_any_folder_with_the_embedded_queries_and_records_which_were_used() {
    let ws = Workspace::new();
    ws.generate(&["--members", "30", "--years", "2024", "--seed", "2"]);
    let elsewhere = tempfile::tempdir().unwrap();
    let mut c = common::bin();
    c.current_dir(elsewhere.path())
        .env_remove("CHAMBERSTAT_QUERIES")
        .arg("run")
        .arg("--inputs")
        .arg(ws.inputs())
        .arg("--outputs")
        .arg(ws.outputs())
        .arg("--db")
        .arg(ws.db());
    c.assert().success();
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(ws.outputs().join("2024/manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["queries_source"], "embedded");
    let names: Vec<&str> = manifest["queries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["path"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"00_rules.sql") && names.contains(&"85_callback.sql"),
        "{names:?}"
    );
    let embedded = std::fs::read(ws.outputs().join("2024/headline.csv")).unwrap();

    // The same queries from a folder: the same figures, the folder recorded.
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("queries");
    ws.cmd(&["run", "--full", "--queries", folder.to_str().unwrap()])
        .assert()
        .success();
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(ws.outputs().join("2024/manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["queries_source"], folder.to_str().unwrap());
    assert_eq!(
        std::fs::read(ws.outputs().join("2024/headline.csv")).unwrap(),
        embedded
    );

    // A folder that does not exist is an error naming it (exit 2).
    ws.cmd(&["run", "--queries", "/nonexistent/queries"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("/nonexistent/queries"));
}

/// A log collector reads stderr line by line as JSON: under
/// `--log-format json` the final error is one JSON object too.
#[test]
fn in_json_mode_a_fatal_error_is_one_json_object_with_its_exit_code() {
    let tmp = tempfile::tempdir().unwrap();
    let out = common::bin()
        .args([
            "--log-format",
            "json",
            "--inputs",
            "/nonexistent/inputs",
            "--outputs",
        ])
        .arg(tmp.path())
        .arg("run")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    for line in stderr.lines() {
        serde_json::from_str::<serde_json::Value>(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
    }
    let last: serde_json::Value = serde_json::from_str(stderr.lines().last().unwrap()).unwrap();
    assert_eq!(last["level"], "ERROR");
    assert_eq!(last["exit_code"], 2);
    assert!(last["error"].as_str().unwrap().contains("/nonexistent/inputs"));
}
