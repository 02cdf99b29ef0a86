"""The report's charts: who states what (matrix), time series, checks by kind.

See `chartkit` for what they share (deterministic SVG, labels, colours) and
`series` for the time series.
"""

from __future__ import annotations

import math

from .chartkit import (DERIVED_LABEL, OTHER_COLOUR, VERDICT_COLOURS, Chart, figure, rc,
                       source_labels, text_width, to_svg)
from .series import MAX_SERIES, series_sources, time_series, time_series_keys
from .views import VERDICTS, IndicatorRow

__all__ = ["Chart", "agreement_matrix", "check_counts_chart", "checks_by_kind",
           "matrix_sources", "series_sources", "time_series", "time_series_keys", "MAX_SERIES"]

STATUS_COLOURS = (
    ("pass", "#1a9850"),
    ("fail error", "#d73027"),
    ("fail warning", "#fdae61"),
    ("fail info", "#4575b4"),
)
DERIVED_COLUMN = DERIVED_LABEL

# ------------------------------------------------------------------ (a) matrix

# A chart draws at most this many rows or sources: beyond that it would be
# unreadable and slow to draw (the full lists are in the tables).
MAX_MATRIX_ROWS = 200
MAX_MATRIX_SOURCES = 40
ROW_LABEL_CHARS = 56
ROW_HEIGHT, COLUMN_WIDTH = 0.13, 0.42      # inches
MATRIX_TITLE = "Who states what: indicator-periods by source, coloured by agreement"


def matrix_sources(rows: list[IndicatorRow], source_ids: list[str]) -> list[str]:
    """The sources the matrix has a column for (those stating the most figures), in order."""
    stated_by: dict[str, int] = {}
    for row in rows:
        for sid in row.source_ids:
            stated_by[sid] = stated_by.get(sid, 0) + 1
    shown = set(sorted(source_ids, key=lambda sid: (-stated_by.get(sid, 0), sid))
                [:MAX_MATRIX_SOURCES])
    return [sid for sid in source_ids if sid in shown]


def _row_label(row: IndicatorRow) -> str:
    label = row.label
    return label if len(label) <= ROW_LABEL_CHARS else label[:ROW_LABEL_CHARS - 1] + "…"


def _matrix_text(rows: list[IndicatorRow], n_sources: int, columns: list[str],
                 counts: dict[str, int], labels: dict[str, str]) -> str:
    total = sum(counts.values())
    shown = ""
    if len(rows) > MAX_MATRIX_ROWS or len(rows) < total or len(columns) - (
            DERIVED_COLUMN in columns) < n_sources:
        shown = (f" The chart shows the first {min(len(rows), MAX_MATRIX_ROWS)} rows in this "
                 f"order and the {len(columns) - (DERIVED_COLUMN in columns)} sources stating "
                 f"the most figures; the " + ("indicator table lists all." if len(rows) >= total
                                              else "indicators.csv lists all."))
    names = ", ".join(labels.get(c, c) for c in columns)
    return (f"Matrix of {total} indicator-periods (rows) by {len(columns)} columns ({names}; "
            f"the legend table below names each source). A filled cell means the source "
            f"states the figure; its colour is the cross-source verdict: "
            + ", ".join(f"{v.replace('_', ' ')} {counts.get(v, 0)}" for v in VERDICTS)
            + "".join(f", {v} {n}" for v, n in sorted(counts.items()) if v not in VERDICTS)
            + ". Rows are ordered by verdict (conflicts first)." + shown)


def agreement_matrix(rows: list[IndicatorRow], source_ids: list[str],
                     counts: dict[str, int] | None = None,
                     labels: dict[str, str] | None = None) -> Chart:
    """Indicator-periods × sources, a cell wherever a source states the figure.

    `rows` may be a selection of the indicator table; `counts` are then the verdict
    counts over the full table (the legend and description state those).
    """
    labels = labels or source_labels(source_ids)
    columns = matrix_sources(rows, source_ids)
    if any(row.derived_rules for row in rows):
        columns.append(DERIVED_COLUMN)
    order = {verdict: rank for rank, verdict in enumerate(VERDICTS)}
    ordered = sorted(rows, key=lambda r: (order.get(r.agreement, len(order)), r.sort_key))
    if counts is None:
        counts = {}
        for row in rows:
            counts[row.agreement] = counts.get(row.agreement, 0) + 1
    description = _matrix_text(ordered, len(source_ids), columns, counts, labels)
    with rc():
        fig = _draw_matrix(ordered[:MAX_MATRIX_ROWS], columns, counts, labels)
        return to_svg(fig, "chart-matrix", MATRIX_TITLE, description)


