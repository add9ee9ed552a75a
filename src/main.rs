//! The `chamberstat` binary: parse arguments, set up logging, run the
//! command, print errors to stderr and map the outcome to an exit code.

use std::process::ExitCode;

use clap::Parser;

use chamberstat::cli::Cli;
use chamberstat::util::logging::{self, LogFormat};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let log = cli.global.log();
    logging::init(log);
    match chamberstat::run(cli) {
        Ok(outcome) => ExitCode::from(outcome.exit_code()),
        // `chamberstat explain … | head`: the reader has all it wanted.
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            if log.format == LogFormat::Json {
                // One object on one line, like every other log line.
                let line = serde_json::json!({
                    "level": "ERROR",
                    "message": "chamberstat could not run",
                    "error": format!("{err:#}"),
                    "exit_code": chamberstat::EXIT_COULD_NOT_RUN,
                });
                eprintln!("{line}");
            } else {
                eprintln!("chamberstat: error: {err:#}");
            }
            ExitCode::from(chamberstat::EXIT_COULD_NOT_RUN)
        }
    }
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
