//! The `check` command: validate files or folders exactly as `run` would,
//! without a warehouse, and list every problem with file, sheet and cell.
//! Meant for a member company or committee before the deadline, and for
//! the secretariat before a run.

use std::io::Write;
use std::path::{Path, PathBuf};

use std::collections::HashMap;

use anyhow::{Context, Result};

use super::common::Outcome;
use crate::config::Config;
use crate::contract::schema::{FolderKind, SheetKind};
use crate::ingest::{self, Disposition, Event, InputFile, Problem, Table};
use crate::util::print::{write_json, Format, Rows};

/// The check stage's report.
#[derive(Debug, Default, serde::Serialize)]
pub struct CheckReport {
    pub files_checked: usize,
    pub rows_accepted: u64,
    pub problems: Vec<Problem>,
    /// Where each reported path is on disk (for `--annotate`).
    #[serde(skip)]
    pub sources: std::collections::HashMap<String, PathBuf>,
    /// Accepted 年度数据 rows with their year, for the year-over-year flags.
    #[serde(skip)]
    annual: Vec<(String, Option<i32>, ingest::Record)>,
    /// Materials templates to check (on disk, as shown).
    #[serde(skip)]
    templates: Vec<(PathBuf, String)>,
    /// 工作台账 rows read, with their path, and the latest year folder seen:
    /// what the templates' facts are checked against.
    #[serde(skip)]
    facts: Vec<(String, ingest::Record)>,
    #[serde(skip)]
    latest_year: Option<i32>,
}

impl CheckReport {
    /// True when anything would be rejected (notes and skipped files are not).
    pub fn has_rejections(&self) -> bool {
        self.problems.iter().any(|p| p.level.rejects())
    }
}

pub fn check(config: &Config, paths: &[PathBuf], format: Format, annotate: Option<&Path>) -> Result<Outcome> {
    let targets: Vec<PathBuf> = if paths.is_empty() {
        vec![config.inputs.clone()]
    } else {
        paths.to_vec()
    };
    let mut report = CheckReport::default();
    let reading = config.reading()?;
    for target in &targets {
        check_path(target, &reading, &mut report)?;
    }
    flag_against_previous_year(&config.db, &mut report);
    if !report.templates.is_empty() {
        let problems = crate::commands::materials::check(
            &config.db,
            &report.templates,
            &report.facts,
            report.latest_year,
        )?;
        report.problems.extend(problems);
    }
    if let Some(dir) = annotate {
        let n = crate::ingest::annotate::annotate(
            &report.problems,
            |p| report.sources.get(p).cloned().unwrap_or_else(|| PathBuf::from(p)),
            dir,
            &reading,
        )?;
        tracing::info!(copies = n, dir = %dir.display(), "annotated copies written");
    }
    let mut out = std::io::stdout().lock();
    match format {
        Format::Json => write_json(&mut out, &report)?,
        Format::Csv => {
            let header = ["level", "path", "sheet", "cell", "raw", "reason"];
            problem_rows(&header, &report.problems).write_csv(&mut out)?;
        }
        Format::Table => write_table(&mut out, &report)?,
    }
    Ok(if report.has_rejections() {
        Outcome::Problems
    } else {
        Outcome::Done
    })
}

fn check_path(target: &Path, reading: &ingest::Reading, report: &mut CheckReport) -> Result<()> {
    let meta = std::fs::metadata(target).with_context(|| format!("cannot read {}", target.display()))?;
    if meta.is_dir() && looks_like_inputs_root(target) {
        let discovery = ingest::discover(target)?;
        report
            .problems
            .extend(discovery.skipped.into_iter().map(|(_, p)| p));
        report
            .templates
            .extend(discovery.templates.into_iter().map(|t| (t.abs, t.rel)));
        report.latest_year = report.latest_year.max(discovery.years.last().copied());
        return read_all(discovery.files, reading, report);
    }
    let mut files = Vec::new();
    if meta.is_dir() {
        for found in ingest::walk_tree(target)? {
            match found {
                ingest::Found::File { abs, .. } => files.push(abs),
                ingest::Found::Skipped { rel, reason } => report.problems.push(Problem::of_file(
                    Disposition::Skipped,
                    target.join(rel).to_string_lossy().replace('\\', "/"),
                    reason,
                )),
            }
        }
    } else if meta.is_file() {
        files.push(target.to_path_buf());
    } else {
        // Reading a pipe would wait for a writer forever.
        report.problems.push(Problem::of_file(
            Disposition::Skipped,
            target.to_string_lossy(),
            "不是普通文件（管道、套接字或设备）/ not a regular file (a pipe, socket or device)",
        ));
    }
    let mut inputs = Vec::new();
    for abs in files {
        let rel = abs.to_string_lossy().replace('\\', "/");
        let name = abs
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if crate::contract::materials::is_template_name(&name) {
            report.templates.push((abs, rel));
            continue;
        }
        if let Some(reason) = ingest::not_a_submission(&name) {
            report
                .problems
                .push(Problem::of_file(Disposition::Skipped, rel, reason));
            continue;
        }
        let placed = place_of(&abs);
        inputs.push(InputFile {
            abs,
            rel,
            folder: placed.map_or(FolderKind::Companies, |(f, _)| f),
            year: placed.and_then(|(_, y)| y),
            // `check` loads nothing, so no stat cache to fill.
            stat: None,
            folder_from_sheets: placed.is_none(),
        });
    }
    read_all(inputs, reading, report)
}

