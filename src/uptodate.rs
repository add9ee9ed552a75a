//! `run`'s up-to-date check without opening the warehouse.
//!
//! Every `run` that completes leaves `<warehouse>.current.json` beside the
//! warehouse: a digest of what the run saw, the warehouse file's stat as
//! the run closed it, the SHA-256 of every file in the year's outputs
//! folder, and the run's totals for the summary line. The digest covers the
//! program (version and the executable's stat), the year, the folders, the
//! query files, and every discovered entry with its stat (git's stat cache)
//! or, for a skipped one, its reason.
//!
//! The next run that computes the same digest, finds the warehouse as it
//! was left (no write-ahead log) and the outputs byte for byte as written,
//! has nothing to do, and stops there. This is what makes a run with
//! nothing new cost a walk and a stat per file, without reading the stat
//! cache out of DuckDB, parsing the year's manifest or opening the
//! warehouse.
//!
//! Anything else, and `--full`, goes the long way, which forgets the record
//! first and writes a new one at the end. When a file was modified in the
//! last seconds, its time is not trusted (`Stat`): there is no digest, no
//! record is left, and the next run goes the long way too.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::aggregate::QueryFile;
use crate::cli::Global;
use crate::ingest::{self, Discovery, Stat};
use crate::load::{self, Totals};
use crate::manifest::{self, FileHash};
use crate::pipeline::RuleCounts;

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
    load::beside(db, ".current.json")
}

/// Everything a run's outputs depend on that can be read without the
/// warehouse, as one SHA-256; `None` when some file's time cannot be
/// trusted (written within the last seconds, or unreadable), because then
/// the same stat a moment later would not mean the same content.
pub fn digest(g: &Global, year: i32, queries: &[QueryFile], discovery: &Discovery) -> Option<String> {
    let _s = tracing::debug_span!("digest").entered();
    let trusted = |st: Option<Stat>| st.filter(|s| s.mtime_ns.is_some());
    let mut h = Sha256::new();
    let exe = trusted(std::env::current_exe().ok().and_then(|p| ingest::stat(&p)))?;
    h.update(format!("chamberstat {} {exe:?}\n", env!("CARGO_PKG_VERSION")));
    h.update(format!(
        "year {year}\ninputs {:?}\noutputs {:?}\n",
        g.inputs, g.outputs
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
        let st = trusted(ingest::lstat(&g.inputs.join(&p.path)))?;
        h.update(format!("skipped {:?} {:?} {st:?}\n", p.path, p.reason));
    }
    for t in &discovery.templates {
        h.update(format!("template {:?} {:?}\n", t.rel, trusted(t.stat)?));
    }
    Some(format!("{:x}", h.finalize()))
}

/// What the last completed run left, with the year's outputs as they are
/// now: read while the inputs are walked (`None` without a record).
pub struct Previous {
    record: Record,
    outputs_now: Result<Vec<FileHash>>,
}

/// Read the record and hash the outputs it names.
pub fn previous(g: &Global) -> Option<Previous> {
    let record: Record = std::fs::read(record_path(&g.db()))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())?;
    let outputs_now = output_hashes(&g.outputs.join(record.year.to_string()));
    Some(Previous { record, outputs_now })
}

/// The recorded totals when the last run was for this year, saw exactly
/// this digest and left the warehouse and the year's outputs as they are.
pub fn current(g: &Global, year: i32, digest: &str, previous: Previous) -> Option<Record> {
    let _s = tracing::debug_span!("up_to_date").entered();
    let db = g.db();
    let Previous { record, outputs_now } = previous;
    let changed = if record.digest != digest || record.year != year {
        "an input, query, folder, the year or the program"
    } else if load::beside(&db, ".wal").exists() {
        "the warehouse (it has a write-ahead log)"
    } else if ingest::identity(&db) != Some(record.warehouse) {
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
pub fn remember(g: &Global, year: i32, digest: String, totals: Totals, rules: RuleCounts) -> Result<()> {
    let db = g.db();
    let Some(warehouse) = ingest::identity(&db) else {
        return Ok(());
    };
    let record = Record {
        year,
        digest,
        warehouse,
        outputs: output_hashes(&g.outputs.join(year.to_string()))?,
        totals,
        rules,
    };
    crate::emit::write_atomic(&record_path(&db), &serde_json::to_vec(&record)?)
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
