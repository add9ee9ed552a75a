//! The command line (clap derive): parsing, and its conversion into the
//! plain [`Config`] and [`Request`] the commands take. The only module
//! that names clap; sizes are parsed into bytes here, once.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::commands::{generate, stage, Request};
use crate::config::{Config, Readers, WORKER_COMMAND};
use crate::load::MemoryLimit;
use crate::util::logging::{Log, LogFormat};
use crate::util::print::Format;
use crate::util::size::parse_bytes;

const EXIT_CODES: &str = "\
Exit codes:
  0  done: outputs written (even when some input rows were rejected)
  1  a check or verify found problems (bad input, figures that differ)
  2  could not run: bad arguments, no inputs, warehouse unusable";

/// Nightly statistics pipeline of the chamber: Excel submissions → DuckDB
/// warehouse → headline figures, traceable to every input cell.
#[derive(Debug, Parser)]
#[command(name = "chamberstat", version, after_help = EXIT_CODES)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Args)]
pub struct Global {
    /// The inputs tree (reference/, <year>/companies/, <year>/committees/).
    #[arg(long, global = true, default_value = "inputs", env = "CHAMBERSTAT_INPUTS")]
    pub inputs: PathBuf,
    /// Where outputs/<year>/ is written.
    #[arg(long, global = true, default_value = "outputs", env = "CHAMBERSTAT_OUTPUTS")]
    pub outputs: PathBuf,
    /// A folder of SQL files to run instead of the queries compiled into
    /// the binary (manifest.json records which were used).
    #[arg(long, global = true, env = "CHAMBERSTAT_QUERIES")]
    pub queries: Option<PathBuf>,
    /// The DuckDB warehouse file [default: <outputs>/warehouse.duckdb].
    #[arg(long, global = true, env = "CHAMBERSTAT_DB")]
    pub db: Option<PathBuf>,
    /// More log output on stderr (-v info, -vv debug, -vvv trace).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Only errors on stderr.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Log format on stderr: text for people, json (one object per line) for cron.
    #[arg(long, global = true, value_enum, default_value_t = LogFormatArg::Text)]
    pub log_format: LogFormatArg,
    #[command(flatten)]
    pub limits: LimitArgs,
}

/// Bounds on one input file and on the warehouse's memory, so that no
/// submission can stop the night or eat the machine. A file over a limit is
/// rejected with the limit named; the run goes on.
#[derive(Debug, Clone, Args)]
pub struct LimitArgs {
    /// Reject a file with a sheet of more than N non-empty rows.
    #[arg(long, global = true, value_name = "N", default_value_t = 1_000_000)]
    pub max_rows_per_sheet: u64,
    /// Reject a file with a cell of more than N characters (Excel's own limit is 32,767).
    #[arg(long, global = true, value_name = "N", default_value_t = 32_767)]
    pub max_cell_chars: usize,
    /// Reject a file of more than N non-empty cells (all sheets).
    #[arg(long, global = true, value_name = "N", default_value_t = 20_000_000)]
    pub max_cells_per_file: u64,
    /// Reject an .xls or .ods file with a sheet spanning more than N cells
    /// (rows × columns from its first to its last value): those formats are
    /// read as whole grids.
    #[arg(long, global = true, value_name = "N", default_value_t = 4_000_000)]
    pub max_grid_cells: u64,
    /// Memory the warehouse may hold before spilling to <warehouse>.tmp/ (DuckDB's memory_limit): a size
    /// such as 512MB or 2GiB, or none.
    /// While rows are loaded it keeps to 64 MiB and 1 KiB per input file, when that is less.
    #[arg(
        long,
        global = true,
        value_name = "SIZE",
        default_value = "512MB",
        env = "CHAMBERSTAT_DB_MEMORY"
    )]
    pub db_memory_limit: MemoryLimit,
    /// Reject a file whose container (zip, compound file) would unpack to
    /// more than SIZE, as its own directory says; an entry inflating more
    /// than 100:1 beyond 1 MiB rejects it too.
    #[arg(long, global = true, value_name = "SIZE", default_value = "256MiB", value_parser = parse_bytes)]
    pub max_unpacked_bytes: u64,
    /// Address space one reader worker may use; a file that needs more is
    /// rejected (超出内存上限) and the run goes on.
    #[arg(long, global = true, value_name = "SIZE", default_value = "1GiB", value_parser = parse_bytes)]
    pub max_reader_memory: u64,
    /// Seconds a reader worker may spend on one file; a file that takes
    /// longer is rejected (读取超时) and the run goes on.
    #[arg(long, global = true, value_name = "S", default_value_t = 60)]
    pub max_file_seconds: u64,
    /// Reader worker processes [default: one per core].
    #[arg(long, global = true, value_name = "N")]
    pub reader_workers: Option<usize>,
    /// Read files on threads of this process instead of in worker
    /// processes (for profiling and debugging: a file that crashes the
    /// reader then takes the run down with it).
    #[arg(long, global = true)]
    pub in_process: bool,
}

