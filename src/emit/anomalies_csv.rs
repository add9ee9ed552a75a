//! `anomalies.csv`: company values that moved by a factor of 1,000 or more
//! against the company's previous year (view `anomalies`,
//! `queries/70_anomalies.sql`) — usually a 元/万元 slip. Flags for a person
//! to look at; the figures keep the submitted value.

use anyhow::Result;
use duckdb::Connection;

use super::exporter::{Context, Exporter, Rendered};
use crate::util::csv::people_csv;

pub const FILE_NAME: &str = "anomalies.csv";

#[derive(Debug, Clone, PartialEq)]
pub struct Anomaly {
    pub credit_code: String,
    pub name: String,
    pub field: String,
    pub previous_value: String,
    pub current_value: String,
    pub factor: f64,
    pub path: String,
    pub sheet: String,
    pub cell: String,
    pub raw: String,
    pub previous_path: String,
}

impl Anomaly {
    /// `×10000` or `÷10000`, to one decimal when not whole.
    pub fn factor_label(&self) -> String {
        let (sign, f) = if self.factor >= 1.0 {
            ("×", self.factor)
        } else {
            ("÷", 1.0 / self.factor)
        };
        let rounded = (f * 10.0).round() / 10.0;
        if rounded.fract() == 0.0 {
            format!("{sign}{rounded:.0}")
        } else {
            format!("{sign}{rounded:.1}")
        }
    }
}

/// Columns in Chinese for the secretariat; `field` keeps the warehouse
/// column name, which `explain` and the auditors' queries use.
pub fn render(rows: &[Anomaly]) -> Vec<u8> {
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|a| {
            vec![
                a.name.clone(),
                a.credit_code.clone(),
                a.path.clone(),
                a.sheet.clone(),
                a.cell.clone(),
                a.raw.clone(),
                a.field.clone(),
                a.previous_value.clone(),
                a.current_value.clone(),
                a.factor_label(),
                a.previous_path.clone(),
            ]
        })
        .collect();
    people_csv(
        &[
            "企业名称",
            "统一社会信用代码",
            "文件",
            "工作表",
            "单元格",
            "原始内容",
            "字段",
            "上年数值",
            "本年数值",
            "变化倍数",
            "上年文件",
        ],
        &rows,
    )
}

/// Year-over-year anomaly flags of a year (view `anomalies`).
pub fn fetch(conn: &Connection, year: i32) -> Result<Vec<Anomaly>> {
    let mut stmt = conn.prepare(
        "SELECT credit_code, name, field, CAST(previous_value AS VARCHAR), CAST(current_value AS VARCHAR), factor,
                path, sheet, coalesce(cell, ''), coalesce(raw, ''), previous_path
         FROM anomalies WHERE year = ? ORDER BY path, sheet, cell, field",
    )?;
    let rows = stmt
        .query_map([year], |r| {
            Ok(Anomaly {
                credit_code: r.get(0)?,
                name: r.get(1)?,
                field: r.get(2)?,
                previous_value: r.get(3)?,
                current_value: r.get(4)?,
                factor: r.get(5)?,
                path: r.get(6)?,
                sheet: r.get(7)?,
                cell: r.get(8)?,
                raw: r.get(9)?,
                previous_path: r.get(10)?,
            })
        })?
        .collect::<duckdb::Result<Vec<_>>>()?;
    if !rows.is_empty() {
        tracing::warn!(
            year,
            count = rows.len(),
            "values moved by ×1000 or more against the previous year; see anomalies.csv"
        );
    }
    Ok(rows)
}

/// The exporter of anomalies.csv.
pub struct AnomaliesCsv;

impl Exporter for AnomaliesCsv {
    fn render(&self, cx: &Context) -> Result<Rendered> {
        Ok(vec![(
            FILE_NAME.into(),
            render(&fetch(cx.conn, cx.headline.year)?).into(),
        )])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(factor: f64) -> Anomaly {
        Anomaly {
            credit_code: "X".into(),
            name: "甲".into(),
            field: "revenue".into(),
            previous_value: "1".into(),
            current_value: "10000".into(),
            factor,
            path: "p".into(),
            sheet: "年度数据".into(),
            cell: "D4".into(),
            raw: "10000".into(),
            previous_path: "q".into(),
        }
    }

    #[test]
    fn factor_reads_as_times_or_divided_by() {
        assert_eq!(a(10000.0).factor_label(), "×10000");
        assert_eq!(a(0.0001).factor_label(), "÷10000");
        assert_eq!(a(1234.56).factor_label(), "×1234.6");
    }
}
