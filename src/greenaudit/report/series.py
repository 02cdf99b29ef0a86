"""The time-series chart: indicators stated for several periods, one panel each.

Years and months go on a time axis; a month is labelled as the period is written
(2022-03), never as a fraction of a year. Each source's statement is a point with
its interval as an error bar; the published values are joined by a grey line.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from greenaudit.report.chartkit import (DERIVED_COLOUR, DERIVED_LABEL, DERIVED_PREFIX, OTHER_COLOUR, Chart,
                       figure, label_of, number, rc, source_colours, source_labels,
                       text_width, to_svg)
from greenaudit.report.numbers import number_text
from greenaudit.report.views import IndicatorRow, ObservationRow

MAX_SERIES = 24
COLUMNS = 3
LEGEND_COLUMNS = 6
WIDTH = 7.4                 # inches
PANEL_HEIGHT = 2.0          # inches per row of panels
TITLE_CHARS = 28            # characters per line of a panel title
TICK_POINTS = 6.5
SCALES = ((1e12, "trillion"), (1e9, "billion"), (1e6, "million"), (1e4, "thousand"))

Key = tuple[str, str]


def position(period: str) -> float | None:
    """Where a single year or month lies on the time axis (spans such as 2012-2022 do not)."""
    match = re.fullmatch(r"(\d{4})(?:-(\d{2}))?", period)
    if not match:
        return None
    return int(match[1]) + ((int(match[2]) - 1) / 12 if match[2] else 0)


def time_series_keys(rows: list[IndicatorRow]) -> list[Key]:
    """(indicator_id, breakdown) pairs with a value for at least two points in time."""
    found: dict[Key, set[float]] = {}
    for row in rows:
        at = position(row.period)
        if at is not None and row.value:
            found.setdefault((row.indicator_id, row.breakdown), set()).add(at)
    return sorted(key for key, points in found.items() if len(points) >= 2)


@dataclass
class _Series:
    """One panel's published rows and the statements of its sources, in time order."""

    key: Key
    rows: list[IndicatorRow]
    stated: list[ObservationRow]

    @property
    def title(self) -> str:
        """The indicator id over at most two lines (broken after "_"), or one line and
        the breakdown, each shortened to fit above its panel."""
        lines = [""]
        for part in re.findall(r"[^_]+_?|_", self.key[0]):
            if lines[-1] and len(lines[-1]) + len(part) > TITLE_CHARS:
                lines.append("")
            lines[-1] += part
        if self.key[1]:
            lines = lines[:1] + [self.key[1]]
        return "\n".join(_shorten(line) for line in lines[:2])

    def summary(self) -> str:
        unit = self.rows[0].unit
        points = " → ".join(f"{number_text(r.value)} ({r.period})" for r in self.rows if r.value)
        sources = {o.source_id for o in self.stated}
        derived = sum(s.startswith(DERIVED_PREFIX) for s in sources)
        said = f"{len(sources) - derived} source(s)" + (", derived by a rule" if derived else "")
        name = self.key[0] + (f" ({self.key[1]})" if self.key[1] else "")
        return f"{name}: {points} {unit}; {said}"


def _shorten(line: str) -> str:
    return line if len(line) <= TITLE_CHARS else line[:TITLE_CHARS - 1] + "…"


def _selected(rows: list[IndicatorRow], observations: list[ObservationRow]
              ) -> tuple[list[_Series], int]:
    """The series the chart draws (the most stated ones), and how many there are."""
    keys = time_series_keys(rows)
    weight: dict[Key, int] = {}
    by_key: dict[Key, list[IndicatorRow]] = {}
    for row in rows:
        key = (row.indicator_id, row.breakdown)
        weight[key] = weight.get(key, 0) + int(row.n_sources or 0)
        if position(row.period) is not None:
            by_key.setdefault(key, []).append(row)
    stated: dict[Key, list[ObservationRow]] = {}
    for o in observations:
        if position(o.period) is not None and o.value_canonical:
            stated.setdefault((o.indicator_id, o.breakdown), []).append(o)
    chosen = sorted(sorted(keys, key=lambda k: (-weight.get(k, 0), k))[:MAX_SERIES])
    return [_Series(k, sorted(by_key[k], key=lambda r: position(r.period)), stated.get(k, []))
            for k in chosen], len(keys)


