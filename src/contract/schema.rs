//! The sheets of the submission contract: which columns each has, which are
//! required, what type each holds, and which warehouse table it loads into.
//!
//! This is the one place that restates `inputs.md` as data; ingest, load and
//! `check` all read it, so a column added to the contract is added here once.

/// The 15 committees (专委会) of the chamber.
pub const COMMITTEES: [&str; 15] = [
    "金融投资专委会",
    "科技创新专委会",
    "智能制造专委会",
    "大健康专委会",
    "数字经济专委会",
    "文化旅游专委会",
    "现代服务业专委会",
    "建筑房地产专委会",
    "新能源专委会",
    "商贸流通专委会",
    "法律事务专委会",
    "青年企业家专委会",
    "女企业家专委会",
    "上市公司专委会",
    "品牌建设专委会",
];

/// Membership tiers, most senior first. The first four are "副会长以上".
pub const TIERS: [&str; 7] = [
    "会长",
    "执行会长",
    "常务副会长",
    "副会长",
    "常务理事",
    "理事",
    "会员",
];

pub const FINANCING_KINDS: [&str; 5] = ["授信", "贷款", "债券", "融资租赁", "其他"];
pub const DISTRICT_KINDS: [&str; 2] = ["区", "功能区"];
pub const EVENT_KINDS: [&str; 9] = [
    "论坛",
    "沙龙",
    "培训",
    "考察",
    "招聘会",
    "党建",
    "文体",
    "公益",
    "其他",
];

/// The figures an opening balance (期初累计) may be given for: (metric id,
/// the label a person writes). Either spelling is accepted; the id is stored.
pub const OPENING_METRICS: [(&str, &str); 1] = [("financing_facilitated_cumulative", "累计促成金融支持")];

/// The names a template knows besides the figures and facts: a 工作台账
/// code may not take one (shared/spec/materials.md).
pub const TEMPLATE_NAMES: [&str; 4] = ["year", "years", "银会合作", "区域合作"];

/// What a column holds and how its cells are normalised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    Text,
    CreditCode,
    /// Money in 元; `signed` allows negative amounts (profit).
    Money {
        signed: bool,
    },
    Whole,
    YesNo,
    Date,
    /// A date that must fall inside the reporting year of the folder; a date
    /// outside it rejects the whole row.
    DateInYear,
    OneOf(&'static [&'static str]),
    /// 活动类型: one of [`EVENT_KINDS`]; any other text becomes 其他, noted.
    EventKind,
    /// One of [`COMMITTEES`].
    Committee,
    /// A date that must be 31 December (截至日期 of an opening balance).
    YearEnd,
    /// A metric id or its label from the list; the id is stored.
    Metric(&'static [(&'static str, &'static str)]),
    /// An exact number: the number rules of money (separators, full-width
    /// digits, 约/近/超, a 万 or 亿 in the cell), with no unit implied.
    Number,
    /// A four-digit year.
    Year,
    /// A 工作台账 code: the name a template uses for the fact.
    FactCode,
}

impl FieldType {
    /// The DuckDB column type the value is stored as.
    pub fn sql_type(self) -> &'static str {
        match self {
            FieldType::Money { .. } | FieldType::Number => "DECIMAL(38,6)",
            FieldType::Whole => "BIGINT",
            FieldType::Year => "INTEGER",
            FieldType::YesNo => "BOOLEAN",
            FieldType::Date | FieldType::DateInYear | FieldType::YearEnd => "DATE",
            _ => "VARCHAR",
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Column {
    /// The header label after normalisation (white space and unit removed).
    pub label: &'static str,
    /// The warehouse column name.
    pub field: &'static str,
    pub required: bool,
    pub ty: FieldType,
}

const fn col(label: &'static str, field: &'static str, required: bool, ty: FieldType) -> Column {
    Column {
        label,
        field,
        required,
        ty,
    }
}

/// Every kind of sheet the contract defines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SheetKind {
    Members,
    BankAgreements,
    DistrictAgreements,
    OpeningBalances,
    CompanyAnnual,
    Financing,
    Events,
    /// 工作台账: the secretariat's own facts for the materials.
    Ledger,
}

impl SheetKind {
    pub const ALL: [SheetKind; 8] = [
        SheetKind::Members,
        SheetKind::BankAgreements,
        SheetKind::DistrictAgreements,
        SheetKind::OpeningBalances,
        SheetKind::CompanyAnnual,
        SheetKind::Financing,
        SheetKind::Events,
        SheetKind::Ledger,
    ];

