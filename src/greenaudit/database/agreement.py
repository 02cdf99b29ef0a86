"""Cross-source agreement, in SQL: the indicators table and who to blame for a conflict.

Every observation of one (indicator, period, breakdown) is compared with every
other: their stated intervals overlap (agree), only their rounding intervals do
(agree_within_rounding), or neither (conflict). An undeclared conflict is an error
finding naming the statements outside what a majority of credible ones agree on.
"""

from __future__ import annotations

from greenaudit.rules.load import RULES_LABEL
from greenaudit.workspace.catalog import DISCREPANCIES_FILE
from greenaudit.tables.vocabulary import DERIVED

# A NULL bound is an open end: max() and min() skip NULLs, which is what an open
# end means for an intersection (and an all-NULL side stays unbounded).
# Derived values join the comparison like sources, but the published value is a
# source's whenever one states it: a derived value is shown only where none does.
# The published value is the most precise statement's: arg_min over a tuple that
# orders sources first, then the narrowest interval (unbounded last), then source
# id and row (unique), so one statement wins whatever the scan order. The sources
# are a sorted list of distinct ids (cheaper than DISTINCT aggregates).
AGREEMENT_SQL = f"""
CREATE TABLE indicators AS
WITH grouped AS (
    SELECT indicator_id, period, breakdown,
           min(unit_canonical) AS unit_canonical,
           count(DISTINCT unit_canonical) AS n_units,
           list_sort(list_distinct(list(source_id))) AS source_list,
           max(stated_lower) AS stated_lo, min(stated_upper) AS stated_hi,
           max(lower) AS lo, min(upper) AS hi,
           min(lower) AS hull_lo, max(upper) AS hull_hi,
           bool_or(lower IS NULL) AS any_open_lo, bool_or(upper IS NULL) AS any_open_hi,
           bool_and(evidence = '{DERIVED}') AS all_derived,
           arg_min({{'value': value_canonical, 'source_id': source_id}},
                   (evidence = '{DERIVED}', (upper - lower) IS NULL, coalesce(upper - lower, 0),
                    source_id, row_number)) AS most_precise
    FROM observations
    GROUP BY indicator_id, period, breakdown
),
verdicts AS (
    SELECT g.*, len(source_list) AS n_sources,
        CASE
            WHEN len(source_list) = 1 AND all_derived THEN '{DERIVED}'
            WHEN len(source_list) = 1 THEN 'single_source'
            WHEN stated_lo IS NULL OR stated_hi IS NULL OR stated_lo <= stated_hi THEN 'agree'
            WHEN lo IS NULL OR hi IS NULL OR lo <= hi THEN 'agree_within_rounding'
            ELSE 'conflict'
        END AS agreement
    FROM grouped g
)
SELECT v.indicator_id, v.period, v.breakdown, v.most_precise.value AS value, v.unit_canonical,
       CASE WHEN v.agreement = 'conflict' THEN (CASE WHEN v.any_open_lo THEN NULL ELSE v.hull_lo END)
            ELSE v.lo END AS lower,
       CASE WHEN v.agreement = 'conflict' THEN (CASE WHEN v.any_open_hi THEN NULL ELSE v.hull_hi END)
            ELSE v.hi END AS upper,
       CAST(v.n_sources AS INTEGER) AS n_sources, array_to_string(v.source_list, ';') AS sources,
       v.agreement,
       concat_ws(';',
           CASE WHEN v.n_units > 1 THEN 'mixed_units' END,
           CASE WHEN v.agreement = 'conflict' AND d.indicator_id IS NOT NULL THEN 'declared_discrepancy' END,
           CASE WHEN v.agreement = 'conflict' THEN 'interval_is_hull' END
       ) AS flags,
       v.most_precise.source_id AS value_source
FROM verdicts v
LEFT JOIN discrepancies d ON d.indicator_id = v.indicator_id AND d.period = v.period
             AND d.breakdown = v.breakdown AND d.sources = array_to_string(v.source_list, ';')
ORDER BY v.indicator_id, v.period, v.breakdown
"""


