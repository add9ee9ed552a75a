//! `headline.md`: first the paragraphs to paste into the annual materials,
//! in their own phrasing and number style (`8060亿元`, `51.44万个`, 家银行,
//! 报送企业) and nothing else; then, under its own heading, what a checker
//! needs: the reporting base, the rounding rule, and every metric with its
//! id and exact value from headline.csv.
//!
//! Scaling and rounding are [`metrics::scaled`]'s, the same rule summary.xlsx
//! uses, so the two never disagree.

use crate::contract::metrics::{self, fixed, Headline};

pub const FILE_NAME: &str = "headline.md";

/// One figure as the materials write it, unit attached: `973.34亿元`,
/// `51.44万个`, `242家`.
fn shown(h: &Headline, id: &str) -> String {
    let m = metrics::find(id).expect("a metric of the contract");
    let (text, unit) = m.display(h.get(id).unwrap_or_default());
    format!("{text}{unit}")
}

/// A count without its unit, for phrases that put the unit elsewhere.
fn count(h: &Headline, id: &str) -> String {
    fixed(h.get(id).unwrap_or_default(), 0)
}

/// The paste-ready paragraphs.
fn paragraphs(h: &Headline) -> Vec<String> {
    let y = h.year;
    let s = |id: &str| shown(h, id);
    let n = |id: &str| count(h, id);
    vec![
        format!(
            "会员企业{}，其中{}报送了{y}年度数据。报送企业中有{}上市公司和行业龙头企业（其中上市公司{}），包括{}中国民营企业500强，{}上海民营企业百强。报送企业年利税{}（其中纳税{}），营业收入{}，直接形成就业岗位{}，年捐赠{}。",
            s("member_companies"),
            s("reporting_companies"),
            s("listed_or_leading"),
            s("listed_companies"),
            s("china_private_top500"),
            s("shanghai_private_top100"),
            s("profit_tax_total"),
            s("tax_total"),
            s("revenue_total"),
            s("jobs_total"),
            s("donations_total"),
        ),
        format!(
            "商会副会长以上单位党组织覆盖率{}%，报送企业党员人数{}。",
            fixed(h.get("party_org_coverage_vp_plus").unwrap_or_default(), 2),
            s("party_members_total"),
        ),
        format!(
            "先后和{}家银行签署战略合作协议，“银会合作”综合授信累计达到{}。{y}年为{}会员企业促成金融支持{}，累计促成{}金融支持实体落地。",
            n("bank_partners"),
            s("bank_credit_lines_cumulative"),
            s("financed_companies"),
            s("financing_facilitated"),
            s("financing_facilitated_cumulative"),
        ),
        format!(
            "先后与{}区和功能区签署战略合作协议，推动落地投资累计{}。",
            s("district_partners"),
            s("investment_landed_cumulative"),
        ),
        format!(
            "{}专委会开展活动，全年举办活动{}、参与{}，其中高校招聘会{}。",
            s("committees_reporting"),
            s("events_total"),
            s("event_participants_total"),
            s("campus_recruitment_events"),
        ),
    ]
}

pub fn render(h: &Headline) -> Vec<u8> {
    let mut s = format!("# {} 年度主要数据\n\n", h.year);
    for p in paragraphs(h) {
        s.push_str(&p);
        s.push_str("\n\n");
    }
    s.push_str("---\n\n## 核对信息（不用于粘贴）\n\n");
    s.push_str(&format!("- {}\n", crate::emit::frames::submission_rate(h)));
    s.push_str(&format!(
        "- 口径：企业经营、就业、捐赠、党员人数为 {} 家报送企业的合计（{} 年会员企业 {} 家）；金融支持只计经商会促成、报送企业的部分。\n",
        count(h, "reporting_companies"),
        h.year,
        count(h, "member_companies"),
    ));
    s.push_str(
        "- 数值为 headline.csv 的精确合计；折合为亿元、万时四舍五入（远离零）保留两位小数，整数不写小数。\n",
    );
    s.push_str("- 每个数字的来源单元格：`chamberstat explain <指标代码> --year ");
    s.push_str(&format!("{}`。\n\n", h.year));
    s.push_str("| 指标 | 指标代码 | 精确值 | 单位 | 折合 |\n|---|---|---:|---|---:|\n");
    for (m, value) in &h.values {
        let scaled = match metrics::scaled(m, *value) {
            Some((v, unit)) => format!("{}{unit}", metrics::plain(v)),
            None => String::new(),
        };
        s.push_str(&format!(
            "| {} | `{}` | {} | {} | {} |\n",
            m.label,
            m.id,
            m.format(*value),
            m.unit,
            scaled
        ));
    }
    s.into_bytes()
}

/// The paste-ready part alone (for tests and for `check --status`-style
/// previews): everything above the checkers' rule.
pub fn paste_text(h: &Headline) -> String {
    paragraphs(h).join("\n\n")
}

/// The exporter of headline.md.
pub struct HeadlineMd;

impl super::Exporter for HeadlineMd {
    fn render(&self, cx: &super::Context) -> anyhow::Result<super::Rendered> {
        Ok(vec![(FILE_NAME.into(), render(cx.headline).into())])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::metrics::{Metric, METRICS};
    use rust_decimal::Decimal;
    use std::str::FromStr;

    fn headline() -> Headline {
        let mut values: Vec<_> = METRICS.iter().map(|m| (m, Decimal::ZERO)).collect();
        let set = |values: &mut Vec<_>, id: &str, v: &str| {
            let slot = values
                .iter_mut()
                .find(|(m, _): &&mut (&Metric, Decimal)| m.id == id)
                .unwrap();
            slot.1 = Decimal::from_str(v).unwrap();
        };
        set(&mut values, "profit_tax_total", "100049999999.99");
        set(&mut values, "jobs_total", "5012345");
        set(&mut values, "party_org_coverage_vp_plus", "96");
        Headline { year: 2024, values }
    }

    #[test]
    fn money_in_yi_and_jobs_in_wan_round_half_away_from_zero() {
        let text = String::from_utf8(render(&headline())).unwrap();
        assert!(text.contains("年利税1000.50亿元"), "{text}");
        assert!(text.contains("就业岗位501.23万个"), "{text}");
        assert!(text.contains("覆盖率96.00%"), "{text}");
    }

    #[test]
    fn paste_text_uses_the_materials_phrasing_and_no_tool_jargon() {
        let mut h = headline();
        let set = |h: &mut Headline, id: &str, v: i64| {
            h.values.iter_mut().find(|(m, _)| m.id == id).unwrap().1 = Decimal::from(v);
        };
        set(&mut h, "bank_credit_lines_cumulative", 806_000_000_000);
        set(&mut h, "bank_partners", 11);
        set(&mut h, "district_partners", 13);
        set(&mut h, "event_participants_total", 26361);
        let text = paste_text(&h);
        assert!(text.contains("综合授信累计达到8060亿元"), "{text}");
        assert!(text.contains("先后和11家银行"), "{text}");
        assert!(text.contains("13个区和功能区"), "{text}");
        assert!(text.contains("参与2.64万人次，其中高校招聘会"), "{text}");
        assert!(text.contains("报送企业年利税"), "{text}");
        for jargon in ["chamberstat", "headline.csv", "四舍五入", "`"] {
            assert!(!text.contains(jargon), "{jargon} in {text}");
        }
    }

    #[test]
    fn table_lists_every_metric_id() {
        let text = String::from_utf8(render(&headline())).unwrap();
        for m in METRICS {
            assert!(text.contains(&format!("`{}`", m.id)), "{}", m.id);
        }
    }
}
