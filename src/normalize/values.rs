//! Yes/no, dates, 统一社会信用代码 and committee names.

use chrono::{Duration, NaiveDate};

use super::number::parse_whole;
use super::raw::{CellError, Raw};
use super::text::{compact, fold_width, is_missing_marker};

/// Yes/no cells: `是 否 Y N yes no TRUE FALSE 1 0 √ ×` (letters in any case)
/// and Excel booleans. Blank or a missing marker is `None` (missing), which
/// headline counts treat as no.
pub fn parse_yes_no(raw: &Raw) -> Result<Option<bool>, CellError> {
    match raw {
        Raw::Empty => Ok(None),
        Raw::Bool(b) => Ok(Some(*b)),
        Raw::Int(1) => Ok(Some(true)),
        Raw::Int(0) => Ok(Some(false)),
        Raw::Number(f) if *f == 1.0 => Ok(Some(true)),
        Raw::Number(f) if *f == 0.0 => Ok(Some(false)),
        Raw::Text(s) => {
            if is_missing_marker(s) {
                return Ok(None);
            }
            let folded = fold_width(s);
            let t = folded.trim().to_ascii_lowercase();
            match t.as_str() {
                "是" | "y" | "yes" | "true" | "1" | "√" => Ok(Some(true)),
                "否" | "n" | "no" | "false" | "0" | "×" => Ok(Some(false)),
                _ => Err(CellError::NotYesNo {
                    found: s.trim().to_string(),
                }),
            }
        }
        Raw::Error(e) => Err(CellError::ErrorCell { found: e.clone() }),
        other => Err(CellError::NotYesNo {
            found: other.display(),
        }),
    }
}

/// Dates: Excel date cells, bare serial numbers (1900 system), and text
/// `2024-03-05`, `2024/3/5`, `2024.3.5`, `2024年3月5日` (a time part of
/// midnight, as LibreOffice writes it, is tolerated).
pub fn parse_date(raw: &Raw) -> Result<Option<NaiveDate>, CellError> {
    let not_a_date = || CellError::NotADate {
        found: raw.display().trim().to_string(),
    };
    match raw {
        Raw::Empty => Ok(None),
        Raw::Date(dt) => Ok(Some(dt.date())),
        Raw::Number(f) => serial_to_date(*f).map(Some).ok_or_else(not_a_date),
        Raw::Int(i) => serial_to_date(*i as f64).map(Some).ok_or_else(not_a_date),
        Raw::Text(s) => {
            if is_missing_marker(s) {
                return Ok(None);
            }
            parse_date_text(s).map(Some).ok_or_else(not_a_date)
        }
        Raw::Error(e) => Err(CellError::ErrorCell { found: e.clone() }),
        Raw::Bool(_) => Err(not_a_date()),
    }
}

/// Excel's 1900 date system: serial 1 is 1900-01-01 and serial 60 is the
/// phantom 1900-02-29, so serials from 61 on count from 1899-12-30.
fn serial_to_date(f: f64) -> Option<NaiveDate> {
    if !(1.0..2_958_466.0).contains(&f) || f.fract() != 0.0 {
        return None;
    }
    let days = f as i64;
    let epoch = if days >= 61 {
        NaiveDate::from_ymd_opt(1899, 12, 30)?
    } else {
        NaiveDate::from_ymd_opt(1899, 12, 31)?
    };
    epoch.checked_add_signed(Duration::days(days))
}

fn parse_date_text(s: &str) -> Option<NaiveDate> {
    let folded = fold_width(s);
    let mut t = folded.trim();
    // Tolerate a midnight time part: "2024-03-05 00:00:00", "2024-03-05T00:00:00".
    for sep in [' ', 'T'] {
        if let Some((date, time)) = t.split_once(sep) {
            let time = time.trim();
            if time == "00:00:00" || time == "00:00" || time == "00:00:00.000" {
                t = date.trim();
            }
        }
    }
    let parts: Vec<&str> = if let Some(rest) = t.strip_suffix('日') {
        let (y, rest) = rest.split_once('年')?;
        let (m, d) = rest.split_once('月')?;
        vec![y, m, d]
    } else {
        let sep = ['-', '/', '.'].into_iter().find(|c| t.contains(*c))?;
        t.split(sep).collect()
    };
    let [y, m, d] = parts.as_slice() else {
        return None;
    };
    let digits = |p: &str, max_len: usize| {
        let p = p.trim();
        (!p.is_empty() && p.len() <= max_len && p.chars().all(|c| c.is_ascii_digit()))
            .then(|| p.parse::<u32>().ok())
            .flatten()
    };
    if y.trim().len() != 4 {
        return None;
    }
    NaiveDate::from_ymd_opt(digits(y, 4)? as i32, digits(m, 2)?, digits(d, 2)?)
}

