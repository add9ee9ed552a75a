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

-- Cumulative: every year up to and including Y found in the warehouse,
-- membership judged per year.
INSERT INTO metric_values
SELECT y.year, 'financing_facilitated_cumulative', coalesce(sum(f.amount), 0)
FROM years y
LEFT JOIN financing_facilitated_rows f ON f.year <= y.year
GROUP BY y.year;

INSERT INTO metric_values
SELECT y.year, 'financed_companies', count(DISTINCT f.credit_code)
FROM years y
LEFT JOIN financing_facilitated_rows f USING (year)
GROUP BY y.year;
