"""What the report's charts share: SVG output that is the same on every run, and the
short labels and colours that name the sources.

matplotlib writes a date and random ids into SVG unless told otherwise:
`svg.hashsalt` fixes the ids and `metadata={"Date": None}` drops the date. Text is
kept as SVG text (`svg.fonttype: none`) so the page stays small and searchable.
Only `matplotlib.figure` is imported (not pyplot): the report job is on the
critical path of every rebuild.

Layouts are computed, not left to chance: every block of text (title, legend,
labels) gets space of its own from the number and length of its entries, so that
no text is drawn over another. Sources are named by short labels (the part of the
id before its first "_", or S1, S2, ...); the page's legend table gives each
label's source id and title.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from decimal import Decimal

from markupsafe import escape

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
DERIVED_COLOUR = "#8073ac"
SOURCE_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b",
                  "#e377c2", "#7f7f7f", "#bcbd22", "#17becf")
DERIVED_LABEL = "derived"
DERIVED_PREFIX = "derived:"
# Longest prefix of a source id used as its label; longer ones get S1, S2, ...
MAX_LABEL = 6
# Width of one character of DejaVu Sans, in em (a generous average, for layout).
CHAR_EM = 0.62


@dataclass(frozen=True)
class Chart:
    """One chart: a stable name, its title, a text alternative and the SVG markup.

    `description` is a sentence or two; `details` are short lines (one per panel or
    kind) that the page lists under it.
    """

    name: str
    title: str
    description: str
    svg: str
    details: tuple[str, ...] = ()

    def standalone(self) -> str:
        return '<?xml version="1.0" encoding="utf-8" standalone="no"?>\n' + self.svg + "\n"


@dataclass(frozen=True)
class LegendEntry:
    label: str
    source_id: str
    colour: str
    title: str


def source_labels(source_ids: list[str]) -> dict[str, str]:
    """{source_id: short label}: its first "_"-part when those are short and unique."""
    prefixes = [sid.split("_", 1)[0] for sid in source_ids]
    if all(0 < len(p) <= MAX_LABEL for p in prefixes) and len(set(prefixes)) == len(prefixes):
        return dict(zip(source_ids, prefixes))
    return {sid: f"S{i + 1}" for i, sid in enumerate(source_ids)}


def source_colours(source_ids: list[str]) -> dict[str, str]:
    return {sid: SOURCE_COLOURS[i % len(SOURCE_COLOURS)] for i, sid in enumerate(source_ids)}


def label_of(source_id: str, labels: dict[str, str]) -> str:
    if source_id.startswith(DERIVED_PREFIX):
        return DERIVED_LABEL
    return labels.get(source_id, source_id)


def legend_entries(used: list[str], labels: dict[str, str],
                   titles: dict[str, str]) -> list[LegendEntry]:
    """The page's legend table: each source the charts draw, then derived values."""
    colours = source_colours(list(labels))
    entries = [LegendEntry(labels[sid], sid, colours[sid], titles.get(sid, ""))
               for sid in labels if sid in used]
    if any(sid.startswith(DERIVED_PREFIX) or sid == DERIVED_LABEL for sid in used):
        entries.append(LegendEntry(DERIVED_LABEL, "derived:<rule_id>", DERIVED_COLOUR,
                                   "a value a rule of schemas/rules.yaml derived"))
    return entries


def text_width(text: str, points: float) -> float:
    """Inches a line of text takes at `points` size (an upper estimate)."""
    return len(text) * points * CHAR_EM / 72


def figure(width: float, height: float):
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height))


def rc():
    from matplotlib import rc_context

    return rc_context(RC)


def number(text: str) -> float | None:
    return float(Decimal(text)) if text else None


def to_svg(fig, name: str, title: str, description: str, details: tuple[str, ...] = ()) -> Chart:
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
    return Chart(name, title, description, text.strip(), details)
