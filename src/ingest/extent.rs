//! How big a grid the dense readers would build, found before they build it.
//!
//! calamine reads `.xls` and `.ods` as whole grids: every sheet becomes a
//! rows × columns array spanning its first to its last non-empty cell (and
//! a second one for formulas), allocated when the workbook is opened. One
//! value typed far from the table, or a row repeated a million times, makes
//! that array gigabytes. This module walks the file's cell records without
//! keeping them — BIFF records of the `Workbook` stream for `.xls`, the
//! `content.xml` of an `.ods` — and reports the largest grid any sheet
//! would need, so the caller can reject the file instead.

use std::io::Cursor;
#[cfg(test)]
use std::path::Path;

use quick_xml::events::{BytesStart, Event};

/// The largest grid (in cells) the reader would allocate for one sheet, and
/// that sheet's rows and columns from its first to its last value.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Extent {
    pub cells: u64,
    pub rows: u64,
    pub cols: u64,
}

/// Bounding box of the cells seen in one sheet.
#[derive(Debug, Default, Clone, Copy)]
struct Bounds {
    rows: Option<(u64, u64)>,
    cols: Option<(u64, u64)>,
}

impl Bounds {
    fn add(&mut self, row: u64, first_col: u64, last_col: u64) {
        let r = self.rows.get_or_insert((row, row));
        r.0 = r.0.min(row);
        r.1 = r.1.max(row);
        let c = self.cols.get_or_insert((first_col, last_col));
        c.0 = c.0.min(first_col);
        c.1 = c.1.max(last_col);
    }

    fn extent(&self) -> Extent {
        match (self.rows, self.cols) {
            (Some((r0, r1)), Some((c0, c1))) => {
                let rows = r1 - r0 + 1;
                let cols = c1 - c0 + 1;
                Extent {
                    cells: rows.saturating_mul(cols),
                    rows,
                    cols,
                }
            }
            _ => Extent::default(),
        }
    }
}

fn largest(sheets: impl IntoIterator<Item = Extent>) -> Extent {
    sheets.into_iter().max_by_key(|e| e.cells).unwrap_or_default()
}

/// The largest sheet grid of an `.xls` file. Errors (not a compound file,
/// no workbook stream) are left for calamine to report in its own words:
/// they return `None`.
pub fn xls(bytes: &[u8]) -> Option<Extent> {
    let stream = compound_stream(bytes, &["Workbook", "Book"])?;
    let mut sheets = Vec::new();
    let mut current = Bounds::default();
    let mut pos = 0usize;
    while pos + 4 <= stream.len() {
        let typ = u16::from_le_bytes([stream[pos], stream[pos + 1]]);
        let len = u16::from_le_bytes([stream[pos + 2], stream[pos + 3]]) as usize;
        let data = &stream[pos + 4..(pos + 4 + len).min(stream.len())];
        pos += 4 + len;
        let u16_at = |i: usize| {
            data.get(i..i + 2)
                .map(|b| u64::from(u16::from_le_bytes([b[0], b[1]])))
        };
        match typ {
            // BOF: a new substream (sheet); keep the last one's bounds.
            0x0809 => sheets.push(std::mem::take(&mut current).extent()),
            // FILEPASS: the rest is encrypted; calamine reports it.
            0x002F => break,
            // DIMENSIONS: calamine reserves this much; a claim beyond what
            // BIFF8 can address is a damaged file.
            0x0200 if data.len() >= 14 => {
                let rows = u64::from(u32::from_le_bytes([data[4], data[5], data[6], data[7]]));
                let cols = u16_at(10).unwrap_or(0);
                if rows > 65_536 || cols > 256 {
                    sheets.push(Extent {
                        cells: rows.saturating_mul(cols),
                        rows,
                        cols,
                    });
                }
            }
            // Cell records calamine keeps: Number, Label, RString, BoolErr,
            // RK, LabelSst, Formula.
            0x0203 | 0x0204 | 0x00D6 | 0x0205 | 0x027E | 0x00FD | 0x0006 => {
                if let (Some(r), Some(c)) = (u16_at(0), u16_at(2)) {
                    current.add(r, c, c);
                }
            }
            // MulRk: row, first column, …, last column in the last two bytes.
            0x00BD if data.len() >= 6 => {
                if let (Some(r), Some(c0), Some(c1)) = (u16_at(0), u16_at(2), u16_at(data.len() - 2)) {
                    current.add(r, c0, c1.max(c0));
                }
            }
            _ => {}
        }
    }
    sheets.push(current.extent());
    Some(largest(sheets))
}

