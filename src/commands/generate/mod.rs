//! `chamberstat generate`: a realistic synthetic inputs tree with a known
//! answer, for demos, tests and benchmarks.
//!
//! The world (registry, submissions, events, agreements) is drawn from the
//! seed in `world`; `writer` spells it into workbooks with the drift real
//! files have; `truth` adds up the contract's figures from the world itself
//! and writes `headline-<year>.csv` to the answer folder. Files are written in parallel,
//! one company at a time, so memory stays flat at any scale; each company's
//! randomness is its own stream, so the output is byte-identical whatever
//! the thread count.

mod materials;
mod rng;
mod truth;
mod world;
mod writer;

/// A valid 18-character credit code numbered `i` (for tests and fixtures).
pub use world::numbered_code;

use std::path::Path;

use anyhow::{bail, Context, Result};
use rayon::prelude::*;
use rust_decimal::Decimal;
use rust_xlsxwriter::Workbook;
use serde::Serialize;

use crate::contract::schema::{SheetKind, COMMITTEES};
use crate::normalize::MoneyUnit;
use crate::util::fs::write_atomic;
use rng::Rng;
use truth::YearTruth;
use world::{Company, Params, Submission, Trap};
use writer::{spell_code, write_table, Cell, Table};

/// What was generated.
#[derive(Debug, Clone, Serialize)]
pub struct GenerateReport {
    pub files: usize,
    pub years: Vec<i32>,
}

/// The arguments a tree was generated with, saved beside it so it can be
/// regenerated and compared.
#[derive(Debug, Serialize)]
struct Recorded<'a> {
    generator: &'a str,
    members: usize,
    years: &'a [i32],
    seed: u64,
    drift: f64,
    traps: f64,
}

pub const RECORD_FILE: &str = "generate.json";

/// Files written and their contribution to the known answer.
#[derive(Debug, Default)]
struct Written {
    files: usize,
    truth: YearTruth,
}

impl Written {
    fn merge(mut a: Self, b: Self) -> Result<Self> {
        a.files += b.files;
        a.truth += &b.truth;
        Ok(a)
    }
}

/// What to generate (`chamberstat generate --help` says each in full).
#[derive(Debug, Clone)]
pub struct Options {
    /// Folder to write (created; must be empty or absent).
    pub out: std::path::PathBuf,
    /// Folder for the known answer [default: `<out>-expected`].
    pub answer: Option<std::path::PathBuf>,
    /// Registry entries (members and former members).
    pub members: usize,
    pub years: Vec<i32>,
    /// The same options and seed give byte-identical files.
    pub seed: u64,
    /// Share of cells written with contract-accepted drift.
    pub drift: f64,
    /// Share of rows and files written to be rejected or set aside.
    pub traps: f64,
    /// Rows of the one group workbook (0: none).
    pub group_rows: usize,
    /// Share of the group workbook's rows with an unreadable amount.
    pub group_unreadable: f64,
}

/// Where the known answer goes: `--answer`, else `<out>-expected` beside
/// the inputs tree.
pub fn answer_dir(args: &Options) -> std::path::PathBuf {
    args.answer.clone().unwrap_or_else(|| {
        let mut name = args.out.file_name().unwrap_or_default().to_os_string();
        name.push("-expected");
        args.out.with_file_name(name)
    })
}

