//! The `chamberstat` binary: parse arguments, set up logging, run the
//! command, print errors to stderr and map the outcome to an exit code.

use clap::Parser;

fn main() {
    let cli = chamberstat::cli::Cli::parse();
    chamberstat::logging::init(&cli.global);
    let code = match chamberstat::run(cli) {
        Ok(outcome) => outcome.exit_code(),
        Err(err) => {
            eprintln!("chamberstat: error: {err:#}");
            chamberstat::EXIT_COULD_NOT_RUN
        }
    };
    std::process::exit(code);
}