/// One stream of a compound file (the container of `.xls`), read as
/// leniently as Excel and calamine read it.
///
/// The `cfb` crate refuses files that both open (SheetJS, for one, writes a
/// FAT longer than the file), and calamine's own reader is private, so this
/// follows [MS-CFB] by hand: header, DIFAT, FAT, directory, then the
/// stream's sector chain (or the mini stream's, for a small stream). Every
/// chain is bounded by the file's sector count, so a looping chain ends.
fn compound_stream(bytes: &[u8], names: &[&str]) -> Option<Vec<u8>> {
    let cfb = Compound::open(bytes)?;
    let directory = cfb.directory()?;
    let entry = |i: usize| directory.get(128 * i..128 * i + 128);
    let found = (0..directory.len() / 128)
        .filter_map(entry)
        .find(|e| e[0x42] == 2 && names.iter().any(|n| entry_name(e).eq_ignore_ascii_case(n)))?;
    let start = u32_at(found, 0x74)?;
    let len = usize::try_from(u32_at(found, 0x78)?).ok()?;
    let cutoff = usize::try_from(u32_at(bytes, 0x38)?).ok()?;
    let mut data = if len < cutoff {
        // A small stream lives in the mini stream (the root entry's chain),
        // in mini sectors chained by the mini FAT.
        let root = entry(0)?;
        let mini_stream = cfb.chain(u32_at(root, 0x74)?);
        let mini_fat_raw = cfb.chain(u32_at(bytes, 0x3C)?);
        let mini_fat: Vec<u32> = (0..mini_fat_raw.len() / 4)
            .filter_map(|i| u32_at(&mini_fat_raw, 4 * i))
            .collect();
        let mini = 1usize << cfb.mini_shift;
        let mut out = Vec::new();
        let mut n = start;
        for _ in 0..=mini_fat.len() {
            let at = n as usize * mini;
            let Some(s) = mini_stream.get(at..(at + mini).min(mini_stream.len())) else {
                break;
            };
            out.extend_from_slice(s);
            match mini_fat.get(n as usize) {
                Some(&next) if next < CHAIN_END - 1 => n = next,
                _ => break,
            }
        }
        out
    } else {
        cfb.chain(start)
    };
    data.truncate(len);
    Some(data)
}

/// The streams a compound file's directory lists, with the size each
/// declares: what reading them would unpack.
pub fn compound_sizes(bytes: &[u8]) -> Option<Vec<(String, u64)>> {
    let directory = Compound::open(bytes)?.directory()?;
    Some(
        directory
            .chunks_exact(128)
            .filter(|e| e[0x42] == 2)
            .map(|e| (entry_name(e), u64::from(u32_at(e, 0x78).unwrap_or(0))))
            .collect(),
    )
}

const CHAIN_END: u32 = 0xFFFF_FFFE;

fn u32_at(b: &[u8], i: usize) -> Option<u32> {
    b.get(i..i + 4)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

/// A directory entry's name (UTF-16, at most 31 units).
fn entry_name(e: &[u8]) -> String {
    let len = (usize::from(u16::from_le_bytes([e[0x40], e[0x41]])) / 2)
        .saturating_sub(1)
        .min(31);
    let units: Vec<u16> = (0..len)
        .map(|i| u16::from_le_bytes([e[2 * i], e[2 * i + 1]]))
        .collect();
    String::from_utf16_lossy(&units)
}

/// A compound file's header and FAT: enough to follow a sector chain.
struct Compound<'a> {
    bytes: &'a [u8],
    size: usize,
    sectors: usize,
    mini_shift: u32,
    fat: Vec<u32>,
}

impl<'a> Compound<'a> {
    fn open(bytes: &'a [u8]) -> Option<Self> {
        const SIGNATURE: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
        if bytes.len() < 512 || bytes[..8] != SIGNATURE {
            return None;
        }
        let u16_at = |i: usize| bytes.get(i..i + 2).map(|b| u16::from_le_bytes([b[0], b[1]]));
        let shift = u32::from(u16_at(0x1E)?);
        let mini_shift = u32::from(u16_at(0x20)?);
        if !(7..=16).contains(&shift) || mini_shift >= shift {
            return None;
        }
        let size = 1usize << shift;
        let mut cfb = Compound {
            bytes,
            size,
            sectors: bytes.len().div_ceil(size).saturating_sub(1),
            mini_shift,
            fat: Vec::new(),
        };
        // DIFAT: 109 entries in the header, then a chain of DIFAT sectors.
        let mut fat_sectors: Vec<u32> = (0..109).filter_map(|i| u32_at(bytes, 0x4C + 4 * i)).collect();
        let mut next = u32_at(bytes, 0x44)?;
        for _ in 0..cfb.sectors {
            let Some(s) = cfb.sector(next) else { break };
            let per = size / 4 - 1;
            fat_sectors.extend((0..per).filter_map(|i| u32_at(s, 4 * i)));
            next = u32_at(s, 4 * per)?;
        }
        cfb.fat = fat_sectors
            .iter()
            .filter(|&&n| n < CHAIN_END - 1)
            .filter_map(|&n| cfb.sector(n))
            .flat_map(|s| (0..s.len() / 4).filter_map(move |i| u32_at(s, 4 * i)))
            .collect();
        Some(cfb)
    }

