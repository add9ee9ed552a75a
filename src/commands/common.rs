//! What every command shares: how it went ([`Outcome`], the exit code)
//! and which reporting year it is about ([`pick_year`]).

use anyhow::{bail, Result};

/// How a command that ran to the end went; errors (exit 2) are `Err`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Exit 0.
    Done,
    /// Exit 1: a check or verify found problems.
    Problems,
}

impl Outcome {
    pub fn exit_code(self) -> u8 {
        match self {
            Outcome::Done => 0,
            Outcome::Problems => 1,
        }
    }
}

/// Exit code for a command that could not run.
pub const EXIT_COULD_NOT_RUN: u8 = 2;

/// A command that ran to the end without a check to fail.
pub(super) fn done<T>(r: Result<T>) -> Result<Outcome> {
    r.map(|_| Outcome::Done)
}

/// Choose the reporting year: the one asked for, which must have a folder,
/// else the latest year folder.
pub fn pick_year(requested: Option<i32>, years: &[i32]) -> Result<i32> {
    let listed = || {
        if years.is_empty() {
            "none".to_string()
        } else {
            years.iter().map(|y| y.to_string()).collect::<Vec<_>>().join(", ")
        }
    };
    match (requested, years.last()) {
        (Some(y), _) if years.contains(&y) => Ok(y),
        (Some(y), _) => bail!("no inputs for year {y}: year folders found: {}", listed()),
        (None, Some(latest)) => Ok(*latest),
        (None, None) => bail!("no <year>/ folder (e.g. 2024/companies/) in the inputs"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_year_is_the_latest_folder() {
        assert_eq!(pick_year(None, &[2022, 2023, 2024]).unwrap(), 2024);
        assert_eq!(pick_year(Some(2023), &[2022, 2023, 2024]).unwrap(), 2023);
    }

    #[test]
    fn a_year_without_a_folder_is_an_error_naming_the_years_found() {
        let err = pick_year(Some(2030), &[2023, 2024]).unwrap_err().to_string();
        assert!(err.contains("2030") && err.contains("2023, 2024"), "{err}");
        assert!(pick_year(None, &[]).is_err());
    }
}
