//! One cell as the reader found it ([`Raw`]), the exact decimal of a float
//! cell, and why a cell was not accepted ([`CellError`]): what every
//! normaliser takes and gives.

use chrono::NaiveDateTime;

use super::text::is_missing_marker;
use rust_decimal::Decimal;
use thiserror::Error;

/// One cell as the reader found it, before any contract rule is applied.
#[derive(Debug, Clone, PartialEq)]
pub enum Raw {
    Empty,
    Text(String),
    /// A numeric cell; Excel stores these as IEEE doubles.
    Number(f64),
    Int(i64),
    Bool(bool),
    /// A cell formatted as a date (or an ODS/ISO date-time string).
    Date(NaiveDateTime),
    /// An error value such as `#DIV/0!`, kept as Excel spells it.
    Error(String),
}

impl Raw {
    /// The text an auditor sees for this cell: what the submitter typed, or
    /// the shortest decimal that round-trips a numeric cell.
    pub fn display(&self) -> String {
        match self {
            Raw::Empty => String::new(),
            Raw::Text(s) => s.clone(),
            Raw::Number(f) => shortest_decimal(*f),
            Raw::Int(i) => i.to_string(),
            Raw::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
            Raw::Date(d) => {
                if d.time() == chrono::NaiveTime::MIN {
                    d.date().format("%Y-%m-%d").to_string()
                } else {
                    d.format("%Y-%m-%d %H:%M:%S").to_string()
                }
            }
            Raw::Error(e) => e.clone(),
        }
    }

    /// True for an empty cell or one holding only white space.
    pub fn is_blank(&self) -> bool {
        match self {
            Raw::Empty => true,
            Raw::Text(s) => s.chars().all(char::is_whitespace),
            _ => false,
        }
    }

    /// True when the cell means "no value": blank, or a missing marker.
    pub fn is_missing(&self) -> bool {
        match self {
            Raw::Text(s) => is_missing_marker(s),
            other => other.is_blank(),
        }
    }
}

/// Rust's `Display` for `f64` prints the shortest decimal that parses back
/// to the same double, which is exactly the contract's "a float cell from
/// Excel is taken at its shortest round-trip decimal".
pub fn shortest_decimal(f: f64) -> String {
    with_shortest_decimal(f, str::to_string)
}

/// `k` of [`shortest_decimal`]'s text, printed on the stack when it fits:
/// this runs for every number cell.
fn with_shortest_decimal<R>(f: f64, k: impl FnOnce(&str) -> R) -> R {
    if f == 0.0 {
        return k("0");
    }
    let mut buf = [0u8; 40];
    let mut w = std::io::Cursor::new(&mut buf[..]);
    if std::io::Write::write_fmt(&mut w, format_args!("{f}")).is_ok() {
        let n = w.position() as usize;
        if let Ok(s) = std::str::from_utf8(&buf[..n]) {
            return k(s);
        }
    }
    k(&format!("{f}"))
}

/// Convert a numeric cell to an exact decimal via its shortest round-trip
/// text, so `0.1` is 0.1 and not 0.1000000000000000055511151231257827.
pub fn float_to_decimal(f: f64) -> Result<Decimal, CellError> {
    if !f.is_finite() {
        return Err(CellError::NotANumber {
            found: shortest_decimal(f),
        });
    }
    with_shortest_decimal(f, |s| {
        s.parse::<Decimal>()
            .map_err(|_| CellError::TooLarge { found: s.to_string() })
    })
}

/// Why one cell was not accepted. Messages are written for a secretariat
/// clerk: what the cell should hold, and what it holds.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CellError {
    #[error("必填项为空 / required value is missing")]
    Missing,
    #[error(
        "应为数字（如 1234.5、1,234.5、约1234.5万），实际为 '{found}' / expected a number, found '{found}'"
    )]
    NotANumber { found: String },
    #[error("数值过大，无法精确保存：'{found}' / number too large to hold exactly")]
    TooLarge { found: String },
    #[error("金额不能为负数，实际为 {found} / expected an amount of 0 or more, found {found}")]
    Negative { found: String },
    #[error("应为不小于 0 的整数，实际为 '{found}' / expected a whole number of 0 or more, found '{found}'")]
    NotWhole { found: String },
    #[error("应填 是/否（Y/N、TRUE/FALSE、1/0、√/×），实际为 '{found}' / expected yes/no, found '{found}'")]
    NotYesNo { found: String },
    #[error("应为日期（2024-03-05、2024/3/5、2024.3.5、2024年3月5日 或 Excel 日期），实际为 '{found}' / expected a date, found '{found}'")]
    NotADate { found: String },
    #[error("日期 {found} 不在报送年度 {year} 内 / date {found} is outside the reporting year {year}")]
    DateOutsideYear { found: String, year: i32 },
    #[error("单元格是公式错误值 {found} / the cell holds the spreadsheet error {found}")]
    ErrorCell { found: String },
    /// The column name comes from the caller (`统一社会信用代码: …`), once.
    #[error("'{found}' {zh} / '{found}' {en}")]
    BadCreditCode { found: String, zh: String, en: String },
    #[error("应为 {expected} 之一，实际为 '{found}' / expected one of {expected}, found '{found}'")]
    NotInList { expected: String, found: String },
    #[error("金额 '{found}' 精度超过 0.000001 元 / amount has more than 6 decimal places of a yuan")]
    TooPrecise { found: String },
    #[error("截至日期应为某年 12 月 31 日，实际为 {found} / expected 31 December of a year, found {found}")]
    NotYearEnd { found: String },
    #[error("应为四位数的年度（如 2024），实际为 '{found}' / expected a four-digit year, found '{found}'")]
    NotAYear { found: String },
    #[error("指标代码 '{found}' {zh} / the code '{found}' {en}")]
    BadFactCode {
        found: String,
        zh: &'static str,
        en: &'static str,
    },
}
