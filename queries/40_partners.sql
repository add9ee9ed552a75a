-- Partners from the secretariat's reference workbooks: banks (银会合作) and
-- districts (区域合作). An agreement counts for year Y once signed on or
-- before 31 Dec Y. Partners are counted distinct by name; amounts are summed
-- over every agreement, so a renewed agreement adds its new amount.

INSERT INTO metric_values
SELECT year, metric, value FROM (
    SELECT y.year,
           CAST(count(DISTINCT b.bank) AS DECIMAL(38,6))             AS bank_partners,
           CAST(coalesce(sum(b.credit_line), 0) AS DECIMAL(38,6))    AS bank_credit_lines_cumulative
    FROM years y
    LEFT JOIN bank_agreements b ON b.signed_on <= make_date(y.year, 12, 31)
    GROUP BY y.year
) UNPIVOT (value FOR metric IN (bank_partners, bank_credit_lines_cumulative));

INSERT INTO metric_values
SELECT year, metric, value FROM (
    SELECT y.year,
           CAST(count(DISTINCT d.partner) AS DECIMAL(38,6))          AS district_partners,
           CAST(coalesce(sum(d.investment), 0) AS DECIMAL(38,6))     AS investment_landed_cumulative
    FROM years y
    LEFT JOIN district_agreements d ON d.signed_on <= make_date(y.year, 12, 31)
    GROUP BY y.year
) UNPIVOT (value FOR metric IN (district_partners, investment_landed_cumulative));
