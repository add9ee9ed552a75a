//! One reader worker process: started under its address-space limit,
//! fed jobs on standard input, read with `poll(2)` on standard output and
//! error, and reaped with the reason it died (over memory, over time, a
//! signal). The pool (`pool`) decides what each worker reads.

use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::PathBuf;
use std::process::{Child, ChildStderr, ChildStdin, ChildStdout, Command, ExitStatus, Stdio};
use std::time::Duration;

use anyhow::{Context, Result};

use super::wire::{Decoder, Frame, Frames, Job};
use crate::util::size::human_bytes;

/// How the pool's workers are started and bounded.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// This binary.
    pub program: PathBuf,
    /// Its arguments that make it a worker (logging flags, the hidden
    /// subcommand and the read limits).
    pub args: Vec<std::ffi::OsString>,
    pub workers: usize,
    /// Address space a worker may map (`--max-reader-memory`).
    pub memory_bytes: u64,
    /// Time a worker may spend on one file (`--max-file-seconds`).
    pub file_time: Duration,
}

/// A read of fewer bytes than this holds only small frames.
const SMALL_READ: usize = 16 << 10;
/// How long a driver lets small frames gather (a file's deadline is kept
/// to within this).
const GATHER: Duration = Duration::from_millis(1);
/// The pipe a worker writes to holds this much (Linux's default 1 MiB
/// maximum for an unprivileged process), so it seldom waits for the parent.
const PIPE_BYTES: libc::c_int = 1 << 20;

/// The message Rust's allocator prints before it aborts.
const OOM_MARK: &[u8] = b"memory allocation of ";

/// Why a worker stopped before it finished.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Death {
    Memory,
    Time,
    Crash(String),
}

impl Death {
    /// The reason the file it was reading is rejected with.
    pub fn reason(&self, cfg: &WorkerConfig) -> String {
        match self {
            Death::Memory => format!(
                "读取时超出内存上限（--max-reader-memory {}），已停止读取此文件 / over the reader's memory limit (--max-reader-memory {}) while reading this file",
                human_bytes(cfg.memory_bytes),
                human_bytes(cfg.memory_bytes)
            ),
            Death::Time => format!(
                "读取超时（超过 --max-file-seconds {} 秒）/ reading this file took longer than --max-file-seconds ({} s)",
                cfg.file_time.as_secs(),
                cfg.file_time.as_secs()
            ),
            Death::Crash(how) => format!(
                "读取时程序异常退出（{how}），文件可能已损坏 / the reader exited abnormally on this file ({how}; damaged file?)"
            ),
        }
    }
}

/// One worker process and its pipes.
pub(super) struct Worker {
    pub(super) child: Child,
    pub(super) stdin: Option<ChildStdin>,
    pub(super) stdout: ChildStdout,
    pub(super) stderr: Option<ChildStderr>,
    pub(super) frames: Frames,
    pub(super) decoder: Decoder,
    /// Where its output is read into.
    pub(super) buf: Vec<u8>,
    /// What it wrote on standard error after its last whole line.
    pub(super) err_line: Vec<u8>,
    pub(super) oom: bool,
    pub(super) killed_for_time: bool,
    pub(super) protocol: Option<String>,
}

/// What one wait on a worker gave.
pub(super) enum Got {
    Frames(Vec<Frame>),
    Nothing,
    Eof,
}

