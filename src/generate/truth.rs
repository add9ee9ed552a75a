//! The known answer: the contract's headline figures computed from the
//! generator's ground truth while it writes the files, never by reading
//! them back. Contributions are exact decimals added per company, so the
//! order in which parallel workers finish does not matter.

use std::ops::AddAssign;

use rust_decimal::Decimal;

use super::world::{Agreement, Company, Event, Submission, Trap};
use crate::contract::metrics::Headline;
use crate::contract::metrics::{self, METRICS};

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

/// The headline of `year` in contract order.
pub fn headline(
    year: i32,
    t: &YearTruth,
    financing_cumulative: Decimal,
    banks: &[Agreement],
    districts: &[Agreement],
) -> Headline {
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
    let d = Decimal::from;
    let values = [
        d(t.members),
        d(t.reporting),
        d(t.listed),
        d(t.listed_or_leading),
        d(t.top500),
        d(t.top100),
        t.revenue,
        t.profit_tax,
        t.tax,
        d(t.jobs),
        t.donations,
        d(t.party_members),
        metrics::percent(d(t.vp_party_yes), d(t.vp_total)),
        t.financing,
        financing_cumulative,
        d(t.financed),
        d(bank_n),
        bank_sum,
        d(district_n),
        district_sum,
        d(t.committees),
        d(t.events),
        d(t.recruitment),
        d(t.participants),
    ];
    Headline {
        year,
        values: METRICS.iter().zip(values).collect(),
    }
}
