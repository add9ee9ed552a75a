//! One module per command. Each takes the plain [`Config`] and its own
//! arguments, wires the stages together and says how it went
//! ([`Outcome`]); none of them sees the command line. `run` and `stage`
//! share the stages' wiring (`run::build`), `verify` and `template`
//! rebuild through it in memory.

pub mod check;
mod common;
pub mod explain;
pub mod generate;
pub mod materials;
pub mod run;
pub mod stage;
pub mod status;
pub mod template;
pub mod verify;
pub mod worker;

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Result;

use common::done;
pub use common::{pick_year, Outcome, EXIT_COULD_NOT_RUN};

use crate::config::Config;
use crate::util::print::Format;

/// A command and its own arguments.
#[derive(Debug, Clone)]
pub enum Request {
    Run {
        year: Option<i32>,
        full: bool,
        lock_timeout: Duration,
    },
    RunStaged {
        dir: PathBuf,
        year: Option<i32>,
    },
    Stage {
        out: PathBuf,
        selection: stage::SelectionArgs,
        year: Option<i32>,
    },
    Check {
        paths: Vec<PathBuf>,
        format: Format,
        annotate: Option<PathBuf>,
    },
    Status {
        year: Option<i32>,
        format: Format,
    },
    Explain {
        metric: String,
        year: Option<i32>,
        format: Format,
    },
    Verify {
        manifest: PathBuf,
    },
    Template {
        out: PathBuf,
        year: Option<i32>,
        prefill: bool,
    },
    Materials {
        year: Option<i32>,
        templates: Vec<PathBuf>,
    },
    Generate(generate::Options),
    ReaderWorker {
        limits: String,
    },
}

/// Run one command.
pub fn dispatch(config: &Config, request: Request) -> Result<Outcome> {
    match request {
        Request::Run {
            year,
            full,
            lock_timeout,
        } => done(run::run(config, year, full, lock_timeout)),
        Request::RunStaged { dir, year } => done(stage::run_staged(config, &dir, year)),
        Request::Stage { out, selection, year } => {
            let selection = selection.resolve()?;
            done(stage::stage(config, &out, selection, year))
        }
        Request::Check {
            paths,
            format,
            annotate,
        } => check::check(config, &paths, format, annotate.as_deref()),
        Request::Status { year, format } => status::status(config, year, format),
        Request::Explain { metric, year, format } => explain::explain(config, &metric, year, format),
        Request::Verify { manifest } => verify::verify(config, &manifest),
        Request::Template { out, year, prefill } => done(template::template(config, &out, year, prefill)),
        Request::Materials { year, templates } => materials::materials(config, year, &templates),
        Request::Generate(options) => done(generate::generate(&options)),
        Request::ReaderWorker { limits } => done(worker::serve(&limits)),
    }
}