    fn sector(&self, n: u32) -> Option<&'a [u8]> {
        let start = (n as usize + 1).checked_mul(self.size)?;
        self.bytes.get(start..(start + self.size).min(self.bytes.len()))
    }

    /// The bytes of a sector chain, bounded by the file's sector count.
    fn chain(&self, start: u32) -> Vec<u8> {
        let mut out = Vec::new();
        let mut n = start;
        for _ in 0..=self.sectors {
            let Some(s) = self.sector(n) else { break };
            out.extend_from_slice(s);
            match self.fat.get(n as usize) {
                Some(&next) if next < CHAIN_END - 1 => n = next,
                _ => break,
            }
        }
        out
    }

    fn directory(&self) -> Option<Vec<u8>> {
        Some(self.chain(u32_at(self.bytes, 0x30)?))
    }
}

/// The largest sheet grid of an `.ods` file: for each table, the cells its
/// reader would hold before trimming (every cell up to a row's last value,
/// once per written row) and the trimmed grid (rows expanded by their
/// repeat counts between the first and last row with a value).
pub fn ods(bytes: &[u8]) -> Option<Extent> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).ok()?;
    let content = zip.by_name("content.xml").ok()?;
    let mut reader = quick_xml::Reader::from_reader(std::io::BufReader::new(content));
    reader.config_mut().check_end_names = false;
    let mut buf = Vec::new();
    let mut sheets = Vec::new();
    let mut table: Option<OdsTable> = None;
    loop {
        let event = match reader.read_event_into(&mut buf) {
            Ok(e) => e,
            Err(_) => return None,
        };
        match event {
            Event::Eof => break,
            Event::Start(e) | Event::Empty(e) if e.name().as_ref() == "table:table" => {
                table = Some(OdsTable::default());
            }
            Event::End(e) if e.name().as_ref() == "table:table" => {
                if let Some(t) = table.take() {
                    sheets.push(t.finish());
                }
            }
            Event::Start(e) if e.name().as_ref() == "table:table-row" => {
                if let Some(t) = table.as_mut() {
                    t.start_row(repeat(&e, "table:number-rows-repeated"));
                }
            }
            Event::Empty(e) if e.name().as_ref() == "table:table-row" => {
                if let Some(t) = table.as_mut() {
                    t.start_row(repeat(&e, "table:number-rows-repeated"));
                    t.end_row();
                }
            }
            Event::End(e) if e.name().as_ref() == "table:table-row" => {
                if let Some(t) = table.as_mut() {
                    t.end_row();
                }
            }
            Event::Start(ref e) | Event::Empty(ref e)
                if matches!(e.name().as_ref(), "table:table-cell" | "table:covered-table-cell") =>
            {
                if let Some(t) = table.as_mut() {
                    let has_value = e
                        .attributes()
                        .flatten()
                        .any(|a| matches!(a.key.as_ref(), "office:value-type" | "table:formula"));
                    t.cell(repeat(e, "table:number-columns-repeated"), has_value);
                    t.in_cell = matches!(event, Event::Start(_));
                }
            }
            Event::End(e) if matches!(e.name().as_ref(), "table:table-cell" | "table:covered-table-cell") => {
                if let Some(t) = table.as_mut() {
                    t.in_cell = false;
                }
            }
            Event::Text(_) => {
                // Text inside a cell without a value type is a string cell.
                if let Some(t) = table.as_mut().filter(|t| t.in_cell) {
                    t.text_in_cell();
                }
            }
            _ => {}
        }
        buf.clear();
    }
    Some(largest(sheets))
}

fn repeat(e: &BytesStart<'_>, name: &str) -> u64 {
    e.attributes()
        .flatten()
        .find(|a| a.key.as_ref() == name)
        .and_then(|a| a.value.trim().parse().ok())
        .unwrap_or(1)
        .max(1)
}

