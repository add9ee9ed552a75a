//! Opening the warehouse: a file attached with small row groups, a
//! damaged file set aside and rebuilt, a read-only open for the commands
//! that only read, and a throw-away warehouse in memory.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use duckdb::Connection;

use super::memory::{self, MemoryLimit};
use super::schema::ensure_schema;
use crate::util::fs::beside;

/// Rows per row group of the warehouse's tables. DuckDB holds the rows a
/// transaction appends in memory until a row group is full and then writes
/// it to the file, so this bounds what one large file's rows cost before
/// the commit; DuckDB's default of 122,880 rows would let one large
/// workbook hold most of its rows in memory. (`ROW_GROUP_SIZE` is an option
/// of the attachment, not of the file: an older warehouse opens the same
/// way.)
const ROW_GROUP_ROWS: u32 = 16_384;

/// Why the warehouse could not be opened or loaded, with what was expected
/// and what was found.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// A warehouse file that DuckDB cannot open as a warehouse: truncated
    /// by a full disk, restored from a bad backup, not a DuckDB file at
    /// all. Everything in it is derived from the inputs, so `run` sets it
    /// aside and builds it again; the read-only commands say so.
    #[error(
        "the warehouse {} cannot be opened (damaged, truncated or not a DuckDB file): {cause}",
        path.display()
    )]
    Damaged { path: PathBuf, cause: String },
    /// A read-only command with no warehouse to read.
    #[error("no warehouse at {}: run `chamberstat run` first", path.display())]
    Missing { path: PathBuf },
    /// The readers could not go on with a file (not a rejection: a failure
    /// of the reading itself, which stops the load).
    #[error("cannot load {file}: {message}")]
    ReaderFailed { file: String, message: String },
}

impl LoadError {
    /// True for an error that is a damaged warehouse file.
    pub fn is_damaged(e: &anyhow::Error) -> bool {
        matches!(e.downcast_ref::<LoadError>(), Some(LoadError::Damaged { .. }))
    }
}

/// Open (or create) the warehouse file and bring its schema up to date.
/// DuckDB keeps at most `memory_limit` (`--db-memory-limit`) of its own buffers in
/// memory and spills the rest to `<warehouse>.tmp/`, so a large corpus
/// costs disk, not RAM. A file that exists but will not open as a
/// warehouse is a [`LoadError::Damaged`] error.
pub fn open(db: &Path, memory_limit: MemoryLimit) -> Result<Connection> {
    if let Some(dir) = db.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the folder for the warehouse {}", db.display()))?;
    }
    // The file is attached to an in-memory instance, because the row group
    // size is an option of ATTACH; USE makes it every statement's default.
    let conn = start(memory_limit, &beside(db, ".tmp"))?;
    let attached = conn
        .execute_batch(&format!(
            "ATTACH {} AS warehouse (ROW_GROUP_SIZE {ROW_GROUP_ROWS}); USE warehouse;",
            sql_string(&db.to_string_lossy())
        ))
        .map_err(anyhow::Error::from)
        .and_then(|()| ensure_schema(&conn));
    match attached {
        Ok(()) => Ok(conn),
        Err(e) => Err(damaged_or(db, e)),
    }
}

/// An error opening an existing warehouse file: [`LoadError::Damaged`], unless it is
/// another process's lock on a sound file (an `explain` while `run`
/// starts), which is no reason to set the file aside.
fn damaged_or(db: &Path, e: anyhow::Error) -> anyhow::Error {
    let cause = format!("{e:#}");
    let locked = cause.contains("Could not set lock") || cause.contains("Conflicting lock");
    if db.exists() && !locked {
        LoadError::Damaged {
            path: db.to_path_buf(),
            cause,
        }
        .into()
    } else {
        e.context(format!("cannot open the warehouse {}", db.display()))
    }
}

/// Move a damaged warehouse (and its write-ahead log) to
/// `<warehouse>.damaged-<UTC time>`, kept for inspection; the new name.
pub fn set_aside(db: &Path) -> Result<PathBuf> {
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
    let aside = beside(db, &format!(".damaged-{stamp}"));
    std::fs::rename(db, &aside).with_context(|| {
        format!(
            "cannot move the damaged warehouse {} aside to {}",
            db.display(),
            aside.display()
        )
    })?;
    let wal = beside(db, ".wal");
    if wal.exists() {
        std::fs::rename(&wal, beside(&aside, ".wal"))
            .with_context(|| format!("cannot move {} aside", wal.display()))?;
    }
    Ok(aside)
}

/// Open the warehouse for a run: a damaged one is set aside (kept beside
/// it for inspection) and a new one built from the inputs.
pub fn open_or_rebuild(db: &Path, memory_limit: MemoryLimit) -> Result<Connection> {
    match open(db, memory_limit) {
        Err(e) if LoadError::is_damaged(&e) => {
            let aside = set_aside(db)?;
            tracing::warn!(
                warehouse = %db.display(),
                kept_as = %aside.display(),
                error = %format!("{e:#}"),
                "the warehouse cannot be opened; it is kept as {} and rebuilt from the inputs",
                aside.display()
            );
            open(db, memory_limit)
        }
        other => other,
    }
}

/// A setting or path as an SQL string literal: settings are values, not
/// input data, and DuckDB's SET and ATTACH take no parameters.
fn sql_string(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// Open an existing warehouse read-only (explain, status, check): an
/// error that says to run first when there is none.
pub fn open_read_only(db: &Path) -> Result<Connection> {
    if !db.exists() {
        return Err(LoadError::Missing {
            path: db.to_path_buf(),
        }
        .into());
    }
    let config = duckdb::Config::default().access_mode(duckdb::AccessMode::ReadOnly)?;
    let opened = Connection::open_with_flags(db, config)
        .map_err(anyhow::Error::from)
        .and_then(|conn| {
            // A file that opens can still fail at its first read.
            conn.query_row("SELECT count(*) FROM input_files", [], |r| r.get::<_, i64>(0))?;
            Ok(conn)
        });
    opened.map_err(|e| match damaged_or(db, e) {
        e if LoadError::is_damaged(&e) => e.context(format!(
            "run `chamberstat run`: it keeps this file as {}.damaged-<time> and rebuilds the warehouse from the inputs",
            db.display()
        )),
        e => e,
    })
}

/// Why the warehouse cannot be opened, if it cannot (for commands that do
/// not need it, to say so).
pub fn health(db: &Path) -> Option<anyhow::Error> {
    db.exists().then(|| open_read_only(db).err()).flatten()
}

/// A throw-away warehouse (for `verify` and tests), spilling to a private
/// folder under the system's temporary directory.
pub fn open_in_memory(memory_limit: MemoryLimit) -> Result<Connection> {
    let temp = std::env::temp_dir().join(format!("chamberstat-{}.tmp", std::process::id()));
    let conn = start(memory_limit, &temp)?;
    ensure_schema(&conn)?;
    Ok(conn)
}

/// An in-memory DuckDB that keeps within `memory_limit` and spills to `temp`.
fn start(memory_limit: MemoryLimit, temp: &Path) -> Result<Connection> {
    let conn = Connection::open_in_memory().context("cannot start DuckDB")?;
    limit_memory(&conn, memory_limit, temp)?;
    Ok(conn)
}

fn limit_memory(conn: &Connection, memory_limit: MemoryLimit, temp: &Path) -> Result<()> {
    memory::set_limit(conn, memory_limit)?;
    conn.execute_batch(&format!(
        "SET temp_directory = {};",
        sql_string(&temp.to_string_lossy())
    ))
    .with_context(|| format!("cannot spill the warehouse to {}", temp.display()))
}
