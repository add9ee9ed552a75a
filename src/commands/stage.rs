//! `chamberstat stage` and `run --staged`: the scale-out path.
//!
//! `stage --out DIR [--shard K/N] [--year Y]` runs the same ingest and
//! normalisation as `run` over a share of the input files (those whose path
//! hash falls in shard K of N — stable across machines, so N machines
//! stage one tree into one shared DIR with no coordination) and writes
//! every warehouse table the queries read, the problems, the per-sheet
//! accounting and the compact lineage as Parquet, Hive-style:
//! `DIR/<table>/year=<Y>/part-K-of-N.parquet` (reference rows, which have
//! no year, under `year=__HIVE_DEFAULT_PARTITION__`). Re-running a shard
//! first removes exactly its own files. Money stays DECIMAL(38,6), dates
//! stay DATE.
//!
//! Beside the tables: `DIR/years/y<Y>-part-K-of-N.parquet` (the year
//! folders the shard saw), `DIR/_schema/<table>.parquet` (an empty file with each
//! table's full schema, so a table no shard has rows for can still be
//! read), `DIR/_contract/metrics.json` (the headline metrics, for the Spark
//! job), `DIR/_materials/…` (the materials templates, the same copy from
//! every shard) and `DIR/_shards/part-K-of-N.json` (what the shard staged,
//! with hashes).
//!
//! `run --staged DIR` loads those files into an in-memory warehouse and
//! aggregates and emits exactly as `run` does; manifest.json then lists the
//! staged files and their hashes instead of workbooks.

use std::path::{Path, PathBuf};

use std::io::Write;

use anyhow::{bail, Context, Result};
use duckdb::Connection;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::config::Config;
use crate::contract::metrics::METRICS;
use crate::ingest::Discovery;
use crate::state::manifest::{self, FileHash};

/// A K-of-N share of the input files (`--shard 2/3`), 1 ≤ K ≤ N.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub k: u32,
    pub n: u32,
}

/// A `--shard` that is not K/N with 1 ≤ K ≤ N.
#[derive(Debug, thiserror::Error)]
#[error("expected K/N with 1 ≤ K ≤ N (e.g. 2/3), found '{0}'")]
pub struct ShardError(String);

impl std::str::FromStr for Shard {
    type Err = ShardError;

    fn from_str(s: &str) -> Result<Self, ShardError> {
        let err = || ShardError(s.to_string());
        let (k, n) = s.split_once('/').ok_or_else(err)?;
        let (k, n): (u32, u32) = (
            k.trim().parse().map_err(|_| err())?,
            n.trim().parse().map_err(|_| err())?,
        );
        if k == 0 || n == 0 || k > n {
            return Err(err());
        }
        Ok(Shard { k, n })
    }
}

impl Shard {
    pub const ALL: Shard = Shard { k: 1, n: 1 };

    /// The shard a path belongs to: SHA-256 of its `/`-separated path
    /// relative to the inputs folder, first 8 bytes big-endian, mod N.
    /// Every machine computes the same for the same tree.
    pub fn of(rel: &str, n: u32) -> u32 {
        let digest = Sha256::digest(rel.as_bytes());
        let mut first = [0u8; 8];
        first.copy_from_slice(&digest[..8]);
        (u64::from_be_bytes(first) % u64::from(n)) as u32 + 1
    }

    pub fn holds(&self, rel: &str) -> bool {
        Shard::of(rel, self.n) == self.k
    }

    fn file_name(&self) -> String {
        format!("part-{}-of-{}", self.k, self.n)
    }
}

/// Which files one `stage` takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    /// The files whose path hash falls in shard K of N (machines without a
    /// scheduler).
    Shard(Shard),
    /// Exactly these files (relative to `--inputs`), staged as part `part`
    /// (a Spark task: a retried task replaces its own output).
    Listed { part: String, files: Vec<String> },
    /// What discovery alone knows (skipped entries, the year folders), as
    /// part `discovery`; the files to read are printed for a scheduler.
    Discovery,
}

impl Selection {
    /// The name of this selection's files: `part-K-of-N`, `part-<id>`.
    fn file_name(&self) -> String {
        match self {
            Selection::Shard(s) => s.file_name(),
            Selection::Listed { part, .. } => format!("part-{part}"),
            Selection::Discovery => "part-discovery".into(),
        }
    }

