//! The headline metrics of the output contract (`shared/spec/outputs.md`):
//! ids, units, order and number format. Ids and order are a public
//! interface read by the secretariat's templates and auditors' scripts.

use rust_decimal::{Decimal, RoundingStrategy};

/// How a metric's value is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A whole number (家, 人, 个, 场, 人次).
    Count,
    /// 元 with exactly two decimals.
    Money,
    /// A share ×100 with two decimals, from a numerator and a denominator.
    Percent,
}

impl Kind {
    /// The kind as the query files and the staged contract name it.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Count => "count",
            Kind::Money => "money",
            Kind::Percent => "percent",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Metric {
    pub id: &'static str,
    pub unit: &'static str,
    pub kind: Kind,
    /// What the figure is, for `explain` and the Markdown table.
    pub label: &'static str,
}

const fn m(id: &'static str, unit: &'static str, kind: Kind, label: &'static str) -> Metric {
    Metric {
        id,
        unit,
        kind,
        label,
    }
}

use Kind::{Count, Money, Percent};

/// All 24 metrics in contract order (one line each, as a table).
#[rustfmt::skip]
pub const METRICS: [Metric; 24] = [
    m("member_companies", "家", Count, "会员企业"),
    m("reporting_companies", "家", Count, "报送数据的会员企业"),
    m("listed_companies", "家", Count, "上市公司"),
    m("listed_or_leading", "家", Count, "上市公司和行业龙头企业"),
    m("china_private_top500", "家", Count, "中国民营企业500强"),
    m("shanghai_private_top100", "家", Count, "上海民营企业百强"),
    m("revenue_total", "元", Money, "营业收入"),
    m("profit_tax_total", "元", Money, "利税总额"),
    m("tax_total", "元", Money, "纳税总额"),
    m("jobs_total", "人", Count, "就业岗位"),
    m("donations_total", "元", Money, "公益捐赠"),
    m("party_members_total", "人", Count, "党员人数"),
    m("party_org_coverage_vp_plus", "%", Percent, "副会长以上单位党组织覆盖率"),
    m("financing_facilitated", "元", Money, "经商会促成的金融支持"),
    m("financing_facilitated_cumulative", "元", Money, "累计促成金融支持"),
    m("financed_companies", "家", Count, "获得金融支持的会员企业"),
    m("bank_partners", "家", Count, "签约银行"),
    m("bank_credit_lines_cumulative", "元", Money, "银会合作综合授信累计"),
    m("district_partners", "家", Count, "签约区和功能区"),
    m("investment_landed_cumulative", "元", Money, "累计落地投资"),
    m("committees_reporting", "个", Count, "开展活动的专委会"),
    m("events_total", "场", Count, "全年活动"),
    m("campus_recruitment_events", "场", Count, "高校招聘会"),
    m("event_participants_total", "人次", Count, "活动参与人次"),
];

pub fn find(id: &str) -> Option<&'static Metric> {
    METRICS.iter().find(|m| m.id == id)
}

/// The ids, for error messages listing what is valid.
pub fn ids() -> Vec<&'static str> {
    METRICS.iter().map(|m| m.id).collect()
}

/// One headline figure as the warehouse publishes it (`headline_values`,
/// 55_headline.sql): the figure rounded by the contract and its text in
/// headline.csv. Rounding and percentages are made there, once, for every
/// engine; the program reads them and never rounds a figure of its own.
#[derive(Debug, Clone, PartialEq)]
pub struct Published {
    pub metric: &'static Metric,
    pub value: Decimal,
    pub text: String,
}

/// The headline figures of one year, in contract order.
#[derive(Debug, Clone, PartialEq)]
pub struct Headline {
    pub year: i32,
    pub values: Vec<Published>,
}

impl Headline {
    pub fn get(&self, id: &str) -> Option<Decimal> {
        self.find(id).map(|p| p.value)
    }

    pub fn find(&self, id: &str) -> Option<&Published> {
        self.values.iter().find(|p| p.metric.id == id)
    }

    /// Every metric as 0, written as 55_headline.sql writes a 0 (`0`,
    /// `0.00`): the names of a template checked without a warehouse.
    pub fn zero(year: i32) -> Headline {
        let values = METRICS
            .iter()
            .map(|m| Published {
                metric: m,
                value: Decimal::ZERO,
                text: if m.kind == Kind::Count { "0" } else { "0.00" }.to_string(),
            })
            .collect();
        Headline { year, values }
    }