/// GB 32100-2015 character set: digits and capitals without I, O, Z, S, V.
const CODE_CHARS: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";
const CODE_WEIGHTS: [u32; 17] = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

/// 统一社会信用代码: upper-cased, all white space removed, 18 characters from
/// the GB 32100-2015 set, and the 18th the check character of the first 17.
pub fn parse_credit_code(raw: &Raw) -> Result<Option<String>, CellError> {
    // Nearly every code arrives already in its canonical form: check it in
    // place. Anything else (spaces, full width, lower case, a wrong check
    // character) takes the general path below, which explains the problem.
    if let Raw::Text(s) = raw {
        if is_canonical_code(s.as_bytes()) {
            return Ok(Some(s.clone()));
        }
    }
    let text = match raw {
        Raw::Empty => return Ok(None),
        Raw::Text(s) => s.clone(),
        Raw::Error(e) => return Err(CellError::ErrorCell { found: e.clone() }),
        other => other.display(),
    };
    if is_missing_marker(&text) {
        return Ok(None);
    }
    let code = compact(&fold_width(&text)).to_ascii_uppercase();
    let bad = |zh: String, en: String| CellError::BadCreditCode {
        found: text.trim().to_string(),
        zh,
        en,
    };
    let chars: Vec<char> = code.chars().collect();
    if chars.len() != 18 {
        return Err(bad(
            format!("长度为 {} 位，应为 18 位", chars.len()),
            format!("has {} characters, expected 18", chars.len()),
        ));
    }
    let mut values = Vec::with_capacity(18);
    for c in &chars {
        match code_value(*c) {
            Some(v) => values.push(v),
            None => {
                return Err(bad(
                    format!("含有不允许的字符 '{c}'"),
                    format!("contains '{c}', not allowed by GB 32100-2015"),
                ))
            }
        }
    }
    let expected = check_character(&values[..17]) as char;
    if chars[17] != expected {
        return Err(bad(
            format!("校验码错误：应为 '{expected}'，实为 '{}'，请核对", chars[17]),
            format!(
                "has check character '{}', expected '{expected}' (typing error?)",
                chars[17]
            ),
        ));
    }
    Ok(Some(code))
}

/// The value of a character of the GB 32100-2015 set (its position).
fn code_value(c: char) -> Option<u32> {
    CODE_CHARS.find(c).map(|v| v as u32)
}

/// The check character (GB 32100-2015) of the first 17 values.
fn check_character(body: &[u32]) -> u8 {
    let sum: u32 = body.iter().zip(CODE_WEIGHTS).map(|(v, w)| v * w).sum();
    CODE_CHARS.as_bytes()[((31 - sum % 31) % 31) as usize]
}

/// 18 characters of the GB 32100-2015 set whose last is the check
/// character of the first 17.
fn is_canonical_code(b: &[u8]) -> bool {
    if b.len() != 18 {
        return false;
    }
    let mut values = [0u32; 18];
    for (v, c) in values.iter_mut().zip(b) {
        match code_value(char::from(*c)) {
            Some(x) => *v = x,
            None => return false,
        }
    }
    check_character(&values[..17]) == b[17]
}

/// A four-digit year (1000–9999), from a number or text (`2024`, `2024年`).
pub fn parse_year(raw: &Raw) -> Result<Option<i32>, CellError> {
    let text = match raw {
        Raw::Text(s) => s.trim().trim_end_matches('年').to_string(),
        other => other.display(),
    };
    let bad = || CellError::NotAYear { found: raw.display() };
    let whole = parse_whole(&Raw::Text(text)).map_err(|_| bad())?;
    match whole {
        None => Ok(None),
        Some(y) if (1000..=9999).contains(&y) => Ok(Some(y as i32)),
        Some(_) => Err(bad()),
    }
}

/// A 工作台账 code: letters (Chinese characters among them), digits and
/// `_`, not starting with a digit, and not a name templates already use (a
/// metric id, `year`, `years`, `银会合作`, `区域合作`). White space is
/// removed and full-width forms folded.
pub fn parse_fact_code(raw: &Raw) -> Result<Option<String>, CellError> {
    let text = match raw {
        Raw::Empty => return Ok(None),
        Raw::Text(s) => s.clone(),
        other => other.display(),
    };
    if is_missing_marker(text.trim()) {
        return Ok(None);
    }
    let code = compact(&fold_width(&text));
    let bad = |zh, en| CellError::BadFactCode {
        found: text.trim().to_string(),
        zh,
        en,
    };
    if !code.chars().all(|c| c.is_alphanumeric() || c == '_') {
        return Err(bad(
            "只能由字母、汉字、数字和下划线组成",
            "may hold only letters, Chinese characters, digits and _",
        ));
    }
    if code.chars().next().is_some_and(char::is_numeric) {
        return Err(bad("不能以数字开头", "must not start with a digit"));
    }
    if crate::contract::metrics::find(&code).is_some() {
        return Err(bad(
            "与 headline.csv 的指标代码重名",
            "is a metric id of headline.csv; choose another name",
        ));
    }
    if crate::contract::schema::TEMPLATE_NAMES.contains(&code.as_str()) {
        return Err(bad("是模板的保留名称", "is a name templates reserve"));
    }
    Ok(Some(code))
}

