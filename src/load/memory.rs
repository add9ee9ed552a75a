//! What the warehouse may hold in memory while the rows are loaded, and
//! what it lets go of before the outputs are written.
//!
//! The load appends and writes row groups as they fill: what it must keep
//! is a row group per table in flight, the appenders' buffers and the
//! index of input files (which grows with the number of files). Everything
//! else it wrote stays cached under `--db-memory-limit` unless DuckDB is
//! told to hold less, and on one large workbook that cache was the run's
//! peak. So the load runs under a cap of its own, a fixed allowance and a
//! little per file, never above the configured limit; the aggregation gets
//! the configured limit back. bench/README.md has what these hold.

use anyhow::{Context, Result};
use duckdb::Connection;

/// The rows in flight, whatever the corpus: the largest benchmark corpora
/// load within half of it.
const FIXED: u64 = 64 << 20;

/// Per input file: the index of `input_files` and the per-file rows
/// (sheets, problems) of a run, with room to spare.
const PER_FILE: u64 = 1 << 10;

/// DuckDB's `memory_limit`, as `--db-memory-limit` gives it: bytes, or no
/// limit at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemoryLimit {
    Bytes(u64),
    Unlimited,
}

impl MemoryLimit {
    /// The limit as a DuckDB setting (`536870912B`; a negative number is
    /// no limit).
    fn setting(self) -> String {
        match self {
            MemoryLimit::Bytes(n) => format!("{n}B"),
            MemoryLimit::Unlimited => "-1".to_string(),
        }
    }
}

impl std::str::FromStr for MemoryLimit {
    type Err = crate::util::size::SizeError;

    /// A size with an optional unit (`512MB` = 512,000,000 bytes, `1GiB`),
    /// or `none` for no limit.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.eq_ignore_ascii_case("none") {
            return Ok(MemoryLimit::Unlimited);
        }
        crate::util::size::parse_bytes(s).map(MemoryLimit::Bytes)
    }
}

/// The cap for a load of `files` files under the configured `limit`;
/// `None` when the configured limit is already at or under it.
pub fn load_cap(limit: MemoryLimit, files: usize) -> Option<MemoryLimit> {
    let cap = FIXED.saturating_add(PER_FILE.saturating_mul(files as u64));
    match limit {
        MemoryLimit::Bytes(configured) if configured <= cap => None,
        _ => Some(MemoryLimit::Bytes(cap)),
    }
}

/// DuckDB keeps every block it has read or written cached up to its
/// limit. The outputs read a few small tables; before them the cache is
/// let go (the limit lowered, which evicts, then restored), so what the
/// aggregation left cached does not sit under the outputs' own peak. Only
/// for a warehouse file, whose blocks are on disk to be read again; best
/// effort, since a block still in use cannot be let go.
pub fn release_cache(conn: &Connection, limit: MemoryLimit) -> Result<()> {
    if let Err(e) = set_limit(conn, RELEASE) {
        tracing::debug!(error = %format!("{e:#}"), "the warehouse kept part of its cache");
    }
    set_limit(conn, limit)
}

/// What the cache is lowered to while it is let go.
const RELEASE: MemoryLimit = MemoryLimit::Bytes(16_000_000);

/// Set DuckDB's memory limit.
pub fn set_limit(conn: &Connection, limit: MemoryLimit) -> Result<()> {
    // A number and a unit this program wrote: no input data in the SQL.
    conn.execute_batch(&format!("SET memory_limit = '{}';", limit.setting()))
        .with_context(|| format!("cannot set the warehouse memory limit to {}", limit.setting()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The memory limit DuckDB holds now, as it prints it.
    fn current(conn: &Connection) -> String {
        conn.query_row("SELECT current_setting('memory_limit')", [], |r| r.get(0))
            .unwrap()
    }

    const DEFAULT: MemoryLimit = MemoryLimit::Bytes(512_000_000);

    fn limit(s: &str) -> MemoryLimit {
        s.parse().unwrap()
    }

    #[test]
    fn limits_read_with_decimal_and_binary_units() {
        assert_eq!(limit("512MB"), DEFAULT);
        assert_eq!(limit("1.5 GiB"), MemoryLimit::Bytes(1_610_612_736));
        assert_eq!(limit("96mb"), MemoryLimit::Bytes(96_000_000));
        assert_eq!(limit("4096"), MemoryLimit::Bytes(4096));
        assert_eq!(limit("none"), MemoryLimit::Unlimited);
        let err = "80%".parse::<MemoryLimit>().unwrap_err().to_string();
        assert!(err.contains("expected a size") && err.contains("80%"), "{err}");
    }

    #[test]
    fn load_cap_grows_with_the_files_and_never_raises_the_limit() {
        // 64 MiB and 1 KiB a file, in bytes.
        assert_eq!(load_cap(DEFAULT, 18), Some(MemoryLimit::Bytes(67_127_296)));
        assert_eq!(
            load_cap(DEFAULT, 84_635),
            Some(MemoryLimit::Bytes((64u64 << 20) + 84_635 * 1024))
        );
        assert_eq!(
            load_cap(MemoryLimit::Unlimited, 18),
            Some(MemoryLimit::Bytes(67_127_296))
        );
        // A configured limit at or under the cap stays.
        assert_eq!(load_cap(limit("48MB"), 18), None);
        assert_eq!(load_cap(limit("128MB"), 84_635), None);
    }

    #[test]
    fn the_cap_is_a_setting_duckdb_accepts() {
        let conn = Connection::open_in_memory().unwrap();
        let cap = load_cap(DEFAULT, 18).unwrap();
        set_limit(&conn, cap).unwrap();
        assert_eq!(current(&conn), "64.0 MiB");
        set_limit(&conn, MemoryLimit::Unlimited).unwrap();
        set_limit(&conn, cap).unwrap();
        assert_eq!(current(&conn), "64.0 MiB");
    }

    #[test]
    fn releasing_the_cache_evicts_blocks_and_keeps_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        let conn = crate::load::open(&dir.path().join("w.duckdb"), DEFAULT).unwrap();
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
        release_cache(&conn, DEFAULT).unwrap();
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
        let mut conn = crate::load::open(&dir.path().join("w.duckdb"), DEFAULT).unwrap();
        let configured = current(&conn);
        let discovery = crate::ingest::Discovery::default();
        let reading = crate::ingest::Reading::default();
        let plan = crate::load::Plan::everything(&discovery);
        crate::load::load(&mut conn, &discovery, plan, &reading, Some(DEFAULT), &mut |_| {}).unwrap();
        assert_eq!(current(&conn), configured);
        assert_ne!(configured, "64.0 MiB");
    }
}
