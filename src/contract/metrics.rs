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

/// Suffixes of the two parts a percent metric is computed from.
pub const NUMERATOR: &str = ":numerator";
pub const DENOMINATOR: &str = ":denominator";

/// The headline figures of one year, in contract order.
#[derive(Debug, Clone, PartialEq)]
pub struct Headline {
    pub year: i32,
    pub values: Vec<(&'static Metric, Decimal)>,
}

impl Headline {
    pub fn get(&self, id: &str) -> Option<Decimal> {
        self.values.iter().find(|(m, _)| m.id == id).map(|(_, v)| *v)
    }
}

/// Round half away from zero to `dp` decimals and write exactly `dp`
/// decimals: `12.345` → `12.35`, `-0.005` → `-0.01`, `3` → `3.00`.
pub fn fixed(value: Decimal, dp: u32) -> String {
    let mut v = value.round_dp_with_strategy(dp, RoundingStrategy::MidpointAwayFromZero);
    v.rescale(dp);
    if v.is_zero() {
        v = Decimal::ZERO;
        v.rescale(dp);
    }
    v.to_string()
}

/// A percent from its parts: 0 when the denominator is 0 (no data).
pub fn percent(numerator: Decimal, denominator: Decimal) -> Decimal {
    if denominator.is_zero() {
        Decimal::ZERO
    } else {
        numerator * Decimal::ONE_HUNDRED / denominator
    }
}

impl Metric {
    /// The value as headline.csv writes it.
    pub fn format(&self, value: Decimal) -> String {
        match self.kind {
            Kind::Count => fixed(value, 0),
            Kind::Money | Kind::Percent => fixed(value, 2),
        }
    }
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

    /// The figure for a reader: scaled when the materials scale it, else the
    /// headline.csv value (counts whole). Returns (text, unit).
    pub fn display(&self, value: Decimal) -> (String, &'static str) {
        match scaled(self, value) {
            Some((v, unit)) => (plain(v), unit),
            None => (self.format(value), self.display_unit()),
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
        assert_eq!(
            m("bank_credit_lines_cumulative").display(d("806000000000")),
            ("8060".into(), "亿元")
        );
        assert_eq!(
            m("revenue_total").display(d("97333732000")),
            ("973.34".into(), "亿元")
        );
        assert_eq!(m("jobs_total").display(d("514365")), ("51.44".into(), "万个"));
        assert_eq!(
            m("event_participants_total").display(d("26361")),
            ("2.64".into(), "万人次")
        );
        assert_eq!(m("district_partners").display(d("13")), ("13".into(), "个"));
        assert_eq!(m("party_members_total").display(d("8524")), ("8524".into(), "人"));
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
        assert_eq!(fixed(percent(d("2"), d("3")), 2), "66.67");
        assert_eq!(fixed(percent(d("1"), d("8")), 2), "12.50");
    }

    #[test]
    fn percent_with_no_denominator_is_zero() {
        assert_eq!(fixed(percent(d("0"), d("0")), 2), "0.00");
    }

    #[test]
    fn counts_are_whole_numbers() {
        assert_eq!(METRICS[0].format(d("38.000000")), "38");
    }

    #[test]
    fn contract_has_24_distinct_ids() {
        let mut ids = ids();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), 24);
    }
}
