//! chamberstat: the chamber's nightly statistics pipeline.
//!
//! The modules, from the bottom up (each uses only those above it in this
//! list):
//! - `util`: general helpers (atomic writes, hashing, sizes, the run lock,
//!   the workbook look, logging, the row printer);
//! - `contract`: what every stage shares (the input schema, the headline
//!   metrics, committees, tiers, units);
//! - the stages in data-flow order, each with one entry function and a
//!   report type: `normalize` (units, numbers, dates, codes; used by
//!   ingest) ← `ingest` (files → typed rows, in reader workers) ← `load`
//!   (DuckDB) ← `aggregate` (runs `queries/*.sql`) ← `emit` (one exporter
//!   per output, the materials among them);
//! - `state`: what a run leaves for the next one and for the auditor (the
//!   manifest, the one "has anything changed?" decision);
//! - `config`: the plain run configuration;
//! - `commands`: one module per command, each taking a [`config::Config`];
//! - `cli`: the command line (clap), turned into a configuration and a
//!   [`commands::Request`]; nothing else names clap.

#![warn(clippy::too_many_lines)]

pub mod util;

pub mod contract;

pub mod normalize;

pub mod ingest;

pub mod load;

pub mod aggregate;

pub mod emit;

pub mod state;

pub mod config;

pub mod commands;

pub mod cli;

pub use commands::{Outcome, EXIT_COULD_NOT_RUN};

/// Run a parsed command line.
pub fn run(cli: cli::Cli) -> anyhow::Result<Outcome> {
    let (config, request) = cli.into_request();
    commands::dispatch(&config, request)
}
