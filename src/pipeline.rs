//! The `run` command: discover → ingest + load → aggregate → emit, for one
//! reporting year, with one summary line at the end for the operator.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use duckdb::Connection;
use serde::Serialize;

use crate::aggregate::{self, AggregateReport, Headline};
use crate::cli::Global;
use crate::emit::{self, headline_csv};
use crate::ingest::{self, IngestReport};
use crate::load::{self, LoadReport};

/// What one run did, stage by stage.
#[derive(Debug, Clone, Serialize)]
pub struct RunReport {
    pub year: i32,
    pub ingest: IngestReport,
    pub load: LoadReport,
    pub aggregate: AggregateReport,
    pub rules: RuleCounts,
    pub outputs: Vec<PathBuf>,
}

/// How many rows the business rules set aside (views in `00_rules.sql`).
#[derive(Debug, Default, Clone, Serialize)]
pub struct RuleCounts {
    pub superseded_submissions: u64,
    pub non_member_rows: u64,
    pub duplicate_events: u64,
    pub duplicate_members: u64,
}

/// Choose the reporting year: the one asked for, which must have a folder,
/// else the latest year folder.
pub fn pick_year(requested: Option<i32>, years: &[i32]) -> Result<i32> {
    match (requested, years.last()) {
        (Some(y), _) if years.contains(&y) => Ok(y),
        (Some(y), _) => bail!(
            "no inputs for year {y}: year folders found: {}",
            if years.is_empty() { "none".to_string() } else { years.iter().map(|y| y.to_string()).collect::<Vec<_>>().join(", ") }
        ),
        (None, Some(latest)) => Ok(*latest),
        (None, None) => bail!("no <year>/ folder (e.g. 2024/companies/) in the inputs"),
    }
}

pub fn run(g: &Global, requested_year: Option<i32>) -> Result<RunReport> {
    let started = Instant::now();
    let discovery = {
        let _s = tracing::info_span!("discover").entered();
        ingest::discover(&g.inputs)?
    };
    let year = pick_year(requested_year, &discovery.years)?;
    // Read the queries before the long load so a missing folder fails fast.
    let queries = aggregate::read_queries(&g.queries)?;
    let mut conn = load::open(&g.db)?;

    let (ingest_report, load_report) = {
        let _s = tracing::info_span!("load", files = discovery.files.len()).entered();
        load::load(&mut conn, &discovery)?
    };
    let aggregate_report = {
        let _s = tracing::info_span!("aggregate").entered();
        aggregate::aggregate(&mut conn, &queries)?
    };
    let rules = rule_counts(&conn, year)?;
    let headline = aggregate::headline(&conn, year)?;
    let outputs = emit_year(g, &headline)?;

    let report = RunReport {
        year,
        ingest: ingest_report,
        load: load_report,
        aggregate: aggregate_report,
        rules,
        outputs,
    };
    tracing::info!(
        year,
        files_read = report.ingest.files_read,
        files_skipped = report.ingest.files_skipped,
        files_rejected = report.ingest.files_rejected,
        rows_accepted = report.ingest.rows_accepted,
        rows_rejected = report.ingest.rows_rejected,
        superseded = report.rules.superseded_submissions,
        non_member_rows = report.rules.non_member_rows,
        duplicate_events = report.rules.duplicate_events,
        duration_ms = started.elapsed().as_millis() as u64,
        "run finished"
    );
    Ok(report)
}

/// Write every output file of the year.
fn emit_year(g: &Global, headline: &Headline) -> Result<Vec<PathBuf>> {
    let dir = g.outputs.join(headline.year.to_string());
    let path = dir.join(headline_csv::FILE_NAME);
    emit::write_atomic(&path, &headline_csv::render(headline))?;
    Ok(vec![path])
}

fn rule_counts(conn: &Connection, year: i32) -> Result<RuleCounts> {
    let count = |sql: &str| -> Result<u64> {
        let n: i64 = conn
            .query_row(sql, [year], |r| r.get(0))
            .with_context(|| format!("cannot count: {sql}"))?;
        Ok(n as u64)
    };
    Ok(RuleCounts {
        superseded_submissions: count("SELECT count(*) FROM superseded_submissions WHERE year = ?")?,
        non_member_rows: count("SELECT count(*) FROM non_member_rows WHERE year = ?")?,
        duplicate_events: count("SELECT count(*) FROM event_duplicates WHERE year = ?")?,
        duplicate_members: count("SELECT count(*) FROM member_duplicates WHERE ? IS NOT NULL")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_year_is_the_latest_folder() {
        assert_eq!(pick_year(None, &[2022, 2023, 2024]).unwrap(), 2024);
        assert_eq!(pick_year(Some(2023), &[2022, 2023, 2024]).unwrap(), 2023);
    }

    #[test]
    fn a_year_without_a_folder_is_an_error_naming_the_years_found() {
        let err = pick_year(Some(2030), &[2023, 2024]).unwrap_err().to_string();
        assert!(err.contains("2030") && err.contains("2023, 2024"), "{err}");
        assert!(pick_year(None, &[]).is_err());
    }
}
