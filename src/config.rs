//! The plain run configuration every command receives: folders, limits,
//! how files are read and how the run logs. `cli` builds it from the
//! command line (sizes already in bytes); nothing below the commands sees
//! a command-line type, so a library caller or a test builds one directly.

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result};

use crate::ingest::{Isolation, Limits, Reading, WorkerConfig};
use crate::load::MemoryLimit;
use crate::util::logging::Log;

/// The hidden subcommand a reader worker runs.
pub const WORKER_COMMAND: &str = "__reader-worker";

/// Where the run reads and writes, and within what limits.
#[derive(Debug, Clone)]
pub struct Config {
    /// The inputs tree (reference/, <year>/companies/, <year>/committees/).
    pub inputs: PathBuf,
    /// Where outputs/<year>/ is written.
    pub outputs: PathBuf,
    /// A folder of SQL files to run instead of the compiled-in queries.
    pub queries: Option<PathBuf>,
    /// The DuckDB warehouse file.
    pub db: PathBuf,
    /// What the warehouse may hold in memory before it spills.
    pub db_memory_limit: MemoryLimit,
    /// Bounds on one input file.
    pub limits: Limits,
    /// Reader worker processes and their bounds.
    pub readers: Readers,
    pub log: Log,
}

/// How input files are read.
#[derive(Debug, Clone)]
pub struct Readers {
    /// On threads of this process instead of worker processes.
    pub in_process: bool,
    /// Worker processes (`None`: one per core).
    pub workers: Option<usize>,
    /// Address space one worker may use, in bytes.
    pub memory_bytes: u64,
    /// Time one worker may spend on one file.
    pub file_time: Duration,
}

impl Config {
    /// The year's output folder.
    pub fn year_dir(&self, year: i32) -> PathBuf {
        self.outputs.join(year.to_string())
    }

    /// How this run reads files: in worker processes running this binary
    /// (unless in process), within the limits.
    pub fn reading(&self) -> Result<Reading> {
        let limits = self.limits;
        if self.readers.in_process {
            return Ok(Reading {
                limits,
                isolation: Isolation::InProcess,
            });
        }
        let program = std::env::current_exe().context("cannot find this program to start reader workers")?;
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Ok(Reading {
            limits,
            isolation: Isolation::Workers(WorkerConfig {
                program,
                args: self.worker_args()?,
                workers: self.readers.workers.unwrap_or(cores).max(1),
                memory_bytes: self.readers.memory_bytes,
                file_time: self.readers.file_time.max(Duration::from_secs(1)),
            }),
        })
    }

    /// The arguments that make this binary a reader worker that logs as
    /// this run does.
    fn worker_args(&self) -> Result<Vec<OsString>> {
        let mut args: Vec<OsString> = vec!["--log-format".into(), self.log.format.name().into()];
        if self.log.quiet {
            args.push("-q".into());
        }
        args.extend((0..self.log.verbose).map(|_| "-v".into()));
        args.push(WORKER_COMMAND.into());
        args.push("--limits".into());
        args.push(serde_json::to_string(&self.limits)?.into());
        Ok(args)
    }
}
