//! Helpers shared by the integration tests: the real binary, temporary
//! copies of input trees, and the shared samples when they are present.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use assert_cmd::Command;

/// The `chamberstat` binary under test.
pub fn bin() -> Command {
    Command::cargo_bin("chamberstat").expect("binary built")
}

/// The shared samples (inputs written by other tools, with their expected
/// headlines), copied into the repository from `../shared/samples` so the
/// tests that use them run on every clone. Always `Some`; a missing copy
/// fails the test instead of skipping it.
pub fn samples() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/samples");
    assert!(
        dir.join("inputs").is_dir() && dir.join("expected").is_dir(),
        "tests/fixtures/samples is missing: copy ../shared/samples there"
    );
    dir
}

pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// The binary with explicit inputs, outputs, warehouse and the project's
/// queries, as a plain std command (spawnable, killable).
pub fn command_for(inputs: &Path, outputs: &Path, db: &Path) -> std::process::Command {
    let mut c = std::process::Command::new(assert_cmd::cargo::cargo_bin("chamberstat"));
    c.arg("--inputs")
        .arg(inputs)
        .arg("--outputs")
        .arg(outputs)
        .arg("--db")
        .arg(db);
    // No --queries: the tests run the queries compiled into the binary, as
    // an installed binary does.
    c
}

/// Every file below a folder with its bytes, by its path in the folder
/// (`headline.csv`, `materials/x.docx`).
pub fn files_of(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = walk(dir)
        .into_iter()
        .map(|p| {
            let name = p.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
            let bytes = std::fs::read(&p).unwrap();
            (name, bytes)
        })
        .collect();
    files.sort();
    files
}

/// A scratch workspace: `inputs/` (copied or generated), `outputs/`, and a
/// warehouse inside outputs.
pub struct Workspace {
    pub dir: tempfile::TempDir,
}

