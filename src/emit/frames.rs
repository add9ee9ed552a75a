//! The DataFrame layer of the emit stage: breakdown views of the warehouse
//! (`queries/80_breakdowns.sql`) read into polars DataFrames for
//! summary.xlsx, with exact decimal text kept beside them for the CSV twins.

use anyhow::{Context, Result};
use duckdb::Connection;
use polars::prelude::{Column, DataFrame};
use rust_decimal::Decimal;

use crate::contract::metrics::{self, Headline, Kind};
use crate::contract::schema::{COMMITTEES, TIERS};

/// The sheet of the submission status by committee (with its 合计 row).
pub const STATUS_BY_COMMITTEE: &str = "报送情况";
/// The sheet of every member's submission status.
pub const STATUS_BY_MEMBER: &str = "报送明细";

/// How one column is read and shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColKind {
    Text,
    /// A whole number.
    Int,
    /// An exact decimal shown with two decimals (元, 亿元, a percent); a
    /// whole value in such a column is shown without decimals.
    Decimal,
}

/// One breakdown: a sheet of summary.xlsx and a CSV beside it.
#[derive(Debug, Clone)]
pub struct Frame {
    /// Sheet name in summary.xlsx.
    pub sheet: &'static str,
    /// File name of the CSV twin.
    pub csv: &'static str,
    pub title: String,
    pub df: DataFrame,
    pub kinds: Vec<ColKind>,
    /// The same cells as exact text (decimals unrounded), for the CSV.
    pub text: Vec<Vec<String>>,
    /// A closing 合计 row, counted by the warehouse (`breakdown_totals`).
    pub total: Option<Vec<String>>,
    /// Lines printed under the table (the reporting base, units).
    pub notes: Vec<String>,
}

impl Frame {
    /// The position of the column headed `header`.
    pub fn column(&self, header: &str) -> Result<usize> {
        self.df
            .get_column_names()
            .iter()
            .position(|n| n.as_str() == header)
            .with_context(|| format!("the breakdown {} has no column {header}", self.sheet))
    }

    /// `rows` (of this frame) reduced to the columns headed `headers`, in
    /// that order, for printing.
    pub fn select<'r>(
        &self,
        headers: &[&str],
        rows: impl IntoIterator<Item = &'r Vec<String>>,
    ) -> Result<crate::util::print::Rows> {
        let at: Vec<usize> = headers.iter().map(|h| self.column(h)).collect::<Result<_>>()?;
        let mut out = crate::util::print::Rows::new(headers);
        for r in rows {
            out.push(at.iter().map(|c| r[*c].clone()).collect());
        }
        Ok(out)
    }

    /// Every row, keyed by the header (the breakdown as printed in JSON).
    pub fn objects(&self) -> Vec<serde_json::Map<String, serde_json::Value>> {
        let headers: Vec<&str> = self.df.get_column_names().iter().map(|n| n.as_str()).collect();
        crate::util::print::Rows {
            header: headers.iter().map(|h| h.to_string()).collect(),
            rows: self.text.clone(),
        }
        .objects()
    }
}

/// One column of a breakdown: (the view's column or a constant expression
/// over it, header, kind).
type Col = (&'static str, &'static str, ColKind);

/// One breakdown: which view of the warehouse it shows and how.
struct Spec {
    sheet: &'static str,
    csv: &'static str,
    title: &'static str,
    /// The view its rows come from (queries/80_breakdowns.sql,
    /// 90_status.sql) and their order there.
    view: &'static str,
    order_by: &'static str,
    columns: &'static [Col],
    /// The view holding each year's 合计 row and its columns, one per
    /// numeric column.
    total: Option<(&'static str, &'static [&'static str])>,
    /// Rows follow this order of the first column (the chamber's own order
    /// of committees or tiers); names outside it come last, by name.
    order: Option<&'static [&'static str]>,
}

impl Spec {
    /// The rows' query: identifiers from this table only, the year a
    /// parameter.
    fn sql(&self) -> String {
        let cols: Vec<&str> = self.columns.iter().map(|c| c.0).collect();
        format!(
            "SELECT {} FROM {} WHERE year = ? ORDER BY {}",
            cols.join(", "),
            self.view,
            self.order_by
        )
    }

