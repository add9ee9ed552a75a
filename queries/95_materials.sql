-- The annual materials (shared/spec/materials.md): the secretariat's own
-- facts (工作台账) and the agreement rows a template may list. Only the
-- DuckDB emitter reads these; they are not figures of headline.csv.

-- 工作台账: one row per (指标代码, 年度). The same pair twice keeps the row
-- of the file path that sorts first, then the upper row; the others are
-- rejected duplicates (`ledger_duplicates`, in the call-back list).
CREATE OR REPLACE VIEW ledger_ranked AS
SELECT path, sheet, row_no, code, label, fact_year, value, unit, note, col_value,
       row_number() OVER (PARTITION BY code, fact_year ORDER BY path, row_no) AS occurrence
FROM ledger_facts;

CREATE OR REPLACE VIEW ledger_distinct AS
SELECT * EXCLUDE (occurrence) FROM ledger_ranked WHERE occurrence = 1;

CREATE OR REPLACE VIEW ledger_duplicates AS
SELECT r.*, k.path AS kept_path, k.row_no AS kept_row
FROM ledger_ranked r
JOIN ledger_ranked k
  ON k.code = r.code AND k.fact_year IS NOT DISTINCT FROM r.fact_year AND k.occurrence = 1
WHERE r.occurrence > 1;

-- A fact's value for year Y: its row with the latest 年度 ≤ Y, else its row
-- without a 年度; a fact with neither is unknown for Y.
CREATE OR REPLACE MACRO ledger_for(y) AS TABLE
SELECT code, label, fact_year, value, unit, note, path, sheet, row_no, col_value
FROM (
    SELECT *,
           row_number() OVER (
               PARTITION BY code
               ORDER BY fact_year IS NULL, fact_year DESC
           ) AS pick
    FROM ledger_distinct
    WHERE fact_year IS NULL OR fact_year <= y
)
WHERE pick = 1;

-- The agreements signed on or before 31 Dec Y, in 签约日期 order (then
-- file and row), every column of their table: what `银会合作` and `区域合作`
-- list in a template. The same rule as the figures of 40_partners.sql.
CREATE OR REPLACE MACRO bank_agreements_by(y) AS TABLE
SELECT * FROM bank_agreements
WHERE signed_on <= make_date(y, 12, 31)
ORDER BY signed_on, path, row_no;

CREATE OR REPLACE MACRO district_agreements_by(y) AS TABLE
SELECT * FROM district_agreements
WHERE signed_on <= make_date(y, 12, 31)
ORDER BY signed_on, path, row_no;
