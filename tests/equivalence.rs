//! A change to how rows are read, stored or summed must not change what
//! they are: on generated corpora and the shared samples, every warehouse
//! table, the cell-by-cell lineage behind `explain`, the published headline
//! and every output file must equal what a recorded binary produced.
//!
//! `tests/fixtures/equivalence.json` holds, per corpus, a digest of each
//! table (row count and md5 of the sorted rows, computed by DuckDB) and the
//! SHA-256 of each output file. manifest.json is compared in two parts: the
//! query files it names (their hashes change whenever a query file does,
//! which is what they record) and the rest of it. Why and when it was
//! re-recorded is in the history of that file (`git log -p` on it). To
//! record with a given binary:
//!
//!   CHAMBERSTAT_RECORD_EQUIVALENCE=/path/to/chamberstat \
//!     cargo test --release --test equivalence
//!
//! A mismatch names the table or file; rerun both binaries on the corpus
//! and diff the table to see the rows. Re-record only for an intended change.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::Workspace;
use sha2::{Digest, Sha256};

/// The corpora: generator arguments, or the shared samples.
const CORPORA: [(&str, &[&str]); 4] = [
    ("samples", &[]),
    (
        "seed7",
        &["--members", "60", "--years", "2023,2024", "--seed", "7"],
    ),
    (
        "seed17-traps",
        &[
            "--members",
            "40",
            "--years",
            "2023,2024",
            "--seed",
            "17",
            "--traps",
            "0.2",
        ],
    ),
    (
        "seed3-drift",
        &[
            "--members",
            "50",
            "--years",
            "2024",
            "--seed",
            "3",
            "--drift",
            "0.9",
        ],
    ),
];

/// What is compared, by a query whose columns exist in both warehouses.
const TABLES: [(&str, &str); 14] = [
    ("members", "SELECT path, sheet, row_no, year, credit_code, name, tier, committee, joined_on, left_on FROM members"),
    ("bank_agreements", "SELECT path, sheet, row_no, year, bank, signed_on, credit_line FROM bank_agreements"),
    ("district_agreements", "SELECT path, sheet, row_no, year, partner, kind, signed_on, projects, investment FROM district_agreements"),
    ("company_reports", "SELECT path, sheet, row_no, year, credit_code, name, reported_on, revenue, profit, tax, profit_tax, jobs, donations, listed, stock_code, industry_leader, china_top500, shanghai_top100, party_org, party_members FROM company_reports"),
    ("financing", "SELECT path, sheet, row_no, year, credit_code, institution, kind, amount, occurred_on, facilitated FROM financing"),
    ("events", "SELECT path, sheet, row_no, year, name, held_on, kind, companies, participants, place, partner, committee FROM events"),
    ("input_files", "SELECT path, folder, year, sha256, bytes, accepted, data_rows FROM input_files"),
    ("sheets", "SELECT * FROM sheets"),
    ("problems", "SELECT * FROM problems"),
    ("source_cells", "SELECT path, sheet, row_no, field, cell, raw, unit, value FROM source_cells"),
    ("lineage", "SELECT * FROM lineage"),
    ("anomalies", "SELECT * FROM anomalies"),
    ("metric_values", "SELECT * FROM metric_values"),
    ("ledger_facts", "SELECT path, sheet, row_no, year, code, label, fact_year, value, unit, note FROM ledger_facts"),
];

type Digest_ = BTreeMap<String, String>;

fn digest(db: &Path, outputs: &Path) -> Digest_ {
    let conn = duckdb::Connection::open(db).unwrap();
    let mut out = BTreeMap::new();
    for (name, sql) in TABLES {
        let q = format!(
            "SELECT count(*) || ' rows ' || coalesce(md5(string_agg(r, chr(10) ORDER BY r)), '-')
             FROM (SELECT CAST(t AS VARCHAR) AS r FROM ({sql}) t)"
        );
        let d: String = conn
            .query_row(&q, [], |r| r.get(0))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        out.insert(format!("table {name}"), d);
    }
    for year in std::fs::read_dir(outputs)
        .unwrap()
        .flatten()
        .filter(|e| e.path().is_dir())
    {
        for (file, mut bytes) in common::files_of(&year.path()) {
            let name = format!("output {}/{}", year.file_name().to_string_lossy(), file);
            if file == "manifest.json" {
                // It names the (temporary) inputs folder; the rest must match.
                let mut m: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
                let m = m.as_object_mut().unwrap();
                m.remove("inputs_dir");
                let queries = m.remove("queries").expect("manifest.json names its query files");
                let queries = serde_json::to_vec(&queries).unwrap();
                out.insert(
                    format!("{name} queries"),
                    format!("{:x}", Sha256::digest(&queries)),
                );
                bytes = serde_json::to_vec(&m).unwrap();
            }
            out.insert(name, format!("{:x}", Sha256::digest(&bytes)));
        }
    }
    out
}

/// Build the corpus and run every year with `bin` (the binary under test
/// unless recording).
fn run_corpus(args: &[&str], bin: Option<&Path>) -> Digest_ {
    let ws = Workspace::new();
    if args.is_empty() {
        common::copy_dir(&common::samples().join("inputs"), &ws.inputs());
    } else {
        ws.generate(args);
    }
    let years: Vec<String> = std::fs::read_dir(ws.inputs())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.len() == 4 && n.chars().all(|c| c.is_ascii_digit()))
        .collect();
    for year in &years {
        let mut cmd = common::command_for(&ws.inputs(), &ws.outputs(), &ws.db());
        if let Some(bin) = bin {
            let args: Vec<_> = cmd.get_args().map(|a| a.to_owned()).collect();
            cmd = std::process::Command::new(bin);
            cmd.args(args);
        }
        let status = cmd.args(["-q", "run", "--year", year]).status().unwrap();
        assert!(status.success(), "run --year {year}");
    }
    digest(&ws.db(), &ws.outputs())
}

fn golden_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/equivalence.json")
}

#[test]
fn streaming_ingest_gives_the_previous_pipelines_rows_lineage_and_outputs() {
    if let Ok(old) = std::env::var("CHAMBERSTAT_RECORD_EQUIVALENCE") {
        let mut all = BTreeMap::new();
        for (name, args) in CORPORA {
            all.insert(name.to_string(), run_corpus(args, Some(Path::new(&old))));
        }
        std::fs::write(golden_path(), serde_json::to_string_pretty(&all).unwrap() + "\n").unwrap();
        return;
    }
    let golden: BTreeMap<String, Digest_> =
        serde_json::from_slice(&std::fs::read(golden_path()).expect("tests/fixtures/equivalence.json"))
            .unwrap();
    let mut differences = Vec::new();
    for (name, args) in CORPORA {
        let want = &golden[name];
        let got = run_corpus(args, None);
        for key in want
            .keys()
            .chain(got.keys())
            .collect::<std::collections::BTreeSet<_>>()
        {
            if want.get(key) != got.get(key) {
                differences.push(format!(
                    "{name}: {key}: was {:?}, now {:?}",
                    want.get(key),
                    got.get(key)
                ));
            }
        }
    }
    assert!(differences.is_empty(), "differences:\n{}", differences.join("\n"));
}