    /// The sheet name that identifies this kind in a workbook.
    pub fn sheet_name(self) -> &'static str {
        match self {
            SheetKind::Members => "会员名册",
            SheetKind::BankAgreements => "银会合作",
            SheetKind::DistrictAgreements => "区域合作",
            SheetKind::OpeningBalances => "期初累计",
            SheetKind::CompanyAnnual => "年度数据",
            SheetKind::Financing => "金融支持",
            SheetKind::Events => "活动",
            SheetKind::Ledger => "工作台账",
        }
    }

    /// The warehouse table its accepted rows load into.
    pub fn table(self) -> &'static str {
        match self {
            SheetKind::Members => "members",
            SheetKind::BankAgreements => "bank_agreements",
            SheetKind::DistrictAgreements => "district_agreements",
            SheetKind::OpeningBalances => "opening_balances",
            SheetKind::CompanyAnnual => "company_reports",
            SheetKind::Financing => "financing",
            SheetKind::Events => "events",
            SheetKind::Ledger => "ledger_facts",
        }
    }

    /// The column whose label finds the header row.
    pub fn key_label(self) -> &'static str {
        self.columns()[0].label
    }

    /// Columns in warehouse order; the first is the key column.
    pub fn columns(self) -> &'static [Column] {
        match self {
            SheetKind::Members => &MEMBER_COLUMNS,
            SheetKind::BankAgreements => &BANK_COLUMNS,
            SheetKind::DistrictAgreements => &DISTRICT_COLUMNS,
            SheetKind::OpeningBalances => &OPENING_COLUMNS,
            SheetKind::CompanyAnnual => &ANNUAL_COLUMNS,
            SheetKind::Financing => &FINANCING_COLUMNS,
            SheetKind::Events => &EVENT_COLUMNS,
            SheetKind::Ledger => &LEDGER_COLUMNS,
        }
    }
}

use FieldType::*;

const MEMBER_COLUMNS: [Column; 6] = [
    col("统一社会信用代码", "credit_code", true, CreditCode),
    col("企业名称", "name", true, Text),
    col("会员级别", "tier", true, OneOf(&TIERS)),
    col("所属专委会", "committee", false, Committee),
    col("入会日期", "joined_on", true, Date),
    col("退会日期", "left_on", false, Date),
];

const BANK_COLUMNS: [Column; 3] = [
    col("银行名称", "bank", true, Text),
    col("签约日期", "signed_on", true, Date),
    col("授信额度", "credit_line", false, Money { signed: false }),
];

const DISTRICT_COLUMNS: [Column; 5] = [
    col("合作方", "partner", true, Text),
    col("类型", "kind", false, OneOf(&DISTRICT_KINDS)),
    col("签约日期", "signed_on", true, Date),
    col("落地项目数", "projects", false, Whole),
    col("落地投资额", "investment", false, Money { signed: false }),
];

/// 期初累计: a figure's balance as of 31 Dec of a year B, from before the
/// chamber collected workbooks (shared/spec/inputs.md).
const OPENING_COLUMNS: [Column; 4] = [
    col("指标", "metric", true, Metric(&OPENING_METRICS)),
    col("截至日期", "as_of", true, YearEnd),
    col("金额", "amount", true, Money { signed: false }),
    col("说明", "note", false, Text),
];

