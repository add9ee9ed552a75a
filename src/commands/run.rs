//! The `run` command: discover → ingest + load → aggregate → emit, for one
//! reporting year, with one summary line at the end for the operator.
//! `verify` rebuilds through the same [`build`].

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Result;
use duckdb::Connection;
use serde::Serialize;

use crate::aggregate::{self, AggregateReport, QueryFile, RuleCounts};
use crate::config::Config;
use crate::contract::metrics::Headline;
use crate::emit;
use crate::ingest::{self, Discovery, IngestReport};
use crate::load::{self, LoadReport, MemoryLimit};
use crate::state::changes;
use crate::state::manifest::{self, Manifest};

/// What one run did, stage by stage.
#[derive(Debug, Clone, Serialize)]
pub struct RunReport {
    pub year: i32,
    pub ingest: IngestReport,
    pub load: LoadReport,
    pub totals: load::Totals,
    pub aggregate: AggregateReport,
    pub rules: RuleCounts,
    pub outputs: Vec<PathBuf>,
}

/// A run id for the logs: start time (ms since the epoch, hex) and pid.
fn run_id() -> String {
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or_default();
    format!("{ms:x}-{}", std::process::id())
}

/// The stages up to the figures, shared by `run` and `verify`.
pub struct Build {
    pub discovery: Discovery,
    pub ingest: IngestReport,
    pub load: LoadReport,
    pub aggregate: AggregateReport,
    /// Nothing changed and the outputs are current: not aggregated.
    pub up_to_date: bool,
}

/// Discover the inputs folder (logged as its own stage).
pub fn discover(inputs: &Path) -> Result<Discovery> {
    let _s = tracing::info_span!("discover").entered();
    ingest::discover(inputs)
}

/// Ingest and load the discovered inputs into `conn` (incrementally unless
/// `full`), with a progress bar on a terminal.
pub fn load_inputs(
    conn: &mut Connection,
    discovery: &Discovery,
    full: bool,
    reading: &ingest::Reading,
    memory_limit: Option<MemoryLimit>,
) -> Result<(IngestReport, LoadReport)> {
    let _s = tracing::info_span!("load", files = discovery.files.len()).entered();
    let bar = progress_bar(discovery.files.len() as u64);
    let mut tick = |file: &ingest::FileSummary| {
        tracing::debug!(
            file = %file.file.rel,
            rows = file.accepted_rows(),
            rejected = file.rejected_rows(),
            "parsed"
        );
        if let Some(bar) = &bar {
            bar.inc(1);
        }
    };
    let plan = {
        let _s = tracing::debug_span!("plan").entered();
        changes::files_to_parse(conn, discovery, full)?
    };
    let loaded = load::load(conn, discovery, plan, reading, memory_limit, &mut tick)?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    Ok(loaded)
}

/// Run the queries (logged as its own stage).
pub fn aggregate_figures(conn: &mut Connection, queries: &[QueryFile]) -> Result<AggregateReport> {
    let _s = tracing::info_span!("aggregate").entered();
    aggregate::aggregate(conn, queries)
}

/// Whether the figures in the warehouse still hold after a load (see
/// [`build`]).
pub type Current<'a> = dyn Fn(&Connection, &LoadReport, &Discovery) -> Result<bool> + 'a;

/// Ingest, load and aggregate the discovered inputs into `conn`. The
/// aggregation is skipped when `current` says, after the load, that the
/// figures in the warehouse still hold (`run` with nothing new); `None`
/// always aggregates. `memory_limit` is given for a warehouse file (see
/// [`load::load`]).
pub fn build(
    conn: &mut Connection,
    discovery: Discovery,
    queries: &[QueryFile],
    full: bool,
    reading: &ingest::Reading,
    memory_limit: Option<MemoryLimit>,
    current: Option<&Current>,
) -> Result<Build> {
    let (ingest_report, load_report) = load_inputs(conn, &discovery, full, reading, memory_limit)?;
    let up_to_date = match current {
        Some(current) => current(conn, &load_report, &discovery)?,
        None => false,
    };
    let aggregate_report = if up_to_date {
        AggregateReport::default()
    } else {
        aggregate_figures(conn, queries)?
    };
    Ok(Build {
        discovery,
        ingest: ingest_report,
        load: load_report,
        aggregate: aggregate_report,
        up_to_date,
    })
}