pub fn generate(args: &Options) -> Result<GenerateReport> {
    if args.years.is_empty() || args.members == 0 {
        bail!("generate needs at least one year and one member");
    }
    if !(0.0..=1.0).contains(&args.drift)
        || !(0.0..=0.3).contains(&args.traps)
        || !(0.0..=1.0).contains(&args.group_unreadable)
    {
        bail!("--drift and --group-unreadable must be within 0..1 and --traps within 0..0.3");
    }
    if args.out.exists() && std::fs::read_dir(&args.out)?.next().is_some() {
        bail!(
            "{} is not empty; generate writes into a new or empty folder",
            args.out.display()
        );
    }
    let mut years = args.years.clone();
    years.sort_unstable();
    years.dedup();
    let p = Params {
        seed: args.seed,
        members: args.members,
        years: years.clone(),
        drift: args.drift,
        traps: args.traps,
    };
    let out = args.out.as_path();
    let answer = answer_dir(args);
    if answer.starts_with(out) {
        bail!(
            "--answer {} must be outside --out {}: the inputs tree holds only submissions",
            answer.display(),
            out.display()
        );
    }
    let companies = world::companies(&p);
    let (banks, districts) = world::agreements(&p);
    let mut files = write_reference(out, &p, &companies, &banks, &districts)?;
    materials::write_ledger(out, &p)?;
    materials::write_template(out)?;
    files += 2;

    let mut cumulative = Decimal::ZERO;
    for &year in &years {
        let by_companies = companies
            .par_iter()
            .map(|c| write_company(out, &p, &companies, c, year))
            .try_reduce(Written::default, Written::merge)?;
        let by_committees = (0..COMMITTEES.len())
            .into_par_iter()
            .map(|i| write_committee(out, &p, i, year))
            .try_reduce(Written::default, Written::merge)?;
        files += by_companies.files + by_committees.files;
        let mut t = by_companies.truth;
        t += &by_committees.truth;
        files += write_junk(out, &p, year)?;
        cumulative += t.financing;
        let known = truth::headline_csv(year, &t, cumulative, &banks, &districts);
        write_atomic(&answer.join(format!("headline-{year}.csv")), known.as_bytes())?;
    }
    if args.group_rows > 0 {
        let year = *years.last().expect("at least one year");
        write_group(out, &p, year, args.group_rows, args.group_unreadable)?;
        files += 1;
    }
    let record = Recorded {
        generator: concat!("chamberstat ", env!("CARGO_PKG_VERSION")),
        members: args.members,
        years: &years,
        seed: args.seed,
        drift: args.drift,
        traps: args.traps,
    };
    write_atomic(&answer.join(RECORD_FILE), &serde_json::to_vec_pretty(&record)?)?;
    tracing::info!(files, years = ?years, out = %out.display(), "generated inputs");
    Ok(GenerateReport { files, years })
}

/// One large group workbook: `rows` 年度数据 rows of companies outside the
/// registry (so the known answer stands), written with the usual drift; a
/// share `unreadable` of them with 营业收入 as text that is no amount.
fn write_group(out: &Path, p: &Params, year: i32, rows: usize, unreadable: f64) -> Result<()> {
    let mut rng = Rng::new(p.seed, &format!("group-{year}"));
    let labels = [
        "统一社会信用代码",
        "企业名称",
        "填报日期",
        "营业收入",
        "纳税总额",
        "从业人数",
    ];
    let table = Table {
        sheet: "年度数据".into(),
        title: Some(format!("{year}年度集团成员企业汇总")),
        notes: vec!["单位：万元".into()],
        note_unit: Some(MoneyUnit::Wan),
        labels: labels.to_vec(),
        rows: (0..rows as u64)
            .map(|i| {
                vec![
                    Cell::Text(Some(world::numbered_code(1_000_000 + i))),
                    Cell::Text(Some(format!("集团成员企业{i:06}"))),
                    Cell::Date(Some(world::ymd(year + 1, 3, 1 + (i % 28) as u32))),
                    revenue(&mut rng, unreadable),
                    Cell::Money(Some(Decimal::new(rng.range(0, 2_000_000), 2))),
                    Cell::Whole(Some(rng.range(1, 5_000))),
                ]
            })
            .collect(),
    };
    let mut wb = writer::workbook()?;
    write_table(&mut wb, &mut rng, p.drift, &table)?;
    let path = out
        .join(year.to_string())
        .join("companies")
        .join("99999_集团成员汇总.xlsx");
    save(&path, &mut wb)
}

/// A group row's 营业收入 (万元), or with chance `unreadable` the words a
/// clerk typed instead. No draw is taken for a share of 0, so the plain
/// group workbook stays as it was.
fn revenue(rng: &mut Rng, unreadable: f64) -> Cell {
    let amount = Decimal::new(rng.range(1_000, 50_000_000), 2);
    if unreadable > 0.0 && rng.chance(unreadable) {
        Cell::Text(Some(format!("约{}万多", amount.round())))
    } else {
        Cell::Money(Some(amount))
    }
}