    fn label(&self) -> String {
        match self {
            Selection::Shard(s) => format!("{}/{}", s.k, s.n),
            Selection::Listed { part, .. } => part.clone(),
            Selection::Discovery => "discovery".into(),
        }
    }
}

/// The selection as the command line gives it.
#[derive(Debug, Clone)]
pub struct SelectionArgs {
    pub shard: Shard,
    /// `--files-from`: a file of paths, or `-` for standard input.
    pub files_from: Option<PathBuf>,
    /// `--part`: the id of the listed files' part, or `auto`.
    pub part: Option<String>,
    /// `--list`: discovery only.
    pub list: bool,
}

impl SelectionArgs {
    /// Read the file list, if one is named, and settle the part id.
    pub fn resolve(self) -> Result<Selection> {
        Ok(match (self.files_from, self.list) {
            (Some(from), _) => {
                let files = read_list(&from)?;
                let part = part_id(self.part.as_deref().unwrap_or("auto"), &files)?;
                Selection::Listed { part, files }
            }
            (None, true) => Selection::Discovery,
            (None, false) => Selection::Shard(self.shard),
        })
    }
}

/// The files of `--files-from` (`-`: standard input): one path relative
/// to `--inputs` per line; blank lines are ignored.
pub fn read_list(from: &Path) -> Result<Vec<String>> {
    let text = if from == Path::new("-") {
        std::io::read_to_string(std::io::stdin()).context("cannot read the file list from standard input")?
    } else {
        std::fs::read_to_string(from)
            .with_context(|| format!("cannot read the file list {}", from.display()))?
    };
    Ok(text
        .lines()
        .map(str::trim_end)
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect())
}

/// A part id given on the command line, or `auto`: the first 16 hex digits
/// of the SHA-256 of the files listed (the same list gives the same part,
/// so a retried task replaces its own output).
pub fn part_id(given: &str, files: &[String]) -> Result<String> {
    if given == "auto" {
        let digest = Sha256::digest(files.join("\n").as_bytes());
        return Ok(digest.iter().take(8).map(|b| format!("{b:02x}")).collect());
    }
    let ok = !given.is_empty()
        && given.len() <= 64
        && given
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    anyhow::ensure!(
        ok,
        "--part: expected auto or 1-64 letters, digits, - or _, found '{given}'"
    );
    Ok(given.to_string())
}

/// The partition folder of a year.
fn partition(year: Option<i32>) -> String {
    match year {
        Some(y) => format!("year={y}"),
        None => "year=__HIVE_DEFAULT_PARTITION__".to_string(),
    }
}

/// A path inside a SQL string literal (paths are the operator's, not input
/// data; quotes are doubled).
fn literal(path: &Path) -> String {
    format!("'{}'", path.to_string_lossy().replace('\'', "''"))
}

/// What one shard staged.
#[derive(Debug, Clone, Serialize)]
pub struct StageReport {
    pub shard: String,
    pub year: Option<i32>,
    pub files: Vec<FileHash>,
    pub rows: Vec<(String, u64)>,
}

/// Remove this selection's earlier files (of `year`, or of every year).
fn remove_own_files(out: &Path, part: &Selection, year: Option<i32>) -> Result<()> {
    let name = format!("{}.parquet", part.file_name());
    // years/y<Y>-part-K-of-N.parquet: one file per year and shard.
    if let Ok(entries) = std::fs::read_dir(out.join("years")) {
        for entry in entries.flatten() {
            let file = entry.file_name().to_string_lossy().into_owned();
            let ours = match year {
                None => file.starts_with('y') && file.ends_with(&format!("-{name}")),
                Some(y) => file == years_file(y, part),
            };
            if ours {
                std::fs::remove_file(entry.path())?;
            }
        }
    }
    for table in crate::load::per_file_tables() {
        let dir = out.join(table);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let part = entry.file_name().to_string_lossy().into_owned();
            let ours = match year {
                None => true,
                // Reference rows have no year: a shard re-stages them always.
                Some(y) => part == partition(Some(y)) || part == partition(None),
            };
            let file = entry.path().join(&name);
            if ours && file.exists() {
                std::fs::remove_file(&file).with_context(|| format!("cannot remove {}", file.display()))?;
            }
        }
    }
    Ok(())
}

/// The file recording that a part staged year Y (a year folder may hold
/// no row at all, so the years are staged on their own).
fn years_file(year: i32, part: &Selection) -> String {
    format!("y{year}-{}.parquet", part.file_name())
}

