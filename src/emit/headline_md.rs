//! `headline.md`: the headline figures worded and grouped as the chamber's
//! annual materials print them (亿元 with two decimals, 万个, 家, 场), ready
//! to paste, followed by a plain table of all metrics with their ids.
//!
//! Rounding: every figure is the exact sum from headline.csv; 亿元 and 万 are
//! that sum divided by 10⁸ or 10⁴ and rounded half away from zero to two
//! decimals, the same rule headline.csv uses for 元 and percent.

use rust_decimal::Decimal;

use crate::metrics::{fixed, Headline, Kind};

pub const FILE_NAME: &str = "headline.md";

fn yi(v: Decimal) -> String {
    fixed(v / Decimal::from(100_000_000), 2)
}

fn wan(v: Decimal) -> String {
    fixed(v / Decimal::from(10_000), 2)
}

pub fn render(h: &Headline) -> Vec<u8> {
    let v = |id: &str| h.get(id).unwrap_or_default();
    let n = |id: &str| fixed(v(id), 0);
    let y = h.year;
    let mut s = String::new();
    s.push_str(&format!("# {y} 年度主要数据\n\n"));
    s.push_str(
        "> 由 chamberstat 根据会员名册、会员企业和专委会报送数据生成。金额为精确合计，\
         以亿元表示时四舍五入（远离零）保留两位小数，与 headline.csv 一致。\n\n",
    );
    s.push_str("## 会员企业\n\n");
    s.push_str(&format!(
        "- 会员企业 {} 家，其中 {} 家报送了 {y} 年度数据。\n",
        n("member_companies"),
        n("reporting_companies")
    ));
    s.push_str(&format!(
        "- 其中有 {} 家上市公司和行业龙头企业（上市公司 {} 家），包括 {} 家中国民营企业500强，{} 家上海民营企业百强。\n",
        n("listed_or_leading"),
        n("listed_companies"),
        n("china_private_top500"),
        n("shanghai_private_top100")
    ));
    s.push_str(&format!(
        "- 会员企业年利税 {} 亿元（其中纳税 {} 亿元），营业收入 {} 亿元。\n",
        yi(v("profit_tax_total")),
        yi(v("tax_total")),
        yi(v("revenue_total"))
    ));
    s.push_str(&format!("- 直接形成就业岗位 {} 万个。\n", wan(v("jobs_total"))));
    s.push_str(&format!(
        "- 直接参与公益慈善事业回报社会，年捐赠 {} 亿元。\n\n",
        yi(v("donations_total"))
    ));

    s.push_str("## 党建引领\n\n");
    s.push_str(&format!(
        "- 商会副会长以上单位党组织覆盖率 {}%。\n",
        fixed(v("party_org_coverage_vp_plus"), 2)
    ));
    s.push_str(&format!(
        "- 报送企业党员人数 {} 人。\n\n",
        n("party_members_total")
    ));

    s.push_str("## 金融服务\n\n");
    s.push_str(&format!(
        "- 先后和 {} 个银行签署战略合作协议，“银会合作”综合授信累计达到 {} 亿元。\n",
        n("bank_partners"),
        yi(v("bank_credit_lines_cumulative"))
    ));
    s.push_str(&format!(
        "- {y} 年为 {} 家会员企业促成金融支持 {} 亿元，累计促成 {} 亿元金融支持实体落地。\n\n",
        n("financed_companies"),
        yi(v("financing_facilitated")),
        yi(v("financing_facilitated_cumulative"))
    ));

    s.push_str("## 区域合作\n\n");
    s.push_str(&format!(
        "- 先后与 {} 个区和功能区签署战略合作协议，推动落地投资累计 {} 亿元。\n\n",
        n("district_partners"),
        yi(v("investment_landed_cumulative"))
    ));

    s.push_str("## 专委会活动\n\n");
    s.push_str(&format!(
        "- {} 个专委会开展活动，全年举办活动 {} 场，其中高校招聘会 {} 场，参与 {} 人次。\n\n",
        n("committees_reporting"),
        n("events_total"),
        n("campus_recruitment_events"),
        n("event_participants_total")
    ));

    s.push_str("## 全部指标\n\n| 指标 | id | 数值 | 单位 | 亿元 / 万 |\n|---|---|---:|---|---:|\n");
    for (m, value) in &h.values {
        let scaled = match (m.kind, m.unit) {
            (Kind::Money, _) => format!("{} 亿元", yi(*value)),
            (Kind::Count, "人") => format!("{} 万", wan(*value)),
            _ => String::new(),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::METRICS;
    use std::str::FromStr;

    fn headline() -> Headline {
        let mut values: Vec<_> = METRICS.iter().map(|m| (m, Decimal::ZERO)).collect();
        let set = |values: &mut Vec<_>, id: &str, v: &str| {
            let slot = values
                .iter_mut()
                .find(|(m, _): &&mut (&crate::metrics::Metric, Decimal)| m.id == id)
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
        assert!(text.contains("年利税 1000.50 亿元"), "{text}");
        assert!(text.contains("就业岗位 501.23 万个"), "{text}");
        assert!(text.contains("覆盖率 96.00%"), "{text}");
    }

    #[test]
    fn table_lists_every_metric_id() {
        let text = String::from_utf8(render(&headline())).unwrap();
        for m in METRICS {
            assert!(text.contains(&format!("`{}`", m.id)), "{}", m.id);
        }
    }
}
