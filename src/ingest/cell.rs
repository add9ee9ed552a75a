//! One cell of a known column: normalised by the column's type (money with
//! its unit, dates held to the reporting year, lists such as 会员级别 and
//! 活动类型, committees). Sheet-level concerns (header, notes, rows) stay in
//! `sheet`.

use crate::contract::schema::{Column, FieldType, COMMITTEES, EVENT_KINDS};
use super::Value;
use crate::normalize::{
    self, parse_credit_code, parse_date, parse_money, parse_whole, parse_yes_no, CellError, MoneyUnit, Raw,
    UnitSource,
};

type Normalized = (Value, Option<String>);

/// Normalise one cell by its column type. Returns the value and an optional
/// note for the run report.
pub fn normalize_cell(
    spec: &Column,
    raw: &Raw,
    unit: (MoneyUnit, UnitSource),
    year: Option<i32>,
) -> Result<Option<Normalized>, CellError> {
    if let Raw::Error(e) = raw {
        return Err(CellError::ErrorCell { found: e.clone() });
    }
    let plain = |v: Option<Value>| v.map(|v| (v, None));
    Ok(match spec.ty {
        FieldType::Text => plain(text_value(raw).map(Value::Text)),
        FieldType::CreditCode => plain(parse_credit_code(raw)?.map(Value::Text)),
        FieldType::Money { signed } => {
            parse_money(raw, unit.0, unit.1, signed)?.map(|m| (Value::Money(m), None))
        }
        FieldType::Whole => plain(parse_whole(raw)?.map(Value::Int)),
        FieldType::YesNo => plain(parse_yes_no(raw)?.map(Value::Bool)),
        FieldType::Date => plain(parse_date(raw)?.map(Value::Date)),
        FieldType::DateInYear => match parse_date(raw)? {
            Some(d) => {
                if let Some(y) = year {
                    if chrono::Datelike::year(&d) != y {
                        return Err(CellError::DateOutsideYear {
                            found: d.format("%Y-%m-%d").to_string(),
                            year: y,
                        });
                    }
                }
                Some((Value::Date(d), None))
            }
            None => None,
        },
        FieldType::YearEnd => match parse_date(raw)? {
            Some(d) => {
                use chrono::Datelike;
                if (d.month(), d.day()) != (12, 31) {
                    return Err(CellError::NotYearEnd {
                        found: d.format("%Y-%m-%d").to_string(),
                    });
                }
                Some((Value::Date(d), None))
            }
            None => None,
        },
        FieldType::Metric(list) => match text_value(raw) {
            Some(t) => {
                let compact = normalize::compact(&t);
                match list.iter().find(|(id, label)| *id == compact || *label == compact) {
                    Some((id, _)) => Some((Value::Text(id.to_string()), None)),
                    None => {
                        return Err(CellError::NotInList {
                            expected: list.iter().map(|(id, label)| format!("{label}（{id}）")).collect::<Vec<_>>().join(" "),
                            found: t,
                        })
                    }
                }
            }
            None => None,
        },
        FieldType::OneOf(list) => match text_value(raw) {
            Some(t) => {
                let compact = normalize::compact(&t);
                if list.contains(&compact.as_str()) {
                    Some((Value::Text(compact), None))
                } else {
                    return Err(CellError::NotInList {
                        expected: list.join(" "),
                        found: t,
                    });
                }
            }
            None => None,
        },
        FieldType::EventKind => match text_value(raw) {
            Some(t) => {
                let compact = normalize::compact(&t);
                if EVENT_KINDS.contains(&compact.as_str()) {
                    Some((Value::Text(compact), None))
                } else {
                    let note = format!(
                        "活动类型 {t} 不在 {} 之列，按“其他”统计 / counted as 其他",
                        EVENT_KINDS.join(" ")
                    );
                    Some((Value::Text("其他".into()), Some(note)))
                }
            }
            None => None,
        },
        FieldType::Committee => match text_value(raw) {
            Some(t) => {
                let compact = normalize::compact(&t);
                if COMMITTEES.contains(&compact.as_str()) {
                    Some((Value::Text(compact), None))
                } else {
                    return Err(CellError::NotInList {
                        expected: "15 个专委会".into(),
                        found: t,
                    });
                }
            }
            None => None,
        },
    })
}

/// Text as typed, trimmed; a missing marker is missing.
fn text_value(raw: &Raw) -> Option<String> {
    if raw.is_missing() {
        return None;
    }
    let s = raw.display();
    let t = s.trim();
    (!normalize::is_missing_marker(t)).then(|| t.to_string())
}
