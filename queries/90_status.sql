-- 报送情况: who has submitted and who has not, for the chase before the
-- deadline. One row per member of each year (member_years): 已报送 when the
-- member is a reporting member (an accepted, non-superseded 年度数据 row),
-- the file that counts and its 填报日期, the files it replaced, and how
-- many of the member's rows were rejected (attributed as the call-back list
-- attributes them: the row's code, the file's company, or the row's name).
-- A table, computed once per aggregation: three lists read it.
CREATE OR REPLACE TABLE submission_status AS
WITH reported AS (
    SELECT DISTINCT year, credit_code FROM reporting_members
), replaced AS (
    SELECT year, credit_code, string_agg(path, '；' ORDER BY path) AS superseded
    FROM superseded_submissions GROUP BY ALL
), rejected AS (
    SELECT year, credit_code, count(*) AS rows_rejected
    FROM callback_list WHERE level = 'row' GROUP BY ALL
)
SELECT m.year, m.credit_code, m.name, m.tier,
       coalesce(m.committee, '（未分专委会）') AS committee,
       r.credit_code IS NOT NULL AS submitted,
       w.path AS winning_path,
       w.reported_on,
       s.superseded,
       coalesce(x.rows_rejected, 0) AS rows_rejected
FROM member_years m
LEFT JOIN submissions w ON w.year = m.year AND w.credit_code = m.credit_code AND w.winner
LEFT JOIN reported r ON r.year = m.year AND r.credit_code = m.credit_code
LEFT JOIN replaced s ON s.year = m.year AND s.credit_code = m.credit_code
LEFT JOIN rejected x ON x.year = m.year AND x.credit_code = m.credit_code;

-- Per committee (the registry's 所属专委会): members, submitted, missing,
-- rejected rows.
CREATE OR REPLACE VIEW submission_status_by_committee AS
SELECT year, committee,
       count(*) AS members,
       count(*) FILTER (WHERE submitted) AS submitted,
       count(*) FILTER (WHERE NOT submitted) AS missing,
       coalesce(sum(rows_rejected), 0)::BIGINT AS rows_rejected
FROM submission_status
GROUP BY year, committee;

-- The 合计 row. (报送率 is reporting_companies / member_companies of the
-- headline, computed in exact decimals where it is printed.)
CREATE OR REPLACE VIEW submission_status_total AS
SELECT y.year,
       count(s.credit_code) AS members,
       count(s.credit_code) FILTER (WHERE s.submitted) AS submitted,
       count(s.credit_code) FILTER (WHERE NOT s.submitted) AS missing,
       coalesce(sum(s.rows_rejected), 0)::BIGINT AS rows_rejected
FROM years y
LEFT JOIN submission_status s USING (year)
GROUP BY y.year;
