//! Numbers, money and whole numbers, exact to the last digit.

use rust_decimal::Decimal;

use super::raw::{float_to_decimal, CellError, Raw};
use super::text::{fold_width, is_missing_marker};

pub use crate::contract::units::MoneyUnit;

/// Where the unit applied to a money cell came from, in the contract's order
/// of precedence (first match wins).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UnitSource {
    Cell,
    Header,
    Note,
    Default,
}

impl UnitSource {
    pub fn label(self) -> &'static str {
        match self {
            Self::Cell => "cell",
            Self::Header => "header",
            Self::Note => "note",
            Self::Default => "default",
        }
    }
}

/// A normalised money value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Money {
    /// The amount in 元.
    pub yuan: Decimal,
    pub unit: MoneyUnit,
    pub source: UnitSource,
}

/// Largest scale (digits after the point, in 元) the warehouse stores.
pub const MONEY_SCALE: u32 = 6;

/// Parse a number typed as text: surrounding white space, full-width digits
/// and punctuation, thousands separators and a leading `约`/`近`/`超` are
/// accepted. Returns `Ok(None)` for a missing marker.
pub fn parse_decimal_text(s: &str) -> Result<Option<Decimal>, CellError> {
    let folded = fold_width(s);
    if is_missing_marker(&folded) {
        return Ok(None);
    }
    let t = strip_approximation(folded.trim());
    parse_plain_number(t)
        .map(Some)
        .ok_or_else(|| CellError::NotANumber {
            found: s.trim().to_string(),
        })
}

fn strip_approximation(t: &str) -> &str {
    let t = t
        .strip_prefix('约')
        .or_else(|| t.strip_prefix('近'))
        .or_else(|| t.strip_prefix('超'))
        .unwrap_or(t);
    t.trim_start()
}

/// `-1,234.50` → -1234.50. Thousands separators must group by three so a
/// mistyped `12,34` is rejected rather than read as 1234.
fn parse_plain_number(t: &str) -> Option<Decimal> {
    let (negative, body) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let (int_part, frac_part) = match body.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (body, None),
    };
    if int_part.is_empty() && frac_part.is_none_or(str::is_empty) {
        return None;
    }
    let digits = if int_part.contains(',') {
        let groups: Vec<&str> = int_part.split(',').collect();
        let first_ok = (1..=3).contains(&groups[0].len());
        let rest_ok = groups[1..].iter().all(|g| g.len() == 3);
        if !first_ok || !rest_ok {
            return None;
        }
        groups.concat()
    } else {
        int_part.to_string()
    };
    let all_digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    if !all_digits(&digits) || !frac_part.is_none_or(all_digits) {
        return None;
    }
    let text = match frac_part {
        Some(f) if !f.is_empty() => {
            format!("{}.{f}", if digits.is_empty() { "0" } else { &digits })
        }
        _ => digits,
    };
    let value: Decimal = text.parse().ok()?;
    Some(if negative { -value } else { value })
}

/// Normalise a money cell. `column_unit` is the unit that applies when the
/// cell itself names none (header bracket, else note, else 万元, decided by
/// the caller who knows the sheet). A unit written in the cell (`1.2亿`,
/// `3500万`, `120,000元`, `1.2亿元`) always wins.
pub fn parse_money(
    raw: &Raw,
    column_unit: MoneyUnit,
    column_source: UnitSource,
    allow_negative: bool,
) -> Result<Option<Money>, CellError> {
    let (amount, unit, source) = match raw {
        Raw::Empty => return Ok(None),
        Raw::Number(f) => (float_to_decimal(*f)?, column_unit, column_source),
        Raw::Int(i) => (Decimal::from(*i), column_unit, column_source),
        Raw::Text(s) => {
            let folded = fold_width(s);
            let trimmed = folded.trim();
            let (number, cell_unit) = split_unit_suffix(trimmed);
            let Some(amount) = parse_decimal_text(number).map_err(|_| CellError::NotANumber {
                found: s.trim().to_string(),
            })?
            else {
                if cell_unit.is_some() {
                    return Err(CellError::NotANumber {
                        found: s.trim().to_string(),
                    });
                }
                return Ok(None);
            };
            match cell_unit {
                Some(u) => (amount, u, UnitSource::Cell),
                None => (amount, column_unit, column_source),
            }
        }
        Raw::Error(e) => return Err(CellError::ErrorCell { found: e.clone() }),
        other => {
            return Err(CellError::NotANumber {
                found: other.display(),
            })
        }
    };
    let yuan = amount
        .checked_mul(unit.factor())
        .ok_or_else(|| CellError::TooLarge { found: raw.display() })?
        .normalize();
    if yuan.scale() > MONEY_SCALE {
        return Err(CellError::TooPrecise { found: raw.display() });
    }
    if !allow_negative && yuan.is_sign_negative() && !yuan.is_zero() {
        return Err(CellError::Negative { found: raw.display() });
    }
    Ok(Some(Money { yuan, unit, source }))
}

