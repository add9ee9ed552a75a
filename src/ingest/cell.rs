//! One cell of a known column: normalised by the column's type (money with
//! its unit, dates held to the reporting year, lists such as 会员级别 and
//! 活动类型, committees). Sheet-level concerns (header, notes, rows) stay in
//! `sheet`.

use super::model::Value;
use crate::contract::schema::{Column, FieldType, COMMITTEES, EVENT_KINDS};
use crate::normalize::{
    self, parse_credit_code, parse_date, parse_fact_code, parse_money, parse_whole, parse_year, parse_yes_no,
    CellError, MoneyUnit, Raw, UnitSource,
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
    // A closed list: one of `list` (spaces ignored), else the error.
    let one_of = |list: &[&str], expected: &dyn Fn() -> String| -> Result<Option<Normalized>, CellError> {
        let Some(t) = text_value(raw) else { return Ok(None) };
        let compact = normalize::compact(&t);
        if list.contains(&compact.as_str()) {
            Ok(Some((Value::Text(compact), None)))
        } else {
            Err(CellError::NotInList {
                expected: expected(),
                found: t,
            })
        }
    };
    Ok(match spec.ty {
        FieldType::Text => plain(text_value(raw).map(Value::Text)),
        FieldType::CreditCode => plain(parse_credit_code(raw)?.map(Value::Text)),
        FieldType::Money { signed } => {
            parse_money(raw, unit.0, unit.1, signed)?.map(|m| (Value::Money(m), None))
        }
        FieldType::Whole => plain(parse_whole(raw)?.map(Value::Int)),
        FieldType::Year => plain(parse_year(raw)?.map(|y| Value::Int(i64::from(y)))),
        FieldType::FactCode => plain(parse_fact_code(raw)?.map(Value::Text)),
        // A unit in the cell scales it (`2万`); none is implied.
        FieldType::Number => {
            parse_money(raw, MoneyUnit::Yuan, UnitSource::Default, true)?.map(|m| (Value::Money(m), None))
        }
        FieldType::YesNo => plain(parse_yes_no(raw)?.map(Value::Bool)),
        FieldType::Date => plain(parse_date(raw)?.map(Value::Date)),
        FieldType::DateInYear => plain(
            parse_date(raw)?
                .map(|d| in_year(d, year))
                .transpose()?
                .map(Value::Date),
        ),
        FieldType::YearEnd => plain(parse_date(raw)?.map(year_end).transpose()?.map(Value::Date)),
        FieldType::Metric(list) => metric(raw, list)?,
        FieldType::OneOf(list) => one_of(list, &|| list.join(" "))?,
        FieldType::Committee => one_of(&COMMITTEES, &|| "15 个专委会".into())?,
        FieldType::EventKind => match one_of(&EVENT_KINDS, &String::new) {
            Err(CellError::NotInList { found, .. }) => {
                let note = format!(
                    "活动类型 {found} 不在 {} 之列，按“其他”统计 / counted as 其他",
                    EVENT_KINDS.join(" ")
                );
                Some((Value::Text("其他".into()), Some(note)))
            }
            other => other?,
        },
    })
}

/// A date inside the reporting year of the folder (when it has one).
fn in_year(d: chrono::NaiveDate, year: Option<i32>) -> Result<chrono::NaiveDate, CellError> {
    match year {
        Some(y) if chrono::Datelike::year(&d) != y => Err(CellError::DateOutsideYear {
            found: d.format("%Y-%m-%d").to_string(),
            year: y,
        }),
        _ => Ok(d),
    }
}

/// 31 December of some year (截至日期 of an opening balance).
fn year_end(d: chrono::NaiveDate) -> Result<chrono::NaiveDate, CellError> {
    use chrono::Datelike;
    if (d.month(), d.day()) == (12, 31) {
        Ok(d)
    } else {
        Err(CellError::NotYearEnd {
            found: d.format("%Y-%m-%d").to_string(),
        })
    }
}

/// A metric id or its label from `list`; the id is stored.
fn metric(raw: &Raw, list: &[(&str, &str)]) -> Result<Option<Normalized>, CellError> {
    let Some(t) = text_value(raw) else { return Ok(None) };
    let compact = normalize::compact(&t);
    match list
        .iter()
        .find(|(id, label)| *id == compact || *label == compact)
    {
        Some((id, _)) => Ok(Some((Value::Text(id.to_string()), None))),
        None => Err(CellError::NotInList {
            expected: list
                .iter()
                .map(|(id, label)| format!("{label}（{id}）"))
                .collect::<Vec<_>>()
                .join(" "),
            found: t,
        }),
    }
}

/// Text as typed, trimmed; a missing marker is missing.
fn text_value(raw: &Raw) -> Option<String> {
    if raw.is_missing() {
        return None;
    }
    // Text is trimmed in place; only other cells are printed first.
    let printed;
    let s = match raw {
        Raw::Text(s) => s.as_str(),
        other => {
            printed = other.display();
            printed.as_str()
        }
    };
    let t = s.trim();
    (!normalize::is_missing_marker(t)).then(|| t.to_string())
}
