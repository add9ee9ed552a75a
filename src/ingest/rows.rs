//! Rows of one sheet, one at a time, holding only the cells that hold
//! something.
//!
//! calamine's `worksheet_range` builds a dense rows × columns grid, so one
//! stray value in `XFD1048576` asks for half a terabyte. `.xlsx`, `.xlsm`
//! and `.xlsb` are therefore read through calamine's streaming cell readers
//! and grouped into sparse rows here: memory follows the cells present, not
//! the sheet's extent. `.xls` and `.ods`, whose readers are dense, are
//! checked for extent before they are materialised (`extent`), and their
//! grid is then walked the same way.
//!
//! Every source enforces the [`Limits`]: rows per sheet, characters per
//! cell and cells per file. Going over one is an error naming the limit, so
//! the file is rejected and the night goes on.

use calamine::{Data, DataRef, Range};

pub use super::error::{ReadError, ReaderError};
use crate::normalize::Raw;

/// Bounds on what one input file may hold. Excel's own limits are far
/// larger than any honest submission; these keep one file from eating the
/// machine. Set on the command line (`--max-rows-per-sheet` …).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Limits {
    /// Non-empty rows in one sheet.
    pub rows_per_sheet: u64,
    /// Characters of text in one cell (Excel's own limit is 32,767).
    pub cell_chars: usize,
    /// Non-empty cells in one file, all sheets together.
    pub cells_per_file: u64,
    /// Rows × columns of a sheet that a dense reader (`.xls`, `.ods`) would
    /// allocate.
    pub grid_cells: u64,
    /// Bytes a file's container (zip, compound file) may unpack to.
    pub unpacked_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            rows_per_sheet: 1_000_000,
            cell_chars: 32_767,
            cells_per_file: 20_000_000,
            grid_cells: 4_000_000,
            unpacked_bytes: 256 << 20,
        }
    }
}

/// One row with at least one cell: 0-based row, and (0-based column, value)
/// for each cell that is not empty, in column order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SparseRow {
    pub row: u32,
    pub cells: Vec<(u32, Raw)>,
}

impl SparseRow {
    /// True when every cell is empty or white space.
    pub fn is_blank(&self) -> bool {
        self.cells.iter().all(|(_, v)| v.is_blank())
    }

    /// The value in column `col`, or empty.
    pub fn get(&self, col: u32) -> &Raw {
        const EMPTY: Raw = Raw::Empty;
        match self.cells.binary_search_by_key(&col, |(c, _)| *c) {
            Ok(i) => &self.cells[i].1,
            Err(_) => &EMPTY,
        }
    }
}

/// A sheet read row by row.
pub trait RowSource {
    fn next_row(&mut self) -> Result<Option<SparseRow>, ReadError>;
}

/// Counts shared by every sheet of one file, so the per-file cell limit
/// holds across sheets.
#[derive(Debug)]
pub struct Budget {
    pub limits: Limits,
    pub cells: u64,
}

impl Budget {
    pub fn new(limits: Limits) -> Self {
        Budget { limits, cells: 0 }
    }

    /// Account for one non-empty cell at (row, col).
    fn take_cell(&mut self, row: u32, col: u32, raw: &Raw) -> Result<(), ReadError> {
        self.cells += 1;
        if self.cells > self.limits.cells_per_file {
            return Err(ReadError::TooManyCells {
                limit: self.limits.cells_per_file,
                cell: a1(row, col),
            });
        }
        if let Raw::Text(t) = raw {
            // Bytes bound characters from above: count only when it matters.
            if t.len() > self.limits.cell_chars {
                let found = t.chars().count();
                if found > self.limits.cell_chars {
                    return Err(ReadError::CellTooLong {
                        limit: self.limits.cell_chars,
                        found,
                        cell: a1(row, col),
                    });
                }
            }
        }
        Ok(())
    }
}

/// Excel's last column (XFD), 0-based.
pub const LAST_COL: u32 = 16_383;

/// A1 reference for 0-based (row, column): rust_xlsxwriter's conversion
/// inside Excel's grid; beyond it (a damaged file can report any position)
/// the same letters continued.
pub fn a1(row: u32, col: u32) -> String {
    match u16::try_from(col) {
        Ok(c) if u32::from(c) <= LAST_COL && row < u32::MAX => {
            rust_xlsxwriter::utility::row_col_to_cell(row, c)
        }
        _ => format!("{}{}", col_letters(col), u64::from(row) + 1),
    }
}

/// Column letters for any 0-based column: 0 → A, 26 → AA. rust_xlsxwriter's
/// helper stops at Excel's last column; a damaged file can report any. The
/// one spelling of the program: the warehouse's `column_letters` table
/// (load), which `source_cells` spells its A1 cells with, is filled from it.
pub fn col_letters(col: u32) -> String {
    let mut c = col;
    let mut letters = Vec::new();
    loop {
        letters.push(b'A' + (c % 26) as u8);
        if c < 26 {
            break;
        }
        c = c / 26 - 1;
    }
    letters.reverse();
    String::from_utf8(letters).unwrap_or_default()
}