def _draw_matrix(rows: list[IndicatorRow], columns: list[str], counts: dict[str, int],
                 labels: dict[str, str]):
    from matplotlib.collections import PatchCollection
    from matplotlib.patches import Patch, Rectangle

    names = [labels.get(c, c) for c in columns]
    present = [v for v in VERDICTS if counts.get(v)] + sorted(v for v in counts if v not in VERDICTS)
    label_width = max([1.0] + [text_width(_row_label(r), 6.5) for r in rows]) + 0.15
    # Title, legend and column labels above the cells, each in a band of its own.
    legend_height = 0.17 * math.ceil(max(len(present), 1) / 3)
    column_labels = max(text_width(n, 7) for n in names) + 0.12 if names else 0.1
    top = 0.34 + legend_height + 0.12 + column_labels
    height = max(len(rows), 1) * ROW_HEIGHT
    width = max(label_width + len(columns) * COLUMN_WIDTH + 0.3, text_width(MATRIX_TITLE, 9) + 0.3)
    total = height + top + 0.05
    fig = figure(width, total)
    ax = fig.add_axes((label_width / width, 0.05 / total, len(columns) * COLUMN_WIDTH / width,
                       height / total))
    cells, colours = [], []
    for y, row in enumerate(rows):
        stated = set(row.source_ids) | ({DERIVED_COLUMN} if row.derived_rules else set())
        for x, column in enumerate(columns):
            if column in stated:
                cells.append(Rectangle((x - 0.42, y - 0.4), 0.84, 0.8))
                colours.append(VERDICT_COLOURS.get(row.agreement, OTHER_COLOUR))
    ax.add_collection(PatchCollection(cells, facecolors=colours, edgecolors="none"))
    ax.set_xlim(-0.5, len(columns) - 0.5)
    ax.set_ylim(len(rows) - 0.5, -0.5)
    ax.set_axis_off()
    # Plain texts rather than tick labels: ticks cost several artists each.
    for y, row in enumerate(rows):
        ax.text(-0.6, y, _row_label(row), ha="right", va="center", fontsize=6.5)
    # Every other row shaded across labels and cells, to follow a row by eye.
    reach = (label_width - 0.1) / (len(columns) * COLUMN_WIDTH)
    stripes = [Rectangle((-reach, y - 0.5), 1 + reach, 1) for y in range(1, len(rows), 2)]
    ax.add_collection(PatchCollection(stripes, facecolors="#f2f2f2", edgecolors="none",
                                      zorder=0, transform=ax.get_yaxis_transform(),
                                      clip_on=False))
    for x, name in enumerate(names):
        ax.text(x, -0.7, name, rotation=90, ha="center", va="bottom", fontsize=7)
    handles = [Patch(color=VERDICT_COLOURS.get(v, OTHER_COLOUR),
                     label=f"{v.replace('_', ' ')} ({counts[v]})") for v in present]
    fig.legend(handles=handles, loc="upper left", ncols=3, frameon=False, fontsize=7,
               handlelength=1, columnspacing=1, borderaxespad=0,
               bbox_to_anchor=(0.1 / width, 1 - 0.34 / total))
    fig.text(0.1 / width, 1 - 0.06 / total, MATRIX_TITLE, fontsize=9, fontweight="bold", va="top")
    return fig


# --------------------------------------------------------------- (c) checks

def checks_by_kind(checks: list[dict]) -> Chart:
    return check_counts_chart([(c["kind"], c["status"], c["severity"], 1) for c in checks])


def check_counts_chart(counted: list[tuple[str, str, str, int]]) -> Chart:
    """The checks chart from (kind, status, severity, n) counts over the full table."""
    kinds: dict[str, dict[str, int]] = {}
    for kind, check_status, severity, n in counted:
        status = "pass" if check_status == "pass" else f"fail {severity}"
        counts = kinds.setdefault(kind, {})
        counts[status] = counts.get(status, 0) + n
    n_checks = sum(n for *_, n in counted)
    ordered = sorted(kinds, key=lambda k: (-sum(kinds[k].values()), k))
    title = "Checks by kind and status"
    totals = {s: sum(k.get(s, 0) for k in kinds.values()) for s, _ in STATUS_COLOURS}
    description = f"{n_checks} checks: " + ", ".join(
        f"{n} {s}" for s, n in totals.items() if n) + "."
    details = tuple(f"{kind}: " + ", ".join(f"{kinds[kind][s]} {s}" for s, _ in STATUS_COLOURS
                                            if kinds[kind].get(s)) for kind in ordered)
    with rc():
        fig = _draw_checks(kinds, ordered, title)
        return to_svg(fig, "chart-checks", title, description, details)


def _draw_checks(kinds: dict[str, dict[str, int]], ordered: list[str], title: str):
    statuses = [(s, c) for s, c in STATUS_COLOURS if any(k.get(s) for k in kinds.values())]
    # Title and legend in bands above the bars; kind names in a margin of their own.
    top, left_margin = 0.62, max([0.6] + [text_width(k, 7.5) for k in ordered]) + 0.15
    height = top + 0.26 * max(len(ordered), 1) + 0.45
    fig = figure(6.0, height)
    ax = fig.add_axes((left_margin / 6.0, 0.4 / height, 1 - (left_margin + 0.25) / 6.0,
                       0.26 * max(len(ordered), 1) / height))
    ys = list(range(len(ordered)))
    left = [0] * len(ordered)
    for status, colour in statuses:
        widths = [kinds[k].get(status, 0) for k in ordered]
        ax.barh(ys, widths, left=left, color=colour, label=status, height=0.7)
        left = [a + b for a, b in zip(left, widths)]
    for y, kind in zip(ys, ordered):
        failed = sum(n for s, n in kinds[kind].items() if s != "pass")
        note = f"{sum(kinds[kind].values())}" + (f" ({failed} failed)" if failed else "")
        ax.text(left[y] + max(left) * 0.01, y, note, va="center", fontsize=6.5)
    ax.set_yticks(ys, ordered)
    ax.set_ylim(len(ordered) - 0.5, -0.5)
    # Room right of the longest bar for its note ("135 (12 failed)").
    ax.set_xlim(0, max(left + [1]) * 1.35)
    ax.set_xlabel("checks")
    fig.legend(loc="upper left", ncols=len(statuses) or 1, frameon=False, fontsize=7,
               borderaxespad=0, bbox_to_anchor=(0.1 / 6.0, 1 - 0.34 / height))
    fig.text(0.1 / 6.0, 1 - 0.06 / height, title, fontsize=9, fontweight="bold", va="top")
    return fig