fn save(path: &Path, wb: &mut Workbook) -> Result<()> {
    let bytes = wb
        .save_to_buffer()
        .with_context(|| format!("cannot build {}", path.display()))?;
    write_atomic(path, &bytes)
}

fn labels(kind: SheetKind) -> Vec<&'static str> {
    kind.columns().iter().map(|c| c.label).collect()
}

/// Pick a unit note above the header (or none, leaving 万元 by default).
fn unit_note(rng: &mut Rng, who: &str) -> (Vec<String>, Option<MoneyUnit>) {
    match rng.range(0, 4) {
        0 => (vec![], None),
        1 => (vec!["单位：万元".into()], Some(MoneyUnit::Wan)),
        2 => (vec!["金额单位:亿元".into()], Some(MoneyUnit::Yi)),
        3 => (
            vec![format!("填报单位：{who}    单位：元")],
            Some(MoneyUnit::Yuan),
        ),
        _ => (vec!["单位：元".into()], Some(MoneyUnit::Yuan)),
    }
}

fn write_reference(
    out: &Path,
    p: &Params,
    companies: &[Company],
    banks: &[world::Agreement],
    districts: &[world::Agreement],
) -> Result<usize> {
    let mut rng = Rng::new(p.seed, "reference");
    let mut wb = writer::workbook()?;
    let registry = Table {
        sheet: "会员名册".into(),
        title: Some("上海市浙江商会会员名册".into()),
        notes: vec![],
        note_unit: None,
        labels: labels(SheetKind::Members),
        rows: companies
            .iter()
            .filter(|c| c.in_registry)
            .map(|c| {
                vec![
                    Cell::Text(Some(spell_code(&mut rng, p.drift, &c.code))),
                    Cell::Text(Some(c.name.clone())),
                    Cell::Text(Some(c.tier.into())),
                    Cell::Text(c.committee.map(String::from)),
                    Cell::Date(Some(c.joined)),
                    Cell::Date(c.left),
                ]
            })
            .collect(),
    };
    write_table(&mut wb, &mut rng, p.drift, &registry)?;
    let agreement_rows = |list: &[world::Agreement], district: bool| -> Vec<Vec<Cell>> {
        list.iter()
            .map(|a| {
                let mut row = vec![Cell::Text(Some(a.partner.into()))];
                if district {
                    row.push(Cell::Text(Some(a.kind.into())));
                }
                row.push(Cell::Date(Some(a.signed)));
                if district {
                    row.push(Cell::Whole(Some(a.projects)));
                }
                row.push(Cell::Money(Some(a.amount)));
                row
            })
            .collect()
    };
    let banks_table = Table {
        sheet: "银会合作".into(),
        title: Some("银会合作协议一览".into()),
        notes: vec!["金额单位：亿元".into()],
        note_unit: Some(MoneyUnit::Yi),
        labels: labels(SheetKind::BankAgreements),
        rows: agreement_rows(banks, false),
    };
    write_table(&mut wb, &mut rng, p.drift, &banks_table)?;
    let districts_table = Table {
        sheet: "区域合作".into(),
        title: Some("区域合作一览".into()),
        notes: vec!["金额单位：亿元".into()],
        note_unit: Some(MoneyUnit::Yi),
        labels: labels(SheetKind::DistrictAgreements),
        rows: agreement_rows(districts, true),
    };
    write_table(&mut wb, &mut rng, p.drift, &districts_table)?;
    save(&out.join("reference").join("会员名册.xlsx"), &mut wb)?;
    write_atomic(
        &out.join("reference").join("说明.txt"),
        "会员名册由秘书处维护。\n".as_bytes(),
    )?;
    Ok(2)
}

