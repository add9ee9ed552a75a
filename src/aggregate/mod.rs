//! Aggregate: run the SQL files in `queries/` against the warehouse.
//!
//! Each file is one figure family, executed as-is in name order (the
//! `00_rules.sql` views first). Files write `(year, metric, value)` rows into
//! `metric_values` for every year in the warehouse; Rust never builds SQL
//! from input data. The headline of one year is then read back as
//! `headline_values` (55_headline.sql) publishes it.

use std::path::Path;

use anyhow::{bail, Context, Result};
use duckdb::Connection;
use rust_decimal::Decimal;
use serde::Serialize;

use crate::contract::metrics::{Headline, Published, METRICS};
use crate::util::hash::sha256_hex;

/// One SQL file of the queries folder.
#[derive(Debug, Clone)]
pub struct QueryFile {
    pub name: String,
    pub sha256: String,
    pub sql: String,
}

/// The query files compiled into the binary, in name order. Listed by
/// hand so the paths are relative to this file (each clone embeds its own
/// folder, and a changed query rebuilds the crate); the unit test
/// `embedded_queries_are_exactly_the_queries_folder` fails when a file is
/// added to or removed from `queries/` without this list.
const EMBEDDED: [(&str, &str); 13] = [
    ("00_rules.sql", include_str!("../../queries/00_rules.sql")),
    (
        "10_membership.sql",
        include_str!("../../queries/10_membership.sql"),
    ),
    (
        "20_profit_tax_jobs_donations.sql",
        include_str!("../../queries/20_profit_tax_jobs_donations.sql"),
    ),
    ("30_financing.sql", include_str!("../../queries/30_financing.sql")),
    ("40_partners.sql", include_str!("../../queries/40_partners.sql")),
    ("50_events.sql", include_str!("../../queries/50_events.sql")),
    ("55_headline.sql", include_str!("../../queries/55_headline.sql")),
    ("60_lineage.sql", include_str!("../../queries/60_lineage.sql")),
    ("70_anomalies.sql", include_str!("../../queries/70_anomalies.sql")),
    (
        "80_breakdowns.sql",
        include_str!("../../queries/80_breakdowns.sql"),
    ),
    ("85_callback.sql", include_str!("../../queries/85_callback.sql")),
    ("90_status.sql", include_str!("../../queries/90_status.sql")),
    ("95_materials.sql", include_str!("../../queries/95_materials.sql")),
];

/// The query files compiled into the binary (`queries/` at build time).
pub fn embedded_queries() -> Vec<QueryFile> {
    EMBEDDED
        .iter()
        .map(|(name, sql)| QueryFile {
            name: name.to_string(),
            sha256: sha256_hex(sql.as_bytes()),
            sql: sql.to_string(),
        })
        .collect()
}

/// The queries to run: the folder given by `--queries`, else the ones
/// compiled in.
pub fn load_queries(dir: Option<&Path>) -> Result<Vec<QueryFile>> {
    match dir {
        Some(dir) => read_queries(dir),
        None => Ok(embedded_queries()),
    }
}

/// Where the queries came from, for manifest.json and the log.
pub fn queries_source(dir: Option<&Path>) -> String {
    match dir {
        Some(dir) => dir.to_string_lossy().into_owned(),
        None => "embedded".to_string(),
    }
}

/// Read every `*.sql` file of `dir`, in name order.
pub fn read_queries(dir: &Path) -> Result<Vec<QueryFile>> {
    let entries = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read the queries folder {}", dir.display()))?;
    let mut files = Vec::new();
    for entry in entries {
        let path = entry?.path();
        if path.extension().and_then(|e| e.to_str()) != Some("sql") {
            continue;
        }
        let bytes = std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
        let sql =
            String::from_utf8(bytes.clone()).with_context(|| format!("{} is not UTF-8", path.display()))?;
        files.push(QueryFile {
            name: path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            sha256: sha256_hex(&bytes),
            sql,
        });
    }
    files.sort_by(|a, b| a.name.cmp(&b.name));
    if files.is_empty() {
        bail!("no .sql files in the queries folder {}", dir.display());
    }
    Ok(files)
}

/// The aggregate stage's report.
#[derive(Debug, Default, Clone, Serialize)]
pub struct AggregateReport {
    pub queries_run: Vec<String>,
    pub metric_rows: u64,
}

