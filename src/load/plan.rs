//! Which files a load must parse: git's stat cache (size, modification
//! time, inode, taken at discovery) says "unchanged" without reading a
//! file; a changed stat is checked against the content hash; everything
//! else is new, changed or gone.

use std::collections::{HashMap, HashSet};

use anyhow::Result;
use duckdb::Connection;
use rayon::prelude::*;

use crate::ingest::{self, Discovery, InputFile, Stat};

/// What the last run recorded for one path.
pub(super) struct Previous {
    pub(super) sha256: String,
    pub(super) stat: Stat,
}

pub(super) fn previous_files(conn: &Connection) -> Result<HashMap<String, Previous>> {
    let mut stmt = conn.prepare("SELECT path, sha256, bytes, mtime_ns, inode FROM input_files")?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            Previous {
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

/// What a load does with each discovered file.
pub(super) struct Plan<'d> {
    /// New and changed files (the discovery's own entries: at 30,000
    /// members a copy of them was 17 MB).
    pub(super) parse: Vec<&'d InputFile>,
    /// Unchanged files: their rows stay.
    pub(super) kept: HashSet<String>,
    /// Unchanged files whose stat changed (touched, copied back): the new stat.
    pub(super) restat: Vec<(String, Stat)>,
    /// Files the last run loaded that are gone or changed: their rows go.
    pub(super) stale: Vec<String>,
}

/// Which discovered files must be parsed. A file whose size, time and inode
/// equal the last run's is unchanged without reading it; one whose stat
/// changed is hashed, and kept if its content did not change (its new stat
/// is recorded). `--full` parses everything.
pub(super) fn plan<'d>(conn: &Connection, discovery: &'d Discovery, full: bool) -> Result<Plan<'d>> {
    let previous = if full {
        HashMap::new()
    } else {
        previous_files(conn)?
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
                    let same = ingest::hash_file(&f.abs).is_ok_and(|(h, _)| h == prev.sha256);
                    (same, same)
                }
                None => (false, false),
            }
        })
        .collect();
    let mut to_parse = Vec::new();
    let mut kept = HashSet::new();
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
        parse: to_parse,
        kept,
        restat,
        stale,
    })
}