const ANNUAL_COLUMNS: [Column; 16] = [
    col("统一社会信用代码", "credit_code", true, CreditCode),
    col("企业名称", "name", true, Text),
    col("填报日期", "reported_on", false, Date),
    col("营业收入", "revenue", false, Money { signed: false }),
    col("利润总额", "profit", false, Money { signed: true }),
    col("纳税总额", "tax", false, Money { signed: false }),
    col("利税总额", "profit_tax", false, Money { signed: true }),
    col("从业人数", "jobs", false, Whole),
    col("公益捐赠", "donations", false, Money { signed: false }),
    col("是否上市", "listed", false, YesNo),
    col("股票代码", "stock_code", false, Text),
    col("行业龙头", "industry_leader", false, YesNo),
    col("中国民营企业500强", "china_top500", false, YesNo),
    col("上海民营企业100强", "shanghai_top100", false, YesNo),
    col("党组织", "party_org", false, YesNo),
    col("党员人数", "party_members", false, Whole),
];

const FINANCING_COLUMNS: [Column; 6] = [
    col("统一社会信用代码", "credit_code", true, CreditCode),
    col("金融机构", "institution", true, Text),
    col("类型", "kind", false, OneOf(&FINANCING_KINDS)),
    col("金额", "amount", true, Money { signed: false }),
    col("发生日期", "occurred_on", true, DateInYear),
    col("经商会促成", "facilitated", false, YesNo),
];

/// 工作台账 (shared/spec/materials.md): facts that come from no
/// submission, each for a year or (年度 blank) for every year.
const LEDGER_COLUMNS: [Column; 6] = [
    col("指标代码", "code", true, FactCode),
    col("指标名称", "label", false, Text),
    col("年度", "fact_year", false, Year),
    col("数值", "value", true, Number),
    col("单位", "unit", false, Text),
    col("说明", "note", false, Text),
];

const EVENT_COLUMNS: [Column; 8] = [
    col("活动名称", "name", true, Text),
    col("活动日期", "held_on", true, DateInYear),
    col("活动类型", "kind", false, EventKind),
    col("参与企业数", "companies", false, Whole),
    col("参与人数", "participants", false, Whole),
    col("地点", "place", false, Text),
    col("合作单位", "partner", false, Text),
    // Required unless a 填报单位 note names the committee; the
    // ingest stage enforces that rule.
    col("专委会", "committee", false, Committee),
];

/// Where a workbook sits in the inputs tree decides which sheets it may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FolderKind {
    Reference,
    Companies,
    Committees,
}

impl FolderKind {
    pub fn label(self) -> &'static str {
        match self {
            FolderKind::Reference => "reference",
            FolderKind::Companies => "companies",
            FolderKind::Committees => "committees",
        }
    }

    /// The sheet kinds looked for by name, and which one falls back to the
    /// first sheet when no sheet carries its name.
    pub fn sheet_kinds(self) -> (&'static [SheetKind], Option<SheetKind>) {
        match self {
            FolderKind::Reference => (
                &[
                    SheetKind::Members,
                    SheetKind::BankAgreements,
                    SheetKind::DistrictAgreements,
                    SheetKind::OpeningBalances,
                    SheetKind::Ledger,
                ],
                None,
            ),
            FolderKind::Companies => (
                &[SheetKind::CompanyAnnual, SheetKind::Financing],
                Some(SheetKind::CompanyAnnual),
            ),
            FolderKind::Committees => (&[SheetKind::Events], Some(SheetKind::Events)),
        }
    }
}

/// The reporting year a folder name stands for: four digits (`2024`).
pub fn year_folder(name: &str) -> Option<i32> {
    (name.len() == 4 && name.chars().all(|c| c.is_ascii_digit()))
        .then(|| name.parse().ok())
        .flatten()
}

/// True for the workbook formats the contract accepts.
pub fn is_workbook_extension(ext: &str) -> bool {
    matches!(
        ext.to_ascii_lowercase().as_str(),
        "xlsx" | "xlsm" | "xls" | "xlsb" | "ods"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_sheet_has_its_key_column_first_and_required() {
        for kind in SheetKind::ALL {
            let key = kind.columns()[0];
            assert!(key.required, "{kind:?}");
            assert_eq!(kind.key_label(), key.label);
        }
    }

    #[test]
    fn field_names_are_unique_per_sheet() {
        for kind in SheetKind::ALL {
            let mut names: Vec<_> = kind.columns().iter().map(|c| c.field).collect();
            names.sort();
            names.dedup();
            assert_eq!(names.len(), kind.columns().len(), "{kind:?}");
        }
    }
}
