//! Spell the ground truth into workbooks the way real submissions drift:
//! title and note rows, units in the header, a note or the cell, numbers as
//! text with separators or full-width digits, shuffled and extra columns,
//! yes/no and date variants, missing markers. Every spelling chosen here is
//! one the contract accepts, so the value read back is the value drawn.

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Formula, Workbook, Worksheet, XlsxError};

use super::rng::Rng;
use crate::normalize::MoneyUnit;

/// One cell's value before it is spelled.
#[derive(Debug, Clone)]
pub enum Cell {
    Money(Option<Decimal>),
    /// Money that may be written as a formula with a cached result.
    MoneyOrFormula(Option<Decimal>),
    /// Written exactly as given (a trap such as a negative tax).
    Literal(String),
    Whole(Option<i64>),
    YesNo(Option<bool>),
    Date(Option<NaiveDate>),
    Text(Option<String>),
}

/// A sheet to write: contract column labels and rows in that order.
pub struct Table {
    pub sheet: String,
    pub title: Option<String>,
    /// Rows of text above the header (unit notes, 填报单位 …), one cell each.
    pub notes: Vec<String>,
    /// The unit a note above states, if one does.
    pub note_unit: Option<MoneyUnit>,
    pub labels: Vec<&'static str>,
    pub rows: Vec<Vec<Cell>>,
}

/// A new workbook whose metadata never varies (byte-identical reruns).
pub fn workbook() -> Result<Workbook, XlsxError> {
    let mut wb = crate::util::book::new_workbook()
        .map_err(|e| XlsxError::IoError(std::io::Error::other(format!("{e:#}"))))?;
    let fixed = ExcelDateTime::from_ymd(2024, 1, 1)?;
    wb.set_properties(
        &DocProperties::new()
            .set_creation_datetime(&fixed)
            .set_author("chamberstat generate"),
    );
    Ok(wb)
}

const UNITS: [MoneyUnit; 3] = [MoneyUnit::Yuan, MoneyUnit::Wan, MoneyUnit::Yi];

pub fn write_table(wb: &mut Workbook, rng: &mut Rng, drift: f64, t: &Table) -> Result<(), XlsxError> {
    let ws = wb.add_worksheet();
    ws.set_name(&t.sheet)?;
    let date_format = Format::new().set_num_format("yyyy-mm-dd");

    // Column order, an extra 备注 column, header spelling and unit per column.
    let mut order: Vec<Option<usize>> = (0..t.labels.len()).map(Some).collect();
    if rng.chance(drift * 0.3) {
        let at = rng.range(0, order.len() as i64) as usize;
        order.insert(at, None);
    }
    if rng.chance(drift) {
        rng.shuffle(&mut order);
    }
    let money_col: Vec<bool> = (0..t.labels.len())
        .map(|i| {
            t.rows
                .iter()
                .any(|r| matches!(r[i], Cell::Money(_) | Cell::MoneyOrFormula(_)))
        })
        .collect();
    let column_unit = |rng: &mut Rng, i: usize| -> (String, MoneyUnit) {
        let default = t.note_unit.unwrap_or(MoneyUnit::Wan);
        let label = spell_label(rng, drift, t.labels[i]);
        if money_col[i] && rng.chance(0.4) {
            let unit = rng.pick(&UNITS);
            let (open, close) = rng.pick(&[("(", ")"), ("（", "）"), ("[", "]")]);
            (format!("{label}{open}{unit}{close}"), unit)
        } else {
            (label, default)
        }
    };
    let mut headers = Vec::new();
    for slot in &order {
        headers.push(match slot {
            Some(i) => column_unit(rng, *i),
            None => ("备注".to_string(), MoneyUnit::Wan),
        });
    }

    let mut row: u32 = 0;
    let width = order.len() as u16;
    if let Some(title) = &t.title {
        if width > 1 && rng.chance(0.5) {
            ws.merge_range(0, 0, 0, width - 1, title, &Format::new())?;
        } else {
            ws.write_string(0, 0, title)?;
        }
        row += 1;
    }
    for note in &t.notes {
        ws.write_string(row, 0, note)?;
        row += 1;
    }
    for (c, (label, _)) in headers.iter().enumerate() {
        ws.write_string(row, c as u16, label)?;
    }
    row += 1;
    for values in &t.rows {
        for (c, slot) in order.iter().enumerate() {
            let col = c as u16;
            match slot {
                None => {
                    let remark = rng.pick(&["", "已核对", "同上年"]);
                    if !remark.is_empty() {
                        ws.write_string(row, col, remark)?;
                    }
                }
                Some(i) => write_cell(ws, rng, drift, row, col, &values[*i], headers[c].1, &date_format)?,
            }
        }
        row += 1;
    }
    Ok(())
}

