//! Scale-out: staging in shards gives the same rows as staging at once,
//! `run --staged` gives the same outputs as `run`, re-staging a shard
//! replaces exactly its own files, and Spark (local mode) running the same
//! query files over a 3-shard staging writes the same headline.csv as
//! DuckDB for every year of the demo inputs.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use common::{command_for, files_of, walk, write_sheet, Workspace, V};

fn stage(inputs: &Path, out: &Path, shard: &str) {
    let scratch = tempfile::tempdir().unwrap();
    let status = command_for(
        inputs,
        &scratch.path().join("o"),
        &scratch.path().join("w.duckdb"),
    )
    .args(["-q", "stage", "--out"])
    .arg(out)
    .args(["--shard", shard])
    .status()
    .unwrap();
    assert!(status.success(), "stage {shard}");
}

/// Every Parquet file under a staging folder with its bytes.
fn parquet_files(dir: &Path) -> BTreeMap<String, (Vec<u8>, std::time::SystemTime)> {
    walk(dir)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "parquet"))
        .map(|p| {
            let rel = p.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
            let modified = std::fs::metadata(&p).unwrap().modified().unwrap();
            (rel, (std::fs::read(&p).unwrap(), modified))
        })
        .collect()
}

/// Rows of a staged table in one folder that the other lacks, both ways.
fn table_difference(a: &Path, b: &Path, table: &str) -> (i64, i64, i64) {
    let conn = duckdb::Connection::open_in_memory().unwrap();
    let read = |d: &Path| {
        format!(
            "read_parquet('{}/{table}/*/*.parquet', hive_partitioning = true)",
            d.display()
        )
    };
    let q = |sql: String| conn.query_row(&sql, [], |r| r.get::<_, i64>(0)).unwrap();
    let count = q(format!("SELECT count(*) FROM {}", read(a)));
    let only_a = q(format!(
        "SELECT count(*) FROM (SELECT * FROM {} EXCEPT ALL SELECT * FROM {})",
        read(a),
        read(b)
    ));
    let only_b = q(format!(
        "SELECT count(*) FROM (SELECT * FROM {} EXCEPT ALL SELECT * FROM {})",
        read(b),
        read(a)
    ));
    (count, only_a, only_b)
}

/// The tables a staging folder holds, as it says itself: `_schema/` has
/// an empty file with the full schema of every staged table.
fn staged_tables(dir: &Path) -> Vec<String> {
    let mut tables: Vec<String> = std::fs::read_dir(dir.join("_schema"))
        .unwrap()
        .map(|e| {
            e.unwrap()
                .file_name()
                .to_string_lossy()
                .trim_end_matches(".parquet")
                .to_string()
        })
        .collect();
    tables.sort();
    tables
}

#[test]
fn three_shards_stage_the_same_rows_as_one_and_run_staged_equals_run() {
    let ws = Workspace::new();
    ws.generate(&[
        "--members",
        "60",
        "--years",
        "2023,2024",
        "--seed",
        "31",
        "--traps",
        "0.1",
    ]);
    // The generator writes no 期初累计; one balance, so that every table
    // of the input contract has rows to stage.
    let cells = [
        (0, 0, V::S("指标")),
        (0, 1, V::S("截至日期")),
        (0, 2, V::S("金额（万元）")),
        (1, 0, V::S("financing_facilitated_cumulative")),
        (1, 1, V::S("2021-12-31")),
        (1, 2, V::N(120000.0)),
    ];
    write_sheet(&ws.inputs().join("reference/期初累计.xlsx"), "期初累计", &cells);
    let one = ws.outputs().join("staged-1");
    let three = ws.outputs().join("staged-3");
    stage(&ws.inputs(), &one, "1/1");
    for k in 1..=3 {
        stage(&ws.inputs(), &three, &format!("{k}/3"));
    }
    let tables = staged_tables(&one);
    assert_eq!(tables, staged_tables(&three));
    // Every sheet kind of the input contract and the per-file accounting.
    for expected in [
        "members",
        "opening_balances",
        "company_reports",
        "input_files",
        "sheets",
        "problems",
    ] {
        assert!(
            tables.iter().any(|t| t == expected),
            "{expected} not staged: {tables:?}"
        );
    }
    for table in &tables {
        let (count, only_one, only_three) = table_difference(&one, &three, table);
        assert!(count > 0, "{table} staged no rows");
        assert_eq!(
            (only_one, only_three),
            (0, 0),
            "{table}: rows differ between 1 and 3 shards"
        );
    }
    // Each shard wrote its own files: every part file names one of the 3.
    let files = parquet_files(&three);
    assert!(files
        .keys()
        .filter(|f| !f.starts_with("_schema"))
        .all(|f| f.contains("-of-3.parquet")));
    for k in 1..=3 {
        assert!(
            files.keys().any(|f| f.contains(&format!("part-{k}-of-3"))),
            "shard {k} wrote nothing"
        );
    }

    // run --staged equals run, file for file; manifest.json names the
    // staged files instead of workbooks.
    for year in [2023, 2024] {
        ws.run_year(year);
        let staged_out = ws.outputs().join("from-staged");
        let status = command_for(&ws.inputs(), &staged_out, &ws.outputs().join("staged.duckdb"))
            .args(["-q", "run", "--year", &year.to_string(), "--staged"])
            .arg(&three)
            .status()
            .unwrap();
        assert!(status.success());
        let normal = files_of(&ws.outputs().join(year.to_string()));
        let staged = files_of(&staged_out.join(year.to_string()));
        assert_eq!(
            normal.iter().map(|f| &f.0).collect::<Vec<_>>(),
            staged.iter().map(|f| &f.0).collect::<Vec<_>>()
        );
        for ((name, a), (_, b)) in normal.iter().zip(&staged) {
            if name == "manifest.json" {
                let m: serde_json::Value = serde_json::from_slice(b).unwrap();
                assert!(m["command"].to_string().contains("--staged"));
                assert!(m["inputs"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|f| f["path"].as_str().unwrap().ends_with("part-2-of-3.parquet")));
            } else {
                assert!(a == b, "{year}/{name} differs between run and run --staged");
            }
        }
    }
}

