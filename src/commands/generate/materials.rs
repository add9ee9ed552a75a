//! The demo's materials: a 工作台账 (the secretariat's own facts, as the
//! seed's annual materials state them) in `reference/`, and the template
//! `materials/先进事迹材料.docx`, whose paragraphs are the seed's own
//! sentences with their numbers as tags — the figures the warehouse
//! computes, the facts of the 工作台账, each phrased as the seed phrases
//! it (600多家, 超千亿元, 近500场次) and so written only when true. Some
//! tags are cut across runs, as Word leaves them after an edit. Calendar
//! years of the chamber's history stay text: they are dates, not figures.

use std::path::Path;

use anyhow::{Context, Result};
use docx_rs::{AlignmentType, Docx, Header, Paragraph, Run, RunFonts, Table, TableCell, TableRow};

use super::world::Params;
use super::writer::{self, Cell, Table as Sheet};
use crate::contract::schema::SheetKind;
use crate::util::fs::write_atomic;

/// One fact of the 工作台账: code, label, unit, note, and its value for
/// each year (latest last); `None` as a year is a fact for every year.
struct Fact {
    code: &'static str,
    label: &'static str,
    unit: &'static str,
    note: &'static str,
    /// (year offset from the last year, value as typed): offset `None`
    /// writes a blank 年度; an offset before the tree's first year is the
    /// first year (the figure holds from then on, as the ledger reads).
    values: &'static [(Option<i32>, &'static str)],
}

/// An offset that is the tree's first year, whatever its years.
const FIRST: i32 = -100;

const FACTS: [Fact; 14] = [
    fact("专委会数", "专业委员会", "个", "商会章程", &[(None, "15")]),
    fact(
        "党支部数",
        "商会党委所属党支部",
        "个",
        "党委台账",
        &[(Some(-2), "14"), (Some(-1), "15"), (Some(0), "16")],
    ),
    fact(
        "商会党员人数",
        "商会党委党员",
        "人",
        "党委台账",
        &[(Some(-2), "188"), (Some(-1), "195"), (Some(0), "201")],
    ),
    fact(
        "联席会党组织数",
        "党建联席会理事会成员党组织",
        "家",
        "联席会名册",
        &[(Some(FIRST), "143")],
    ),
    fact(
        "联席会党员人数",
        "联席会覆盖党员",
        "人",
        "联席会名册",
        &[(Some(FIRST), "20,345")],
    ),
    fact(
        "党建品牌案例数",
        "党建工作品牌案例",
        "个",
        "党建课题组",
        &[(Some(FIRST), "52")],
    ),
    fact(
        "诉求材料数",
        "报送企业诉求材料",
        "个",
        "权益部台账",
        &[(Some(FIRST), "126")],
    ),
    fact(
        "法律援助次数",
        "协调法律援助",
        "次",
        "法律急诊台账",
        &[(Some(FIRST), "96")],
    ),
    fact(
        "纠纷调解次数",
        "推动解决的纠纷",
        "次",
        "法律急诊台账",
        &[(Some(FIRST), "153")],
    ),
    fact(
        "高校院所数",
        "合作高校和科研院所",
        "家",
        "科创联盟名单",
        &[(None, "４３")],
    ),
    fact(
        "浦东首签产业领域数",
        "2016年浦东首签明确的产业领域",
        "个",
        "2016年协议",
        &[(None, "12")],
    ),
    fact(
        "浦东首签投资额",
        "2016年浦东首签落实的项目投资",
        "元",
        "2016年协议",
        &[(None, "205亿")],
    ),
    fact(
        "浦东续签合作方面数",
        "2021年浦东续签明确的合作方面",
        "个",
        "2021年协议",
        &[(None, "10")],
    ),
    fact(
        "浦东续签项目数",
        "2021年浦东续签推动落地的项目",
        "个",
        "2021年协议",
        &[(None, "9")],
    ),
];

const fn fact(
    code: &'static str,
    label: &'static str,
    unit: &'static str,
    note: &'static str,
    values: &'static [(Option<i32>, &'static str)],
) -> Fact {
    Fact {
        code,
        label,
        unit,
        note,
        values,
    }
}

