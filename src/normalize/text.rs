//! Text-level rules: full-width folding, missing markers, header labels and
//! the `单位：万元` note above a header.

use crate::contract::units::MoneyUnit;

/// Fold full-width ASCII (U+FF01..U+FF5E) to ASCII and the ideographic space
/// to a plain space. Chinese input methods produce `１２３４．５` and `，` when
/// the user forgets to switch to half-width; the contract accepts them.
pub fn fold_width(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            // The Chinese full stop is sometimes typed for a decimal point
            // only in dates, where we treat it like '.'.
            _ => c,
        })
        .collect()
}

/// The contract's missing markers: empty, `-`, `—`, `/`, `无`, `N/A`.
/// Compared after folding width and trimming, so `－` and ` N/A ` count too.
pub fn is_missing_marker(s: &str) -> bool {
    // Called for every cell: decide long text without folding it. The
    // longest marker, `Ｎ／Ａ` in full width, is 9 bytes.
    let trimmed = s.trim();
    if trimmed.len() > 9 {
        return false;
    }
    let folded = fold_width(trimmed);
    let t = folded.trim();
    t.is_empty() || matches!(t, "-" | "—" | "/" | "无") || t.eq_ignore_ascii_case("n/a")
}

/// A header cell after the contract's normalisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderLabel {
    /// The label with all white space removed and any trailing bracket cut.
    pub name: String,
    /// The money unit written in the trailing bracket, if it is one.
    pub unit: Option<MoneyUnit>,
}

/// Text with every white space character removed (spaces, tabs, newlines,
/// U+3000): how labels, list values and sheet names are compared, since
/// submitters pad and wrap them freely. The one text-cleaning rule.
pub fn compact(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

/// Normalise a header cell: remove all white space (newlines and U+3000
/// included) and split off a trailing unit in brackets, so
/// `"利税总额\n（万元）"` is `利税总额` with unit 万元. A `*` marking a required
/// column (the templates write `企业名称*`; forms often write `*企业名称`) is
/// not part of the label.
pub fn header_label(raw: &str) -> HeaderLabel {
    let compact = compact(raw).trim_matches(['*', '＊']).to_string();
    const PAIRS: [(char, char); 4] = [('(', ')'), ('（', '）'), ('[', ']'), ('【', '】')];
    for (open, close) in PAIRS {
        if let Some(stripped) = compact.strip_suffix(close) {
            if let Some(pos) = stripped.rfind(open) {
                let inside = &stripped[pos + open.len_utf8()..];
                let name = stripped[..pos].to_string();
                if name.is_empty() {
                    break;
                }
                return HeaderLabel {
                    name,
                    unit: MoneyUnit::from_label(inside),
                };
            }
        }
    }
    HeaderLabel {
        name: compact,
        unit: None,
    }
}

/// Find a unit note such as `单位：万元` or `金额单位:亿元` in one cell above
/// the header: `单位`, a colon (full-width or ASCII), optional spaces, then
/// `元`/`万元`/`亿元` ending the cell or followed by white space or
/// punctuation. `填报单位：某某公司  单位：万元` yields 万元 because the first
/// `单位` is followed by a company name, not a unit.
pub fn unit_note(cell: &str) -> Option<MoneyUnit> {
    let mut rest = cell;
    while let Some(pos) = rest.find("单位") {
        let after = &rest[pos + "单位".len()..];
        if let Some(unit) = unit_after_colon(after) {
            return Some(unit);
        }
        rest = after;
    }
    None
}

fn unit_after_colon(after: &str) -> Option<MoneyUnit> {
    let after = after.trim_start_matches([' ', '\u{3000}', '\t']);
    let after = after.strip_prefix(':').or_else(|| after.strip_prefix('：'))?;
    let after = after.trim_start_matches([' ', '\u{3000}', '\t']);
    for (label, unit) in [
        ("亿元", MoneyUnit::Yi),
        ("万元", MoneyUnit::Wan),
        ("元", MoneyUnit::Yuan),
    ] {
        if let Some(tail) = after.strip_prefix(label) {
            let ok = match tail.chars().next() {
                None => true,
                Some(c) => c.is_whitespace() || is_punctuation(c),
            };
            return if ok { Some(unit) } else { None };
        }
    }
    None
}

fn is_punctuation(c: char) -> bool {
    c.is_ascii_punctuation()
        || matches!(
            c,
            '，' | '。'
                | '；'
                | '：'
                | '、'
                | '（'
                | '）'
                | '【'
                | '】'
                | '！'
                | '？'
                | '“'
                | '”'
                | '《'
                | '》'
                | '・'
                | '·'
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn required_marker_is_not_part_of_the_header_label() {
        assert_eq!(header_label("企业名称*").name, "企业名称");
        assert_eq!(header_label("＊统一社会信用代码").name, "统一社会信用代码");
        let l = header_label("金额（万元）*");
        assert_eq!((l.name.as_str(), l.unit), ("金额", Some(MoneyUnit::Wan)));
    }

    #[test]
    fn full_width_digits_and_punctuation_fold_to_ascii() {
        assert_eq!(fold_width("１２３４．５"), "1234.5");
        assert_eq!(fold_width("１，２３４"), "1,234");
        assert_eq!(fold_width("－８００"), "-800");
        assert_eq!(fold_width("\u{3000}12"), " 12");
    }

    #[test]
    fn missing_markers_are_missing_not_zero() {
        for m in [
            "", "  ", "-", "—", "/", "无", "N/A", "n/a", " N/A ", "－", "\u{3000}",
        ] {
            assert!(is_missing_marker(m), "{m:?} should be missing");
        }
        for v in ["0", "无效", "--5", "a"] {
            assert!(!is_missing_marker(v), "{v:?} should not be missing");
        }
    }

    #[test]
    fn header_newlines_and_ideographic_spaces_are_removed() {
        let h = header_label(" 党组\n织\u{3000}");
        assert_eq!(h.name, "党组织");
        assert_eq!(h.unit, None);
    }

    #[test]
    fn header_trailing_unit_in_any_bracket_is_split_off() {
        for (raw, unit) in [
            ("利税总额\n（万元）", MoneyUnit::Wan),
            ("营业收入(元)", MoneyUnit::Yuan),
            ("落地\n投资额(亿元)", MoneyUnit::Yi),
            ("营业收入[万元]", MoneyUnit::Wan),
            ("公益捐赠【元】", MoneyUnit::Yuan),
        ] {
            let h = header_label(raw);
            assert_eq!(h.unit, Some(unit), "{raw}");
        }
        assert_eq!(header_label("利税总额\n（万元）").name, "利税总额");
        assert_eq!(header_label("从业人数(人)").name, "从业人数");
        assert_eq!(header_label("从业人数(人)").unit, None);
    }

    #[test]
    fn unit_note_forms_from_the_contract() {
        assert_eq!(unit_note("单位：万元"), Some(MoneyUnit::Wan));
        assert_eq!(unit_note("金额单位:亿元"), Some(MoneyUnit::Yi));
        assert_eq!(unit_note("单位： 元"), Some(MoneyUnit::Yuan));
        assert_eq!(unit_note("填报单位：某某公司  单位：万元"), Some(MoneyUnit::Wan));
        assert_eq!(unit_note("单位：元（人民币）"), Some(MoneyUnit::Yuan));
        assert_eq!(unit_note("填报单位：金融投资专委会"), None);
        assert_eq!(unit_note("单位：万元人民币"), None);
        assert_eq!(unit_note("上海市浙江商会会员企业2023年度统计表"), None);
    }
}