    /// (header, kind) of each column, as a frame is built.
    fn headers(&self) -> Vec<(&'static str, ColKind)> {
        self.columns.iter().map(|c| (c.1, c.2)).collect()
    }

    fn total_sql(&self) -> Option<String> {
        self.total
            .map(|(view, cols)| format!("SELECT {} FROM {view} WHERE year = ?", cols.join(", ")))
    }
}

use ColKind::{Decimal as Dec, Int, Text};

const BY_COMMITTEE: [Col; 8] = [
    ("committee", "专委会", Text),
    ("members", "会员企业(家)", Int),
    ("reporting", "报送企业(家)", Int),
    ("profit_tax", "利税总额(元)", Dec),
    ("jobs", "从业人数(人)", Int),
    ("donations", "公益捐赠(元)", Dec),
    ("financing_facilitated", "促成金融支持(元)", Dec),
    ("events", "活动(场)", Int),
];
const BY_TIER: [Col; 7] = [
    ("tier", "会员级别", Text),
    ("members", "会员企业(家)", Int),
    ("reporting", "报送企业(家)", Int),
    ("profit_tax", "利税总额(元)", Dec),
    ("jobs", "从业人数(人)", Int),
    ("donations", "公益捐赠(元)", Dec),
    ("party_org", "有党组织(家)", Int),
];
const BY_INSTITUTION: [Col; 4] = [
    ("institution", "金融机构", Text),
    ("rows", "笔数", Int),
    ("companies", "企业(家)", Int),
    ("amount", "金额(元)", Dec),
];
const EVENTS: [Col; 4] = [
    ("committee", "专委会", Text),
    ("kind", "活动类型", Text),
    ("events", "活动(场)", Int),
    ("participants", "参与人次", Int),
];
const QUALITY: [Col; 3] = [
    ("item", "项目", Text),
    ("count", "数量", Int),
    ("listed_in", "明细", Text),
];
const STATUS: [Col; 5] = [
    ("committee", "专委会", Text),
    ("members", "会员企业(家)", Int),
    ("submitted", "已报送(家)", Int),
    ("missing", "未报送(家)", Int),
    ("rows_rejected", "被退回的数据行", Int),
];
const STATUS_LIST: [Col; 9] = [
    ("credit_code", "统一社会信用代码", Text),
    ("name", "企业名称", Text),
    ("tier", "会员级别", Text),
    ("committee", "所属专委会", Text),
    (
        "CASE WHEN submitted THEN '已报送' ELSE '未报送' END",
        "报送状态",
        Text,
    ),
    ("winning_path", "采用的文件", Text),
    ("CAST(reported_on AS VARCHAR)", "填报日期", Text),
    ("superseded", "被替代的文件", Text),
    ("rows_rejected", "被退回的数据行", Int),
];

const TOTALS: &str = "breakdown_totals";

#[rustfmt::skip]
const SPECS: [Spec; 7] = [
    Spec { sheet: "分专委会", csv: "breakdown_by_committee.csv", title: "分专委会统计", view: "breakdown_by_committee", order_by: "committee", columns: &BY_COMMITTEE, total: Some((TOTALS, &["members", "reporting", "profit_tax", "jobs", "donations", "financing_amount", "events"])), order: Some(&COMMITTEES) },
    Spec { sheet: "分会员级别", csv: "breakdown_by_tier.csv", title: "分会员级别统计", view: "breakdown_by_tier", order_by: "tier", columns: &BY_TIER, total: Some((TOTALS, &["members", "reporting", "profit_tax", "jobs", "donations", "party_org"])), order: Some(&TIERS) },
    Spec { sheet: "金融支持按机构", csv: "financing_by_institution.csv", title: "经商会促成的金融支持（按金融机构）", view: "breakdown_financing_by_institution", order_by: "amount DESC, institution", columns: &BY_INSTITUTION, total: Some((TOTALS, &["financing_rows", "financed_companies", "financing_amount"])), order: None },
    Spec { sheet: "活动统计", csv: "events_by_committee_and_type.csv", title: "活动统计（按专委会和活动类型）", view: "breakdown_events", order_by: "committee, kind", columns: &EVENTS, total: Some((TOTALS, &["events", "participants"])), order: Some(&COMMITTEES) },
    Spec { sheet: "数据质量", csv: "data_quality.csv", title: "数据质量（明细见 rejects.xlsx、anomalies.csv）", view: "data_quality", order_by: "ord", columns: &QUALITY, total: None, order: None },
    Spec { sheet: STATUS_BY_COMMITTEE, csv: "submission_status_by_committee.csv", title: "报送情况（按专委会）", view: "submission_status_by_committee", order_by: "committee", columns: &STATUS, total: Some(("submission_status_total", &["members", "submitted", "missing", "rows_rejected"])), order: Some(&COMMITTEES) },
    Spec { sheet: STATUS_BY_MEMBER, csv: "submission_status.csv", title: "报送明细（未报送在前）", view: "submission_status", order_by: "submitted, committee, credit_code", columns: &STATUS_LIST, total: None, order: None },
];

fn decimal_f64(d: Decimal) -> f64 {
    // Shortest text → double: exact for the ≤15 significant digits money has.
    d.normalize().to_string().parse().unwrap_or_default()
}

fn build(
    sheet: &'static str,
    csv: &'static str,
    title: String,
    columns: &[(&str, ColKind)],
    cells: Vec<Vec<Cell>>,
    total: Option<Vec<Cell>>,
) -> Result<Frame> {
    let mut df_cols = Vec::new();
    for (i, (name, kind)) in columns.iter().enumerate() {
        let col = match kind {
            Text => Column::new(
                (*name).into(),
                cells.iter().map(|r| r[i].text()).collect::<Vec<String>>(),
            ),
            Int => Column::new(
                (*name).into(),
                cells.iter().map(|r| r[i].int()).collect::<Vec<i64>>(),
            ),
            Dec => Column::new(
                (*name).into(),
                cells
                    .iter()
                    .map(|r| (!matches!(r[i], Cell::Null)).then(|| decimal_f64(r[i].dec())))
                    .collect::<Vec<Option<f64>>>(),
            ),
        };
        df_cols.push(col);
    }
    let df = DataFrame::new_infer_height(df_cols).context("cannot build a breakdown frame")?;
    let text: Vec<Vec<String>> = cells
        .iter()
        .map(|r| r.iter().map(Cell::exact).collect())
        .collect();
    let total = total.map(|numbers| {
        let mut numbers = numbers.into_iter();
        columns
            .iter()
            .enumerate()
            .map(|(i, (_, kind))| match kind {
                Text if i == 0 => "合计".to_string(),
                Text => String::new(),
                _ => numbers.next().map(|c| c.exact()).unwrap_or_default(),
            })
            .collect()
    });
    Ok(Frame {
        sheet,
        csv,
        title,
        df,
        kinds: columns.iter().map(|c| c.1).collect(),
        text,
        total,
        notes: Vec::new(),
    })
}

#[derive(Debug, Clone)]
enum Cell {
    Text(String),
    Int(i64),
    Dec(Decimal),
    /// No value (an empty cell).
    Null,
}

impl Cell {
    fn text(&self) -> String {
        match self {
            Cell::Text(s) => s.clone(),
            other => other.exact(),
        }
    }
    fn int(&self) -> i64 {
        match self {
            Cell::Int(i) => *i,
            _ => 0,
        }
    }
    fn dec(&self) -> Decimal {
        match self {
            Cell::Dec(d) => *d,
            Cell::Int(i) => Decimal::from(*i),
            Cell::Text(_) | Cell::Null => Decimal::ZERO,
        }
    }
    fn exact(&self) -> String {
        match self {
            Cell::Text(s) => s.clone(),
            Cell::Int(i) => i.to_string(),
            Cell::Dec(d) => metrics::fixed(*d, 2),
            Cell::Null => String::new(),
        }
    }
}

fn read_cell(r: &duckdb::Row<'_>, i: usize, kind: ColKind) -> duckdb::Result<Cell> {
    Ok(match kind {
        Text => Cell::Text(r.get::<_, Option<String>>(i)?.unwrap_or_default()),
        Int => Cell::Int(r.get::<_, Option<i64>>(i)?.unwrap_or_default()),
        Dec => Cell::Dec(r.get::<_, Option<Decimal>>(i)?.unwrap_or_default()),
    })
}

/// A breakdown's rows, and its 合计 numbers when it has a total.
type Rows = (Vec<Vec<Cell>>, Option<Vec<Cell>>);

/// The rows of one breakdown and its 合计 numbers.
fn query(conn: &Connection, spec: &Spec, year: i32) -> Result<Rows> {
    let _s = tracing::debug_span!("breakdown", sheet = spec.sheet).entered();
    let mut stmt = conn
        .prepare(&spec.sql())
        .with_context(|| format!("breakdown query for {} failed", spec.sheet))?;
    let rows = stmt.query_map([year], |r| {
        spec.columns
            .iter()
            .enumerate()
            .map(|(i, (_, _, kind))| read_cell(r, i, *kind))
            .collect::<duckdb::Result<Vec<Cell>>>()
    })?;
    let mut cells = rows.collect::<duckdb::Result<Vec<_>>>()?;
    if let Some(order) = spec.order {
        // Stable: rows of one group keep the query's order.
        cells.sort_by_key(|r| {
            let name = r[0].text();
            (order.iter().position(|o| *o == name).unwrap_or(order.len()), name)
        });
    }
    let total = match spec.total_sql() {
        None => None,
        Some(sql) => {
            let numeric: Vec<ColKind> = spec.columns.iter().map(|c| c.2).filter(|k| *k != Text).collect();
            let row = conn
                .query_row(&sql, [year], |r| {
                    numeric
                        .iter()
                        .enumerate()
                        .map(|(i, kind)| read_cell(r, i, *kind))
                        .collect::<duckdb::Result<Vec<Cell>>>()
                })
                .with_context(|| format!("total of {} failed", spec.sheet))?;
            Some(row)
        }
    };
    Ok((cells, total))
}

/// One breakdown by its sheet name (`报送情况`, `报送明细`, …), for the
/// commands that print one from the warehouse.
pub fn breakdown(conn: &Connection, sheet: &str, year: i32) -> Result<Frame> {
    let spec = SPECS
        .iter()
        .find(|s| s.sheet == sheet)
        .with_context(|| format!("no breakdown named {sheet}"))?;
    let (cells, total) = query(conn, spec, year)?;
    build(
        spec.sheet,
        spec.csv,
        format!("{} {}年", spec.title, year),
        &spec.headers(),
        cells,
        total,
    )
}

/// Every breakdown of `year`, in sheet order, plus 总览 and 同比 first.
pub fn frames(conn: &Connection, headline: &Headline, years: &[Headline]) -> Result<Vec<Frame>> {
    let mut out = vec![overview(headline)?, year_over_year(years)?];
    for spec in &SPECS {
        let (cells, total) = query(conn, spec, headline.year)?;
        let mut frame = build(
            spec.sheet,
            spec.csv,
            format!("{} {}年", spec.title, headline.year),
            &spec.headers(),
            cells,
            total,
        )?;
        if spec.sheet == STATUS_BY_COMMITTEE {
            frame.notes.push(format!("注：{}。", submission_rate(headline)));
        }
        out.push(frame);
    }
    Ok(out)
}

/// `报送率 90.91%（220/242 家）`: reporting members over members, half away
/// from zero to two decimals, as headline.md, summary.xlsx and
/// `check --status` print it.
pub fn submission_rate(h: &Headline) -> String {
    rate_line(
        h.get("reporting_companies").unwrap_or_default(),
        h.get("member_companies").unwrap_or_default(),
    )
}

/// `报送率 X%（n/m 家）` from its two counts. The rate is a note beside the
/// published counts, not a headline figure: no engine but this one writes
/// it, so it is made here (0 with no members).
pub fn rate_line(n: Decimal, m: Decimal) -> String {
    let rate = if m.is_zero() {
        Decimal::ZERO
    } else {
        n * Decimal::ONE_HUNDRED / m
    };
    format!(
        "报送率 {}%（{}/{} 家）",
        metrics::fixed(rate, 2),
        metrics::fixed(n, 0),
        metrics::fixed(m, 0)
    )
}

fn value_cell(kind: Kind, v: Decimal) -> Cell {
    match kind {
        Kind::Count => Cell::Int(v.round().try_into().unwrap_or_default()),
        _ => Cell::Dec(v),
    }
}

/// The reporting base every company total is over, for a note line.
pub fn reporting_base(h: &Headline) -> String {
    let n = |id: &str| metrics::fixed(h.get(id).unwrap_or_default(), 0);
    format!(
        "注：营业收入、利税、纳税、就业、捐赠、党员人数为 {} 家报送企业的合计（会员企业 {} 家）；金额折合为亿元、人数折合为万，四舍五入保留两位小数。",
        n("reporting_companies"),
        n("member_companies")
    )
}

/// A scaled figure as a cell: whole numbers stay whole.
fn display_cell(m: &metrics::Metric, v: Decimal) -> Cell {
    match metrics::scaled(m, v) {
        Some((scaled, _)) => Cell::Dec(scaled),
        None => value_cell(m.kind, v),
    }
}

/// 总览: the headline, one metric a row: the exact figure with its unit,
/// then the figure as the materials print it, with that unit.
fn overview(h: &Headline) -> Result<Frame> {
    let cells = h
        .values
        .iter()
        .map(|p| {
            let (m, v) = (p.metric, &p.value);
            let (scaled, unit) = match metrics::scaled(m, *v) {
                Some((s, unit)) => (Cell::Dec(s), unit),
                None => (Cell::Null, ""),
            };
            vec![
                Cell::Text(m.label.into()),
                value_cell(m.kind, *v),
                Cell::Text(m.display_unit().into()),
                scaled,
                Cell::Text(unit.into()),
                Cell::Text(m.id.into()),
            ]
        })
        .collect();
    let mut frame = build(
        "总览",
        "headline_overview.csv",
        format!("{} 年度主要数据", h.year),
        &[
            ("指标", Text),
            ("数值", Dec),
            ("单位", Text),
            ("折合", Dec),
            ("折合单位", Text),
            ("指标代码", Text),
        ],
        cells,
        None,
    )?;
    frame.notes.push(reporting_base(h));
    Ok(frame)
}

/// 同比: every metric for each year in the warehouse, in the units the
/// materials print (亿元, 万个, 家 …), with the change against the previous
/// year in the same unit (a percentage's change in 个百分点) and the rate of
/// change.
fn year_over_year(years: &[Headline]) -> Result<Frame> {
    let mut columns: Vec<(String, ColKind)> = vec![("指标".into(), Text), ("单位".into(), Text)];
    for h in years {
        columns.push((format!("{}", h.year), Dec));
    }
    columns.push(("变化".into(), Dec));
    columns.push(("变化单位".into(), Text));
    columns.push(("变化率(%)".into(), Dec));
    columns.push(("指标代码".into(), Text));
    let cells: Vec<Vec<Cell>> = metrics::METRICS
        .iter()
        .map(|m| {
            let unit = metrics::scaled(m, Decimal::ZERO).map_or(m.display_unit(), |(_, u)| u);
            let mut row = vec![Cell::Text(m.label.into()), Cell::Text(unit.into())];
            let vals: Vec<Cell> = years
                .iter()
                .map(|h| display_cell(m, h.get(m.id).unwrap_or_default()))
                .collect();
            let (change, rate) = match vals.as_slice() {
                [.., prev, last] => {
                    let (p, l) = (prev.dec(), last.dec());
                    let change = match (prev, last) {
                        (Cell::Int(a), Cell::Int(b)) => Cell::Int(b - a),
                        _ => Cell::Dec(l - p),
                    };
                    // A percentage changes in points; its rate says nothing.
                    let rate =
                        if m.kind == Kind::Percent || p.is_zero() {
                            Cell::Null
                        } else {
                            Cell::Dec(((l - p) * Decimal::ONE_HUNDRED / p).round_dp_with_strategy(
                                2,
                                rust_decimal::RoundingStrategy::MidpointAwayFromZero,
                            ))
                        };
                    (change, rate)
                }
                _ => (Cell::Null, Cell::Null),
            };
            row.extend(vals);
            row.push(change);
            row.push(Cell::Text(
                if m.kind == Kind::Percent {
                    "个百分点"
                } else {
                    unit
                }
                .into(),
            ));
            row.push(rate);
            row.push(Cell::Text(m.id.into()));
            row
        })
        .collect();
    let cols: Vec<(&str, ColKind)> = columns.iter().map(|(n, k)| (n.as_str(), *k)).collect();
    let mut frame = build(
        "同比",
        "year_over_year.csv",
        "同比（各年度全部指标）".into(),
        &cols,
        cells,
        None,
    )?;
    if let Some(last) = years.last() {
        frame.notes.push(reporting_base(last));
    }
    Ok(frame)
}
