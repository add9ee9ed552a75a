//! What a reader hands on: the accepted rows of each sheet table and the
//! problems, gathered column by column into Arrow record batches in the
//! warehouse tables' own column order, so that whoever receives them (the
//! loader, in this process or across a worker's pipe) appends them as they
//! are. The compact lineage (column, raw text where it differs, unit code)
//! is encoded here, once; `load::schema` declares the same columns.

use std::sync::Arc;

use anyhow::{Context, Result};
use duckdb::arrow::array::{
    Array, ArrayBuilder, ArrayRef, AsArray, BooleanBuilder, Date32Builder, Decimal128Builder, Int32Builder,
    Int64Builder, StringBuilder, UInt8Builder,
};
use duckdb::arrow::datatypes::{DataType, Field, Int32Type, Schema, SchemaRef};
use duckdb::arrow::record_batch::RecordBatch;

use super::model::{Disposition, FileSummary, Problem, Record, SourceCell, Value};
use crate::contract::schema::{Column as ContractColumn, FieldType, SheetKind};
use crate::normalize::{MoneyUnit, UnitSource};

/// Rows gathered before they are handed on as one batch.
pub const BATCH_ROWS: usize = 2_048;

/// A table a reader sends rows of: a sheet kind's table, or `problems`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Table {
    Sheet(SheetKind),
    Problems,
}

impl Table {
    /// Every table, in a fixed order (the wire names a table by its place).
    pub fn all() -> impl Iterator<Item = Table> {
        SheetKind::ALL
            .into_iter()
            .map(Table::Sheet)
            .chain([Table::Problems])
    }

    pub fn index(self) -> usize {
        match self {
            Table::Sheet(kind) => SheetKind::ALL.iter().position(|k| *k == kind).unwrap_or(0),
            Table::Problems => SheetKind::ALL.len(),
        }
    }

    pub fn from_index(i: usize) -> Option<Table> {
        Table::all().nth(i)
    }

    pub fn name(self) -> &'static str {
        match self {
            Table::Sheet(kind) => kind.table(),
            Table::Problems => "problems",
        }
    }

    /// The Arrow schema of the table's rows (the warehouse table's columns).
    pub fn schema(self) -> SchemaRef {
        match self {
            Table::Sheet(kind) => sheet_schema(kind),
            Table::Problems => problems_schema(),
        }
    }
}

/// What the readers send the loader. Each file's events arrive in its
/// reading order; events of different files interleave, and a batch may
/// hold rows of several files (each row names its file's path).
#[derive(Debug)]
pub enum Event {
    /// Rows of one table: accepted records of a sheet kind, or problems.
    Batch(Batch),
    /// Rows sent earlier from this sheet (all sheets: `None`) of the file
    /// at `file` (an index into the files being ingested) are void.
    Withdraw { file: usize, sheet: Option<String> },
    /// The file is read; nothing more comes from it but rows of it still
    /// gathered in a batch.
    Done { file: usize, summary: FileSummary },
    /// A row of the file could not be gathered (a bug): the load stops.
    Failed { file: usize, message: String },
    /// The worker reading these files died: every row and problem sent
    /// for them is void (one is rejected next; the others are read again).
    Void { files: Vec<usize> },
}

/// A batch of one table's rows.
#[derive(Debug, Clone)]
pub struct Batch {
    pub table: Table,
    pub rows: RecordBatch,
}

pub fn is_money(c: &ContractColumn) -> bool {
    matches!(c.ty, FieldType::Money { .. })
}

pub const UNITS: [MoneyUnit; 3] = [MoneyUnit::Yuan, MoneyUnit::Wan, MoneyUnit::Yi];
pub const UNIT_SOURCES: [UnitSource; 4] = [
    UnitSource::Cell,
    UnitSource::Header,
    UnitSource::Note,
    UnitSource::Default,
];

/// A money unit and its source as one small number: what `unit_<field>`
/// stores instead of the label `万元 (header)`.
pub fn unit_code((unit, source): (MoneyUnit, UnitSource)) -> u8 {
    let u = UNITS.iter().position(|x| *x == unit).unwrap_or(0);
    let s = UNIT_SOURCES.iter().position(|x| *x == source).unwrap_or(0);
    (u * UNIT_SOURCES.len() + s) as u8
}

