//! The known answer: the contract's headline figures computed from the
//! generator's ground truth while it writes the files, never by reading
//! them back. Contributions are exact decimals added per company, so the
//! order in which parallel workers finish does not matter.

use std::ops::AddAssign;

use rust_decimal::Decimal;

use super::world::{Agreement, Company, Event, Submission, Trap};
use crate::contract::metrics::METRICS;

/// Everything one year's figures are made of.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct YearTruth {
    pub members: i64,
    pub reporting: i64,
    pub listed: i64,
    pub listed_or_leading: i64,
    pub top500: i64,
    pub top100: i64,
    pub revenue: Decimal,
    pub profit_tax: Decimal,
    pub tax: Decimal,
    pub jobs: i64,
    pub donations: Decimal,
    pub party_members: i64,
    pub vp_total: i64,
    pub vp_party_yes: i64,
    pub financing: Decimal,
    pub financed: i64,
    pub committees: i64,
    pub events: i64,
    pub recruitment: i64,
    pub participants: i64,
}

impl AddAssign<&YearTruth> for YearTruth {
    fn add_assign(&mut self, o: &YearTruth) {
        self.members += o.members;
        self.reporting += o.reporting;
        self.listed += o.listed;
        self.listed_or_leading += o.listed_or_leading;
        self.top500 += o.top500;
        self.top100 += o.top100;
        self.revenue += o.revenue;
        self.profit_tax += o.profit_tax;
        self.tax += o.tax;
        self.jobs += o.jobs;
        self.donations += o.donations;
        self.party_members += o.party_members;
        self.vp_total += o.vp_total;
        self.vp_party_yes += o.vp_party_yes;
        self.financing += o.financing;
        self.financed += o.financed;
        self.committees += o.committees;
        self.events += o.events;
        self.recruitment += o.recruitment;
        self.participants += o.participants;
    }
}

/// One company's contribution to a year.
pub fn company(c: &Company, year: i32, sub: Option<&Submission>) -> YearTruth {
    let mut t = YearTruth::default();
    let member = c.member_in(year);
    t.members = member as i64;
    if member && c.vice_president_or_above() {
        t.vp_total = 1;
    }
    let Some(sub) = sub else { return t };
    // Only a member's accepted, winning 年度数据 row counts. The draft of a
    // resubmission always loses; a bad check character rejects the row.
    if !member || sub.trap == Trap::BadCode {
        return t;
    }
    let a = &sub.annual;
    let yes = |v: Option<bool>| (v == Some(true)) as i64;
    t.reporting = 1;
    t.listed = yes(a.listed);
    t.listed_or_leading = (a.listed == Some(true) || a.leading == Some(true)) as i64;
    t.top500 = yes(a.top500);
    t.top100 = yes(a.top100);
    t.revenue = a.revenue.unwrap_or_default();
    t.profit_tax = a.profit_tax_counted().unwrap_or_default();
    t.tax = a.tax_counted().unwrap_or_default();
    t.jobs = a.jobs.unwrap_or_default();
    t.donations = a.donations.unwrap_or_default();
    t.party_members = a.party_members.unwrap_or_default();
    if c.vice_president_or_above() {
        t.vp_party_yes = yes(a.party_org);
    }
    let facilitated: Vec<_> = sub
        .financing
        .iter()
        .filter(|f| !f.out_of_year && f.facilitated == Some(true))
        .collect();
    t.financing = facilitated.iter().map(|f| f.amount).sum();
    t.financed = !facilitated.is_empty() as i64;
    t
}

/// One committee's contribution to a year.
pub fn committee(events: &[Event]) -> YearTruth {
    let counted: Vec<&Event> = events.iter().filter(|e| !e.out_of_year && !e.duplicate).collect();
    YearTruth {
        committees: (!counted.is_empty()) as i64,
        events: counted.len() as i64,
        recruitment: counted.iter().filter(|e| e.kind == Some("招聘会")).count() as i64,
        participants: counted.iter().filter_map(|e| e.participants).sum(),
        ..YearTruth::default()
    }
}

