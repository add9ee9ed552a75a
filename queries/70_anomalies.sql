-- Year-over-year anomaly flags: a company value that moved by a factor of
-- 1,000 or more (up or down) against the company's previous year is the
-- typical 元/万元 slip (×10,000). Flagged for a person to look at, never
-- rejected and never corrected: the figures use the value as submitted.
-- Only winning submissions are compared; zero and missing values are not.

-- The rule, in one place: two non-zero values a factor of 1,000 or more
-- apart. `chamberstat check` calls this macro from the warehouse too.
CREATE OR REPLACE MACRO moved_thousandfold(cur, prev) AS
    cur <> 0 AND prev <> 0
    AND (abs(CAST(cur AS DOUBLE)) >= 1000 * abs(CAST(prev AS DOUBLE))
      OR abs(CAST(prev AS DOUBLE)) >= 1000 * abs(CAST(cur AS DOUBLE)));

CREATE OR REPLACE VIEW company_values AS
SELECT year, credit_code, name, path, sheet, row_no, field, value
FROM (
    SELECT year, credit_code, name, path, sheet, row_no,
           revenue, profit, tax, profit_tax, donations,
           CAST(jobs AS DECIMAL(38,6)) AS jobs,
           CAST(party_members AS DECIMAL(38,6)) AS party_members
    FROM company_current
) UNPIVOT (value FOR field IN (revenue, profit, tax, profit_tax, donations, jobs, party_members));

-- Computed once per aggregation into a table (the outputs, data_quality and
-- the run summary all read it; the lineage behind c.cell/c.raw is a view
-- over every typed table and costs to join). `anomalies` is the view over it.
-- A company's row is paired with its previous year's row first, then the
-- pairs are unpivoted into one line per field: joining company_values to
-- itself held seven times the rows in its hash table (330 MB against 140 MB
-- at 30,000 members).
CREATE OR REPLACE TABLE anomaly_flags AS
WITH pairs AS (
    SELECT cur.year, cur.credit_code, cur.name, cur.path, cur.sheet, cur.row_no,
           prev.path AS previous_path,
           cur.revenue AS c_revenue, prev.revenue AS p_revenue,
           cur.profit AS c_profit, prev.profit AS p_profit,
           cur.tax AS c_tax, prev.tax AS p_tax,
           cur.profit_tax AS c_profit_tax, prev.profit_tax AS p_profit_tax,
           cur.donations AS c_donations, prev.donations AS p_donations,
           CAST(cur.jobs AS DECIMAL(38,6)) AS c_jobs, CAST(prev.jobs AS DECIMAL(38,6)) AS p_jobs,
           CAST(cur.party_members AS DECIMAL(38,6)) AS c_party_members,
           CAST(prev.party_members AS DECIMAL(38,6)) AS p_party_members
    FROM company_current cur
    JOIN company_current prev ON prev.credit_code = cur.credit_code AND prev.year = cur.year - 1
), flagged AS MATERIALIZED (
    SELECT year, credit_code, name, field, previous_value, current_value,
           abs(CAST(current_value AS DOUBLE)) / abs(CAST(previous_value AS DOUBLE)) AS factor,
           path, sheet, row_no, previous_path
    FROM pairs
    UNPIVOT ((current_value, previous_value) FOR field IN (
        (c_revenue, p_revenue) AS 'revenue', (c_profit, p_profit) AS 'profit', (c_tax, p_tax) AS 'tax',
        (c_profit_tax, p_profit_tax) AS 'profit_tax', (c_donations, p_donations) AS 'donations',
        (c_jobs, p_jobs) AS 'jobs', (c_party_members, p_party_members) AS 'party_members'))
    WHERE moved_thousandfold(current_value, previous_value)
)
-- The flagged cells' A1 and raw text, looked up only in the flagged files,
-- in the company table's cells (source_cells would bind every table's).
SELECT f.year, f.credit_code, f.name, f.field, f.previous_value, f.current_value, f.factor,
       f.path, f.sheet, c.cell, c.raw, f.previous_path
FROM flagged f
LEFT JOIN (SELECT * FROM company_reports_cells WHERE path IN (SELECT path FROM flagged)) c
  ON c.path = f.path AND c.sheet = f.sheet AND c.row_no = f.row_no AND c.field = f.field;

CREATE OR REPLACE VIEW anomalies AS SELECT * FROM anomaly_flags;
