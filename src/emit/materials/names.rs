//! The names a template may use for year Y, read from the warehouse: every
//! headline metric, every 工作台账 fact, `year`, `years[X]` for each
//! earlier year with inputs, and the agreements (`银会合作`, `区域合作`)
//! signed by 31 Dec Y as rows keyed by their sheet's column names. Each
//! number is a [`Figure`] with the exact decimal and its source.

use std::collections::BTreeMap;

use anyhow::{Context, Result};
use duckdb::Connection;
use minijinja::value::Value;
use rust_decimal::Decimal;

use super::language::Figure;
use super::phrase;
use crate::contract::metrics::Headline;
use crate::contract::schema::SheetKind;
use crate::ingest::{batch::records_of, rows::a1, Value as Cell};

/// Names besides the figures, which a 工作台账 code may not take.
pub const RESERVED: [&str; 4] = ["year", "years", "银会合作", "区域合作"];

/// The metrics of one year as figures, by id.
pub fn metric_figures(h: &Headline) -> BTreeMap<String, Value> {
    h.values
        .iter()
        .map(|p| {
            let m = p.metric;
            let figure = Figure {
                name: m.id.to_string(),
                year: h.year,
                value: p.value,
                unit: m.unit.to_string(),
                shown: p.text.clone(),
                source: format!("chamberstat explain {} --year {}", m.id, h.year),
                metric: Some(m),
            };
            (m.id.to_string(), Value::from_object(figure))
        })
        .collect()
}

/// A 工作台账 fact for a year, with its cell.
#[derive(Debug, Clone, PartialEq)]
pub struct Fact {
    pub code: String,
    pub value: Decimal,
    pub unit: String,
    pub path: String,
    pub sheet: String,
    pub cell: String,
}

/// Every fact known for `year` (the row of the latest 年度 ≤ Y, else the
/// row without a 年度), by the warehouse's `ledger_for` (95_materials.sql).
pub fn facts(conn: &Connection, year: i32) -> Result<Vec<Fact>> {
    let mut stmt = conn
        .prepare("SELECT code, value, coalesce(unit, ''), path, sheet, row_no, col_value FROM ledger_for(?) ORDER BY code")
        .context("cannot read the 工作台账 facts (95_materials.sql)")?;
    let rows = stmt.query_map([year], |r| {
        let row: i32 = r.get(5)?;
        let col: Option<i32> = r.get(6)?;
        Ok(Fact {
            code: r.get(0)?,
            value: r.get(1)?,
            unit: r.get(2)?,
            path: r.get(3)?,
            sheet: r.get(4)?,
            cell: col.map_or_else(String::new, |c| a1((row - 1) as u32, c as u32)),
        })
    })?;
    Ok(rows.collect::<duckdb::Result<_>>()?)
}

fn fact_figure(f: &Fact, year: i32) -> Figure {
    Figure {
        name: f.code.clone(),
        year,
        value: f.value,
        unit: f.unit.clone(),
        shown: phrase::plain(f.value),
        source: format!("{}!{}!{}", f.path, f.sheet, f.cell),
        metric: None,
    }
}

/// The figures and facts of one year.
fn year_names(conn: &Connection, h: &Headline) -> Result<BTreeMap<String, Value>> {
    let mut names = metric_figures(h);
    for f in facts(conn, h.year)? {
        names.insert(f.code.clone(), Value::from_object(fact_figure(&f, h.year)));
    }
    Ok(names)
}