impl Workspace {
    pub fn new() -> Self {
        Workspace {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    pub fn inputs(&self) -> PathBuf {
        self.dir.path().join("inputs")
    }

    /// The generator's known answer (headline-<year>.csv, generate.json).
    pub fn answer(&self) -> PathBuf {
        self.dir.path().join("expected")
    }

    pub fn outputs(&self) -> PathBuf {
        self.dir.path().join("outputs")
    }

    pub fn db(&self) -> PathBuf {
        self.outputs().join("warehouse.duckdb")
    }

    /// `chamberstat <args>` with this workspace's folders and the embedded
    /// queries.
    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::from_std(command_for(&self.inputs(), &self.outputs(), &self.db()));
        c.args(args);
        c
    }

    /// Run `args` (expecting exit `code`, if given) and parse stdout as JSON.
    pub fn json(&self, args: &[&str], code: Option<i32>) -> serde_json::Value {
        let mut assert = self.cmd(args).assert();
        if let Some(code) = code {
            assert = assert.code(code);
        }
        serde_json::from_slice(&assert.get_output().stdout).expect("JSON on stdout")
    }

    /// Run `args`, expecting success, and return stderr (the logs).
    pub fn stderr(&self, args: &[&str]) -> String {
        let out = self.cmd(args).assert().success().get_output().stderr.clone();
        String::from_utf8(out).unwrap()
    }

    /// Run the pipeline for `year` and return headline.csv.
    pub fn run_year(&self, year: i32) -> String {
        self.cmd(&["run", "--year", &year.to_string()]).assert().success();
        std::fs::read_to_string(self.outputs().join(year.to_string()).join("headline.csv")).unwrap()
    }

    /// Generate an inputs tree with the given arguments.
    pub fn generate(&self, args: &[&str]) {
        bin()
            .arg("generate")
            .arg("--out")
            .arg(self.inputs())
            .arg("--answer")
            .arg(self.answer())
            .args(args)
            .assert()
            .success();
    }

    pub fn query_string(&self, sql: &str) -> String {
        let conn = duckdb::Connection::open(self.db()).unwrap();
        conn.query_row(sql, [], |r| r.get(0)).unwrap()
    }

    pub fn query_i64(&self, sql: &str) -> i64 {
        let conn = duckdb::Connection::open(self.db()).unwrap();
        conn.query_row(sql, [], |r| r.get(0)).unwrap()
    }
}

/// The npm package SheetJS (xlsx@0.18.5), installed on first use under
/// ~/.cache/chamberstat-node (or `CHAMBERSTAT_NODE_MODULES`).
pub fn sheetjs() -> String {
    if let Ok(dir) = std::env::var("CHAMBERSTAT_NODE_MODULES") {
        return dir;
    }
    let prefix = format!(
        "{}/.cache/chamberstat-node",
        std::env::var("HOME").unwrap_or_default()
    );
    let modules = format!("{prefix}/node_modules");
    if !Path::new(&modules).join("xlsx/package.json").is_file() {
        let out = std::process::Command::new("npm")
            .args([
                "install",
                "--no-audit",
                "--no-fund",
                "--prefix",
                &prefix,
                "xlsx@0.18.5",
            ])
            .output()
            .expect("npm must be installed to write the .xlsb/.xls/.ods fixtures");
        assert!(
            out.status.success(),
            "npm install xlsx@0.18.5 failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    modules
}

/// `.xlsb`, `.xls` and `.ods` files with a stray far-corner value, written
/// by `tests/tools/hostile.js` with SheetJS under node.
pub fn hostile_files(dir: &Path) -> Vec<PathBuf> {
    let modules = sheetjs();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tools/hostile.js");
    let out = std::process::Command::new("node")
        .arg(&script)
        .arg(dir)
        .env("NODE_PATH", &modules)
        .output()
        .expect("node must be installed to write the .xlsb/.xls/.ods fixtures (see .ci/run)");
    assert!(
        out.status.success(),
        "tests/tools/hostile.js failed (xlsx@0.18.5 under {modules}): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    ["stray.xlsb", "stray.xls", "stray.ods"]
        .iter()
        .map(|n| dir.join(n))
        .collect()
}

/// A value of [`write_sheet`]: text or a number.
pub enum V<'a> {
    S(&'a str),
    N(f64),
}

/// A one-sheet workbook with the given cells (0-based row, column, value),
/// written by rust_xlsxwriter.
pub fn write_sheet(path: &Path, sheet: &str, cells: &[(u32, u16, V<'_>)]) {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name(sheet).unwrap();
    for (r, c, v) in cells {
        match v {
            V::S(s) => ws.write_string(*r, *c, *s).unwrap(),
            V::N(n) => ws.write_number(*r, *c, *n).unwrap(),
        };
    }
    wb.save(path).unwrap();
}

/// A tree of `members` registry entries for 2024 with no traps.
pub fn small_tree(members: &str, seed: &str) -> Workspace {
    let ws = Workspace::new();
    ws.generate(&[
        "--members",
        members,
        "--years",
        "2024",
        "--seed",
        seed,
        "--traps",
        "0",
    ]);
    ws
}

/// Every file below `dir`, sorted.
pub fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out.sort();
    out
}

/// Set the modification time of `path` to `secs_ago` seconds ago.
pub fn set_age(path: &Path, secs_ago: u64) {
    std::fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(std::time::SystemTime::now() - std::time::Duration::from_secs(secs_ago))
        .unwrap();
}

/// Age every file below `dir` by a minute: a file written less than two
/// seconds before a run has no trusted time (git's racily clean entries),
/// so it is hashed again by the next run and leaves no up-to-date record.
pub fn age_tree(dir: &Path) {
    for entry in walk(dir) {
        set_age(&entry, 60);
    }
}

/// 120 members over 2023–2024 with traps (rejected rows, superseded files,
/// non-members, repeated events), run for 2024.
pub fn traps_tree() -> Workspace {
    let ws = Workspace::new();
    ws.generate(&[
        "--members",
        "120",
        "--years",
        "2023,2024",
        "--seed",
        "21",
        "--traps",
        "0.1",
    ]);
    ws.run_year(2024);
    ws
}
