//! What the warehouse may hold in memory while the rows are loaded, and
//! what it lets go of before the outputs are written.
//!
//! The load appends and writes row groups as they fill: what it must keep
//! is a row group per table in flight, the appenders' buffers and the
//! index of input files (which grows with the number of files). Everything
//! else it wrote stays cached under `--db-memory-limit` unless DuckDB is
//! told to hold less, and on one 200,000-row workbook that cache was the
//! run's peak. So the load runs under a cap of its own, a fixed allowance
//! and a little per file, never above the configured limit; the aggregation
//! gets the configured limit back.

use anyhow::{Context, Result};
use duckdb::Connection;

/// The rows in flight, whatever the corpus: 30,000 members (84,635 files)
/// loaded within 32 MB, the 200,000-row workbook within 32 MB too.
const FIXED: u64 = 64 << 20;

/// Per input file: the index of `input_files` and the per-file rows
/// (sheets, problems) of a run, with room to spare (30,000 members needed
/// under 0.4 KiB a file).
const PER_FILE: u64 = 1 << 10;

/// The cap for a load of `files` files under the configured `limit`, as a
/// DuckDB setting; `None` when the configured limit is already at or under
/// it (or is not a size this reads, which then stays as it is).
pub fn load_cap(limit: &str, files: usize) -> Option<String> {
    let cap = FIXED.saturating_add(PER_FILE.saturating_mul(files as u64));
    match parse_limit(limit) {
        Some(Limit::Bytes(configured)) if configured <= cap => None,
        Some(_) => Some(format!("{cap}B")),
        None => None,
    }
}

/// DuckDB keeps every block it has read or written cached up to its
/// limit. The outputs read a few small tables; before them the cache is
/// let go (the limit lowered, which evicts, then restored), so what the
/// aggregation left cached does not sit under the outputs' own peak: at
/// 30,000 members 259–260 MiB against 273–283 MiB, at 3,000 members and on
/// the 200,000-row workbook the same, time the same. Only for a warehouse
/// file, whose blocks are on disk to be read again; best effort, since a
/// block still in use cannot be let go.
pub fn release_cache(conn: &Connection, limit: &str) -> Result<()> {
    if let Err(e) = set_limit(conn, RELEASE) {
        tracing::debug!(error = %format!("{e:#}"), "the warehouse kept part of its cache");
    }
    set_limit(conn, limit)
}

/// What the cache is lowered to while it is let go.
const RELEASE: &str = "16MB";

/// Set DuckDB's memory limit (a size such as `512MB`).
pub fn set_limit(conn: &Connection, limit: &str) -> Result<()> {
    conn.execute_batch(&format!("SET memory_limit = {};", super::sql_string(limit)))
        .with_context(|| format!("cannot set the warehouse memory limit to {limit}"))
}

#[derive(Debug, PartialEq, Eq)]
enum Limit {
    Bytes(u64),
    Unlimited,
}

