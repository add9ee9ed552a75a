//! Discovery: every entry under the inputs folder, placed (reference,
//! `<year>/companies`, `<year>/committees`) or listed as skipped with the
//! reason, each workbook with its stat. One walk (the `walkdir` crate)
//! serves `run` and `check`.
//!
//! Nothing found here can stop the night: a symbolic link is listed and not
//! followed (it could point out of the tree, back up it, or at a file read
//! twice), and so are pipes, sockets and devices (reading a pipe would
//! block), folders that cannot be listed and names that are not UTF-8. Only
//! an inputs folder that cannot be read at all is an error.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use rayon::prelude::*;

use super::error::NotUtf8;
use super::model::{Disposition, InputFile, Problem};
use crate::contract::materials;
use crate::contract::schema::{self, FolderKind};

/// What discovery found: workbooks to read, the materials templates, and
/// files skipped outright.
#[derive(Debug, Default)]
pub struct Discovery {
    pub files: Vec<InputFile>,
    pub skipped: Vec<(Option<i32>, Problem)>,
    pub years: Vec<i32>,
    /// `materials/**.docx|.md`, in path order.
    pub templates: Vec<crate::contract::materials::TemplateFile>,
}

/// One entry of a walk: a regular file to consider, or an entry skipped
/// with its reason. Paths are relative to the root, `/`-separated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    File { abs: PathBuf, rel: String },
    Skipped { rel: String, reason: String },
}

/// Every entry under `root` (itself a folder), in path order: regular files,
/// and everything else skipped with the reason. Errors only when `root`
/// cannot be read.
pub fn walk_tree(root: &Path) -> Result<Vec<Found>> {
    let meta = std::fs::metadata(root)
        .with_context(|| format!("cannot read the inputs folder {}", root.display()))?;
    anyhow::ensure!(meta.is_dir(), "{} is not a folder", root.display());
    std::fs::read_dir(root).with_context(|| format!("cannot list the inputs folder {}", root.display()))?;
    // The top level is listed first and each folder in it walked as a task
    // of its own: on a large tree the walk is a third of a run with nothing
    // new, and the year folders are independent.
    let walk = |dir: &Path| walkdir::WalkDir::new(dir).follow_links(false).min_depth(1);
    let top: Vec<_> = walk(root).max_depth(1).into_iter().collect();
    let mut out: Vec<Found> = top
        .into_par_iter()
        .flat_map_iter(|entry| {
            let folder = match &entry {
                Ok(e) if e.file_type().is_dir() => Some(e.path().to_path_buf()),
                _ => None,
            };
            let below = folder.into_iter().flat_map(|dir| walk(&dir));
            std::iter::once(entry)
                .chain(below)
                .filter_map(|e| found(root, e))
                .collect::<Vec<_>>()
        })
        .collect();
    // Paths are unique, so an unstable sort gives the one order.
    out.sort_unstable_by(|a, b| a.rel().as_bytes().cmp(b.rel().as_bytes()));
    Ok(out)
}

/// One walked entry as discovery lists it; `None` for a folder.
fn found(root: &Path, entry: walkdir::Result<walkdir::DirEntry>) -> Option<Found> {
    let entry = match entry {
        Ok(e) => e,
        Err(e) => {
            let rel = e
                .path()
                .map(|p| relative(root, p).unwrap_or_else(|e| e.lossy))
                .unwrap_or_default();
            let io = e
                .io_error()
                .map(|io| io.to_string())
                .unwrap_or_else(|| e.to_string());
            return Some(Found::Skipped {
                rel,
                reason: format!("无法读取，已跳过 / cannot be read; skipped: {io}"),
            });
        }
    };
    let ty = entry.file_type();
    if ty.is_dir() {
        return None;
    }
    let (rel, utf8) = match relative(root, entry.path()) {
        Ok(rel) => (rel, true),
        Err(e) => (e.lossy, false),
    };
    let reason = skip_reason(ty, utf8);
    Some(match reason {
        Some(r) => Found::Skipped {
            rel,
            reason: r.to_string(),
        },
        None => Found::File {
            abs: entry.into_path(),
            rel,
        },
    })
}

/// Why an entry is listed and not read: a name that is not UTF-8, a link,
/// anything but a regular file.
fn skip_reason(ty: std::fs::FileType, utf8: bool) -> Option<&'static str> {
    if !utf8 {
        Some("文件名不是有效的 UTF-8 编码，请重命名 / the file name is not valid UTF-8; rename the file")
    } else if ty.is_symlink() {
        Some("符号链接，不跟随；请把文件本身放入文件夹 / a symbolic link, not followed; put the file itself in the folder")
    } else if !ty.is_file() {
        Some("不是普通文件（管道、套接字或设备）/ not a regular file (a pipe, socket or device)")
    } else {
        None
    }
}

