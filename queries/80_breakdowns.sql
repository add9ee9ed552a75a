-- Breakdowns for the secretariat's summary.xlsx, one view per sheet, every
-- year at once (the emit stage selects one). Each breakdown adds up to its
-- headline figure: members without a committee and events without a type
-- are their own group, never dropped.

-- 分专委会: members by the committee the registry gives them, with the
-- figures of those who report, and the events each committee held.
CREATE OR REPLACE VIEW breakdown_by_committee AS
WITH groups AS (
    SELECT year, coalesce(committee, '（未分专委会）') AS committee FROM member_years
    UNION
    SELECT year, committee FROM events_distinct
), m AS (
    SELECT year, coalesce(committee, '（未分专委会）') AS committee, count(*) AS members
    FROM member_years GROUP BY ALL
), r AS (
    SELECT year, coalesce(member_committee, '（未分专委会）') AS committee,
           count(*) AS reporting,
           coalesce(sum(profit_tax_effective), 0) AS profit_tax,
           coalesce(sum(jobs), 0) AS jobs,
           coalesce(sum(donations), 0) AS donations
    FROM reporting_members GROUP BY ALL
), f AS (
    SELECT f.year, coalesce(r.member_committee, '（未分专委会）') AS committee, sum(f.amount) AS financing
    FROM financing_facilitated_rows f
    JOIN reporting_members r USING (credit_code, year)
    GROUP BY ALL
), e AS (
    SELECT year, committee, count(*) AS events FROM events_distinct GROUP BY ALL
)
SELECT g.year, g.committee,
       coalesce(m.members, 0) AS members,
       coalesce(r.reporting, 0) AS reporting,
       coalesce(r.profit_tax, 0)::DECIMAL(38,6) AS profit_tax,
       coalesce(r.jobs, 0)::BIGINT AS jobs,
       coalesce(r.donations, 0)::DECIMAL(38,6) AS donations,
       coalesce(f.financing, 0)::DECIMAL(38,6) AS financing_facilitated,
       coalesce(e.events, 0) AS events
FROM groups g
LEFT JOIN m USING (year, committee)
LEFT JOIN r USING (year, committee)
LEFT JOIN f USING (year, committee)
LEFT JOIN e USING (year, committee);

-- 分会员级别: by membership tier.
CREATE OR REPLACE VIEW breakdown_by_tier AS
SELECT m.year, m.tier,
       count(*) AS members,
       count(r.credit_code) AS reporting,
       coalesce(sum(r.profit_tax_effective), 0)::DECIMAL(38,6) AS profit_tax,
       coalesce(sum(r.jobs), 0)::BIGINT AS jobs,
       coalesce(sum(r.donations), 0)::DECIMAL(38,6) AS donations,
       count(*) FILTER (WHERE r.party_org) AS party_org
FROM member_years m
LEFT JOIN reporting_members r USING (credit_code, year)
GROUP BY m.year, m.tier;

-- 金融支持按机构: facilitated financing by institution.
CREATE OR REPLACE VIEW breakdown_financing_by_institution AS
SELECT year, institution,
       count(*) AS rows,
       count(DISTINCT credit_code) AS companies,
       sum(amount)::DECIMAL(38,6) AS amount
FROM financing_facilitated_rows
GROUP BY year, institution;

-- 活动统计: distinct events by committee and type.
CREATE OR REPLACE VIEW breakdown_events AS
SELECT year, committee, coalesce(kind, '（未填类型）') AS kind,
       count(*) AS events,
       coalesce(sum(participants), 0)::BIGINT AS participants
FROM events_distinct
GROUP BY ALL;

-- The 合计 row of every breakdown, per year. Counted over the warehouse,
-- not added up over the rows: a company financed by two banks is one
-- company, so 企业(家) is a distinct count, and every total equals its
-- headline figure (a test holds them to it). A table, computed once per
-- aggregation: four sheets read it.
CREATE OR REPLACE TABLE breakdown_totals AS
SELECT y.year,
       (SELECT count(*) FROM member_years m WHERE m.year = y.year) AS members,
       (SELECT count(*) FROM reporting_members r WHERE r.year = y.year) AS reporting,
       (SELECT coalesce(sum(profit_tax_effective), 0) FROM reporting_members r WHERE r.year = y.year)::DECIMAL(38,6) AS profit_tax,
       (SELECT coalesce(sum(jobs), 0) FROM reporting_members r WHERE r.year = y.year)::BIGINT AS jobs,
       (SELECT coalesce(sum(donations), 0) FROM reporting_members r WHERE r.year = y.year)::DECIMAL(38,6) AS donations,
       (SELECT count(*) FILTER (WHERE party_org) FROM reporting_members r WHERE r.year = y.year) AS party_org,
       (SELECT count(*) FROM financing_facilitated_rows f WHERE f.year = y.year) AS financing_rows,
       (SELECT count(DISTINCT credit_code) FROM financing_facilitated_rows f WHERE f.year = y.year) AS financed_companies,
       (SELECT coalesce(sum(amount), 0) FROM financing_facilitated_rows f WHERE f.year = y.year)::DECIMAL(38,6) AS financing_amount,
       (SELECT count(*) FROM events_distinct e WHERE e.year = y.year) AS events,
       (SELECT coalesce(sum(participants), 0) FROM events_distinct e WHERE e.year = y.year)::BIGINT AS participants
FROM years y;

-- 数据质量: what was set aside, by kind, per year (reference problems count
-- in every year), in the secretariat's words, with where each is listed.
CREATE OR REPLACE VIEW data_quality AS
WITH p AS (
    SELECT y.year, p.level FROM years y JOIN problems p ON p.year = y.year OR p.year IS NULL
)
SELECT y.year, item, count, listed_in, ord
FROM years y,
LATERAL (
    SELECT 1 AS ord, '未计入的文件' AS item, (SELECT count(*) FROM p WHERE p.year = y.year AND p.level = 'file') AS count, 'rejects.xlsx 问题清单' AS listed_in
    UNION ALL SELECT 2, '未计入的工作表', (SELECT count(*) FROM p WHERE p.year = y.year AND p.level = 'sheet'), 'rejects.xlsx 问题清单'
    UNION ALL SELECT 3, '未计入的数据行', (SELECT count(*) FROM p WHERE p.year = y.year AND p.level = 'row'), 'rejects.xlsx 问题清单'
    UNION ALL SELECT 4, '按缺失处理的单元格', (SELECT count(*) FROM p WHERE p.year = y.year AND p.level = 'cell'), 'rejects.xlsx 问题清单'
    UNION ALL SELECT 5, '未读取的文件（不是工作簿）', (SELECT count(*) FROM p WHERE p.year = y.year AND p.level = 'skipped'), 'rejects.xlsx 问题清单'
    UNION ALL SELECT 6, '被较新报送替代的文件', (SELECT count(*) FROM superseded_submissions s WHERE s.year = y.year), 'rejects.xlsx 被替代的报送'
    UNION ALL SELECT 7, '非会员企业数据行', (SELECT count(*) FROM non_member_rows n WHERE n.year = y.year), 'rejects.xlsx 非会员数据'
    UNION ALL SELECT 8, '重复报送的活动', (SELECT count(*) FROM event_duplicates d WHERE d.year = y.year), 'rejects.xlsx 重复活动'
    UNION ALL SELECT 9, '与上年相差千倍以上的数值', (SELECT count(*) FROM anomalies a WHERE a.year = y.year), 'anomalies.csv'
);
