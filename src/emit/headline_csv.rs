//! `headline.csv`: `metric,value,unit`, one row per metric in contract
//! order, plain decimals, UTF-8, `\n` line ends.

use super::exporter::{Context, Exporter, Rendered};
use crate::contract::metrics::Headline;
use crate::util::csv::csv_bytes;

pub const FILE_NAME: &str = "headline.csv";

pub fn render(headline: &Headline) -> Vec<u8> {
    let rows: Vec<Vec<String>> = headline
        .values
        .iter()
        .map(|p| vec![p.metric.id.to_string(), p.text.clone(), p.metric.unit.to_string()])
        .collect();
    csv_bytes(&["metric", "value", "unit"], &rows, false)
}

/// The exporter of headline.csv.
pub struct HeadlineCsv;

impl Exporter for HeadlineCsv {
    fn render(&self, cx: &Context) -> anyhow::Result<Rendered> {
        Ok(vec![(FILE_NAME.into(), render(cx.headline).into())])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_year_writes_every_metric_as_zero_never_blank() {
        let headline = Headline::zero(2024);
        let text = String::from_utf8(render(&headline)).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 25);
        assert_eq!(lines[0], "metric,value,unit");
        assert_eq!(lines[1], "member_companies,0,家");
        assert_eq!(lines[7], "revenue_total,0.00,元");
        assert_eq!(lines[13], "party_org_coverage_vp_plus,0.00,%");
        assert!(text.ends_with('\n'));
    }
}