/// Group a stream of cells (row-major, as the xlsx/xlsb XML stores them)
/// into sparse rows. `next` yields `(row, col, raw)`; empty cells are
/// dropped before they cost anything.
pub struct CellRows<'b, F> {
    next: F,
    pending: Option<(u32, u32, Raw)>,
    done: bool,
    rows: u64,
    budget: &'b mut Budget,
}

impl<'b, F> CellRows<'b, F>
where
    F: FnMut() -> Result<Option<(u32, u32, Raw)>, ReaderError>,
{
    pub fn new(next: F, budget: &'b mut Budget) -> Self {
        CellRows {
            next,
            pending: None,
            done: false,
            rows: 0,
            budget,
        }
    }

    fn pull(&mut self) -> Result<Option<(u32, u32, Raw)>, ReadError> {
        if let Some(p) = self.pending.take() {
            return Ok(Some(p));
        }
        if self.done {
            return Ok(None);
        }
        loop {
            match (self.next)().map_err(ReadError::Reader)? {
                None => {
                    self.done = true;
                    return Ok(None);
                }
                Some((_, _, Raw::Empty)) => continue,
                Some((r, c, raw)) => {
                    self.budget.take_cell(r, c, &raw)?;
                    return Ok(Some((r, c, raw)));
                }
            }
        }
    }
}

impl<F> RowSource for CellRows<'_, F>
where
    F: FnMut() -> Result<Option<(u32, u32, Raw)>, ReaderError>,
{
    fn next_row(&mut self) -> Result<Option<SparseRow>, ReadError> {
        let Some((row, col, raw)) = self.pull()? else {
            return Ok(None);
        };
        let mut cells = Vec::with_capacity(16);
        cells.push((col, raw));
        let mut out = SparseRow { row, cells };
        while let Some((r, c, raw)) = self.pull()? {
            if r != row {
                self.pending = Some((r, c, raw));
                break;
            }
            out.cells.push((c, raw));
        }
        self.rows += 1;
        if self.rows > self.budget.limits.rows_per_sheet {
            return Err(ReadError::TooManyRows {
                limit: self.budget.limits.rows_per_sheet,
                cell: a1(row, 0),
            });
        }
        // Writers store a row's cells in column order; sort in case one
        // did not, so lookups can bisect. A repeated column keeps the first.
        if !out.cells.windows(2).all(|w| w[0].0 < w[1].0) {
            out.cells.sort_by_key(|(c, _)| *c);
            out.cells.dedup_by_key(|(c, _)| *c);
        }
        Ok(Some(out))
    }
}

/// The rows of a grid that a dense reader already holds (`.xls`, `.ods`),
/// after its extent passed [`Limits::grid_cells`].
pub struct GridRows<'r, 'b> {
    range: &'r Range<Data>,
    next: usize,
    budget: &'b mut Budget,
    rows: u64,
}

impl<'r, 'b> GridRows<'r, 'b> {
    pub fn new(range: &'r Range<Data>, budget: &'b mut Budget) -> Self {
        GridRows {
            range,
            next: 0,
            budget,
            rows: 0,
        }
    }
}

impl RowSource for GridRows<'_, '_> {
    fn next_row(&mut self) -> Result<Option<SparseRow>, ReadError> {
        let Some((first_row, first_col)) = self.range.start() else {
            return Ok(None);
        };
        let width = self.range.width();
        while let Some(cells) = self.range.rows().nth(self.next) {
            let row = first_row + self.next as u32;
            self.next += 1;
            let mut out = SparseRow {
                row,
                cells: Vec::new(),
            };
            for (i, d) in cells.iter().enumerate().take(width) {
                if matches!(d, Data::Empty) {
                    continue;
                }
                let col = first_col + i as u32;
                let raw = data_to_raw(d);
                self.budget.take_cell(row, col, &raw)?;
                out.cells.push((col, raw));
            }
            if out.cells.is_empty() {
                continue;
            }
            self.rows += 1;
            if self.rows > self.budget.limits.rows_per_sheet {
                return Err(ReadError::TooManyRows {
                    limit: self.budget.limits.rows_per_sheet,
                    cell: a1(row, 0),
                });
            }
            return Ok(Some(out));
        }
        Ok(None)
    }
}

/// A reader's owned cell value as the normaliser sees it.
pub fn data_to_raw(d: &Data) -> Raw {
    match d {
        Data::Empty => Raw::Empty,
        Data::String(s) => Raw::Text(s.clone()),
        Data::Float(f) => Raw::Number(*f),
        Data::Int(i) => Raw::Int(*i),
        Data::Bool(b) => Raw::Bool(*b),
        Data::DateTime(dt) => date_time(dt),
        Data::DateTimeIso(s) => iso_date(s),
        Data::DurationIso(s) => Raw::Text(s.clone()),
        Data::Error(e) => Raw::Error(e.to_string()),
    }
}

