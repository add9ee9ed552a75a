-- Lineage: for every headline figure of every year, the input cells it is
-- made of. One row per contributing value: the subject (company, bank,
-- partner, committee or event), the file, sheet and A1 cell, the raw text,
-- the unit applied and the normalised value. Summing `value` over a
-- metric's rows with role 'figure' gives the figure in headline.csv
-- exactly; a count contributes 1 per row. `chamberstat explain` reads this
-- view, and a test holds the identity for every metric.
--
-- party_org_coverage_vp_plus has two roles instead: 'numerator' and
-- 'denominator' (one row per 副会长以上 member each).

CREATE OR REPLACE VIEW lineage AS
WITH cell AS (
    SELECT path, sheet, row_no, field, cell, raw, unit, value FROM source_cells
),
-- Members of each year, traced to the registry row's credit-code cell.
members_traced AS (
    SELECT my.year, my.credit_code, my.name, r.path, r.sheet, r.row_no
    FROM member_years my
    JOIN member_registry r USING (credit_code)
),
-- Distinct partners: the first agreement (by file, row) stands for each.
banks_first AS (
    SELECT y.year, b.*, row_number() OVER (PARTITION BY y.year, b.bank ORDER BY b.path, b.row_no) AS k
    FROM years y JOIN bank_agreements b ON b.signed_on <= make_date(y.year, 12, 31)
),
districts_first AS (
    SELECT y.year, d.*, row_number() OVER (PARTITION BY y.year, d.partner ORDER BY d.path, d.row_no) AS k
    FROM years y JOIN district_agreements d ON d.signed_on <= make_date(y.year, 12, 31)
),
committees_first AS (
    SELECT e.*, row_number() OVER (PARTITION BY e.year, e.committee ORDER BY e.path, e.row_no) AS k
    FROM events e
),
financed_first AS (
    SELECT f.*, row_number() OVER (PARTITION BY f.year, f.credit_code ORDER BY f.path, f.row_no) AS k
    FROM financing_facilitated_rows f
)
-- Counts of members.
SELECT m.year, 'member_companies' AS metric, 'figure' AS role, m.credit_code, m.name AS subject,
       c.path, c.sheet, c.row_no, c.cell, c.raw, c.unit, c.value AS normalized, 1::DECIMAL(38,6) AS value
FROM members_traced m
JOIN cell c ON c.path = m.path AND c.sheet = m.sheet AND c.row_no = m.row_no AND c.field = 'credit_code'

UNION ALL
SELECT r.year, x.metric, 'figure', r.credit_code, r.name,
       c.path, c.sheet, c.row_no, c.cell, c.raw, c.unit, c.value, 1
FROM reporting_members r
CROSS JOIN (VALUES
    ('reporting_companies', 'credit_code'),
    ('listed_companies', 'listed'),
    ('china_private_top500', 'china_top500'),
    ('shanghai_private_top100', 'shanghai_top100')) x(metric, field)
JOIN cell c ON c.path = r.path AND c.sheet = r.sheet AND c.row_no = r.row_no AND c.field = x.field
WHERE x.field = 'credit_code'
   OR (x.field = 'listed' AND r.listed)
   OR (x.field = 'china_top500' AND r.china_top500)
   OR (x.field = 'shanghai_top100' AND r.shanghai_top100)

UNION ALL
-- Listed or leading: the 是否上市 cell when listed, else the 行业龙头 cell.
SELECT r.year, 'listed_or_leading', 'figure', r.credit_code, r.name,
       c.path, c.sheet, c.row_no, c.cell, c.raw, c.unit, c.value, 1
FROM reporting_members r
JOIN cell c ON c.path = r.path AND c.sheet = r.sheet AND c.row_no = r.row_no
 AND c.field = CASE WHEN r.listed THEN 'listed' ELSE 'industry_leader' END
WHERE r.listed OR r.industry_leader

UNION ALL
-- Sums over reporting members' 年度数据 cells.
SELECT r.year, x.metric, 'figure', r.credit_code, r.name,
       c.path, c.sheet, c.row_no, c.cell, c.raw, c.unit, c.value,
       CASE x.field
           WHEN 'revenue' THEN r.revenue
           WHEN 'tax' THEN r.tax
           WHEN 'jobs' THEN r.jobs
           WHEN 'donations' THEN r.donations
           WHEN 'party_members' THEN r.party_members
           WHEN 'profit_tax' THEN r.profit_tax
       END
FROM reporting_members r
CROSS JOIN (VALUES
    ('revenue_total', 'revenue'),
    ('tax_total', 'tax'),
    ('jobs_total', 'jobs'),
    ('donations_total', 'donations'),
    ('party_members_total', 'party_members'),
    ('profit_tax_total', 'profit_tax')) x(metric, field)
JOIN cell c ON c.path = r.path AND c.sheet = r.sheet AND c.row_no = r.row_no AND c.field = x.field

UNION ALL
-- 利税总额 derived from 利润总额 + 纳税总额: both source cells.
SELECT r.year, 'profit_tax_total', 'figure', r.credit_code, r.name,
       c.path, c.sheet, c.row_no, c.cell, c.raw, c.unit, c.value,
       CASE c.field WHEN 'profit' THEN r.profit ELSE r.tax END
FROM reporting_members r
JOIN cell c ON c.path = r.path AND c.sheet = r.sheet AND c.row_no = r.row_no AND c.field IN ('profit', 'tax')
WHERE r.profit_tax_derived