/// The agreements of a sheet kind signed by 31 Dec `year`, in 签约日期
/// order, each a row keyed by its column names; numbers as figures.
fn agreements(conn: &Connection, kind: SheetKind, year: i32) -> Result<Value> {
    let macro_name = match kind {
        SheetKind::BankAgreements => "bank_agreements_by",
        _ => "district_agreements_by",
    };
    let mut stmt = conn
        .prepare(&format!("SELECT * FROM {macro_name}(?)"))
        .with_context(|| format!("cannot read {} (95_materials.sql)", kind.sheet_name()))?;
    let mut rows = Vec::new();
    for batch in stmt.query_arrow([year])? {
        for (path, rec) in records_of(kind, &batch)? {
            let mut row = BTreeMap::new();
            for (c, value) in kind.columns().iter().zip(&rec.values) {
                let Some(value) = value else {
                    row.insert(c.label.to_string(), Value::from(()));
                    continue;
                };
                let cell = rec
                    .cells
                    .iter()
                    .find(|s| s.field == c.field)
                    .map(|s| rec.cell_of(s))
                    .unwrap_or_default();
                let number = |v: Decimal, unit: &str| {
                    Value::from_object(Figure {
                        name: format!("{}.{}", kind.sheet_name(), c.label),
                        year,
                        value: v,
                        unit: unit.to_string(),
                        shown: phrase::plain(v),
                        source: format!("{path}!{}!{cell}", rec.sheet),
                        metric: None,
                    })
                };
                let v = match value {
                    Cell::Money(m) => number(m.yuan, "元"),
                    Cell::Int(i) => number(Decimal::from(*i), ""),
                    Cell::Bool(b) => Value::from(*b),
                    Cell::Date(d) => Value::from(d.format("%Y-%m-%d").to_string()),
                    Cell::Text(t) => Value::from(t.as_str()),
                };
                row.insert(c.label.to_string(), v);
            }
            rows.push(Value::from(row));
        }
    }
    Ok(Value::from(rows))
}

/// Every name of year `year` (`history` holds the headline of each year up
/// to it; the earlier ones become `years[X]`).
pub fn names(conn: &Connection, year: i32, history: &[Headline]) -> Result<Value> {
    names_map(conn, year, history).map(Value::from)
}

/// [`names`] as a map, to add to.
pub fn names_map(conn: &Connection, year: i32, history: &[Headline]) -> Result<BTreeMap<String, Value>> {
    let current = history
        .iter()
        .find(|h| h.year == year)
        .with_context(|| format!("no figures for {year}"))?;
    let mut top = year_names(conn, current)?;
    let mut years: BTreeMap<Value, Value> = BTreeMap::new();
    for h in history.iter().filter(|h| h.year < year) {
        years.insert(Value::from(h.year), Value::from(year_names(conn, h)?));
    }
    top.insert("year".into(), Value::from(year));
    top.insert("years".into(), Value::from(years));
    top.insert(
        "银会合作".into(),
        agreements(conn, SheetKind::BankAgreements, year)?,
    );
    top.insert(
        "区域合作".into(),
        agreements(conn, SheetKind::DistrictAgreements, year)?,
    );
    Ok(top)
}

/// 工作台账 rows read by `check` (not yet in any warehouse) as facts of
/// `year`, by the warehouse's rule: per code the row of the latest 年度 ≤
/// `year`, else the one without a 年度; codes the names already hold stay.
pub fn add_facts(names: &mut BTreeMap<String, Value>, rows: &[(String, crate::ingest::Record)], year: i32) {
    let mut best: BTreeMap<String, (Option<i64>, Fact)> = BTreeMap::new();
    for (path, rec) in rows {
        let (Some(Cell::Text(code)), Some(Cell::Money(m))) = (&rec.values[0], &rec.values[3]) else {
            continue;
        };
        let fact_year = match &rec.values[2] {
            Some(Cell::Int(y)) if *y <= i64::from(year) => Some(*y),
            Some(Cell::Int(_)) => continue,
            _ => None,
        };
        let cell = rec
            .cells
            .iter()
            .find(|c| c.field == "value")
            .map(|c| rec.cell_of(c))
            .unwrap_or_default();
        let unit = match &rec.values[4] {
            Some(Cell::Text(u)) => u.clone(),
            _ => String::new(),
        };
        let fact = Fact {
            code: code.clone(),
            value: m.yuan,
            unit,
            path: path.clone(),
            sheet: rec.sheet.clone(),
            cell,
        };
        let newer = best
            .get(code)
            .is_none_or(|(y, _)| fact_year.is_some() && fact_year > *y);
        if newer {
            best.insert(code.clone(), (fact_year, fact));
        }
    }
    for (code, (_, fact)) in best {
        names
            .entry(code)
            .or_insert_with(|| Value::from_object(fact_figure(&fact, year)));
    }
}
