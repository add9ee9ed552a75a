//! The generator's ground truth: a registry of companies, what each one
//! reports per year, the committees' events and the secretariat's
//! agreements, all drawn deterministically from the seed. Every value is
//! decided here, together with whether the contract accepts it; the writer
//! only chooses how to spell it, and the truth module only adds it up.

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;

use super::rng::Rng;
use crate::contract::schema::{COMMITTEES, EVENT_KINDS, TIERS};

/// Knobs shared by every part of the world.
#[derive(Debug, Clone)]
pub struct Params {
    pub seed: u64,
    pub members: usize,
    pub years: Vec<i32>,
    pub drift: f64,
    pub traps: f64,
}

#[derive(Debug, Clone)]
pub struct Company {
    pub idx: usize,
    pub code: String,
    pub name: String,
    pub tier: &'static str,
    pub committee: Option<&'static str>,
    pub joined: NaiveDate,
    pub left: Option<NaiveDate>,
    /// Heavy-tailed size factor, median 1.
    pub size: f64,
    pub listed: bool,
    pub leading: bool,
    pub top500: bool,
    pub top100: bool,
    /// False for outsiders who submit without being in the registry.
    pub in_registry: bool,
    /// Reported as an extra row in this company's group file.
    pub group_parent: Option<usize>,
}

impl Company {
    pub fn member_in(&self, year: i32) -> bool {
        self.in_registry && self.joined <= ymd(year, 12, 31) && self.left.is_none_or(|l| l >= ymd(year, 1, 1))
    }

    pub fn vice_president_or_above(&self) -> bool {
        TIERS[..4].contains(&self.tier)
    }
}

pub fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid calendar date")
}

/// GB 32100-2015 check character of the first 17 characters.
pub fn check_char(first17: &str) -> char {
    const CHARS: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";
    const W: [u32; 17] = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
    let sum: u32 = first17
        .chars()
        .zip(W)
        .map(|(c, w)| CHARS.find(c).unwrap_or(0) as u32 * w)
        .sum();
    CHARS.as_bytes()[((31 - sum % 31) % 31) as usize] as char
}

const REGIONS: [&str; 6] = ["310115", "310118", "310104", "330100", "330200", "310101"];
const ORG_CHARS: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";
const NAME_PARTS: [&str; 24] = [
    "远", "德", "沪", "浙", "达", "海", "诚", "新", "安", "星", "创", "汇", "鑫", "光", "科", "宏", "瑞",
    "智", "辉", "华", "源", "银", "泰", "隆",
];
const NAME_SUFFIX: [&str; 8] = [
    "集团有限公司",
    "科技有限公司",
    "贸易有限公司",
    "控股股份有限公司",
    "实业有限公司",
    "电器股份有限公司",
    "医药股份有限公司",
    "新材料有限公司",
];

fn credit_code(rng: &mut Rng) -> String {
    let mut s = String::from("91");
    s.push_str(rng.pick(&REGIONS));
    for _ in 0..9 {
        s.push(ORG_CHARS.as_bytes()[rng.range(0, 30) as usize] as char);
    }
    s.push(check_char(&s));
    s
}

/// A valid credit code made from a number: distinct numbers give distinct
/// codes (the benchmark's group workbook needs many that never collide).
pub fn numbered_code(mut i: u64) -> String {
    let mut body = [b'0'; 9];
    for slot in body.iter_mut().rev() {
        *slot = ORG_CHARS.as_bytes()[(i % 30) as usize];
        i /= 30;
    }
    let mut s = format!("91310115{}", String::from_utf8_lossy(&body));
    s.push(check_char(&s));
    s
}