def series_sources(rows: list[IndicatorRow], observations: list[ObservationRow],
                   source_ids: list[str]) -> list[str]:
    """The sources the chart draws, in the manifest's order (derived ones last)."""
    chosen, _ = _selected(rows, observations)
    here = {o.source_id for series in chosen for o in series.stated}
    return [s for s in source_ids if s in here] + sorted(here - set(source_ids))


def _scale(largest: float, unit: str) -> tuple[float, str]:
    """Large amounts in words (CNY, billion) rather than an exponent above the axis."""
    for factor, word in SCALES:
        if largest >= factor:
            return (1e3 if word == "thousand" else factor), f"{unit}, {word}"
    return 1.0, unit


def _limits(values: list[float], stated: list[ObservationRow]) -> tuple[float, float]:
    """Axis limits: the values and the rounding-sized intervals around them, padded.

    Wide one-sided intervals (up to the top of the valid range) would flatten
    everything else, so an interval end counts only if it lies within a quarter
    of the largest value from its own value.
    """
    reach = 0.25 * max(abs(v) for v in values) or 1.0
    ends = list(values)
    for o in stated:
        y = number(o.value_canonical)
        for end in (number(o.lower), number(o.upper)):
            if end is not None and abs(end - y) <= reach:
                ends.append(end)
    low, high = min(ends), max(ends)
    pad = (high - low) * 0.12 or abs(high) * 0.05 or 1.0
    return low - pad, high + pad


def _time_axis(ax, periods: list[str], axis_inches: float) -> None:
    """Ticks at the stated periods, labelled as written, never closer than a label."""
    at = sorted({position(p): p for p in periods}.items())
    months = any(len(p) == 7 for _, p in at)
    labels = [(x, p if months else p[:4]) for x, p in at]
    span = (at[-1][0] - at[0][0]) or 1.0
    kept: list[tuple[float, str]] = []
    for x, label in labels:
        room = text_width(label, TICK_POINTS) + 0.08
        if not kept or (x - kept[-1][0]) / span * axis_inches * 0.8 >= room:
            kept.append((x, label))
    ax.set_xticks([x for x, _ in kept], [label for _, label in kept])
    ax.set_xlim(at[0][0] - 0.12 * span, at[-1][0] + 0.12 * span)


def _draw(ax, series: _Series, colours: dict[str, str], order: list[str]) -> list[str]:
    """One panel; returns the sources it draws, in the chart's order."""
    values = [number(r.value) for r in series.rows if r.value] + [
        number(o.value_canonical) for o in series.stated]
    low_limit, high_limit = _limits(values, series.stated)
    scale, unit = _scale(max(abs(v) for v in values), series.rows[0].unit)
    published = [(position(r.period), number(r.value) / scale) for r in series.rows if r.value]
    ax.plot([p[0] for p in published], [p[1] for p in published], color="#9e9e9e",
            linewidth=1, zorder=1)
    here = {o.source_id for o in series.stated}
    drawn = [s for s in order if s in here] + sorted(here - set(order))
    for rank, sid in enumerate(drawn):
        shift = (rank - (len(drawn) - 1) / 2) * 0.18
        colour = DERIVED_COLOUR if sid.startswith(DERIVED_PREFIX) else colours.get(sid, OTHER_COLOUR)
        for o in (o for o in series.stated if o.source_id == sid):
            y = number(o.value_canonical)
            low, high = number(o.lower), number(o.upper)
            # An interval running off the axes (a bound such as 超过40%) is drawn to
            # the edge with a triangle pointing the open way.
            marker = ("D" if sid.startswith(DERIVED_PREFIX) else
                      "^" if high is None or high > high_limit else
                      "v" if low is None or low < low_limit else "o")
            # A value outside its valid range keeps a clamped interval that misses it
            # ([128, 100] for 128%): no bar on that side, not a crash.
            below = max(0.0, y - (low if low is not None else low_limit))
            above = max(0.0, (high if high is not None else high_limit) - y)
            ax.errorbar([position(o.period) + shift], [y / scale],
                        yerr=[[below / scale], [above / scale]], fmt=marker, markersize=3.5,
                        capsize=2, elinewidth=1, color=colour, zorder=2)
    ax.set_ylim(low_limit / scale, high_limit / scale)
    ax.set_title(series.title, fontsize=7, loc="left")
    ax.set_ylabel(unit, fontsize=7)
    ax.tick_params(labelsize=TICK_POINTS)
    return drawn


