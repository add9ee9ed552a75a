//! How the materials phrase a number (`600多家`, `近500场次`, `超千亿元`,
//! `2万余人`), on the exact decimal, never a float: the filters of the
//! materials contract (`shared/spec/materials.md`). Each approximate
//! phrase is written only when it is true of the figure; otherwise the
//! exact scaled value is written and the phrase says it did not hold.

use rust_decimal::{Decimal, RoundingStrategy};

/// The scale word a figure is divided by before it is phrased.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scale {
    One,
    Wan,
    Yi,
}

impl Scale {
    pub fn parse(s: &str) -> Option<Scale> {
        match s {
            "" | "数" => Some(Scale::One),
            "万" => Some(Scale::Wan),
            "亿" => Some(Scale::Yi),
            _ => None,
        }
    }

    fn divisor(self) -> Decimal {
        match self {
            Scale::One => Decimal::ONE,
            Scale::Wan => Decimal::from(10_000),
            Scale::Yi => Decimal::from(100_000_000),
        }
    }

    pub fn word(self) -> &'static str {
        match self {
            Scale::One => "",
            Scale::Wan => "万",
            Scale::Yi => "亿",
        }
    }

    /// The figure in this scale, exactly (a division by a power of ten).
    pub fn of(self, value: Decimal) -> Decimal {
        value / self.divisor()
    }
}

