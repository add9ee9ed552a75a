//! `headline.md`: first the paragraphs to paste into the annual materials,
//! in their own phrasing and number style (`8060亿元`, `51.44万个`, 家银行,
//! 报送企业) and nothing else; then, under its own heading, what a checker
//! needs: the reporting base, the rounding rule, and every metric with its
//! id and exact value from headline.csv.
//!
//! The wording is a template of the materials' language
//! (`templates/headline.md.j2`, compiled in): the same filters the
//! secretariat's own templates use (`折合` scales as summary.xlsx does), so
//! no sentence lives in Rust.

use std::collections::BTreeMap;

use minijinja::value::Value;

use crate::contract::metrics::{self, Headline};
use crate::emit::materials::{names, Renderer};

pub const FILE_NAME: &str = "headline.md";

const TEMPLATE: &str = include_str!("templates/headline.md.j2");

/// The names the template reads: the year's figures, the 报送率 line and
/// the rows of the checkers' table.
fn context(h: &Headline) -> Value {
    let mut names = names::metric_figures(h);
    names.insert("year".into(), Value::from(h.year));
    names.insert(
        "报送率".into(),
        Value::from(crate::emit::frames::submission_rate(h)),
    );
    let rows: Vec<Value> = h
        .values
        .iter()
        .map(|p| {
            let m = p.metric;
            let scaled = match metrics::scaled(m, p.value) {
                Some((v, unit)) => format!("{}{unit}", metrics::plain(v)),
                None => String::new(),
            };
            Value::from(BTreeMap::from([
                ("label", m.label.to_string()),
                ("id", m.id.to_string()),
                ("value", p.text.clone()),
                ("unit", m.unit.to_string()),
                ("scaled", scaled),
            ]))
        })
        .collect();
    names.insert("指标表".into(), Value::from(rows));
    Value::from(names)
}

pub fn render(h: &Headline) -> anyhow::Result<Vec<u8>> {
    Renderer::default()
        .render(TEMPLATE, &context(h))
        .map(|r| r.text.into_bytes())
        .map_err(|(tag, reason)| {
            anyhow::anyhow!("the compiled-in headline.md template fails at {tag}: {reason}")
        })
}

/// The paste-ready part alone: the paragraphs between the title and the
/// checkers' rule.
pub fn paste_text(h: &Headline) -> anyhow::Result<String> {
    let text = String::from_utf8(render(h)?)?;
    let above = text.split("\n---\n").next().unwrap_or_default();
    Ok(above
        .split_once("\n\n")
        .map_or(above, |(_, rest)| rest)
        .trim_end()
        .to_string())
}

/// The exporter of headline.md.
pub struct HeadlineMd;

impl super::exporter::Exporter for HeadlineMd {
    fn render(&self, cx: &super::exporter::Context) -> anyhow::Result<super::exporter::Rendered> {
        Ok(vec![(FILE_NAME.into(), render(cx.headline)?.into())])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::metrics::METRICS;

    fn headline() -> Headline {
        Headline::zero(2024)
            .with("profit_tax_total", "100049999999.99")
            .with("jobs_total", "5012345")
            .with("party_org_coverage_vp_plus", "96.00")
    }

    #[test]
    fn money_in_yi_and_jobs_in_wan_round_half_away_from_zero() {
        let text = String::from_utf8(render(&headline()).unwrap()).unwrap();
        assert!(text.contains("年利税1000.50亿元"), "{text}");
        assert!(text.contains("就业岗位501.23万个"), "{text}");
        assert!(text.contains("覆盖率96.00%"), "{text}");
    }

    #[test]
    fn paste_text_uses_the_materials_phrasing_and_no_tool_jargon() {
        let h = headline()
            .with("bank_credit_lines_cumulative", "806000000000.00")
            .with("bank_partners", "11")
            .with("district_partners", "13")
            .with("event_participants_total", "26361");
        let text = paste_text(&h).unwrap();
        assert!(text.contains("综合授信累计达到8060亿元"), "{text}");
        assert!(text.contains("先后和11家银行"), "{text}");
        assert!(text.contains("13个区和功能区"), "{text}");
        assert!(text.contains("参与2.64万人次，其中高校招聘会"), "{text}");
        assert!(text.contains("报送企业年利税"), "{text}");
        assert!(text.starts_with("会员企业"), "{text}");
        for jargon in ["chamberstat", "headline.csv", "四舍五入", "`", "#"] {
            assert!(!text.contains(jargon), "{jargon} in {text}");
        }
    }

    #[test]
    fn table_lists_every_metric_id() {
        let text = String::from_utf8(render(&headline()).unwrap()).unwrap();
        for m in METRICS {
            assert!(text.contains(&format!("`{}`", m.id)), "{}", m.id);
        }
        assert!(
            text.ends_with("| 活动参与人次 | `event_participants_total` | 0 | 人次 | 0万人次 |\n"),
            "{text}"
        );
    }
}
