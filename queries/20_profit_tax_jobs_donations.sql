-- Every value is cast to DECIMAL(38,6) before UNPIVOT so no column is
-- widened to a float when the types are unified.
-- Money and head-count totals of reporting members (members with a winning
-- 年度数据 row for the year). Sums are exact DECIMAL(38,6) in 元; a missing
-- value adds nothing (it is not a zero that was reported).

INSERT INTO metric_values
SELECT year, metric, value FROM (
    SELECT year,
           CAST(coalesce(sum(revenue), 0) AS DECIMAL(38,6))               AS revenue_total,
           CAST(coalesce(sum(profit_tax_effective), 0) AS DECIMAL(38,6))  AS profit_tax_total,
           CAST(coalesce(sum(tax), 0) AS DECIMAL(38,6))                   AS tax_total,
           CAST(coalesce(sum(jobs), 0) AS DECIMAL(38,6))                  AS jobs_total,
           CAST(coalesce(sum(donations), 0) AS DECIMAL(38,6))             AS donations_total,
           CAST(coalesce(sum(party_members), 0) AS DECIMAL(38,6))         AS party_members_total
    FROM reporting_members
    GROUP BY year
) UNPIVOT (value FOR metric IN (revenue_total, profit_tax_total, tax_total, jobs_total,
                                donations_total, party_members_total));