/// The registry (members and former members) plus a few outsiders.
pub fn companies(p: &Params) -> Vec<Company> {
    let first = *p.years.first().expect("at least one year");
    let last = *p.years.last().expect("at least one year");
    let outsiders = ((p.members as f64 * p.traps).ceil() as usize).max(if p.traps > 0.0 { 2 } else { 0 });
    let mut out = Vec::with_capacity(p.members + outsiders);
    // Senior tiers by count, the rest by share, as a chamber's are.
    let senior = [
        1usize,
        (p.members / 600).max(1),
        (p.members / 150).max(1),
        (p.members / 40).max(2),
    ];
    let mut seen = std::collections::HashSet::new();
    for idx in 0..p.members + outsiders {
        let mut rng = Rng::new(p.seed, &format!("company/{idx}"));
        let mut code = credit_code(&mut rng);
        while !seen.insert(code.clone()) {
            code = credit_code(&mut rng);
        }
        let name = format!(
            "{}{}{}{}",
            rng.pick(&NAME_PARTS),
            rng.pick(&NAME_PARTS),
            rng.pick(&NAME_PARTS),
            rng.pick(&NAME_SUFFIX)
        );
        let mut acc = 0;
        let mut tier = None;
        for (t, n) in senior.iter().enumerate() {
            acc += n;
            if idx < acc {
                tier = Some(TIERS[t]);
                break;
            }
        }
        let tier = tier.unwrap_or_else(|| TIERS[4 + rng.weighted(&[0.1, 0.25, 0.65])]);
        let committee = rng.chance(0.8).then(|| rng.pick(&COMMITTEES));
        let (joined, left) = membership(&mut rng, first, last);
        let size = rng.lognormal(1.8) * if idx < senior.iter().sum() { 8.0 } else { 1.0 };
        let top500 = size > 50.0;
        let top100 = size > 48.0 && rng.chance(0.85);
        let listed = top500 || rng.chance(if size > 5.0 { 0.35 } else { 0.12 });
        let leading = rng.chance(if size > 5.0 { 0.3 } else { 0.05 });
        let in_registry = idx < p.members;
        let group_parent = (idx > 0 && idx < p.members && rng.chance(0.02)).then(|| idx - 1);
        out.push(Company {
            idx,
            code,
            name,
            tier,
            committee,
            joined,
            left,
            size,
            listed,
            leading,
            top500,
            top100,
            in_registry,
            group_parent,
        });
    }
    // A group file holds its own row and its subsidiaries'; a subsidiary is
    // never itself a group parent, so every chain has length one.
    for i in 1..out.len() {
        if out[i].group_parent.is_some() && out[i - 1].group_parent.is_some() {
            out[i].group_parent = None;
        }
    }
    out
}

/// When a member joined (a few during the reporting years) and, for some,
/// left; drawn in this order from the company's own stream.
fn membership(rng: &mut Rng, first: i32, last: i32) -> (NaiveDate, Option<NaiveDate>) {
    let day_in = |rng: &mut Rng, year: i32| ymd(year, rng.range(1, 12) as u32, rng.range(1, 28) as u32);
    let joined = if rng.chance(0.06) {
        // Joins during the reporting years.
        let y = rng.range(first as i64, last as i64) as i32;
        day_in(rng, y)
    } else {
        let y = rng.range(1986, first as i64 - 1) as i32;
        day_in(rng, y)
    };
    let left = rng.chance(0.05).then(|| {
        let y = rng.range(first as i64 - 1, last as i64) as i32;
        day_in(rng, y.max(joined.year() + 1))
    });
    (joined, left)
}

/// Amount in 元 rounded to 100 元 (a 万元 figure with two decimals).
pub fn money(x: f64) -> Decimal {
    Decimal::from((x / 100.0).round() as i64) * Decimal::ONE_HUNDRED
}

/// One company's 年度数据 row for a year, and whether each cell is accepted.
#[derive(Debug, Clone)]
pub struct Annual {
    pub revenue: Option<Decimal>,
    pub profit: Option<Decimal>,
    pub tax: Option<Decimal>,
    /// Written negative: the cell is rejected and the tax is missing.
    pub tax_negative_trap: bool,
    /// `None`: the cell is left missing and derived when both parts count.
    pub profit_tax: Option<Decimal>,
    pub jobs: Option<i64>,
    pub donations: Option<Decimal>,
    pub listed: Option<bool>,
    pub stock_code: Option<String>,
    pub leading: Option<bool>,
    pub top500: Option<bool>,
    pub top100: Option<bool>,
    pub party_org: Option<bool>,
    pub party_members: Option<i64>,
}

impl Annual {
    /// The 利税 the contract counts: written, else derived from accepted parts.
    pub fn profit_tax_counted(&self) -> Option<Decimal> {
        let tax = if self.tax_negative_trap { None } else { self.tax };
        self.profit_tax.or(match (self.profit, tax) {
            (Some(p), Some(t)) => Some(p + t),
            _ => None,
        })
    }