fn annual_row(rng: &mut Rng, p: &Params, c: &Company, sub: &Submission) -> Vec<Cell> {
    let a = &sub.annual;
    let mut code = spell_code(rng, p.drift, &c.code);
    if sub.trap == Trap::BadCode {
        // A typing error in the check character: the row is rejected.
        let last = code.pop().unwrap_or('0');
        code.push(if last == '1' { '2' } else { '1' });
    }
    let tax = if a.tax_negative_trap {
        Cell::Literal(format!(
            "-{}",
            a.tax.unwrap_or_default() / MoneyUnit::Wan.factor()
        ))
    } else {
        Cell::Money(a.tax)
    };
    vec![
        Cell::Text(Some(code)),
        Cell::Text(Some(c.name.clone())),
        Cell::Date(sub.reported_on),
        Cell::Money(a.revenue),
        Cell::Money(a.profit),
        tax,
        Cell::MoneyOrFormula(a.profit_tax),
        Cell::Whole(a.jobs),
        Cell::Money(a.donations),
        Cell::YesNo(a.listed),
        Cell::Text(a.stock_code.clone()),
        Cell::YesNo(a.leading),
        Cell::YesNo(a.top500),
        Cell::YesNo(a.top100),
        Cell::YesNo(a.party_org),
        Cell::Whole(a.party_members),
    ]
}

fn financing_rows(c: &Company, sub: &Submission) -> Vec<Vec<Cell>> {
    sub.financing
        .iter()
        .map(|f| {
            vec![
                Cell::Text(Some(c.code.clone())),
                Cell::Text(Some(f.institution.into())),
                Cell::Text(Some(f.kind.into())),
                Cell::Money(Some(f.amount)),
                Cell::Date(Some(f.date)),
                Cell::YesNo(f.facilitated),
            ]
        })
        .collect()
}

/// Write one company workbook holding `entries` (a group's own row first).
fn company_workbook(
    out: &Path,
    p: &Params,
    year: i32,
    file_name: &str,
    entries: &[(&Company, &Submission)],
) -> Result<()> {
    let (owner, _) = entries[0];
    let mut rng = Rng::new(p.seed, &format!("file/{year}/{file_name}"));
    let mut wb = writer::workbook()?;
    let (notes, note_unit) = unit_note(&mut rng, &owner.name);
    let annual = Table {
        sheet: if rng.chance(p.drift * 0.3) {
            "Sheet1".into()
        } else {
            "年度数据".into()
        },
        title: rng
            .chance(0.8)
            .then(|| format!("上海市浙江商会会员企业{year}年度统计表")),
        notes,
        note_unit,
        labels: labels(SheetKind::CompanyAnnual),
        rows: entries
            .iter()
            .map(|(c, s)| annual_row(&mut rng, p, c, s))
            .collect(),
    };
    let fin_rows: Vec<Vec<Cell>> = entries.iter().flat_map(|(c, s)| financing_rows(c, s)).collect();
    let financing = (!fin_rows.is_empty() || rng.chance(0.3)).then(|| Table {
        sheet: "金融支持".into(),
        title: Some("金融支持明细".into()),
        notes: vec!["单位：万元".into()],
        note_unit: Some(MoneyUnit::Wan),
        labels: labels(SheetKind::Financing),
        rows: fin_rows,
    });
    match financing {
        // 金融支持 first: the annual sheet must then carry its name.
        Some(f) if rng.chance(0.2) => {
            write_table(&mut wb, &mut rng, p.drift, &f)?;
            let annual = Table {
                sheet: "年度数据".into(),
                ..annual
            };
            write_table(&mut wb, &mut rng, p.drift, &annual)?;
        }
        Some(f) => {
            write_table(&mut wb, &mut rng, p.drift, &annual)?;
            write_table(&mut wb, &mut rng, p.drift, &f)?;
        }
        None => write_table(&mut wb, &mut rng, p.drift, &annual)?,
    }
    save(
        &out.join(year.to_string()).join("companies").join(file_name),
        &mut wb,
    )
}

/// Write the files of one company for one year; return the file count and
/// the company's contribution to the known answer.
fn write_company(out: &Path, p: &Params, all: &[Company], c: &Company, year: i32) -> Result<Written> {
    let sub = world::submission(p, c, year);
    let contribution = truth::company(c, year, sub.as_ref());
    // A subsidiary reports inside its group's file when the group submits.
    if let Some(parent) = c.group_parent {
        if world::submission(p, &all[parent], year).is_some() {
            return Ok(Written {
                files: 0,
                truth: contribution,
            });
        }
    }
    let Some(sub) = sub else {
        return Ok(Written {
            files: 0,
            truth: contribution,
        });
    };
    let subsidiaries: Vec<(&Company, Submission)> = all
        .get(c.idx + 1)
        .filter(|s| s.group_parent == Some(c.idx))
        .and_then(|s| world::submission(p, s, year).map(|sub| (s, sub)))
        .into_iter()
        .collect();
    let mut entries = vec![(c, &sub)];
    entries.extend(subsidiaries.iter().map(|(s, sub)| (*s, sub)));
    let base = format!("{:05}_{}", c.idx + 1, c.name);
    company_workbook(out, p, year, &format!("{base}.xlsx"), &entries)?;
    let mut files = 1;
    if let Some(draft) = &sub.draft {
        company_workbook(out, p, year, &format!("{base}_初版.xlsx"), &[(c, draft)])?;
        files += 1;
    }
    Ok(Written {
        files,
        truth: contribution,
    })
}

