"""The queries GX's metrics run over the audit database, one per suite.

`{batch}` is the GX batch: the observations table. Every query returns one row per
item of its suite (item key first) with what its expectation needs to decide and to
show: each statement's source, quantity and interval, the verdict. A NULL bound is an
open end (max() and min() skip NULLs, which is what an open end means for an
intersection, and greatest()/least() likewise). Bounds are compared as DECIMAL.
"""

from __future__ import annotations

from greenaudit.rules.load import DERIVED, DERIVED_SOURCE_PREFIX

from greenaudit.validate.gx.specs import KIND_BOUNDS

_KEY = ("indicator_id || '@' || period || CASE WHEN breakdown <> '' "
        "THEN '[' || breakdown || ']' ELSE '' END")


def _bound(value: int | None) -> str:
    return "CAST(NULL AS DECIMAL(38,10))" if value is None else f"CAST({value} AS DECIMAL(38,10))"


_KIND_BOUNDS_VALUES = ", ".join(f"('{kind}', {_bound(low)}, {_bound(high)})"
                                for kind, (low, high) in KIND_BOUNDS.items())

# A statement as the results show it: [source_id, row_number, quantity, lower, upper].
_STATEMENT = ("[source_id, CAST(row_number AS VARCHAR), quantity, CAST(lower AS VARCHAR), "
              "CAST(upper AS VARCHAR)]")

# The statements of every (indicator, period, breakdown) that two or more sources
# state: they agree if their stated intervals share a point, agree within rounding if
# their allowed intervals do, and conflict otherwise (as database/agreement.py
# defines the published verdict, which is shown beside it).
_AGREEMENT_SQL = """
WITH groups AS (
    SELECT indicator_id, period, breakdown, min(unit_canonical) AS unit,
           count(*) AS n_statements,
           max(stated_lower) AS stated_lo, min(stated_upper) AS stated_hi,
           max(lower) AS lo, min(upper) AS hi{statements}
    FROM {{batch}}
    GROUP BY indicator_id, period, breakdown
    HAVING count(DISTINCT source_id) > 1
),
declared AS (
    SELECT indicator_id, period, breakdown, string_agg(reason, '; ' ORDER BY reason) AS reason
    FROM discrepancies GROUP BY ALL
),
published AS (
    SELECT indicator_id, period, breakdown,
           string_agg(DISTINCT agreement, '|' ORDER BY agreement) AS agreement
    FROM indicators GROUP BY ALL
)
SELECT {key} AS item, g.unit, g.n_statements{selected},
       CASE WHEN g.stated_lo IS NULL OR g.stated_hi IS NULL OR g.stated_lo <= g.stated_hi
                THEN 'agree'
            WHEN g.lo IS NULL OR g.hi IS NULL OR g.lo <= g.hi THEN 'agree_within_rounding'
            ELSE 'conflict' END AS verdict,
       d.reason AS declared, p.agreement AS published
FROM groups g
LEFT JOIN declared d USING (indicator_id, period, breakdown)
LEFT JOIN published p USING (indicator_id, period, breakdown)
ORDER BY item
"""
_STATEMENTS_LIST = f"list({_STATEMENT} ORDER BY source_id, row_number)"
AGREEMENT_SQL = _AGREEMENT_SQL.format(key=_KEY, statements=f",\n           {_STATEMENTS_LIST} AS statements",
                                      selected=", g.statements")
# The same without the statements, which a run of many groups needs only for the
# failing ones (a million observations make a few hundred thousand groups)...
AGREEMENT_BRIEF_SQL = _AGREEMENT_SQL.format(key=_KEY, statements="", selected="")
# ...fetched for those: the statements of the groups whose keys :items lists.
AGREEMENT_STATEMENTS_SQL = f"""
SELECT {_KEY} AS item, {_STATEMENTS_LIST} AS statements
FROM {{batch}}
WHERE {_KEY} IN (SELECT unnest(CAST(:items AS VARCHAR[])))
GROUP BY indicator_id, period, breakdown
"""

# Each catalog indicator's range (its valid range within its kind's hard bounds) and
# the values outside it (the first 20 by source and row).
RANGES_SQL = f"""
WITH kind_bounds(kind, kind_low, kind_high) AS (VALUES {_KIND_BOUNDS_VALUES}),
ranges AS (
    SELECT c.indicator_id, c.unit,
           greatest(c.valid_low, b.kind_low) AS low, least(c.valid_high, b.kind_high) AS high
    FROM catalog c LEFT JOIN kind_bounds b USING (kind)
),
checked AS (
    SELECT r.indicator_id, r.unit, r.low, r.high, o.source_id, o.row_number,
           o.value_canonical, o.indicator_id IS NOT NULL AS stated,
           o.value_canonical < r.low OR o.value_canonical > r.high AS outside
    FROM ranges r LEFT JOIN {{batch}} o USING (indicator_id)
)
SELECT indicator_id AS item, unit, CAST(low AS VARCHAR) AS low, CAST(high AS VARCHAR) AS high,
       count(*) FILTER (WHERE stated) AS n_values,
       count(*) FILTER (WHERE outside) AS n_outside,
       list_slice(list([source_id, CAST(row_number AS VARCHAR), CAST(value_canonical AS VARCHAR)]
                       ORDER BY source_id, row_number) FILTER (WHERE outside), 1, 20) AS outside
FROM checked
GROUP BY indicator_id, unit, low, high
ORDER BY item
"""

