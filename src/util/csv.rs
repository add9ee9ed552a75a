//! CSV as this program writes it: one writer for every file and for
//! standard output, `\n` line ends, and submitted text that a spreadsheet
//! would run as a formula neutralised (a `'` before it), since a CSV is
//! opened in Excel sooner or later. Files for people carry a UTF-8 BOM.

use std::io::Write;

/// `'` before submitted text a spreadsheet would run as a formula (`=`,
/// `+`, `-`, `@`, tab, CR first). A plain number (`-99.01`, `+5`,
/// `-1,234.5`) is left alone: it is data, not a formula.
pub fn neutralize(s: &str) -> String {
    let plain_number = {
        let body = s.strip_prefix(['+', '-']).unwrap_or(s);
        !body.is_empty()
            && body.chars().all(|c| c.is_ascii_digit() || c == '.' || c == ',')
            && body.chars().any(|c| c.is_ascii_digit())
    };
    match s.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') if !plain_number => format!("'{s}"),
        _ => s.to_string(),
    }
}

/// The UTF-8 byte order mark. Excel on a Chinese desktop reads a CSV
/// without it as GBK and shows mojibake; with it, as UTF-8.
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

/// CSV bytes: the header, then the rows with every field neutralised
/// (plain numbers are left alone), `\n` line ends, quoting only where
/// needed, through [`csv_writer`].
pub fn csv_bytes<R: AsRef<[String]>>(header: &[&str], rows: &[R], bom: bool) -> Vec<u8> {
    // Writing to a Vec cannot fail; a failure here is a bug, not bad input.
    let mut w = csv_writer(Vec::new(), header, bom).expect("CSV into memory");
    for row in rows {
        csv_row(&mut w, row.as_ref()).expect("CSV into memory");
    }
    w.into_inner().expect("CSV into memory")
}

/// A CSV writer onto `out` that has written the BOM (if asked) and the
/// header: the one CSV writer of the program, for bytes in memory
/// ([`csv_bytes`]) and for files written as their rows are read.
pub fn csv_writer<W: Write>(mut out: W, header: &[&str], bom: bool) -> std::io::Result<csv::Writer<W>> {
    if bom {
        out.write_all(BOM)?;
    }
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .flexible(true)
        .from_writer(out);
    w.write_record(header)?;
    Ok(w)
}

/// One record, every field neutralised.
pub fn csv_row<W: Write>(w: &mut csv::Writer<W>, row: &[String]) -> csv::Result<()> {
    w.write_record(row.iter().map(|f| neutralize(f)))
}

/// A CSV meant for people (opened in Excel): with a UTF-8 BOM.
/// headline.csv is not one of these: its contract is plain UTF-8.
pub fn people_csv<R: AsRef<[String]>>(header: &[&str], rows: &[R]) -> Vec<u8> {
    csv_bytes(header, rows, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn people_csv_starts_with_a_bom_and_neutralises_formulas_but_not_numbers() {
        let bytes = people_csv(
            &["名称", "金额"],
            &[vec!["=1+1".to_string(), "-99.01".to_string()]],
        );
        assert!(bytes.starts_with(BOM));
        let text = std::str::from_utf8(&bytes[3..]).unwrap();
        assert_eq!(text, "名称,金额\n'=1+1,-99.01\n");
    }
}