/// One figure of the known answer, in the generator's own terms.
enum Answer {
    Count(i64),
    Money(Decimal),
    /// A share in percent of two counts.
    Share(i64, i64),
}

impl Answer {
    /// The figure as headline.csv must show it, by the generator's own
    /// arithmetic so that the pipeline's rounding is checked, not reused:
    /// money in whole cents rounded half away from zero; a share in whole
    /// hundredths of a percent, ⌊(20000 n + d) / 2d⌋, 0 without a
    /// denominator.
    fn text(&self) -> String {
        let hundredths = match *self {
            Answer::Count(n) => return n.to_string(),
            Answer::Money(v) => (v * Decimal::ONE_HUNDRED)
                .round_dp_with_strategy(0, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
                .try_into()
                .expect("an amount of cents that fits in 128 bits"),
            Answer::Share(_, 0) => 0i128,
            Answer::Share(n, d) => (20_000 * i128::from(n) + i128::from(d)) / (2 * i128::from(d)),
        };
        let sign = if hundredths < 0 { "-" } else { "" };
        let a = hundredths.abs();
        format!("{sign}{}.{:02}", a / 100, a % 100)
    }
}

/// The known answer of `year`: headline.csv's text, metrics in contract
/// order.
pub fn headline_csv(
    year: i32,
    t: &YearTruth,
    financing_cumulative: Decimal,
    banks: &[Agreement],
    districts: &[Agreement],
) -> String {
    let end = chrono::NaiveDate::from_ymd_opt(year, 12, 31).expect("valid year");
    let signed = |list: &[Agreement]| -> (i64, Decimal) {
        let active: Vec<&Agreement> = list.iter().filter(|a| a.signed <= end).collect();
        let mut names: Vec<&str> = active.iter().map(|a| a.partner).collect();
        names.sort_unstable();
        names.dedup();
        (names.len() as i64, active.iter().map(|a| a.amount).sum())
    };
    let (bank_n, bank_sum) = signed(banks);
    let (district_n, district_sum) = signed(districts);
    use Answer::{Count, Money, Share};
    let answers = [
        Count(t.members),
        Count(t.reporting),
        Count(t.listed),
        Count(t.listed_or_leading),
        Count(t.top500),
        Count(t.top100),
        Money(t.revenue),
        Money(t.profit_tax),
        Money(t.tax),
        Count(t.jobs),
        Money(t.donations),
        Count(t.party_members),
        Share(t.vp_party_yes, t.vp_total),
        Money(t.financing),
        Money(financing_cumulative),
        Count(t.financed),
        Count(bank_n),
        Money(bank_sum),
        Count(district_n),
        Money(district_sum),
        Count(t.committees),
        Count(t.events),
        Count(t.recruitment),
        Count(t.participants),
    ];
    let mut text = String::from("metric,value,unit\n");
    for (m, a) in METRICS.iter().zip(answers) {
        text.push_str(&format!("{},{},{}\n", m.id, a.text(), m.unit));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::Answer::{Count, Money, Share};
    use rust_decimal::Decimal;

    fn money(s: &str) -> String {
        Money(s.parse::<Decimal>().unwrap()).text()
    }

    #[test]
    fn the_answer_rounds_half_away_from_zero_in_its_own_arithmetic() {
        assert_eq!(Count(38).text(), "38");
        assert_eq!(money("61728659500"), "61728659500.00");
        assert_eq!(money("2.345"), "2.35");
        assert_eq!(money("-2.345"), "-2.35");
        assert_eq!(money("-0.004"), "0.00");
        assert_eq!(Share(2, 3).text(), "66.67");
        assert_eq!(Share(1, 8).text(), "12.50");
        assert_eq!(Share(1, 400).text(), "0.25");
        assert_eq!(Share(0, 0).text(), "0.00");
        assert_eq!(Share(9, 9).text(), "100.00");
    }
}
