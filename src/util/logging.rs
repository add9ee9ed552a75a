//! Logging: `tracing` to stderr, never stdout (stdout carries data).
//! Verbosity from `-v`/`-q`, overridden by `RUST_LOG`; `--log-format json`
//! writes one JSON object per line for cron log collectors.

use tracing_subscriber::EnvFilter;

/// What the run logs, and how.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Log {
    /// -v count: 1 info, 2 debug, 3 trace.
    pub verbose: u8,
    /// Only errors.
    pub quiet: bool,
    pub format: LogFormat,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum LogFormat {
    /// For people.
    #[default]
    Text,
    /// One JSON object per line, for cron's collectors.
    Json,
}

impl LogFormat {
    pub fn name(self) -> &'static str {
        match self {
            LogFormat::Text => "text",
            LogFormat::Json => "json",
        }
    }
}

/// Log to stderr as `log` says, unless `RUST_LOG` says otherwise.
pub fn init(log: Log) {
    let default = if log.quiet {
        "error"
    } else {
        match log.verbose {
            0 => "warn,chamberstat=info",
            1 => "info",
            2 => "debug",
            _ => "trace",
        }
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    // A closing line per stage span carries its duration (time.busy).
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
        // Colours only for a person at a terminal, never in cron's log file.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false);
    // A second init (tests calling the library twice) is harmless.
    let _ = match log.format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .try_init(),
    };
}
