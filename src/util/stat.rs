//! git's stat cache entry: what says "this file is unchanged" without
//! reading it. Discovery takes it for every entry (in parallel, once per
//! run); the load's plan and the up-to-date check compare it with what the
//! last run recorded.

use std::path::Path;

use serde::{Deserialize, Serialize};

/// Size, modification time and inode of one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Stat {
    pub bytes: i64,
    /// `None` when the file was modified too recently to trust its time.
    pub mtime_ns: Option<i64>,
    pub inode: i64,
}

/// A file modified less than this before it is read may be modified again
/// within the file system's time resolution without its time changing
/// (git's "racily clean" entries): its time is not recorded.
const RACY_NS: i64 = 2_000_000_000;

/// The stat of a file (following a link); `None` when it cannot be read.
pub fn stat(path: &Path) -> Option<Stat> {
    std::fs::metadata(path).ok().and_then(|m| of_metadata(&m))
}

/// The stat of an entry itself (not following a link), for skipped entries.
pub fn lstat(path: &Path) -> Option<Stat> {
    std::fs::symlink_metadata(path).ok().and_then(|m| of_metadata(&m))
}

/// The stat of one of the program's own files (the warehouse), with its
/// time even when it was written just now: nothing else writes it while
/// the run lock is held.
pub fn identity(path: &Path) -> Option<Stat> {
    let m = std::fs::metadata(path).ok()?;
    Some(Stat {
        mtime_ns: Some(mtime_ns(&m)?),
        ..of_metadata(&m)?
    })
}

/// The time, unless it is too recent to trust.
fn trusted(mtime_ns: i64) -> Option<i64> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as i64)
        .unwrap_or(i64::MAX);
    (now.saturating_sub(mtime_ns) > RACY_NS).then_some(mtime_ns)
}

fn mtime_ns(m: &std::fs::Metadata) -> Option<i64> {
    use std::os::unix::fs::MetadataExt;
    m.mtime().checked_mul(1_000_000_000)?.checked_add(m.mtime_nsec())
}

fn of_metadata(m: &std::fs::Metadata) -> Option<Stat> {
    use std::os::unix::fs::MetadataExt;
    Some(Stat {
        bytes: m.size() as i64,
        mtime_ns: trusted(mtime_ns(m)?),
        inode: m.ino() as i64,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_written_just_now_has_no_trusted_time() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.xlsx");
        std::fs::write(&path, b"x").unwrap();
        let st = stat(&path).unwrap();
        assert_eq!(st.bytes, 1);
        assert_eq!(st.mtime_ns, None);
    }

    #[test]
    fn an_old_file_has_its_time_and_a_missing_one_no_stat() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.xlsx");
        std::fs::write(&path, b"xy").unwrap();
        let old = std::time::SystemTime::now() - std::time::Duration::from_secs(60);
        std::fs::File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_modified(old)
            .unwrap();
        assert!(stat(&path).unwrap().mtime_ns.is_some());
        assert_eq!(stat(&dir.path().join("gone.xlsx")), None);
    }
}