/// The committee named by a `填报单位：<name>` cell above a committee
/// sheet's header (ASCII colon too). Returns the raw name; whether it is one
/// of the 15 committees is the caller's check.
pub fn committee_from_note(cell: &str) -> Option<String> {
    let folded = cell.trim();
    let pos = folded.find("填报单位")?;
    let after = folded[pos + "填报单位".len()..].trim_start();
    let after = after
        .strip_prefix('：')
        .or_else(|| after.strip_prefix(':'))?
        .trim_start_matches([' ', '\u{3000}']);
    let name: String = after.chars().take_while(|c| !c.is_whitespace()).collect();
    (!name.is_empty()).then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(y, m, d)
    }

    #[test]
    fn yes_no_variants_from_the_contract() {
        for y in ["是", "Y", "y", "yes", "Yes", "TRUE", "true", "1", "√", "Ｙ"] {
            assert_eq!(parse_yes_no(&Raw::Text(y.into())).unwrap(), Some(true), "{y}");
        }
        for n in ["否", "N", "n", "no", "No", "FALSE", "0", "×"] {
            assert_eq!(parse_yes_no(&Raw::Text(n.into())).unwrap(), Some(false), "{n}");
        }
        assert_eq!(parse_yes_no(&Raw::Bool(true)).unwrap(), Some(true));
        assert_eq!(parse_yes_no(&Raw::Number(0.0)).unwrap(), Some(false));
        assert_eq!(parse_yes_no(&Raw::Empty).unwrap(), None);
        assert!(parse_yes_no(&Raw::Text("maybe".into())).is_err());
        assert!(parse_yes_no(&Raw::Number(2.0)).is_err());
    }

    #[test]
    fn dates_in_the_four_text_forms() {
        assert_eq!(
            parse_date(&Raw::Text("2024-03-05".into())).unwrap(),
            date(2024, 3, 5)
        );
        assert_eq!(
            parse_date(&Raw::Text("2024/3/5".into())).unwrap(),
            date(2024, 3, 5)
        );
        assert_eq!(
            parse_date(&Raw::Text("2024.3.5".into())).unwrap(),
            date(2024, 3, 5)
        );
        assert_eq!(
            parse_date(&Raw::Text("2024年3月5日".into())).unwrap(),
            date(2024, 3, 5)
        );
        assert_eq!(
            parse_date(&Raw::Text(" 2024-03-05 00:00:00 ".into())).unwrap(),
            date(2024, 3, 5)
        );
    }

    #[test]
    fn excel_serial_numbers_are_dates() {
        assert_eq!(parse_date(&Raw::Number(45356.0)).unwrap(), date(2024, 3, 5));
        assert_eq!(parse_date(&Raw::Int(1)).unwrap(), date(1900, 1, 1));
        assert!(parse_date(&Raw::Number(45356.5)).is_err());
    }

    #[test]
    fn impossible_or_malformed_dates_are_rejected() {
        for bad in ["2024-02-30", "24-3-5", "2024年3月", "next week", "2024/13/1"] {
            assert!(parse_date(&Raw::Text(bad.into())).is_err(), "{bad}");
        }
    }

    #[test]
    fn credit_code_is_upper_cased_and_spaces_removed() {
        let code = parse_credit_code(&Raw::Text(" 913101 18txk94w64h8 ".into())).unwrap();
        assert_eq!(code.as_deref(), Some("91310118TXK94W64H8"));
    }

    #[test]
    fn credit_code_with_wrong_check_character_is_rejected() {
        let err = parse_credit_code(&Raw::Text("91310104XWTC3DXPHB".into())).unwrap_err();
        assert!(err.to_string().contains("check character"), "{err}");
    }

    #[test]
    fn credit_code_of_wrong_length_or_alphabet_is_rejected() {
        assert!(parse_credit_code(&Raw::Text("9131011".into())).is_err());
        assert!(parse_credit_code(&Raw::Text("91310115F0WTCDKQQO".into())).is_err());
    }

    #[test]
    fn committee_note_with_either_colon() {
        assert_eq!(
            committee_from_note("填报单位：金融投资专委会").as_deref(),
            Some("金融投资专委会")
        );
        assert_eq!(
            committee_from_note("填报单位: 大健康专委会  单位：万元").as_deref(),
            Some("大健康专委会")
        );
        assert_eq!(committee_from_note("2023年活动台账"), None);
    }
}
