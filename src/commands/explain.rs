//! The `explain` command: the lineage of one headline figure, read from the
//! warehouse's `lineage` view (`queries/60_lineage.sql`). One line per
//! contributing input cell and a total line equal to the figure in
//! headline.csv.

use std::io::Write;

use anyhow::{Context, Result};
use duckdb::Connection;
use rust_decimal::Decimal;
use serde::Serialize;

use super::common::Outcome;
use crate::aggregate;
use crate::config::Config;
use crate::contract::metrics;
use crate::util::print::{write_json, Format, Rows};

#[derive(Debug, Clone, Serialize)]
pub struct LineageRow {
    pub role: String,
    pub credit_code: Option<String>,
    pub subject: Option<String>,
    pub path: String,
    pub sheet: String,
    pub cell: String,
    pub raw: String,
    pub unit: Option<String>,
    pub normalized: String,
    pub value: Decimal,
}

#[derive(Debug, Clone, Serialize)]
pub struct Explanation {
    pub metric: String,
    /// What the figure is (the metric's label, the fact's 指标名称).
    #[serde(skip)]
    pub label: String,
    pub year: i32,
    pub unit: String,
    pub rows: Vec<LineageRow>,
    /// The figure as headline.csv publishes it: the rows with role
    /// `figure` summed (for a percent: numerator / denominator × 100),
    /// rounded by the contract.
    pub total: String,
}

/// Read the lineage of `metric` for `year` from an open warehouse.
pub fn lineage(conn: &Connection, metric: &metrics::Metric, year: i32) -> Result<Explanation> {
    let mut stmt = conn.prepare(
        "SELECT role, credit_code, subject, path, sheet, cell, raw, unit, normalized, value
         FROM lineage WHERE metric = ? AND year = ?
         ORDER BY role DESC, path, sheet, row_no, cell",
    )?;
    let rows = stmt
        .query_map(duckdb::params![metric.id, year], |r| {
            Ok(LineageRow {
                role: r.get(0)?,
                credit_code: r.get(1)?,
                subject: r.get(2)?,
                path: r.get(3)?,
                sheet: r.get(4)?,
                cell: r.get(5)?,
                raw: r.get(6)?,
                unit: r.get(7)?,
                normalized: r.get::<_, Option<String>>(8)?.unwrap_or_default(),
                value: r.get(9)?,
            })
        })?
        .collect::<duckdb::Result<Vec<_>>>()?;
    // The total is the figure as published: the same rows summed by the
    // query files, rounded in 55_headline.sql, never a sum made here.
    let total: String = conn
        .query_row(
            "SELECT value FROM headline_values WHERE metric = ? AND year = ?",
            duckdb::params![metric.id, year],
            |r| r.get(0),
        )
        .with_context(|| format!("cannot read {} for {year} from headline_values", metric.id))?;
    Ok(Explanation {
        metric: metric.id.to_string(),
        label: metric.label.to_string(),
        year,
        unit: metric.unit.to_string(),
        total,
        rows,
    })
}

/// The cell behind a 工作台账 fact for `year` (`None`: no such fact).
pub fn fact(conn: &Connection, code: &str, year: i32) -> Result<Option<Explanation>> {
    let mut stmt = conn.prepare(
        "SELECT coalesce(f.label, ''), f.path, f.sheet, f.row_no, f.col_value, s.raw, f.value, coalesce(f.unit, '')
         FROM ledger_for(?) f
         LEFT JOIN source_cells s
           ON s.path = f.path AND s.sheet = f.sheet AND s.row_no = f.row_no AND s.field = 'value'
         WHERE f.code = ?",
    )?;
    let found = stmt
        .query_map(duckdb::params![year, code], |r| {
            let row: i32 = r.get(3)?;
            let col: Option<i32> = r.get(4)?;
            let value: Decimal = r.get(6)?;
            Ok((
                r.get::<_, String>(0)?,
                LineageRow {
                    role: "fact".into(),
                    credit_code: None,
                    subject: None,
                    path: r.get(1)?,
                    sheet: r.get(2)?,
                    cell: col.map_or_else(String::new, |c| {
                        crate::ingest::rows::a1((row - 1) as u32, c as u32)
                    }),
                    raw: r.get::<_, Option<String>>(5)?.unwrap_or_default(),
                    unit: None,
                    normalized: crate::emit::materials::phrase::plain(value),
                    value,
                },
                r.get::<_, String>(7)?,
            ))
        })?
        .collect::<duckdb::Result<Vec<_>>>()?;
    Ok(found.into_iter().next().map(|(label, row, unit)| Explanation {
        metric: code.to_string(),
        label,
        year,
        unit,
        total: row.normalized.clone(),
        rows: vec![row],
    }))
}

