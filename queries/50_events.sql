-- Committee activity. A committee reports when it has at least one accepted
-- 活动 row in the year; events are counted once per (committee, 活动名称,
-- 活动日期), and participants are summed over those distinct events.

INSERT INTO metric_values
SELECT year, 'committees_reporting', count(DISTINCT committee)
FROM events
GROUP BY year;

INSERT INTO metric_values
SELECT year, metric, value FROM (
    SELECT year,
           CAST(count(*) AS DECIMAL(38,6))                                   AS events_total,
           CAST(count(*) FILTER (WHERE kind = '招聘会') AS DECIMAL(38,6))     AS campus_recruitment_events,
           CAST(coalesce(sum(participants), 0) AS DECIMAL(38,6))             AS event_participants_total
    FROM events_distinct
    GROUP BY year
) UNPIVOT (value FOR metric IN (events_total, campus_recruitment_events, event_participants_total));