/// A throw-away warehouse in memory with `discovery` loaded and aggregated
/// within the run's limits (`verify`, the registry behind `template`).
pub fn build_in_memory(
    config: &Config,
    discovery: Discovery,
    queries: &[QueryFile],
) -> Result<(Connection, Build)> {
    let mut conn = load::open_in_memory(config.db_memory_limit)?;
    let built = build(
        &mut conn,
        discovery,
        queries,
        true,
        &config.reading()?,
        None,
        None,
    )?;
    Ok((conn, built))
}

/// A bar over files, only when a person watches (stderr is a terminal and
/// logs are not asked to be quiet); cron gets none.
fn progress_bar(files: u64) -> Option<indicatif::ProgressBar> {
    use std::io::IsTerminal;
    if !std::io::stderr().is_terminal() || !tracing::enabled!(tracing::Level::WARN) {
        return None;
    }
    let bar = indicatif::ProgressBar::new(files);
    if let Ok(style) = indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} files {elapsed}") {
        bar.set_style(style);
    }
    Some(bar)
}

pub fn run(
    config: &Config,
    requested_year: Option<i32>,
    full: bool,
    lock_timeout: std::time::Duration,
) -> Result<RunReport> {
    let started = Instant::now();
    // Every log line of the run carries its id (logs only, never outputs).
    let _run = tracing::info_span!("run", run_id = %run_id()).entered();
    let _lock = crate::util::lock::acquire(&config.db, lock_timeout)?;
    // What the last run left is read (and the outputs hashed) while the
    // inputs are walked: the walk alone leaves a core idle.
    let (discovery, previous) = std::thread::scope(|s| {
        let previous = s.spawn(|| (!full).then(|| changes::last_run(config)).flatten());
        let discovery = discover(&config.inputs);
        (discovery, previous.join().ok().flatten())
    });
    // Fail fast, before the long load, on a missing folder, year or query.
    let discovery = discovery?;
    let year = super::common::pick_year(requested_year, &discovery.years)?;
    let queries = aggregate::load_queries(config.queries.as_deref())?;
    let digest = changes::digest(config, year, &queries, &discovery);
    let unchanged = match (&digest, previous) {
        (Some(digest), Some(previous)) => changes::unchanged(config, year, digest, previous),
        _ => None,
    };
    let report = match unchanged {
        Some(record) => {
            log_nothing_new(year);
            RunReport {
                year,
                ingest: IngestReport::default(),
                load: LoadReport {
                    files_reused: discovery.files.len(),
                    ..LoadReport::default()
                },
                totals: record.totals,
                aggregate: AggregateReport::default(),
                rules: record.rules,
                outputs: Vec::new(),
            }
        }
        None => {
            changes::forget(&config.db)?;
            let report = run_stages(config, year, discovery, &queries, full)?;
            if let Some(digest) = digest {
                let remembered =
                    changes::remember(config, year, digest, report.totals.clone(), report.rules.clone());
                if let Err(e) = remembered {
                    tracing::warn!("the next run will check the warehouse for changes: {e:#}");
                }
            }
            report
        }
    };
    log_finished(&report, started);
    Ok(report)
}

fn log_nothing_new(year: i32) {
    tracing::info!(
        year,
        "no input, query or output changed since the last run; outputs are current"
    );
}

