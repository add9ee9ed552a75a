//! `anomalies.csv`: company values that moved by a factor of 1,000 or more
//! against the company's previous year (view `anomalies`,
//! `queries/70_anomalies.sql`) — usually a 元/万元 slip. Flags for a person
//! to look at; the figures keep the submitted value.

use crate::emit::{csv_row, neutralize};

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

pub fn render(rows: &[Anomaly]) -> Vec<u8> {
    let mut out = String::from(
        "path,sheet,cell,raw,credit_code,name,field,previous_value,current_value,factor,previous_path\n",
    );
    for a in rows {
        let fields = [
            neutralize(&a.path),
            neutralize(&a.sheet),
            a.cell.clone(),
            neutralize(&a.raw),
            a.credit_code.clone(),
            neutralize(&a.name),
            a.field.clone(),
            a.previous_value.clone(),
            a.current_value.clone(),
            a.factor_label(),
            neutralize(&a.previous_path),
        ];
        out.push_str(&csv_row(&fields));
    }
    out.into_bytes()
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