    pub fn tax_counted(&self) -> Option<Decimal> {
        if self.tax_negative_trap {
            None
        } else {
            self.tax
        }
    }
}

#[derive(Debug, Clone)]
pub struct FinancingRow {
    pub institution: &'static str,
    pub kind: &'static str,
    pub amount: Decimal,
    pub date: NaiveDate,
    pub facilitated: Option<bool>,
    /// Dated in the previous year: the row is rejected.
    pub out_of_year: bool,
}

/// What goes wrong on purpose in one company's submission for a year.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trap {
    None,
    /// The 年度数据 row's code has a wrong check character: row rejected.
    BadCode,
    /// An earlier draft (`_初版`) with other figures is submitted too.
    Resubmission,
}

/// One company's submission for a year.
#[derive(Debug, Clone)]
pub struct Submission {
    pub reported_on: Option<NaiveDate>,
    pub annual: Annual,
    pub financing: Vec<FinancingRow>,
    pub trap: Trap,
    /// The draft's figures and date when `trap` is `Resubmission`.
    pub draft: Option<Box<Submission>>,
}

pub const BANKS: [&str; 11] = [
    "工商银行上海分行",
    "农业银行上海分行",
    "中国银行上海分行",
    "建设银行上海分行",
    "交通银行",
    "浦发银行",
    "招商银行上海分行",
    "兴业银行上海分行",
    "上海银行",
    "宁波银行上海分行",
    "浙商银行上海分行",
];
const FIN_KINDS: [&str; 5] = ["授信", "贷款", "债券", "融资租赁", "其他"];

/// The submission of `c` for `year`, or `None` when it does not submit.
pub fn submission(p: &Params, c: &Company, year: i32) -> Option<Submission> {
    let mut rng = Rng::new(p.seed, &format!("submission/{}/{year}", c.idx));
    let member = c.member_in(year);
    let near = c.joined.year() <= year + 1 && c.left.is_none_or(|l| l.year() >= year - 2);
    let submits = if member {
        rng.chance(0.93)
    } else if !c.in_registry {
        true
    } else {
        near && rng.chance(0.3 * (p.traps / 0.03).min(1.0))
    };
    if !submits {
        return None;
    }
    let yi = p.years.iter().position(|y| *y == year).unwrap_or(0) as i32;
    let trap = if c.group_parent.is_some() {
        Trap::None
    } else {
        match rng.weighted(&[1.0 - 2.0 * p.traps, p.traps, p.traps]) {
            1 => Trap::BadCode,
            2 => Trap::Resubmission,
            _ => Trap::None,
        }
    };
    let mut sub = draw_submission(p, c, year, yi, &mut rng, trap);
    if trap == Trap::Resubmission {
        let mut draft = draw_submission(p, c, year, yi, &mut rng, Trap::None);
        let final_date = sub.reported_on.get_or_insert(ymd(year + 1, 4, 20));
        draft.reported_on = if rng.chance(0.5) {
            None
        } else {
            Some(*final_date - chrono::Duration::days(rng.range(1, 40)))
        };
        sub.draft = Some(Box::new(draft));
    }
    Some(sub)
}

