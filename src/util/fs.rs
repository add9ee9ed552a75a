//! Files: written whole or not at all (a temporary sibling renamed over
//! the target, so a crash or a full disk never leaves a half-written report
//! where a template or an auditor's script would read it), and the names of
//! the files kept beside the warehouse.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

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
pub fn persist(tmp: tempfile::NamedTempFile, path: &Path) -> Result<()> {
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

/// A file or folder beside another: its name with `suffix` added
/// (`warehouse.duckdb.lock`, `.tmp`, `.wal`, …).
pub fn beside(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(suffix);
    path.with_file_name(name)
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
    fn beside_adds_to_the_name_in_the_same_folder() {
        assert_eq!(
            beside(Path::new("/a/w.duckdb"), ".lock"),
            Path::new("/a/w.duckdb.lock")
        );
    }
}
