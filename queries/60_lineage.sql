-- Lineage: for every headline figure of every year, the input cells it is
-- made of, for `chamberstat explain`. The rows are the figures' own
-- contributing rows (figure_rows: the family views of 10_…50_, from which
-- each figure is summed), each with its cell spelled out from
-- source_cells: file, sheet, A1 cell, raw text, unit applied, normalised
-- value. Nothing here restates a rule: summing `value` over a metric's
-- rows with role 'figure' gives the figure in headline.csv by
-- construction (a count contributes 1 per row), and
-- party_org_coverage_vp_plus has 'numerator' and 'denominator' rows.

CREATE OR REPLACE VIEW figure_rows AS
SELECT * FROM membership_rows
UNION ALL SELECT * FROM company_total_rows
UNION ALL SELECT * FROM financing_rows
UNION ALL SELECT * FROM partner_rows
UNION ALL SELECT * FROM event_rows;

CREATE OR REPLACE VIEW lineage AS
SELECT f.year, f.metric, f.role, f.credit_code, f.subject, c.path, c.sheet, c.row_no,
       c.cell, c.raw, c.unit, c.value AS normalized, f.value
FROM figure_rows f
JOIN source_cells c
  ON c.path = f.path AND c.sheet = f.sheet AND c.row_no = f.row_no AND c.field = f.field;
