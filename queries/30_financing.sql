-- Financing the chamber helped bring about (金融支持 with 经商会促成 = yes),
-- from winning submissions of reporting members only. Rows dated outside
-- their reporting year were rejected at ingest.

CREATE OR REPLACE VIEW financing_facilitated_rows AS
SELECT f.*, r.name AS company
FROM financing_current f
JOIN reporting_members r USING (credit_code, year)
WHERE f.facilitated;

INSERT INTO metric_values
SELECT y.year, 'financing_facilitated', coalesce(sum(f.amount), 0)
FROM years y
LEFT JOIN financing_facilitated_rows f USING (year)
GROUP BY y.year;

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

-- Cumulative: the applicable opening balance plus every year after its B up
-- to and including Y; without a balance, every year up to Y found in the
-- warehouse. Membership is judged per year.
INSERT INTO metric_values
SELECT y.year, 'financing_facilitated_cumulative',
       coalesce(any_value(o.amount), 0) + coalesce(sum(f.amount), 0)
FROM years y
LEFT JOIN opening_balance_applied o
  ON o.year = y.year AND o.metric = 'financing_facilitated_cumulative'
LEFT JOIN financing_facilitated_rows f
  ON f.year <= y.year AND (o.base_year IS NULL OR f.year > o.base_year)
GROUP BY y.year;

INSERT INTO metric_values
SELECT y.year, 'financed_companies', count(DISTINCT f.credit_code)
FROM years y
LEFT JOIN financing_facilitated_rows f USING (year)
GROUP BY y.year;