impl Found {
    pub fn rel(&self) -> &str {
        match self {
            Found::File { rel, .. } | Found::Skipped { rel, .. } => rel,
        }
    }
}

/// `root`-relative, `/`-separated; `Err` with the undecodable bytes shown
/// as U+FFFD when a name is not UTF-8.
fn relative(root: &Path, path: &Path) -> Result<String, NotUtf8> {
    use std::os::unix::ffi::OsStrExt;
    // A walked path is `root` joined with the rest, so the prefix is cut
    // off as bytes: `Path::strip_prefix` compares component by component,
    // which was a tenth of a large tree's walk.
    let rel = path
        .as_os_str()
        .as_bytes()
        .strip_prefix(root.as_os_str().as_bytes())
        .map(|r| Path::new(std::ffi::OsStr::from_bytes(r.strip_prefix(b"/").unwrap_or(r))))
        .unwrap_or_else(|| path.strip_prefix(root).unwrap_or(path));
    // On Unix a walked path's separators already are `/`.
    rel.to_str().map(str::to_owned).ok_or_else(|| NotUtf8 {
        lossy: rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join("/"),
    })
}

/// Walk `inputs/`: `reference/**`, `<year>/companies/**`,
/// `<year>/committees/**`. Non-workbooks and files outside those folders are
/// listed as skipped. Order is by relative path, so every report is stable.
pub fn discover(inputs: &Path) -> Result<Discovery> {
    let walked = {
        let _s = tracing::debug_span!("walk").entered();
        walk_tree(inputs)?
    };
    Ok(assemble(walked))
}

/// Exactly the entries at `rels` (relative to `root`), placed by the same
/// rules as a walk (a scheduler's task stages the files it was given): a
/// link or pipe is skipped with its reason, a path that cannot be read is
/// read and rejected with the system's reason.
pub fn discover_listed(root: &Path, rels: &[String]) -> Discovery {
    let found = rels
        .iter()
        .map(|rel| {
            let abs = root.join(rel);
            let reason = std::fs::symlink_metadata(&abs)
                .ok()
                .and_then(|m| skip_reason(m.file_type(), true));
            match reason {
                Some(r) => Found::Skipped {
                    rel: rel.clone(),
                    reason: r.to_string(),
                },
                None => Found::File {
                    abs,
                    rel: rel.clone(),
                },
            }
        })
        .collect();
    assemble(found)
}

/// A discovery from the entries found: templates apart, each workbook
/// placed (or skipped with its reason), the year folders, and a stat per
/// workbook.
fn assemble(walked: Vec<Found>) -> Discovery {
    let mut out = Discovery::default();
    let (templates, walked): (Vec<Found>, Vec<Found>) = walked.into_iter().partition(|f| match f {
        Found::File { rel, .. } => {
            materials::is_in_folder(rel) && materials::is_template_name(rel.rsplit('/').next().unwrap_or(rel))
        }
        Found::Skipped { .. } => false,
    });
    out.templates = templates
        .into_iter()
        .filter_map(|f| match f {
            Found::File { abs, rel } => Some(materials::TemplateFile {
                stat: crate::util::stat::stat(&abs),
                abs,
                rel,
            }),
            Found::Skipped { .. } => None,
        })
        .collect();
    for (year, entry) in walked.into_iter().map(place) {
        if let Some(y) = year.filter(|y| !out.years.contains(y)) {
            out.years.push(y);
        }
        match entry {
            Ok(file) => out.files.push(file),
            Err(skipped) => out.skipped.push((year, skipped)),
        }
    }
    out.years.sort_unstable();
    // A stat per workbook, taken once for the whole run; in parallel,
    // because on a large tree the stats cost more than the walk.
    let _s = tracing::debug_span!("stat").entered();
    out.files
        .par_iter_mut()
        .for_each(|f| f.stat = crate::util::stat::stat(&f.abs));
    out
}

/// Why a file of this name is not a submission, whatever folder it is in:
/// an Office lock file, a hidden file, anything but a workbook. `None` for
/// a workbook. The one rule for `run` and for `check` on loose files.
pub fn not_a_submission(name: &str) -> Option<String> {
    let ext = Path::new(name)
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default();
    if name.starts_with("~$") {
        Some("Office 临时锁文件（~$…），不是报送文件 / office lock file (~$…), not a submission".into())
    } else if name.starts_with('.') {
        Some("隐藏文件 / hidden file".into())
    } else if !schema::is_workbook_extension(ext) {
        Some(format!("不是工作簿（.{ext}），仅接受 .xlsx .xlsm .xls .xlsb .ods / not a workbook (.{ext}); accepted: .xlsx .xlsm .xls .xlsb .ods"))
    } else {
        None
    }
}