/// Recompute `metric_values` for every year from the queries, in one
/// transaction.
pub fn aggregate(conn: &mut Connection, queries: &[QueryFile]) -> Result<AggregateReport> {
    return_freed_blocks();
    let tx = conn
        .transaction()
        .context("cannot start the aggregation transaction")?;
    tx.execute_batch("DELETE FROM metric_values;")?;
    write_contract(&tx)?;
    // The views and macros are the warehouse's own from the last
    // aggregation when no query file changed: creating them again is
    // binding and planning each, a third of a small run's aggregation.
    let digest = queries_digest(queries);
    let recorded: Option<String> = tx
        .query_row("SELECT max(sha256) FROM query_digest", [], |r| r.get(0))
        .context("cannot read the queries' digest")?;
    let keep_definitions = recorded.as_deref() == Some(digest.as_str());
    let mut report = AggregateReport::default();
    for q in queries {
        let _span = tracing::debug_span!("query", file = %q.name).entered();
        for statement in statements(&q.sql) {
            if keep_definitions && is_definition(statement) {
                continue;
            }
            tx.execute_batch(statement)
                .with_context(|| format!("query file {} failed", q.name))?;
        }
        report.queries_run.push(q.name.clone());
    }
    tx.execute("DELETE FROM query_digest", [])?;
    tx.execute("INSERT INTO query_digest VALUES (?)", [&digest])?;
    report.metric_rows =
        tx.query_row("SELECT count(*) FROM metric_values", [], |r| r.get::<_, i64>(0))? as u64;
    tx.commit().context("cannot commit the aggregation")?;
    Ok(report)
}

/// The output contract's metrics, in order, into `metric_contract`, which
/// 55_headline.sql writes the headline from.
fn write_contract(tx: &duckdb::Transaction<'_>) -> Result<()> {
    tx.execute("DELETE FROM metric_contract", [])?;
    let mut app = tx.appender("metric_contract")?;
    for (i, m) in METRICS.iter().enumerate() {
        app.append_row(duckdb::params![i as i32 + 1, m.id, m.unit, m.kind.name()])?;
    }
    app.flush()?;
    Ok(())
}

/// One digest of every query file (names and contents, in order).
fn queries_digest(queries: &[QueryFile]) -> String {
    let joined: String = queries
        .iter()
        .map(|q| format!("{}\0{}\0", q.name, q.sha256))
        .collect();
    sha256_hex(joined.as_bytes())
}

/// The statements of a query file, each without its `;`: split at every
/// `;` outside a string, a quoted name and a comment. Written by hand: no
/// crate splits DuckDB's dialect (its own splitter is not in the Rust API).
pub fn statements(sql: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut start, mut quote, mut comment) = (0, None::<u8>, false);
    let bytes = sql.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match (quote, comment) {
            (_, true) if b == b'\n' => comment = false,
            (_, true) => {}
            (Some(q), _) if b == q => quote = None,
            (Some(_), _) => {}
            (None, _) if b == b'-' && bytes.get(i + 1) == Some(&b'-') => comment = true,
            (None, _) if b == b'\'' || b == b'"' => quote = Some(b),
            (None, _) if b == b';' => {
                out.push(&sql[start..i]);
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    out.push(&sql[start..]);
    out.into_iter().filter(|s| !code_of(s).is_empty()).collect()
}

/// A statement without its comments and surrounding white space.
fn code_of(statement: &str) -> String {
    statement
        .lines()
        .map(|l| l.split_once("--").map_or(l, |(code, _)| code))
        .collect::<Vec<_>>()
        .join("\n")
        .trim()
        .to_string()
}

/// A view or macro: the same text defines the same thing every run.
fn is_definition(statement: &str) -> bool {
    let code = code_of(statement).to_ascii_uppercase();
    let words: Vec<&str> = code.split_whitespace().take(4).collect();
    matches!(words.as_slice(), ["CREATE", "OR", "REPLACE", "VIEW" | "MACRO"])
}

/// From here on, every allocation of 256 KiB or more (each DuckDB block)
/// is its own mapping, which goes back to the system when it is freed.
/// glibc would otherwise raise that threshold as large blocks are freed
/// and serve them from its heaps, which keep the memory of every statement
/// before, so the run's peak would be the sum of its statements' working
/// sets rather than the largest of them. Set after the load, not before:
/// the load frees and allocates such blocks all the time, and a mapping
/// each time costs it more than it saves (bench/README.md).
fn return_freed_blocks() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets a parameter of glibc's allocator; it may
    // be called at any time from any thread.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 256 * 1024);
    }
}