def _legend(fig, used: list[str], labels: dict[str, str], colours: dict[str, str],
            top: float) -> None:
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], marker="o", linestyle="none", color=colours.get(s, OTHER_COLOUR),
                      label=labels.get(s, s)) for s in used if not s.startswith(DERIVED_PREFIX)]
    if any(s.startswith(DERIVED_PREFIX) for s in used):
        handles.append(Line2D([], [], marker="D", linestyle="none", color=DERIVED_COLOUR,
                              label=f"{DERIVED_LABEL} (rule)"))
    handles.append(Line2D([], [], color="#9e9e9e", label="published value"))
    fig.legend(handles=handles, loc="upper left", ncols=LEGEND_COLUMNS, frameon=False,
               fontsize=7, bbox_to_anchor=(0.02, top), borderaxespad=0, handletextpad=0.3,
               columnspacing=1.2)


def time_series(rows: list[IndicatorRow], observations: list[ObservationRow],
                source_ids: list[str], labels: dict[str, str] | None = None) -> Chart:
    chosen, n_all = _selected(rows, observations)
    labels = labels or source_labels(source_ids)
    colours = source_colours(source_ids)
    title = "Indicators stated for several periods, each source's interval as an error bar"
    description = (f"{len(chosen)} indicators with values for several periods"
                   + (f" (the {len(chosen)} most stated of {n_all})" if len(chosen) < n_all
                      else "") + ": the published values with each source's interval; the "
                   "indicator table lists every value." if chosen
                   else "No indicator is stated for more than one period.")
    here = {o.source_id for series in chosen for o in series.stated}
    used = [s for s in source_ids if s in here] + sorted(here - set(source_ids))
    n_legend = len({label_of(s, labels) for s in used}) + 1
    legend_rows = math.ceil(n_legend / LEGEND_COLUMNS)
    # Title, legend, then the panels: each band gets its own height, so none overlaps.
    top_band = 0.32 + 0.18 * legend_rows + 0.42
    nrows = max(math.ceil(len(chosen) / COLUMNS), 1)
    height = top_band + PANEL_HEIGHT * nrows + 0.1
    with rc():
        fig = figure(WIDTH, height)
        fig.text(0.02, 1 - 0.24 / height, title, fontsize=9, fontweight="bold")
        if not chosen:
            fig.text(0.5, 0.5, "no indicator is stated for several periods", ha="center")
        for index, series in enumerate(chosen):
            ax = fig.add_subplot(nrows, COLUMNS, index + 1)
            _draw(ax, series, colours, source_ids)
            axis_inches = WIDTH * 0.9 / (COLUMNS + 0.38 * (COLUMNS - 1))
            _time_axis(ax, [r.period for r in series.rows] + [o.period for o in series.stated],
                       axis_inches)
        _legend(fig, used, labels, colours, 1 - 0.36 / height)
        fig.subplots_adjust(left=0.08, right=0.98, bottom=0.35 / height,
                            top=1 - top_band / height, hspace=0.62, wspace=0.38)
        return to_svg(fig, "chart-series", title, description,
                      tuple(series.summary() for series in chosen))