    /// The headline with metric `id` published as `text` (tests build a
    /// year's figures as the warehouse would publish them).
    #[cfg(test)]
    pub fn with(mut self, id: &str, text: &str) -> Headline {
        let p = self
            .values
            .iter_mut()
            .find(|p| p.metric.id == id)
            .expect("a metric id");
        p.value = text.parse().expect("a decimal");
        p.text = text.to_string();
        self
    }
}

/// Round half away from zero to `dp` decimals and write exactly `dp`
/// decimals: `12.345` → `12.35`, `-0.005` → `-0.01`, `3` → `3.00`. For the
/// breakdown tables' cells and the figures the materials scale (亿元, 万个);
/// a headline figure is written as published.
pub fn fixed(value: Decimal, dp: u32) -> String {
    let mut v = value.round_dp_with_strategy(dp, RoundingStrategy::MidpointAwayFromZero);
    v.rescale(dp);
    if v.is_zero() {
        v = Decimal::ZERO;
        v.rescale(dp);
    }
    v.to_string()
}

/// How the annual materials print a figure: money in 亿元, jobs in 万个,
/// participants in 万人次, each rounded half away from zero to two
/// decimals. `None` for figures printed as they are (家, 场, 人, %).
pub fn scaled(m: &Metric, value: Decimal) -> Option<(Decimal, &'static str)> {
    let (by, unit) = match (m.kind, m.id) {
        (Kind::Money, _) => (100_000_000, "亿元"),
        (_, "jobs_total") => (10_000, "万个"),
        (_, "event_participants_total") => (10_000, "万人次"),
        _ => return None,
    };
    let v = (value / Decimal::from(by)).round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
    Some((v, unit))
}

/// A scaled figure as the materials write it: two decimals, none when
/// whole (`8060`, `973.34`, `51.40`).
pub fn plain(value: Decimal) -> String {
    let two = fixed(value, 2);
    match two.strip_suffix(".00") {
        Some(whole) => whole.to_string(),
        None => two,
    }
}

impl Metric {
    /// The unit a reader expects beside the figure: headline.csv's unit,
    /// except that districts are counted in 个, not 家 (签约区和功能区).
    pub fn display_unit(&self) -> &'static str {
        match self.id {
            "district_partners" => "个",
            _ => self.unit,
        }
    }

    /// The figure for a reader: scaled when the materials scale it, else
    /// as headline.csv publishes it. Returns (text, unit).
    pub fn display(&self, value: Decimal, published: &str) -> (String, &'static str) {
        match scaled(self, value) {
            Some((v, unit)) => (plain(v), unit),
            None => (published.to_string(), self.display_unit()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn display_scales_money_to_yi_and_drops_zero_decimals() {
        let m = |id| find(id).unwrap();
        let shown = |id, v: &str| m(id).display(d(v), v);
        assert_eq!(
            shown("bank_credit_lines_cumulative", "806000000000.00"),
            ("8060".into(), "亿元")
        );
        assert_eq!(
            shown("revenue_total", "97333732000.00"),
            ("973.34".into(), "亿元")
        );
        assert_eq!(shown("jobs_total", "514365"), ("51.44".into(), "万个"));
        assert_eq!(
            shown("event_participants_total", "26361"),
            ("2.64".into(), "万人次")
        );
        assert_eq!(shown("district_partners", "13"), ("13".into(), "个"));
        assert_eq!(shown("party_members_total", "8524"), ("8524".into(), "人"));
        assert_eq!(
            shown("party_org_coverage_vp_plus", "88.89"),
            ("88.89".into(), "%")
        );
    }

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn money_is_written_with_exactly_two_decimals() {
        assert_eq!(fixed(d("61728659500"), 2), "61728659500.00");
        assert_eq!(fixed(d("1.5"), 2), "1.50");
        assert_eq!(fixed(d("0"), 2), "0.00");
        assert_eq!(fixed(d("-0.001"), 2), "0.00");
    }

    #[test]
    fn rounding_is_half_away_from_zero() {
        assert_eq!(fixed(d("2.345"), 2), "2.35");
        assert_eq!(fixed(d("-2.345"), 2), "-2.35");
        assert_eq!(fixed(d("2.344999"), 2), "2.34");
    }

    #[test]
    fn a_zero_headline_writes_counts_whole_and_the_rest_with_two_decimals() {
        let h = Headline::zero(2024);
        assert_eq!(h.find("member_companies").unwrap().text, "0");
        assert_eq!(h.find("revenue_total").unwrap().text, "0.00");
        assert_eq!(h.find("party_org_coverage_vp_plus").unwrap().text, "0.00");
        assert_eq!(h.values.len(), METRICS.len());
    }

    #[test]
    fn contract_has_24_distinct_ids() {
        let mut ids = ids();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), 24);
    }
}