/// The approximate phrases of the contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Approx {
    /// `多`, `余`: more than the base, written after it.
    More(&'static str),
    /// `超`, `超过`, `逾`: more than the base, written before it.
    Over(&'static str),
    /// `近`: at least 90% of the base and below it.
    Near,
    /// `约`: the base rounded; always holds.
    About,
    /// `不少于`: at least the base.
    AtLeast,
    /// `上`: between a power of ten and twice it.
    Upward,
}

impl Approx {
    /// The filter of that name.
    pub fn named(name: &str) -> Option<Approx> {
        Some(match name {
            "多" => Approx::More("多"),
            "余" => Approx::More("余"),
            "超" => Approx::Over("超"),
            "超过" => Approx::Over("超过"),
            "逾" => Approx::Over("逾"),
            "近" => Approx::Near,
            "约" => Approx::About,
            "不少于" => Approx::AtLeast,
            "上" => Approx::Upward,
            _ => return None,
        })
    }

    pub const NAMES: [&'static str; 9] = ["多", "余", "超", "超过", "逾", "近", "约", "不少于", "上"];
}

/// A phrase written for a figure: its text, and whether it is true.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phrased {
    pub text: String,
    pub holds: bool,
}

/// 10 to the power `e` (|e| ≤ 28), exactly.
fn pow10(e: i32) -> Decimal {
    if e >= 0 {
        Decimal::from_i128_with_scale(10i128.pow(e as u32), 0)
    } else {
        Decimal::from_i128_with_scale(1, e.unsigned_abs())
    }
}

/// The exponent of a number's leading digit: 612 → 2, 0.05 → -2.
fn magnitude(v: Decimal) -> i32 {
    let v = v.abs();
    let mut e = 0;
    while e < 28 && v >= pow10(e + 1) {
        e += 1;
    }
    while e > -28 && v < pow10(e) {
        e -= 1;
    }
    e
}

/// `v` to `k` significant digits by `rounding` (toward zero, up, or half
/// away from zero).
fn significant(v: Decimal, k: u32, rounding: RoundingStrategy) -> Decimal {
    if v.is_zero() {
        return Decimal::ZERO;
    }
    let unit = pow10(magnitude(v) - k.max(1) as i32 + 1);
    (v / unit).round_dp_with_strategy(0, rounding) * unit
}

pub fn trunc_k(v: Decimal, k: u32) -> Decimal {
    significant(v, k, RoundingStrategy::ToZero)
}

pub fn ceil_k(v: Decimal, k: u32) -> Decimal {
    significant(v, k, RoundingStrategy::AwayFromZero)
}

pub fn round_k(v: Decimal, k: u32) -> Decimal {
    significant(v, k, RoundingStrategy::MidpointAwayFromZero)
}

/// A decimal without trailing zeros or a trailing point.
pub fn plain(v: Decimal) -> String {
    let v = v.normalize();
    if v.is_zero() {
        "0".into()
    } else {
        v.to_string()
    }
}

/// The exact scaled value: two decimals rounded half away from zero, then
/// without trailing zeros (`None`), or exactly `dp` decimals.
pub fn exact(v: Decimal, dp: Option<u32>) -> String {
    let rounded = v.round_dp_with_strategy(dp.unwrap_or(2), RoundingStrategy::MidpointAwayFromZero);
    match dp {
        None => plain(rounded),
        Some(dp) => {
            let mut r = rounded;
            if r.is_zero() {
                r = Decimal::ZERO;
            }
            r.rescale(dp);
            r.to_string()
        }
    }
}

/// A base as the text beside a phrase: 十, 百, 千 when asked for (and the
/// base is exactly that), else its digits.
fn base_text(base: Decimal, chinese: bool) -> String {
    let word = match plain(base).as_str() {
        "10" => "十",
        "100" => "百",
        "1000" => "千",
        _ => "",
    };
    if chinese && !word.is_empty() {
        word.into()
    } else {
        plain(base)
    }
}

/// Phrase `figure` (divided by `scale`) with `approx`, keeping `k`
/// significant digits in the base; `chinese` writes a base of exactly 10,
/// 100 or 1000 as 十, 百, 千.
pub fn approximate(figure: Decimal, approx: Approx, scale: Scale, k: u32, chinese: bool) -> Phrased {
    let v = scale.of(figure);
    let word = scale.word();
    let (base, holds) = match approx {
        Approx::More(_) => {
            let b = trunc_k(v, k);
            (b, v > b && b.fract().is_zero())
        }
        Approx::Over(_) => {
            let b = trunc_k(v, k);
            (b, v > b)
        }
        Approx::Near => {
            let b = ceil_k(v, k);
            (b, b * Decimal::new(9, 1) <= v && v < b)
        }
        Approx::About => (round_k(v, k), true),
        Approx::AtLeast => {
            let b = trunc_k(v, k);
            (b, v >= b)
        }
        Approx::Upward => {
            let b = if v >= Decimal::TEN {
                pow10(magnitude(v))
            } else {
                Decimal::TEN
            };
            (b, b <= v && v < b * Decimal::TWO)
        }
    };
    if !holds {
        return Phrased {
            text: format!("{}{word}", exact(v, None)),
            holds: false,
        };
    }
    let text = match approx {
        Approx::More(suffix) => {
            let b = base_text(base, chinese);
            let multiple_of_ten = (base / Decimal::TEN).fract().is_zero();
            match (multiple_of_ten, word.is_empty()) {
                (true, _) | (false, true) => format!("{b}{suffix}{word}"),
                (false, false) => format!("{b}{word}{suffix}"),
            }
        }
        Approx::Over(prefix) => format!("{prefix}{}{word}", base_text(base, chinese)),
        Approx::Near => format!("近{}{word}", base_text(base, chinese)),
        Approx::About => format!("约{}{word}", base_text(base, chinese)),
        Approx::AtLeast => format!("不少于{}{word}", base_text(base, chinese)),
        Approx::Upward => {
            let b = match plain(base).as_str() {
                "10000" => "万".to_string(),
                _ => base_text(base, true),
            };
            format!("上{b}{word}")
        }
    };
    Phrased { text, holds: true }
}

/// 增加 / 减少 / 持平: the figure against another.
pub fn change(figure: Decimal, other: Decimal) -> &'static str {
    match figure.cmp(&other) {
        std::cmp::Ordering::Greater => "增加",
        std::cmp::Ordering::Less => "减少",
        std::cmp::Ordering::Equal => "持平",
    }
}

