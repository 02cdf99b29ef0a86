"""The report's charts, drawn with matplotlib into SVG that is the same on every run.

matplotlib writes a date and random ids into SVG unless told otherwise:
`svg.hashsalt` fixes the ids and `metadata={"Date": None}` drops the date. Text is
kept as SVG text (`svg.fonttype: none`) so the page stays small and searchable.
Only `matplotlib.figure` is imported (not pyplot): the report job is on the
critical path of every rebuild.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from decimal import Decimal

from markupsafe import escape

from .model import VERDICTS, IndicatorRow, ObservationRow

RC = {
    "svg.hashsalt": "greenaudit",
    "svg.fonttype": "none",
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans"],
    "font.size": 7.5,
    "axes.titlesize": 8,
    "axes.spines.top": False,
    "axes.spines.right": False,
    # Labels come from the data (source ids, breakdowns such as country=us$_$): drawn as
    # written, never interpreted as mathtext or handed to TeX.
    "text.parse_math": False,
    "text.usetex": False,
}
VERDICT_COLOURS = {
    "conflict": "#d73027",
    "agree_within_rounding": "#a6d96a",
    "agree": "#1a9850",
    "derived": "#8073ac",
    "single_source": "#9ecae1",
}
OTHER_COLOUR = "#bdbdbd"
STATUS_COLOURS = (
    ("pass", "#1a9850"),
    ("fail error", "#d73027"),
    ("fail warning", "#fdae61"),
    ("fail info", "#4575b4"),
)
SOURCE_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b",
                  "#e377c2", "#7f7f7f", "#bcbd22", "#17becf")
DERIVED_COLUMN = "derived"


@dataclass(frozen=True)
class Chart:
    """One chart: a stable name, its title, a text alternative and the SVG markup."""

    name: str
    title: str
    description: str
    svg: str

    def standalone(self) -> str:
        return '<?xml version="1.0" encoding="utf-8" standalone="no"?>\n' + self.svg + "\n"


def _figure(width: float, height: float):
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height))


def _svg(fig, name: str, title: str, description: str) -> Chart:
    """Render, then make the SVG safe to inline beside other charts in one page."""
    buffer = io.StringIO()
    # Layouts are set by hand: bbox_inches="tight" would draw every chart twice.
    fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    text = buffer.getvalue()
    text = text[text.index("<svg"):]
    text = re.sub(r"<metadata>.*?</metadata>\s*", "", text, flags=re.S)
    # matplotlib's global `*{...}` rule would apply to the whole page once inlined.
    text = re.sub(r'<style type="text/css">.*?</style>\s*', "", text, flags=re.S)
    # ids must be unique in the page: prefix them, and every reference to them.
    text = re.sub(r'\bid="', f'id="{name}-', text)
    text = text.replace("url(#", f"url(#{name}-").replace('href="#', f'href="#{name}-')
    head = (f'<svg role="img" aria-labelledby="{name}-title {name}-desc" class="chart" ')
    text = text.replace("<svg ", head, 1)
    opening_end = text.index(">") + 1
    text = (text[:opening_end] + f'\n <title id="{name}-title">{escape(title)}</title>'
            f'\n <desc id="{name}-desc">{escape(description)}</desc>' + text[opening_end:])
    return Chart(name, title, description, text.strip())


def _rc():
    from matplotlib import rc_context

    return rc_context(RC)


def _number(text: str) -> float | None:
    return float(Decimal(text)) if text else None


# ------------------------------------------------------------------ (a) matrix

# A chart draws at most this many rows, sources or panels: beyond that it would be
# unreadable and slow to draw (the full lists are in the tables).
MAX_MATRIX_ROWS = 200
MAX_MATRIX_SOURCES = 40
MAX_SERIES = 24


def agreement_matrix(rows: list[IndicatorRow], source_ids: list[str],
                     counts: dict[str, int] | None = None) -> Chart:
    """Indicator-periods × sources, a cell wherever a source states the figure.

    `rows` may be a selection of the indicator table; `counts` are then the verdict
    counts over the full table (the legend and description state those).
    """
    stated_by: dict[str, int] = {}
    for row in rows:
        for sid in row.source_ids:
            stated_by[sid] = stated_by.get(sid, 0) + 1
    shown_sources = set(sorted(source_ids, key=lambda sid: (-stated_by.get(sid, 0), sid))
                        [:MAX_MATRIX_SOURCES])
    columns = [sid for sid in source_ids if sid in shown_sources]
    if any(row.derived_rules for row in rows):
        columns.append(DERIVED_COLUMN)
    order = {verdict: rank for rank, verdict in enumerate(VERDICTS)}
    ordered = sorted(rows, key=lambda r: (order.get(r.agreement, len(order)), r.sort_key))
    if counts is None:
        counts = {}
        for row in rows:
            counts[row.agreement] = counts.get(row.agreement, 0) + 1
    total = sum(counts.values())
    shown = ""
    if (len(ordered) > MAX_MATRIX_ROWS or len(ordered) < total
            or len(shown_sources) < len(source_ids)):
        shown = (f" The chart shows the first {min(len(ordered), MAX_MATRIX_ROWS)} rows in this "
                 f"order and the {len(shown_sources)} sources stating the most figures; the "
                 + ("indicator table lists all." if len(rows) >= total
                    else "indicators.csv lists all."))
        ordered = ordered[:MAX_MATRIX_ROWS]
    description = (
        f"Matrix of {total} indicator-periods (rows) by {len(columns)} columns "
        f"({', '.join(columns)}). A filled cell means the source states the figure; its colour "
        f"is the cross-source verdict: "
        + ", ".join(f"{v.replace('_', ' ')} {counts.get(v, 0)}" for v in VERDICTS)
        + "".join(f", {v} {n}" for v, n in sorted(counts.items()) if v not in VERDICTS)
        + ". Rows are ordered by verdict (conflicts first)." + shown)
    title = "Who states what: indicator-periods by source, coloured by agreement"
    with _rc():
        from matplotlib.collections import PatchCollection
        from matplotlib.patches import Patch, Rectangle

        row_height, column_width, label_width, top_space = 0.13, 0.42, 3.2, 1.75
        height = max(len(ordered), 1) * row_height
        width, total = label_width + len(columns) * column_width + 1.1, height + top_space + 0.05
        fig = _figure(width, total)
        ax = fig.add_axes((label_width / width, 0.05 / total,
                           len(columns) * column_width / width, height / total))
        cells, colours = [], []
        for y, row in enumerate(ordered):
            stated = set(row.source_ids) | ({DERIVED_COLUMN} if row.derived_rules else set())
            for x, column in enumerate(columns):
                if column in stated:
                    cells.append(Rectangle((x - 0.42, y - 0.4), 0.84, 0.8))
                    colours.append(VERDICT_COLOURS.get(row.agreement, OTHER_COLOUR))
        ax.add_collection(PatchCollection(cells, facecolors=colours, edgecolors="none"))
        ax.set_xlim(-0.5, len(columns) - 0.5)
        ax.set_ylim(len(ordered) - 0.5, -0.5)
        ax.set_axis_off()
        # Plain texts rather than tick labels: ticks cost several artists each.
        for y, row in enumerate(ordered):
            ax.text(-0.6, y, row.label, ha="right", va="center", fontsize=6.5)
        # Every other row shaded across labels and cells, to follow a row by eye.
        reach = label_width / (len(columns) * column_width)
        stripes = [Rectangle((-reach, y - 0.5), 1 + reach, 1) for y in range(1, len(ordered), 2)]
        ax.add_collection(PatchCollection(stripes, facecolors="#f2f2f2", edgecolors="none",
                                          zorder=0, transform=ax.get_yaxis_transform(),
                                          clip_on=False))
        for x, column in enumerate(columns):
            ax.text(x - 0.2, -0.8, column, rotation=60, ha="left", va="bottom", fontsize=7,
                    rotation_mode="anchor")
        present = [v for v in VERDICTS if counts.get(v)] + sorted(
            v for v in counts if v not in VERDICTS)
        handles = [Patch(color=VERDICT_COLOURS.get(v, OTHER_COLOUR),
                         label=f"{v.replace('_', ' ')} ({counts[v]})") for v in present]
        fig.legend(handles=handles, loc="lower left", ncols=3, frameon=False, fontsize=7,
                   handlelength=1, columnspacing=1,
                   bbox_to_anchor=(0.01, (0.05 + height + 1.1) / total))
        fig.text(0.01, (0.05 + height + 1.5) / total, title, fontsize=9, fontweight="bold")
        return _svg(fig, "chart-matrix", title, description)


# ------------------------------------------------------------- (b) time series

def _year(period: str) -> float | None:
    """Single years (and months) go on a time axis; spans such as 2012-2022 do not."""
    match = re.fullmatch(r"(\d{4})(?:-(\d{2}))?", period)
    if not match:
        return None
    return int(match[1]) + ((int(match[2]) - 1) / 12 if match[2] else 0)


def time_series_keys(rows: list[IndicatorRow]) -> list[tuple[str, str]]:
    """(indicator_id, breakdown) pairs with a value for at least two points in time."""
    years: dict[tuple[str, str], set[float]] = {}
    for row in rows:
        year = _year(row.period)
        if year is not None and row.value:
            years.setdefault((row.indicator_id, row.breakdown), set()).add(year)
    return sorted(key for key, found in years.items() if len(found) >= 2)


def time_series(rows: list[IndicatorRow], observations: list[ObservationRow],
                source_ids: list[str]) -> Chart:
    all_keys = time_series_keys(rows)
    # The series most sources state, when there are more than a chart can show.
    weight: dict[tuple[str, str], int] = {}
    for row in rows:
        key = (row.indicator_id, row.breakdown)
        weight[key] = weight.get(key, 0) + int(row.n_sources or 0)
    keys = sorted(sorted(all_keys, key=lambda k: (-weight.get(k, 0), k))[:MAX_SERIES])
    by_key: dict[tuple[str, str], list[IndicatorRow]] = {}
    for row in rows:
        by_key.setdefault((row.indicator_id, row.breakdown), []).append(row)
    stated_by_key: dict[tuple[str, str], list[ObservationRow]] = {}
    for o in observations:
        stated_by_key.setdefault((o.indicator_id, o.breakdown), []).append(o)
    title = "Indicators stated for several periods, each source's interval as an error bar"
    colour = {sid: SOURCE_COLOURS[i % len(SOURCE_COLOURS)] for i, sid in enumerate(source_ids)}
    lines = []
    for indicator_id, breakdown in keys:
        points = sorted((r for r in by_key[(indicator_id, breakdown)]
                         if _year(r.period) is not None), key=lambda r: _year(r.period))
        unit = points[0].unit
        lines.append(f"{indicator_id}{f' ({breakdown})' if breakdown else ''}: "
                     + "; ".join(f"{p.period} {p.value} {unit} [{p.interval}] from "
                                 f"{p.n_sources} source(s), {p.agreement.replace('_', ' ')}"
                                 for p in points))
    description = (f"{len(keys)} indicators with values for several years"
                   + (f" (the {len(keys)} most stated of {len(all_keys)})"
                      if len(keys) < len(all_keys) else "") + ". Published values "
                   "with the interval of each source's statement: " + " | ".join(lines) + "."
                   if keys else "No indicator is stated for more than one year.")
    with _rc():
        from matplotlib.lines import Line2D
        from matplotlib.ticker import MaxNLocator

        columns = 3 if len(keys) >= 3 else max(len(keys), 1)
        nrows = max((len(keys) + columns - 1) // columns, 1)
        height = 1.0 + 2.0 * nrows
        fig = _figure(7.4, height)
        if not keys:
            fig.text(0.5, 0.5, "no indicator is stated for several years", ha="center")
        used_sources: list[str] = []
        for index, (indicator_id, breakdown) in enumerate(keys):
            ax = fig.add_subplot(nrows, columns, index + 1)
            series = [r for r in by_key[(indicator_id, breakdown)] if _year(r.period) is not None]
            stated = [o for o in stated_by_key.get((indicator_id, breakdown), [])
                      if _year(o.period) is not None and o.value_canonical]
            values = [_number(r.value) for r in series if r.value] + [
                _number(o.value_canonical) for o in stated]
            low_limit, high_limit = _limits(values, stated)
            scale, unit = _scale(max(abs(v) for v in values), series[0].unit)
            published = sorted((_year(r.period), _number(r.value) / scale) for r in series if r.value)
            ax.plot([p[0] for p in published], [p[1] for p in published], color="#9e9e9e",
                    linewidth=1, zorder=1)
            sources_here = [sid for sid in source_ids if any(o.source_id == sid for o in stated)]
            sources_here += sorted({o.source_id for o in stated} - set(source_ids))
            for rank, sid in enumerate(sources_here):
                if sid not in used_sources:
                    used_sources.append(sid)
                shift = (rank - (len(sources_here) - 1) / 2) * 0.18
                for o in (o for o in stated if o.source_id == sid):
                    y = _number(o.value_canonical)
                    low, high = _number(o.lower), _number(o.upper)
                    # An interval running off the axes (a bound such as 超过40%) is
                    # drawn to the edge with a triangle pointing the open way.
                    marker = ("^" if high is None or high > high_limit else
                              "v" if low is None or low < low_limit else "o")
                    # A value outside its valid range keeps a clamped interval that
                    # misses it ([128, 100] for 128%): no bar on that side, not a crash.
                    below = max(0.0, y - (low if low is not None else low_limit))
                    above = max(0.0, (high if high is not None else high_limit) - y)
                    ax.errorbar([_year(o.period) + shift], [y / scale],
                                yerr=[[below / scale], [above / scale]],
                                fmt=marker, markersize=3.5, capsize=2, elinewidth=1,
                                color=colour.get(sid, OTHER_COLOUR), zorder=2)
            ax.set_ylim(low_limit / scale, high_limit / scale)
            ax.set_title(indicator_id + (f"\n{breakdown}" if breakdown else ""), fontsize=7,
                         loc="left")
            ax.set_ylabel(unit, fontsize=7)
            ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=4))
            ax.tick_params(labelsize=6.5)
        handles = [Line2D([], [], marker="o", linestyle="none", color=colour.get(s, OTHER_COLOUR),
                          label=s) for s in used_sources]
        handles.append(Line2D([], [], color="#9e9e9e", label="published value"))
        fig.text(0.02, 1 - 0.22 / height, title, fontsize=9, fontweight="bold")
        fig.legend(handles=handles, loc="upper left", ncols=3, frameon=False, fontsize=7,
                   bbox_to_anchor=(0.02, 1 - 0.3 / height))
        fig.subplots_adjust(left=0.08, right=0.98, bottom=0.35 / height,
                            top=1 - 1.0 / height, hspace=0.6, wspace=0.38)
        return _svg(fig, "chart-series", title, description)


def _limits(values: list[float], stated: list[ObservationRow]) -> tuple[float, float]:
    """Axis limits: the values and the rounding-sized intervals around them, padded.

    Wide one-sided intervals (up to the top of the valid range) would flatten
    everything else, so an interval end counts only if it lies within a quarter
    of the largest value from its own value.
    """
    reach = 0.25 * max(abs(v) for v in values) or 1.0
    ends = list(values)
    for o in stated:
        y = _number(o.value_canonical)
        for end in (_number(o.lower), _number(o.upper)):
            if end is not None and abs(end - y) <= reach:
                ends.append(end)
    low, high = min(ends), max(ends)
    pad = (high - low) * 0.12 or abs(high) * 0.05 or 1.0
    return low - pad, high + pad


SCALES = ((1e12, "trillion"), (1e9, "billion"), (1e6, "million"), (1e4, "thousand"))


def _scale(largest: float, unit: str) -> tuple[float, str]:
    """Large amounts in words (CNY, billion) rather than an exponent above the axis."""
    for factor, word in SCALES:
        if largest >= factor:
            return (1e3 if word == "thousand" else factor), f"{unit}, {word}"
    return 1.0, unit


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
    description = f"{n_checks} checks. " + "; ".join(
        f"{kind}: " + ", ".join(f"{kinds[kind][s]} {s}" for s, _ in STATUS_COLOURS if kinds[kind].get(s))
        for kind in ordered) + "."
    with _rc():
        fig = _figure(6.0, 0.8 + 0.26 * max(len(ordered), 1))
        ax = fig.add_subplot()
        ys = range(len(ordered))
        left = [0] * len(ordered)
        for status, colour in STATUS_COLOURS:
            widths = [kinds[k].get(status, 0) for k in ordered]
            if not any(widths):
                continue
            ax.barh(list(ys), widths, left=left, color=colour, label=status, height=0.7)
            left = [a + b for a, b in zip(left, widths)]
        for y, kind in zip(ys, ordered):
            failed = sum(n for s, n in kinds[kind].items() if s != "pass")
            note = f"{sum(kinds[kind].values())}" + (f" ({failed} failed)" if failed else "")
            ax.text(left[y] + max(left) * 0.01, y, note, va="center", fontsize=6.5)
        ax.set_yticks(list(ys), ordered)
        ax.invert_yaxis()
        ax.set_xlim(0, max(left + [1]) * 1.15)
        ax.set_xlabel("checks")
        ax.legend(loc="lower right", frameon=False, fontsize=7)
        ax.set_title(title, loc="left", fontsize=9, fontweight="bold")
        return _svg(fig, "chart-checks", title, description)