/// One walked entry: the year folder it is in, and the workbook to read or
/// why it is skipped.
fn place(found: Found) -> (Option<i32>, Result<InputFile, Problem>) {
    let (abs, rel, unreadable) = match found {
        Found::File { abs, rel } => (abs, rel, None),
        Found::Skipped { rel, reason } => (PathBuf::new(), rel, Some(reason)),
    };
    let parts: Vec<&str> = rel.split('/').collect();
    let year = parts.first().and_then(|y| schema::year_folder(y));
    let placed = match parts.as_slice() {
        ["reference", _, ..] => Some((FolderKind::Reference, None)),
        [_, "companies", _, ..] if year.is_some() => Some((FolderKind::Companies, year)),
        [_, "committees", _, ..] if year.is_some() => Some((FolderKind::Committees, year)),
        _ => None,
    };
    let name = parts.last().copied().unwrap_or_default();
    let reason = match (unreadable, placed, not_a_submission(name)) {
        (Some(reason), _, _) => reason,
        (None, None, _) if parts[0] == materials::FOLDER => {
            "材料模板文件夹中只放 .docx 或 .md 模板 / not a materials template (.docx, .md)".into()
        }
        (None, None, _) if parts[0] == "expected" || rel == "generate.json" => {
            "chamberstat generate 写出的已知答案，不是报送文件 / written by `chamberstat generate` (the known answer), not a submission".into()
        }
        (None, None, _) => {
            "不在 reference/、<年度>/companies/ 或 <年度>/committees/ 下 / not inside reference/, <year>/companies/ or <year>/committees/".into()
        }
        (None, Some(_), Some(why)) => why,
        (None, Some((folder, year)), None) => {
            let file = InputFile {
                abs,
                rel,
                folder,
                year,
                stat: None,
                folder_from_sheets: false,
            };
            return (year, Ok(file));
        }
    };
    (year, Err(Problem::of_file(Disposition::Skipped, rel, reason)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn discovery_skips_lock_csv_and_misplaced_files() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for f in [
            "reference/会员名册.xlsx",
            "reference/说明.txt",
            "2024/companies/0001_a.xlsx",
            "2024/companies/~$0001_a.xlsx",
            "2024/companies/导出.csv",
            "2024/companies/.DS_Store",
            "2024/committees/01.ods",
            "2024/other/x.xlsx",
            "notes.xlsx",
        ] {
            let p = root.join(f);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, b"").unwrap();
        }
        let d = discover(root).unwrap();
        let read: Vec<_> = d.files.iter().map(|f| f.rel.as_str()).collect();
        assert_eq!(
            read,
            [
                "2024/committees/01.ods",
                "2024/companies/0001_a.xlsx",
                "reference/会员名册.xlsx"
            ]
        );
        assert_eq!(d.skipped.len(), 6);
        assert_eq!(d.years, [2024]);
        assert!(d.skipped.iter().any(|(_, p)| p.reason.contains("lock file")));
    }

    #[test]
    fn links_pipes_and_undecodable_names_are_skipped_never_followed() {
        use std::os::unix::ffi::OsStrExt;
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let companies = root.join("2024/companies");
        std::fs::create_dir_all(&companies).unwrap();
        std::fs::write(companies.join("0001_a.xlsx"), b"x").unwrap();
        std::os::unix::fs::symlink("..", companies.join("loop")).unwrap();
        std::os::unix::fs::symlink("/etc", companies.join("out")).unwrap();
        std::os::unix::fs::symlink("0001_a.xlsx", companies.join("0002_link.xlsx")).unwrap();
        let fifo = companies.join("0003_pipe.xlsx");
        let status = std::process::Command::new("mkfifo").arg(&fifo).status().unwrap();
        assert!(status.success());
        let bad = std::ffi::OsStr::from_bytes(b"0004_\xff\xfe.xlsx");
        std::fs::write(companies.join(bad), b"x").unwrap();

        let d = discover(root).unwrap();
        let read: Vec<_> = d.files.iter().map(|f| f.rel.as_str()).collect();
        assert_eq!(read, ["2024/companies/0001_a.xlsx"]);
        let reasons: Vec<(String, String)> = d
            .skipped
            .iter()
            .map(|(_, p)| (p.path.clone(), p.reason.clone()))
            .collect();
        let reason_of = |name: &str| {
            reasons
                .iter()
                .find(|(p, _)| p.ends_with(name))
                .map(|(_, r)| r.clone())
                .unwrap_or_else(|| panic!("{name} not listed: {reasons:?}"))
        };
        assert!(reason_of("loop").contains("symbolic link"));
        assert!(reason_of("out").contains("symbolic link"));
        assert!(reason_of("0002_link.xlsx").contains("symbolic link"));
        assert!(reason_of("0003_pipe.xlsx").contains("not a regular file"));
        assert!(reason_of("\u{FFFD}\u{FFFD}.xlsx").contains("UTF-8"));
    }
}
