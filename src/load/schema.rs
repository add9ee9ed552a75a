//! The warehouse's shape: the fixed tables, one typed table per sheet kind
//! (derived from `contract::schema`, never from input data), the compact
//! lineage columns and the `source_cells` view that spells them back out,
//! and the rebuild of a warehouse whose schema version is older.

use anyhow::{Context, Result};
use duckdb::Connection;

use crate::contract::schema::{Column, FieldType, SheetKind};
use crate::ingest::batch::{is_money, unit_code, UNITS, UNIT_SOURCES};
use crate::ingest::rows::{col_letters, LAST_COL};
use crate::ingest::unit_label;

/// Bumped whenever a table's shape changes; an older warehouse is rebuilt.
pub(super) const SCHEMA_VERSION: i32 = 6;

/// Tables that hold no input sheet's rows.
pub(super) const FIXED_TABLES: &str = "
CREATE TABLE IF NOT EXISTS warehouse_meta (schema_version INTEGER);
CREATE TABLE IF NOT EXISTS input_files (
    path VARCHAR PRIMARY KEY, folder VARCHAR, year INTEGER, sha256 VARCHAR,
    bytes BIGINT, accepted BOOLEAN, data_rows BIGINT,
    -- The stat cache: size, modification time and inode when last hashed.
    -- mtime_ns is NULL when the file was modified too close to the read to
    -- be trusted (it is hashed again next time).
    mtime_ns BIGINT, inode BIGINT);
CREATE TABLE IF NOT EXISTS problems (
    path VARCHAR, year INTEGER, level VARCHAR, sheet VARCHAR, cell VARCHAR,
    raw VARCHAR, reason VARCHAR, code VARCHAR, subject VARCHAR);
CREATE TABLE IF NOT EXISTS sheets (
    path VARCHAR, year INTEGER, sheet VARCHAR, kind_table VARCHAR, header_row INTEGER,
    data_rows BIGINT, accepted_rows BIGINT, rejected_rows BIGINT, rejected BOOLEAN);
CREATE TABLE IF NOT EXISTS years (year INTEGER PRIMARY KEY);
CREATE TABLE IF NOT EXISTS metric_values (year INTEGER, metric VARCHAR, value DECIMAL(38,6));
-- The headline metrics of the output contract, in order, as the program
-- knows them (kind: count, money, percent): headline.csv is written by
-- this table's order from 55_headline.sql.
CREATE TABLE IF NOT EXISTS metric_contract (position INTEGER, metric VARCHAR, unit VARCHAR, kind VARCHAR);
-- The query files the views and macros were last created from.
CREATE TABLE IF NOT EXISTS query_digest (sha256 VARCHAR);
-- The DDL the sheet tables and lineage views were created from.
CREATE TABLE IF NOT EXISTS schema_digest (sha256 VARCHAR);
-- The letters of a 0-based column, as the readers spell A1 cells
-- (`ingest::rows::col_letters`): every column of Excel's grid, and any
-- past it that a loaded file named.
CREATE TABLE IF NOT EXISTS column_letters (col INTEGER PRIMARY KEY, letters VARCHAR);
";

pub(super) const FIXED_NAMES: [&str; 10] = [
    "warehouse_meta",
    "input_files",
    "sheets",
    "problems",
    "years",
    "metric_values",
    "query_digest",
    "schema_digest",
    "metric_contract",
    "column_letters",
];

/// The DDL of one sheet's table, derived from the static schema (never from
/// input data): provenance columns, one column per contract column, then
/// the compact lineage of each: `col_<field>` (0-based column of its cell),
/// `raw_<field>` (the cell's text, only where it differs from the value's
/// own), `unit_<field>` for money (the unit and its source as a code, see
/// [`unit_code`]), and `note_cell` (the A1 of a note above the header that
/// gave a value, as 填报单位 gives 专委会).
pub(super) fn sheet_table_ddl(kind: SheetKind) -> String {
    let mut cols: Vec<String> = kind
        .columns()
        .iter()
        .map(|c| format!("{} {}", c.field, c.ty.sql_type()))
        .collect();
    for c in kind.columns() {
        cols.push(format!("col_{} INTEGER", c.field));
        cols.push(format!("raw_{} VARCHAR", c.field));
        if is_money(c) {
            cols.push(format!("unit_{} UTINYINT", c.field));
        }
    }
    cols.push("note_cell VARCHAR".into());
    format!(
        "CREATE TABLE IF NOT EXISTS {} (path VARCHAR, sheet VARCHAR, row_no INTEGER, year INTEGER, {});",
        kind.table(),
        cols.join(", ")
    )
}

