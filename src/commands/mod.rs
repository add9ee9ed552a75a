//! One module per command. Each takes the plain [`Config`] and its own
//! arguments, wires the stages together and says how it went
//! ([`Outcome`]); none of them sees the command line. `run` and `stage`
//! share the stages' wiring (`run::build`), `verify` and `template`
//! rebuild through it in memory.

pub mod check;
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

use anyhow::{bail, Result};

use crate::config::Config;
use crate::util::print::Format;

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

/// A command that ran to the end without a check to fail.
fn done<T>(r: Result<T>) -> Result<Outcome> {
    r.map(|_| Outcome::Done)
}

/// Choose the reporting year: the one asked for, which must have a folder,
/// else the latest year folder.
pub fn pick_year(requested: Option<i32>, years: &[i32]) -> Result<i32> {
    let listed = || {
        if years.is_empty() {
            "none".to_string()
        } else {
            years.iter().map(|y| y.to_string()).collect::<Vec<_>>().join(", ")
        }
    };
    match (requested, years.last()) {
        (Some(y), _) if years.contains(&y) => Ok(y),
        (Some(y), _) => bail!("no inputs for year {y}: year folders found: {}", listed()),
        (None, Some(latest)) => Ok(*latest),
        (None, None) => bail!("no <year>/ folder (e.g. 2024/companies/) in the inputs"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_year_is_the_latest_folder() {
        assert_eq!(pick_year(None, &[2022, 2023, 2024]).unwrap(), 2024);
        assert_eq!(pick_year(Some(2023), &[2022, 2023, 2024]).unwrap(), 2023);
    }

    #[test]
    fn a_year_without_a_folder_is_an_error_naming_the_years_found() {
        let err = pick_year(Some(2030), &[2023, 2024]).unwrap_err().to_string();
        assert!(err.contains("2030") && err.contains("2023, 2024"), "{err}");
        assert!(pick_year(None, &[]).is_err());
    }
}
