//! The benchmark's yardstick: read every workbook under a folder with
//! calamine alone (open, every sheet's range), in parallel as `run` does,
//! with no normalisation and no warehouse.
//!
//!   cargo run --release --example raw_parse -- DIR

use std::path::{Path, PathBuf};
use std::time::Instant;

use calamine::{open_workbook_auto, Reader};
use rayon::prelude::*;

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("a readable folder").flatten() {
        let path = entry.path();
        if path.is_dir() {
            walk(&path, out);
        } else if path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| matches!(e, "xlsx" | "xlsm" | "xls" | "xlsb" | "ods"))
        {
            out.push(path);
        }
    }
}

fn main() {
    let dir = std::env::args().nth(1).expect("usage: raw_parse DIR");
    let mut files = Vec::new();
    walk(Path::new(&dir), &mut files);
    let started = Instant::now();
    let cells: usize = files
        .par_iter()
        .map(|f| {
            let Ok(mut wb) = open_workbook_auto(f) else {
                return 0;
            };
            wb.sheet_names()
                .iter()
                .filter_map(|n| wb.worksheet_range(n).ok())
                .map(|r| r.used_cells().count())
                .sum::<usize>()
        })
        .sum();
    println!(
        "{} files, {} cells read by calamine in {:.3} s",
        files.len(),
        cells,
        started.elapsed().as_secs_f64()
    );
}
