//! One sheet, streamed: find the header row among the first rows, read the
//! notes above it (money unit, committee), map the header's columns, then
//! normalise each data row as it arrives and hand it on. Only the rows above
//! the header and the credit codes seen (for duplicates) are kept.

use std::collections::HashMap;

use super::cell::normalize_cell;
use super::model::{raw_unless_same, Disposition, Output, Problem, Record, SourceCell, Value};
use super::rows::{a1, ReadError, RowSource, SparseRow};
use crate::contract::schema::{Column, SheetKind, COMMITTEES};
use crate::normalize::{committee_from_note, header_label, unit_note, CellError, MoneyUnit, Raw, UnitSource};

/// The header must be within the first rows of the sheet.
const HEADER_SEARCH_ROWS: u32 = 30;

pub struct SheetContext<'a> {
    pub path: &'a str,
    pub sheet: &'a str,
    pub kind: SheetKind,
    pub year: Option<i32>,
}

/// How one sheet went: the counts of the accounting identity.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SheetOutcome {
    /// Non-empty rows below the header.
    pub data_rows: u64,
    pub accepted_rows: u64,
    pub rejected_rows: u64,
    /// 1-based header row, when one was found.
    pub header_row: Option<u32>,
    /// The sheet was rejected (its accepted rows, if any, are withdrawn).
    pub rejected: bool,
    /// The whole file is rejected (unknown committee, a limit crossed).
    pub file_rejected: bool,
    /// A limit was crossed: stop reading the file.
    pub stop: bool,
}

/// A mapped column: where it is and which unit applies to its money.
struct Mapped {
    col: u32,
    /// Index into the sheet kind's columns.
    column: usize,
    unit: (MoneyUnit, UnitSource),
}

/// The committee a `填报单位：` note names: (name, A1, raw text).
type CommitteeNote = (String, String, String);

/// What the rows above the header said.
struct Header {
    mapped: Vec<Mapped>,
    /// Index of 专委会 among the sheet kind's columns, if it has one.
    committee_col: Option<usize>,
    /// The committee named by a `填报单位：` note.
    committee_note: Option<CommitteeNote>,
}

struct Parser<'c, 'o> {
    ctx: &'c SheetContext<'c>,
    out: &'o mut dyn Output,
    outcome: SheetOutcome,
    /// The row being read: raw 统一社会信用代码 and subject text, carried
    /// on its problems so the call-back list can name the sender.
    row_code: String,
    row_subject: String,
}

impl Parser<'_, '_> {
    fn problem(&mut self, level: Disposition, cell: String, raw: String, reason: String) {
        self.out.problem(Problem {
            level,
            path: self.ctx.path.to_string(),
            sheet: self.ctx.sheet.to_string(),
            cell,
            raw,
            reason,
            code: self.row_code.clone(),
            subject: self.row_subject.clone(),
        });
    }

    fn reject_sheet(&mut self, cell: String, raw: String, reason: String) {
        self.problem(Disposition::RejectedSheet, cell, raw, reason);
        self.outcome.rejected = true;
    }

    /// A read error: a crossed limit rejects the file, a reader failure the
    /// sheet.
    fn read_failed(&mut self, e: ReadError) {
        let level = if e.is_limit() {
            Disposition::RejectedFile
        } else {
            Disposition::RejectedSheet
        };
        self.problem(level, e.cell().to_string(), String::new(), e.to_string());
        self.outcome.rejected = true;
        self.outcome.file_rejected |= e.is_limit();
        self.outcome.stop |= e.is_limit();
    }
}

/// Parse one sheet from `rows`, sending accepted records and problems to
/// `out` as they are found.
pub fn parse_sheet(ctx: &SheetContext<'_>, rows: &mut dyn RowSource, out: &mut dyn Output) -> SheetOutcome {
    let mut p = Parser {
        ctx,
        out,
        outcome: SheetOutcome::default(),
        row_code: String::new(),
        row_subject: String::new(),
    };
    let header = match find_header(&mut p, rows) {
        Ok(Some((above, header_row))) => {
            p.outcome.header_row = Some(header_row.row + 1);
            map_columns(&mut p, &above, &header_row)
        }
        // No header: the sheet is rejected and its rows are not counted.
        Ok(None) => return p.outcome,
        Err(e) => {
            p.read_failed(e);
            return p.outcome;
        }
    };
    if let Err(e) = read_rows(&mut p, rows, header.as_ref()) {
        p.read_failed(e);
    }
    p.outcome
}