/// Write one table's rows of one year as a Parquet file (without the year
/// column, which is the folder's).
fn write_part(conn: &Connection, out: &Path, table: &str, year: Option<i32>, part: &Selection) -> Result<()> {
    let filter = match year {
        Some(y) => format!("year = {y}"),
        None => "year IS NULL".to_string(),
    };
    let dir = out.join(table).join(partition(year));
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let path = dir.join(format!("{}.parquet", part.file_name()));
    // The stat cache (mtime, inode) describes this machine's copy only.
    let exclude = match table {
        "input_files" => "year, mtime_ns, inode",
        _ => "year",
    };
    // Rows in a fixed order, so a re-staged shard gives the same bytes.
    conn.execute_batch(&format!(
        "COPY (SELECT * EXCLUDE ({exclude}) FROM {table} WHERE {filter} ORDER BY ALL) TO {} (FORMAT PARQUET);",
        literal(&path)
    ))
    .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

/// `stage --out DIR [--shard K/N | --files-from F --part ID | --list] [--year Y]`.
pub fn stage(config: &Config, out: &Path, selection: Selection, year: Option<i32>) -> Result<StageReport> {
    let discovery = select(config, out, &selection, year)?;
    let mut conn = crate::load::open_in_memory(config.db_memory_limit)?;
    super::run::load_inputs(&mut conn, &discovery, true, &config.reading()?, None)?;

    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    remove_own_files(out, &selection, year)?;
    let rows = write_tables(&conn, out, &selection)?;
    write_contract(out)?;
    write_templates(out, &discovery.templates)?;
    let files = manifest::input_hashes(&conn, &config.inputs, &discovery)?;
    if let Selection::Listed { .. } = &selection {
        // For the scheduler: what this task staged.
        let mut stdout = std::io::stdout().lock();
        for f in &discovery.files {
            writeln!(stdout, "{}", f.rel)?;
        }
    }
    let report = StageReport {
        shard: selection.label(),
        year,
        files,
        rows,
    };
    let record = out
        .join("_shards")
        .join(format!("{}.json", selection.file_name()));
    crate::util::fs::write_atomic(&record, &serde_json::to_vec_pretty(&report)?)?;
    tracing::info!(shard = %report.shard, files = report.files.len(), out = %out.display(), "staged");
    Ok(report)
}

/// What this selection stages: the discovered (or listed) files of its
/// share, of `year` when one is given. `--list` prints every file to read
/// and keeps none.
fn select(config: &Config, out: &Path, selection: &Selection, year: Option<i32>) -> Result<Discovery> {
    let mut discovery = match selection {
        Selection::Listed { files, .. } => {
            inject_failure(out, selection, files)?;
            crate::ingest::discover_listed(&config.inputs, files)
        }
        _ => super::run::discover(&config.inputs)?,
    };
    if let Some(y) = year {
        if !discovery.years.contains(&y) {
            bail!("no inputs for year {y} under {}", config.inputs.display());
        }
        discovery.years.retain(|d| *d == y);
    }
    let in_year = |f: Option<i32>| year.is_none() || f.is_none() || f == year;
    match selection {
        Selection::Shard(shard) => {
            discovery.files.retain(|f| shard.holds(&f.rel) && in_year(f.year));
            discovery
                .skipped
                .retain(|(y, p)| shard.holds(&p.path) && in_year(*y));
        }
        Selection::Discovery => {
            // The files go to the scheduler's tasks; this part keeps the rest.
            discovery.files.retain(|f| in_year(f.year));
            let mut stdout = std::io::stdout().lock();
            for f in &discovery.files {
                writeln!(stdout, "{}", f.rel)?;
            }
            stdout.flush()?;
            discovery.files.clear();
            discovery.skipped.retain(|(y, _)| in_year(*y));
        }
        Selection::Listed { .. } => {}
    }
    Ok(discovery)
}

/// Every per-file table, a part per year with rows, and its schema; and
/// the reporting years found, a file each (so staging one year leaves the
/// shard's other years in place). The rows staged per table.
fn write_tables(conn: &Connection, out: &Path, selection: &Selection) -> Result<Vec<(String, u64)>> {
    let mut rows = Vec::new();
    for table in crate::load::per_file_tables() {
        let years: Vec<(Option<i32>, i64)> = {
            let mut stmt = conn.prepare(&format!(
                "SELECT year, count(*) FROM {table} GROUP BY year ORDER BY year"
            ))?;
            let v = stmt.query_map([], |r| Ok((r.get::<_, Option<i32>>(0)?, r.get::<_, i64>(1)?)))?;
            v.collect::<duckdb::Result<Vec<_>>>()?
        };
        for (y, _) in &years {
            write_part(conn, out, table, *y, selection)?;
        }
        rows.push((table.to_string(), years.iter().map(|(_, n)| *n as u64).sum()));
        write_schema(conn, out, table)?;
    }
    let years_dir = out.join("years");
    std::fs::create_dir_all(&years_dir)?;
    for y in crate::aggregate::years(conn)? {
        conn.execute_batch(&format!(
            "COPY (SELECT year FROM years WHERE year = {y}) TO {} (FORMAT PARQUET);",
            literal(&years_dir.join(years_file(y, selection)))
        ))?;
    }
    Ok(rows)
}

/// The test environment's way to make a task fail: the file
/// `CHAMBERSTAT_TEST_STAGE_FAIL` names (its path relative to `--inputs`),
/// among the files listed, fails the task; with `CHAMBERSTAT_TEST_STAGE_FAIL_ONCE` set, only its first
/// attempt (a marker under `_tasks/` remembers it). Nothing else reads them.
fn inject_failure(out: &Path, part: &Selection, files: &[String]) -> Result<()> {
    let Ok(name) = std::env::var("CHAMBERSTAT_TEST_STAGE_FAIL") else {
        return Ok(());
    };
    if !files.contains(&name) {
        return Ok(());
    }
    if std::env::var_os("CHAMBERSTAT_TEST_STAGE_FAIL_ONCE").is_some() {
        let marker = out.join("_tasks").join(part.file_name());
        if marker.exists() {
            return Ok(());
        }
        crate::util::fs::write_atomic(&marker, b"failed once\n")?;
    }
    bail!("failing on purpose on {name} (CHAMBERSTAT_TEST_STAGE_FAIL)")
}

/// The folder of a staging folder that holds the materials templates.
const TEMPLATES: &str = "_materials";

/// Every materials template, so that `run --staged` renders the same
/// documents as `run` (each shard writes the same copies).
fn write_templates(out: &Path, templates: &[crate::contract::materials::TemplateFile]) -> Result<()> {
    for t in templates {
        let bytes = std::fs::read(&t.abs).with_context(|| format!("cannot read {}", t.abs.display()))?;
        crate::util::fs::write_atomic(&out.join(TEMPLATES).join(&t.rel), &bytes)?;
    }
    Ok(())
}

/// The templates a staging folder holds.
fn staged_templates(dir: &Path) -> Vec<crate::contract::materials::TemplateFile> {
    let root = dir.join(TEMPLATES);
    let mut out: Vec<_> = walkdir::WalkDir::new(&root)
        .sort_by_file_name()
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_file())
        .filter_map(|e| {
            let rel = e
                .path()
                .strip_prefix(&root)
                .ok()?
                .to_string_lossy()
                .replace('\\', "/");
            Some(crate::contract::materials::TemplateFile {
                stat: crate::ingest::stat(e.path()),
                abs: e.into_path(),
                rel,
            })
        })
        .collect();
    out.sort_by(|a, b| a.rel.cmp(&b.rel));
    out
}