/// `浦东、青浦和虹口`: a list joined with 、 and 和 before the last.
pub fn enumerate(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{}和{last}", rest.join("、")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn phrase(v: &str, name: &str, scale: &str, k: u32, chinese: bool) -> Phrased {
        approximate(
            d(v),
            Approx::named(name).unwrap(),
            Scale::parse(scale).unwrap(),
            k,
            chinese,
        )
    }

    fn holds(text: &str) -> Phrased {
        Phrased {
            text: text.into(),
            holds: true,
        }
    }

    /// The examples of the contract's table: (figure, filter, scale word,
    /// significant digits, in Chinese numerals, what is written).
    const CONTRACT: [(&str, &str, &str, u32, bool, &str); 8] = [
        ("612", "多", "", 1, false, "600多"),
        ("102345000000.00", "超", "亿", 1, true, "超千亿"),
        ("1030000000.00", "超过", "亿", 1, false, "超过10亿"),
        ("487", "近", "", 1, false, "近500"),
        ("20345", "余", "万", 1, false, "2万余"),
        ("96", "近", "", 1, true, "近百"),
        ("126", "上", "", 1, false, "上百"),
        ("153", "不少于", "", 2, false, "不少于150"),
    ];

    #[test]
    fn the_contracts_examples_are_phrased_as_it_writes_them() {
        for (figure, filter, scale, k, chinese, written) in CONTRACT {
            let got = phrase(figure, filter, scale, k, chinese);
            assert_eq!(got, holds(written), "{figure} | {filter}({scale}, {k})");
        }
    }

    #[test]
    fn contract_a_figure_alone_is_not_phrased() {
        // `{{ china_private_top500 }}家`: no filter, the figure as it is.
        assert_eq!(plain(d("38")), "38");
    }

    #[test]
    fn contract_exact_figures_in_wan_and_yi() {
        assert_eq!(exact(Scale::Wan.of(d("5003210")), Some(0)), "500");
        assert_eq!(exact(Scale::Yi.of(d("370646000000.00")), None), "3706.46");
    }

    #[test]
    fn contract_600_more_does_not_hold_and_writes_the_figure() {
        assert_eq!(
            phrase("600", "多", "", 1, false),
            Phrased {
                text: "600".into(),
                holds: false
            }
        );
    }

    #[test]
    fn more_goes_before_the_scale_word_for_a_multiple_of_ten() {
        assert_eq!(phrase("5003210", "多", "万", 1, false), holds("500多万"));
        assert_eq!(phrase("211595", "余", "万", 1, false), holds("20余万"));
    }

    #[test]
    fn exact_scaled_values_drop_trailing_zeros_or_keep_d_decimals() {
        assert_eq!(exact(Scale::Yi.of(d("610000000000")), None), "6100");
        assert_eq!(exact(Scale::Yi.of(d("16250000000")), None), "162.5");
        assert_eq!(exact(d("96"), None), "96");
        assert_eq!(exact(Scale::Yi.of(d("5287000000000")), Some(1)), "52870.0");
        assert_eq!(exact(d("50"), Some(1)), "50.0");
        assert_eq!(exact(d("0.005"), None), "0.01");
        assert_eq!(exact(d("-0.001"), Some(2)), "0.00");
    }

    #[test]
    fn significant_digits_cut_round_up_and_round() {
        assert_eq!(trunc_k(d("612"), 2), d("610"));
        assert_eq!(ceil_k(d("487"), 1), d("500"));
        assert_eq!(ceil_k(d("96"), 1), d("100"));
        assert_eq!(round_k(d("450"), 1), d("500"));
        assert_eq!(trunc_k(d("0.0567"), 1), d("0.05"));
    }

    #[test]
    fn helpers_join_and_compare() {
        let names: Vec<String> = ["浦东", "青浦", "虹口"].iter().map(|s| s.to_string()).collect();
        assert_eq!(enumerate(&names), "浦东、青浦和虹口");
        assert_eq!(enumerate(&names[..1]), "浦东");
        assert_eq!(change(d("96"), d("86")), "增加");
        assert_eq!(change(d("50"), d("100")), "减少");
        assert_eq!(change(d("1"), d("1.00")), "持平");
    }
}