# Each catalog indicator's canonical unit and the values in another one.
UNITS_SQL = """
WITH checked AS (
    SELECT c.indicator_id, c.unit, o.source_id, o.row_number, o.unit_canonical,
           o.indicator_id IS NOT NULL AS stated,
           o.indicator_id IS NOT NULL AND o.unit_canonical IS DISTINCT FROM c.unit AS other
    FROM catalog c LEFT JOIN {batch} o USING (indicator_id)
)
SELECT indicator_id AS item, unit, count(*) FILTER (WHERE stated) AS n_values,
       count(*) FILTER (WHERE other) AS n_other,
       list_slice(list([source_id, CAST(row_number AS VARCHAR), coalesce(unit_canonical, 'null')]
                       ORDER BY source_id, row_number) FILTER (WHERE other), 1, 20) AS other
FROM checked
GROUP BY indicator_id, unit
ORDER BY item
"""

# Each value a rule derived, against what the sources state of the same key: their
# intersection, or their hull where they conflict (as the rules read their inputs).
# It holds when the derived interval meets it, or when no source states the value.
IDENTITIES_SQL = f"""
WITH derived AS (
    SELECT source_id, row_number, indicator_id, period, breakdown, quantity, unit_canonical,
           lower, upper, quote
    FROM {{batch}} WHERE evidence = '{DERIVED}'
),
stated AS (
    SELECT o.indicator_id, o.period, o.breakdown,
           count(*) AS n_statements,
           max(o.lower) AS lo, min(o.upper) AS hi, min(o.lower) AS hull_lo, max(o.upper) AS hull_hi,
           bool_or(o.lower IS NULL) AS open_lo, bool_or(o.upper IS NULL) AS open_hi,
           list([o.source_id, CAST(o.row_number AS VARCHAR), o.quantity, CAST(o.lower AS VARCHAR),
                 CAST(o.upper AS VARCHAR)] ORDER BY o.source_id, o.row_number) AS statements
    FROM {{batch}} o SEMI JOIN derived d USING (indicator_id, period, breakdown)
    WHERE o.evidence <> '{DERIVED}'
    GROUP BY ALL
),
compared AS (
    SELECT d.*, s.statements, coalesce(s.n_statements, 0) AS n_statements,
           s.lo IS NOT NULL AND s.hi IS NOT NULL AND s.lo > s.hi AS sources_conflict,
           CASE WHEN s.lo IS NOT NULL AND s.hi IS NOT NULL AND s.lo > s.hi
                THEN CASE WHEN s.open_lo THEN NULL ELSE s.hull_lo END ELSE s.lo END AS src_lo,
           CASE WHEN s.lo IS NOT NULL AND s.hi IS NOT NULL AND s.lo > s.hi
                THEN CASE WHEN s.open_hi THEN NULL ELSE s.hull_hi END ELSE s.hi END AS src_hi
    FROM derived d LEFT JOIN stated s USING (indicator_id, period, breakdown)
)
SELECT substr(source_id, {len(DERIVED_SOURCE_PREFIX) + 1}) AS item, row_number AS line,
       {_KEY} AS derives, quantity, unit_canonical AS unit, quote AS rule,
       CAST(lower AS VARCHAR) AS lower, CAST(upper AS VARCHAR) AS upper,
       n_statements, statements, sources_conflict,
       CAST(src_lo AS VARCHAR) AS sources_lower, CAST(src_hi AS VARCHAR) AS sources_upper,
       n_statements = 0 OR coalesce(greatest(lower, src_lo) <= least(upper, src_hi), TRUE)
           AS holds
FROM compared
ORDER BY item
"""

# Per suite, where a run of many items can do without some columns: the query without
# them, and the query giving them for the failing items.
BRIEF_QUERIES = {"agreement": (AGREEMENT_BRIEF_SQL, AGREEMENT_STATEMENTS_SQL)}
QUERIES = {"agreement": AGREEMENT_SQL, "indicator_ranges": RANGES_SQL,
           "indicator_units": UNITS_SQL, "identities": IDENTITIES_SQL}