/// An empty Parquet file with the table's full schema (year included), so
/// a reader can create a table no shard had rows for.
fn write_schema(conn: &Connection, out: &Path, table: &str) -> Result<()> {
    let dir = out.join("_schema");
    std::fs::create_dir_all(&dir)?;
    let path = dir.join(format!("{table}.parquet"));
    conn.execute_batch(&format!(
        "COPY (SELECT * FROM {table} LIMIT 0) TO {} (FORMAT PARQUET);",
        literal(&path)
    ))?;
    Ok(())
}

#[derive(Serialize)]
struct MetricSpec {
    id: &'static str,
    unit: &'static str,
    kind: &'static str,
}

/// The headline metrics (ids, units, kinds, in contract order), for engines
/// other than this binary to write headline.csv by the same contract.
fn write_contract(out: &Path) -> Result<()> {
    let specs: Vec<MetricSpec> = METRICS
        .iter()
        .map(|m| MetricSpec {
            id: m.id,
            unit: m.unit,
            kind: m.kind.name(),
        })
        .collect();
    crate::util::fs::write_atomic(
        &out.join("_contract/metrics.json"),
        &serde_json::to_vec_pretty(&specs)?,
    )
}

/// Every Parquet file under the staging folder with its hash (for
/// manifest.json), by path relative to it.
fn staged_files(dir: &Path) -> Result<Vec<FileHash>> {
    let mut files = Vec::new();
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let entry = entry?;
        if !entry.file_type().is_file() {
            continue;
        }
        let rel = entry.path().strip_prefix(dir).unwrap_or(entry.path());
        let rel = rel.to_string_lossy().replace('\\', "/");
        let listed = ["_shards/", "_contract/", "_materials/"]
            .iter()
            .any(|d| rel.starts_with(d));
        if listed || rel.ends_with(".parquet") {
            files.push(manifest::hash_file(&rel, entry.path())?);
        }
    }
    Ok(files)
}