/// Read rows up to the header: the first row within the first 30 holding
/// the key label. Returns the rows above it and the header row; rejects the
/// sheet (and returns `None`) when there is none.
fn find_header(
    p: &mut Parser<'_, '_>,
    rows: &mut dyn RowSource,
) -> Result<Option<(Vec<SparseRow>, SparseRow)>, ReadError> {
    let key = p.ctx.kind.key_label();
    let mut above = Vec::new();
    let mut any = false;
    while let Some(row) = rows.next_row()? {
        any = true;
        if row.row >= HEADER_SEARCH_ROWS {
            break;
        }
        let is_header = row
            .cells
            .iter()
            .any(|(_, raw)| matches!(raw, Raw::Text(t) if header_label(t).name == key));
        if is_header {
            return Ok(Some((above, row)));
        }
        above.push(row);
    }
    if any {
        p.reject_sheet(
            String::new(),
            String::new(),
            format!("找不到表头行：前 {HEADER_SEARCH_ROWS} 行中没有 {key} / no header row: no cell reading {key} in the first {HEADER_SEARCH_ROWS} rows"),
        );
    } else {
        p.reject_sheet(
            String::new(),
            String::new(),
            format!(
                "工作表为空，应有含 {key} 的表头行 / the sheet is empty; expected a header row with {key}"
            ),
        );
    }
    Ok(None)
}

/// The notes above the header (money unit, committee) and the header's
/// columns. Rejects the sheet (returns `None`) when a required column is
/// missing, the file when the committee note names no known committee.
fn map_columns(p: &mut Parser<'_, '_>, above: &[SparseRow], header: &SparseRow) -> Option<Header> {
    let kind = p.ctx.kind;
    let (default_unit, committee_note) = notes_above(kind, above);
    let (mapped, labels_found) = header_columns(p, header, default_unit);
    let columns = kind.columns();
    let committee_col = columns.iter().position(|s| s.label == "专委会");
    let mut missing: Vec<(&str, &str)> = columns
        .iter()
        .enumerate()
        .filter(|(i, s)| s.required && !mapped.iter().any(|m| m.column == *i))
        .map(|(_, s)| (s.label, s.label))
        .collect();
    let is_events = kind == SheetKind::Events;
    if is_events && committee_note.is_none() && !mapped.iter().any(|m| Some(m.column) == committee_col) {
        missing.push((
            "专委会（或表头上方的“填报单位：<专委会>”）",
            "专委会 (or a 填报单位：<专委会> note above the header)",
        ));
    }
    if !missing.is_empty() {
        let first_col = above
            .iter()
            .chain([header])
            .filter_map(|r| r.cells.first().map(|(c, _)| *c))
            .min()
            .unwrap_or(0);
        p.reject_sheet(
            a1(header.row, first_col),
            labels_found.join(", "),
            format!(
                "缺少必填列 {}；找到的列：{} / missing required column {}; labels found: {}",
                missing.iter().map(|m| m.0).collect::<Vec<_>>().join("、"),
                labels_found.join("、"),
                missing.iter().map(|m| m.1).collect::<Vec<_>>().join(", "),
                labels_found.join(", ")
            ),
        );
        return None;
    }
    if let Some((name, cell, raw)) = &committee_note {
        if !COMMITTEES.contains(&name.as_str()) {
            p.problem(
                Disposition::RejectedFile,
                cell.clone(),
                raw.clone(),
                format!("未知专委会 {name}：填报单位须为 15 个专委会之一 / unknown committee {name}: 填报单位 must name one of the 15 committees"),
            );
            p.outcome.rejected = true;
            p.outcome.file_rejected = true;
            return None;
        }
    }
    Some(Header {
        mapped,
        committee_col,
        committee_note,
    })
}

/// The money unit the notes above the header give (else 万元 by default),
/// and on an events sheet the committee a `填报单位：` note names.
fn notes_above(kind: SheetKind, above: &[SparseRow]) -> ((MoneyUnit, UnitSource), Option<CommitteeNote>) {
    let mut note_unit = None;
    let mut committee_note: Option<CommitteeNote> = None;
    for row in above {
        for (c, raw) in &row.cells {
            if let Raw::Text(t) = raw {
                if note_unit.is_none() {
                    note_unit = unit_note(t);
                }
                if kind == SheetKind::Events && committee_note.is_none() {
                    if let Some(name) = committee_from_note(t) {
                        committee_note = Some((name, a1(row.row, *c), t.clone()));
                    }
                }
            }
        }
    }
    let default_unit = match note_unit {
        Some(u) => (u, UnitSource::Note),
        None => (MoneyUnit::Wan, UnitSource::Default),
    };
    (default_unit, committee_note)
}

