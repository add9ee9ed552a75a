//! No file can take the night down: readers run in worker processes under
//! memory and time limits, containers are measured before a reader sees
//! them, and a warehouse that cannot be opened is set aside and rebuilt.
//! Every test drives the real binary on a small generated tree.

mod common;

use std::io::Write;
use std::path::Path;

use common::Workspace;

/// A minimal `.xlsx` (content types, workbook, one sheet, its rels) whose
/// `xl/sharedStrings.xml` is `sst`, with `sheet` as the sheet's XML, every
/// part deflated by the zip crate.
fn xlsx_with(path: &Path, sst: &str, sheet: &[u8]) {
    let file = std::fs::File::create(path).unwrap();
    let mut zip = zip::ZipWriter::new(file);
    let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    let parts: [(&str, &[u8]); 6] = [
        (
            "[Content_Types].xml",
            br#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>"#,
        ),
        (
            "_rels/.rels",
            br#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#,
        ),
        (
            "xl/workbook.xml",
            r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="年度数据" sheetId="1" r:id="rId1"/></sheets></workbook>"#.as_bytes(),
        ),
        (
            "xl/_rels/workbook.xml.rels",
            br#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>"#,
        ),
        ("xl/sharedStrings.xml", sst.as_bytes()),
        ("xl/worksheets/sheet1.xml", sheet),
    ];
    for (name, data) in parts {
        zip.start_file(name, opts).unwrap();
        zip.write_all(data).unwrap();
    }
    zip.finish().unwrap();
}

const SHEET: &str = r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row></sheetData></worksheet>"#;

/// The 4 KB workbook of the issue: it declares 10^11 shared strings and
/// holds one. A reader that reserves room for the declared count asks for
/// terabytes.
fn absurd_shared_strings(path: &Path) {
    let sst = r#"<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="100000000000" uniqueCount="100000000000"><si><t>统一社会信用代码</t></si></sst>"#;
    xlsx_with(path, sst, SHEET.as_bytes());
    assert!(std::fs::metadata(path).unwrap().len() < 8 * 1024);
}

/// A sheet of 64 MB of white space between two rows: deflated to well
/// under 1 MB, over 100:1.
fn zip_bomb(path: &Path) {
    let mut sheet = Vec::from(&SHEET.as_bytes()[..SHEET.find("</sheetData>").unwrap()]);
    sheet.extend(std::iter::repeat_n(b' ', 64 << 20));
    sheet.extend_from_slice(b"</sheetData></worksheet>");
    let sst = r#"<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1"><si><t>x</t></si></sst>"#;
    xlsx_with(path, sst, &sheet);
    assert!(std::fs::metadata(path).unwrap().len() < 1 << 20);
}

fn rejects(ws: &Workspace) -> String {
    std::fs::read_to_string(ws.outputs().join("2024/rejects.csv")).unwrap()
}

/// The line of rejects.csv about `name`.
fn reason_of(ws: &Workspace, name: &str) -> String {
    let all = rejects(ws);
    all.lines()
        .filter(|l| l.contains(name))
        .collect::<Vec<_>>()
        .join("\n")
}

/// `run --year 2024` with global flags `extra` and `run`'s own `flags`.
fn run_with(ws: &Workspace, extra: &[&str], flags: &[&str]) -> std::process::Output {
    let mut cmd = common::command_for(&ws.inputs(), &ws.outputs(), &ws.db());
    cmd.args(extra).args(["run", "--year", "2024"]).args(flags);
    cmd.output().unwrap()
}

fn run(ws: &Workspace, extra: &[&str]) -> std::process::Output {
    run_with(ws, extra, &[])
}

fn assert_ran(out: &std::process::Output) {
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn headline(ws: &Workspace) -> String {
    std::fs::read_to_string(ws.outputs().join("2024/headline.csv")).unwrap()
}

#[test]
fn a_workbook_declaring_a_trillion_shared_strings_costs_that_file_only() {
    let ws = common::small_tree("20", "31");
    let clean = ws.run_year(2024);
    absurd_shared_strings(&ws.inputs().join("2024/companies/9001_absurd.xlsx"));
    let out = run(&ws, &[]);
    assert_ran(&out);
    assert_eq!(headline(&ws), clean);
    let line = reason_of(&ws, "9001_absurd.xlsx");
    assert!(
        line.contains("超出内存上限") && line.contains("memory limit"),
        "{line}"
    );
}

#[test]
fn a_zip_bomb_is_rejected_before_it_is_read() {
    let ws = common::small_tree("20", "32");
    let clean = ws.run_year(2024);
    zip_bomb(&ws.inputs().join("2024/companies/9002_bomb.xlsx"));
    let out = run(&ws, &[]);
    assert_ran(&out);
    assert_eq!(headline(&ws), clean);
    let line = reason_of(&ws, "9002_bomb.xlsx");
    assert!(
        line.contains("zip bomb") && line.contains("xl/worksheets/sheet1.xml"),
        "{line}"
    );
    // Under a cap below what it unpacks to, the cap names itself.
    let out = run_with(&ws, &["--max-unpacked-bytes", "1MiB"], &["--full"]);
    assert_ran(&out);
    assert!(reason_of(&ws, "9002_bomb.xlsx").contains("--max-unpacked-bytes"));
}

/// The name of one company workbook of the tree, and the headline of the
/// same tree without it.
fn victim(ws: &Workspace) -> (String, String) {
    let companies = ws.inputs().join("2024/companies");
    let mut files: Vec<_> = std::fs::read_dir(&companies)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "xlsx"))
        .collect();
    files.sort();
    let file = files[files.len() / 2].clone();
    let name = file.file_name().unwrap().to_string_lossy().into_owned();
    let aside = ws.dir.path().join("aside.xlsx");
    std::fs::rename(&file, &aside).unwrap();
    let without = ws.run_year(2024);
    std::fs::rename(&aside, &file).unwrap();
    (name, without)
}

