//! `chamberstat materials [--year Y] [TEMPLATE…]`: render the templates from
//! the warehouse the last run left, without a load, so the secretariat can
//! try a new wording during the day; and the template check `check` runs on
//! a template before the night.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use minijinja::value::Value;

use super::common::Outcome;
use crate::config::Config;
use crate::contract::materials::TemplateFile;
use crate::contract::metrics::Headline;
use crate::emit::materials::{self, names, render_all, template_at, Outputs, FOLDER};
use crate::ingest::{Disposition, Problem};

/// The templates named, or every one under `inputs/materials/`.
fn templates_of(config: &Config, paths: &[PathBuf]) -> Result<Vec<TemplateFile>> {
    if paths.is_empty() {
        return Ok(crate::ingest::discover(&config.inputs)?.templates);
    }
    Ok(paths.iter().map(|p| template_at(p)).collect())
}

/// The names of `year` from an open warehouse.
fn warehouse_names(conn: &duckdb::Connection, year: Option<i32>) -> Result<(i32, BTreeMap<String, Value>)> {
    let years = crate::aggregate::years(conn)?;
    let year = super::common::pick_year(year, &years)?;
    let history = years
        .iter()
        .filter(|y| **y <= year)
        .map(|y| crate::aggregate::headline(conn, *y))
        .collect::<Result<Vec<Headline>>>()?;
    Ok((year, names::names_map(conn, year, &history)?))
}

pub fn materials(config: &Config, year: Option<i32>, paths: &[PathBuf]) -> Result<Outcome> {
    let conn = crate::load::open_read_only(&config.db)?;
    let (year, names) = warehouse_names(&conn, year)?;
    let templates = templates_of(config, paths)?;
    anyhow::ensure!(
        !templates.is_empty(),
        "no template to render: put .docx or .md templates in {}",
        config.inputs.join(FOLDER).display()
    );
    let out = render_all(&templates, &Value::from(names))?;
    let dir = config.year_dir(year);
    for (name, bytes) in &out.files {
        crate::util::fs::write_atomic(&dir.join(name), bytes)?;
    }
    tracing::info!(year, files = out.files.len(), dir = %dir.display(), "materials rendered");
    report(&out)
}

/// Print the templates' problems (stdout, one per line); exit 1 if any.
fn report(out: &Outputs) -> Result<Outcome> {
    let mut stdout = std::io::stdout().lock();
    for p in &out.problems {
        writeln!(stdout, "{}\t{}\t{}\t{}", p.path, p.sheet, p.raw, p.reason)?;
    }
    Ok(if out.problems.is_empty() {
        Outcome::Done
    } else {
        Outcome::Problems
    })
}

/// What `check` says of templates: each one's problems, rendered against
/// the warehouse's latest year when there is a warehouse (its figures and
/// 工作台账 facts), else against the metrics alone (as zero), with a note;
/// the 工作台账 rows `check` read itself (`facts`, of `year`) count too.
pub fn check(
    db: &Path,
    templates: &[(PathBuf, String)],
    facts: &[(String, crate::ingest::Record)],
    year: Option<i32>,
) -> Result<Vec<Problem>> {
    let mut problems = Vec::new();
    let (year, mut names) = match crate::load::open_read_only(db).and_then(|c| warehouse_names(&c, None)) {
        Ok(found) => found,
        Err(e) => {
            problems.push(Problem::of_file(
                Disposition::Note,
                templates.first().map(|(_, shown)| shown.clone()).unwrap_or_default(),
                format!("没有可用的仓库：指标按 0 核对，工作台账只认本次检查读到的 / no warehouse: figures are checked as 0 and only the 工作台账 rows read now are known ({e:#})"),
            ));
            let year = year.unwrap_or_else(|| chrono::Datelike::year(&chrono::Local::now()));
            (year, metrics_only(year))
        }
    };
    names::add_facts(&mut names, facts, year);
    let names = Value::from(names);
    let renderer = materials::Renderer::default();
    for (abs, shown) in templates {
        let t = TemplateFile {
            abs: abs.clone(),
            rel: shown.clone(),
            stat: None,
        };
        let bytes = std::fs::read(abs).with_context(|| format!("cannot read {}", abs.display()))?;
        match materials::render_template(&renderer, &t, &bytes, &names) {
            Ok(Ok(_)) => {}
            Ok(Err(errors)) => problems.extend(errors.into_iter().map(|e| materials::problem(&t, e))),
            Err(e) => problems.push(Problem::of_file(
                Disposition::RejectedFile,
                shown.clone(),
                format!("模板无法读取 / the template cannot be read: {e:#}"),
            )),
        }
    }
    Ok(problems)
}

/// The metrics (as zero) and the other names, without a warehouse.
fn metrics_only(year: i32) -> BTreeMap<String, Value> {
    let mut top = names::metric_figures(&Headline::zero(year));
    top.insert("year".into(), Value::from(year));
    top.insert("years".into(), Value::from(BTreeMap::<Value, Value>::new()));
    top.insert("银会合作".into(), Value::from(Vec::<Value>::new()));
    top.insert("区域合作".into(), Value::from(Vec::<Value>::new()));
    top
}
