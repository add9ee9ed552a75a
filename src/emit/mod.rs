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
pub mod book;
pub mod frames;
pub mod headline_csv;
pub mod headline_md;
pub mod rejects;
pub mod summary_xlsx;

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use duckdb::Connection;
use serde::Serialize;

use crate::contract::metrics::Headline;
use crate::manifest::{self, FileHash, Manifest};

/// What every exporter reads: the warehouse and the year's figures.
pub struct Context<'a> {
    /// The year's output folder: outputs land here, and so do the
    /// temporary files of those written as they are read.
    pub dir: &'a Path,
    pub conn: &'a Connection,
    pub headline: &'a Headline,
    /// Every year up to the reporting year, oldest first (同比).
    pub history: &'a [Headline],
    /// The rendered materials (`materials/…`, `materials_sources.csv`).
    pub materials: &'a [(String, Vec<u8>)],
}

/// One output format: fetches what it needs from the warehouse and renders
/// its files (name, body) for the year. One module per format.
pub trait Exporter {
    fn render(&self, cx: &Context) -> Result<Rendered>;
}

/// An exporter's files: name and body.
pub type Rendered = Vec<(String, Body)>;

/// An output file as its exporter hands it over.
pub enum Body {
    /// Rendered in memory: the reports whose size the figures bound.
    Bytes(Vec<u8>),
    /// Already written, as its rows were read, to a temporary file in the
    /// output folder ([`temp_file`]); renamed into place with the others.
    /// For the lists whose length the input decides: holding the 200,000
    /// problems of one bad workbook as text and then as CSV bytes took
    /// ~200 MB.
    Written(tempfile::NamedTempFile),
}

impl From<Vec<u8>> for Body {
    fn from(bytes: Vec<u8>) -> Self {
        Body::Bytes(bytes)
    }
}

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

/// Render every exporter, one after another, on the run's connection.
/// They used to render at once, each on its own thread and connection:
/// that saved ~80 ms of a 3,000-member run, nothing at 30,000 members or on
/// a 200,000-row workbook (DuckDB already uses both cores for each query),
/// and cost the workbook's run 40 MB of peak memory, the heavy exporters'
/// queries holding their working sets at the same time.
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
    remove_stale_temp_files(dir);
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

/// Write `bytes` to `path` via a temporary sibling and a rename.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or_else(|| Path::new("."));
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut tmp = temp_file(dir)?;
    tmp.write_all(bytes)
        .with_context(|| format!("cannot write {}", path.display()))?;
    persist(tmp, path)
}

/// A new temporary file in `dir` (named `.tmp…`, which
/// [`remove_stale_temp_files`] clears after a killed run): an output is
/// written here and then renamed over its target by [`persist`], on the
/// same file system.
pub fn temp_file(dir: &Path) -> Result<tempfile::NamedTempFile> {
    tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("cannot create a temporary file in {}", dir.display()))
}

/// Put a written temporary file in place as `path`: synced, readable by
/// all, renamed.
fn persist(tmp: tempfile::NamedTempFile, path: &Path) -> Result<()> {
    tmp.as_file()
        .sync_all()
        .with_context(|| format!("cannot write {}", path.display()))?;
    // Temporary files are private (0600); a report is for the whole office.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))
            .with_context(|| format!("cannot set permissions of {}", path.display()))?;
    }
    tmp.persist(path)
        .map_err(|e| e.error)
        .with_context(|| format!("cannot move the new {} into place", path.display()))?;
    Ok(())
}

/// `'` before submitted text a spreadsheet would run as a formula (`=`,
/// `+`, `-`, `@`, tab, CR first). A plain number (`-99.01`, `+5`,
/// `-1,234.5`) is left alone: it is data, not a formula.
pub fn neutralize(s: &str) -> String {
    let plain_number = {
        let body = s.strip_prefix(['+', '-']).unwrap_or(s);
        !body.is_empty()
            && body.chars().all(|c| c.is_ascii_digit() || c == '.' || c == ',')
            && body.chars().any(|c| c.is_ascii_digit())
    };
    match s.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') if !plain_number => format!("'{s}"),
        _ => s.to_string(),
    }
}

/// The UTF-8 byte order mark. Excel on a Chinese desktop reads a CSV
/// without it as GBK and shows mojibake; with it, as UTF-8.
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

/// CSV bytes: the header, then the rows with every field neutralised
/// (plain numbers are left alone), `\n` line ends, quoting only where
/// needed, through [`csv_writer`].
pub fn csv_bytes<R: AsRef<[String]>>(header: &[&str], rows: &[R], bom: bool) -> Vec<u8> {
    // Writing to a Vec cannot fail; a failure here is a bug, not bad input.
    let mut w = csv_writer(Vec::new(), header, bom).expect("CSV into memory");
    for row in rows {
        csv_row(&mut w, row.as_ref()).expect("CSV into memory");
    }
    w.into_inner().expect("CSV into memory")
}

/// A CSV writer onto `out` that has written the BOM (if asked) and the
/// header: the one CSV writer of the program, for bytes in memory
/// ([`csv_bytes`]) and for files written as their rows are read.
pub fn csv_writer<W: Write>(mut out: W, header: &[&str], bom: bool) -> std::io::Result<csv::Writer<W>> {
    if bom {
        out.write_all(BOM)?;
    }
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .flexible(true)
        .from_writer(out);
    w.write_record(header)?;
    Ok(w)
}

/// One record, every field neutralised.
pub fn csv_row<W: Write>(w: &mut csv::Writer<W>, row: &[String]) -> csv::Result<()> {
    w.write_record(row.iter().map(|f| neutralize(f)))
}

/// A CSV meant for people (opened in Excel): with a UTF-8 BOM.
/// headline.csv is not one of these: its contract is plain UTF-8.
pub fn people_csv<R: AsRef<[String]>>(header: &[&str], rows: &[R]) -> Vec<u8> {
    csv_bytes(header, rows, true)
}

/// Remove temporary files a killed run left in an output folder (they are
/// never read: outputs only appear under their final names by rename).
pub fn remove_stale_temp_files(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        if entry.file_name().to_string_lossy().starts_with(".tmp") {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_the_whole_file_and_leaves_no_temp_files() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out/headline.csv");
        write_atomic(&target, b"first version, longer").unwrap();
        write_atomic(&target, b"second").unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"second");
        let names: Vec<_> = std::fs::read_dir(target.parent().unwrap()).unwrap().collect();
        assert_eq!(names.len(), 1);
    }

    #[test]
    fn people_csv_starts_with_a_bom_and_neutralises_formulas_but_not_numbers() {
        let bytes = people_csv(
            &["名称", "金额"],
            &[vec!["=1+1".to_string(), "-99.01".to_string()]],
        );
        assert!(bytes.starts_with(BOM));
        let text = std::str::from_utf8(&bytes[3..]).unwrap();
        assert_eq!(text, "名称,金额\n'=1+1,-99.01\n");
    }
}