/// A header label as people type it: sometimes broken by a newline or
/// padded with spaces (the contract strips both).
fn spell_label(rng: &mut Rng, drift: f64, label: &str) -> String {
    if !rng.chance(drift * 0.5) {
        return label.to_string();
    }
    let chars: Vec<char> = label.chars().collect();
    if chars.len() > 2 && rng.chance(0.5) {
        let at = rng.range(1, chars.len() as i64 - 1) as usize;
        let (a, b) = chars.split_at(at);
        format!(
            "{}\n{}",
            a.iter().collect::<String>(),
            b.iter().collect::<String>()
        )
    } else {
        format!(" {label}\u{3000}")
    }
}

fn missing_marker(rng: &mut Rng, drift: f64) -> &'static str {
    if rng.chance(drift) {
        rng.pick(&["-", "—", "/", "无", "N/A", ""])
    } else {
        ""
    }
}

#[allow(clippy::too_many_arguments)]
fn write_cell(
    ws: &mut Worksheet,
    rng: &mut Rng,
    drift: f64,
    row: u32,
    col: u16,
    cell: &Cell,
    unit: MoneyUnit,
    date_format: &Format,
) -> Result<(), XlsxError> {
    let text = |ws: &mut Worksheet, s: &str| -> Result<(), XlsxError> {
        if !s.is_empty() {
            ws.write_string(row, col, s)?;
        }
        Ok(())
    };
    match cell {
        Cell::Money(None) | Cell::MoneyOrFormula(None) => text(ws, missing_marker(rng, drift)),
        Cell::Money(Some(v)) => write_money(ws, rng, drift, row, col, *v, unit),
        Cell::MoneyOrFormula(Some(v)) => {
            if rng.chance(drift * 0.2) {
                let n = in_unit(*v, unit);
                ws.write_formula(
                    row,
                    col,
                    Formula::new(format!("=ROUND({n},6)")).set_result(n.clone()),
                )?;
                Ok(())
            } else {
                write_money(ws, rng, drift, row, col, *v, unit)
            }
        }
        Cell::Literal(s) => text(ws, s),
        Cell::Whole(None) => text(ws, missing_marker(rng, drift)),
        Cell::Whole(Some(n)) => {
            let s = n.to_string();
            match if rng.chance(drift) { rng.range(1, 3) } else { 0 } {
                0 => {
                    ws.write_number(row, col, *n as f64)?;
                    Ok(())
                }
                1 => text(ws, &s),
                2 => text(ws, &thousands(&s)),
                _ => text(ws, &full_width(&s)),
            }
        }
        Cell::YesNo(None) => Ok(()),
        Cell::YesNo(Some(b)) => {
            if !rng.chance(drift) {
                return text(ws, if *b { "是" } else { "否" });
            }
            if rng.chance(0.2) {
                ws.write_boolean(row, col, *b)?;
                return Ok(());
            }
            let yes = ["是", "Y", "y", "yes", "Yes", "TRUE", "1", "√"];
            let no = ["否", "N", "n", "no", "No", "FALSE", "0", "×"];
            text(ws, rng.pick(if *b { &yes } else { &no }))
        }
        Cell::Date(None) => Ok(()),
        Cell::Date(Some(d)) => {
            let form = if rng.chance(drift) { rng.range(1, 4) } else { 0 };
            let (y, m, dd) = (d.year(), d.month(), d.day());
            match form {
                0 => {
                    let x = ExcelDateTime::from_ymd(y as u16, m as u8, dd as u8)?;
                    ws.write_datetime_with_format(row, col, &x, date_format)?;
                    Ok(())
                }
                1 => text(ws, &format!("{y}-{m:02}-{dd:02}")),
                2 => text(ws, &format!("{y}/{m}/{dd}")),
                3 => text(ws, &format!("{y}.{m}.{dd}")),
                _ => text(ws, &format!("{y}年{m}月{dd}日")),
            }
        }
        Cell::Text(None) => text(ws, missing_marker(rng, drift)),
        Cell::Text(Some(s)) => text(ws, s),
    }
}

