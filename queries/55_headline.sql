-- The headline of every year as headline.csv writes it: the contract's
-- metrics in order (metric_contract: written from the output contract by
-- the program, or on Spark from _contract/metrics.json), each from
-- metric_values (0 when it has no row). `figure` is the published figure:
-- counts whole, money and percentages to two decimals, rounded half away
-- from zero; `value` is its text. A percentage is made here from its two
-- parts in whole numbers, round(100 × n / d, 2) = ⌊(20000 n + d) / 2d⌋ / 100
-- for counts n, d, because DuckDB divides decimals in floating point; it is
-- 0 when there is no denominator. Every engine writes headline.csv from
-- this view and nothing else, so none rounds on its own.

CREATE OR REPLACE VIEW headline_values AS
WITH figures AS (
    SELECT y.year, c.position, c.metric, c.unit, c.kind,
           CASE c.kind
               WHEN 'count' THEN CAST(round(coalesce(v.value, 0), 0) AS DECIMAL(38,2))
               WHEN 'money' THEN CAST(round(coalesce(v.value, 0), 2) AS DECIMAL(38,2))
               WHEN 'percent' THEN CASE
                   WHEN coalesce(d.value, 0) = 0 THEN CAST(0 AS DECIMAL(38,2))
                   ELSE CAST(CAST((CAST(n.value AS BIGINT) * 20000 + CAST(d.value AS BIGINT))
                                  // (2 * CAST(d.value AS BIGINT)) AS DECIMAL(38,0))
                             * CAST(0.01 AS DECIMAL(38,2)) AS DECIMAL(38,2))
               END
           END AS figure
    FROM years y
    CROSS JOIN metric_contract c
    LEFT JOIN metric_values v ON v.year = y.year AND v.metric = c.metric
    LEFT JOIN metric_values n ON n.year = y.year AND n.metric = c.metric || ':numerator'
    LEFT JOIN metric_values d ON d.year = y.year AND d.metric = c.metric || ':denominator'
)
SELECT year, position, metric, unit, figure,
       CASE kind
           WHEN 'count' THEN CAST(CAST(figure AS DECIMAL(38,0)) AS VARCHAR)
           ELSE CAST(figure AS VARCHAR)
       END AS value
FROM figures;
