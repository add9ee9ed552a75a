//! Byte-mutation: every workbook of the demo inputs and the shared samples,
//! truncated and with bytes flipped at seeded positions (a few thousand
//! variants). Reading a variant must give records or a file-level problem:
//! never a panic that escapes, never an abort, never more than 2 s.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chamberstat::contract::schema::FolderKind;
use chamberstat::ingest::{parse_file_collected, Disposition, InputFile, Limits};

fn workbooks(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            workbooks(&p, out);
        } else if p
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| matches!(e, "xlsx" | "xls" | "xlsb" | "ods"))
            && !p.file_name().unwrap().to_string_lossy().starts_with("~$")
        {
            out.push(p);
        }
    }
}

/// splitmix64: a small seeded stream, so every run mutates the same bytes.
struct Seeded(u64);

impl Seeded {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// The variants of one file: truncations and bit flips.
fn variants(bytes: &[u8], rng: &mut Seeded, n: usize) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for i in 0..n {
        let mut v = bytes.to_vec();
        match i % 3 {
            0 => v.truncate(rng.below(bytes.len())),
            1 => {
                for _ in 0..1 + rng.below(8) {
                    let at = rng.below(v.len());
                    v[at] ^= 1 << rng.below(8);
                }
            }
            _ => {
                // A run of garbage: lengths and offsets in headers break.
                let at = rng.below(v.len());
                for b in v.iter_mut().skip(at).take(16) {
                    *b = rng.next() as u8;
                }
            }
        }
        out.push(v);
    }
    out
}

#[test]
fn mutated_workbooks_are_read_or_rejected_never_crash_or_hang() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    workbooks(&root.join("inputs"), &mut files);
    workbooks(&root.join("tests/fixtures/samples/inputs"), &mut files);
    files.sort();
    assert!(files.len() > 100, "found only {} workbooks", files.len());
    let per_file = (5_000 / files.len()).max(3);
    let dir = tempfile::tempdir().unwrap();
    let mut rng = Seeded(2024);
    let (mut variants_read, mut rejected, mut slowest) = (0, 0, Duration::ZERO);
    for (i, file) in files.iter().enumerate() {
        let bytes = std::fs::read(file).unwrap();
        if bytes.is_empty() {
            continue; // the demo's empty-file trap: nothing to mutate
        }
        let ext = file.extension().unwrap().to_str().unwrap();
        for (j, v) in variants(&bytes, &mut rng, per_file).into_iter().enumerate() {
            let path = dir.path().join(format!("{i}_{j}.{ext}"));
            std::fs::write(&path, &v).unwrap();
            let input = InputFile {
                abs: path.clone(),
                rel: format!("2024/companies/{i}_{j}.{ext}"),
                folder: FolderKind::Companies,
                year: Some(2024),
                stat: None,
                folder_from_sheets: false,
            };
            let started = Instant::now();
            let result = parse_file_collected(&input, Limits::default());
            let took = started.elapsed();
            slowest = slowest.max(took);
            assert!(
                took < Duration::from_secs(2),
                "{} variant {j} took {took:?}",
                file.display()
            );
            if !result.summary.accepted {
                rejected += 1;
                assert!(
                    result
                        .problems
                        .iter()
                        .any(|p| p.level == Disposition::RejectedFile),
                    "{} variant {j}: rejected without a file-level reason",
                    file.display()
                );
                assert!(result.records.is_empty());
            }
            variants_read += 1;
            std::fs::remove_file(&path).unwrap();
        }
    }
    eprintln!(
        "{variants_read} variants of {} workbooks, {rejected} rejected, slowest {slowest:?}",
        files.len()
    );
    assert!(variants_read >= 4_000);
}
