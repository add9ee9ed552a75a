//! The rows of one sheet table gathered column by column (Arrow arrays) and
//! handed to DuckDB's appender a record batch at a time: one call per 2,048
//! rows instead of one per value, which is what appending cost before.

use std::sync::Arc;

use anyhow::{Context, Result};
use duckdb::arrow::array::{
    ArrayBuilder, ArrayRef, BooleanBuilder, Date32Builder, Decimal128Builder, Int32Builder, Int64Builder,
    StringBuilder, UInt8Builder,
};
use duckdb::arrow::datatypes::{DataType, Field, Schema};
use duckdb::arrow::record_batch::RecordBatch;

use super::schema::is_money;
use super::SqlCell;
use crate::contract::schema::{FieldType, SheetKind};

/// Rows gathered before they are appended.
pub const BATCH_ROWS: usize = 2_048;

/// One column being built, typed as its warehouse column.
enum Column {
    Text(StringBuilder),
    Int32(Int32Builder),
    Int64(Int64Builder),
    Bool(BooleanBuilder),
    Date(Date32Builder),
    Money(Decimal128Builder),
    Code(UInt8Builder),
}

impl Column {
    fn of(ty: &DataType) -> Column {
        match ty {
            DataType::Int32 => Column::Int32(Int32Builder::new()),
            DataType::Int64 => Column::Int64(Int64Builder::new()),
            DataType::Boolean => Column::Bool(BooleanBuilder::new()),
            DataType::Date32 => Column::Date(Date32Builder::new()),
            DataType::UInt8 => Column::Code(UInt8Builder::new()),
            DataType::Decimal128(p, s) => Column::Money(
                Decimal128Builder::new()
                    .with_precision_and_scale(*p, *s)
                    .expect("DECIMAL(38,6) is a valid Arrow decimal"),
            ),
            _ => Column::Text(StringBuilder::new()),
        }
    }

    fn push(&mut self, cell: &SqlCell<'_>) -> Result<()> {
        match (self, cell) {
            (Column::Text(b), SqlCell::Text(s)) => b.append_value(s),
            (Column::Int32(b), SqlCell::Int(i)) => b.append_value(i32::try_from(*i)?),
            (Column::Int64(b), SqlCell::Int(i)) => b.append_value(*i),
            (Column::Bool(b), SqlCell::Bool(v)) => b.append_value(*v),
            (Column::Date(b), SqlCell::Date(d)) => b.append_value(*d),
            (Column::Code(b), SqlCell::Int(i)) => b.append_value(u8::try_from(*i)?),
            (Column::Money(b), SqlCell::Decimal(d)) => b.append_value(super::scale_6(d)?),
            (Column::Text(b), SqlCell::Null) => b.append_null(),
            (Column::Int32(b), SqlCell::Null) => b.append_null(),
            (Column::Int64(b), SqlCell::Null) => b.append_null(),
            (Column::Bool(b), SqlCell::Null) => b.append_null(),
            (Column::Date(b), SqlCell::Null) => b.append_null(),
            (Column::Code(b), SqlCell::Null) => b.append_null(),
            (Column::Money(b), SqlCell::Null) => b.append_null(),
            (_, other) => anyhow::bail!("a value of the wrong type for its column: {other:?}"),
        }
        Ok(())
    }

    fn finish(&mut self) -> ArrayRef {
        match self {
            Column::Text(b) => Arc::new(b.finish()),
            Column::Int32(b) => Arc::new(b.finish()),
            Column::Int64(b) => Arc::new(b.finish()),
            Column::Bool(b) => Arc::new(b.finish()),
            Column::Date(b) => Arc::new(b.finish()),
            Column::Money(b) => Arc::new(b.finish()),
            Column::Code(b) => Arc::new(b.finish()),
        }
    }

    fn len(&self) -> usize {
        match self {
            Column::Text(b) => b.len(),
            Column::Int32(b) => b.len(),
            Column::Int64(b) => b.len(),
            Column::Bool(b) => b.len(),
            Column::Date(b) => b.len(),
            Column::Money(b) => b.len(),
            Column::Code(b) => b.len(),
        }
    }
}

/// The Arrow type of a contract column, as the table DDL declares it.
fn arrow_type(ty: FieldType) -> DataType {
    match ty {
        FieldType::Money { .. } => DataType::Decimal128(38, 6),
        FieldType::Whole => DataType::Int64,
        FieldType::YesNo => DataType::Boolean,
        FieldType::Date | FieldType::DateInYear | FieldType::YearEnd => DataType::Date32,
        _ => DataType::Utf8,
    }
}

/// The rows of one sheet table being gathered, in the table's column order
/// (see `sheet_table_ddl`).
pub struct TableBatch {
    schema: Arc<Schema>,
    columns: Vec<Column>,
}

impl TableBatch {
    pub fn new(kind: SheetKind) -> Self {
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
        let columns = fields.iter().map(|f| Column::of(f.data_type())).collect();
        TableBatch {
            schema: Arc::new(Schema::new(fields)),
            columns,
        }
    }

    /// Add one row, given in the table's column order.
    pub fn push(&mut self, row: &[SqlCell<'_>]) -> Result<()> {
        anyhow::ensure!(
            row.len() == self.columns.len(),
            "a row of {} values for {} columns",
            row.len(),
            self.columns.len()
        );
        for (column, cell) in self.columns.iter_mut().zip(row) {
            column.push(cell)?;
        }
        Ok(())
    }

    pub fn rows(&self) -> usize {
        self.columns.first().map_or(0, Column::len)
    }

    /// The gathered rows as a record batch (none when empty); the builders
    /// start over.
    pub fn take(&mut self) -> Result<Option<RecordBatch>> {
        if self.rows() == 0 {
            return Ok(None);
        }
        let arrays: Vec<ArrayRef> = self.columns.iter_mut().map(Column::finish).collect();
        RecordBatch::try_new(self.schema.clone(), arrays)
            .map(Some)
            .context("cannot build a record batch")
    }
}
