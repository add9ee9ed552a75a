-- Committee activity. A committee reports when it has at least one accepted
-- 活动 row in the year (its first row, by file and row, stands for it);
-- events are counted once per (committee, 活动名称, 活动日期), and
-- participants are summed over those distinct events.
--
-- One definition per figure: event_rows, summed; `explain` lists them.

CREATE OR REPLACE VIEW event_rows AS
SELECT e.year, 'committees_reporting' AS metric, 'figure' AS role, CAST(NULL AS VARCHAR) AS credit_code,
       e.committee AS subject, e.path, e.sheet, e.row_no, 'committee' AS field,
       CAST(1 AS DECIMAL(38,6)) AS value
FROM (
    SELECT year, committee, path, sheet, row_no,
           row_number() OVER (PARTITION BY year, committee ORDER BY path, row_no) AS k
    FROM events
) e
WHERE e.k = 1
UNION ALL
SELECT e.year, x.metric, 'figure', CAST(NULL AS VARCHAR), e.committee || ' ' || e.name,
       e.path, e.sheet, e.row_no, x.field,
       CAST(CASE x.field WHEN 'participants' THEN e.participants ELSE 1 END AS DECIMAL(38,6))
FROM events_distinct e
CROSS JOIN (VALUES
    ('events_total', 'name'),
    ('campus_recruitment_events', 'kind'),
    ('event_participants_total', 'participants')) x(metric, field)
WHERE x.field = 'name'
   OR (x.field = 'kind' AND e.kind = '招聘会')
   OR (x.field = 'participants' AND e.participants IS NOT NULL);

INSERT INTO metric_values
SELECT year, metric, sum(value)
FROM event_rows
WHERE metric = 'committees_reporting'
GROUP BY year, metric;

-- Every year with a distinct event has each figure, 0 too.
INSERT INTO metric_values
SELECT y.year, x.metric, CAST(coalesce(sum(r.value), 0) AS DECIMAL(38,6))
FROM (SELECT DISTINCT year FROM events_distinct) y
CROSS JOIN (VALUES
    ('events_total'), ('campus_recruitment_events'), ('event_participants_total')) x(metric)
LEFT JOIN event_rows r ON r.year = y.year AND r.metric = x.metric
GROUP BY y.year, x.metric;