/// What the readers made of each file, gathered per file.
#[derive(Default)]
struct Read {
    problems: Vec<Problem>,
    annual: Vec<ingest::Record>,
    summary: Option<ingest::FileSummary>,
}

/// Read the files (in worker processes, like `run`) and add what each
/// holds to the report, in path order.
fn read_all(files: Vec<InputFile>, reading: &ingest::Reading, report: &mut CheckReport) -> Result<()> {
    let refs: Vec<&InputFile> = files.iter().collect();
    let index: HashMap<&str, usize> = files
        .iter()
        .enumerate()
        .map(|(i, f)| (f.rel.as_str(), i))
        .collect();
    let mut read: Vec<Read> = files.iter().map(|_| Read::default()).collect();
    let of = |path: &str| {
        index
            .get(path)
            .copied()
            .with_context(|| format!("rows of an unknown file {path}"))
    };
    ingest::ingest(&refs, reading, |event| {
        match event {
            Event::Batch(b) => match b.table {
                Table::Problems => {
                    for p in ingest::batch::problems_of(&b.rows)? {
                        read[of(&p.path)?].problems.push(p);
                    }
                }
                Table::Sheet(SheetKind::CompanyAnnual) => {
                    for (path, rec) in ingest::batch::records_of(SheetKind::CompanyAnnual, &b.rows)? {
                        read[of(&path)?].annual.push(rec);
                    }
                }
                Table::Sheet(SheetKind::Ledger) => {
                    report
                        .facts
                        .extend(ingest::batch::records_of(SheetKind::Ledger, &b.rows)?);
                }
                Table::Sheet(_) => {}
            },
            Event::Withdraw { file, sheet } => read[file]
                .annual
                .retain(|r| sheet.as_deref().is_some_and(|s| s != r.sheet)),
            Event::Void { files } => {
                for f in files {
                    read[f] = Read::default();
                }
            }
            Event::Done { file, summary } => read[file].summary = Some(summary),
            Event::Failed { file, message } => anyhow::bail!("cannot check {}: {message}", files[file].rel),
        }
        Ok(())
    })?;
    for r in read {
        let summary = r.summary.context("a file the readers did not report")?;
        let file = &summary.file;
        report.sources.insert(file.rel.clone(), file.abs.clone());
        report.files_checked += 1;
        report.rows_accepted += summary.accepted_rows();
        report.problems.extend(r.problems);
        report
            .annual
            .extend(r.annual.into_iter().map(|rec| (file.rel.clone(), file.year, rec)));
    }
    Ok(())
}

/// Flag values that moved ×1,000 or more against what the warehouse holds
/// for the company's previous year (the typical 元/万元 slip). Needs a
/// warehouse from an earlier run; without one (or while a run holds it)
/// there is nothing to compare and nothing is flagged.
fn flag_against_previous_year(db: &Path, report: &mut CheckReport) {
    if report.annual.is_empty() || !db.exists() {
        return;
    }
    match previous_year_flags(db, &report.annual) {
        Ok(flags) => report.problems.extend(flags),
        Err(e) => tracing::warn!(db = %db.display(), error = %format!("{e:#}"), "no year-over-year flags"),
    }
}

