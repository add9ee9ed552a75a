//! The readers in worker processes: a small pool of children (this binary,
//! re-executed as `chamberstat __reader-worker`), each under an address-space
//! limit (`setrlimit`, set between fork and exec, so it holds from the
//! child's first instruction) and a time limit per file. Whatever a file
//! makes the reader library do, only the worker reading it dies: the
//! parent rejects that file with the reason (over memory, over time, or an
//! abnormal exit and its signal), withdraws every row the worker sent for
//! it, reads again the files whose rows the worker had not finished
//! sending, and goes on with a fresh worker.
//!
//! One thread here per worker ("driver") feeds it jobs, reads its frames
//! with `poll(2)` (standard output and error, and the file's deadline) and
//! hands the decoded events to the loader on the calling thread. Files are
//! taken from one shared queue, so a slow file holds up one worker only.

use std::collections::VecDeque;
use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::PathBuf;
use std::process::{Child, ChildStderr, ChildStdin, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::mpsc::SyncSender;
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use super::batch::{Table, TableBatch};
use super::wire::{self, Decoder, Frame, Frames, Job, JobReply, ReadJob};
use super::{Disposition, Event, FileSummary, InputFile, Problem};

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

/// Jobs a worker holds at once: enough that it never waits for the next.
const WINDOW: usize = 64;
/// Workers in a row that die before they are ready: the pool gives up
/// (a limit too small to start the program, a missing binary).
const START_FAILURES: usize = 3;
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

pub fn human_bytes(n: u64) -> String {
    const GIB: u64 = 1 << 30;
    const MIB: u64 = 1 << 20;
    match n {
        n if n >= GIB && n % GIB == 0 => format!("{} GiB", n / GIB),
        n if n >= MIB && n % MIB == 0 => format!("{} MiB", n / MIB),
        n => format!("{n} bytes"),
    }
}

/// One worker process and its pipes.
struct Worker {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: ChildStdout,
    stderr: Option<ChildStderr>,
    frames: Frames,
    decoder: Decoder,
    /// Where its output is read into.
    buf: Vec<u8>,
    /// What it wrote on standard error after its last whole line.
    err_line: Vec<u8>,
    oom: bool,
    killed_for_time: bool,
    protocol: Option<String>,
}

/// What one wait on a worker gave.
enum Got {
    Frames(Vec<Frame>),
    Nothing,
    Eof,
}

impl Worker {
    fn spawn(cfg: &WorkerConfig) -> Result<Worker> {
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
    fn send(&mut self, job: &Job) -> bool {
        let Some(stdin) = self.stdin.as_mut() else {
            return false;
        };
        let mut line = serde_json::to_vec(job).unwrap_or_default();
        line.push(b'\n');
        stdin.write_all(&line).and_then(|()| stdin.flush()).is_ok()
    }

    /// No more jobs: it finishes what it holds and exits.
    fn close_input(&mut self) {
        self.stdin = None;
    }

    /// Wait up to `timeout` for it to say something.
    fn wait_output(&mut self, timeout: Duration) -> Got {
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
    fn read_stderr(&mut self) {
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

    fn kill(&mut self) {
        let _ = self.child.kill();
    }

    /// Wait for it to exit: `None` when it finished cleanly; and the most
    /// memory it held (KiB).
    fn end(mut self) -> (Option<Death>, ExitStatus, u64) {
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
fn reap(child: &Child) -> (ExitStatus, u64) {
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
fn describe(status: ExitStatus) -> String {
    match (status.signal(), status.code()) {
        (Some(sig), _) => format!("signal {}", signal_name(sig)),
        (None, Some(code)) => format!("exit code {code}"),
        _ => "unknown".into(),
    }
}

fn signal_name(sig: i32) -> String {
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

/// The files still to read, shared by the drivers.
struct Queue {
    pending: VecDeque<usize>,
    /// Files not yet accounted for (done and confirmed, or rejected).
    remaining: usize,
    failed: bool,
}

struct Shared {
    queue: Mutex<Queue>,
    more: Condvar,
}

impl Shared {
    fn take(&self) -> Option<usize> {
        let mut q = self.queue.lock().ok()?;
        if q.failed {
            return None;
        }
        q.pending.pop_front()
    }

    /// Files a dead worker held that must be read again, first.
    fn give_back(&self, files: impl DoubleEndedIterator<Item = usize>) {
        if let Ok(mut q) = self.queue.lock() {
            for f in files.rev() {
                q.pending.push_front(f);
            }
        }
        self.more.notify_all();
    }

    fn accounted(&self, n: usize) {
        if let Ok(mut q) = self.queue.lock() {
            q.remaining -= n;
        }
        self.more.notify_all();
    }

    fn fail(&self) {
        if let Ok(mut q) = self.queue.lock() {
            q.failed = true;
        }
        self.more.notify_all();
    }

    /// Wait until there is a file to take; false when there is nothing
    /// left to do.
    fn wait_for_work(&self) -> bool {
        let Ok(mut q) = self.queue.lock() else {
            return false;
        };
        loop {
            if q.failed || q.remaining == 0 {
                return false;
            }
            if !q.pending.is_empty() {
                return true;
            }
            q = match self.more.wait_timeout(q, Duration::from_millis(200)) {
                Ok((q, _)) => q,
                Err(_) => return false,
            };
        }
    }
}

/// What the workers of one ingest cost.
#[derive(Debug, Default, Clone, Copy, serde::Serialize)]
pub struct Usage {
    pub workers: usize,
    /// Per slot, the most memory one of its workers held; summed over the
    /// slots, which run at once (KiB).
    pub peak_kib: u64,
}

/// Read `files` in worker processes and hand what they hold to `sink` on
/// the calling thread, as [`super::ingest`] does in this process.
pub fn ingest<F>(files: &[&InputFile], cfg: &WorkerConfig, mut sink: F) -> Result<Usage>
where
    F: FnMut(Event) -> Result<()>,
{
    if files.is_empty() {
        return Ok(Usage::default());
    }
    let shared = Shared {
        queue: Mutex::new(Queue {
            pending: (0..files.len()).collect(),
            remaining: files.len(),
            failed: false,
        }),
        more: Condvar::new(),
    };
    let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<Event>>(32);
    std::thread::scope(|scope| -> Result<Usage> {
        let drivers: Vec<_> = (0..cfg.workers.clamp(1, files.len()))
            .map(|_| {
                let tx = tx.clone();
                let shared = &shared;
                scope.spawn(move || {
                    let r = Driver::new(shared, cfg, files, tx).run();
                    if r.is_err() {
                        shared.fail();
                    }
                    r
                })
            })
            .collect();
        drop(tx);
        let mut sunk = Ok(());
        for event in rx.into_iter().flatten() {
            if sunk.is_ok() {
                sunk = sink(event);
                if sunk.is_err() {
                    shared.fail();
                }
            }
        }
        let mut usage = Usage::default();
        for d in drivers {
            let u = d
                .join()
                .map_err(|_| anyhow::anyhow!("a reader driver thread panicked"))??;
            usage.workers += u.workers;
            usage.peak_kib += u.peak_kib;
        }
        sunk.map(|()| usage)
    })
}

/// One worker slot: starts workers one after another and feeds them.
struct Driver<'a> {
    shared: &'a Shared,
    cfg: &'a WorkerConfig,
    files: &'a [&'a InputFile],
    tx: SyncSender<Vec<Event>>,
    /// Jobs sent to the current worker and not yet done, oldest first.
    outstanding: VecDeque<usize>,
    /// Files done whose rows may not all have been sent yet.
    unconfirmed: Vec<(usize, FileSummary)>,
    deadline: Option<Instant>,
    /// The most memory one of this slot's workers held (KiB), and how many
    /// it started.
    peak_kib: u64,
    started: usize,
}

impl<'a> Driver<'a> {
    fn new(
        shared: &'a Shared,
        cfg: &'a WorkerConfig,
        files: &'a [&'a InputFile],
        tx: SyncSender<Vec<Event>>,
    ) -> Self {
        Driver {
            shared,
            cfg,
            files,
            tx,
            outstanding: VecDeque::new(),
            unconfirmed: Vec::new(),
            deadline: None,
            peak_kib: 0,
            started: 0,
        }
    }

    fn run(mut self) -> Result<Usage> {
        let mut start_failures = 0;
        while self.shared.wait_for_work() {
            let worker = Worker::spawn(self.cfg)?;
            let (ready, death, status) = self.session(worker)?;
            match death {
                None => start_failures = 0,
                Some(_) if !ready => {
                    start_failures += 1;
                    self.shared.give_back(self.outstanding.drain(..));
                    if start_failures >= START_FAILURES {
                        bail!(
                            "reader workers exit before they start ({}); is --max-reader-memory ({}) too small for the program?",
                            describe(status),
                            human_bytes(self.cfg.memory_bytes)
                        );
                    }
                }
                Some(death) => {
                    start_failures = 0;
                    self.buried(&death)?;
                }
            }
        }
        Ok(Usage {
            workers: self.started,
            peak_kib: self.peak_kib,
        })
    }

    /// Feed one worker until it has nothing more to do or dies; whether it
    /// said it was ready, and how it ended.
    fn session(&mut self, mut w: Worker) -> Result<(bool, Option<Death>, ExitStatus)> {
        let mut ready = false;
        loop {
            while w.stdin.is_some() && self.outstanding.len() < WINDOW {
                let Some(i) = self.shared.take() else { break };
                self.outstanding.push_back(i);
                if !w.send(&Job::Read(read_job(i, self.files[i]))) {
                    w.close_input();
                }
            }
            if self.outstanding.is_empty() && self.unconfirmed.is_empty() {
                w.close_input();
            }
            if self.deadline.is_none() && !self.outstanding.is_empty() {
                self.deadline = Some(Instant::now() + self.cfg.file_time);
            }
            let wait = self
                .deadline
                .map_or(Duration::from_millis(500), |d| {
                    d.saturating_duration_since(Instant::now())
                })
                .min(Duration::from_millis(500));
            match w.wait_output(wait) {
                Got::Eof => break,
                Got::Nothing => {}
                Got::Frames(frames) => {
                    for frame in frames {
                        ready |= matches!(frame, Frame::Ready);
                        if let Err(e) = self.frame(frame) {
                            w.protocol = Some(format!("{e:#}"));
                            w.kill();
                        }
                    }
                }
            }
            if self.deadline.is_some_and(|d| Instant::now() >= d) && !w.killed_for_time {
                w.killed_for_time = true;
                w.kill();
            }
        }
        let (death, status, peak_kib) = w.end();
        self.peak_kib = self.peak_kib.max(peak_kib);
        self.started += 1;
        self.deadline = None;
        // A clean exit with files outstanding (it cannot happen) is a death.
        let death = death.or_else(|| {
            (!self.outstanding.is_empty() || !self.unconfirmed.is_empty())
                .then(|| Death::Crash(format!("{} before it finished", describe(status))))
        });
        Ok((ready, death, status))
    }

    /// Hand events to the loader; time spent waiting for it does not count
    /// against the file being read.
    fn forward(&mut self, events: Vec<Event>) -> Result<()> {
        let started = Instant::now();
        self.tx
            .send(events)
            .map_err(|_| anyhow::anyhow!("the loader stopped"))?;
        if let Some(d) = self.deadline.as_mut() {
            *d += started.elapsed();
        }
        Ok(())
    }

    fn frame(&mut self, frame: Frame) -> Result<()> {
        match frame {
            Frame::Ready => {}
            Frame::Batches(batches) => self.forward(batches.into_iter().map(Event::Batch).collect())?,
            Frame::Withdraw { file, sheet } => {
                anyhow::ensure!(
                    self.outstanding.front() == Some(&file),
                    "a withdrawal for file {file}"
                );
                self.forward(vec![Event::Withdraw { file, sheet }])?;
            }
            Frame::Done { file, summary } => {
                anyhow::ensure!(
                    self.outstanding.front() == Some(&file),
                    "file {file} reported done out of turn"
                );
                self.outstanding.pop_front();
                let summary = summary.into_summary(self.files[file].clone())?;
                self.unconfirmed.push((file, summary));
                self.deadline = (!self.outstanding.is_empty()).then(|| Instant::now() + self.cfg.file_time);
            }
            Frame::Failed { file, message } => self.forward(vec![Event::Failed { file, message }])?,
            Frame::Flushed => {
                let done: Vec<Event> = self
                    .unconfirmed
                    .drain(..)
                    .map(|(file, summary)| Event::Done { file, summary })
                    .collect();
                let n = done.len();
                if n > 0 {
                    self.forward(done)?;
                    self.shared.accounted(n);
                }
            }
            Frame::Job(_) => bail!("a job reply while reading"),
        }
        Ok(())
    }

    /// A worker died: the file it was reading is rejected with the reason,
    /// what it sent of the files it had not finished is withdrawn, and
    /// those files are read again.
    fn buried(&mut self, death: &Death) -> Result<()> {
        let current = self.outstanding.pop_front();
        let again: Vec<usize> = self.unconfirmed.drain(..).map(|(f, _)| f).collect();
        let void: Vec<usize> = again.iter().copied().chain(current).collect();
        if !void.is_empty() {
            self.forward(vec![Event::Void { files: void }])?;
        }
        self.shared.give_back(
            again
                .into_iter()
                .chain(self.outstanding.drain(..))
                .collect::<Vec<_>>()
                .into_iter(),
        );
        let Some(file) = current else {
            return Ok(());
        };
        let input = self.files[file];
        tracing::warn!(file = %input.rel, reason = %death.reason(self.cfg), "a reader worker died; the file is rejected");
        let (summary, batch) = rejected(input, &death.reason(self.cfg))?;
        let mut events = vec![Event::Batch(batch)];
        events.push(Event::Done { file, summary });
        self.forward(events)?;
        self.shared.accounted(1);
        Ok(())
    }
}

fn read_job(file: usize, input: &InputFile) -> ReadJob {
    ReadJob {
        file,
        abs: wire::PathBytes::of(&input.abs),
        rel: input.rel.clone(),
        folder: (!input.folder_from_sheets).then_some(input.folder),
        year: input.year,
    }
}

/// The summary and problem of a file whose reader died: its hash and size
/// (read here in pieces, so that a large file costs this process nothing)
/// and the rejection.
fn rejected(input: &InputFile, reason: &str) -> Result<(FileSummary, super::batch::Batch)> {
    let (sha256, bytes) = crate::ingest::hash_file(&input.abs).unwrap_or_default();
    let summary = FileSummary {
        sha256,
        bytes,
        ..FileSummary::new(input.clone())
    };
    let mut problems = TableBatch::new(Table::Problems);
    problems.push_problem(
        input.year,
        &Problem::of_file(Disposition::RejectedFile, input.rel.clone(), reason),
    )?;
    let batch = problems.take()?.context("a problem batch")?;
    Ok((summary, batch))
}

/// Run `jobs` (other than reads) one after another in a worker, each
/// within the time limit; a job whose worker dies gets the reason.
pub fn run_jobs(cfg: &WorkerConfig, jobs: Vec<Job>) -> Result<Vec<std::result::Result<JobReply, String>>> {
    let mut out = Vec::with_capacity(jobs.len());
    let mut worker: Option<Worker> = None;
    for job in jobs {
        let mut w = match worker.take() {
            Some(w) => w,
            None => Worker::spawn(cfg)?,
        };
        let deadline = Instant::now() + cfg.file_time;
        let mut reply = None;
        if w.send(&job) {
            while reply.is_none() {
                let now = Instant::now();
                if now >= deadline && !w.killed_for_time {
                    w.killed_for_time = true;
                    w.kill();
                }
                match w.wait_output((deadline.saturating_duration_since(now)).min(Duration::from_millis(500)))
                {
                    Got::Eof => break,
                    Got::Nothing => {}
                    Got::Frames(frames) => {
                        reply = frames.into_iter().find_map(|f| match f {
                            Frame::Job(r) => Some(r),
                            _ => None,
                        })
                    }
                }
            }
        }
        match reply {
            Some(r) => {
                out.push(Ok(r));
                worker = Some(w);
            }
            None => {
                w.kill();
                let (death, status, _) = w.end();
                let death = death.unwrap_or_else(|| Death::Crash(describe(status)));
                out.push(Err(death.reason(cfg)));
            }
        }
    }
    if let Some(mut w) = worker {
        w.close_input();
        let _ = w.end();
    }
    Ok(out)
}
