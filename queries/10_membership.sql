-- Membership figures: how many members, how many reported, how many of
-- those carry each distinction, and the party organisation coverage of
-- 副会长以上 members. "Yes" counts only an explicit yes; a blank yes/no cell
-- counts as no.
--
-- Every figure of this file is defined once, by its contributing rows in
-- membership_rows (one row per member counted, at the cell that makes it
-- count): the figure is their sum, and `explain` lists the same rows
-- (figure_rows, 60_lineage.sql).

CREATE OR REPLACE VIEW membership_rows AS
-- A member of the year, at its registry row's 统一社会信用代码 cell.
SELECT my.year, 'member_companies' AS metric, 'figure' AS role, my.credit_code, my.name AS subject,
       r.path, r.sheet, r.row_no, 'credit_code' AS field, CAST(1 AS DECIMAL(38,6)) AS value
FROM member_years my
JOIN member_registry r USING (credit_code)
UNION ALL
-- A reporting member, and each distinction it reports yes to.
SELECT r.year, x.metric, 'figure', r.credit_code, r.name, r.path, r.sheet, r.row_no, x.field,
       CAST(1 AS DECIMAL(38,6))
FROM reporting_members r
CROSS JOIN (VALUES
    ('reporting_companies', 'credit_code'),
    ('listed_companies', 'listed'),
    ('china_private_top500', 'china_top500'),
    ('shanghai_private_top100', 'shanghai_top100')) x(metric, field)
WHERE x.field = 'credit_code'
   OR (x.field = 'listed' AND r.listed)
   OR (x.field = 'china_top500' AND r.china_top500)
   OR (x.field = 'shanghai_top100' AND r.shanghai_top100)
UNION ALL
-- Listed or leading: the 是否上市 cell when listed, else the 行业龙头 cell.
SELECT r.year, 'listed_or_leading', 'figure', r.credit_code, r.name, r.path, r.sheet, r.row_no,
       CASE WHEN r.listed THEN 'listed' ELSE 'industry_leader' END, CAST(1 AS DECIMAL(38,6))
FROM reporting_members r
WHERE r.listed OR r.industry_leader
UNION ALL
-- 副会长以上单位党组织覆盖率: the denominator counts every 副会长以上 member of
-- the year (its registry 会员级别 cell), reporting or not; the numerator
-- those with a reporting row saying 党组织 = yes.
SELECT m.year, 'party_org_coverage_vp_plus', 'denominator', m.credit_code, m.name,
       r.path, r.sheet, r.row_no, 'tier', CAST(1 AS DECIMAL(38,6))
FROM member_years m
JOIN member_registry r USING (credit_code)
WHERE m.vice_president_or_above
UNION ALL
SELECT r.year, 'party_org_coverage_vp_plus', 'numerator', r.credit_code, r.name,
       r.path, r.sheet, r.row_no, 'party_org', CAST(1 AS DECIMAL(38,6))
FROM reporting_members r
WHERE r.vice_president_or_above AND r.party_org;

INSERT INTO metric_values
SELECT year, metric, sum(value)
FROM membership_rows
WHERE metric = 'member_companies'
GROUP BY year, metric;

-- Every year with a reporting member has each of its distinctions, 0 too.
INSERT INTO metric_values
SELECT y.year, x.metric, coalesce(sum(r.value), 0)
FROM (SELECT DISTINCT year FROM reporting_members) y
CROSS JOIN (VALUES
    ('reporting_companies'), ('listed_companies'), ('listed_or_leading'),
    ('china_private_top500'), ('shanghai_private_top100')) x(metric)
LEFT JOIN membership_rows r ON r.year = y.year AND r.metric = x.metric
GROUP BY y.year, x.metric;

-- The share itself is made of its two parts in 55_headline.sql.
INSERT INTO metric_values
SELECT y.year, 'party_org_coverage_vp_plus:' || x.role, coalesce(sum(r.value), 0)
FROM (SELECT DISTINCT year FROM member_years WHERE vice_president_or_above) y
CROSS JOIN (VALUES ('numerator'), ('denominator')) x(role)
LEFT JOIN membership_rows r
  ON r.year = y.year AND r.metric = 'party_org_coverage_vp_plus' AND r.role = x.role
GROUP BY y.year, x.role;