/// Load a staging folder into a fresh warehouse's tables.
pub fn load_staged(conn: &Connection, dir: &Path) -> Result<()> {
    if !dir.join("_shards").is_dir() {
        bail!(
            "{} is not a staging folder (no _shards/): run `chamberstat stage --out {}` first",
            dir.display(),
            dir.display()
        );
    }
    for table in crate::load::per_file_tables() {
        let folder = dir.join(table);
        if !folder.is_dir() {
            continue; // no shard had rows for it
        }
        let glob = folder.join("*").join("*.parquet");
        conn.execute_batch(&format!(
            "INSERT INTO {table} BY NAME SELECT * FROM read_parquet({}, hive_partitioning = true, union_by_name = true);",
            literal(&glob)
        ))
        .with_context(|| format!("cannot load the staged {table}"))?;
    }
    conn.execute_batch(&format!(
        "INSERT INTO years SELECT DISTINCT year FROM read_parquet({});",
        literal(&dir.join("years").join("*.parquet"))
    ))
    .context("cannot load the staged years")?;
    Ok(())
}

/// `run --staged DIR`: aggregate and emit from staged Parquet.
pub fn run_staged(config: &Config, dir: &Path, requested_year: Option<i32>) -> Result<Vec<PathBuf>> {
    let queries = crate::aggregate::load_queries(config.queries.as_deref())?;
    let mut conn = crate::load::open_in_memory(config.db_memory_limit)?;
    load_staged(&conn, dir)?;
    let years = crate::aggregate::years(&conn)?;
    let year = super::common::pick_year(requested_year, &years)?;
    super::run::aggregate_figures(&mut conn, &queries)?;
    let headline = crate::aggregate::headline(&conn, year)?;
    let sources = super::run::Sources {
        dir: dir.to_string_lossy().into_owned(),
        files: staged_files(dir)?,
        command: vec!["run".into(), "--staged".into(), "--year".into(), year.to_string()],
    };
    let _lock = crate::util::lock::acquire(&config.db, std::time::Duration::ZERO)?;
    // The outputs change under the last run's record.
    crate::state::changes::forget(&config.db)?;
    let _s = tracing::info_span!("emit", year).entered();
    let templates = staged_templates(dir);
    let written = super::run::emit_year(config, &conn, &sources, &queries, &headline, &templates)?;
    tracing::info!(year, staged = %dir.display(), "run from staged Parquet finished");
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shard_spec_parses_k_of_n_and_refuses_nonsense() {
        assert_eq!("2/3".parse::<Shard>().unwrap(), Shard { k: 2, n: 3 });
        for bad in ["0/3", "4/3", "3", "a/b", "1/0"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
    }

    #[test]
    fn every_path_falls_in_exactly_one_shard_and_the_same_on_every_machine() {
        let paths: Vec<String> = (0..300)
            .map(|i| format!("2024/companies/{i:05}_x.xlsx"))
            .collect();
        for n in [1, 2, 3, 7] {
            for p in &paths {
                let owners = (1..=n).filter(|k| Shard { k: *k, n }.holds(p)).count();
                assert_eq!(owners, 1, "{p} in {owners} of {n} shards");
            }
        }
        // Pinned (computed independently: SHA-256, first 8 bytes big-endian,
        // mod N, plus 1): machines of different versions must agree.
        assert_eq!(Shard::of("reference/会员名册.xlsx", 1000), 743);
        assert_eq!(Shard::of("2024/companies/00001_x.xlsx", 1000), 964);
        let spread: Vec<usize> = (1..=3)
            .map(|k| paths.iter().filter(|p| Shard { k, n: 3 }.holds(p)).count())
            .collect();
        assert!(spread.iter().all(|c| *c > 60), "{spread:?}");
    }
}