/// A streaming reader's borrowed cell value as the normaliser sees it.
pub fn data_ref_to_raw(d: DataRef<'_>) -> Raw {
    match d {
        DataRef::Empty => Raw::Empty,
        DataRef::String(s) => Raw::Text(s),
        DataRef::SharedString(s) => Raw::Text(s.to_string()),
        DataRef::Float(f) => Raw::Number(f),
        DataRef::Int(i) => Raw::Int(i),
        DataRef::Bool(b) => Raw::Bool(b),
        DataRef::DateTime(dt) => date_time(&dt),
        DataRef::DateTimeIso(s) => iso_date(&s),
        DataRef::DurationIso(s) => Raw::Text(s),
        DataRef::Error(e) => Raw::Error(e.to_string()),
    }
}

fn date_time(dt: &calamine::ExcelDateTime) -> Raw {
    match dt.as_datetime() {
        Some(v) if dt.is_datetime() => Raw::Date(v),
        _ => Raw::Number(dt.as_f64()),
    }
}

fn iso_date(s: &str) -> Raw {
    chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S")
        .or_else(|_| {
            chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").map(|d| d.and_time(chrono::NaiveTime::MIN))
        })
        .map(Raw::Date)
        .unwrap_or_else(|_| Raw::Text(s.to_string()))
}

/// A fixed list of rows, for tests of the sheet parser.
#[cfg(test)]
pub struct VecRows(pub std::collections::VecDeque<SparseRow>);

#[cfg(test)]
impl RowSource for VecRows {
    fn next_row(&mut self) -> Result<Option<SparseRow>, ReadError> {
        Ok(self.0.pop_front())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cells(list: Vec<(u32, u32, Raw)>) -> impl FnMut() -> Result<Option<(u32, u32, Raw)>, ReaderError> {
        let mut it = list.into_iter();
        move || Ok(it.next())
    }

    #[test]
    fn a1_names_any_position_a_reader_reports() {
        assert_eq!(a1(0, 0), "A1");
        assert_eq!(a1(2, 25), "Z3");
        assert_eq!(a1(9, 26), "AA10");
        assert_eq!(a1(1_048_575, 16_383), "XFD1048576");
        assert_eq!(a1(u32::MAX, 0), "A4294967296");
    }

    #[test]
    fn far_corner_cell_is_one_more_sparse_row() {
        let mut budget = Budget::new(Limits::default());
        let mut rows = CellRows::new(
            cells(vec![
                (0, 0, Raw::Text("统一社会信用代码".into())),
                (0, 1, Raw::Empty),
                (1, 0, Raw::Text("x".into())),
                (1_048_575, 16_383, Raw::Number(1.0)),
            ]),
            &mut budget,
        );
        let mut got = Vec::new();
        while let Some(r) = rows.next_row().unwrap() {
            got.push((r.row, r.cells.len()));
        }
        assert_eq!(got, [(0, 1), (1, 1), (1_048_575, 1)]);
        assert_eq!(budget.cells, 3);
    }

    #[test]
    fn each_limit_names_itself_and_the_cell() {
        let limits = Limits {
            rows_per_sheet: 1,
            ..Limits::default()
        };
        let mut budget = Budget::new(limits);
        let mut rows = CellRows::new(cells(vec![(0, 0, Raw::Int(1)), (4, 2, Raw::Int(2))]), &mut budget);
        rows.next_row().unwrap();
        let err = rows.next_row().unwrap_err();
        assert!(err.to_string().contains("--max-rows-per-sheet"), "{err}");
        assert_eq!(err.cell(), "A5");

        let mut budget = Budget::new(Limits {
            cell_chars: 3,
            ..Limits::default()
        });
        let mut rows = CellRows::new(cells(vec![(0, 1, Raw::Text("四个字符".into()))]), &mut budget);
        let err = rows.next_row().unwrap_err();
        assert!(err.to_string().contains("--max-cell-chars"), "{err}");
        assert_eq!(err.cell(), "B1");

        // Three characters of three bytes each are within a 3-character limit.
        let mut budget = Budget::new(Limits {
            cell_chars: 3,
            ..Limits::default()
        });
        let mut rows = CellRows::new(cells(vec![(0, 1, Raw::Text("三个字".into()))]), &mut budget);
        assert!(rows.next_row().is_ok());

        let mut budget = Budget::new(Limits {
            cells_per_file: 2,
            ..Limits::default()
        });
        let mut rows = CellRows::new(
            cells(vec![
                (0, 0, Raw::Int(1)),
                (0, 1, Raw::Int(1)),
                (0, 2, Raw::Int(1)),
            ]),
            &mut budget,
        );
        let err = rows.next_row().unwrap_err();
        assert!(err.to_string().contains("--max-cells-per-file"), "{err}");
        assert!(err.is_limit());
    }

    #[test]
    fn cells_out_of_column_order_are_sorted_first_kept() {
        let mut budget = Budget::new(Limits::default());
        let mut rows = CellRows::new(
            cells(vec![
                (3, 2, Raw::Int(2)),
                (3, 0, Raw::Int(0)),
                (3, 2, Raw::Int(9)),
            ]),
            &mut budget,
        );
        let r = rows.next_row().unwrap().unwrap();
        assert_eq!(r.get(0), &Raw::Int(0));
        assert_eq!(r.get(2), &Raw::Int(2));
        assert_eq!(r.get(1), &Raw::Empty);
    }
}