/// The SQL turning a unit code back into its label.
pub(super) fn unit_label_sql(expr: &str) -> String {
    let arms: Vec<String> = UNITS
        .iter()
        .flat_map(|u| UNIT_SOURCES.iter().map(move |s| (*u, *s)))
        .map(|pair| format!("WHEN {} THEN '{}'", unit_code(pair), unit_label(pair)))
        .collect();
    format!("CASE {expr} {} END", arms.join(" "))
}

/// A typed value as lineage prints it, in SQL: the same text as
/// [`Value::display`] (money in 元 without trailing zeros, yes/no, ISO
/// dates). A test holds the two to each other.
pub(super) fn display_sql(c: &Column, expr: &str) -> String {
    match c.ty {
        FieldType::Money { .. } | FieldType::Number => {
            format!("rtrim(rtrim(CAST({expr} AS VARCHAR), '0'), '.')")
        }
        FieldType::Whole | FieldType::Year | FieldType::Date | FieldType::DateInYear | FieldType::YearEnd => {
            format!("CAST({expr} AS VARCHAR)")
        }
        FieldType::YesNo => format!("CASE WHEN {expr} THEN 'yes' ELSE 'no' END"),
        _ => expr.to_string(),
    }
}

/// Fill `column_letters` with every column of Excel's grid, when it is
/// empty (a new warehouse).
fn fill_column_letters(conn: &Connection) -> Result<()> {
    let filled: i64 = conn.query_row("SELECT count(*) FROM column_letters", [], |r| r.get(0))?;
    if filled > 0 {
        return Ok(());
    }
    let mut app = conn.appender("column_letters")?;
    for col in 0..=LAST_COL {
        app.append_row(duckdb::params![col, col_letters(col)])?;
    }
    app.flush().context("cannot write the column letters")
}

/// Add the letters of columns past Excel's grid that a load named cells in.
pub(super) fn add_column_letters(conn: &Connection, cols: &std::collections::BTreeSet<u32>) -> Result<()> {
    let mut insert = conn.prepare("INSERT INTO column_letters VALUES (?, ?) ON CONFLICT DO NOTHING")?;
    for col in cols {
        insert.execute(duckdb::params![col, col_letters(*col)])?;
    }
    Ok(())
}

/// The view `source_cells`: one row per accepted input cell (file, sheet,
/// row, field, A1 cell, raw text, unit applied, normalised value), put back
/// together from the typed tables' lineage columns. Derived from the static
/// schema.
///
/// Beside it, `company_reports_cells`: the same rows of the company table
/// only, from the same branches, for the anomaly flags, which look up
/// company cells alone. DuckDB binds and optimises every branch of a view
/// each time a query names it, whatever its filter, so a view of one table
/// costs the flags a fraction of the whole. Only that one: every view is
/// bound again when it is created, at each open.
pub(super) fn source_cells_ddl() -> String {
    // The A1 cell is spelled once, over the union, rather than in every
    // branch: DuckDB binds every branch at every open and in every query
    // that names the view.
    let view = |name: &str, branches: Vec<String>| {
        format!(
            "CREATE OR REPLACE VIEW {name} AS\n\
             SELECT u.path, u.sheet, u.row_no, u.field, \
                    CASE WHEN u.col IS NULL THEN u.note_cell \
                         ELSE l.letters || CAST(u.row_no AS VARCHAR) END AS cell, \
                    u.raw, u.unit, u.value\n\
             FROM (\n{}\n) u LEFT JOIN column_letters l ON l.col = u.col;\n",
            branches.join("\nUNION ALL\n")
        )
    };
    let all = SheetKind::ALL.into_iter().flat_map(cell_branches).collect();
    let company = SheetKind::CompanyAnnual;
    view("source_cells", all) + &view(&format!("{}_cells", company.table()), cell_branches(company))
}

