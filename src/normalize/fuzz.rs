//! Property tests over every normaliser with arbitrary Unicode: none may
//! panic, and the contract's equivalences must hold (a formatted decimal
//! parses back to itself; full-width and half-width forms, and a leading
//! 约/近/超, give the same value; a float cell and its shortest text agree).

use proptest::prelude::*;
use rust_decimal::Decimal;

use super::*;

/// A decimal as the normaliser may meet it: up to 15 digits, scale 0..=6.
fn decimal() -> impl Strategy<Value = Decimal> {
    (-999_999_999_999_999i64..=999_999_999_999_999, 0u32..=6).prop_map(|(m, s)| Decimal::new(m, s))
}

/// `1234567.5` → `1,234,567.5`: thousands grouped by three.
fn grouped(d: &Decimal) -> String {
    let text = d.to_string();
    let (sign, rest) = text.strip_prefix('-').map_or(("", text.as_str()), |r| ("-", r));
    let (int, frac) = rest.split_once('.').map_or((rest, None), |(i, f)| (i, Some(f)));
    let mut out = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    match frac {
        Some(f) => format!("{sign}{out}.{f}"),
        None => format!("{sign}{out}"),
    }
}

/// ASCII to its full-width form, as a Chinese input method types it.
fn full_width(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '!'..='~' => char::from_u32(c as u32 + 0xFEE0).unwrap_or(c),
            _ => c,
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn no_normaliser_panics_on_any_text(s in any::<String>()) {
        let raw = Raw::Text(s.clone());
        let _ = parse_decimal_text(&s);
        for unit in [MoneyUnit::Yuan, MoneyUnit::Wan, MoneyUnit::Yi] {
            let _ = parse_money(&raw, unit, UnitSource::Header, true);
            let _ = parse_money(&raw, unit, UnitSource::Default, false);
        }
        let _ = parse_whole(&raw);
        let _ = parse_date(&raw);
        let _ = parse_yes_no(&raw);
        let _ = parse_credit_code(&raw);
        let _ = header_label(&s);
        let _ = unit_note(&s);
        let _ = committee_from_note(&s);
        let _ = is_missing_marker(&s);
        let _ = fold_width(&s);
    }

    #[test]
    fn no_normaliser_panics_on_any_number(f in any::<f64>(), i in any::<i64>()) {
        for raw in [Raw::Number(f), Raw::Int(i)] {
            let _ = parse_money(&raw, MoneyUnit::Yi, UnitSource::Header, true);
            let _ = parse_whole(&raw);
            let _ = parse_date(&raw);
            let _ = parse_yes_no(&raw);
            let _ = parse_credit_code(&raw);
        }
    }

    #[test]
    fn a_formatted_decimal_parses_back_to_itself(d in decimal()) {
        prop_assert_eq!(parse_decimal_text(&d.to_string()).unwrap(), Some(d));
        prop_assert_eq!(parse_decimal_text(&grouped(&d)).unwrap(), Some(d));
    }

    #[test]
    fn full_width_and_half_width_give_the_same_value(d in decimal()) {
        let half = parse_decimal_text(&grouped(&d)).unwrap();
        prop_assert_eq!(parse_decimal_text(&full_width(&grouped(&d))).unwrap(), half);
        let money = |s: &str| parse_money(&Raw::Text(s.into()), MoneyUnit::Wan, UnitSource::Header, true);
        prop_assert_eq!(money(&full_width(&d.to_string())).unwrap(), money(&d.to_string()).unwrap());
    }

    #[test]
    fn about_nearly_and_over_never_change_the_value(d in decimal(), prefix in prop::sample::select(vec!["约", "近", "超"])) {
        let plain = parse_decimal_text(&d.to_string()).unwrap();
        prop_assert_eq!(parse_decimal_text(&format!("{prefix}{d}")).unwrap(), plain);
        let money = |s: String| parse_money(&Raw::Text(s), MoneyUnit::Wan, UnitSource::Header, true).unwrap();
        prop_assert_eq!(money(format!("{prefix}{d}万")), money(format!("{d}万")));
    }

    #[test]
    fn a_float_cell_and_its_shortest_text_are_the_same_money(f in -1e12f64..1e12f64) {
        let cell = parse_money(&Raw::Number(f), MoneyUnit::Yuan, UnitSource::Header, true);
        let text = parse_money(&Raw::Text(shortest_decimal(f)), MoneyUnit::Yuan, UnitSource::Header, true);
        match (cell, text) {
            (Ok(a), Ok(b)) => prop_assert_eq!(a, b),
            (Err(_), Err(_)) => {}
            (a, b) => prop_assert!(false, "{a:?} vs {b:?}"),
        }
    }

    #[test]
    fn a_valid_credit_code_is_accepted_in_any_case_and_width(body in "[0-9A-HJ-NPQRTUWXY]{17}") {
        const CHARS: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";
        const W: [u32; 17] = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
        let sum: u32 = body.chars().zip(W).map(|(c, w)| CHARS.find(c).unwrap() as u32 * w).sum();
        let code = format!("{body}{}", CHARS.as_bytes()[((31 - sum % 31) % 31) as usize] as char);
        let want = Some(code.clone());
        prop_assert_eq!(parse_credit_code(&Raw::Text(code.clone())).unwrap(), want.clone());
        prop_assert_eq!(parse_credit_code(&Raw::Text(code.to_lowercase())).unwrap(), want.clone());
        prop_assert_eq!(parse_credit_code(&Raw::Text(full_width(&code))).unwrap(), want);
    }

    #[test]
    fn a_canonical_code_is_judged_as_its_spaced_form_is(code in "[0-9A-HJ-NPQRTUWXY]{18}") {
        // The bare code takes the in-place check; with a space it takes
        // the general path. Both must accept and refuse the same codes.
        let bare = parse_credit_code(&Raw::Text(code.clone()));
        let spaced = parse_credit_code(&Raw::Text(format!(" {code}")));
        prop_assert_eq!(bare.is_ok(), spaced.is_ok());
        if let (Ok(a), Ok(b)) = (bare, spaced) {
            prop_assert_eq!(a, b);
        }
    }
}