/// Every phrase written holds of its figure, by the contract's inequality,
/// checked with an oracle of its own: the figure is drawn as an integer of
/// cents, and the oracle reads the base back out of the text written and
/// compares integers scaled to the same unit.
#[cfg(test)]
mod props {
    use super::*;
    use proptest::prelude::*;

    /// The value a phrase's base stands for, in cents of the scaled unit,
    /// read from the text (`600多`, `2万余`, `超千亿`, `近百`, `上百万`).
    fn base_in_cents(text: &str, prefix: &str, suffix: &str, word: &str) -> Option<i128> {
        let body = text.strip_prefix(prefix)?;
        let body = body.replace(word, "").replace(suffix, "");
        let digits = match body.as_str() {
            "十" => "10".to_string(),
            "百" => "100".to_string(),
            "千" => "1000".to_string(),
            "万" => "10000".to_string(),
            other => other.to_string(),
        };
        let (int, frac) = digits.split_once('.').unwrap_or((&digits, ""));
        let frac = format!("{frac:0<2}");
        if frac.len() > 2 {
            // A base finer than a cent: compare in the finest unit instead.
            return None;
        }
        Some(int.parse::<i128>().ok()? * 100 + frac.parse::<i128>().ok()?)
    }

    fn name_strategy() -> impl Strategy<Value = &'static str> {
        prop::sample::select(Approx::NAMES.to_vec())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4000))]

        #[test]
        fn a_phrase_written_is_true_and_one_that_is_not_is_the_exact_figure(
            cents in prop_oneof![0i64..100_000, 0i64..1_000_000_000, 0i64..i64::MAX / 4],
            name in name_strategy(),
            scale in prop::sample::select(vec!["", "万", "亿"]),
            k in 1u32..4,
            chinese in any::<bool>(),
        ) {
            let figure = Decimal::new(cents, 2);
            let s = Scale::parse(scale).unwrap();
            let p = approximate(figure, Approx::named(name).unwrap(), s, k, chinese);
            let divisor = match scale { "万" => 10_000, "亿" => 100_000_000, _ => 1 };
            if !p.holds {
                // The exact scaled value: two decimals, half away from zero.
                let v = Decimal::new(cents, 2) / Decimal::from(divisor);
                let want = format!("{}{}", v.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero).normalize(), scale);
                let want = if want.starts_with('0') && v.is_zero() { format!("0{scale}") } else { want };
                prop_assert_eq!(p.text, want);
                return Ok(());
            }
            let (prefix, suffix) = match name {
                "多" | "余" => ("", name),
                "近" | "约" | "上" | "超" | "超过" | "逾" | "不少于" => (name, ""),
                _ => unreachable!(),
            };
            // The base in cents of the scaled unit, against the figure in
            // cents of 元: compare the figure with the base × the divisor.
            let Some(base) = base_in_cents(&p.text, prefix, suffix, scale) else {
                return Ok(());
            };
            let v = i128::from(cents);
            let b = base * i128::from(divisor);
            match name {
                "多" | "余" => prop_assert!(v > b && base % 100 == 0, "{} of {figure}", p.text),
                "超" | "超过" | "逾" => prop_assert!(v > b, "{} of {figure}", p.text),
                "近" => prop_assert!(10 * v >= 9 * b && v < b, "{} of {figure}", p.text),
                "不少于" => prop_assert!(v >= b, "{} of {figure}", p.text),
                "上" => prop_assert!(b <= v && v < 2 * b && base >= 1000, "{} of {figure}", p.text),
                _ => {}
            }
            // 汉字 only when asked for (上 always), and only for 10, 100, 1000.
            let chinese_base = ["十", "百", "千"].iter().any(|c| p.text.contains(c));
            prop_assert!(!chinese_base || chinese || name == "上", "{}", p.text);
        }
    }
}
