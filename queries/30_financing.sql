-- Financing the chamber helped bring about (金融支持 with 经商会促成 = yes),
-- from winning submissions of reporting members only. Rows dated outside
-- their reporting year were rejected at ingest.
--
-- One definition per figure: financing_rows holds every amount and company
-- counted, at its cell; the figures are their sums and `explain` lists them.

CREATE OR REPLACE VIEW financing_facilitated_rows AS
SELECT f.*, r.name AS company
FROM financing_current f
JOIN reporting_members r USING (credit_code, year)
WHERE f.facilitated;

-- Opening balances (期初累计, optional reference sheet): the chamber's count
-- from before workbooks were collected, as of 31 Dec of a year B. For a
-- year Y the balance with the latest B ≤ Y applies (a later balance
-- replaces an earlier one; two rows with the same date: the later file and
-- row). There is none for Y < B.
CREATE OR REPLACE VIEW opening_balance_applied AS
SELECT year, metric, as_of, base_year, amount, path, sheet, row_no
FROM (
    SELECT y.year, b.metric, b.as_of, year(b.as_of) AS base_year, b.amount, b.path, b.sheet, b.row_no,
           row_number() OVER (PARTITION BY y.year, b.metric
                              ORDER BY b.as_of DESC, b.path DESC, b.row_no DESC) AS k
    FROM years y
    JOIN opening_balances b ON year(b.as_of) <= y.year
)
WHERE k = 1;

CREATE OR REPLACE VIEW financing_rows AS
-- The year's facilitated amounts, and for the cumulative figure every year
-- after the applicable balance's B up to Y (every year up to Y without a
-- balance); membership is judged per year.
SELECT y.year, x.metric, 'figure' AS role, f.credit_code, f.company || ' / ' || f.institution AS subject,
       f.path, f.sheet, f.row_no, 'amount' AS field, f.amount AS value
FROM years y
JOIN financing_facilitated_rows f ON f.year <= y.year
LEFT JOIN opening_balance_applied o
  ON o.year = y.year AND o.metric = 'financing_facilitated_cumulative'
CROSS JOIN (VALUES ('financing_facilitated'), ('financing_facilitated_cumulative')) x(metric)
WHERE (x.metric = 'financing_facilitated' AND f.year = y.year)
   OR (x.metric = 'financing_facilitated_cumulative' AND (o.base_year IS NULL OR f.year > o.base_year))
UNION ALL
-- The opening balance a cumulative figure starts from: its own row.
SELECT o.year, o.metric, 'figure', CAST(NULL AS VARCHAR), '期初累计（截至 ' || CAST(o.as_of AS VARCHAR) || '）',
       o.path, o.sheet, o.row_no, 'amount', o.amount
FROM opening_balance_applied o
UNION ALL
-- A financed company: its first facilitated row of the year (by file, row).
SELECT f.year, 'financed_companies', 'figure', f.credit_code, f.company,
       f.path, f.sheet, f.row_no, 'credit_code', CAST(1 AS DECIMAL(38,6))
FROM (
    SELECT year, credit_code, company, path, sheet, row_no,
           row_number() OVER (PARTITION BY year, credit_code ORDER BY path, row_no) AS k
    FROM financing_facilitated_rows
) f
WHERE f.k = 1;

-- Every year has each figure, 0 too.
INSERT INTO metric_values
SELECT y.year, x.metric, CAST(coalesce(sum(r.value), 0) AS DECIMAL(38,6))
FROM years y
CROSS JOIN (VALUES
    ('financing_facilitated'), ('financing_facilitated_cumulative'), ('financed_companies')) x(metric)
LEFT JOIN financing_rows r ON r.year = y.year AND r.metric = x.metric
GROUP BY y.year, x.metric;
