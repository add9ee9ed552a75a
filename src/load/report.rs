//! What a load did ([`LoadReport`]) and what the warehouse holds after it,
//! however it got there ([`Totals`], the numbers of the run's summary line).

use anyhow::Result;
use duckdb::Connection;
use serde::{Deserialize, Serialize};

/// The load stage's report.
#[derive(Debug, Default, Clone, Serialize)]
pub struct LoadReport {
    /// Files parsed this run (new or changed since the last run).
    pub files_parsed: usize,
    /// Files whose rows were kept from the last run (same content).
    pub files_reused: usize,
    /// Files gone since the last run, and changed files, whose rows were dropped.
    pub files_dropped: usize,
    pub rows_loaded: u64,
    pub cells_loaded: u64,
    pub problems_recorded: u64,
}

/// What the warehouse holds after a load, however it got there: the
/// numbers of the run's summary line.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct Totals {
    pub files_read: i64,
    pub files_rejected: i64,
    pub files_skipped: i64,
    pub rows_accepted: i64,
    pub rows_rejected: i64,
}

pub fn totals(conn: &Connection) -> Result<Totals> {
    Ok(conn.query_row(
        "SELECT (SELECT count(*) FROM input_files),
                (SELECT count(*) FROM input_files WHERE NOT accepted),
                (SELECT count(*) FROM problems WHERE level = 'skipped'),
                (SELECT coalesce(sum(accepted_rows), 0) FROM sheets),
                (SELECT coalesce(sum(CASE WHEN rejected THEN data_rows ELSE rejected_rows END), 0) FROM sheets)",
        [],
        |r| {
            Ok(Totals {
                files_read: r.get(0)?,
                files_rejected: r.get(1)?,
                files_skipped: r.get(2)?,
                rows_accepted: r.get::<_, i64>(3)?,
                rows_rejected: r.get::<_, i64>(4)?,
            })
        },
    )?)
}
