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

-- 数据质量: what was set aside, by kind, per year (reference problems count
-- in every year).
CREATE OR REPLACE VIEW data_quality AS
SELECT y.year, item, count
FROM years y,
LATERAL (
    SELECT 'rejected file' AS item, count(*) AS count FROM problems p WHERE p.level = 'file' AND (p.year = y.year OR p.year IS NULL)
    UNION ALL SELECT 'rejected sheet', count(*) FROM problems p WHERE p.level = 'sheet' AND (p.year = y.year OR p.year IS NULL)
    UNION ALL SELECT 'rejected row', count(*) FROM problems p WHERE p.level = 'row' AND (p.year = y.year OR p.year IS NULL)
    UNION ALL SELECT 'rejected cell', count(*) FROM problems p WHERE p.level = 'cell' AND (p.year = y.year OR p.year IS NULL)
    UNION ALL SELECT 'skipped file', count(*) FROM problems p WHERE p.level = 'skipped' AND (p.year = y.year OR p.year IS NULL)
    UNION ALL SELECT 'superseded submission', count(*) FROM superseded_submissions s WHERE s.year = y.year
    UNION ALL SELECT 'not-a-member row', count(*) FROM non_member_rows n WHERE n.year = y.year
    UNION ALL SELECT 'duplicate event', count(*) FROM event_duplicates d WHERE d.year = y.year
    UNION ALL SELECT 'anomaly flag (×1000)', count(*) FROM anomalies a WHERE a.year = y.year
);
