//! One bad entry must never stop the night: a tree with links, a pipe, an
//! undecodable name, empty, truncated and disguised files next to good ones
//! gives exit 0, the good files' figures, and every bad entry on record.

mod common;

use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use common::{write_sheet, Workspace, V::S};

/// Add the hostile entries to `companies`; return the names to look for in
/// rejects.csv (as the run writes them).
fn add_hostile_entries(companies: &Path, good: &Path) -> Vec<String> {
    std::os::unix::fs::symlink("..", companies.join("loop")).unwrap();
    std::os::unix::fs::symlink("/etc", companies.join("out")).unwrap();
    std::os::unix::fs::symlink(good, companies.join("9001_link.xlsx")).unwrap();
    let fifo = companies.join("9002_pipe.xlsx");
    assert!(std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    std::fs::write(
        companies.join(std::ffi::OsStr::from_bytes(b"9003_\xff.xlsx")),
        b"x",
    )
    .unwrap();
    std::fs::write(companies.join("9004_empty.xlsx"), b"").unwrap();
    let bytes = std::fs::read(good).unwrap();
    std::fs::write(companies.join("9005_truncated.xlsx"), &bytes[..bytes.len() / 2]).unwrap();
    std::fs::write(
        companies.join("9006_page.xls"),
        b"<html><body><table><tr><td>91310115F0WTCDKQQD</td></tr></table></body></html>",
    )
    .unwrap();
    std::fs::write(
        companies.join("9007_export.xlsx"),
        "统一社会信用代码,企业名称\n91310115F0WTCDKQQD,甲\n",
    )
    .unwrap();
    header_below_row_30(&companies.join("9008_deep_header.xlsx"));
    long_text_workbook(&companies.join("9009_long_name.xlsx"));
    std::fs::copy(
        hostile_made().join("encrypted.xlsx"),
        companies.join("9010_password.xlsx"),
    )
    .unwrap();
    let committees = companies.parent().unwrap().join("committees");
    unknown_committee(&committees.join("98_不存在专委会.xlsx"));
    [
        "loop",
        "out",
        "9001_link.xlsx",
        "9002_pipe.xlsx",
        "9003_\u{FFFD}.xlsx",
        "9004_empty.xlsx",
        "9005_truncated.xlsx",
        "9006_page.xls",
        "9007_export.xlsx",
        "9008_deep_header.xlsx",
        "9009_long_name.xlsx",
        "9010_password.xlsx",
        "98_不存在专委会.xlsx",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// The fixtures only node's SheetJS writes (an encrypted workbook among
/// them), made once per test process.
fn hostile_made() -> std::path::PathBuf {
    static DIR: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    let dir = DIR.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        common::hostile_files(dir.path());
        dir
    });
    dir.path().to_path_buf()
}

/// A 年度数据 sheet whose header is on row 35 (the contract looks in 1–30).
fn header_below_row_30(path: &Path) {
    write_sheet(
        path,
        "年度数据",
        &[
            (0, 0, S("说明见下")),
            (34, 0, S("统一社会信用代码")),
            (34, 1, S("企业名称")),
            (35, 0, S("91310115F0WTCDKQQD")),
            (35, 1, S("甲")),
        ],
    );
}

/// A committee workbook naming a committee that is not one of the fifteen.
fn unknown_committee(path: &Path) {
    write_sheet(
        path,
        "活动",
        &[
            (0, 0, S("填报单位：不存在专委会")),
            (1, 0, S("活动名称")),
            (1, 1, S("活动日期")),
            (2, 0, S("年会")),
            (2, 1, S("2024-05-01")),
        ],
    );
}

#[test]
fn hostile_entries_beside_good_files_leave_the_figures_and_are_all_on_record() {
    let ws = common::small_tree("30", "9");
    let clean = ws.run_year(2024);

    let companies = ws.inputs().join("2024/companies");
    let good = std::fs::read_dir(&companies)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "xlsx"))
        .unwrap();
    let names = add_hostile_entries(&companies, &good);

    let out = common::command_for(&ws.inputs(), &ws.outputs(), &ws.db())
        .args(["run", "--year", "2024"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let headline = std::fs::read_to_string(ws.outputs().join("2024/headline.csv")).unwrap();
    assert_eq!(headline, clean, "the good files' figures must not move");

    let rejects = std::fs::read_to_string(ws.outputs().join("2024/rejects.csv")).unwrap();
    for name in &names {
        assert!(
            rejects.contains(name.as_str()),
            "{name} is not in rejects.csv:\n{rejects}"
        );
    }
    // The manifest lists every entry; a pipe or link is never read.
    let manifest = std::fs::read_to_string(ws.outputs().join("2024/manifest.json")).unwrap();
    assert!(manifest.contains("9002_pipe.xlsx"));
    // `check` on the same tree also finishes (exit 1: there are problems).
    let check = common::command_for(&ws.inputs(), &ws.outputs(), &ws.db())
        .args(["check", "--format", "csv"])
        .output()
        .unwrap();
    assert_eq!(
        check.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
}

/// A company workbook whose one data row has a 32,767-character name and a
/// bad credit code (so the row, and its long text, is in the report).
fn long_text_workbook(path: &Path) {
    let name = "名".repeat(32_767);
    write_sheet(
        path,
        "年度数据",
        &[
            (0, 0, S("统一社会信用代码")),
            (0, 1, S("企业名称")),
            (1, 0, S("91310115F0WTCDKQQX")),
            (1, 1, S(&name)),
        ],
    );
}

#[test]
fn check_annotate_writes_only_inside_its_folder_and_never_over_a_submission() {
    let ws = Workspace::new();
    let sub = ws.dir.path().join("submitted");
    std::fs::create_dir_all(&sub).unwrap();
    let file = sub.join("0001_长名.xlsx");
    long_text_workbook(&file);
    let original = std::fs::read(&file).unwrap();

    // An absolute input path: the copy goes under notes/, the input stays.
    let notes = ws.dir.path().join("notes");
    let abs = file.canonicalize().unwrap();
    let out = ws
        .cmd(&[
            "check",
            abs.to_str().unwrap(),
            "--annotate",
            notes.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        std::fs::read(&file).unwrap(),
        original,
        "the submitted file was changed"
    );
    let copy = notes.join(abs.strip_prefix("/").unwrap());
    assert!(copy.is_file(), "no copy at {}", copy.display());

    // `..` in the path does not climb out of the folder.
    let dotted = format!("{}/../submitted/0001_长名.xlsx", sub.display());
    let out = ws
        .cmd(&["check", &dotted, "--annotate", notes.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(std::fs::read(&file).unwrap(), original);

    // A folder whose copy would land on the input itself: refused, exit 2.
    let out = ws
        .cmd(&["check", "0001_长名.xlsx", "--annotate", "."])
        .current_dir(&sub)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(std::fs::read(&file).unwrap(), original);
}

/// Every reason is one Chinese sentence, ` / `, one English sentence: no
/// English prose in the Chinese half, and the column named once.
fn assert_reasons_are_bilingual(db: &Path) {
    let conn = duckdb::Connection::open(db).unwrap();
    let mut stmt = conn.prepare("SELECT DISTINCT reason FROM problems").unwrap();
    let reasons: Vec<String> = stmt
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert!(!reasons.is_empty());
    const ENGLISH: [&str; 12] = [
        "cannot",
        "missing",
        "sheet",
        "workbook",
        "an Excel",
        " or a ",
        "note above",
        " rows x ",
        "expected",
        "found",
        "damaged",
        "not a ",
    ];
    for reason in &reasons {
        // ` / `, or `）/ ` after a closing full-width bracket.
        let at = [" / ", "）/ "]
            .iter()
            .filter_map(|sep| reason.find(sep).map(|i| i + sep.len() - 2))
            .min()
            .unwrap_or_else(|| panic!("no ' / ' between the languages: {reason}"));
        let (zh, en) = (&reason[..at], &reason[at + 2..]);
        assert!(!en.trim().is_empty(), "no English half: {reason}");
        for word in ENGLISH {
            assert!(
                !zh.contains(word),
                "English '{word}' in the Chinese half: {reason}"
            );
        }
        assert!(
            zh.matches("统一社会信用代码").count() <= 1,
            "the column named twice: {reason}"
        );
    }
}

#[test]
fn reasons_of_every_trap_are_one_chinese_and_one_english_sentence() {
    let ws = Workspace::new();
    ws.generate(&[
        "--members",
        "60",
        "--years",
        "2024",
        "--seed",
        "21",
        "--traps",
        "0.3",
    ]);
    let companies = ws.inputs().join("2024/companies");
    let good = std::fs::read_dir(&companies)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "xlsx"))
        .unwrap();
    add_hostile_entries(&companies, &good);
    ws.cmd(&["run", "--year", "2024"]).assert().success();
    assert_reasons_are_bilingual(&ws.db());

    let samples = Workspace::new();
    common::copy_dir(&common::samples().join("inputs"), &samples.inputs());
    samples.run_year(2023);
    assert_reasons_are_bilingual(&samples.db());
}

/// A company workbook whose one row is rejected, with formula-looking text.
fn formula_text_workbook(path: &Path) {
    write_sheet(
        path,
        "年度数据",
        &[
            (0, 0, S("统一社会信用代码")),
            (0, 1, S("企业名称")),
            (1, 0, S("=HYPERLINK(\"http://x\",\"点我\")")),
            (1, 1, S("@SUM(A1)")),
        ],
    );
}

#[test]
fn hostile_names_and_formula_text_are_quoted_and_neutralised_everywhere() {
    let ws = common::small_tree("20", "4");
    let companies = ws.inputs().join("2024/companies");
    let names = ["9101_a,b.xlsx", "9102_\"q\".xlsx", "9103_new\nline.xlsx"];
    for n in names {
        formula_text_workbook(&companies.join(n));
    }
    ws.cmd(&["run", "--year", "2024"]).assert().success();

    // rejects.csv: each name comes back exactly from a CSV reader, and no
    // field that came from a submission starts a formula.
    let rejects = std::fs::read(ws.outputs().join("2024/rejects.csv")).unwrap();
    let mut reader = csv::ReaderBuilder::new().from_reader(rejects.as_slice());
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    for n in names {
        let path = format!("2024/companies/{n}");
        assert!(
            rows.iter().any(|r| r.iter().any(|f| f == path)),
            "{n:?} not in rejects.csv"
        );
    }
    for r in &rows {
        for f in r.iter() {
            assert!(!f.starts_with(['=', '@']), "formula in rejects.csv: {f}");
        }
    }
    assert!(rows
        .iter()
        .any(|r| r.iter().any(|f| f.starts_with("'=HYPERLINK"))));

    // manifest.json: the names as JSON strings.
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(ws.outputs().join("2024/manifest.json")).unwrap()).unwrap();
    let paths: Vec<&str> = manifest["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    for n in names {
        assert!(
            paths.contains(&format!("2024/companies/{n}").as_str()),
            "{n:?} not in manifest.json"
        );
    }

    // check --format csv: the same names, read back by a CSV reader, and
    // the formula text neutralised.
    let out = ws.cmd(&["check", "--format", "csv"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let mut reader = csv::ReaderBuilder::new().from_reader(out.stdout.as_slice());
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    for n in names {
        assert!(
            rows.iter().any(|r| r.get(1).is_some_and(|p| p.ends_with(n))),
            "{n:?} not in check's CSV"
        );
    }
    for r in &rows {
        for f in r.iter() {
            assert!(!f.starts_with(['=', '@']), "formula in check's CSV: {f}");
        }
    }
}
