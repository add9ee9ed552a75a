//! The money units of the input contract (元, 万元, 亿元): how they are
//! written and what they multiply by. Values are stored in 元; the reader
//! (`normalize`) decides which unit applies to a cell, this says what each
//! unit is.

use std::fmt;

use rust_decimal::Decimal;

/// The three money units the contract knows. Values are stored in 元.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MoneyUnit {
    Yuan,
    Wan,
    Yi,
}

impl MoneyUnit {
    /// `元`, `万元`, `亿元` (also the bare `万`/`亿` cells use).
    pub fn from_label(s: &str) -> Option<Self> {
        match s.trim() {
            "元" => Some(Self::Yuan),
            "万元" | "万" => Some(Self::Wan),
            "亿元" | "亿" => Some(Self::Yi),
            _ => None,
        }
    }

    pub fn factor(self) -> Decimal {
        match self {
            Self::Yuan => Decimal::ONE,
            Self::Wan => Decimal::from(10_000),
            Self::Yi => Decimal::from(100_000_000),
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Yuan => "元",
            Self::Wan => "万元",
            Self::Yi => "亿元",
        }
    }
}

impl fmt::Display for MoneyUnit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}
