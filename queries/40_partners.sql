-- Partners from the secretariat's reference workbooks: banks (银会合作) and
-- districts (区域合作). An agreement counts for year Y once signed on or
-- before 31 Dec Y. Partners are counted distinct by name (the first
-- agreement, by file and row, stands for each); amounts are summed over
-- every agreement, so a renewed agreement adds its new amount.
--
-- One definition per figure: partner_rows, summed; `explain` lists them.

CREATE OR REPLACE VIEW partner_rows AS
WITH banks AS (
    SELECT y.year, b.bank, b.credit_line, b.path, b.sheet, b.row_no,
           row_number() OVER (PARTITION BY y.year, b.bank ORDER BY b.path, b.row_no) AS k
    FROM years y
    JOIN bank_agreements b ON b.signed_on <= make_date(y.year, 12, 31)
),
districts AS (
    SELECT y.year, d.partner, d.investment, d.path, d.sheet, d.row_no,
           row_number() OVER (PARTITION BY y.year, d.partner ORDER BY d.path, d.row_no) AS k
    FROM years y
    JOIN district_agreements d ON d.signed_on <= make_date(y.year, 12, 31)
)
SELECT year, 'bank_partners' AS metric, 'figure' AS role, CAST(NULL AS VARCHAR) AS credit_code,
       bank AS subject, path, sheet, row_no, 'bank' AS field, CAST(1 AS DECIMAL(38,6)) AS value
FROM banks WHERE k = 1
UNION ALL
SELECT year, 'bank_credit_lines_cumulative', 'figure', CAST(NULL AS VARCHAR), bank,
       path, sheet, row_no, 'credit_line', credit_line
FROM banks WHERE credit_line IS NOT NULL
UNION ALL
SELECT year, 'district_partners', 'figure', CAST(NULL AS VARCHAR), partner,
       path, sheet, row_no, 'partner', CAST(1 AS DECIMAL(38,6))
FROM districts WHERE k = 1
UNION ALL
SELECT year, 'investment_landed_cumulative', 'figure', CAST(NULL AS VARCHAR), partner,
       path, sheet, row_no, 'investment', investment
FROM districts WHERE investment IS NOT NULL;

-- Every year has each figure, 0 too.
INSERT INTO metric_values
SELECT y.year, x.metric, CAST(coalesce(sum(r.value), 0) AS DECIMAL(38,6))
FROM years y
CROSS JOIN (VALUES
    ('bank_partners'), ('bank_credit_lines_cumulative'),
    ('district_partners'), ('investment_landed_cumulative')) x(metric)
LEFT JOIN partner_rows r ON r.year = y.year AND r.metric = x.metric
GROUP BY y.year, x.metric;