/// Read one year's headline as the warehouse publishes it
/// (`headline_values`, 55_headline.sql): every contract metric, in order,
/// with its rounded figure and text. A metric the query files wrote twice
/// for the year is an error, not a sum.
pub fn headline(conn: &Connection, year: i32) -> Result<Headline> {
    let twice: Vec<String> = conn
        .prepare("SELECT metric FROM metric_values WHERE year = ? GROUP BY metric HAVING count(*) > 1 ORDER BY metric")?
        .query_map([year], |r| r.get(0))?
        .collect::<duckdb::Result<_>>()?;
    if !twice.is_empty() {
        bail!("query files wrote metric {} twice for {year}", twice.join(", "));
    }
    let mut stmt = conn
        .prepare("SELECT metric, figure, value FROM headline_values WHERE year = ? ORDER BY position")
        .context("cannot read headline_values (queries/55_headline.sql)")?;
    let rows = stmt.query_map([year], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, Decimal>(1)?,
            r.get::<_, String>(2)?,
        ))
    })?;
    let mut values = Vec::with_capacity(METRICS.len());
    for (row, expected) in rows.zip(METRICS.iter()) {
        let (id, value, text) = row?;
        if id != expected.id {
            bail!(
                "headline_values gives {id} where the contract has {} for {year}",
                expected.id
            );
        }
        values.push(Published {
            metric: expected,
            value,
            text,
        });
    }
    if values.len() != METRICS.len() {
        bail!(
            "headline_values gives {} of the contract's {} metrics for {year} (is {year} a year of the warehouse?)",
            values.len(),
            METRICS.len()
        );
    }
    Ok(Headline { year, values })
}

/// The years the warehouse holds, ascending.
pub fn years(conn: &Connection) -> Result<Vec<i32>> {
    let mut stmt = conn.prepare("SELECT year FROM years ORDER BY year")?;
    let years = stmt
        .query_map([], |r| r.get::<_, i32>(0))?
        .collect::<duckdb::Result<Vec<_>>>()?;
    Ok(years)
}

/// How many rows the business rules set aside (views in `00_rules.sql`).
#[derive(Debug, Default, Clone, Serialize, serde::Deserialize)]
pub struct RuleCounts {
    pub superseded_submissions: u64,
    pub non_member_rows: u64,
    pub duplicate_events: u64,
    pub duplicate_members: u64,
}

/// Count what the rules set aside in `year`.
pub fn rule_counts(conn: &Connection, year: i32) -> Result<RuleCounts> {
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
    #[test]
    fn statements_split_outside_strings_names_and_comments() {
        let sql = "-- a; comment\nCREATE OR REPLACE VIEW v AS SELECT ';' AS \"a;b\";\n\nINSERT INTO t SELECT 1; -- trailing; comment\n";
        let got: Vec<String> = statements(sql).into_iter().map(code_of).collect();
        assert_eq!(
            got,
            [
                "CREATE OR REPLACE VIEW v AS SELECT ';' AS \"a;b\"",
                "INSERT INTO t SELECT 1"
            ]
        );
        assert!(is_definition(statements(sql)[0]));
        assert!(!is_definition(statements(sql)[1]));
        assert!(is_definition("create or replace macro m(x) AS x"));
        assert!(!is_definition("CREATE OR REPLACE TABLE t AS SELECT 1"));
    }

    use super::*;

    #[test]
    fn embedded_queries_are_exactly_the_queries_folder() {
        let folder = read_queries(&Path::new(env!("CARGO_MANIFEST_DIR")).join("queries")).unwrap();
        let embedded = embedded_queries();
        let names = |q: &[QueryFile]| {
            q.iter()
                .map(|f| (f.name.clone(), f.sha256.clone()))
                .collect::<Vec<_>>()
        };
        assert_eq!(names(&embedded), names(&folder));
    }

    /// 00_rules.sql names the columns its views keep (the values without
    /// the lineage columns, to hold less in memory); a contract column
    /// added later must not go missing from them.
    #[test]
    fn rule_views_keep_every_contract_column_and_no_lineage_column() {
        use crate::contract::schema::SheetKind;
        let mut conn = crate::load::open_in_memory(crate::load::MemoryLimit::Bytes(256_000_000)).unwrap();
        aggregate(&mut conn, &embedded_queries()).unwrap();
        let views = [
            ("member_registry", SheetKind::Members),
            ("company_current", SheetKind::CompanyAnnual),
            ("reporting_members", SheetKind::CompanyAnnual),
            ("financing_current", SheetKind::Financing),
            ("events_distinct", SheetKind::Events),
        ];
        for (view, kind) in views {
            let mut stmt = conn.prepare(&format!("SELECT * FROM {view} LIMIT 0")).unwrap();
            stmt.execute([]).unwrap();
            let columns = stmt.column_names();
            let provenance = ["path", "sheet", "row_no", "year"];
            for field in provenance
                .iter()
                .copied()
                .chain(kind.columns().iter().map(|c| c.field))
            {
                assert!(columns.iter().any(|c| c == field), "{view} lacks {field}");
            }
            let lineage =
                |c: &&String| ["col_", "raw_", "unit_"].iter().any(|p| c.starts_with(p)) || *c == "note_cell";
            assert_eq!(
                columns.iter().find(lineage),
                None,
                "{view} carries a lineage column"
            );
        }
    }
}