/// The checked 年度数据 values against the warehouse's previous year, by the
/// warehouse's own ×1,000 rule (`moved_thousandfold`, 70_anomalies.sql): the
/// values go into a temporary table and one query flags them all.
fn previous_year_flags(db: &Path, annual: &[(String, Option<i32>, ingest::Record)]) -> Result<Vec<Problem>> {
    let conn = crate::load::open_read_only(db)?;
    conn.execute_batch(
        "CREATE TEMP TABLE checked (rec BIGINT, col INTEGER, year INTEGER, credit_code VARCHAR,
                                    field VARCHAR, value DECIMAL(38,6));",
    )?;
    let fields = SheetKind::CompanyAnnual.columns();
    {
        let mut insert = conn.appender_to_catalog_and_db("checked", "temp", "main")?;
        for (r, (_, year, rec)) in annual.iter().enumerate() {
            let (Some(year), Some(ingest::Value::Text(code))) = (year, &rec.values[0]) else {
                continue;
            };
            for (i, col) in fields.iter().enumerate() {
                let value = match &rec.values[i] {
                    Some(ingest::Value::Money(m)) => m.yuan,
                    Some(ingest::Value::Int(n)) => rust_decimal::Decimal::from(*n),
                    _ => continue,
                };
                insert.append_row(duckdb::params![r as i64, i as i32, year, code, col.field, value])?;
            }
        }
        insert.flush()?;
    }
    let mut stmt = conn.prepare(
        "SELECT c.rec, c.col, CAST(c.value AS VARCHAR), CAST(p.value AS VARCHAR)
         FROM checked c
         JOIN company_values p
           ON p.year = c.year - 1 AND p.credit_code = c.credit_code AND p.field = c.field
         WHERE moved_thousandfold(c.value, p.value)
         ORDER BY c.rec, c.col",
    )?;
    let hits = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i32>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
            ))
        })?
        .collect::<duckdb::Result<Vec<_>>>()?;
    let decimal = |s: &str| s.parse::<rust_decimal::Decimal>().unwrap_or_default().normalize();
    Ok(hits
        .into_iter()
        .map(|(r, i, current, prev)| {
            let (path, year, rec) = &annual[r as usize];
            let (col, i) = (&fields[i as usize], i as usize);
            let cell = rec.cells.iter().find(|c| c.field == col.field);
            let value = rec.values[i].as_ref();
            let prev = decimal(&prev);
            Problem {
                level: Disposition::Flag,
                path: path.clone(),
                sheet: rec.sheet.clone(),
                cell: cell.map(|c| rec.cell_of(c)).unwrap_or_default(),
                raw: cell
                    .and_then(|c| c.raw.clone().or_else(|| value.map(|v| v.display())))
                    .unwrap_or_default(),
                reason: format!(
                    "{}：{} 元，上年 {} 元，变化超过 1000 倍（元/万元填错？）/ moved ×1000 or more against {} ({prev})",
                    col.label,
                    decimal(&current),
                    prev,
                    year.unwrap_or_default() - 1
                ),
                code: String::new(),
                subject: String::new(),
            }
        })
        .collect())
}

fn looks_like_inputs_root(dir: &Path) -> bool {
    dir.join("reference").is_dir()
        || std::fs::read_dir(dir).is_ok_and(|entries| {
            entries.flatten().any(|e| {
                let n = e.file_name().to_string_lossy().into_owned();
                crate::contract::schema::year_folder(&n).is_some() && e.path().is_dir()
            })
        })
}

/// A file checked on its own: its folder names its kind and year when it
/// sits in an inputs tree; otherwise (`None`) the reader tells the kind by
/// the sheet names and the year is unknown (dates are then not held to a
/// reporting year).
fn place_of(abs: &Path) -> Option<(FolderKind, Option<i32>)> {
    let parts: Vec<String> = abs
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    for (i, part) in parts.iter().enumerate() {
        let year = i
            .checked_sub(1)
            .and_then(|j| parts.get(j))
            .and_then(|y| crate::contract::schema::year_folder(y));
        match part.as_str() {
            "companies" => return Some((FolderKind::Companies, year)),
            "committees" => return Some((FolderKind::Committees, year)),
            "reference" => return Some((FolderKind::Reference, None)),
            _ => {}
        }
    }
    None
}

/// Every problem with its level, file, sheet, cell, raw text and reason.
fn problem_rows(header: &[&str], problems: &[Problem]) -> Rows {
    let mut rows = Rows::new(header);
    for p in problems {
        rows.push(vec![
            p.level.label().to_string(),
            p.path.clone(),
            p.sheet.clone(),
            p.cell.clone(),
            p.raw.clone(),
            p.reason.clone(),
        ]);
    }
    rows
}

fn write_table(out: &mut impl Write, report: &CheckReport) -> Result<()> {
    if report.problems.is_empty() {
        writeln!(
            out,
            "{} file(s) checked, {} row(s) accepted, no problems.",
            report.files_checked, report.rows_accepted
        )?;
        return Ok(());
    }
    let header = [
        "级别 LEVEL",
        "文件 FILE",
        "工作表 SHEET",
        "单元格 CELL",
        "原文 RAW",
        "原因 REASON",
    ];
    problem_rows(&header, &report.problems).write_tabs(out)?;
    let rejected = report.problems.iter().filter(|p| p.level.rejects()).count();
    writeln!(
        out,
        "{} file(s) checked, {} row(s) accepted, {} problem(s) that reject input, {} note(s)/skipped file(s).",
        report.files_checked,
        report.rows_accepted,
        rejected,
        report.problems.len() - rejected
    )?;
    Ok(())
}
