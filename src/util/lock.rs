//! One run at a time: an OS advisory lock on `<warehouse>.lock`.
//!
//! cron may start `run` while the secretariat runs it by hand. The second
//! run waits up to `--lock-timeout` seconds and then gives up naming the
//! holder's pid. The kernel drops the lock when its holder exits, however
//! it exits, so a killed run never blocks the next one; the pid written in
//! the file is only for the message.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use thiserror::Error;

#[derive(Debug, Error)]
pub enum LockError {
    #[error("another chamberstat run (pid {holder}) holds the warehouse lock {path}; waited {waited_s} s (raise --lock-timeout to wait longer)")]
    Held {
        path: PathBuf,
        holder: String,
        waited_s: u64,
    },
    #[error("cannot use the lock file {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
}

/// Held for as long as the value lives.
#[derive(Debug)]
pub struct RunLock {
    _file: File,
    pub path: PathBuf,
}

/// The lock file that guards `db`.
pub fn lock_path(db: &Path) -> PathBuf {
    crate::util::fs::beside(db, ".lock")
}

/// Take the lock, waiting up to `timeout`.
pub fn acquire(db: &Path, timeout: Duration) -> Result<RunLock, LockError> {
    let path = lock_path(db);
    let io = |source| LockError::Io {
        path: path.clone(),
        source,
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(io)?;
    let started = Instant::now();
    loop {
        match file.try_lock() {
            Ok(()) => break,
            Err(TryLockError::WouldBlock) if started.elapsed() < timeout => {
                std::thread::sleep(Duration::from_millis(100));
            }
            Err(TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                return Err(LockError::Held {
                    path,
                    holder: holder.trim().to_string(),
                    waited_s: started.elapsed().as_secs(),
                });
            }
            Err(TryLockError::Error(e)) => return Err(io(e)),
        }
    }
    file.set_len(0).map_err(io)?;
    file.seek(SeekFrom::Start(0)).map_err(io)?;
    writeln!(file, "{}", std::process::id()).map_err(io)?;
    file.flush().map_err(io)?;
    Ok(RunLock { _file: file, path })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_lock_fails_at_once_naming_the_holder_pid() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("w.duckdb");
        let first = acquire(&db, Duration::ZERO).unwrap();
        let err = acquire(&db, Duration::ZERO).unwrap_err().to_string();
        assert!(err.contains(&std::process::id().to_string()), "{err}");
        drop(first);
        assert!(acquire(&db, Duration::ZERO).is_ok());
    }

    #[test]
    fn a_waiting_run_gets_the_lock_when_the_holder_finishes() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("w.duckdb");
        let first = acquire(&db, Duration::ZERO).unwrap();
        let releaser = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(300));
            drop(first);
        });
        assert!(acquire(&db, Duration::from_secs(5)).is_ok());
        releaser.join().unwrap();
    }

    #[test]
    fn lock_file_sits_beside_the_warehouse() {
        assert_eq!(
            lock_path(Path::new("outputs/warehouse.duckdb")),
            Path::new("outputs/warehouse.duckdb.lock")
        );
    }
}