#[test]
fn restaging_a_shard_replaces_exactly_its_own_files() {
    let ws = Workspace::new();
    ws.generate(&["--members", "40", "--years", "2023,2024", "--seed", "32"]);
    let dir = ws.outputs().join("staged");
    for k in 1..=3 {
        stage(&ws.inputs(), &dir, &format!("{k}/3"));
    }
    let before = parquet_files(&dir);
    std::thread::sleep(std::time::Duration::from_millis(1100));
    stage(&ws.inputs(), &dir, "2/3");
    let after = parquet_files(&dir);
    assert_eq!(
        before.keys().collect::<Vec<_>>(),
        after.keys().collect::<Vec<_>>()
    );
    for (name, (bytes, modified)) in &after {
        let (old_bytes, old_modified) = &before[name];
        assert!(bytes == old_bytes, "{name}: re-staging changed its bytes");
        if name.contains("part-2-of-3") {
            assert!(modified > old_modified, "{name} was not rewritten");
        } else if !name.starts_with("_schema") {
            assert_eq!(
                modified, old_modified,
                "{name} belongs to another shard but was touched"
            );
        }
    }
    // A file removed from the inputs leaves the shard that held it.
    let victim = walk(&ws.inputs().join("2024/companies"))
        .into_iter()
        .find(|p| p.extension().is_some_and(|e| e == "xlsx"))
        .unwrap();
    let rel = victim
        .strip_prefix(ws.inputs())
        .unwrap()
        .to_string_lossy()
        .into_owned();
    std::fs::remove_file(&victim).unwrap();
    for k in 1..=3 {
        stage(&ws.inputs(), &dir, &format!("{k}/3"));
    }
    let conn = duckdb::Connection::open_in_memory().unwrap();
    let n: i64 = conn
        .query_row(
            &format!(
                "SELECT count(*) FROM read_parquet('{}/input_files/*/*.parquet', hive_partitioning = true) WHERE path = ?",
                dir.display()
            ),
            [&rel],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(n, 0, "{rel} still staged after it was removed");
}

/// Spark in local mode over the demo inputs staged in 3 shards: the same
/// headline.csv as DuckDB for every year. Java 17+ and the pinned pyspark
/// come from spark/setup.sh (run by .ci/run, and again by spark/run.sh);
/// a missing one fails this test with the reason, never skips it.
#[test]
fn spark_local_gives_the_same_headline_as_duckdb_for_every_demo_year() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let inputs = root.join("inputs");
    let tmp = tempfile::tempdir().unwrap();
    let staged = tmp.path().join("staged");
    for k in 1..=3 {
        stage(&inputs, &staged, &format!("{k}/3"));
    }
    let out = tmp.path().join("spark-out");
    let run = Command::new("bash")
        .arg(root.join("spark/run.sh"))
        .arg(&staged)
        .arg("2022,2023,2024")
        .arg(&out)
        .env("SPARK_MASTER", "local[2]")
        .output()
        .expect("bash runs spark/run.sh");
    assert!(
        run.status.success(),
        "spark/run.sh failed (Java 17+ and pyspark come from spark/setup.sh):\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
    for year in [2022, 2023, 2024] {
        let spark = std::fs::read_to_string(out.join(year.to_string()).join("headline.csv")).unwrap();
        let outputs = tmp.path().join("duckdb-out");
        let status = command_for(&inputs, &outputs, &tmp.path().join("w.duckdb"))
            .args(["-q", "run", "--year", &year.to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let duckdb = std::fs::read_to_string(outputs.join(year.to_string()).join("headline.csv")).unwrap();
        assert_eq!(spark, duckdb, "{year}: Spark and DuckDB disagree");
        // And both are the generator's known answer for the demo.
        let known =
            std::fs::read_to_string(root.join(format!("tests/fixtures/demo-expected/headline-{year}.csv")))
                .unwrap();
        assert_eq!(duckdb, known, "{year}");
    }
}

/// Staging one year at a time (`--year`) leaves the shard's other years in
/// place: a tree staged 2023 then 2024 runs both years as `run` does.
#[test]
fn staging_year_by_year_keeps_every_year() {
    let ws = Workspace::new();
    ws.generate(&["--members", "40", "--years", "2023,2024", "--seed", "33"]);
    let dir = ws.outputs().join("staged");
    for year in ["2023", "2024"] {
        let scratch = tempfile::tempdir().unwrap();
        let status = command_for(
            &ws.inputs(),
            &scratch.path().join("o"),
            &scratch.path().join("w.duckdb"),
        )
        .args(["-q", "stage", "--year", year, "--out"])
        .arg(&dir)
        .status()
        .unwrap();
        assert!(status.success());
    }
    for year in [2023, 2024] {
        let normal = ws.run_year(year);
        let out = ws.outputs().join("from-staged");
        let status = command_for(&ws.inputs(), &out, &ws.outputs().join("s.duckdb"))
            .args(["-q", "run", "--year", &year.to_string(), "--staged"])
            .arg(&dir)
            .status()
            .unwrap();
        assert!(status.success(), "run --staged --year {year}");
        let staged = std::fs::read_to_string(out.join(year.to_string()).join("headline.csv")).unwrap();
        assert_eq!(staged, normal, "{year}");
    }
}

/// The whole night as one Spark job: Spark schedules the parse of the demo
/// inputs over 3 partitions (`spark/run.sh --inputs`) and writes the same
/// headline.csv as `chamberstat run` for every demo year. A partition whose
/// binary fails on its first attempt is retried by Spark with the same
/// figures; one that fails on every attempt fails the job, which names the
/// files the partition held and writes no headline.csv.
#[test]
fn spark_schedules_the_parse_retries_a_failed_partition_and_names_one_that_keeps_failing() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let inputs = root.join("inputs");
    let tmp = tempfile::tempdir().unwrap();
    let spark = |out: &Path, env: &[(&str, &str)]| {
        Command::new("bash")
            .arg(root.join("spark/run.sh"))
            .arg("--inputs")
            .arg(&inputs)
            .args(["--year", "2022,2023,2024", "--partitions", "3"])
            .arg(out)
            .env("CHAMBERSTAT_BIN", assert_cmd::cargo::cargo_bin("chamberstat"))
            .env("SPARK_MASTER", "local[2,2]")
            .envs(env.iter().copied())
            .output()
            .expect("bash runs spark/run.sh")
    };
    let duckdb: Vec<String> = [2022, 2023, 2024]
        .iter()
        .map(|year| {
            let outputs = tmp.path().join("duckdb-out");
            let status = command_for(&inputs, &outputs, &tmp.path().join("w.duckdb"))
                .args(["-q", "run", "--year", &year.to_string()])
                .status()
                .unwrap();
            assert!(status.success());
            std::fs::read_to_string(outputs.join(year.to_string()).join("headline.csv")).unwrap()
        })
        .collect();
    let same_as_duckdb = |out: &Path| {
        for (year, want) in [2022, 2023, 2024].iter().zip(&duckdb) {
            let got = std::fs::read_to_string(out.join(year.to_string()).join("headline.csv")).unwrap();
            assert_eq!(&got, want, "{year}: Spark-scheduled and DuckDB disagree");
        }
    };
    let out = tmp.path().join("scheduled");
    let run = spark(&out, &[]);
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    same_as_duckdb(&out);
    // One file's partition fails its first attempt: retried, the same figures.
    let victim = walk(&inputs.join("2024/companies"))
        .into_iter()
        .find(|p| p.extension().is_some_and(|e| e == "xlsx"))
        .map(|p| p.strip_prefix(&inputs).unwrap().to_string_lossy().into_owned())
        .unwrap();
    let out = tmp.path().join("retried");
    let run = spark(
        &out,
        &[
            ("CHAMBERSTAT_TEST_STAGE_FAIL", &victim),
            ("CHAMBERSTAT_TEST_STAGE_FAIL_ONCE", "1"),
        ],
    );
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    assert!(
        out.join("_staged/_tasks").is_dir(),
        "the first attempt did not fail"
    );
    same_as_duckdb(&out);
    // It fails on every attempt: the job fails and names the files.
    let out = tmp.path().join("failed");
    let run = spark(&out, &[("CHAMBERSTAT_TEST_STAGE_FAIL", &victim)]);
    assert!(!run.status.success());
    let err = String::from_utf8_lossy(&run.stderr);
    let named = err
        .lines()
        .find(|l| l.starts_with("partition ") && l.contains("failed after"));
    assert!(named.is_some_and(|l| l.contains(&victim)), "{err}");
    assert!(err.contains("no headline.csv was written"), "{err}");
    let written: Vec<_> = walk(&out)
        .into_iter()
        .filter(|p| p.ends_with("headline.csv"))
        .collect();
    assert!(written.is_empty(), "{written:?}");
}
