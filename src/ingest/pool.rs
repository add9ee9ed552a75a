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
use std::process::ExitStatus;
use std::sync::mpsc::SyncSender;
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use super::batch::Event;
use super::batch::{Table, TableBatch};
use super::error::WorkerDied;
use super::model::{Disposition, FileSummary, InputFile, Problem};
pub use super::process::WorkerConfig;
use super::process::{describe, Death, Got, Worker};
use super::wire::{self, Frame, Job, JobReply, ReadJob};
use crate::util::size::human_bytes;

/// Jobs a worker holds at once: enough that it never waits for the next.
const WINDOW: usize = 64;
/// Workers in a row that die before they are ready: the pool gives up
/// (a limit too small to start the program, a missing binary).
const START_FAILURES: usize = 3;

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
                let summary = summary.into_summary(self.files[file].clone());
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
    let (sha256, bytes) = crate::util::hash::hash_file(&input.abs).unwrap_or_default();
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
pub fn run_jobs(
    cfg: &WorkerConfig,
    jobs: Vec<Job>,
) -> Result<Vec<std::result::Result<JobReply, WorkerDied>>> {
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
                out.push(Err(WorkerDied {
                    reason: death.reason(cfg),
                }));
            }
        }
    }
    if let Some(mut w) = worker {
        w.close_input();
        let _ = w.end();
    }
    Ok(out)
}