/// The unit and source a code stands for.
pub fn unit_of_code(code: u8) -> Option<(MoneyUnit, UnitSource)> {
    let code = usize::from(code);
    Some((
        *UNITS.get(code / UNIT_SOURCES.len())?,
        UNIT_SOURCES[code % UNIT_SOURCES.len()],
    ))
}

/// The Arrow type of a contract column, as the table DDL declares it.
fn arrow_type(ty: FieldType) -> DataType {
    match ty {
        FieldType::Money { .. } | FieldType::Number => DataType::Decimal128(38, 6),
        FieldType::Whole => DataType::Int64,
        FieldType::Year => DataType::Int32,
        FieldType::YesNo => DataType::Boolean,
        FieldType::Date | FieldType::DateInYear | FieldType::YearEnd => DataType::Date32,
        _ => DataType::Utf8,
    }
}

/// A sheet table's columns: provenance, the values, then each value's
/// lineage (see `load::schema::sheet_table_ddl`).
fn sheet_schema(kind: SheetKind) -> SchemaRef {
    let mut fields = vec![
        Field::new("path", DataType::Utf8, true),
        Field::new("sheet", DataType::Utf8, true),
        Field::new("row_no", DataType::Int32, true),
        Field::new("year", DataType::Int32, true),
    ];
    for c in kind.columns() {
        fields.push(Field::new(c.field, arrow_type(c.ty), true));
    }
    for c in kind.columns() {
        fields.push(Field::new(format!("col_{}", c.field), DataType::Int32, true));
        fields.push(Field::new(format!("raw_{}", c.field), DataType::Utf8, true));
        if is_money(c) {
            fields.push(Field::new(format!("unit_{}", c.field), DataType::UInt8, true));
        }
    }
    fields.push(Field::new("note_cell", DataType::Utf8, true));
    Arc::new(Schema::new(fields))
}

const PROBLEM_COLUMNS: [&str; 9] = [
    "path", "year", "level", "sheet", "cell", "raw", "reason", "code", "subject",
];

fn problems_schema() -> SchemaRef {
    let fields = PROBLEM_COLUMNS
        .iter()
        .map(|c| {
            let ty = if *c == "year" {
                DataType::Int32
            } else {
                DataType::Utf8
            };
            Field::new(*c, ty, true)
        })
        .collect::<Vec<_>>();
    Arc::new(Schema::new(fields))
}

/// One value of a row being gathered, borrowed: text, numbers, dates as
/// days since 1970, money as the DECIMAL(38,6) payload.
#[derive(Debug)]
pub enum SqlCell<'a> {
    Null,
    Text(&'a str),
    Int(i64),
    Bool(bool),
    Date(i32),
    Decimal(rust_decimal::Decimal),
}

impl<'a> SqlCell<'a> {
    pub fn of(v: &'a Option<Value>) -> Self {
        match v {
            None => SqlCell::Null,
            Some(Value::Text(s)) => SqlCell::Text(s),
            Some(Value::Money(m)) => SqlCell::Decimal(m.yuan),
            Some(Value::Int(i)) => SqlCell::Int(*i),
            Some(Value::Bool(b)) => SqlCell::Bool(*b),
            Some(Value::Date(d)) => SqlCell::Date((*d - epoch()).num_days() as i32),
        }
    }
}

fn epoch() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default()
}

/// A money amount as the integer payload of DECIMAL(38,6). Money arrives at
/// scale ≤ 6 (the normaliser rejects finer amounts), so the warehouse holds
/// it exactly and DuckDB has nothing to cast.
pub fn scale_6(d: &rust_decimal::Decimal) -> Result<i128> {
    let scale = d.scale();
    anyhow::ensure!(scale <= 6, "{d} is finer than 0.000001 元");
    Ok(d.mantissa() * 10i128.pow(6 - scale))
}

/// One column being built, typed as its warehouse column.
enum Builder {
    Text(StringBuilder),
    Int32(Int32Builder),
    Int64(Int64Builder),
    Bool(BooleanBuilder),
    Date(Date32Builder),
    Money(Decimal128Builder),
    Code(UInt8Builder),
}

impl Builder {
    fn of(ty: &DataType) -> Builder {
        match ty {
            DataType::Int32 => Builder::Int32(Int32Builder::new()),
            DataType::Int64 => Builder::Int64(Int64Builder::new()),
            DataType::Boolean => Builder::Bool(BooleanBuilder::new()),
            DataType::Date32 => Builder::Date(Date32Builder::new()),
            DataType::UInt8 => Builder::Code(UInt8Builder::new()),
            DataType::Decimal128(p, s) => Builder::Money(
                Decimal128Builder::new()
                    .with_precision_and_scale(*p, *s)
                    .expect("DECIMAL(38,6) is a valid Arrow decimal"),
            ),
            _ => Builder::Text(StringBuilder::new()),
        }
    }

