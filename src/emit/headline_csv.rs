//! `headline.csv`: `metric,value,unit`, one row per metric in contract
//! order, plain decimals, UTF-8, `\n` line ends.

use crate::metrics::Headline;

pub const FILE_NAME: &str = "headline.csv";

pub fn render(headline: &Headline) -> Vec<u8> {
    let mut out = String::from("metric,value,unit\n");
    for (metric, value) in &headline.values {
        out.push_str(metric.id);
        out.push(',');
        out.push_str(&metric.format(*value));
        out.push(',');
        out.push_str(metric.unit);
        out.push('\n');
    }
    out.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::METRICS;
    use rust_decimal::Decimal;

    #[test]
    fn empty_year_writes_every_metric_as_zero_never_blank() {
        let headline = Headline {
            year: 2024,
            values: METRICS.iter().map(|m| (m, Decimal::ZERO)).collect(),
        };
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