/// The header's known columns (the first of a repeated one), noting the
/// repeated and unknown ones; and every label found.
fn header_columns(
    p: &mut Parser<'_, '_>,
    header: &SparseRow,
    default_unit: (MoneyUnit, UnitSource),
) -> (Vec<Mapped>, Vec<String>) {
    let columns = p.ctx.kind.columns();
    let mut mapped: Vec<Mapped> = Vec::new();
    let mut labels_found = Vec::new();
    for (c, raw) in &header.cells {
        if raw.is_blank() {
            continue;
        }
        let label = header_label(&raw.display());
        labels_found.push(label.name.clone());
        let cell = a1(header.row, *c);
        match columns.iter().position(|s| s.label == label.name) {
            Some(i) if mapped.iter().any(|m| m.column == i) => p.problem(
                Disposition::Note,
                cell,
                raw.display(),
                format!(
                    "列 {} 出现两次，使用第一列 / column {} appears twice; the first one is used",
                    label.name, label.name
                ),
            ),
            Some(i) => mapped.push(Mapped {
                col: *c,
                column: i,
                unit: label
                    .unit
                    .map(|u| (u, UnitSource::Header))
                    .unwrap_or(default_unit),
            }),
            None => p.problem(
                Disposition::Note,
                cell,
                raw.display(),
                format!(
                    "未知列 {} 已忽略 / unknown column {} ignored",
                    label.name, label.name
                ),
            ),
        }
    }
    (mapped, labels_found)
}

/// The rows below the header. Without a usable header they are only
/// counted (they are rejected with their sheet).
fn read_rows(
    p: &mut Parser<'_, '_>,
    rows: &mut dyn RowSource,
    header: Option<&Header>,
) -> Result<(), ReadError> {
    let mut first_seen: HashMap<String, u32> = HashMap::new();
    while let Some(row) = rows.next_row()? {
        if row.is_blank() {
            continue;
        }
        p.outcome.data_rows += 1;
        if let Some(h) = header {
            read_row(p, h, &row, &mut first_seen);
            p.row_code.clear();
            p.row_subject.clear();
        }
    }
    Ok(())
}

/// Name the row on its problems: the raw 统一社会信用代码 (normalised when it
/// is one, so it matches the registry) and subject text. Only rows with a
/// problem pay for this.
fn name_row(p: &mut Parser<'_, '_>, h: &Header, row: &SparseRow) {
    if !p.row_code.is_empty() || !p.row_subject.is_empty() {
        return;
    }
    p.row_code = row_text(p.ctx.kind, h, row, |f| f == "credit_code");
    if let Ok(Some(code)) = crate::normalize::parse_credit_code(&Raw::Text(p.row_code.clone())) {
        p.row_code = code;
    }
    p.row_subject = row_text(p.ctx.kind, h, row, |f| matches!(f, "name" | "bank" | "partner"));
}

/// The trimmed raw text of the first mapped column whose field passes `is`.
fn row_text(kind: SheetKind, h: &Header, row: &SparseRow, is: impl Fn(&str) -> bool) -> String {
    let columns = kind.columns();
    h.mapped
        .iter()
        .find(|m| is(columns[m.column].field))
        .map(|m| row.get(m.col).display().trim().to_string())
        .unwrap_or_default()
}

/// One cell's problem: (A1, raw text, reason).
type CellProblem = (String, String, String);

/// One data row normalised: its values and cells, and its problems — those
/// that reject the row and those that reject a cell only.
struct RowRead {
    values: Vec<Option<Value>>,
    cells: Vec<SourceCell>,
    row_errors: Vec<CellProblem>,
    cell_errors: Vec<CellProblem>,
}

/// Normalise one data row and send it on, or its problems.
fn read_row(p: &mut Parser<'_, '_>, h: &Header, row: &SparseRow, first_seen: &mut HashMap<String, u32>) {
    let kind = p.ctx.kind;
    let RowRead {
        values,
        cells,
        mut row_errors,
        cell_errors,
    } = normalize_row(p, h, row);
    if row_errors.is_empty() {
        row_errors.extend(duplicate(kind, &values, &cells, row, first_seen));
    }
    // Name the row's subject (company, event, bank, partner) so a clerk
    // reading the reason knows whose row it is.
    let subject = kind
        .columns()
        .iter()
        .position(|s| matches!(s.field, "name" | "bank" | "partner"))
        .and_then(|i| match &values[i] {
            Some(Value::Text(t)) => Some(t.as_str()),
            _ => None,
        });
    let about = |reason: String| match subject {
        Some(name) => format!("{name}: {reason}"),
        None => reason,
    };
    if row_errors.is_empty() {
        for (cell, raw, reason) in cell_errors {
            name_row(p, h, row);
            p.problem(Disposition::RejectedCell, cell, raw, about(reason));
        }
        p.outcome.accepted_rows += 1;
        p.out.record(Record {
            kind,
            sheet: p.ctx.sheet.to_string(),
            row: row.row + 1,
            values,
            cells,
        });
    } else {
        p.outcome.rejected_rows += 1;
        for (cell, raw, reason) in row_errors.into_iter().chain(cell_errors) {
            name_row(p, h, row);
            p.problem(Disposition::RejectedRow, cell, raw, about(reason));
        }
    }
}