    fn push(&mut self, cell: &SqlCell<'_>) -> Result<()> {
        match (self, cell) {
            (Builder::Text(b), SqlCell::Text(s)) => b.append_value(s),
            (Builder::Int32(b), SqlCell::Int(i)) => b.append_value(i32::try_from(*i)?),
            (Builder::Int64(b), SqlCell::Int(i)) => b.append_value(*i),
            (Builder::Bool(b), SqlCell::Bool(v)) => b.append_value(*v),
            (Builder::Date(b), SqlCell::Date(d)) => b.append_value(*d),
            (Builder::Code(b), SqlCell::Int(i)) => b.append_value(u8::try_from(*i)?),
            (Builder::Money(b), SqlCell::Decimal(d)) => b.append_value(scale_6(d)?),
            (b, SqlCell::Null) => b.push_null(),
            (_, other) => anyhow::bail!("a value of the wrong type for its column: {other:?}"),
        }
        Ok(())
    }

    fn push_null(&mut self) {
        match self {
            Builder::Text(b) => b.append_null(),
            Builder::Int32(b) => b.append_null(),
            Builder::Int64(b) => b.append_null(),
            Builder::Bool(b) => b.append_null(),
            Builder::Date(b) => b.append_null(),
            Builder::Money(b) => b.append_null(),
            Builder::Code(b) => b.append_null(),
        }
    }

    fn finish(&mut self) -> ArrayRef {
        match self {
            Builder::Text(b) => Arc::new(b.finish()),
            Builder::Int32(b) => Arc::new(b.finish()),
            Builder::Int64(b) => Arc::new(b.finish()),
            Builder::Bool(b) => Arc::new(b.finish()),
            Builder::Date(b) => Arc::new(b.finish()),
            Builder::Money(b) => Arc::new(b.finish()),
            Builder::Code(b) => Arc::new(b.finish()),
        }
    }

    fn len(&self) -> usize {
        match self {
            Builder::Text(b) => b.len(),
            Builder::Int32(b) => b.len(),
            Builder::Int64(b) => b.len(),
            Builder::Bool(b) => b.len(),
            Builder::Date(b) => b.len(),
            Builder::Money(b) => b.len(),
            Builder::Code(b) => b.len(),
        }
    }
}

/// The rows of one table being gathered.
pub struct TableBatch {
    table: Table,
    schema: SchemaRef,
    columns: Vec<Builder>,
}

impl TableBatch {
    pub fn new(table: Table) -> Self {
        let schema = table.schema();
        let columns = schema
            .fields()
            .iter()
            .map(|f| Builder::of(f.data_type()))
            .collect();
        TableBatch {
            table,
            schema,
            columns,
        }
    }

    pub fn rows(&self) -> usize {
        self.columns.first().map_or(0, Builder::len)
    }