/// How the logs are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormatArg {
    Text,
    Json,
}

/// How a command prints what it found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    Table,
    Csv,
    Json,
}

impl From<FormatArg> for Format {
    fn from(f: FormatArg) -> Format {
        match f {
            FormatArg::Table => Format::Table,
            FormatArg::Csv => Format::Csv,
            FormatArg::Json => Format::Json,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// The nightly job: ingest, validate, load, aggregate, emit outputs/<Y>/.
    Run {
        /// Reporting year to emit (default: the latest year folder).
        #[arg(long)]
        year: Option<i32>,
        /// Re-read every input file instead of only new and changed ones.
        #[arg(long)]
        full: bool,
        /// Seconds to wait for another run holding the warehouse (0: fail at once).
        #[arg(long, default_value_t = 0)]
        lock_timeout: u64,
        /// Aggregate and emit from a staging folder written by `stage`
        /// instead of reading --inputs (in a temporary in-memory warehouse).
        #[arg(long, value_name = "DIR", conflicts_with = "full")]
        staged: Option<PathBuf>,
    },
    /// Ingest and normalise (a K-of-N share of) the input files into
    /// Parquet under DIR, for `run --staged DIR` or the Spark job in spark/.
    Stage {
        /// The staging folder (shared by all shards).
        #[arg(long)]
        out: PathBuf,
        /// Take the files whose path hash falls in shard K of N.
        #[arg(long, value_name = "K/N", default_value = "1/1", conflicts_with_all = ["files_from", "list"])]
        shard: crate::commands::stage::Shard,
        /// Take exactly the files listed in FILE (`-`: standard input), one
        /// path relative to --inputs per line: a scheduler's task. Prints
        /// each file staged.
        #[arg(long, value_name = "FILE", requires = "part", conflicts_with = "list")]
        files_from: Option<PathBuf>,
        /// The name of this task's files (`part-ID.parquet`): letters,
        /// digits, - or _, or `auto` (from the files listed, so a retried
        /// task replaces its own output).
        #[arg(long, value_name = "ID", requires = "files_from")]
        part: Option<String>,
        /// Stage what discovery alone knows (skipped entries, the year
        /// folders) and print every file to read, one per line, for a
        /// scheduler to hand to `--files-from` tasks.
        #[arg(long)]
        list: bool,
        /// Only this year's folder (and the reference workbooks).
        #[arg(long)]
        year: Option<i32>,
    },
    /// Validate files or folders without touching the warehouse; exit 1 if
    /// any file, sheet, row or cell would be rejected.
    Check {
        /// Files or folders to check (default: --inputs).
        paths: Vec<PathBuf>,
        /// Instead of checking files: who has submitted and who has not,
        /// from the warehouse of the last run.
        #[arg(long, conflicts_with_all = ["paths", "annotate"])]
        status: bool,
        /// The year for --status (default: the latest in the warehouse).
        #[arg(long, requires = "status")]
        year: Option<i32>,
        #[arg(long, value_enum, default_value_t = FormatArg::Table)]
        format: FormatArg,
        /// Write a copy of each workbook with problems into DIR, offending
        /// cells highlighted and the reason as a cell comment.
        #[arg(long, value_name = "DIR")]
        annotate: Option<PathBuf>,
    },
    /// The lineage of one headline figure (every input cell it sums), or
    /// the cell behind a 工作台账 fact.
    Explain {
        /// A metric id of headline.csv (e.g. profit_tax_total) or a
        /// 指标代码 of the 工作台账 (e.g. 党支部数).
        metric: String,
        #[arg(long)]
        year: Option<i32>,
        #[arg(long, value_enum, default_value_t = FormatArg::Table)]
        format: FormatArg,
    },
    /// Rebuild from the inputs a manifest names (in a temporary warehouse)
    /// and report, input by input and figure by figure, what still matches.
    Verify {
        /// outputs/<year>/manifest.json
        manifest: PathBuf,
    },
    /// Write the blank submission workbooks (company, committee, reference)
    /// generated from the schema the reader uses.
    Template {
        /// Folder to write the workbooks into (created if missing).
        #[arg(long)]
        out: PathBuf,
        /// Reporting year the forms are for [default: this year from July
        /// on, else last year].
        #[arg(long)]
        year: Option<i32>,
        /// Also write one company workbook per member of the year (from the
        /// registry in --inputs) with 统一社会信用代码 and 企业名称 filled in,
        /// as <out>/<year>/<code>_<name>.xlsx.
        #[arg(long)]
        prefill: bool,
    },
    /// Render the materials templates of inputs/materials/ (or those named)
    /// from the warehouse of the last run, without loading anything, into
    /// outputs/<year>/materials/; exit 1 if a template cannot be rendered.
    Materials {
        /// The year to render (default: the latest in the warehouse).
        #[arg(long)]
        year: Option<i32>,
        /// Templates to render (default: every one in inputs/materials/).
        templates: Vec<PathBuf>,
    },
    /// Write a synthetic inputs tree, and its known answer
    /// (headline-<year>.csv, generate.json) in a separate folder.
    Generate(GenerateArgs),
    /// A reader worker: reads the files its parent names on standard input
    /// and writes what it reads to standard output (internal).
    #[command(name = WORKER_COMMAND, hide = true)]
    ReaderWorker {
        /// The read limits, as JSON.
        #[arg(long)]
        limits: String,
    },
}

#[derive(Debug, Clone, Args)]
pub struct GenerateArgs {
    /// Folder to write (created; must be empty or absent).
    #[arg(long)]
    pub out: PathBuf,
    /// Folder for the known answer: headline-<year>.csv and the arguments
    /// (generate.json). Kept out of the inputs tree, which holds only what
    /// the secretariat would receive. Default: `<out>-expected` beside it.
    #[arg(long)]
    pub answer: Option<PathBuf>,
    /// Number of registry entries (members and former members).
    #[arg(long, default_value_t = 300)]
    pub members: usize,
    /// Reporting years, comma separated.
    #[arg(long, value_delimiter = ',', default_values_t = [2022, 2023, 2024])]
    pub years: Vec<i32>,
    /// Random seed: the same arguments give byte-identical files.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Share of cells written with contract-accepted drift (0 to 1).
    #[arg(long, default_value_t = 0.3)]
    pub drift: f64,
    /// Share of rows and files written to be rejected or set aside (0 to 1).
    #[arg(long, default_value_t = 0.03)]
    pub traps: f64,
    /// Also write one group workbook of N 年度数据 rows for companies outside
    /// the registry (the benchmark's large file; the figures do not change).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub group_rows: usize,
    /// Share of the group workbook's rows (0 to 1) whose 营业收入 is text no
    /// reader takes for an amount (`约120万多`): one cell problem each, the
    /// benchmark's long call-back list.
    #[arg(long, value_name = "SHARE", default_value_t = 0.0)]
    pub group_unreadable: f64,
}

impl Cli {
    /// The plain configuration and the command to run with it.
    pub fn into_request(self) -> (Config, Request) {
        (self.global.config(), self.command.into_request())
    }
}

impl Global {
    /// The run configuration: the warehouse is `--db`, else
    /// `warehouse.duckdb` in the outputs folder (so `--outputs /srv/x/outputs`
    /// from any folder keeps them together).
    pub fn config(&self) -> Config {
        let l = &self.limits;
        Config {
            db: self
                .db
                .clone()
                .unwrap_or_else(|| self.outputs.join("warehouse.duckdb")),
            inputs: self.inputs.clone(),
            outputs: self.outputs.clone(),
            queries: self.queries.clone(),
            db_memory_limit: l.db_memory_limit,
            limits: crate::ingest::Limits {
                rows_per_sheet: l.max_rows_per_sheet,
                cell_chars: l.max_cell_chars,
                cells_per_file: l.max_cells_per_file,
                grid_cells: l.max_grid_cells,
                unpacked_bytes: l.max_unpacked_bytes,
            },
            readers: Readers {
                in_process: l.in_process,
                workers: l.reader_workers,
                memory_bytes: l.max_reader_memory,
                file_time: Duration::from_secs(l.max_file_seconds),
            },
            log: self.log(),
        }
    }

    /// What the run logs (needed before the configuration, to log its errors).
    pub fn log(&self) -> Log {
        Log {
            verbose: self.verbose,
            quiet: self.quiet,
            format: match self.log_format {
                LogFormatArg::Text => LogFormat::Text,
                LogFormatArg::Json => LogFormat::Json,
            },
        }
    }
}

impl Command {
    fn into_request(self) -> Request {
        match self {
            Command::Run {
                year,
                staged: Some(dir),
                ..
            } => Request::RunStaged { dir, year },
            Command::Run {
                year,
                full,
                lock_timeout,
                staged: None,
            } => Request::Run {
                year,
                full,
                lock_timeout: Duration::from_secs(lock_timeout),
            },
            Command::Stage {
                out,
                shard,
                files_from,
                part,
                list,
                year,
            } => Request::Stage {
                out,
                selection: stage::SelectionArgs {
                    shard,
                    files_from,
                    part,
                    list,
                },
                year,
            },
            Command::Check {
                status: true,
                year,
                format,
                ..
            } => Request::Status {
                year,
                format: format.into(),
            },
            Command::Check {
                paths,
                format,
                annotate,
                ..
            } => Request::Check {
                paths,
                format: format.into(),
                annotate,
            },
            Command::Explain { metric, year, format } => Request::Explain {
                metric,
                year,
                format: format.into(),
            },
            Command::Verify { manifest } => Request::Verify { manifest },
            Command::Template { out, year, prefill } => Request::Template { out, year, prefill },
            Command::Materials { year, templates } => Request::Materials { year, templates },
            Command::Generate(a) => Request::Generate(generate::Options {
                out: a.out,
                answer: a.answer,
                members: a.members,
                years: a.years,
                seed: a.seed,
                drift: a.drift,
                traps: a.traps,
                group_rows: a.group_rows,
                group_unreadable: a.group_unreadable,
            }),
            Command::ReaderWorker { limits } => Request::ReaderWorker { limits },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> (Config, Request) {
        Cli::try_parse_from(std::iter::once("chamberstat").chain(args.iter().copied()))
            .unwrap()
            .into_request()
    }

    #[test]
    fn sizes_are_bytes_and_the_warehouse_sits_in_the_outputs() {
        let (config, _) = parse(&["--outputs", "/srv/o", "--max-unpacked-bytes", "1MiB", "run"]);
        assert_eq!(config.db, PathBuf::from("/srv/o/warehouse.duckdb"));
        assert_eq!(config.limits.unpacked_bytes, 1 << 20);
        assert_eq!(config.db_memory_limit, MemoryLimit::Bytes(512_000_000));
        assert_eq!(config.readers.memory_bytes, 1 << 30);
    }

    #[test]
    fn a_bad_size_names_what_was_expected() {
        let err = Cli::try_parse_from(["chamberstat", "--max-reader-memory", "lots", "run"]).unwrap_err();
        assert!(err.to_string().contains("expected a size"), "{err}");
    }

    #[test]
    fn check_status_is_its_own_request() {
        let (_, request) = parse(&["check", "--status", "--format", "csv"]);
        assert!(matches!(
            request,
            Request::Status {
                year: None,
                format: Format::Csv
            }
        ));
    }
}
