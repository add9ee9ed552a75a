//! The project's main correctness harness: on generated trees (several
//! seeds and sizes), `run` must reproduce the generator's known answer
//! byte for byte, for every year. The generator computes its answer from
//! its own ground truth, never by running the pipeline.

mod common;

use std::path::Path;

use common::{bin, Workspace};

fn assert_run_matches_expected(members: usize, seed: u64, years: &str) {
    let ws = Workspace::new();
    ws.generate(&[
        "--members",
        &members.to_string(),
        "--seed",
        &seed.to_string(),
        "--years",
        years,
    ]);
    for year in years.split(',') {
        let year: i32 = year.parse().unwrap();
        let got = ws.run_year(year);
        let want = std::fs::read_to_string(ws.answer().join(format!("headline-{year}.csv"))).unwrap();
        assert_eq!(got, want, "members={members} seed={seed} year={year}");
    }
}

#[test]
fn run_reproduces_the_known_answer_small_trees() {
    for seed in [1, 2, 3, 4] {
        assert_run_matches_expected(40, seed, "2023,2024");
    }
}

#[test]
fn run_reproduces_the_known_answer_medium_tree_three_years() {
    assert_run_matches_expected(250, 11, "2022,2023,2024");
}

#[test]
fn run_reproduces_the_known_answer_with_heavy_drift_and_traps() {
    let ws = Workspace::new();
    ws.generate(&[
        "--members",
        "80",
        "--seed",
        "5",
        "--years",
        "2024",
        "--drift",
        "1",
        "--traps",
        "0.2",
    ]);
    let want = std::fs::read_to_string(ws.answer().join("headline-2024.csv")).unwrap();
    assert_eq!(ws.run_year(2024), want);
}

#[test]
fn generate_is_deterministic_byte_for_byte() {
    let a = Workspace::new();
    let b = Workspace::new();
    a.generate(&["--members", "30", "--seed", "9", "--years", "2024"]);
    b.generate(&["--members", "30", "--seed", "9", "--years", "2024"]);
    assert_same_tree(&a.inputs(), &b.inputs());
}

#[test]
fn generate_refuses_a_folder_that_is_not_empty() {
    let ws = Workspace::new();
    std::fs::create_dir_all(ws.inputs()).unwrap();
    std::fs::write(ws.inputs().join("keep.txt"), "x").unwrap();
    bin()
        .arg("generate")
        .arg("--out")
        .arg(ws.inputs())
        .assert()
        .code(2);
}

/// The demo data committed as `inputs/` must be exactly what its recorded
/// arguments generate, so nobody hand-edits it.
#[test]
fn committed_demo_inputs_regenerate_exactly_from_their_recorded_arguments() {
    let committed = Path::new(env!("CARGO_MANIFEST_DIR")).join("inputs");
    let answer = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/demo-expected");
    let record: serde_json::Value =
        serde_json::from_slice(&std::fs::read(answer.join("generate.json")).unwrap()).unwrap();
    let years: Vec<String> = record["years"]
        .as_array()
        .unwrap()
        .iter()
        .map(|y| y.to_string())
        .collect();
    let ws = Workspace::new();
    ws.generate(&[
        "--members",
        &record["members"].to_string(),
        "--seed",
        &record["seed"].to_string(),
        "--years",
        &years.join(","),
        "--drift",
        &record["drift"].to_string(),
        "--traps",
        &record["traps"].to_string(),
    ]);
    assert_same_tree(&committed, &ws.inputs());
    assert_same_tree(&answer, &ws.answer());
}

fn assert_same_tree(a: &Path, b: &Path) {
    let list = |root: &Path| {
        let mut files = Vec::new();
        collect(root, root, &mut files);
        files.sort();
        files
    };
    let (fa, fb) = (list(a), list(b));
    assert_eq!(fa, fb, "the same file names");
    for rel in fa {
        assert!(
            std::fs::read(a.join(&rel)).unwrap() == std::fs::read(b.join(&rel)).unwrap(),
            "{rel} differs"
        );
    }
}

fn collect(root: &Path, dir: &Path, out: &mut Vec<String>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            collect(root, &p, out);
        } else {
            out.push(p.strip_prefix(root).unwrap().to_string_lossy().into_owned());
        }
    }
}