/// `reference/工作台账.xlsx`: the facts for the generated years.
pub fn write_ledger(out: &Path, p: &Params) -> Result<()> {
    let last = *p.years.last().context("at least one year")?;
    let first = *p.years.first().context("at least one year")?;
    let mut rows = Vec::new();
    for f in &FACTS {
        // A year of the tree each (the later value when two fall on one).
        let mut by_year: Vec<(Option<i32>, &str)> = Vec::new();
        for (offset, value) in f.values {
            let year = offset.map(|o| (last + o).max(first));
            by_year.retain(|(y, _)| *y != year);
            by_year.push((year, value));
        }
        for (year, value) in by_year {
            rows.push(vec![
                Cell::Text(Some(f.code.into())),
                Cell::Text(Some(f.label.into())),
                year.map_or(Cell::Text(None), |y| Cell::Whole(Some(i64::from(y)))),
                Cell::Text(Some(value.into())),
                Cell::Text(Some(f.unit.into())),
                Cell::Text(Some(f.note.into())),
            ]);
        }
    }
    let table = Sheet {
        sheet: SheetKind::Ledger.sheet_name().into(),
        title: Some("商会工作台账（秘书处）".into()),
        notes: vec![],
        note_unit: None,
        labels: SheetKind::Ledger.columns().iter().map(|c| c.label).collect(),
        rows,
    };
    let mut wb = writer::workbook()?;
    // No drift: the secretariat's own form, and the facts are the seed's.
    let mut rng = super::rng::Rng::new(p.seed, "ledger");
    writer::write_table(&mut wb, &mut rng, 0.0, &table)?;
    let bytes = wb
        .save_to_buffer()
        .context("cannot build the 工作台账 workbook")?;
    write_atomic(&out.join("reference").join("工作台账.xlsx"), &bytes)
}