/// The 工作台账 codes known for `year`, for an error message.
fn fact_codes(conn: &Connection, year: i32) -> Result<Vec<String>> {
    let mut stmt = conn.prepare("SELECT code FROM ledger_for(?) ORDER BY code")?;
    let codes = stmt.query_map([year], |r| r.get(0))?;
    Ok(codes.collect::<duckdb::Result<_>>()?)
}

pub fn explain(config: &Config, name: &str, year: Option<i32>, format: Format) -> Result<Outcome> {
    let conn = match (crate::load::open_read_only(&config.db), metrics::find(name)) {
        (Ok(conn), _) => conn,
        (Err(e), Some(_)) => return Err(e),
        (Err(e), None) => anyhow::bail!(
            "'{name}' is not a metric id ({}) and there is no warehouse to look it up as a 工作台账 code: {e:#}",
            metrics::ids().join(", ")
        ),
    };
    let years = aggregate::years(&conn)?;
    let year = super::common::pick_year(year, &years)?;
    let e = match metrics::find(name) {
        Some(metric) => lineage(&conn, metric, year)?,
        None => fact(&conn, name, year)?.ok_or_else(|| {
            anyhow::anyhow!(
                "unknown metric or 工作台账 code '{name}'; metric ids: {}; 工作台账 codes for {year}: {}",
                metrics::ids().join(", "),
                fact_codes(&conn, year).map(|c| c.join(", ")).unwrap_or_default()
            )
        })?,
    };
    print(&e, format, &mut std::io::stdout().lock())?;
    Ok(Outcome::Done)
}

/// The columns of the CSV listing, as `LineageRow` names them.
const CSV_COLUMNS: [&str; 10] = [
    "role",
    "credit_code",
    "subject",
    "path",
    "sheet",
    "cell",
    "raw",
    "unit",
    "normalized",
    "value",
];

/// An explanation as a person or a script reads it.
fn print(e: &Explanation, format: Format, out: &mut impl Write) -> Result<()> {
    match format {
        Format::Json => write_json(out, e),
        Format::Csv => {
            let mut rows = Rows::new(&CSV_COLUMNS);
            for r in &e.rows {
                rows.push(vec![
                    r.role.clone(),
                    r.credit_code.clone().unwrap_or_default(),
                    r.subject.clone().unwrap_or_default(),
                    r.path.clone(),
                    r.sheet.clone(),
                    r.cell.clone(),
                    r.raw.clone(),
                    r.unit.clone().unwrap_or_default(),
                    r.normalized.clone(),
                    r.value.normalize().to_string(),
                ]);
            }
            rows.push_named(&[("role", "total"), ("unit", &e.unit), ("value", &e.total)]);
            rows.write_csv(out)
        }
        Format::Table => {
            writeln!(
                out,
                "{} for {} ({}): {} line(s)",
                e.metric,
                e.year,
                e.label,
                e.rows.len()
            )?;
            let mut rows = Rows::new(&["ROLE", "CREDIT CODE", "SUBJECT", "SOURCE", "RAW", "UNIT", "VALUE"]);
            for r in &e.rows {
                rows.push(vec![
                    r.role.clone(),
                    r.credit_code.clone().unwrap_or_else(|| "-".into()),
                    r.subject.clone().unwrap_or_else(|| "-".into()),
                    format!("{}:{}!{}", r.path, r.sheet, r.cell),
                    r.raw.clone(),
                    r.unit.clone().unwrap_or_default(),
                    r.value.normalize().to_string(),
                ]);
            }
            rows.write_tabs(out)?;
            writeln!(out, "TOTAL\t{} {}", e.total, e.unit)?;
            Ok(())
        }
    }
}