fn write_committee(out: &Path, p: &Params, i: usize, year: i32) -> Result<Written> {
    let Some(events) = world::committee_events(p, i, year) else {
        return Ok(Written::default());
    };
    let name = COMMITTEES[i];
    let mut rng = Rng::new(p.seed, &format!("committee-file/{i}/{year}"));
    let by_note = rng.chance(0.6);
    let mut labels = labels(SheetKind::Events);
    labels.pop(); // 专委会, present only when no note names the committee
    if !by_note {
        labels.insert(0, "专委会");
    }
    let rows = events
        .iter()
        .map(|e| {
            let mut row = vec![
                Cell::Text(Some(e.name.clone())),
                Cell::Date(Some(e.date)),
                Cell::Text(e.kind.map(String::from)),
                Cell::Whole(e.companies),
                Cell::Whole(e.participants),
                Cell::Text(e.place.map(String::from)),
                Cell::Text(e.partner.map(String::from)),
            ];
            if !by_note {
                row.insert(0, Cell::Text(Some(name.into())));
            }
            row
        })
        .collect();
    let colon = if rng.chance(0.5) { "：" } else { ":" };
    let table = Table {
        sheet: if rng.chance(p.drift * 0.3) {
            "Sheet1".into()
        } else {
            "活动".into()
        },
        title: Some(if by_note {
            format!("{name}{year}年度活动统计表")
        } else {
            format!("{year}年活动台账")
        }),
        notes: if by_note {
            vec![format!("填报单位{colon}{name}")]
        } else {
            vec![]
        },
        note_unit: None,
        labels,
        rows,
    };
    let mut wb = writer::workbook()?;
    write_table(&mut wb, &mut rng, p.drift, &table)?;
    save(
        &out.join(year.to_string())
            .join("committees")
            .join(format!("{:02}_{name}.xlsx", i + 1)),
        &mut wb,
    )?;
    Ok(Written {
        files: 1,
        truth: truth::committee(&events),
    })
}

/// Files every real inbox has: a committee nobody knows, an Office lock
/// file, a CSV export, a damaged and an empty workbook.
fn write_junk(out: &Path, p: &Params, year: i32) -> Result<usize> {
    if p.traps <= 0.0 {
        return Ok(0);
    }
    let year_dir = out.join(year.to_string());
    let mut rng = Rng::new(p.seed, &format!("junk/{year}"));
    let mut wb = writer::workbook()?;
    let unknown = Table {
        sheet: "活动".into(),
        title: None,
        notes: vec!["填报单位：不存在专委会".into()],
        note_unit: None,
        labels: vec!["活动名称", "活动日期", "活动类型", "参与人数"],
        rows: vec![vec![
            Cell::Text(Some("无效活动".into())),
            Cell::Date(world::ymd(year, 8, 16).into()),
            Cell::Text(Some("论坛".into())),
            Cell::Whole(Some(10)),
        ]],
    };
    write_table(&mut wb, &mut rng, 0.0, &unknown)?;
    save(&year_dir.join("committees").join("99_unknown.xlsx"), &mut wb)?;
    let companies = year_dir.join("companies");
    write_atomic(&companies.join("~$临时.xlsx"), b"\x00lock")?;
    write_atomic(
        &companies.join("导出.csv"),
        "统一社会信用代码,企业名称\n".as_bytes(),
    )?;
    write_atomic(
        &companies.join("损坏文件.xlsx"),
        b"PK\x03\x04 this is not a complete workbook",
    )?;
    write_atomic(&companies.join("空文件.xlsx"), b"")?;
    Ok(5)
}
