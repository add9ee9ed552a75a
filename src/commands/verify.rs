//! The `verify` command: rebuild a year from the inputs a manifest names,
//! in a temporary in-memory warehouse (the real one is never touched), and
//! report input by input, query by query, figure by figure and output by
//! output whether everything still matches. A figure that moved is shown
//! with its old and new value, the difference, and the changed input files
//! that now feed it (from the lineage view).

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use anyhow::Result;
use rust_decimal::Decimal;

use super::common::Outcome;
use super::run;
use crate::aggregate;
use crate::config::Config;
use crate::state::manifest::{self, FileHash};

/// The verdict on one item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Status {
    Ok,
    Changed,
    Missing,
    Added,
}

impl Status {
    fn label(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Changed => "changed",
            Status::Missing => "missing",
            Status::Added => "added",
        }
    }
}

/// Compare recorded file hashes with current ones, by path.
pub fn compare_files(recorded: &[FileHash], current: &[FileHash]) -> Vec<(String, Status)> {
    let now: BTreeMap<&str, &str> = current
        .iter()
        .map(|f| (f.path.as_str(), f.sha256.as_str()))
        .collect();
    let then: BTreeMap<&str, &str> = recorded
        .iter()
        .map(|f| (f.path.as_str(), f.sha256.as_str()))
        .collect();
    let mut out: Vec<(String, Status)> = then
        .iter()
        .map(|(path, sha)| {
            let status = match now.get(path) {
                None => Status::Missing,
                Some(s) if s == sha => Status::Ok,
                Some(_) => Status::Changed,
            };
            (path.to_string(), status)
        })
        .collect();
    out.extend(
        now.keys()
            .filter(|p| !then.contains_key(*p))
            .map(|p| (p.to_string(), Status::Added)),
    );
    out.sort();
    out
}

pub fn verify(config: &Config, manifest_path: &Path) -> Result<Outcome> {
    let m = manifest::read(manifest_path)?;
    if m.command.iter().any(|c| c == "--staged") {
        anyhow::bail!(
            "{} was written by `run --staged {}`: verify rebuilds from workbooks; stage the inputs again and compare the staged files' hashes instead",
            manifest_path.display(),
            m.inputs_dir
        );
    }
    if let Some(e) = crate::load::health(&config.db) {
        tracing::warn!("{e:#}; verify rebuilds from the inputs in memory and does not need it");
    }
    let inputs = PathBuf::from(&m.inputs_dir);
    let discovery = run::discover(&inputs)?;
    let queries = aggregate::load_queries(config.queries.as_deref())?;
    let (conn, built) = run::build_in_memory(config, discovery, &queries)?;
    let headline = aggregate::headline(&conn, m.year)?;

    let mut out = std::io::stdout().lock();
    let mut differences = 0usize;

    let inputs_now = manifest::input_hashes(&conn, &inputs, &built.discovery)?;
    let input_status = compare_files(&m.inputs, &inputs_now);
    let touched: BTreeSet<String> = input_status
        .iter()
        .filter(|(_, s)| *s != Status::Ok)
        .map(|(p, _)| p.clone())
        .collect();
    for (path, status) in &input_status {
        writeln!(out, "input\t{}\t{path}", status.label())?;
        differences += (*status != Status::Ok) as usize;
    }
    for (name, status) in compare_files(&m.queries, &manifest::query_hashes(&queries)) {
        writeln!(out, "query\t{}\t{name}", status.label())?;
        differences += (status != Status::Ok) as usize;
    }

    differences += compare_figures(&mut out, &conn, &m, &headline, &touched)?;

    let out_dir = manifest_path.parent().unwrap_or(Path::new("."));
    let outputs_now: Vec<FileHash> = m
        .outputs
        .iter()
        .filter_map(|f| manifest::hash_file(&f.path, &out_dir.join(&f.path)).ok())
        .collect();
    for (name, status) in compare_files(&m.outputs, &outputs_now) {
        writeln!(out, "output\t{}\t{name}", status.label())?;
        differences += (status != Status::Ok) as usize;
    }
    writeln!(
        out,
        "verify: {} for {} ({} difference(s))",
        if differences == 0 {
            "everything matches"
        } else {
            "DIFFERENCES FOUND"
        },
        m.year,
        differences
    )?;
    Ok(if differences == 0 {
        Outcome::Done
    } else {
        Outcome::Problems
    })
}

/// Each recorded figure against the rebuilt one, a line each; a changed
/// figure names the changed inputs that feed it. The number of differences.
fn compare_figures(
    out: &mut impl Write,
    conn: &duckdb::Connection,
    m: &manifest::Manifest,
    headline: &crate::contract::metrics::Headline,
    touched: &BTreeSet<String>,
) -> Result<usize> {
    let mut differences = 0;
    let now = manifest::headline_values(headline);
    for recorded in &m.headline {
        let Some(current) = now.iter().find(|v| v.metric == recorded.metric) else {
            writeln!(out, "figure\tmissing\t{}", recorded.metric)?;
            differences += 1;
            continue;
        };
        if current.value == recorded.value {
            writeln!(out, "figure\tok\t{}\t{}", recorded.metric, recorded.value)?;
            continue;
        }
        differences += 1;
        let delta = match (
            Decimal::from_str(&current.value),
            Decimal::from_str(&recorded.value),
        ) {
            (Ok(a), Ok(b)) => format!("{:+}", a - b),
            _ => "?".into(),
        };
        let sources = feeding_files(conn, &recorded.metric, m.year, touched)?;
        writeln!(
            out,
            "figure\tchanged\t{}\t{} -> {} ({delta} {})\t{}",
            recorded.metric,
            recorded.value,
            current.value,
            recorded.unit,
            if sources.is_empty() {
                "changed inputs: ".to_string() + &touched.iter().cloned().collect::<Vec<_>>().join(", ")
            } else {
                "from: ".to_string() + &sources.join(", ")
            }
        )?;
    }

    Ok(differences)
}

/// The changed input files that feed `metric` in the rebuilt warehouse.
fn feeding_files(
    conn: &duckdb::Connection,
    metric: &str,
    year: i32,
    touched: &BTreeSet<String>,
) -> Result<Vec<String>> {
    let mut stmt =
        conn.prepare("SELECT DISTINCT path FROM lineage WHERE metric = ? AND year = ? ORDER BY path")?;
    let paths = stmt
        .query_map(duckdb::params![metric, year], |r| r.get::<_, String>(0))?
        .collect::<duckdb::Result<Vec<_>>>()?;
    Ok(paths.into_iter().filter(|p| touched.contains(p)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(path: &str, sha: &str) -> FileHash {
        FileHash {
            path: path.into(),
            sha256: sha.into(),
            bytes: 0,
        }
    }

    #[test]
    fn file_comparison_finds_changed_missing_and_added() {
        let recorded = [h("a", "1"), h("b", "2"), h("c", "3")];
        let current = [h("a", "1"), h("b", "9"), h("d", "4")];
        assert_eq!(
            compare_files(&recorded, &current),
            vec![
                ("a".into(), Status::Ok),
                ("b".into(), Status::Changed),
                ("c".into(), Status::Missing),
                ("d".into(), Status::Added),
            ]
        );
    }
}