impl Worker {
    pub(super) fn spawn(cfg: &WorkerConfig) -> Result<Worker> {
        let mut cmd = Command::new(&cfg.program);
        cmd.args(&cfg.args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let memory = cfg.memory_bytes as libc::rlim_t;
        // SAFETY: between fork and exec only async-signal-safe system calls.
        unsafe {
            cmd.pre_exec(move || {
                let limit = |resource, value: libc::rlim_t| {
                    let r = libc::rlimit {
                        rlim_cur: value,
                        rlim_max: value,
                    };
                    match libc::setrlimit(resource, &r) {
                        0 => Ok(()),
                        _ => Err(std::io::Error::last_os_error()),
                    }
                };
                limit(libc::RLIMIT_AS, memory)?;
                // An abort must not write a core file of the whole limit.
                limit(libc::RLIMIT_CORE, 0)?;
                // A worker does not outlive the run that started it.
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                Ok(())
            })
        };
        let mut child = cmd
            .spawn()
            .with_context(|| format!("cannot start a reader worker ({})", cfg.program.display()))?;
        let take = |c: &mut Child| -> Result<_> {
            Ok((
                c.stdin.take().context("worker stdin")?,
                c.stdout.take().context("worker stdout")?,
                c.stderr.take().context("worker stderr")?,
            ))
        };
        let (stdin, stdout, stderr) = take(&mut child)?;
        // SAFETY: fcntl on a descriptor this process owns; a refusal
        // leaves the default size, which only costs speed.
        unsafe { libc::fcntl(stdout.as_raw_fd(), libc::F_SETPIPE_SZ, PIPE_BYTES) };
        Ok(Worker {
            child,
            stdin: Some(stdin),
            stdout,
            stderr: Some(stderr),
            frames: Frames::default(),
            decoder: Decoder::default(),
            buf: vec![0; 1 << 16],
            err_line: Vec::new(),
            oom: false,
            killed_for_time: false,
            protocol: None,
        })
    }

    /// Hand it a job; false when it can no longer take one (it died).
    pub(super) fn send(&mut self, job: &Job) -> bool {
        let Some(stdin) = self.stdin.as_mut() else {
            return false;
        };
        let mut line = serde_json::to_vec(job).unwrap_or_default();
        line.push(b'\n');
        stdin.write_all(&line).and_then(|()| stdin.flush()).is_ok()
    }

    /// No more jobs: it finishes what it holds and exits.
    pub(super) fn close_input(&mut self) {
        self.stdin = None;
    }

    /// Wait up to `timeout` for it to say something.
    pub(super) fn wait_output(&mut self, timeout: Duration) -> Got {
        let mut fds = vec![libc::pollfd {
            fd: self.stdout.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        }];
        if let Some(err) = &self.stderr {
            fds.push(libc::pollfd {
                fd: err.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            });
        }
        let ms = timeout.as_millis().min(i32::MAX as u128) as i32;
        // SAFETY: `fds` is a valid array of pollfd for its length.
        let n = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, ms) };
        if n <= 0 {
            return Got::Nothing;
        }
        if fds.get(1).is_some_and(|f| f.revents != 0) {
            self.read_stderr();
        }
        if fds[0].revents == 0 {
            return Got::Nothing;
        }
        match self.stdout.read(&mut self.buf) {
            Ok(0) | Err(_) => Got::Eof,
            Ok(n) => {
                // A few small frames (a file's end, most files): let more
                // gather before the next wake-up, instead of waking for
                // each file and taking the core from a reader.
                if n < SMALL_READ {
                    std::thread::sleep(GATHER);
                }
                self.frames.extend(&self.buf[..n]);
                let mut out = Vec::new();
                loop {
                    match self.frames.next().and_then(|f| match f {
                        Some((tag, payload)) => self.decoder.decode(tag, payload).map(Some),
                        None => Ok(None),
                    }) {
                        Ok(Some(frame)) => out.push(frame),
                        Ok(None) => break,
                        Err(e) => {
                            self.protocol = Some(format!("{e:#}"));
                            self.kill();
                            break;
                        }
                    }
                }
                Got::Frames(out)
            }
        }
    }

    /// Pass its log lines on, whole (workers' lines must not interleave),
    /// and note the allocator's last words.
    pub(super) fn read_stderr(&mut self) {
        let Some(err) = self.stderr.as_mut() else { return };
        let mut buf = [0u8; 8192];
        let n = match err.read(&mut buf) {
            Ok(0) | Err(_) => {
                self.stderr = None;
                0
            }
            Ok(n) => n,
        };
        self.err_line.extend_from_slice(&buf[..n]);
        let whole = match self.err_line.iter().rposition(|b| *b == b'\n') {
            Some(i) => i + 1,
            None if n == 0 || self.err_line.len() > (1 << 16) => self.err_line.len(),
            None => return,
        };
        let lines: Vec<u8> = self.err_line.drain(..whole).collect();
        if lines.windows(OOM_MARK.len()).any(|w| w == OOM_MARK) {
            self.oom = true;
        }
        let _ = std::io::stderr().lock().write_all(&lines);
    }

    pub(super) fn kill(&mut self) {
        let _ = self.child.kill();
    }

    /// Wait for it to exit: `None` when it finished cleanly; and the most
    /// memory it held (KiB).
    pub(super) fn end(mut self) -> (Option<Death>, ExitStatus, u64) {
        self.stdin = None;
        while self.stderr.is_some() {
            self.read_stderr();
        }
        let (status, peak_kib) = reap(&self.child);
        let death = if self.killed_for_time {
            Some(Death::Time)
        } else if self.oom {
            Some(Death::Memory)
        } else if let Some(p) = self.protocol {
            Some(Death::Crash(format!("protocol error: {p}")))
        } else if !status.success() {
            Some(Death::Crash(describe(status)))
        } else {
            None
        };
        (death, status, peak_kib)
    }
}

/// Wait for a child with `wait4(2)`, which also tells its peak resident
/// memory (std's `wait` does not).
pub(super) fn reap(child: &Child) -> (ExitStatus, u64) {
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: zeroed rusage is a valid value to be overwritten.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: valid pointers to a status and a rusage.
        let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if r == pid {
            return (ExitStatus::from_raw(status), usage.ru_maxrss.max(0) as u64);
        }
        if r < 0 && std::io::Error::last_os_error().kind() != std::io::ErrorKind::Interrupted {
            return (ExitStatus::from_raw(0x7f00), 0);
        }
    }
}

/// `SIGABRT`, `exit code 3`: how a worker ended, in words.
pub(super) fn describe(status: ExitStatus) -> String {
    match (status.signal(), status.code()) {
        (Some(sig), _) => format!("signal {}", signal_name(sig)),
        (None, Some(code)) => format!("exit code {code}"),
        _ => "unknown".into(),
    }
}

pub(super) fn signal_name(sig: i32) -> String {
    match sig {
        libc::SIGABRT => "SIGABRT".into(),
        libc::SIGKILL => "SIGKILL".into(),
        libc::SIGSEGV => "SIGSEGV".into(),
        libc::SIGBUS => "SIGBUS".into(),
        libc::SIGILL => "SIGILL".into(),
        libc::SIGFPE => "SIGFPE".into(),
        libc::SIGTERM => "SIGTERM".into(),
        other => format!("{other}"),
    }
}
