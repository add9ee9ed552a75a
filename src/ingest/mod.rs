//! Ingest: find every input file, read it with calamine, and turn each sheet
//! the contract knows into typed records with their source cells.
//!
//! Files are independent, so they are parsed in parallel (rayon) and what
//! they hold reaches a sink in bounded batches as it is read; the loader
//! consumes them while other files are still being read. Nothing here
//! touches the warehouse: `check` uses the same stage without one.

pub mod annotate;
pub mod batch;
mod cell;
mod container;
mod discover;
pub mod error;
mod extent;
mod model;
pub mod pool;
mod process;
pub mod rows;
mod send;
use send::Transport as _;
mod sheet;
mod wire;
mod workbook;
pub mod worker;

use std::sync::mpsc;

use anyhow::Result;
use rayon::prelude::*;
use serde::Serialize;

pub use crate::util::stat::{identity, lstat, stat, Stat};
pub use batch::{Batch, Event, Table, TableBatch};
pub use discover::{discover, discover_listed, not_a_submission, walk_tree, Discovery, Found};
pub(crate) use model::Collect;
pub use model::{
    raw_unless_same, unit_label, Disposition, FileOutput, FileResult, FileSummary, InputFile, Output,
    Problem, Record, SheetSummary, SheetTable, SourceCell, Value,
};
pub use pool::WorkerConfig;
pub use rows::Limits;
pub use wire::{AnnotateJob, Job, JobReply, PathBytes};
pub use workbook::{parse_file, visit_sheets, SheetVisitor, SCHEMA_SHEET};

/// Read one file into memory (see [`FileResult`]).
pub fn parse_file_collected(file: &InputFile, limits: Limits) -> FileResult {
    let mut out = Collect::default();
    let summary = parse_file(file, limits, &mut out);
    FileResult {
        summary,
        records: out.records,
        problems: out.problems,
    }
}

/// Groups of events in flight between the readers and the loader: enough
/// that the readers rarely wait for it, few enough that at most about
/// CHANNEL batches are held.
const CHANNEL: usize = 32;

/// How files are read: the per-file limits, and where the readers run.
#[derive(Debug, Clone)]
pub struct Reading {
    pub limits: Limits,
    pub isolation: Isolation,
}

impl Default for Reading {
    fn default() -> Self {
        Reading {
            limits: Limits::default(),
            isolation: Isolation::InProcess,
        }
    }
}

/// Where the readers run.
#[derive(Debug, Clone)]
pub enum Isolation {
    /// On threads of this process (`--in-process`: profiling, debugging,
    /// and library callers that are not the binary).
    InProcess,
    /// In worker processes under limits (the binary's default).
    Workers(WorkerConfig),
}

/// The ingest stage's report: what this run parsed.
#[derive(Debug, Default, Clone, Serialize)]
pub struct IngestReport {
    /// Reader worker processes started (none in process).
    pub reader_workers: usize,
    /// The memory the readers held at most at once (KiB): per worker slot
    /// the largest of its workers, summed over the slots.
    pub reader_peak_rss_kib: u64,
    pub files_read: usize,
    pub files_rejected: usize,
    pub rows_accepted: u64,
    pub rows_rejected: u64,
}

/// Read `files` and hand what they hold to `sink` on the calling thread,
/// in bounded batches, as it is read (see [`Event`]).
pub fn ingest<F>(files: &[&InputFile], reading: &Reading, mut sink: F) -> Result<IngestReport>
where
    F: FnMut(Event) -> Result<()>,
{
    let mut report = IngestReport::default();
    let mut counted = |event: Event| {
        if let Event::Done { summary, .. } = &event {
            report.files_read += 1;
            if !summary.accepted {
                report.files_rejected += 1;
            }
            report.rows_accepted += summary.accepted_rows();
            report.rows_rejected += summary.rejected_rows();
        }
        sink(event)
    };
    let usage = match &reading.isolation {
        Isolation::InProcess => {
            in_process(files, reading.limits, &mut counted)?;
            pool::Usage::default()
        }
        Isolation::Workers(cfg) => pool::ingest(files, cfg, &mut counted)?,
    };
    report.reader_workers = usage.workers;
    report.reader_peak_rss_kib = usage.peak_kib;
    Ok(report)
}

/// The readers on rayon's threads of this process.
fn in_process(files: &[&InputFile], limits: Limits, sink: &mut dyn FnMut(Event) -> Result<()>) -> Result<()> {
    let (tx, rx) = mpsc::sync_channel::<Vec<Event>>(CHANNEL);
    std::thread::scope(|scope| -> Result<()> {
        scope.spawn(move || {
            let outbox = || send::Outbox::new(send::Channel::new(tx.clone()));
            files
                .par_iter()
                .enumerate()
                .for_each_init(outbox, |outbox, (i, file)| {
                    let _span = tracing::debug_span!("parse", file = %file.rel).entered();
                    // Each outbox hands on what it holds when rayon drops it.
                    if let Err(e) = send::read_one(outbox, i, file, limits, false) {
                        outbox.transport.send(Event::Failed {
                            file: i,
                            message: format!("{e:#}"),
                        });
                    }
                });
        });
        for event in rx.into_iter().flatten() {
            sink(event)?;
        }
        Ok(())
    })
}
