//! Normalise one raw spreadsheet cell into a typed value.
//!
//! Submissions are typed by hand in Excel, WPS and LibreOffice, so the same
//! number arrives as a float cell, as `"1,234.5"`, as full-width `"１２３４．５"`
//! or as `"约1234.5万"`. Every rule of the submission contract
//! (`shared/spec/inputs.md`, "Common rules for every sheet") lives here, one
//! function per value type, each independent of calamine so it can be tested
//! on plain values. A cell either normalises, is *missing* (an empty cell or a
//! missing marker such as `-` or `无`), or fails with a [`CellError`] whose
//! message says what was expected and what was found.

#[cfg(test)]
mod fuzz;
mod number;
mod raw;
mod text;
mod values;

pub use number::{parse_decimal_text, parse_money, parse_whole, Money, MoneyUnit, UnitSource};
pub use raw::{float_to_decimal, shortest_decimal, CellError, Raw};
pub use text::{compact, fold_width, header_label, is_missing_marker, unit_note, HeaderLabel};
pub use values::{
    committee_from_note, parse_credit_code, parse_date, parse_fact_code, parse_year, parse_yes_no,
};