/// Split a trailing `亿元`/`万元`/`元`/`亿`/`万` off a money text.
fn split_unit_suffix(t: &str) -> (&str, Option<MoneyUnit>) {
    for (suffix, unit) in [
        ("亿元", MoneyUnit::Yi),
        ("万元", MoneyUnit::Wan),
        ("元", MoneyUnit::Yuan),
        ("亿", MoneyUnit::Yi),
        ("万", MoneyUnit::Wan),
    ] {
        if let Some(number) = t.strip_suffix(suffix) {
            return (number.trim_end(), Some(unit));
        }
    }
    (t, None)
}

/// A whole number ≥ 0 (persons, counts). `12.0` from a float cell is 12;
/// `12.5` is rejected.
pub fn parse_whole(raw: &Raw) -> Result<Option<i64>, CellError> {
    let value = match raw {
        Raw::Empty => return Ok(None),
        Raw::Int(i) => Decimal::from(*i),
        Raw::Number(f) => float_to_decimal(*f)?,
        Raw::Text(s) => match parse_decimal_text(s)? {
            Some(v) => v,
            None => return Ok(None),
        },
        Raw::Error(e) => return Err(CellError::ErrorCell { found: e.clone() }),
        other => {
            return Err(CellError::NotWhole {
                found: other.display(),
            })
        }
    };
    let whole = !value.is_sign_negative() || value.is_zero();
    if value.fract().is_zero() && whole {
        use rust_decimal::prelude::ToPrimitive;
        value
            .trunc()
            .to_i64()
            .map(Some)
            .ok_or_else(|| CellError::TooLarge { found: raw.display() })
    } else {
        Err(CellError::NotWhole {
            found: raw.display().trim().to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn money(raw: Raw, unit: MoneyUnit) -> Money {
        parse_money(&raw, unit, UnitSource::Header, true)
            .unwrap()
            .unwrap()
    }

    #[test]
    fn numbers_typed_as_text_with_separators_and_full_width() {
        assert_eq!(parse_decimal_text("1,234.5").unwrap(), Some(d("1234.5")));
        assert_eq!(parse_decimal_text("１２３４．５").unwrap(), Some(d("1234.5")));
        assert_eq!(parse_decimal_text("１，２３４").unwrap(), Some(d("1234")));
        assert_eq!(parse_decimal_text("  42 ").unwrap(), Some(d("42")));
        assert_eq!(parse_decimal_text("-26,948,500").unwrap(), Some(d("-26948500")));
    }

    #[test]
    fn leading_approximation_words_are_dropped() {
        assert_eq!(parse_decimal_text("约30739.9").unwrap(), Some(d("30739.9")));
        assert_eq!(parse_decimal_text("近16.623486").unwrap(), Some(d("16.623486")));
        assert_eq!(parse_decimal_text("超164.43").unwrap(), Some(d("164.43")));
    }

    #[test]
    fn malformed_numbers_are_rejected_not_guessed() {
        for bad in ["12,34", "1.2.3", "abc", "12a", "1,2345", ",123", "约"] {
            assert!(parse_decimal_text(bad).is_err(), "{bad} should be rejected");
        }
    }

    #[test]
    fn missing_marker_in_a_number_cell_is_missing_not_zero() {
        assert_eq!(parse_decimal_text("无").unwrap(), None);
        assert_eq!(
            parse_money(
                &Raw::Text("N/A".into()),
                MoneyUnit::Wan,
                UnitSource::Default,
                false
            )
            .unwrap(),
            None
        );
    }

    #[test]
    fn money_with_yi_suffix_overrides_column_unit() {
        let m = money(Raw::Text("1.2亿".into()), MoneyUnit::Wan);
        assert_eq!(m.yuan, d("120000000"));
        assert_eq!(m.unit, MoneyUnit::Yi);
        assert_eq!(m.source, UnitSource::Cell);
    }

    #[test]
    fn money_cell_suffix_forms() {
        assert_eq!(
            money(Raw::Text("3500万".into()), MoneyUnit::Yi).yuan,
            d("35000000")
        );
        assert_eq!(
            money(Raw::Text("120,000元".into()), MoneyUnit::Yi).yuan,
            d("120000")
        );
        assert_eq!(
            money(Raw::Text("1.2亿元".into()), MoneyUnit::Yuan).yuan,
            d("120000000")
        );
        assert_eq!(
            money(Raw::Text("4049.22万元".into()), MoneyUnit::Yuan).yuan,
            d("40492200")
        );
        assert_eq!(
            money(Raw::Text("超19565403900".into()), MoneyUnit::Yuan).yuan,
            d("19565403900")
        );
    }

    #[test]
    fn money_without_cell_unit_takes_the_column_unit() {
        let m = money(Raw::Number(14316.34), MoneyUnit::Wan);
        assert_eq!(m.yuan, d("143163400"));
        assert_eq!(m.source, UnitSource::Header);
    }

    #[test]
    fn float_cells_use_shortest_round_trip_decimal() {
        // 0.666774 亿 is not exactly representable as a double; the float's
        // shortest text is, and that is what the submitter typed.
        assert_eq!(money(Raw::Number(0.666774), MoneyUnit::Yi).yuan, d("66677400"));
        assert_eq!(money(Raw::Number(0.1), MoneyUnit::Yuan).yuan, d("0.1"));
    }

    #[test]
    fn sums_of_many_small_amounts_do_not_drift() {
        let total: Decimal = (0..10_000)
            .map(|_| money(Raw::Number(0.01), MoneyUnit::Yuan).yuan)
            .sum();
        assert_eq!(total, d("100"));
    }

    #[test]
    fn negative_money_is_rejected_where_the_column_forbids_it() {
        let err = parse_money(
            &Raw::Text("－８００．３".into()),
            MoneyUnit::Wan,
            UnitSource::Note,
            false,
        );
        assert!(matches!(err, Err(CellError::Negative { .. })));
        let ok = parse_money(&Raw::Number(-4.65), MoneyUnit::Wan, UnitSource::Note, true).unwrap();
        assert_eq!(ok.unwrap().yuan, d("-46500"));
    }

    #[test]
    fn error_cells_are_rejected() {
        let err = parse_money(
            &Raw::Error("#DIV/0!".into()),
            MoneyUnit::Wan,
            UnitSource::Default,
            true,
        );
        assert_eq!(
            err,
            Err(CellError::ErrorCell {
                found: "#DIV/0!".into()
            })
        );
    }

    #[test]
    fn unit_without_number_is_rejected() {
        assert!(parse_money(
            &Raw::Text("万元".into()),
            MoneyUnit::Wan,
            UnitSource::Default,
            true
        )
        .is_err());
    }

    #[test]
    fn whole_numbers_accept_text_and_integral_floats_only() {
        assert_eq!(parse_whole(&Raw::Text("３０６".into())).unwrap(), Some(306));
        assert_eq!(parse_whole(&Raw::Text("1,020".into())).unwrap(), Some(1020));
        assert_eq!(parse_whole(&Raw::Number(12.0)).unwrap(), Some(12));
        assert_eq!(parse_whole(&Raw::Int(7)).unwrap(), Some(7));
        assert_eq!(parse_whole(&Raw::Text("—".into())).unwrap(), None);
        assert!(parse_whole(&Raw::Number(12.5)).is_err());
        assert!(parse_whole(&Raw::Text("-3".into())).is_err());
        assert!(parse_whole(&Raw::Text("306人".into())).is_err());
    }
}
