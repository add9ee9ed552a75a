-- Membership figures: how many members, how many reported, and how many of
-- those carry each distinction. "Yes" counts only an explicit yes; a blank
-- yes/no cell counts as no.

INSERT INTO metric_values
SELECT year, 'member_companies', count(*) FROM member_years GROUP BY year;

INSERT INTO metric_values
SELECT year, metric, value FROM (
    SELECT year,
           CAST(count(*) AS DECIMAL(38,6))                                              AS reporting_companies,
           CAST(count(*) FILTER (WHERE listed) AS DECIMAL(38,6))                        AS listed_companies,
           CAST(count(*) FILTER (WHERE listed OR industry_leader) AS DECIMAL(38,6))     AS listed_or_leading,
           CAST(count(*) FILTER (WHERE china_top500) AS DECIMAL(38,6))                  AS china_private_top500,
           CAST(count(*) FILTER (WHERE shanghai_top100) AS DECIMAL(38,6))               AS shanghai_private_top100
    FROM reporting_members
    GROUP BY year
) UNPIVOT (value FOR metric IN (reporting_companies, listed_companies, listed_or_leading,
                                china_private_top500, shanghai_private_top100));

-- 副会长以上单位党组织覆盖率. DuckDB divides decimals in floating point, so
-- the exact share (×100, rounded half away from zero to two decimals) is
-- computed by the emit stage from these two counts. The denominator counts
-- every 副会长以上 member of the year, reporting or not.
INSERT INTO metric_values
SELECT m.year, 'party_org_coverage_vp_plus:numerator',
       count(*) FILTER (WHERE r.party_org)
FROM member_years m
LEFT JOIN reporting_members r USING (credit_code, year)
WHERE m.vice_president_or_above
GROUP BY m.year;

INSERT INTO metric_values
SELECT year, 'party_org_coverage_vp_plus:denominator', count(*)
FROM member_years
WHERE vice_president_or_above
GROUP BY year;