/// One SELECT per column of `kind`'s table: its accepted cells, with the
/// column (or the note cell) their A1 cell is spelled from.
fn cell_branches(kind: SheetKind) -> Vec<String> {
    kind.columns()
        .iter()
        .map(|c| {
            let f = c.field;
            let value = display_sql(c, &format!("t.{f}"));
            let unit = if is_money(c) {
                unit_label_sql(&format!("t.unit_{f}"))
            } else {
                "CAST(NULL AS VARCHAR)".into()
            };
            format!(
                "SELECT t.path, t.sheet, t.row_no, '{f}' AS field, t.col_{f} AS col, t.note_cell, \
                 coalesce(t.raw_{f}, {value}) AS raw, {unit} AS unit, {value} AS value \
                 FROM {table} t WHERE t.{f} IS NOT NULL",
                table = kind.table()
            )
        })
        .collect()
}

/// Every statement that shapes the warehouse beyond its fixed tables.
fn shape_ddl() -> Vec<String> {
    let mut ddl: Vec<String> = SheetKind::ALL.into_iter().map(sheet_table_ddl).collect();
    ddl.push(source_cells_ddl());
    ddl
}

pub(super) fn ensure_schema(conn: &Connection) -> Result<()> {
    conn.execute_batch(FIXED_TABLES)
        .context("cannot create the warehouse tables")?;
    let version: Option<i32> = conn
        .query_row("SELECT max(schema_version) FROM warehouse_meta", [], |r| r.get(0))
        .context("cannot read the warehouse schema version")?;
    if version.is_some_and(|v| v != SCHEMA_VERSION) {
        tracing::warn!(
            found = version,
            expected = SCHEMA_VERSION,
            "warehouse schema changed; rebuilding it"
        );
        // Views over the tables go first (the queries recreate theirs).
        conn.execute_batch(
            "DROP VIEW IF EXISTS source_cells CASCADE; DROP TABLE IF EXISTS source_cells CASCADE;",
        )?;
        for kind in SheetKind::ALL {
            conn.execute_batch(&format!("DROP TABLE IF EXISTS {} CASCADE;", kind.table()))?;
        }
        for t in FIXED_NAMES {
            conn.execute_batch(&format!("DROP TABLE IF EXISTS {t} CASCADE;"))?;
        }
        conn.execute_batch(FIXED_TABLES)?;
    }
    // The tables, macro and views as the last open left them, when this
    // program's DDL is the same: creating the views binds every branch of
    // them, most of the cost of opening a warehouse.
    let ddl = shape_ddl();
    let digest = crate::util::hash::sha256_hex(ddl.concat().as_bytes());
    let recorded: Option<String> =
        conn.query_row("SELECT max(sha256) FROM schema_digest", [], |r| r.get(0))?;
    if version == Some(SCHEMA_VERSION) && recorded.as_deref() == Some(digest.as_str()) {
        return Ok(());
    }
    for (kind, statement) in SheetKind::ALL.iter().zip(&ddl) {
        conn.execute_batch(statement)
            .with_context(|| format!("cannot create table {}", kind.table()))?;
    }
    fill_column_letters(conn)?;
    conn.execute_batch(&source_cells_ddl())
        .context("cannot create the view source_cells")?;
    if version != Some(SCHEMA_VERSION) {
        conn.execute("DELETE FROM warehouse_meta", [])?;
        conn.execute("INSERT INTO warehouse_meta VALUES (?)", [SCHEMA_VERSION])?;
    }
    conn.execute("DELETE FROM schema_digest", [])?;
    conn.execute("INSERT INTO schema_digest VALUES (?)", [&digest])?;
    Ok(())
}

/// Every table holding rows that came from one input file.
pub fn per_file_tables() -> Vec<&'static str> {
    let mut t: Vec<&str> = SheetKind::ALL.iter().map(|k| k.table()).collect();
    t.extend(["input_files", "sheets", "problems"]);
    t
}
