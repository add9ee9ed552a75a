//! The one place that decides what has changed since the last run, at
//! the three moments a run asks:
//!
//! 1. **Before anything is opened** ([`digest`], [`last_run`],
//!    [`unchanged`]): every `run` that completes leaves
//!    `<warehouse>.current.json` beside the warehouse: a digest of what the
//!    run saw, the warehouse file's stat as the run closed it, the SHA-256
//!    of every file in the year's outputs folder, and the run's totals for
//!    the summary line. The digest covers the program (version and the
//!    executable's stat), the year, the folders, the query files, and every
//!    discovered entry with its stat (git's stat cache) or, for a skipped
//!    one, its reason. The next run that computes the same digest, finds
//!    the warehouse as it was left (no write-ahead log) and the outputs
//!    byte for byte as written, has nothing to do: a walk and a stat per
//!    file, without opening the warehouse. Anything else, and `--full`,
//!    goes the long way, which [`forget`]s the record first and
//!    [`remember`]s a new one at the end. When a file was modified in the
//!    last seconds its time is not trusted: there is no digest, no record
//!    is left, and the next run goes the long way too.
//! 2. **Before the load** ([`files_to_parse`]): which files the load must
//!    parse. A file whose size, time and inode equal what the warehouse
//!    recorded is unchanged without reading it; one whose stat changed is
//!    hashed, and kept if its content did not change.
//! 3. **After the load** ([`outputs_current`]): when no file was parsed or
//!    dropped, whether the year's manifest says its outputs were computed
//!    by this program from exactly these inputs and queries and are
//!    untouched since; then there is nothing to recompute.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use duckdb::Connection;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::aggregate::{QueryFile, RuleCounts};
use crate::config::Config;
use crate::ingest::{self, Discovery, Stat};
use crate::load::{LoadReport, Plan, Totals};
use crate::state::manifest::{self, FileHash};

/// What a completed run leaves for the next one.
#[derive(Debug, Serialize, Deserialize)]
pub struct Record {
    pub year: i32,
    pub digest: String,
    pub warehouse: Stat,
    pub outputs: Vec<FileHash>,
    pub totals: Totals,
    pub rules: RuleCounts,
}

/// The record's file, beside the warehouse.
pub fn record_path(db: &Path) -> PathBuf {
    crate::util::fs::beside(db, ".current.json")
}

/// Everything a run's outputs depend on that can be read without the
/// warehouse, as one SHA-256; `None` when some file's time cannot be
/// trusted (written within the last seconds, or unreadable), because then
/// the same stat a moment later would not mean the same content.
pub fn digest(config: &Config, year: i32, queries: &[QueryFile], discovery: &Discovery) -> Option<String> {
    let _s = tracing::debug_span!("digest").entered();
    let trusted = |st: Option<Stat>| st.filter(|s| s.mtime_ns.is_some());
    let mut h = Sha256::new();
    let exe = trusted(std::env::current_exe().ok().and_then(|p| ingest::stat(&p)))?;
    h.update(format!("chamberstat {} {exe:?}\n", env!("CARGO_PKG_VERSION")));
    h.update(format!(
        "year {year}\ninputs {:?}\noutputs {:?}\n",
        config.inputs, config.outputs
    ));
    for q in queries {
        h.update(format!("query {:?} {}\n", q.name, q.sha256));
    }
    // Per file, the path and the stat's numbers as bytes, gathered and
    // hashed at once: formatting them, or hashing piece by piece, cost as
    // much as the stats on a large tree.
    let mut files = Vec::with_capacity(discovery.files.len() * 96);
    for f in &discovery.files {
        let st = trusted(f.stat)?;
        files.extend_from_slice(f.rel.as_bytes());
        files.push(0);
        for n in [st.bytes, st.mtime_ns.unwrap_or_default(), st.inode] {
            files.extend_from_slice(&n.to_le_bytes());
        }
    }
    h.update(&files);
    for (_, p) in &discovery.skipped {
        let st = trusted(ingest::lstat(&config.inputs.join(&p.path)))?;
        h.update(format!("skipped {:?} {:?} {st:?}\n", p.path, p.reason));
    }
    for t in &discovery.templates {
        h.update(format!("template {:?} {:?}\n", t.rel, trusted(t.stat)?));
    }
    Some(format!("{:x}", h.finalize()))
}

/// What the last completed run left, with the year's outputs as they are
/// now: read while the inputs are walked (`None` without a record).
pub struct LastRun {
    record: Record,
    outputs_now: Result<Vec<FileHash>>,
}

/// Read the record and hash the outputs it names.
pub fn last_run(config: &Config) -> Option<LastRun> {
    let record: Record = std::fs::read(record_path(&config.db))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())?;
    let outputs_now = output_hashes(&config.year_dir(record.year));
    Some(LastRun { record, outputs_now })
}

/// The recorded totals when the last run was for this year, saw exactly
/// this digest and left the warehouse and the year's outputs as they are.
pub fn unchanged(config: &Config, year: i32, digest: &str, last: LastRun) -> Option<Record> {
    let _s = tracing::debug_span!("up_to_date").entered();
    let db = &config.db;
    let LastRun { record, outputs_now } = last;
    let changed = if record.digest != digest || record.year != year {
        "an input, query, folder, the year or the program"
    } else if crate::util::fs::beside(db, ".wal").exists() {
        "the warehouse (it has a write-ahead log)"
    } else if ingest::identity(db) != Some(record.warehouse) {
        "the warehouse file"
    } else if !outputs_now.is_ok_and(|o| o == record.outputs) {
        "an output file"
    } else {
        return Some(record);
    };
    tracing::debug!("changed since the last run: {changed}");
    None
}

