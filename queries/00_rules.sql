-- Business rules of the submission contract (shared/spec/inputs.md), as
-- views that every figure family builds on. Nothing here writes data: the
-- warehouse keeps every accepted row, and these views decide which of them
-- count. Auditors can query each view directly.

-- Each view below names the columns it keeps: a typed table's values and
-- provenance, not its lineage columns (col_<field>, raw_<field>,
-- unit_<field>, note_cell; `source_cells` spells those out for the lineage
-- and `explain`, the figures never read them). Every sort, join and table
-- built on these views then carries the values alone: with the lineage,
-- reporting_members took twice the memory to build at 30,000 members. A
-- test holds each view to every column of its sheet in the contract.

-- Member registry: one row per credit code. A code listed twice keeps the
-- row of the file path that sorts first, then the upper row.
--
-- Ranked once per aggregation into a table, as the submissions are below:
-- member_years, the call-back list (twice) and the breakdowns all read the
-- registry, and as a view each of them ranked every member again. At
-- 30,000 members the aggregation took ~1.0 s instead of ~1.3 s (two runs
-- each), at 3,000 members about the same. `member_registry_ranked` stays
-- the name every reader and auditor uses.
CREATE OR REPLACE TABLE member_registry_ranking AS
SELECT path, sheet, row_no, year, credit_code, name, tier, committee, joined_on, left_on,
       row_number() OVER (PARTITION BY credit_code ORDER BY path, row_no) AS occurrence
FROM members;

CREATE OR REPLACE VIEW member_registry_ranked AS SELECT * FROM member_registry_ranking;

CREATE OR REPLACE VIEW member_registry AS
SELECT * EXCLUDE (occurrence) FROM member_registry_ranked WHERE occurrence = 1;

CREATE OR REPLACE VIEW member_duplicates AS
SELECT * FROM member_registry_ranked WHERE occurrence > 1;

-- A company is a member in year Y when it joined on or before 31 Dec Y and
-- has not left before 1 Jan Y.
CREATE OR REPLACE VIEW member_years AS
SELECT y.year, m.credit_code, m.name, m.tier, m.committee, m.joined_on, m.left_on,
       m.tier IN ('会长', '执行会长', '常务副会长', '副会长') AS vice_president_or_above
FROM years y
JOIN member_registry m
  ON m.joined_on <= make_date(y.year, 12, 31)
 AND (m.left_on IS NULL OR m.left_on >= make_date(y.year, 1, 1));

-- Resubmissions. The unit of a submission is (credit code, year); every
-- company file holding an accepted row for that code on any sheet is a
-- candidate. The latest 填报日期 wins (a file without one is older than any
-- dated file); on a tie the path that sorts last (byte order) wins.
--
-- Ranked once per aggregation into a table: the current rows, the superseded
-- list, 报送情况, 数据质量 and the call-back list all read it, and as a view
-- each of them grouped and ranked every company file again. A cold run on
-- one 200,000-row workbook took 2.7 s instead of 3.4 s, on 3,000 members
-- 1.78 s instead of 1.90 s; on 30,000 members the time is the same and the
-- peak ~10 MiB higher (the table stays in the warehouse's memory).
-- `submissions` stays the name every reader and auditor uses.
CREATE OR REPLACE TABLE submission_ranking AS
WITH candidates AS (
    SELECT credit_code, year, path, reported_on FROM company_reports
    UNION ALL
    SELECT credit_code, year, path, NULL::DATE FROM financing
), per_file AS (
    SELECT credit_code, year, path, max(reported_on) AS reported_on
    FROM candidates
    GROUP BY credit_code, year, path
)
SELECT *,
       row_number() OVER (PARTITION BY credit_code, year
                          ORDER BY reported_on DESC NULLS LAST, path DESC) = 1 AS winner
FROM per_file;

CREATE OR REPLACE VIEW submissions AS SELECT * FROM submission_ranking;

-- The losers: kept in the warehouse, listed in the run report.
CREATE OR REPLACE VIEW superseded_submissions AS
SELECT s.credit_code, s.year, s.path, s.reported_on,
       w.path AS superseded_by, w.reported_on AS superseded_by_reported_on
FROM submissions s
JOIN submissions w
  ON w.credit_code = s.credit_code AND w.year = s.year AND w.winner
WHERE NOT s.winner;

-- Rows of winning submissions only.
CREATE OR REPLACE VIEW company_current AS
SELECT r.path, r.sheet, r.row_no, r.year, r.credit_code, r.name, r.reported_on,
       r.revenue, r.profit, r.tax, r.profit_tax, r.jobs, r.donations,
       r.listed, r.stock_code, r.industry_leader, r.china_top500, r.shanghai_top100,
       r.party_org, r.party_members
FROM company_reports r
JOIN submissions s USING (credit_code, year, path)
WHERE s.winner;

CREATE OR REPLACE VIEW financing_current AS
SELECT f.path, f.sheet, f.row_no, f.year, f.credit_code,
       f.institution, f.kind, f.amount, f.occurred_on, f.facilitated
FROM financing f
JOIN submissions s USING (credit_code, year, path)
WHERE s.winner;

-- Reporting members: members in Y with an accepted, non-superseded 年度数据
-- row for Y. 利税总额 is derived as 利润总额 + 纳税总额 when missing and
-- both parts are present. Almost every figure, breakdown and list reads
-- this set, so it is computed once per aggregation into a table (the
-- aggregation runs whenever a row changed) instead of once per reader.
CREATE OR REPLACE TABLE reporting_members AS
SELECT r.*,
       coalesce(r.profit_tax, r.profit + r.tax) AS profit_tax_effective,
       (r.profit_tax IS NULL AND r.profit IS NOT NULL AND r.tax IS NOT NULL) AS profit_tax_derived,
       m.tier,
       m.vice_president_or_above,
       m.committee AS member_committee
FROM company_current r
JOIN member_years m USING (credit_code, year);

-- Rows whose credit code is not a member in that year: kept, counted nowhere.
CREATE OR REPLACE VIEW non_member_rows AS
SELECT '年度数据' AS sheet_kind, r.path, r.sheet, r.row_no, r.year, r.credit_code, r.name
FROM company_reports r
ANTI JOIN member_years m USING (credit_code, year)
UNION ALL
SELECT '金融支持', f.path, f.sheet, f.row_no, f.year, f.credit_code, NULL
FROM financing f
ANTI JOIN member_years m USING (credit_code, year);

-- Events: the same (committee, 活动名称, 活动日期) twice in one year counts
-- once; the first by path and row stays, repeats are duplicates.
CREATE OR REPLACE VIEW event_occurrences AS
SELECT path, sheet, row_no, year, name, held_on, kind, companies, participants, place, partner, committee,
       row_number() OVER (PARTITION BY year, committee, name, held_on ORDER BY path, row_no) AS occurrence
FROM events;

CREATE OR REPLACE VIEW events_distinct AS
SELECT * EXCLUDE (occurrence) FROM event_occurrences WHERE occurrence = 1;

CREATE OR REPLACE VIEW event_duplicates AS
SELECT d.*, f.path AS first_path, f.row_no AS first_row_no
FROM event_occurrences d
JOIN event_occurrences f
  ON f.year = d.year AND f.committee = d.committee AND f.name = d.name
 AND f.held_on = d.held_on AND f.occurrence = 1
WHERE d.occurrence > 1;