fn draw_submission(p: &Params, c: &Company, year: i32, yi: i32, rng: &mut Rng, trap: Trap) -> Submission {
    let growth = 1.0 + 0.06 * yi as f64;
    let revenue = c.size * 7.0e7 * growth * (0.7 + 0.6 * rng.unit());
    let profit = revenue * (-0.02 + 0.14 * rng.unit());
    let tax = revenue * (0.03 + 0.04 * rng.unit());
    let (profit, tax, revenue) = (money(profit), money(tax), money(revenue));
    let d = p.drift;
    let tax_negative_trap = rng.chance(p.traps);
    let party_share = 0.86 + 0.10 * yi as f64 / (p.years.len().max(2) - 1) as f64;
    let party_p = if c.vice_president_or_above() {
        party_share
    } else {
        0.3
    };
    let listed = Some(c.listed).filter(|_| !rng.chance(d * 0.2)).or(Some(false));
    let annual = Annual {
        revenue: (!rng.chance(d * 0.05)).then_some(revenue),
        profit: Some(profit),
        tax: Some(tax),
        tax_negative_trap,
        profit_tax: (!rng.chance(d * 0.4)).then_some(profit + tax),
        jobs: (!rng.chance(d * 0.05)).then(|| {
            (c.size * 360.0 * growth * (0.7 + 0.6 * rng.unit()))
                .round()
                .max(1.0) as i64
        }),
        donations: (!rng.chance(0.15)).then(|| money(c.size * 9.5e4 * (0.5 + rng.unit()))),
        listed,
        stock_code: (listed == Some(true))
            .then(|| rng.pick(&["600", "601", "688", "300", "002"]).to_string())
            .map(|pre| format!("{pre}{:03}", rng.range(0, 999))),
        leading: if rng.chance(d * 0.3) {
            None
        } else {
            Some(c.leading)
        },
        top500: Some(c.top500),
        top100: if rng.chance(d * 0.3) && !c.top100 {
            None
        } else {
            Some(c.top100)
        },
        party_org: if rng.chance(d * 0.1) {
            None
        } else {
            Some(rng.chance(party_p))
        },
        party_members: Some((c.size * 12.0 * rng.unit()).round() as i64),
    };
    let financing = draw_financing(p, c, year, rng);
    let reported_on =
        (!rng.chance(0.1)).then(|| ymd(year + 1, rng.range(1, 4) as u32, rng.range(1, 28) as u32));
    Submission {
        reported_on,
        annual,
        financing,
        trap,
        draft: None,
    }
}

/// A company's financing rows of a year (a few companies have any), and
/// now and then one dated the year before (a trap).
fn draw_financing(p: &Params, c: &Company, year: i32, rng: &mut Rng) -> Vec<FinancingRow> {
    let fin_p = 0.07 * (1.0 + c.size.min(20.0) / 20.0);
    let mut financing = Vec::new();
    if rng.chance(fin_p) {
        for _ in 0..rng.range(1, 3) {
            financing.push(FinancingRow {
                institution: rng.pick(&BANKS),
                kind: rng.pick(&FIN_KINDS),
                amount: money(c.size.min(60.0) * 3.0e7 * (0.3 + rng.unit())),
                date: ymd(year, rng.range(1, 12) as u32, rng.range(1, 28) as u32),
                facilitated: match rng.weighted(&[0.8, 0.12, 0.08]) {
                    0 => Some(true),
                    1 => Some(false),
                    _ => None,
                },
                out_of_year: false,
            });
        }
        if rng.chance(p.traps * 3.0) {
            financing.push(FinancingRow {
                institution: "浦发银行",
                kind: "贷款",
                amount: money(9.99e6),
                date: ymd(year - 1, 6, 1),
                facilitated: Some(true),
                out_of_year: true,
            });
        }
    }
    financing
}

/// One committee event row as written.
#[derive(Debug, Clone)]
pub struct Event {
    pub name: String,
    pub date: NaiveDate,
    /// As written; anything outside the list counts as 其他.
    pub kind: Option<&'static str>,
    pub companies: Option<i64>,
    pub participants: Option<i64>,
    pub place: Option<&'static str>,
    pub partner: Option<&'static str>,
    /// Outside the reporting year: rejected.
    pub out_of_year: bool,
    /// A repeat of an earlier row: counted once.
    pub duplicate: bool,
}

/// Types committees write that are not on the list: read as 其他.
const OFF_LIST_KINDS: [&str; 2] = ["年会", "座谈会"];

/// The i-th kind a committee may write: the contract's nine, then two more.
fn written_kind(i: usize) -> &'static str {
    EVENT_KINDS
        .get(i)
        .copied()
        .unwrap_or_else(|| OFF_LIST_KINDS[i - EVENT_KINDS.len()])
}

const PLACES: [&str; 6] = ["上海", "杭州", "喀什", "日喀则", "大理", "宁波"];
const PARTNERS: [&str; 3] = ["华东师范大学", "上海大学", "复旦大学"];