/// Forget the record before a run changes anything: a run that stops
/// half-way leaves none.
pub fn forget(db: &Path) -> Result<()> {
    match std::fs::remove_file(record_path(db)) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(e).with_context(|| format!("cannot remove {}", record_path(db).display()))
        }
        _ => Ok(()),
    }
}

/// Record a completed run; call it after the warehouse is closed, so its
/// stat is final.
pub fn remember(config: &Config, year: i32, digest: String, totals: Totals, rules: RuleCounts) -> Result<()> {
    let db = &config.db;
    let Some(warehouse) = ingest::identity(db) else {
        return Ok(());
    };
    let record = Record {
        year,
        digest,
        warehouse,
        outputs: output_hashes(&config.year_dir(year))?,
        totals,
        rules,
    };
    crate::util::fs::write_atomic(&record_path(db), &serde_json::to_vec(&record)?)
}

/// After a load: true when it parsed and dropped nothing (and was not
/// `--full`) and the year's outputs were written by this program version
/// from exactly these input and query files and are untouched since, as
/// the manifest says file by file. Then there is nothing to recompute.
pub fn outputs_current(
    config: &Config,
    conn: &Connection,
    load: &LoadReport,
    full: bool,
    discovery: &Discovery,
    queries: &[QueryFile],
    year: i32,
) -> Result<bool> {
    if full || load.files_parsed > 0 || load.files_dropped > 0 {
        return Ok(false);
    }
    let _s = tracing::debug_span!("outputs_current").entered();
    let dir = config.year_dir(year);
    let Ok(m) = manifest::read(&dir.join(manifest::FILE_NAME)) else {
        return Ok(false);
    };
    if m.version != env!("CARGO_PKG_VERSION")
        || m.year != year
        || m.inputs_dir != config.inputs.to_string_lossy()
        || m.queries != manifest::query_hashes(queries)
        || m.duckdb_version != manifest::duckdb_version(conn)?
    {
        return Ok(false);
    }
    if m.inputs != manifest::input_hashes(conn, &config.inputs, discovery)? {
        return Ok(false);
    }
    Ok(m.outputs
        .iter()
        .all(|f| manifest::hash_file(&f.path, &dir.join(&f.path)).is_ok_and(|h| h == *f)))
}

/// What the warehouse recorded for one input file.
struct Recorded {
    sha256: String,
    stat: Stat,
}

fn recorded_files(conn: &Connection) -> Result<HashMap<String, Recorded>> {
    let mut stmt = conn.prepare("SELECT path, sha256, bytes, mtime_ns, inode FROM input_files")?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            Recorded {
                sha256: r.get(1)?,
                stat: Stat {
                    bytes: r.get(2)?,
                    mtime_ns: r.get(3)?,
                    inode: r.get::<_, Option<i64>>(4)?.unwrap_or(-1),
                },
            },
        ))
    })?;
    Ok(rows.collect::<duckdb::Result<_>>()?)
}

/// Which discovered files must be parsed. A file whose size, time and inode
/// equal the last run's is unchanged without reading it; one whose stat
/// changed is hashed, and kept if its content did not change (its new stat
/// is recorded). `--full` parses everything.
pub fn files_to_parse<'d>(conn: &Connection, discovery: &'d Discovery, full: bool) -> Result<Plan<'d>> {
    let previous = if full {
        HashMap::new()
    } else {
        recorded_files(conn)?
    };
    let decided: Vec<(bool, bool)> = discovery
        .files
        .par_iter()
        .map(|f| {
            let Some(prev) = previous.get(&f.rel) else {
                return (false, false);
            };
            match f.stat {
                Some(st) if prev.stat.mtime_ns.is_some() && st == prev.stat => (true, false),
                Some(_) => {
                    // Unreadable files hash to "" and are parsed, which
                    // reports why they cannot be read.
                    let same = crate::util::hash::hash_file(&f.abs).is_ok_and(|(h, _)| h == prev.sha256);
                    (same, same)
                }
                None => (false, false),
            }
        })
        .collect();
    let mut to_parse = Vec::new();
    let mut kept = std::collections::HashSet::new();
    let mut restat = Vec::new();
    for (file, (keep, hashed)) in discovery.files.iter().zip(decided) {
        if keep {
            kept.insert(file.rel.clone());
            if let (true, Some(st)) = (hashed, file.stat) {
                restat.push((file.rel.clone(), st));
            }
        } else {
            to_parse.push(file);
        }
    }
    let stale = previous.into_keys().filter(|p| !kept.contains(p)).collect();
    Ok(Plan {
        full,
        parse: to_parse,
        kept: kept.len(),
        restat,
        stale,
    })
}

/// SHA-256 of every file in a year's outputs folder, by name.
fn output_hashes(dir: &Path) -> Result<Vec<FileHash>> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("cannot list {}", dir.display()))? {
        let entry = entry?;
        if entry.file_type()?.is_file() {
            names.push(entry.file_name().to_string_lossy().into_owned());
        }
    }
    names.sort();
    names
        .par_iter()
        .map(|name| manifest::hash_file(name, &dir.join(name)).with_context(|| format!("cannot read {name}")))
        .collect()
}
