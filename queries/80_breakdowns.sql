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
-- aggregation: four sheets read it. One grouped pass per source, joined by
-- year: as eleven correlated subqueries DuckDB bound and planned each view
-- again, 40 ms of a 3,000-member run against 17 now (88 against 41 ms at
-- 30,000 members; same rows and types).
CREATE OR REPLACE TABLE breakdown_totals AS
WITH m AS (
    SELECT year, count(*) AS members FROM member_years GROUP BY year
), r AS (
    SELECT year, count(*) AS reporting,
           sum(profit_tax_effective) AS profit_tax, sum(jobs) AS jobs, sum(donations) AS donations,
           count(*) FILTER (WHERE party_org) AS party_org
    FROM reporting_members GROUP BY year
), f AS (
    SELECT year, count(*) AS financing_rows, count(DISTINCT credit_code) AS financed_companies,
           sum(amount) AS financing_amount
    FROM financing_facilitated_rows GROUP BY year
), e AS (
    SELECT year, count(*) AS events, sum(participants) AS participants FROM events_distinct GROUP BY year
)
SELECT y.year,
       coalesce(m.members, 0) AS members,
       coalesce(r.reporting, 0) AS reporting,
       coalesce(r.profit_tax, 0)::DECIMAL(38,6) AS profit_tax,
       coalesce(r.jobs, 0)::BIGINT AS jobs,
       coalesce(r.donations, 0)::DECIMAL(38,6) AS donations,
       coalesce(r.party_org, 0) AS party_org,
       coalesce(f.financing_rows, 0) AS financing_rows,
       coalesce(f.financed_companies, 0) AS financed_companies,
       coalesce(f.financing_amount, 0)::DECIMAL(38,6) AS financing_amount,
       coalesce(e.events, 0) AS events,
       coalesce(e.participants, 0)::BIGINT AS participants
FROM years y
LEFT JOIN m USING (year)
LEFT JOIN r USING (year)
LEFT JOIN f USING (year)
LEFT JOIN e USING (year);

-- 数据质量: what was set aside, by kind, per year (reference problems count
-- in every year), in the secretariat's words, with where each is listed.
-- Each source is counted in one grouped pass and joined to the list of
-- items; a correlated subquery per item planned its source again (a year's
-- sheet took ~20 ms at 3,000 members, ~11 now).
CREATE OR REPLACE VIEW data_quality AS
WITH items(ord, item, listed_in) AS (
    VALUES (1, '未计入的文件', 'rejects.xlsx 问题清单'),
           (2, '未计入的工作表', 'rejects.xlsx 问题清单'),
           (3, '未计入的数据行', 'rejects.xlsx 问题清单'),
           (4, '按缺失处理的单元格', 'rejects.xlsx 问题清单'),
           (5, '未读取的文件（不是工作簿）', 'rejects.xlsx 问题清单'),
           (6, '被较新报送替代的文件', 'rejects.xlsx 被替代的报送'),
           (7, '非会员企业数据行', 'rejects.xlsx 非会员数据'),
           (8, '重复报送的活动', 'rejects.xlsx 重复活动'),
           (9, '与上年相差千倍以上的数值', 'anomalies.csv')
), counts AS (
    SELECT y.year,
           CASE p.level WHEN 'file' THEN 1 WHEN 'sheet' THEN 2 WHEN 'row' THEN 3
                        WHEN 'cell' THEN 4 WHEN 'skipped' THEN 5 END AS ord,
           count(*) AS n
    FROM years y JOIN problems p ON p.year = y.year OR p.year IS NULL
    GROUP BY ALL
    UNION ALL SELECT year, 6, count(*) FROM superseded_submissions GROUP BY year
    UNION ALL SELECT year, 7, count(*) FROM non_member_rows GROUP BY year
    UNION ALL SELECT year, 8, count(*) FROM event_duplicates GROUP BY year
    UNION ALL SELECT year, 9, count(*) FROM anomalies GROUP BY year
)
SELECT y.year, i.item, coalesce(c.n, 0) AS count, i.listed_in, i.ord
FROM years y
CROSS JOIN items i
LEFT JOIN counts c ON c.year = y.year AND c.ord = i.ord;
