//! `manifest.json`: what an auditor needs to reproduce a year's outputs —
//! the program and DuckDB versions, the command, SHA-256 of every input
//! file and query file, the headline values, and SHA-256 of every other
//! output file of the year.
//!
//! It holds nothing that changes between two runs on the same inputs (no
//! times, no warehouse path), so reruns are byte-identical; run times live
//! in the log.

use std::path::Path;

use anyhow::{Context, Result};
use duckdb::Connection;
use serde::{Deserialize, Serialize};

use crate::aggregate::QueryFile;
use crate::contract::metrics::Headline;
use crate::ingest::Discovery;
use crate::util::hash::sha256_hex;

pub const FILE_NAME: &str = "manifest.json";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileHash {
    pub path: String,
    pub sha256: String,
    pub bytes: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MetricValue {
    pub metric: String,
    pub value: String,
    pub unit: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub program: String,
    pub version: String,
    pub duckdb_version: String,
    /// The command that produced the outputs, without folder arguments.
    pub command: Vec<String>,
    pub year: i32,
    /// The inputs folder as given on the command line; `verify` reads it.
    pub inputs_dir: String,
    /// Every file under the inputs folder, read or skipped, by relative path.
    pub inputs: Vec<FileHash>,
    /// `embedded` (the query files compiled into the binary) or the
    /// `--queries` folder that was used.
    #[serde(default = "embedded")]
    pub queries_source: String,
    pub queries: Vec<FileHash>,
    pub headline: Vec<MetricValue>,
    /// Every other output file of the year, by file name.
    pub outputs: Vec<FileHash>,
}

fn embedded() -> String {
    "embedded".into()
}

/// The hash of the file at `abs`, listed as `path`, read in pieces: an
/// output of tens of MB (rejects.csv of a long call-back list) costs no
/// more memory to check than a small one.
pub fn hash_file(path: &str, abs: &Path) -> std::io::Result<FileHash> {
    let (sha256, bytes) = crate::util::hash::hash_file(abs)?;
    Ok(FileHash {
        path: path.to_string(),
        sha256,
        bytes,
    })
}

pub fn hash_bytes(path: &str, bytes: &[u8]) -> FileHash {
    FileHash {
        path: path.to_string(),
        sha256: sha256_hex(bytes),
        bytes: bytes.len() as u64,
    }
}

/// Hashes of every input file: workbooks from the warehouse (hashed when
/// read), skipped files read now.
pub fn input_hashes(conn: &Connection, inputs: &Path, discovery: &Discovery) -> Result<Vec<FileHash>> {
    let mut stmt = conn.prepare("SELECT path, sha256, bytes FROM input_files")?;
    let mut out: Vec<FileHash> = stmt
        .query_map([], |r| {
            Ok(FileHash {
                path: r.get(0)?,
                sha256: r.get(1)?,
                bytes: r.get::<_, i64>(2)? as u64,
            })
        })?
        .collect::<duckdb::Result<_>>()?;
    for (_, skipped) in &discovery.skipped {
        out.push(skipped_hash(inputs, &skipped.path));
    }
    // The materials templates are inputs of the rendered documents.
    for t in &discovery.templates {
        out.push(skipped_hash(inputs, &t.rel));
    }
    out.sort_by(|a, b| a.path.as_bytes().cmp(b.path.as_bytes()));
    Ok(out)
}

/// The hash of a skipped entry when it is a regular file that can be read;
/// a link, pipe, device, unreadable file or undecodable name is listed with
/// an empty hash (it was never read, and reading a pipe would block).
fn skipped_hash(inputs: &Path, rel: &str) -> FileHash {
    let abs = inputs.join(rel);
    let regular = std::fs::symlink_metadata(&abs).is_ok_and(|m| m.file_type().is_file());
    regular
        .then(|| hash_file(rel, &abs).ok())
        .flatten()
        .unwrap_or_else(|| FileHash {
            path: rel.to_string(),
            sha256: String::new(),
            bytes: 0,
        })
}

pub fn query_hashes(queries: &[QueryFile]) -> Vec<FileHash> {
    queries
        .iter()
        .map(|q| FileHash {
            path: q.name.clone(),
            sha256: q.sha256.clone(),
            bytes: q.sql.len() as u64,
        })
        .collect()
}

pub fn headline_values(h: &Headline) -> Vec<MetricValue> {
    h.values
        .iter()
        .map(|p| MetricValue {
            metric: p.metric.id.to_string(),
            value: p.text.clone(),
            unit: p.metric.unit.to_string(),
        })
        .collect()
}

pub fn duckdb_version(conn: &Connection) -> Result<String> {
    Ok(conn.query_row("SELECT version()", [], |r| r.get(0))?)
}

pub fn render(m: &Manifest) -> Result<Vec<u8>> {
    let mut bytes = serde_json::to_vec_pretty(m)?;
    bytes.push(b'\n');
    Ok(bytes)
}

pub fn read(path: &Path) -> Result<Manifest> {
    let bytes =
        std::fs::read(path).with_context(|| format!("cannot read the manifest {}", path.display()))?;
    serde_json::from_slice(&bytes)
        .with_context(|| format!("{} is not a chamberstat manifest", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_hashed_in_pieces_has_the_hash_of_its_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rejects.csv");
        // Larger than one read, so the pieces are joined.
        let bytes: Vec<u8> = (0..200_000u32).flat_map(|i| i.to_le_bytes()).collect();
        std::fs::write(&path, &bytes).unwrap();
        let hash = hash_file("2024/rejects.csv", &path).unwrap();
        assert_eq!(hash, hash_bytes("2024/rejects.csv", &bytes));
        assert_eq!(hash.bytes, 800_000);
        assert!(hash_file("x", &dir.path().join("missing")).is_err());
    }
}
