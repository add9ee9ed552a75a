-- 问题清单: the call-back list the secretariat phones senders from. Every
-- problem of a year (its own files' and the reference workbooks') with the
-- sender it came from and what happened to the data, plus the rows the
-- business rules set aside (superseded submissions, rows of non-members,
-- repeated events), each named by sender. rejects.csv and rejects.xlsx
-- read these views; the Chinese and English wording of each reason is split
-- in Rust, where the reasons are written.

-- The companies whose accepted rows a company file holds. A file of one
-- company names its sender even on a row whose own code is unreadable.
-- One company is min = max (NULL codes aside, as count(DISTINCT) would
-- have it): a DISTINCT aggregate keeps a set per file and cannot spill,
-- and at 30,000 members it alone made the call-back list fail under a
-- 64MB memory limit.
CREATE OR REPLACE VIEW file_senders AS
WITH rows AS (
    SELECT path, credit_code FROM company_reports
    UNION ALL
    SELECT path, credit_code FROM financing
)
SELECT path,
       CASE WHEN min(credit_code) = max(credit_code) THEN min(credit_code) END AS credit_code
FROM rows
GROUP BY path;

-- The committee of a committee file, from its accepted rows.
CREATE OR REPLACE VIEW file_committees AS
SELECT path, min(committee) AS committee FROM events GROUP BY path;

CREATE OR REPLACE VIEW callback_list AS
WITH registry_names AS (
    -- A registry name that belongs to one member only.
    SELECT name, any_value(credit_code) AS credit_code
    FROM member_registry GROUP BY name HAVING count(*) = 1
), p AS (
    SELECT p.*,
           regexp_extract(p.path, '[^/]+$') AS file_name,
           p.path LIKE '%/committees/%' AS from_committee,
           p.year IS NULL AS from_reference,
           -- The row's own code when it is a member's, else the file's,
           -- else the member whose registry name the row carries.
           m.credit_code AS member_code,
           CASE WHEN p.subject <> '' THEN rn.credit_code END AS name_code
    FROM problems p
    LEFT JOIN member_registry m ON m.credit_code = p.code
    LEFT JOIN registry_names rn ON rn.name = p.subject
    WHERE p.level <> 'note'
), named AS (
    SELECT p.*,
           coalesce(p.member_code, fs.credit_code, p.name_code) AS sender_code,
           fc.committee
    FROM p
    LEFT JOIN file_senders fs ON fs.path = p.path AND NOT p.from_committee
    LEFT JOIN file_committees fc ON fc.path = p.path
)
SELECT y.year,
       CASE
           WHEN n.from_reference THEN '秘书处（' || n.file_name || '）'
           WHEN n.from_committee THEN coalesce(n.committee, '（专委会文件 ' || n.file_name || '）')
           ELSE coalesce(m.name, nullif(n.subject, ''), '（文件 ' || n.file_name || '）')
       END AS sender,
       CASE WHEN n.from_committee THEN '' ELSE coalesce(n.sender_code, nullif(n.code, ''), '') END AS credit_code,
       n.path, n.sheet, n.cell, n.raw, n.level, n.reason,
       CASE n.level
           WHEN 'file' THEN '整个文件未计入'
           WHEN 'sheet' THEN '整张工作表未计入'
           WHEN 'row' THEN '本行未计入'
           WHEN 'cell' THEN '本单元格按缺失处理，本行其余数据已计入'
           WHEN 'skipped' THEN '未读取（不是可读取的工作簿）'
           WHEN 'flag' THEN '已计入，请核对数量级'
           ELSE '已计入'
       END AS outcome,
       n.subject,
       -- Sheet order of the cell: row number, then column letters.
       coalesce(try_cast(regexp_extract(n.cell, '[0-9]+$') AS INTEGER), 0) AS cell_row,
       regexp_extract(n.cell, '^[A-Z]+') AS cell_col
FROM years y
JOIN named n ON n.year = y.year OR n.year IS NULL
LEFT JOIN member_registry m ON m.credit_code = n.sender_code;

-- 被替代的报送: files whose rows gave way to a later submission of the
-- same company and year.
CREATE OR REPLACE VIEW callback_superseded AS
SELECT s.year,
       coalesce(m.name,
                (SELECT any_value(c.name) FROM company_reports c
                 WHERE c.path = s.path AND c.credit_code = s.credit_code),
                s.credit_code) AS sender,
       s.credit_code,
       s.path, s.reported_on, s.superseded_by, s.superseded_by_reported_on
FROM superseded_submissions s
LEFT JOIN member_registry m USING (credit_code);

-- 非会员数据: rows whose credit code is not a member in that year, one line
-- each; a sheet with more than 20 such rows (a group reporting its
-- subsidiaries) is one line saying how many and which rows, so the list
-- stays a list to phone from.
CREATE OR REPLACE VIEW callback_non_members AS
WITH n AS (
    SELECT *, count(*) OVER (PARTITION BY year, path, sheet) AS in_sheet FROM non_member_rows
)
SELECT year, coalesce(name, credit_code) AS sender, credit_code, sheet_kind, path, sheet,
       CAST(row_no AS VARCHAR) AS rows, row_no AS first_row
FROM n WHERE in_sheet <= 20
UNION ALL
SELECT year, '（' || CAST(count(*) AS VARCHAR) || ' 家非会员企业）', '', any_value(sheet_kind), path, sheet,
       CAST(min(row_no) AS VARCHAR) || '–' || CAST(max(row_no) AS VARCHAR), min(row_no)
FROM n WHERE in_sheet > 20
GROUP BY year, path, sheet;

-- 重复活动: the same event reported again; only the first counts.
CREATE OR REPLACE VIEW callback_duplicate_events AS
SELECT year, committee AS sender, name AS event, held_on, path, sheet, row_no,
       first_path, first_row_no
FROM event_duplicates;