/// A piece of a paragraph: text, bold text, or text cut into runs where
/// Word would cut it.
enum Piece {
    T(&'static str),
    B(&'static str),
    Cut(&'static [&'static str]),
    Owned(String),
}

use Piece::{Cut, Owned, B, T};

fn fonts() -> RunFonts {
    RunFonts::new().ascii("Times New Roman").east_asia("宋体")
}

fn paragraph(pieces: &[Piece]) -> Paragraph {
    let mut p = Paragraph::new().indent(None, Some(docx_rs::SpecialIndentType::FirstLine(640)), None, None);
    for piece in pieces {
        let run = |s: &str| Run::new().fonts(fonts()).size(32).add_text(s);
        p = match piece {
            T(s) => p.add_run(run(s)),
            Owned(s) => p.add_run(run(s)),
            B(s) => p.add_run(run(s).bold()),
            Cut(parts) => parts.iter().fold(p, |p, s| p.add_run(run(s))),
        };
    }
    p
}

fn cell(text: &str) -> TableCell {
    TableCell::new()
        .add_paragraph(Paragraph::new().add_run(Run::new().fonts(fonts()).size(24).add_text(text)))
}

/// The seed's paragraphs. The coverage of party organisations is compared
/// with the earliest year the warehouse has, when there is one (the same
/// template renders for every year).
fn body() -> Vec<Paragraph> {
    let coverage = "商会副会长以上单位党组织覆盖率{% if years %}{% set first = (years | list)[0] %}从{{ years[first].party_org_coverage_vp_plus | 数(0) }}%{{ party_org_coverage_vp_plus | 增减(years[first].party_org_coverage_vp_plus) }}到{% else %}为{% endif %}{{ party_org_coverage_vp_plus | 数(0) }}%。".to_string();
    vec![
        paragraph(&[
            T("上海市浙江商会成立于1986年，是伴随着改革开放浪潮，在上海成立最早的省级异地商会。商会连续四次获评全国“四好商会”，曾荣获上海市文明单位和上海市5A社会组织、上海市三八红旗集体等荣誉称号。目前有{{ 专委会数 }}个专业委员会，会员企业遍布各大产业领域，其中有"),
            Cut(&["{{ listed_or_", "leading | 多 }}"]),
            T("家上市公司和行业龙头企业，包括{{ china_private_top500 }}家中国民营企业500强，{{ shanghai_private_top100 }}家上海民营企业百强。企业年利税"),
            Cut(&["{{ profit_tax_total | 超(\"亿\", 1, ", "\"汉字\") }}"]),
            T("元，直接形成就业岗位{{ jobs_total | 万(0) }}万个，直接参与公益慈善事业回报社会年捐赠{{ donations_total | 超过(\"亿\") }}元。主要工作如下。"),
        ]),
        paragraph(&[
            B("一、服务上海经济社会发展，当好示范者。在团结凝聚在沪浙商方面，"),
            T("围绕上海五大中心建设，商会通过党建引领，不断提升企业家的理想信念教育，指导商会建设规范有序。商会党委自2016年成立以来，建有{{ 党支部数 }}个党支部，党员人数{{ 商会党员人数 }}人。"),
            Owned(coverage),
            T("成立了由{{ 联席会党组织数 }}家党组织参加的党建联席会理事会，覆盖党员{{ 联席会党员人数 | 余(\"万\") }}人。联合专家和专业机构共同推出{{ 党建品牌案例数 | 多 }}个党建工作品牌案例。每年举办世界浙商上海论坛等系列品牌活动{{ events_total | 近 }}场次，参与{{ event_participants_total | 约(\"万\") }}人次。"),
        ]),
        paragraph(&[
            B("在助力上海打造一流营商环境方面，"),
            T("商会主动而为，先后与{{ 区域合作 | selectattr(\"类型\", \"equalto\", \"区\") | map(attribute=\"合作方\") | unique | list | 顿号 }}等{{ district_partners }}个区和功能区签署战略合作协议，为地方招大引强、产业升级提供助力。2016年，首次和浦东签约时明确了{{ 浦东首签产业领域数 }}个产业领域的合作，直接落实了{{ 浦东首签投资额 | 亿 }}亿元的项目投资。2021年，再次续签战略合作协议，从{{ 浦东续签合作方面数 }}个方面进一步明确了参与浦东打造社会主义现代化引领区的建设，推动{{ 浦东续签项目数 }}个项目落地。各区累计落地投资{{ investment_landed_cumulative | 亿 }}亿元。"),
        ]),
        paragraph(&[
            B("二、全力推动会员企业发展，当好引领者。"),
            T("在帮企纾困方面，商会先后和{{ bank_partners }}个银行签署战略合作协议，“银会合作”综合授信累计达到{{ bank_credit_lines_cumulative | 亿 }}亿。每年为{{ financed_companies | 多 }}家会员企业争取各大金融机构的金融扶持和普惠服务政策，累计促成{{ financing_facilitated_cumulative | 亿 }}亿元金融支持实体落地。每年向各级政府和司法机关报送企业各类诉求材料{{ 诉求材料数 | 上 }}个，协调{{ 法律援助次数 | 近(\"\", 1, \"汉字\") }}次法律援助，推动解决“急难愁”问题和内部各类纠纷每年{{ 纠纷调解次数 | 不少于(\"\", 2) }}次。"),
        ]),
        paragraph(&[
            B("在支持企业科技创新方面，"),
            T("与上海{{ 高校院所数 | 多 }}家高校和科研院所成果转化部门成立高校（院所）科技创新联盟、引才联盟。每年组织企业参与{{ campus_recruitment_events | 余 }}场高校招聘会，为会员企业引进优秀应届毕业生。"),
        ]),
        paragraph(&[
            B("在推动企业转型升级方面，"),
            T("通过{{ committees_reporting }}个专委会开展活动，打造产业生态链，推进会员企业之间打通产业上下游，加强合作共赢。"),
        ]),
    ]
}

/// The key figures as a table (tags in cells render too).
fn figures_table() -> Table {
    let row = |a: &str, b: &str| TableRow::new(vec![cell(a), cell(b)]);
    Table::new(vec![
        row("指标", "{{ year }}年"),
        row("会员企业", "{{ member_companies }}家"),
        row("报送企业年利税", "{{ profit_tax_total | 亿 }}亿元"),
        row("就业岗位", "{{ jobs_total | 万 }}万个"),
        row("年捐赠", "{{ donations_total | 亿 }}亿元"),
        row("全年活动", "{{ events_total }}场"),
    ])
}

/// `materials/先进事迹材料.docx`.
pub fn write_template(out: &Path) -> Result<()> {
    let title = Paragraph::new().align(AlignmentType::Center).add_run(
        Run::new()
            .fonts(fonts())
            .size(44)
            .bold()
            .add_text("上海市浙江商会先进事迹材料"),
    );
    let header = Header::new().add_paragraph(
        Paragraph::new().align(AlignmentType::Center).add_run(
            Run::new()
                .fonts(fonts())
                .size(18)
                .add_text("上海市浙江商会 · {{ year }}年度材料"),
        ),
    );
    let mut doc = Docx::new()
        .header(header)
        .default_fonts(fonts())
        .add_paragraph(title);
    for p in body() {
        doc = doc.add_paragraph(p);
    }
    doc = doc
        .add_paragraph(paragraph(&[B("附：主要数据")]))
        .add_table(figures_table())
        .add_paragraph(paragraph(&[T(
            "长期以来，商会不断增强凝聚力、执行力、影响力，对内管理严格规范，擦亮“金名片”，有力地引领在沪浙商群体进一步守正创新、砥砺前行。",
        )]));
    let mut bytes = std::io::Cursor::new(Vec::new());
    doc.build()
        .pack(&mut bytes)
        .context("cannot build the materials template")?;
    write_atomic(
        &out.join("materials").join("先进事迹材料.docx"),
        &bytes.into_inner(),
    )
}