/// The long way: load, aggregate (unless the outputs are current) and
/// emit. The warehouse is closed on return, so its stat is final.
fn run_stages(
    config: &Config,
    year: i32,
    discovery: Discovery,
    queries: &[QueryFile],
    full: bool,
) -> Result<RunReport> {
    let mut conn = load::open_or_rebuild(&config.db, config.db_memory_limit)?;
    let current = |conn: &Connection, load: &LoadReport, discovery: &Discovery| {
        changes::outputs_current(config, conn, load, full, discovery, queries, year)
    };
    let built = build(
        &mut conn,
        discovery,
        queries,
        full,
        &config.reading()?,
        Some(config.db_memory_limit),
        Some(&current),
    )?;
    if built.up_to_date {
        log_nothing_new(year);
    }
    let totals = load::totals(&conn)?;
    let rules = aggregate::rule_counts(&conn, year)?;
    let outputs = if built.up_to_date {
        Vec::new()
    } else {
        let headline = aggregate::headline(&conn, year)?;
        load::release_cache(&conn, config.db_memory_limit)?;
        let _s = tracing::info_span!("emit", year).entered();
        let sources = Sources {
            dir: config.inputs.to_string_lossy().into_owned(),
            files: manifest::input_hashes(&conn, &config.inputs, &built.discovery)?,
            command: vec!["run".into(), "--year".into(), year.to_string()],
        };
        emit_year(
            config,
            &conn,
            &sources,
            queries,
            &headline,
            &built.discovery.templates,
        )?
    };
    Ok(RunReport {
        year,
        ingest: built.ingest,
        load: built.load,
        totals,
        aggregate: built.aggregate,
        rules,
        outputs,
    })
}

/// The operator's summary line.
fn log_finished(report: &RunReport, started: Instant) {
    tracing::info!(
        year = report.year,
        files_read = report.totals.files_read,
        files_skipped = report.totals.files_skipped,
        files_rejected = report.totals.files_rejected,
        files_parsed = report.load.files_parsed,
        files_reused = report.load.files_reused,
        outputs_rewritten = !report.outputs.is_empty(),
        rows_accepted = report.totals.rows_accepted,
        rows_rejected = report.totals.rows_rejected,
        superseded = report.rules.superseded_submissions,
        non_member_rows = report.rules.non_member_rows,
        duplicate_events = report.rules.duplicate_events,
        duration_ms = started.elapsed().as_millis() as u64,
        reader_workers = report.ingest.reader_workers,
        peak_rss_kib = own_peak_rss_kib(),
        readers_peak_rss_kib = report.ingest.reader_peak_rss_kib,
        "run finished"
    );
}

/// The most memory this process has held (KiB), its reader workers apart.
fn own_peak_rss_kib() -> u64 {
    // SAFETY: zeroed rusage is a valid value to be overwritten.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: a valid pointer to a rusage.
    match unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) } {
        0 => usage.ru_maxrss.max(0) as u64,
        _ => 0,
    }
}

/// What manifest.json says the figures were computed from: the inputs
/// folder and every file in it, or (for `run --staged`) the staging folder
/// and its Parquet files.
pub struct Sources {
    pub dir: String,
    pub files: Vec<manifest::FileHash>,
    pub command: Vec<String>,
}

/// Render every output file of the year through the emit stage, and the
/// manifest last (it hashes the others).
pub fn emit_year(
    config: &Config,
    conn: &Connection,
    sources: &Sources,
    queries: &[QueryFile],
    headline: &Headline,
    templates: &[crate::contract::materials::TemplateFile],
) -> Result<Vec<PathBuf>> {
    // 同比 covers the years up to the reporting year, so a year's outputs
    // never change when a later year arrives.
    let history = aggregate::years(conn)?
        .into_iter()
        .filter(|y| *y <= headline.year)
        .map(|y| aggregate::headline(conn, y))
        .collect::<Result<Vec<_>>>()?;
    let dir = config.year_dir(headline.year);
    let materials = {
        let _s = tracing::info_span!("materials", templates = templates.len()).entered();
        let names = crate::emit::materials::names::names(conn, headline.year, &history)?;
        crate::emit::materials::render_all(templates, &names)?
    };
    crate::emit::materials::record_problems(conn, &materials.problems)?;
    let cx = emit::Context {
        dir: &dir,
        conn,
        headline,
        history: &history,
        materials: &materials.files,
    };
    let manifest = |outputs| -> Result<Manifest> {
        Ok(Manifest {
            program: "chamberstat".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            duckdb_version: manifest::duckdb_version(conn)?,
            command: sources.command.clone(),
            year: headline.year,
            inputs_dir: sources.dir.clone(),
            inputs: sources.files.clone(),
            queries_source: aggregate::queries_source(config.queries.as_deref()),
            queries: manifest::query_hashes(queries),
            headline: manifest::headline_values(headline),
            outputs,
        })
    };
    let report = emit::emit(&cx, manifest)?;
    crate::emit::materials::remove_stale(&dir, &materials.files);
    Ok(report.files)
}