# Who to blame for an undeclared conflict. The statements that can vote are the
# credible ones: proven against the source (evidence verified) or derived by a rule,
# and inside the indicator's valid and plausible ranges, so a misread or misprinted
# figure cannot outvote a sound one. If a strict majority of credible statements
# share a point, the statements that miss every such point are the outliers and are
# named alone; otherwise nobody can be singled out and every statement of the group
# is named (a derived row by the line of its rule), each with what the group says.
# Candidate points are the credible intervals' bounds: a maximal overlap of closed
# intervals always contains one of them.
CONFLICT_FINDINGS_SQL = f"""
INSERT INTO findings
WITH disputed AS (
    SELECT indicator_id, period, breakdown, sources FROM indicators
    WHERE agreement = 'conflict'
      AND NOT list_contains(string_split(flags, ';'), 'declared_discrepancy')
),
members AS (
    SELECT o.source_id, o.row_number, o.indicator_id, o.period, o.breakdown, o.quantity,
           o.lower, o.upper, d.sources,
           CASE WHEN o.evidence = '{DERIVED}' THEN '{RULES_LABEL}:'
                ELSE 'raw/tables/' || o.source_id || '.csv:' END || o.row_number AS place,
           o.evidence, o.evidence IN ('verified', '{DERIVED}')
               AND NOT list_has_any(string_split(o.flags, ';'),
                                    ['implausible', 'outside_valid_range']) AS credible
    FROM observations o JOIN disputed d USING (indicator_id, period, breakdown)
),
said AS (
    SELECT indicator_id, period, breakdown, string_agg(place || ' says ' || quantity, '; '
                                                       ORDER BY source_id, row_number) AS said
    FROM members GROUP BY ALL
),
points AS (
    SELECT DISTINCT indicator_id, period, breakdown, point FROM (
        SELECT indicator_id, period, breakdown, lower AS point FROM members
        WHERE credible AND lower IS NOT NULL
        UNION ALL
        SELECT indicator_id, period, breakdown, upper FROM members
        WHERE credible AND upper IS NOT NULL)
),
support AS (
    SELECT p.indicator_id, p.period, p.breakdown, p.point, count(*) AS n_support
    FROM points p JOIN members m USING (indicator_id, period, breakdown)
    WHERE m.credible AND (m.lower IS NULL OR m.lower <= p.point)
      AND (m.upper IS NULL OR m.upper >= p.point)
    GROUP BY ALL
),
groups AS (
    SELECT indicator_id, period, breakdown, count(*) AS n_members,
           count(*) FILTER (WHERE credible) AS n_credible
    FROM members GROUP BY ALL
),
majority AS (
    SELECT s.indicator_id, s.period, s.breakdown, s.point, s.n_support, g.n_members
    FROM support s JOIN groups g USING (indicator_id, period, breakdown)
    WHERE 2 * s.n_support > g.n_credible
      AND s.n_support = (SELECT max(t.n_support) FROM support t
                         WHERE t.indicator_id = s.indicator_id AND t.period = s.period
                           AND t.breakdown = s.breakdown)
),
verdicts AS (
    SELECT m.*,
           EXISTS (SELECT 1 FROM majority a WHERE a.indicator_id = m.indicator_id
                   AND a.period = m.period AND a.breakdown = m.breakdown) AS has_majority,
           NOT EXISTS (SELECT 1 FROM majority a WHERE a.indicator_id = m.indicator_id
                   AND a.period = m.period AND a.breakdown = m.breakdown
                   AND (m.lower IS NULL OR m.lower <= a.point)
                   AND (m.upper IS NULL OR m.upper >= a.point)) AS outlier,
           (SELECT any_value(a.n_support) FROM majority a WHERE a.indicator_id = m.indicator_id
                   AND a.period = m.period AND a.breakdown = m.breakdown) AS n_agreeing,
           g.n_members
    FROM members m JOIN groups g USING (indicator_id, period, breakdown)
),
attributed AS (
    SELECT *, bool_or(has_majority AND outlier) OVER (
        PARTITION BY indicator_id, period, breakdown) AS singled_out
    FROM verdicts
)
SELECT 'agreement.conflicts_declared', 'error', source_id, row_number, indicator_id, period,
       breakdown,
       place || ': ' || indicator_id || ' ' || period || ' = ' || quantity
       || CASE WHEN singled_out
               THEN ' is outside the range that ' || n_agreeing || ' of ' || n_members
                    || ' statements agree on'
               ELSE ': no majority of credible statements agrees, so every statement is named'
          END
       || ' (' || said || '); expected agreement or a declaration in {DISCREPANCIES_FILE}'
FROM attributed JOIN said USING (indicator_id, period, breakdown)
WHERE outlier OR NOT singled_out
"""
