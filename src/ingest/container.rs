//! Container limits, checked before a reader library sees a file, in the
//! spirit of ClamAV's MaxFileSize / MaxScanSize: what a file would unpack
//! is read off its own directory (the zip central directory of `.xlsx`,
//! `.xlsm`, `.xlsb` and `.ods`; the compound-file directory of `.xls`) and
//! a file that would unpack to more than `--max-unpacked-bytes`, or holds
//! an entry inflating more than [`MAX_RATIO`]:1 beyond [`RATIO_FLOOR`], is
//! rejected unread. A directory that lies about a size is not caught here:
//! the worker's memory limit catches what it then costs.

use std::io::Cursor;

use super::error::FileError;
use super::extent;

/// Compression ratio above which an entry is a bomb, not a workbook.
pub const MAX_RATIO: u64 = 100;
/// Entries smaller than this unpacked are never judged by their ratio:
/// a few KB of repeated XML compress well.
pub const RATIO_FLOOR: u64 = 1 << 20;

/// `Err` with the reason when the file would unpack beyond the limits.
/// A container that cannot be read is left to the reader, whose error
/// says what is wrong with it.
pub fn check(ext: &str, bytes: &[u8], max_unpacked: u64) -> Result<(), FileError> {
    let entries = match ext {
        "xlsx" | "xlsm" | "xlsb" | "ods" => zip_entries(bytes),
        "xls" => {
            extent::compound_sizes(bytes).map(|s| s.into_iter().map(|(n, size)| (n, size, None)).collect())
        }
        _ => None,
    };
    let Some(entries) = entries else {
        return Ok(());
    };
    let total = entries
        .iter()
        .map(|(_, size, _)| *size)
        .fold(0u64, u64::saturating_add);
    if total > max_unpacked {
        return Err(FileError::UnpacksTooLarge {
            total,
            limit: max_unpacked,
        });
    }
    for (name, size, compressed) in &entries {
        let Some(compressed) = compressed else { continue };
        if *size > RATIO_FLOOR && *size > compressed.saturating_mul(MAX_RATIO) {
            let ratio = size / (*compressed).max(1);
            return Err(FileError::Bomb {
                entry: name.clone(),
                ratio,
                unpacked: *size,
                max_ratio: MAX_RATIO,
            });
        }
    }
    Ok(())
}

/// Every entry of a zip's central directory: name, size, compressed size.
fn zip_entries(bytes: &[u8]) -> Option<Vec<(String, u64, Option<u64>)>> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).ok()?;
    let mut out = Vec::with_capacity(zip.len());
    for i in 0..zip.len() {
        let entry = zip.by_index_raw(i).ok()?;
        let name = entry.name().map(|n| n.into_owned()).unwrap_or_default();
        out.push((name, entry.size(), Some(entry.compressed_size())));
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn zip_of(entries: &[(&str, Vec<u8>)]) -> Vec<u8> {
        let mut buf = Cursor::new(Vec::new());
        {
            let mut w = zip::ZipWriter::new(&mut buf);
            let opts =
                zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
            for (name, data) in entries {
                w.start_file(*name, opts).unwrap();
                w.write_all(data).unwrap();
            }
            w.finish().unwrap();
        }
        buf.into_inner()
    }

    #[test]
    fn a_zip_bomb_is_rejected_by_its_ratio_and_a_large_sum_by_the_cap() {
        let bomb = zip_of(&[("xl/worksheets/sheet1.xml", vec![b' '; 8 << 20])]);
        let err = check("xlsx", &bomb, 256 << 20).unwrap_err().to_string();
        assert!(
            err.contains("xl/worksheets/sheet1.xml") && err.contains("zip bomb"),
            "{err}"
        );
        // Below the ratio floor, repetitive XML is fine.
        let small = zip_of(&[("a.xml", vec![b' '; 512 << 10])]);
        assert!(check("xlsx", &small, 256 << 20).is_ok());
        // The same under a cap smaller than what it unpacks to.
        let err = check("ods", &small, 100 << 10).unwrap_err().to_string();
        assert!(err.contains("--max-unpacked-bytes"), "{err}");
    }

    #[test]
    fn what_is_not_a_zip_is_left_to_the_reader() {
        assert!(check("xlsx", b"not a zip", 1).is_ok());
        assert!(check("csv", b"a,b", 1).is_ok());
    }
}