    /// Add one row, given in the table's column order. All or nothing: a
    /// value of the wrong type leaves the batch as it was.
    fn push(&mut self, row: &[SqlCell<'_>]) -> Result<()> {
        anyhow::ensure!(
            row.len() == self.columns.len(),
            "a row of {} values for {} columns",
            row.len(),
            self.columns.len()
        );
        let mut checked = self.columns.iter().zip(row);
        if let Some((_, bad)) = checked.find(|(b, c)| !fits(b, c)) {
            anyhow::bail!("a value of the wrong type for its column: {bad:?}");
        }
        for (column, cell) in self.columns.iter_mut().zip(row) {
            column.push(cell)?;
        }
        Ok(())
    }

    /// Add one accepted record of the file at `path` (reporting `year`).
    pub fn push_record(&mut self, path: &str, year: Option<i32>, rec: &Record) -> Result<()> {
        let row = record_row(self.columns.len(), path, year, rec);
        self.push(&row)
            .with_context(|| format!("cannot load {path} {} row {}", rec.sheet, rec.row))
    }

    /// Add one problem of the file at `path` (reporting `year`).
    pub fn push_problem(&mut self, year: Option<i32>, p: &Problem) -> Result<()> {
        let year = year.map_or(SqlCell::Null, |y| SqlCell::Int(i64::from(y)));
        self.push(&[
            SqlCell::Text(&p.path),
            year,
            SqlCell::Text(p.level.label()),
            SqlCell::Text(&p.sheet),
            SqlCell::Text(&p.cell),
            SqlCell::Text(&p.raw),
            SqlCell::Text(&p.reason),
            SqlCell::Text(&p.code),
            SqlCell::Text(&p.subject),
        ])
    }

    /// The gathered rows as a batch (none when empty); the builders start
    /// over.
    pub fn take(&mut self) -> Result<Option<Batch>> {
        if self.rows() == 0 {
            return Ok(None);
        }
        let arrays: Vec<ArrayRef> = self.columns.iter_mut().map(Builder::finish).collect();
        let rows =
            RecordBatch::try_new(self.schema.clone(), arrays).context("cannot build a record batch")?;
        Ok(Some(Batch {
            table: self.table,
            rows,
        }))
    }
}

/// Whether a value can go into a builder (NULL goes anywhere).
fn fits(b: &Builder, c: &SqlCell<'_>) -> bool {
    matches!(
        (b, c),
        (_, SqlCell::Null)
            | (Builder::Text(_), SqlCell::Text(_))
            | (
                Builder::Int32(_) | Builder::Int64(_) | Builder::Code(_),
                SqlCell::Int(_)
            )
            | (Builder::Bool(_), SqlCell::Bool(_))
            | (Builder::Date(_), SqlCell::Date(_))
            | (Builder::Money(_), SqlCell::Decimal(_))
    )
}

/// A record as its table's row: provenance, values, lineage.
fn record_row<'r>(width: usize, path: &'r str, year: Option<i32>, rec: &'r Record) -> Vec<SqlCell<'r>> {
    let mut row = Vec::with_capacity(width);
    row.extend([
        SqlCell::Text(path),
        SqlCell::Text(&rec.sheet),
        SqlCell::Int(i64::from(rec.row)),
        year.map_or(SqlCell::Null, |y| SqlCell::Int(i64::from(y))),
    ]);
    row.extend(rec.values.iter().map(SqlCell::of));
    let source = |field: &str| rec.cells.iter().find(|c| c.field == field);
    let mut note_cell = None;
    for c in rec.kind.columns() {
        let cell = source(c.field);
        row.push(
            cell.and_then(|s| s.col)
                .map_or(SqlCell::Null, |col| SqlCell::Int(i64::from(col))),
        );
        row.push(
            cell.and_then(|s| s.raw.as_deref())
                .map_or(SqlCell::Null, SqlCell::Text),
        );
        if is_money(c) {
            row.push(
                cell.and_then(|s| s.unit)
                    .map_or(SqlCell::Null, |u| SqlCell::Int(i64::from(unit_code(u)))),
            );
        }
        note_cell = note_cell.or(cell.and_then(|s| s.note_cell.as_deref()));
    }
    row.push(note_cell.map_or(SqlCell::Null, SqlCell::Text));
    row
}

/// Input cells a batch of a sheet table holds values of (its lineage
/// columns that name a cell).
pub fn cells_in(batch: &Batch) -> u64 {
    let Table::Sheet(kind) = batch.table else {
        return 0;
    };
    kind.columns()
        .iter()
        .filter_map(|c| batch.rows.column_by_name(&format!("col_{}", c.field)))
        .map(|a| (a.len() - a.null_count()) as u64)
        .sum()
}

/// The 0-based columns past Excel's last (XFD) that a batch of a sheet
/// table names cells in: only a damaged or hand-made file has any.
pub fn columns_past_excel(batch: &Batch, into: &mut std::collections::BTreeSet<u32>) {
    let Table::Sheet(kind) = batch.table else {
        return;
    };
    for c in kind.columns() {
        let Some(array) = batch.rows.column_by_name(&format!("col_{}", c.field)) else {
            continue;
        };
        let Some(cols) = array.as_primitive_opt::<Int32Type>() else {
            continue;
        };
        into.extend(
            cols.iter()
                .flatten()
                .filter_map(|col| u32::try_from(col).ok())
                .filter(|col| *col > super::rows::LAST_COL),
        );
    }
}

/// The problems of a `problems` batch, each with its path, in batch order.
pub fn problems_of(batch: &RecordBatch) -> Result<Vec<Problem>> {
    let text = |name: &str| -> Result<&duckdb::arrow::array::StringArray> {
        batch
            .column_by_name(name)
            .and_then(|a| a.as_string_opt::<i32>())
            .with_context(|| format!("a problems batch without the text column {name}"))
    };
    let cols: Vec<_> = [
        "path", "level", "sheet", "cell", "raw", "reason", "code", "subject",
    ]
    .into_iter()
    .map(text)
    .collect::<Result<_>>()?;
    let at = |c: usize, i: usize| cols[c].value(i).to_string();
    (0..batch.num_rows())
        .map(|i| {
            let level = Disposition::from_label(cols[1].value(i))
                .with_context(|| format!("unknown problem level {}", cols[1].value(i)))?;
            Ok(Problem {
                level,
                path: at(0, i),
                sheet: at(2, i),
                cell: at(3, i),
                raw: at(4, i),
                reason: at(5, i),
                code: at(6, i),
                subject: at(7, i),
            })
        })
        .collect()
}

/// The records of a sheet table's batch, with the path of each (the
/// inverse of [`TableBatch::push_record`], for `check`, which shows what
/// it read instead of loading it).
pub fn records_of(kind: SheetKind, batch: &RecordBatch) -> Result<Vec<(String, Record)>> {
    let column = |name: &str| {
        batch
            .column_by_name(name)
            .with_context(|| format!("a {} batch without the column {name}", kind.table()))
    };
    let path = column("path")?.as_string::<i32>();
    let sheet = column("sheet")?.as_string::<i32>();
    let row_no = column("row_no")?.as_primitive::<Int32Type>();
    let mut out = Vec::with_capacity(batch.num_rows());
    for i in 0..batch.num_rows() {
        let mut values = Vec::new();
        let mut cells = Vec::new();
        for c in kind.columns() {
            values.push(value_at(column(c.field)?, c.ty, i)?);
            let col = column(&format!("col_{}", c.field))?.as_primitive::<Int32Type>();
            let raw = column(&format!("raw_{}", c.field))?.as_string::<i32>();
            let unit = match is_money(c) {
                true => column(&format!("unit_{}", c.field))?
                    .as_primitive_opt::<duckdb::arrow::datatypes::UInt8Type>()
                    .filter(|a| a.is_valid(i))
                    .and_then(|a| unit_of_code(a.value(i))),
                false => None,
            };
            if values.last().is_some_and(Option::is_some) {
                let note = column("note_cell")?.as_string::<i32>();
                cells.push(SourceCell {
                    field: c.field,
                    col: col.is_valid(i).then(|| col.value(i) as u32),
                    note_cell: (!col.is_valid(i) && note.is_valid(i)).then(|| note.value(i).to_string()),
                    raw: raw.is_valid(i).then(|| raw.value(i).to_string()),
                    unit,
                });
            }
        }
        let record = Record {
            kind,
            sheet: sheet.value(i).to_string(),
            row: row_no.value(i) as u32,
            values,
            cells,
        };
        out.push((path.value(i).to_string(), record));
    }
    Ok(out)
}

/// One value of a batch back as the normaliser gave it (money with its
/// unit as recorded; a missing unit reads as 元 from the default).
fn value_at(a: &ArrayRef, ty: FieldType, i: usize) -> Result<Option<Value>> {
    if !a.is_valid(i) {
        return Ok(None);
    }
    Ok(Some(match ty {
        FieldType::Money { .. } | FieldType::Number => {
            let d = a
                .as_primitive::<duckdb::arrow::datatypes::Decimal128Type>()
                .value(i);
            Value::Money(crate::normalize::Money {
                yuan: rust_decimal::Decimal::try_from_i128_with_scale(d, 6)?.normalize(),
                unit: MoneyUnit::Yuan,
                source: UnitSource::Default,
            })
        }
        FieldType::Whole => Value::Int(a.as_primitive::<duckdb::arrow::datatypes::Int64Type>().value(i)),
        FieldType::Year => Value::Int(i64::from(a.as_primitive::<Int32Type>().value(i))),
        FieldType::YesNo => Value::Bool(a.as_boolean().value(i)),
        FieldType::Date | FieldType::DateInYear | FieldType::YearEnd => {
            let days = a.as_primitive::<duckdb::arrow::datatypes::Date32Type>().value(i);
            Value::Date(epoch() + chrono::Duration::days(i64::from(days)))
        }
        _ => Value::Text(a.as_string::<i32>().value(i).to_string()),
    }))
}