/// The events one committee reports for a year (`None`: no file that year).
pub fn committee_events(p: &Params, committee: usize, year: i32) -> Option<Vec<Event>> {
    let mut rng = Rng::new(p.seed, &format!("events/{committee}/{year}"));
    if rng.chance(0.08) {
        return None;
    }
    let per = ((33.0 * (p.members as f64 / 3000.0).sqrt()).round() as i64).clamp(4, 40);
    let n = rng.range(per * 3 / 4, per * 5 / 4).max(1);
    let short: String = COMMITTEES[committee].trim_end_matches("专委会").to_string();
    let mut events = Vec::new();
    for i in 0..n {
        let kind_idx = if i < 2 {
            4
        } else {
            rng.weighted(&[3.0, 4.0, 3.0, 1.5, 0.0, 2.0, 1.5, 1.5, 1.0, 0.3, 0.3])
        };
        let kind = if rng.chance(0.08) {
            None
        } else {
            Some(written_kind(kind_idx))
        };
        events.push(Event {
            name: format!("{short}{}第{}期", written_kind(kind_idx), i + 1),
            date: ymd(year, rng.range(1, 12) as u32, rng.range(1, 28) as u32),
            kind,
            companies: rng.chance(0.9).then(|| rng.range(1, 60)),
            participants: rng.chance(0.95).then(|| rng.range(15, 400)),
            place: rng.chance(0.8).then(|| rng.pick(&PLACES)),
            partner: rng.chance(0.4).then(|| rng.pick(&PARTNERS)),
            out_of_year: false,
            duplicate: false,
        });
    }
    if rng.chance(p.traps * 10.0) && !events.is_empty() {
        let k = rng.range(0, events.len() as i64 - 1) as usize;
        let mut dup = events[k].clone();
        dup.duplicate = true;
        let at = rng.range(k as i64 + 1, events.len() as i64) as usize;
        events.insert(at, dup);
    }
    if rng.chance(p.traps * 10.0) {
        events.insert(
            rng.range(0, events.len() as i64) as usize,
            Event {
                name: "跨年活动".into(),
                date: ymd(year - 1, 12, 30),
                kind: Some("论坛"),
                companies: None,
                participants: Some(50),
                place: None,
                partner: None,
                out_of_year: true,
                duplicate: false,
            },
        );
    }
    Some(events)
}

#[derive(Debug, Clone)]
pub struct Agreement {
    pub partner: &'static str,
    pub kind: &'static str,
    pub signed: NaiveDate,
    pub projects: i64,
    /// 授信额度 for banks, 落地投资额 for districts, in 元.
    pub amount: Decimal,
}

const DISTRICTS: [(&str, &str); 13] = [
    ("浦东新区", "区"),
    ("青浦区", "区"),
    ("虹口区", "区"),
    ("奉贤区", "区"),
    ("松江区", "区"),
    ("闵行区", "区"),
    ("普陀区", "区"),
    ("杨浦区", "区"),
    ("嘉定区", "区"),
    ("静安区", "区"),
    ("长宁区", "区"),
    ("虹桥国际中央商务区", "功能区"),
    ("临港新片区", "功能区"),
];

/// Bank agreements (银会合作) and district agreements (区域合作).
pub fn agreements(p: &Params) -> (Vec<Agreement>, Vec<Agreement>) {
    let mut rng = Rng::new(p.seed, "agreements");
    let last = *p.years.last().expect("at least one year") as i64;
    let signed = |rng: &mut Rng| {
        ymd(
            rng.range(2014, last) as i32,
            rng.range(1, 12) as u32,
            rng.range(1, 28) as u32,
        )
    };
    let banks = BANKS
        .iter()
        .map(|b| Agreement {
            partner: b,
            kind: "",
            signed: signed(&mut rng),
            projects: 0,
            amount: Decimal::from(rng.range(30, 90)) * Decimal::from(1_000_000_000i64),
        })
        .collect();
    let mut districts: Vec<Agreement> = DISTRICTS
        .iter()
        .map(|(d, k)| Agreement {
            partner: d,
            kind: k,
            signed: signed(&mut rng),
            projects: rng.range(2, 20),
            amount: Decimal::from(rng.range(8_000, 25_000)) * Decimal::from(1_000_000i64),
        })
        .collect();
    // 浦东 renewed its agreement: a second row for the same partner.
    let renewal = Agreement {
        partner: DISTRICTS[0].0,
        kind: "区",
        signed: signed(&mut rng),
        projects: 9,
        amount: Decimal::from(16_250) * Decimal::from(1_000_000i64),
    };
    districts.push(renewal);
    (banks, districts)
}

#[cfg(test)]
#[path = "world_tests.rs"]
mod tests;