/// Every mapped cell of the row normalised (notes sent as they are found),
/// and the committee an events sheet's note names, as a cell of its own.
fn normalize_row(p: &mut Parser<'_, '_>, h: &Header, row: &SparseRow) -> RowRead {
    let columns = p.ctx.kind.columns();
    let is_events = p.ctx.kind == SheetKind::Events;
    let committee_col = h.committee_col;
    let mut read = RowRead {
        values: vec![None; columns.len()],
        cells: Vec::with_capacity(h.mapped.len() + 1),
        row_errors: Vec::new(),
        cell_errors: Vec::new(),
    };
    for m in &h.mapped {
        let spec: &Column = &columns[m.column];
        let must = spec.required || (is_events && Some(m.column) == committee_col);
        if is_events && h.committee_note.is_some() && Some(m.column) == committee_col {
            continue; // the note names the committee for every row
        }
        let raw = row.get(m.col);
        // Named only when a note or problem needs it.
        let cell = || a1(row.row, m.col);
        match normalize_cell(spec, raw, m.unit, p.ctx.year) {
            Ok(Some((value, note))) => {
                if let Some(note) = note {
                    name_row(p, h, row);
                    p.problem(Disposition::Note, cell(), raw.display(), note);
                }
                read.cells.push(SourceCell {
                    field: spec.field,
                    col: Some(m.col),
                    note_cell: None,
                    raw: raw_unless_same(raw, &value),
                    unit: match &value {
                        Value::Money(money) => Some((money.unit, money.source)),
                        _ => None,
                    },
                });
                read.values[m.column] = Some(value);
            }
            Ok(None) if must => {
                let reason = format!("{}: {}", spec.label, CellError::Missing);
                read.row_errors.push((cell(), raw.display(), reason));
            }
            Ok(None) => {}
            Err(e) => {
                let entry = (cell(), raw.display(), format!("{}: {e}", spec.label));
                if must {
                    read.row_errors.push(entry);
                } else {
                    read.cell_errors.push(entry);
                }
            }
        }
    }
    if let (true, Some((name, cell, raw)), Some(i)) = (is_events, &h.committee_note, committee_col) {
        read.values[i] = Some(Value::Text(name.clone()));
        read.cells.push(SourceCell {
            field: columns[i].field,
            col: None,
            note_cell: Some(cell.clone()),
            raw: Some(raw.clone()),
            unit: None,
        });
    }
    read
}

/// A row that repeats an earlier one of the sheet: one row per (指标代码,
/// 年度) on the 工作台账, one per credit code on the registry and on 年度数据.
/// The first row is kept; `first_seen` remembers the keys seen.
fn duplicate(
    kind: SheetKind,
    values: &[Option<Value>],
    cells: &[SourceCell],
    row: &SparseRow,
    first_seen: &mut HashMap<String, u32>,
) -> Option<CellProblem> {
    let Some(Value::Text(code)) = &values[0] else {
        return None;
    };
    let (key, reason) = match kind {
        SheetKind::Ledger => {
            let year = match &values[2] {
                Some(Value::Int(y)) => y.to_string(),
                _ => String::new(),
            };
            let (shown, shown_en) = if year.is_empty() {
                ("不分年度".to_string(), "every year".to_string())
            } else {
                (format!("年度 {year}"), year.clone())
            };
            let reason = move |first: u32| {
                format!("重复行：指标代码 {code}（{shown}）已在本表第 {first} 行出现，保留第一行 / duplicate row: {code} for {shown_en} already appears on row {first} of this sheet; the first row is kept")
            };
            (
                format!("{code}\u{0}{year}"),
                Box::new(reason) as Box<dyn Fn(u32) -> String>,
            )
        }
        SheetKind::CompanyAnnual | SheetKind::Members => {
            let reason = move |first: u32| {
                format!("重复行：统一社会信用代码 {code} 已在本表第 {first} 行出现，保留第一行 / duplicate row: {code} already appears on row {first} of this sheet; the first row is kept")
            };
            (code.clone(), Box::new(reason) as Box<dyn Fn(u32) -> String>)
        }
        _ => return None,
    };
    match first_seen.get(&key) {
        Some(first) => {
            let cell = cells
                .first()
                .and_then(|c| c.col)
                .map(|c| a1(row.row, c))
                .unwrap_or_default();
            Some((cell, code.clone(), reason(*first)))
        }
        None => {
            first_seen.insert(key, row.row + 1);
            None
        }
    }
}

#[cfg(test)]
#[path = "sheet_tests.rs"]
mod tests;
