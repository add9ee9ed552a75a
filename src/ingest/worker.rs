//! The reader worker: this binary re-executed as `chamberstat
//! __reader-worker`, under the memory limit its parent set before exec. It
//! takes jobs on standard input, one at a time, and writes what it reads
//! to standard output (see `wire`). Whatever a file does to the reader
//! library here — an allocation of a size read from the file, a panic, an
//! endless loop — ends in this process; the parent rejects that file and
//! goes on with a fresh worker.
//!
//! One thread only: the memory limit counts address space, and every
//! thread's stack and allocator arena would count against it.

use std::io::{BufRead, BufReader};
use std::os::fd::AsFd;

use anyhow::{Context, Result};

use super::model::InputFile;
use super::rows::Limits;
use super::send::{read_one, Outbox};
use super::wire::{self, Job, JobReply, WireOut};

/// The environment variable that makes a worker fail on purpose, for the
/// tests of isolation: `abort:NAME`, `kill:NAME` or `sleep:NAME` (comma
/// separated), where NAME is a file's name. Nothing else reads it.
pub const FAULT_ENV: &str = "CHAMBERSTAT_TEST_READER_FAULT";

/// Serve jobs until standard input closes.
pub fn serve(limits: Limits) -> Result<()> {
    keep_freed_memory();
    // The descriptors themselves, unbuffered by std: whether a job is
    // already waiting is read off this reader's own buffer.
    let stdin = std::fs::File::from(
        std::io::stdin()
            .as_fd()
            .try_clone_to_owned()
            .context("cannot take the worker's standard input")?,
    );
    let stdout = std::fs::File::from(
        std::io::stdout()
            .as_fd()
            .try_clone_to_owned()
            .context("cannot take the worker's standard output")?,
    );
    let mut jobs = BufReader::new(stdin);
    let mut outbox = Outbox::new(WireOut::new(std::io::BufWriter::with_capacity(1 << 16, stdout)));
    outbox.transport.frame(wire::TAG_READY, &[]);
    let faults = std::env::var(FAULT_ENV).unwrap_or_default();
    let mut line = String::new();
    loop {
        line.clear();
        if jobs.read_line(&mut line).context("cannot read the next job")? == 0 {
            break;
        }
        let job: Job = serde_json::from_str(&line).context("a job the worker cannot read")?;
        match job {
            Job::Read(job) => {
                let abs = job.abs.path();
                inject_fault(&faults, &job.rel);
                let input = InputFile {
                    abs,
                    rel: job.rel,
                    folder: job
                        .folder
                        .unwrap_or(crate::contract::schema::FolderKind::Companies),
                    year: job.year,
                    stat: None,
                    folder_from_sheets: job.folder.is_none(),
                };
                let idle = jobs.buffer().is_empty();
                read_one(&mut outbox, job.file, &input, limits, idle)?;
            }
            Job::Annotate(job) => {
                inject_fault(&faults, &job.path);
                let abs = job.abs.path();
                let dir = job.dir.path();
                let reply = match crate::ingest::annotate::annotate_file(
                    &abs,
                    &job.path,
                    &job.problems,
                    &dir,
                    limits,
                ) {
                    Ok(written) => JobReply {
                        ok: written,
                        message: String::new(),
                    },
                    Err(e) => JobReply {
                        ok: false,
                        message: format!("{e:#}"),
                    },
                };
                let payload = serde_json::to_vec(&reply)?;
                outbox.transport.frame(wire::TAG_JOB, &payload);
            }
        }
    }
    outbox.flush()?;
    Ok(())
}

/// A worker reads file after file, allocating and freeing the same large
/// buffers each time (a file's bytes, its inflated parts): glibc would hand
/// each back to the kernel and fault it in again for the next file. The
/// worker keeps what it freed instead, up to its memory limit (which counts
/// it all the same).
fn keep_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets parameters of glibc's allocator, here
    // before anything else runs on this, the only, thread.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 64 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 256 << 20);
    }
}

/// Fail as the test environment asks, on the file it names.
fn inject_fault(faults: &str, rel: &str) {
    let name = rel.rsplit('/').next().unwrap_or(rel);
    for fault in faults.split(',') {
        match fault.split_once(':') {
            Some(("abort", n)) if n == name => std::process::abort(),
            Some(("kill", n)) if n == name => {
                // SAFETY: sending a signal to this process.
                unsafe { libc::raise(libc::SIGKILL) };
            }
            Some(("sleep", n)) if n == name => loop {
                std::thread::sleep(std::time::Duration::from_secs(3600));
            },
            _ => {}
        }
    }
}
