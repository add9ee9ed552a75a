//! One workbook file: hash it, open it by its extension, choose the sheets
//! its folder calls for, and parse each. A file that cannot be opened is
//! rejected with the reader's reason; the run goes on.

use std::io::Cursor;

use calamine::{open_workbook_from_rs, Data, Ods, Range, Reader, Xls, Xlsb, Xlsx};
use sha2::{Digest, Sha256};

use super::schema::SheetKind;
use super::sheet::{parse_sheet, SheetContext};
use super::{rejected_rows, FileResult, InputFile, Level, Problem, SheetSummary};

/// Read and parse one input file. Never fails: every failure becomes a
/// [`Problem`] on the result.
pub fn parse_file(file: &InputFile) -> FileResult {
    let mut result = FileResult {
        file: file.clone(),
        sha256: String::new(),
        bytes: 0,
        accepted: false,
        records: Vec::new(),
        problems: Vec::new(),
        data_rows: 0,
        sheets: Vec::new(),
    };
    let reject = |result: &mut FileResult, reason: String| {
        result.problems.push(Problem {
            level: Level::File,
            path: file.rel.clone(),
            sheet: String::new(),
            cell: String::new(),
            raw: String::new(),
            reason,
        });
    };
    let bytes = match std::fs::read(&file.abs) {
        Ok(b) => b,
        Err(e) => {
            reject(&mut result, format!("无法读取文件 / cannot read the file: {e}"));
            return result;
        }
    };
    result.sha256 = sha256_hex(&bytes);
    result.bytes = bytes.len() as u64;
    if bytes.is_empty() {
        reject(
            &mut result,
            "文件为空（0 字节）/ the file is empty (0 bytes)".into(),
        );
        return result;
    }
    // A malformed file must not take the nightly run down with it, even if
    // the reader panics on it.
    let sheets = std::panic::catch_unwind(|| read_sheets(file, &bytes));
    let sheets = match sheets {
        Ok(Ok(s)) => s,
        Ok(Err(reason)) => {
            reject(&mut result, reason);
            return result;
        }
        Err(_) => {
            reject(
                &mut result,
                "文件已损坏，无法读取 / the spreadsheet reader failed on this file (damaged file?)".into(),
            );
            return result;
        }
    };
    parse_sheets(file, sheets, &mut result);
    result
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Every sheet of the workbook, by name, in workbook order.
/// Every sheet of a workbook by name, each read or with its read error.
type Sheets = Vec<(String, Result<Range<Data>, String>)>;

fn read_sheets(file: &InputFile, bytes: &[u8]) -> Result<Sheets, String> {
    let ext = file
        .rel
        .rsplit('.')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    let cursor = Cursor::new(bytes);
    macro_rules! all_sheets {
        ($ty:ty, $err:ty, $label:expr) => {{
            let mut wb: $ty = open_workbook_from_rs(cursor)
                .map_err(|e: $err| format!("无法作为 {} 打开：{}", $label, explain(&e.to_string())))?;
            let names = wb.sheet_names();
            names
                .into_iter()
                .map(|n| {
                    let range = wb.worksheet_range(&n).map_err(|e| e.to_string());
                    (n, range)
                })
                .collect()
        }};
    }
    Ok(match ext.as_str() {
        "xlsx" | "xlsm" => all_sheets!(Xlsx<_>, calamine::XlsxError, "an Excel workbook (.xlsx)"),
        "xls" => all_sheets!(Xls<_>, calamine::XlsError, "an Excel 97-2003 workbook (.xls)"),
        "xlsb" => all_sheets!(Xlsb<_>, calamine::XlsbError, "an Excel binary workbook (.xlsb)"),
        "ods" => all_sheets!(Ods<_>, calamine::OdsError, "an OpenDocument spreadsheet (.ods)"),
        other => return Err(format!("unsupported extension .{other}")),
    })
}

/// Turn a reader error into words a clerk can act on.
fn explain(err: &str) -> String {
    let lower = err.to_ascii_lowercase();
    if lower.contains("password") || lower.contains("encrypt") {
        "工作簿设有密码，请取消密码后重新提交 / the workbook is password-protected; save it without a password".into()
    } else if lower.contains("zip") || lower.contains("eocd") {
        format!("文件已损坏或不是工作簿 / the file is damaged or not really a workbook ({err})")
    } else {
        err.to_string()
    }
}

fn normalized_name(name: &str) -> String {
    name.chars().filter(|c| !c.is_whitespace()).collect()
}

fn parse_sheets(file: &InputFile, sheets: Sheets, result: &mut FileResult) {
    let (kinds, fallback) = file.folder.sheet_kinds();
    let mut chosen: Vec<(usize, SheetKind)> = Vec::new();
    for kind in kinds {
        if let Some(i) = sheets
            .iter()
            .position(|(n, _)| normalized_name(n) == kind.sheet_name())
        {
            chosen.push((i, *kind));
        }
    }
    if let Some(kind) = fallback {
        if !chosen.iter().any(|(_, k)| *k == kind) {
            // First-sheet fallback: the first sheet not claimed by name by
            // another kind (a workbook whose first sheet is 金融支持 still
            // has its annual data found on the next one).
            let claimed: Vec<usize> = chosen.iter().map(|(i, _)| *i).collect();
            if let Some(i) = (0..sheets.len()).find(|i| !claimed.contains(i)) {
                chosen.push((i, kind));
            }
        }
    }
    chosen.sort_unstable();
    if chosen.is_empty() {
        let expected: Vec<&str> = kinds.iter().map(|k| k.sheet_name()).collect();
        result.problems.push(Problem {
            level: Level::File,
            path: file.rel.clone(),
            sheet: String::new(),
            cell: String::new(),
            raw: sheets
                .iter()
                .map(|(n, _)| n.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            reason: format!(
                "找不到名为 {} 的工作表 / no sheet named {} found",
                expected.join("、"),
                expected.join(" / ")
            ),
        });
        return;
    }
    for (i, (name, _)) in sheets.iter().enumerate() {
        if !chosen.iter().any(|(c, _)| *c == i) {
            result.problems.push(Problem {
                level: Level::Note,
                path: file.rel.clone(),
                sheet: name.clone(),
                cell: String::new(),
                raw: String::new(),
                reason: "不属于模板的工作表，已忽略 / sheet not part of the template; ignored".into(),
            });
        }
    }
    let mut file_rejected = false;
    for (i, kind) in chosen {
        let (name, range) = &sheets[i];
        let range = match range {
            Ok(r) => r,
            Err(e) => {
                result.problems.push(Problem {
                    level: Level::Sheet,
                    path: file.rel.clone(),
                    sheet: name.clone(),
                    cell: String::new(),
                    raw: String::new(),
                    reason: format!("工作表无法读取 / the sheet cannot be read: {e}"),
                });
                result.sheets.push(SheetSummary {
                    sheet: name.clone(),
                    table: kind.table(),
                    header_row: None,
                    data_rows: 0,
                    accepted_rows: 0,
                    rejected_rows: 0,
                    rejected: true,
                });
                continue;
            }
        };
        let ctx = SheetContext {
            path: &file.rel,
            sheet: name,
            kind,
            year: file.year,
        };
        let parsed = parse_sheet(&ctx, range);
        result.data_rows += parsed.data_rows;
        file_rejected |= parsed.problems.iter().any(|p| p.level == Level::File);
        result.sheets.push(SheetSummary {
            sheet: name.clone(),
            table: kind.table(),
            header_row: parsed.header_row,
            data_rows: parsed.data_rows,
            accepted_rows: parsed.records.len() as u64,
            rejected_rows: rejected_rows(&parsed.problems),
            rejected: parsed.rejected,
        });
        result.records.extend(parsed.records);
        result.problems.extend(parsed.problems);
    }
    if file_rejected {
        // A rejected file contributes no row; every sheet's rows go with it.
        result.records.clear();
        for s in &mut result.sheets {
            s.rejected = true;
            s.accepted_rows = 0;
        }
    }
    result.accepted = !file_rejected;
}