/// The walk through one ODS table.
#[derive(Debug, Default)]
struct OdsTable {
    /// Expanded row index of the current row.
    row: u64,
    row_repeat: u64,
    /// Next column of the current row, and its last column with a value + 1.
    col: u64,
    last_value_end: u64,
    /// The last cell read, so text inside it can mark it as a value.
    last_cell: Option<(u64, u64)>,
    in_cell: bool,
    held: u64,
    bounds: Bounds,
}

impl OdsTable {
    fn start_row(&mut self, repeat: u64) {
        self.row_repeat = repeat.min(1 << 20);
        self.col = 0;
        self.last_value_end = 0;
        self.last_cell = None;
    }

    fn cell(&mut self, repeat: u64, has_value: bool) {
        let first = self.col;
        self.col = self.col.saturating_add(repeat.min(1 << 14));
        self.last_cell = Some((first, self.col));
        if has_value {
            self.value(first, self.col);
        }
    }

    fn text_in_cell(&mut self) {
        if let Some((first, end)) = self.last_cell {
            if self.last_value_end < end {
                self.value(first, end);
            }
        }
    }

    fn value(&mut self, first: u64, end: u64) {
        self.last_value_end = self.last_value_end.max(end);
        let last_row = self.row + self.row_repeat.max(1) - 1;
        self.bounds.add(self.row, first, end - 1);
        self.bounds.add(last_row, first, end - 1);
    }

    fn end_row(&mut self) {
        // The reader holds every cell up to the row's last value, once per
        // written row (repeats are expanded only when trimming).
        self.held = self.held.saturating_add(self.last_value_end);
        self.row = self.row.saturating_add(self.row_repeat.max(1));
        self.last_cell = None;
    }

    fn finish(self) -> Extent {
        let mut e = self.bounds.extent();
        e.cells = e.cells.max(self.held);
        e
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ods_with(table_xml: &str) -> Vec<u8> {
        use std::io::Write;
        let mut buf = Cursor::new(Vec::new());
        {
            let mut zip = zip::ZipWriter::new(&mut buf);
            let opts = zip::write::SimpleFileOptions::default();
            zip.start_file("content.xml", opts).unwrap();
            write!(
                zip,
                r#"<?xml version="1.0"?><office:document-content><office:body><office:spreadsheet><table:table table:name="S">{table_xml}</table:table></office:spreadsheet></office:body></office:document-content>"#
            )
            .unwrap();
            zip.finish().unwrap();
        }
        buf.into_inner()
    }

    #[test]
    fn ods_far_corner_value_spans_the_whole_sheet() {
        let bytes = ods_with(concat!(
            r#"<table:table-row><table:table-cell office:value-type="string"><text:p>a</text:p></table:table-cell></table:table-row>"#,
            r#"<table:table-row table:number-rows-repeated="1048574"><table:table-cell table:number-columns-repeated="16384"/></table:table-row>"#,
            r#"<table:table-row><table:table-cell table:number-columns-repeated="16383"/><table:table-cell office:value-type="float" office:value="1"/></table:table-row>"#,
        ));
        let e = ods(&bytes).unwrap();
        assert_eq!((e.rows, e.cols), (1_048_576, 16_384));
        assert!(e.cells >= 1 << 34);
    }

    #[test]
    fn ods_formatted_empty_rows_cost_nothing() {
        let bytes = ods_with(concat!(
            r#"<table:table-row><table:table-cell office:value-type="string"><text:p>a</text:p></table:table-cell><table:table-cell>  <text:p>b</text:p></table:table-cell></table:table-row>"#,
            r#"<table:table-row table:number-rows-repeated="1048575"><table:table-cell table:number-columns-repeated="1024"/></table:table-row>"#,
        ));
        let e = ods(&bytes).unwrap();
        assert_eq!((e.rows, e.cols, e.cells), (1, 2, 2));
    }

    #[test]
    fn shared_sample_xls_and_ods_are_small() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/samples/inputs/2023/companies");
        let xls_e = xls(&std::fs::read(dir.join("0002_沪沪沪科技有限公司.xls")).unwrap()).unwrap();
        assert!(xls_e.cells > 0 && xls_e.cells < 1000, "{xls_e:?}");
        let ods_e = ods(&std::fs::read(dir.join("0003_达海诚新贸易有限公司_初版.ods")).unwrap()).unwrap();
        assert!(ods_e.cells > 0 && ods_e.cells < 1000, "{ods_e:?}");
    }

    #[test]
    fn not_a_container_is_left_to_the_reader() {
        assert_eq!(xls(b"<html>not a workbook</html>"), None);
        assert_eq!(ods(b"PK\x03\x04 truncated"), None);
    }
}