UNION ALL
-- Party organisation coverage: denominator and numerator members.
SELECT m.year, 'party_org_coverage_vp_plus', 'denominator', m.credit_code, m.name,
       c.path, c.sheet, c.row_no, c.cell, c.raw, c.unit, c.value, 1
FROM members_traced m
JOIN member_years my USING (year, credit_code)
JOIN cell c ON c.path = m.path AND c.sheet = m.sheet AND c.row_no = m.row_no AND c.field = 'tier'
WHERE my.vice_president_or_above

UNION ALL
SELECT r.year, 'party_org_coverage_vp_plus', 'numerator', r.credit_code, r.name,
       c.path, c.sheet, c.row_no, c.cell, c.raw, c.unit, c.value, 1
FROM reporting_members r
JOIN cell c ON c.path = r.path AND c.sheet = r.sheet AND c.row_no = r.row_no AND c.field = 'party_org'
WHERE r.vice_president_or_above AND r.party_org

UNION ALL
-- Facilitated financing, for the year and cumulatively.
SELECT y.year, x.metric, 'figure', f.credit_code, f.company || ' / ' || f.institution,
       c.path, c.sheet, c.row_no, c.cell, c.raw, c.unit, c.value, f.amount
FROM years y
JOIN financing_facilitated_rows f ON f.year <= y.year
LEFT JOIN opening_balance_applied o
  ON o.year = y.year AND o.metric = 'financing_facilitated_cumulative'
CROSS JOIN (VALUES ('financing_facilitated'), ('financing_facilitated_cumulative')) x(metric)
JOIN cell c ON c.path = f.path AND c.sheet = f.sheet AND c.row_no = f.row_no AND c.field = 'amount'
WHERE (x.metric = 'financing_facilitated' AND f.year = y.year)
   OR (x.metric = 'financing_facilitated_cumulative' AND (o.base_year IS NULL OR f.year > o.base_year))

UNION ALL
-- The opening balance a cumulative figure starts from: its own line.
SELECT o.year, o.metric, 'figure', NULL, '期初累计（截至 ' || CAST(o.as_of AS VARCHAR) || '）',
       c.path, c.sheet, c.row_no, c.cell, c.raw, c.unit, c.value, o.amount
FROM opening_balance_applied o
JOIN cell c ON c.path = o.path AND c.sheet = o.sheet AND c.row_no = o.row_no AND c.field = 'amount'

UNION ALL
SELECT f.year, 'financed_companies', 'figure', f.credit_code, f.company,
       c.path, c.sheet, c.row_no, c.cell, c.raw, c.unit, c.value, 1
FROM financed_first f
JOIN cell c ON c.path = f.path AND c.sheet = f.sheet AND c.row_no = f.row_no AND c.field = 'credit_code'
WHERE f.k = 1

UNION ALL
-- Bank and district partners (reference workbooks).
SELECT b.year, 'bank_partners', 'figure', NULL, b.bank,
       c.path, c.sheet, c.row_no, c.cell, c.raw, c.unit, c.value, 1
FROM banks_first b
JOIN cell c ON c.path = b.path AND c.sheet = b.sheet AND c.row_no = b.row_no AND c.field = 'bank'
WHERE b.k = 1

UNION ALL
SELECT b.year, 'bank_credit_lines_cumulative', 'figure', NULL, b.bank,
       c.path, c.sheet, c.row_no, c.cell, c.raw, c.unit, c.value, b.credit_line
FROM banks_first b
JOIN cell c ON c.path = b.path AND c.sheet = b.sheet AND c.row_no = b.row_no AND c.field = 'credit_line'

UNION ALL
SELECT d.year, 'district_partners', 'figure', NULL, d.partner,
       c.path, c.sheet, c.row_no, c.cell, c.raw, c.unit, c.value, 1
FROM districts_first d
JOIN cell c ON c.path = d.path AND c.sheet = d.sheet AND c.row_no = d.row_no AND c.field = 'partner'
WHERE d.k = 1

UNION ALL
SELECT d.year, 'investment_landed_cumulative', 'figure', NULL, d.partner,
       c.path, c.sheet, c.row_no, c.cell, c.raw, c.unit, c.value, d.investment
FROM districts_first d
JOIN cell c ON c.path = d.path AND c.sheet = d.sheet AND c.row_no = d.row_no AND c.field = 'investment'

UNION ALL
-- Committee activity.
SELECT e.year, 'committees_reporting', 'figure', NULL, e.committee,
       c.path, c.sheet, c.row_no, c.cell, c.raw, c.unit, c.value, 1
FROM committees_first e
JOIN cell c ON c.path = e.path AND c.sheet = e.sheet AND c.row_no = e.row_no AND c.field = 'committee'
WHERE e.k = 1

UNION ALL
SELECT e.year, x.metric, 'figure', NULL, e.committee || ' ' || e.name,
       c.path, c.sheet, c.row_no, c.cell, c.raw, c.unit, c.value,
       CASE x.field WHEN 'participants' THEN e.participants ELSE 1 END
FROM events_distinct e
CROSS JOIN (VALUES
    ('events_total', 'name'),
    ('campus_recruitment_events', 'kind'),
    ('event_participants_total', 'participants')) x(metric, field)
JOIN cell c ON c.path = e.path AND c.sheet = e.sheet AND c.row_no = e.row_no AND c.field = x.field
WHERE x.field <> 'kind' OR e.kind = '招聘会';