#[test]
fn a_reader_that_aborts_or_is_killed_costs_exactly_the_file_it_was_reading() {
    let ws = common::small_tree("30", "33");
    let (name, without) = victim(&ws);
    for (fault, words) in [("abort", "SIGABRT"), ("kill", "SIGKILL")] {
        let mut cmd = common::command_for(&ws.inputs(), &ws.outputs(), &ws.db());
        cmd.env("CHAMBERSTAT_TEST_READER_FAULT", format!("{fault}:{name}"))
            .args(["run", "--full", "--year", "2024"]);
        let out = cmd.output().unwrap();
        assert_ran(&out);
        assert_eq!(headline(&ws), without, "{fault}");
        let line = reason_of(&ws, &name);
        assert!(
            line.contains("读取时程序异常退出") && line.contains(words),
            "{fault}: {line}"
        );
        // The file is on record as read and rejected, with its hash.
        let accepted = ws.query_string(&format!(
            "SELECT CAST(accepted AS VARCHAR) || ':' || length(sha256) FROM input_files WHERE path LIKE '%{name}'"
        ));
        assert_eq!(accepted, "false:64");
    }
}

#[test]
fn a_reader_over_its_time_is_stopped_and_the_run_goes_on() {
    let ws = common::small_tree("30", "34");
    let (name, without) = victim(&ws);
    let started = std::time::Instant::now();
    let mut cmd = common::command_for(&ws.inputs(), &ws.outputs(), &ws.db());
    cmd.env("CHAMBERSTAT_TEST_READER_FAULT", format!("sleep:{name}"))
        .args(["--max-file-seconds", "2", "run", "--full", "--year", "2024"]);
    let out = cmd.output().unwrap();
    assert_ran(&out);
    assert!(started.elapsed() < std::time::Duration::from_secs(60));
    assert_eq!(headline(&ws), without);
    let line = reason_of(&ws, &name);
    assert!(
        line.contains("读取超时") && line.contains("--max-file-seconds"),
        "{line}"
    );
}

#[test]
fn in_process_reading_gives_the_same_outputs_as_workers() {
    let ws = common::small_tree("25", "35");
    ws.run_year(2024);
    let workers = common::files_of(&ws.outputs().join("2024"));
    let out = run_with(&ws, &["--in-process"], &["--full"]);
    assert_ran(&out);
    let in_process = common::files_of(&ws.outputs().join("2024"));
    assert_eq!(workers.len(), in_process.len());
    for ((a, x), (b, y)) in workers.iter().zip(&in_process) {
        assert_eq!(a, b);
        assert!(x == y, "{a} differs between workers and --in-process");
    }
}

#[test]
fn a_damaged_warehouse_is_set_aside_and_rebuilt() {
    let ws = common::small_tree("20", "36");
    let clean = ws.run_year(2024);
    // Truncated, as by a full disk during a copy.
    let len = std::fs::metadata(ws.db()).unwrap().len();
    let f = std::fs::OpenOptions::new().write(true).open(ws.db()).unwrap();
    f.set_len(len / 3).unwrap();
    drop(f);
    // The read-only commands say what happened and what to run.
    for args in [&["explain", "jobs_total"][..], &["check", "--status"]] {
        let out = ws.cmd(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("cannot be opened") && err.contains("chamberstat run"),
            "{err}"
        );
    }
    let out = run(&ws, &[]);
    assert_ran(&out);
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(log.contains("rebuilt from the inputs"), "{log}");
    assert_eq!(headline(&ws), clean);
    let aside: Vec<_> = std::fs::read_dir(ws.outputs())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("warehouse.duckdb.damaged-"))
        .collect();
    assert_eq!(aside.len(), 1, "{aside:?}");
    ws.cmd(&["explain", "jobs_total"]).assert().success();
}

#[test]
fn a_path_too_long_to_open_is_a_problem_on_record() {
    let ws = common::small_tree("10", "37");
    // Folders of 198 bytes each, made one level at a time (no single path
    // to the deepest can be opened): 20 deep, a file whose own path passes
    // PATH_MAX (4096) though its folder can be listed; 2 deeper, a folder
    // that cannot be listed at all.
    let part = "长".repeat(66);
    let name = format!("{}.xlsx", "文".repeat(50));
    let script = format!(
        "for i in $(seq 20); do mkdir '{part}' && cd '{part}' || exit 1; done; printf x > '{name}'; \
         for i in 1 2; do mkdir '{part}' && cd '{part}' || exit 1; done; printf x > 9003_deep.xlsx"
    );
    let made = std::process::Command::new("bash")
        .arg("-c")
        .arg(&script)
        .current_dir(ws.inputs().join("2024/companies"))
        .status()
        .unwrap();
    assert!(made.success(), "could not make the deep files");
    let out = run(&ws, &[]);
    assert_ran(&out);
    let all = rejects(&ws);
    let file = all.lines().find(|l| l.contains(&name)).unwrap_or_default();
    assert!(
        file.contains("File name too long"),
        "the long path is not in rejects.csv:\n{all}"
    );
    let folder = all
        .lines()
        .find(|l| l.contains(&part) && !l.contains(&name))
        .unwrap_or_default();
    assert!(
        folder.contains("File name too long"),
        "the deep folder is not in rejects.csv:\n{all}"
    );
}
