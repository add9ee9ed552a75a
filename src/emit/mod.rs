//! Emit: render the output files of one year and write them atomically.
//!
//! Every output is rendered to bytes first and then written to a temporary
//! file in the same folder and renamed over the target, so a crash or a
//! full disk never leaves a half-written report where a template or an
//! auditor's script would read it. The call-back list, which grows with
//! the problems of the input, is the exception to "bytes first": it is
//! written to its temporary file as its rows are read ([`Body::Written`]),
//! and renamed like the others. Outputs contain no timestamps: the same
//! inputs give byte-identical files.

pub mod anomalies_csv;
mod exporter;
pub mod frames;
pub mod headline_csv;
pub mod headline_md;
pub mod materials;
pub mod rejects;
pub mod summary_xlsx;

use std::path::PathBuf;

use anyhow::{Context as _, Result};
use serde::Serialize;

pub use exporter::{Body, Context, Exporter, Rendered};

use crate::state::manifest::{self, FileHash, Manifest};
use crate::util::fs::{persist, write_atomic};

/// The exporters, in the order their files are listed in manifest.json.
fn exporters() -> [(&'static str, Box<dyn Exporter>); 6] {
    [
        ("headline_csv", Box::new(headline_csv::HeadlineCsv)),
        ("headline_md", Box::new(headline_md::HeadlineMd)),
        ("materials", Box::new(Materials)),
        ("rejects", Box::new(rejects::Rejects)),
        ("anomalies", Box::new(anomalies_csv::AnomaliesCsv)),
        ("summary", Box::new(summary_xlsx::Summary)),
    ]
}

/// Render every exporter, one after another, on the run's connection:
/// DuckDB already uses every core for each query, and exporters rendered
/// at once would hold their queries' working sets at the same time.
fn render_all(cx: &Context) -> Result<Vec<Rendered>> {
    exporters()
        .iter()
        .map(|(name, exporter)| {
            let _s = tracing::debug_span!("export", format = *name).entered();
            exporter.render(cx)
        })
        .collect()
}

/// The materials, rendered before the other outputs (their problems go
/// to the call-back list), handed over as they are.
struct Materials;

impl Exporter for Materials {
    fn render(&self, cx: &Context) -> Result<Rendered> {
        Ok(cx
            .materials
            .iter()
            .map(|(name, bytes)| (name.clone(), Body::Bytes(bytes.clone())))
            .collect())
    }
}

/// What the emit stage wrote.
#[derive(Debug, Clone, Default, Serialize)]
pub struct EmitReport {
    pub files: Vec<PathBuf>,
}

/// The emit stage: render every exporter's files for the year, write each
/// atomically into `dir`, then manifest.json (built by `manifest` from the
/// other files' hashes) last.
pub fn emit(cx: &Context, manifest: impl FnOnce(Vec<FileHash>) -> Result<Manifest>) -> Result<EmitReport> {
    let dir = cx.dir;
    crate::util::fs::remove_stale_temp_files(dir);
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut report = EmitReport::default();
    let mut hashes = Vec::new();
    for files in render_all(cx)? {
        for (file, body) in files {
            let path = dir.join(&file);
            match body {
                Body::Bytes(bytes) => {
                    write_atomic(&path, &bytes)?;
                    hashes.push(manifest::hash_bytes(&file, &bytes));
                }
                Body::Written(tmp) => {
                    let hash = manifest::hash_file(&file, tmp.path())
                        .with_context(|| format!("cannot read back the new {}", path.display()))?;
                    persist(tmp, &path)?;
                    hashes.push(hash);
                }
            }
            report.files.push(path);
        }
    }
    let m = manifest(hashes)?;
    let path = dir.join(manifest::FILE_NAME);
    write_atomic(&path, &manifest::render(&m)?)?;
    report.files.push(path);
    Ok(report)
}