/// The decimal text of `v` 元 expressed in `unit` (always exact).
fn in_unit(v: Decimal, unit: MoneyUnit) -> String {
    (v / unit.factor()).normalize().to_string()
}

fn write_money(
    ws: &mut Worksheet,
    rng: &mut Rng,
    drift: f64,
    row: u32,
    col: u16,
    v: Decimal,
    unit: MoneyUnit,
) -> Result<(), XlsxError> {
    let n = in_unit(v, unit);
    let form = if rng.chance(drift) { rng.range(1, 6) } else { 0 };
    let s = match form {
        0 => {
            // Values are drawn with at most 15 significant digits, so the
            // double's shortest text is exactly `n`.
            ws.write_number(row, col, n.parse::<f64>().unwrap_or_default())?;
            return Ok(());
        }
        1 => n,
        2 => thousands(&n),
        3 => full_width(&n),
        4 => format!("{}{n}", rng.pick(&["约", "近", "超"])),
        5 => {
            let (suffix, u) = rng.pick(&[
                ("元", MoneyUnit::Yuan),
                ("万", MoneyUnit::Wan),
                ("亿", MoneyUnit::Yi),
                ("万元", MoneyUnit::Wan),
                ("亿元", MoneyUnit::Yi),
            ]);
            format!("{}{suffix}", in_unit(v, u))
        }
        _ => format!(" {n} "),
    };
    ws.write_string(row, col, &s)?;
    Ok(())
}

/// `-1234567.5` → `-1,234,567.5`.
pub fn thousands(n: &str) -> String {
    let (sign, body) = n.strip_prefix('-').map_or(("", n), |b| ("-", b));
    let (int, frac) = body.split_once('.').map_or((body, None), |(i, f)| (i, Some(f)));
    let mut grouped = String::new();
    for (i, ch) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    match frac {
        Some(f) => format!("{sign}{grouped}.{f}"),
        None => format!("{sign}{grouped}"),
    }
}

/// ASCII digits and punctuation as a Chinese input method types them.
pub fn full_width(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '!'..='~' => char::from_u32(c as u32 + 0xFEE0).unwrap_or(c),
            _ => c,
        })
        .collect()
}

/// A credit code as members type it: lower case, or with a stray space.
pub fn spell_code(rng: &mut Rng, drift: f64, code: &str) -> String {
    if !rng.chance(drift * 0.3) {
        return code.to_string();
    }
    if rng.chance(0.5) {
        code.to_lowercase()
    } else {
        format!("{} {}", &code[..6], &code[6..])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalize::{parse_decimal_text, parse_money, Raw, UnitSource};
    use std::str::FromStr;

    #[test]
    fn thousands_and_full_width_spellings_parse_back() {
        assert_eq!(thousands("-1234567.5"), "-1,234,567.5");
        assert_eq!(thousands("123"), "123");
        let v = Decimal::from_str("1234567.5").unwrap();
        assert_eq!(parse_decimal_text(&thousands("1234567.5")).unwrap(), Some(v));
        assert_eq!(parse_decimal_text(&full_width("1234567.5")).unwrap(), Some(v));
    }

    #[test]
    fn every_money_spelling_reads_back_as_the_drawn_value() {
        let v = Decimal::from_str("123456700").unwrap();
        for unit in UNITS {
            let n = in_unit(v, unit);
            let f: f64 = n.parse().unwrap();
            let m = parse_money(&Raw::Number(f), unit, UnitSource::Header, false)
                .unwrap()
                .unwrap();
            assert_eq!(m.yuan, v, "{unit}");
            for s in [
                thousands(&n),
                full_width(&n),
                format!("约{n}"),
                format!("{}亿", in_unit(v, MoneyUnit::Yi)),
            ] {
                let m = parse_money(&Raw::Text(s.clone()), unit, UnitSource::Header, false)
                    .unwrap()
                    .unwrap();
                assert_eq!(m.yuan, v, "{s}");
            }
        }
    }
}
