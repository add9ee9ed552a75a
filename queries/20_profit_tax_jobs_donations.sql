-- Money and head-count totals of reporting members (members with a winning
-- 年度数据 row for the year). Sums are exact DECIMAL(38,6) in 元; a missing
-- value adds nothing (it is not a zero that was reported). A 利税总额 left
-- blank beside both 利润总额 and 纳税总额 is their sum: both cells count.
--
-- One definition per figure: company_total_rows holds every value summed,
-- at its cell; the figures are their sums and `explain` lists the rows.

CREATE OR REPLACE VIEW company_total_rows AS
SELECT r.year, x.metric, 'figure' AS role, r.credit_code, r.name AS subject,
       r.path, r.sheet, r.row_no, x.field,
       CASE x.field
           WHEN 'revenue' THEN r.revenue
           WHEN 'tax' THEN r.tax
           WHEN 'jobs' THEN r.jobs
           WHEN 'donations' THEN r.donations
           WHEN 'party_members' THEN r.party_members
           WHEN 'profit_tax' THEN r.profit_tax
       END AS value
FROM reporting_members r
CROSS JOIN (VALUES
    ('revenue_total', 'revenue'),
    ('tax_total', 'tax'),
    ('jobs_total', 'jobs'),
    ('donations_total', 'donations'),
    ('party_members_total', 'party_members'),
    ('profit_tax_total', 'profit_tax')) x(metric, field)
WHERE CASE x.field
          WHEN 'revenue' THEN r.revenue
          WHEN 'tax' THEN r.tax
          WHEN 'jobs' THEN r.jobs
          WHEN 'donations' THEN r.donations
          WHEN 'party_members' THEN r.party_members
          WHEN 'profit_tax' THEN r.profit_tax
      END IS NOT NULL
UNION ALL
-- 利税总额 derived from 利润总额 + 纳税总额.
SELECT r.year, 'profit_tax_total', 'figure', r.credit_code, r.name,
       r.path, r.sheet, r.row_no, x.field,
       CASE x.field WHEN 'profit' THEN r.profit ELSE r.tax END
FROM reporting_members r
CROSS JOIN (VALUES ('profit'), ('tax')) x(field)
WHERE r.profit_tax_derived;

-- Every year with a reporting member has each total, 0 too. Cast to
-- DECIMAL(38,6): the engines widen decimal sums differently.
INSERT INTO metric_values
SELECT y.year, x.metric, CAST(coalesce(sum(r.value), 0) AS DECIMAL(38,6))
FROM (SELECT DISTINCT year FROM reporting_members) y
CROSS JOIN (VALUES
    ('revenue_total'), ('profit_tax_total'), ('tax_total'), ('jobs_total'),
    ('donations_total'), ('party_members_total')) x(metric)
LEFT JOIN company_total_rows r ON r.year = y.year AND r.metric = x.metric
GROUP BY y.year, x.metric;
