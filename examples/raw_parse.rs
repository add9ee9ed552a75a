//! The benchmark's yardstick: read every cell of every workbook under a
//! folder with calamine alone, in parallel as `run` does, with no
//! normalisation and no warehouse. `.xlsx`/`.xlsm`/`.xlsb` go through
//! calamine's streaming cell readers (its fastest path, and the one that
//! survives a stray far-corner cell); `.xls`/`.ods` through their ranges.
//!
//!   cargo run --release --example raw_parse -- DIR

use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::time::Instant;

use calamine::{open_workbook_from_rs, Data, DataType, Ods, Reader, Xls, Xlsb, Xlsx};
use rayon::prelude::*;

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("a readable folder").flatten() {
        let path = entry.path();
        if path.is_dir() {
            walk(&path, out);
        } else if ext(&path).is_some() {
            out.push(path);
        }
    }
}

fn ext(path: &Path) -> Option<&'static str> {
    let e = path.extension()?.to_str()?.to_ascii_lowercase();
    ["xlsx", "xlsm", "xls", "xlsb", "ods"]
        .into_iter()
        .find(|x| *x == e)
}

/// Cells with a value in one file (0 when calamine cannot read it).
fn cells(path: &Path) -> usize {
    let Ok(bytes) = std::fs::read(path) else {
        return 0;
    };
    let cursor = Cursor::new(bytes.as_slice());
    macro_rules! stream {
        ($ty:ty) => {{
            let Ok(mut wb) = open_workbook_from_rs::<$ty, _>(cursor) else {
                return 0;
            };
            let mut n = 0;
            for name in wb.sheet_names() {
                let Ok(mut reader) = wb.worksheet_cells_reader(&name) else {
                    continue;
                };
                while let Ok(Some(cell)) = reader.next_cell() {
                    n += usize::from(!cell.get_value().is_empty());
                }
            }
            n
        }};
    }
    macro_rules! dense {
        ($ty:ty) => {{
            let Ok(mut wb) = open_workbook_from_rs::<$ty, _>(cursor) else {
                return 0;
            };
            wb.sheet_names()
                .iter()
                .filter_map(|n| wb.worksheet_range(n).ok())
                .map(|r| {
                    r.used_cells()
                        .filter(|(_, _, d)| !matches!(d, Data::Empty))
                        .count()
                })
                .sum()
        }};
    }
    match ext(path) {
        Some("xlsx" | "xlsm") => stream!(Xlsx<_>),
        Some("xlsb") => stream!(Xlsb<_>),
        Some("xls") => dense!(Xls<_>),
        Some("ods") => dense!(Ods<_>),
        _ => 0,
    }
}

fn main() {
    let dir = std::env::args().nth(1).expect("usage: raw_parse DIR");
    let mut files = Vec::new();
    walk(Path::new(&dir), &mut files);
    let started = Instant::now();
    let total: usize = files.par_iter().map(|f| cells(f)).sum();
    println!(
        "{} files, {} cells read by calamine in {:.3} s",
        files.len(),
        total,
        started.elapsed().as_secs_f64()
    );
}
