//! chamberstat: the chamber's nightly statistics pipeline.
//!
//! `contract` holds what every stage shares: the input schema, the headline
//! metrics, the committees, tiers and units. Then one module per stage, in
//! pipeline order: `ingest` (calamine → typed rows) → `normalize` (units,
//! numbers, dates, codes; used by ingest) → `load` (DuckDB) → `aggregate`
//! (runs the queries) → `emit` (one exporter per output format). Each stage
//! has one entry function and a report type. `pipeline` only wires them
//! into `run`; the other commands sit beside it: `check` (and `status`,
//! `check --status`), `explain`, `verify`, `stage` (and `run --staged`),
//! `template`, `generate`, `annotate` (`check --annotate`). `manifest`
//! records what an auditor needs; `cli`, `logging` and `lock` are the
//! binary's plumbing.

pub mod aggregate;
pub mod annotate;
pub mod check;
pub mod cli;
pub mod contract;
pub mod emit;
pub mod explain;
pub mod generate;
pub mod ingest;
pub mod load;
pub mod lock;
pub mod logging;
pub mod manifest;
pub mod materials;
pub mod normalize;
pub mod pipeline;
pub mod stage;
pub mod status;
pub mod template;
pub mod uptodate;
pub mod verify;

use anyhow::{Context, Result};

/// How a command that ran to the end went; errors (exit 2) are `Err`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Exit 0.
    Done,
    /// Exit 1: a check or verify found problems.
    Problems,
}

impl Outcome {
    pub fn exit_code(self) -> u8 {
        match self {
            Outcome::Done => 0,
            Outcome::Problems => 1,
        }
    }
}

/// Exit code for a command that could not run.
pub const EXIT_COULD_NOT_RUN: u8 = 2;

/// Dispatch a parsed command line.
pub fn run(cli: cli::Cli) -> Result<Outcome> {
    let g = &cli.global;
    match cli.command {
        cli::Command::Run {
            year,
            staged: Some(ref dir),
            ..
        } => stage::run_staged(g, dir, year).map(|_| Outcome::Done),
        cli::Command::Stage {
            ref out,
            shard,
            ref files_from,
            ref part,
            list,
            year,
        } => {
            let selection = match (files_from, list) {
                (Some(from), _) => {
                    let files = stage::read_list(from)?;
                    let part = stage::part_id(part.as_deref().unwrap_or("auto"), &files)?;
                    stage::Selection::Listed { part, files }
                }
                (None, true) => stage::Selection::Discovery,
                (None, false) => stage::Selection::Shard(shard),
            };
            stage::stage(g, out, selection, year).map(|_| Outcome::Done)
        }
        cli::Command::Run {
            year,
            full,
            lock_timeout,
            ..
        } => {
            pipeline::run(g, year, full, std::time::Duration::from_secs(lock_timeout)).map(|_| Outcome::Done)
        }
        cli::Command::Check {
            status: true,
            year,
            format,
            ..
        } => status::status(g, year, format),
        cli::Command::Check {
            ref paths,
            format,
            ref annotate,
            ..
        } => check::check(g, paths, format, annotate.as_deref()),
        cli::Command::Explain {
            ref metric,
            year,
            format,
        } => explain::explain(g, metric, year, format),
        cli::Command::Materials { year, ref templates } => materials::command::materials(g, year, templates),
        cli::Command::Verify { ref manifest } => verify::verify(g, manifest),
        cli::Command::Generate(ref args) => generate::generate(args).map(|_| Outcome::Done),
        cli::Command::ReaderWorker { ref limits } => {
            let limits = serde_json::from_str(limits).context("the reader worker's limits")?;
            ingest::worker::serve(limits).map(|()| Outcome::Done)
        }
        cli::Command::Template {
            ref out,
            year,
            prefill,
        } => template::template(g, out, year, prefill).map(|_| Outcome::Done),
    }
}