/// A memory limit as DuckDB reads it: a number, optional spaces and a unit
/// (`B`, `KB`/`MB`/`GB`/`TB` in powers of 1,000, `KiB`/`MiB`/`GiB`/`TiB`
/// in powers of 1,024, any case); a negative number, `none` or `null` is
/// no limit. `None` for anything else (DuckDB has refused it already).
fn parse_limit(s: &str) -> Option<Limit> {
    let s = s.trim();
    if s.starts_with('-') || s == "none" || s == "null" {
        return Some(Limit::Unlimited);
    }
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == 'e' || c == 'E'))
        .unwrap_or(s.len());
    let number: f64 = s[..split].parse().ok()?;
    let unit: u64 = match s[split..].trim().to_ascii_lowercase().as_str() {
        "b" | "byte" | "bytes" => 1,
        "k" | "kb" | "kilobyte" | "kilobytes" => 1_000,
        "m" | "mb" | "megabyte" | "megabytes" => 1_000_000,
        "g" | "gb" | "gigabyte" | "gigabytes" => 1_000_000_000,
        "t" | "tb" | "terabyte" | "terabytes" => 1_000_000_000_000,
        "kib" => 1 << 10,
        "mib" => 1 << 20,
        "gib" => 1 << 30,
        "tib" => 1 << 40,
        _ => return None,
    };
    let bytes = number * unit as f64;
    (bytes.is_finite() && bytes < u64::MAX as f64).then_some(Limit::Bytes(bytes as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The memory limit DuckDB holds now, as it prints it.
    fn current(conn: &Connection) -> String {
        conn.query_row("SELECT current_setting('memory_limit')", [], |r| r.get(0))
            .unwrap()
    }

    #[test]
    fn limits_read_in_duckdbs_units() {
        assert_eq!(parse_limit("512MB"), Some(Limit::Bytes(512_000_000)));
        assert_eq!(parse_limit(" 1.5 GiB"), Some(Limit::Bytes(1_610_612_736)));
        assert_eq!(parse_limit("96mb"), Some(Limit::Bytes(96_000_000)));
        assert_eq!(parse_limit("4096B"), Some(Limit::Bytes(4096)));
        assert_eq!(parse_limit("-1"), Some(Limit::Unlimited));
        assert_eq!(parse_limit("none"), Some(Limit::Unlimited));
        assert_eq!(parse_limit("80%"), None);
        assert_eq!(parse_limit("512"), None);
    }

    #[test]
    fn load_cap_grows_with_the_files_and_never_raises_the_limit() {
        // 64 MiB and 1 KiB a file, in bytes.
        assert_eq!(load_cap("512MB", 18), Some("67127296B".to_string()));
        assert_eq!(
            load_cap("512MB", 84_635),
            Some(format!("{}B", (64u64 << 20) + 84_635 * 1024))
        );
        assert_eq!(load_cap("none", 18), Some("67127296B".to_string()));
        // A configured limit at or under the cap stays.
        assert_eq!(load_cap("48MB", 18), None);
        assert_eq!(load_cap("128MB", 84_635), None);
        assert_eq!(load_cap("80%", 18), None);
    }

    #[test]
    fn the_cap_is_a_setting_duckdb_accepts() {
        let conn = Connection::open_in_memory().unwrap();
        let cap = load_cap("512MB", 18).unwrap();
        set_limit(&conn, &cap).unwrap();
        assert_eq!(current(&conn), "64.0 MiB");
    }

    #[test]
    fn releasing_the_cache_evicts_blocks_and_keeps_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        let conn = crate::load::open(&dir.path().join("w.duckdb"), "512MB").unwrap();
        conn.execute_batch(
            "CREATE TABLE t AS SELECT range AS i, repeat(CAST(range AS VARCHAR), 20) AS s FROM range(1000000);
             CHECKPOINT;",
        )
        .unwrap();
        let _: i64 = conn
            .query_row("SELECT sum(length(s)) FROM t", [], |r| r.get(0))
            .unwrap();
        let cached = |c: &Connection| -> i64 {
            c.query_row(
                "SELECT sum(memory_usage_bytes)::BIGINT FROM duckdb_memory()",
                [],
                |r| r.get(0),
            )
            .unwrap()
        };
        let (before, limit) = (cached(&conn), current(&conn));
        release_cache(&conn, "512MB").unwrap();
        assert!(
            cached(&conn) * 2 < before,
            "{} bytes cached, {before} before",
            cached(&conn)
        );
        assert_eq!(current(&conn), limit);
    }

    #[test]
    fn the_load_gives_the_configured_limit_back() {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = crate::load::open(&dir.path().join("w.duckdb"), "512MB").unwrap();
        let configured = current(&conn);
        let discovery = crate::ingest::Discovery::default();
        let reading = crate::ingest::Reading::default();
        crate::load::load(&mut conn, &discovery, true, &reading, Some("512MB"), &mut |_| {}).unwrap();
        assert_eq!(current(&conn), configured);
        assert_ne!(configured, "64.0 MiB");
    }
}
