//! Sizes as an operator writes them, with or without a unit, in bytes:
//! parsed once, on the command line, by `parse_size` (decimal units in
//! powers of 1,000, binary ones in powers of 1,024); and a limit in bytes
//! as a message names it.

/// A size that is not one.
#[derive(Debug, thiserror::Error)]
#[error("expected a size such as 256MiB, 1GiB or 512MB, found '{found}': {reason}")]
pub struct SizeError {
    pub found: String,
    pub reason: parse_size::Error,
}

/// A size in bytes.
pub fn parse_bytes(s: &str) -> Result<u64, SizeError> {
    parse_size::parse_size(s).map_err(|reason| SizeError {
        found: s.to_string(),
        reason,
    })
}

/// A size in bytes as a limit's message names it: whole GiB or MiB when it
/// is one, else a count of bytes.
pub fn human_bytes(n: u64) -> String {
    const GIB: u64 = 1 << 30;
    const MIB: u64 = 1 << 20;
    match n {
        n if n >= GIB && n % GIB == 0 => format!("{} GiB", n / GIB),
        n if n >= MIB && n % MIB == 0 => format!("{} MiB", n / MIB),
        n => format!("{n} bytes"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_and_binary_units() {
        assert_eq!(parse_bytes("512MB").unwrap(), 512_000_000);
        assert_eq!(parse_bytes("256MiB").unwrap(), 256 << 20);
        assert_eq!(parse_bytes("1000").unwrap(), 1000);
        let err = parse_bytes("80%").unwrap_err().to_string();
        assert!(err.contains("expected a size") && err.contains("'80%'"), "{err}");
    }
}
